from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.session_trace_export_response import SessionTraceExportResponse
from ...types import Response


def _get_kwargs(
    session_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/sessions/{session_id}/trace_export".format(
            session_id=quote(str(session_id), safe=":@"),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | SessionTraceExportResponse | None:
    if response.status_code == 200:
        response_200 = SessionTraceExportResponse.from_dict_strict(orjson.loads(response.content))

        return response_200

    if response.status_code == 401:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_401 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_401

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 404:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_404 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_404

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if 500 <= response.status_code <= 599:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_5xx = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_5xx

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | SessionTraceExportResponse]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorResponse | SessionTraceExportResponse]:
    """Poll an export of a session's request trace (pending, ready with a URL, or failed).

     tinkex serve records no request traces and answers `failed` with that reason.

    Args:
        session_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SessionTraceExportResponse]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorResponse | SessionTraceExportResponse | None:
    """Poll an export of a session's request trace (pending, ready with a URL, or failed).

     tinkex serve records no request traces and answers `failed` with that reason.

    Args:
        session_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SessionTraceExportResponse
    """

    return sync_detailed(
        session_id=session_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorResponse | SessionTraceExportResponse]:
    """Poll an export of a session's request trace (pending, ready with a URL, or failed).

     tinkex serve records no request traces and answers `failed` with that reason.

    Args:
        session_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SessionTraceExportResponse]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorResponse | SessionTraceExportResponse | None:
    """Poll an export of a session's request trace (pending, ready with a URL, or failed).

     tinkex serve records no request traces and answers `failed` with that reason.

    Args:
        session_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SessionTraceExportResponse
    """

    return (
        await asyncio_detailed(
            session_id=session_id,
            client=client,
        )
    ).parsed
