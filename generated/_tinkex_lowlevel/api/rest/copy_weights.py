from typing import Any

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.copy_weights_request import CopyWeightsRequest
from ...models.copy_weights_response import CopyWeightsResponse
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    *,
    body: CopyWeightsRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/copy_weights",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    # tinkex: orjson encodes the body (15x faster than httpx's json= on float-heavy batches).
    if "json" in _kwargs:
        _kwargs["content"] = orjson.dumps(_kwargs.pop("json"), option=orjson.OPT_SERIALIZE_NUMPY)
    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CopyWeightsResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = CopyWeightsResponse.from_dict_strict(orjson.loads(response.content))

        return response_200

    if response.status_code == 400:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_400 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_400

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
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
    if response.status_code == 422:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_422 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_422

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
) -> Response[CopyWeightsResponse | ErrorResponse]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CopyWeightsRequest,
) -> Response[CopyWeightsResponse | ErrorResponse]:
    """Copy a readable checkpoint into a new training run of the caller.

     The source is the caller's or a public checkpoint (404 otherwise); the copy becomes run
    `{session_id}:train:{model_seq_id}` (both required here), with `ttl_seconds` honoured.
    `destination_project_id` and the `X-Tinker-Weights-Access-Token` header are accepted and ignored:
    there are no projects' permissions or cross-account tokens on a local server.

    Args:
        body (CopyWeightsRequest): Body of copy_weights.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CopyWeightsResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CopyWeightsRequest,
) -> CopyWeightsResponse | ErrorResponse | None:
    """Copy a readable checkpoint into a new training run of the caller.

     The source is the caller's or a public checkpoint (404 otherwise); the copy becomes run
    `{session_id}:train:{model_seq_id}` (both required here), with `ttl_seconds` honoured.
    `destination_project_id` and the `X-Tinker-Weights-Access-Token` header are accepted and ignored:
    there are no projects' permissions or cross-account tokens on a local server.

    Args:
        body (CopyWeightsRequest): Body of copy_weights.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CopyWeightsResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CopyWeightsRequest,
) -> Response[CopyWeightsResponse | ErrorResponse]:
    """Copy a readable checkpoint into a new training run of the caller.

     The source is the caller's or a public checkpoint (404 otherwise); the copy becomes run
    `{session_id}:train:{model_seq_id}` (both required here), with `ttl_seconds` honoured.
    `destination_project_id` and the `X-Tinker-Weights-Access-Token` header are accepted and ignored:
    there are no projects' permissions or cross-account tokens on a local server.

    Args:
        body (CopyWeightsRequest): Body of copy_weights.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CopyWeightsResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CopyWeightsRequest,
) -> CopyWeightsResponse | ErrorResponse | None:
    """Copy a readable checkpoint into a new training run of the caller.

     The source is the caller's or a public checkpoint (404 otherwise); the copy becomes run
    `{session_id}:train:{model_seq_id}` (both required here), with `ttl_seconds` honoured.
    `destination_project_id` and the `X-Tinker-Weights-Access-Token` header are accepted and ignored:
    there are no projects' permissions or cross-account tokens on a local server.

    Args:
        body (CopyWeightsRequest): Body of copy_weights.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CopyWeightsResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
