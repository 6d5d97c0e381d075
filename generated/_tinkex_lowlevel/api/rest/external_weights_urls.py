from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.external_weights_urls_response import ExternalWeightsUrlsResponse
from ...types import Response


def _get_kwargs(
    training_run_id: str,
    checkpoint_name: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/training_runs/{training_run_id}/checkpoints/external_weights/{checkpoint_name}/external_weights_urls".format(
            training_run_id=quote(str(training_run_id), safe=":@"),
            checkpoint_name=quote(str(checkpoint_name), safe=":@"),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | ExternalWeightsUrlsResponse | None:
    if response.status_code == 200:
        response_200 = ExternalWeightsUrlsResponse.from_dict_strict(orjson.loads(response.content))

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
) -> Response[ErrorResponse | ExternalWeightsUrlsResponse]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    training_run_id: str,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorResponse | ExternalWeightsUrlsResponse]:
    """Signed download URLs, one per file of an external weights checkpoint.

     The URLs need no API key and expire at `expires` (the archive's 15-minute window); each answers
    the file with `X-Checksum-Sha256`. An expired checkpoint is gone (404).

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ExternalWeightsUrlsResponse]
    """

    kwargs = _get_kwargs(
        training_run_id=training_run_id,
        checkpoint_name=checkpoint_name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    training_run_id: str,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorResponse | ExternalWeightsUrlsResponse | None:
    """Signed download URLs, one per file of an external weights checkpoint.

     The URLs need no API key and expire at `expires` (the archive's 15-minute window); each answers
    the file with `X-Checksum-Sha256`. An expired checkpoint is gone (404).

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ExternalWeightsUrlsResponse
    """

    return sync_detailed(
        training_run_id=training_run_id,
        checkpoint_name=checkpoint_name,
        client=client,
    ).parsed


async def asyncio_detailed(
    training_run_id: str,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorResponse | ExternalWeightsUrlsResponse]:
    """Signed download URLs, one per file of an external weights checkpoint.

     The URLs need no API key and expire at `expires` (the archive's 15-minute window); each answers
    the file with `X-Checksum-Sha256`. An expired checkpoint is gone (404).

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ExternalWeightsUrlsResponse]
    """

    kwargs = _get_kwargs(
        training_run_id=training_run_id,
        checkpoint_name=checkpoint_name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    training_run_id: str,
    checkpoint_name: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorResponse | ExternalWeightsUrlsResponse | None:
    """Signed download URLs, one per file of an external weights checkpoint.

     The URLs need no API key and expire at `expires` (the archive's 15-minute window); each answers
    the file with `X-Checksum-Sha256`. An expired checkpoint is gone (404).

    Args:
        training_run_id (str): A training run / model id (the same thing). Opaque; current form
            `<session_id>:train:<n>`.
        checkpoint_name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ExternalWeightsUrlsResponse
    """

    return (
        await asyncio_detailed(
            training_run_id=training_run_id,
            checkpoint_name=checkpoint_name,
            client=client,
        )
    ).parsed
