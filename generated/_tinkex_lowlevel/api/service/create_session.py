from typing import Any

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_session_request import CreateSessionRequest
from ...models.create_session_response import CreateSessionResponse
from ...models.error_response import ErrorResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreateSessionRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_idempotency_key, Unset):
        headers["X-Idempotency-Key"] = x_idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/create_session",
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
) -> CreateSessionResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = CreateSessionResponse.from_dict_strict(orjson.loads(response.content))

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
    if response.status_code == 409:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_409 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_409

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 422:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_422 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_422

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 429:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_429 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_429

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
) -> Response[CreateSessionResponse | ErrorResponse]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateSessionRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[CreateSessionResponse | ErrorResponse]:
    """Open a client session (one per ServiceClient).

     The client must then heartbeat the session (`session_heartbeat`) every 10 s. Decision (the
    references name no timeout): a server may expire a session after 5 minutes without a heartbeat;
    its persisted checkpoints survive.

    Args:
        x_idempotency_key (str | Unset):
        body (CreateSessionRequest): Body of create_session. `user_metadata` must be present (the
            client sends `{}` when empty) but may be null.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateSessionResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_idempotency_key=x_idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CreateSessionRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> CreateSessionResponse | ErrorResponse | None:
    """Open a client session (one per ServiceClient).

     The client must then heartbeat the session (`session_heartbeat`) every 10 s. Decision (the
    references name no timeout): a server may expire a session after 5 minutes without a heartbeat;
    its persisted checkpoints survive.

    Args:
        x_idempotency_key (str | Unset):
        body (CreateSessionRequest): Body of create_session. `user_metadata` must be present (the
            client sends `{}` when empty) but may be null.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateSessionResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        x_idempotency_key=x_idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateSessionRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[CreateSessionResponse | ErrorResponse]:
    """Open a client session (one per ServiceClient).

     The client must then heartbeat the session (`session_heartbeat`) every 10 s. Decision (the
    references name no timeout): a server may expire a session after 5 minutes without a heartbeat;
    its persisted checkpoints survive.

    Args:
        x_idempotency_key (str | Unset):
        body (CreateSessionRequest): Body of create_session. `user_metadata` must be present (the
            client sends `{}` when empty) but may be null.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateSessionResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_idempotency_key=x_idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CreateSessionRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> CreateSessionResponse | ErrorResponse | None:
    """Open a client session (one per ServiceClient).

     The client must then heartbeat the session (`session_heartbeat`) every 10 s. Decision (the
    references name no timeout): a server may expire a session after 5 minutes without a heartbeat;
    its persisted checkpoints survive.

    Args:
        x_idempotency_key (str | Unset):
        body (CreateSessionRequest): Body of create_session. `user_metadata` must be present (the
            client sends `{}` when empty) but may be null.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateSessionResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_idempotency_key=x_idempotency_key,
        )
    ).parsed
