from typing import Any, cast
from urllib.parse import quote

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkpoint_kind import CheckpointKind
from ...models.error_response import ErrorResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    training_run_id: str,
    checkpoint_kind: CheckpointKind,
    checkpoint_name: str,
    *,
    x_idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_idempotency_key, Unset):
        headers["X-Idempotency-Key"] = x_idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}".format(
            training_run_id=quote(str(training_run_id), safe=":@"),
            checkpoint_kind=quote(str(checkpoint_kind), safe=":@"),
            checkpoint_name=quote(str(checkpoint_name), safe=":@"),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ErrorResponse | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

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
    if response.status_code == 403:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_403 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_403

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 404:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_404 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_404

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 409:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_409 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_409

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ErrorResponse]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    training_run_id: str,
    checkpoint_kind: CheckpointKind,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[Any | ErrorResponse]:
    """Delete a checkpoint (owner only).

     The official client inserts `checkpoint_id` (`weights/<name>` or `sampler_weights/<name>`)
    verbatim, slash included; this document models it as two path segments so generated code builds
    the same URL. Answers 204; clients treat any 2xx as success.

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_kind (CheckpointKind): The `<kind>` part of `tinker://<run>/<kind>/<name>` and
            of a checkpoint_id.
        checkpoint_name (str):
        x_idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse]
    """

    kwargs = _get_kwargs(
        training_run_id=training_run_id,
        checkpoint_kind=checkpoint_kind,
        checkpoint_name=checkpoint_name,
        x_idempotency_key=x_idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    training_run_id: str,
    checkpoint_kind: CheckpointKind,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
    x_idempotency_key: str | Unset = UNSET,
) -> Any | ErrorResponse | None:
    """Delete a checkpoint (owner only).

     The official client inserts `checkpoint_id` (`weights/<name>` or `sampler_weights/<name>`)
    verbatim, slash included; this document models it as two path segments so generated code builds
    the same URL. Answers 204; clients treat any 2xx as success.

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_kind (CheckpointKind): The `<kind>` part of `tinker://<run>/<kind>/<name>` and
            of a checkpoint_id.
        checkpoint_name (str):
        x_idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse
    """

    return sync_detailed(
        training_run_id=training_run_id,
        checkpoint_kind=checkpoint_kind,
        checkpoint_name=checkpoint_name,
        client=client,
        x_idempotency_key=x_idempotency_key,
    ).parsed


async def asyncio_detailed(
    training_run_id: str,
    checkpoint_kind: CheckpointKind,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
    x_idempotency_key: str | Unset = UNSET,
) -> Response[Any | ErrorResponse]:
    """Delete a checkpoint (owner only).

     The official client inserts `checkpoint_id` (`weights/<name>` or `sampler_weights/<name>`)
    verbatim, slash included; this document models it as two path segments so generated code builds
    the same URL. Answers 204; clients treat any 2xx as success.

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_kind (CheckpointKind): The `<kind>` part of `tinker://<run>/<kind>/<name>` and
            of a checkpoint_id.
        checkpoint_name (str):
        x_idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse]
    """

    kwargs = _get_kwargs(
        training_run_id=training_run_id,
        checkpoint_kind=checkpoint_kind,
        checkpoint_name=checkpoint_name,
        x_idempotency_key=x_idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    training_run_id: str,
    checkpoint_kind: CheckpointKind,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
    x_idempotency_key: str | Unset = UNSET,
) -> Any | ErrorResponse | None:
    """Delete a checkpoint (owner only).

     The official client inserts `checkpoint_id` (`weights/<name>` or `sampler_weights/<name>`)
    verbatim, slash included; this document models it as two path segments so generated code builds
    the same URL. Answers 204; clients treat any 2xx as success.

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_kind (CheckpointKind): The `<kind>` part of `tinker://<run>/<kind>/<name>` and
            of a checkpoint_id.
        checkpoint_name (str):
        x_idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse
    """

    return (
        await asyncio_detailed(
            training_run_id=training_run_id,
            checkpoint_kind=checkpoint_kind,
            checkpoint_name=checkpoint_name,
            client=client,
            x_idempotency_key=x_idempotency_key,
        )
    ).parsed
