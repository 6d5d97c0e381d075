from typing import Any

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.save_weights_external_request import SaveWeightsExternalRequest
from ...models.untyped_api_future import UntypedAPIFuture
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: SaveWeightsExternalRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_idempotency_key, Unset):
        headers["X-Idempotency-Key"] = x_idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/save_weights_external",
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
) -> ErrorResponse | UntypedAPIFuture | None:
    if response.status_code == 200:
        response_200 = UntypedAPIFuture.from_dict_strict(orjson.loads(response.content))

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
) -> Response[ErrorResponse | UntypedAPIFuture]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SaveWeightsExternalRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[ErrorResponse | UntypedAPIFuture]:
    """Export the adapter as files (PEFT form) to `tinker://<run>/external_weights/<path>` (future).

     The checkpoint (type `external`) holds `adapter_config.json` and `adapter_model.safetensors`;
    `external_weights_urls` signs a download URL per file. Honours `ttl_seconds`; an existing export of
    the same name is replaced. `age_encryption_recipients` is refused (400): exports are not encrypted.

    Args:
        x_idempotency_key (str | Unset):
        body (SaveWeightsExternalRequest): Body of save_weights_external.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | UntypedAPIFuture]
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
    body: SaveWeightsExternalRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> ErrorResponse | UntypedAPIFuture | None:
    """Export the adapter as files (PEFT form) to `tinker://<run>/external_weights/<path>` (future).

     The checkpoint (type `external`) holds `adapter_config.json` and `adapter_model.safetensors`;
    `external_weights_urls` signs a download URL per file. Honours `ttl_seconds`; an existing export of
    the same name is replaced. `age_encryption_recipients` is refused (400): exports are not encrypted.

    Args:
        x_idempotency_key (str | Unset):
        body (SaveWeightsExternalRequest): Body of save_weights_external.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | UntypedAPIFuture
    """

    return sync_detailed(
        client=client,
        body=body,
        x_idempotency_key=x_idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SaveWeightsExternalRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[ErrorResponse | UntypedAPIFuture]:
    """Export the adapter as files (PEFT form) to `tinker://<run>/external_weights/<path>` (future).

     The checkpoint (type `external`) holds `adapter_config.json` and `adapter_model.safetensors`;
    `external_weights_urls` signs a download URL per file. Honours `ttl_seconds`; an existing export of
    the same name is replaced. `age_encryption_recipients` is refused (400): exports are not encrypted.

    Args:
        x_idempotency_key (str | Unset):
        body (SaveWeightsExternalRequest): Body of save_weights_external.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | UntypedAPIFuture]
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
    body: SaveWeightsExternalRequest,
    x_idempotency_key: str | Unset = UNSET,
) -> ErrorResponse | UntypedAPIFuture | None:
    """Export the adapter as files (PEFT form) to `tinker://<run>/external_weights/<path>` (future).

     The checkpoint (type `external`) holds `adapter_config.json` and `adapter_model.safetensors`;
    `external_weights_urls` signs a download URL per file. Honours `ttl_seconds`; an existing export of
    the same name is replaced. `age_encryption_recipients` is refused (400): exports are not encrypted.

    Args:
        x_idempotency_key (str | Unset):
        body (SaveWeightsExternalRequest): Body of save_weights_external.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | UntypedAPIFuture
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_idempotency_key=x_idempotency_key,
        )
    ).parsed
