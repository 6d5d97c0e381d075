from typing import Any

import httpx
import orjson

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_model_response import CreateModelResponse
from ...models.error_response import ErrorResponse
from ...models.forward_backward_output import ForwardBackwardOutput
from ...models.future_complete_metadata_response import FutureCompleteMetadataResponse
from ...models.future_pending_response import FuturePendingResponse
from ...models.future_retrieve_request import FutureRetrieveRequest
from ...models.load_weights_response import LoadWeightsResponse
from ...models.optim_step_response import OptimStepResponse
from ...models.request_failed_response import RequestFailedResponse
from ...models.retrieve_future_x_tinker_request_type import RetrieveFutureXTinkerRequestType
from ...models.sample_response import SampleResponse
from ...models.save_weights_for_sampler_response import SaveWeightsForSamplerResponse
from ...models.save_weights_for_sampler_response_internal import SaveWeightsForSamplerResponseInternal
from ...models.save_weights_response import SaveWeightsResponse
from ...models.try_again_response import TryAgainResponse
from ...models.unload_model_response import UnloadModelResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: FutureRetrieveRequest,
    x_idempotency_key: str | Unset = UNSET,
    x_tinker_request_iteration: int | Unset = UNSET,
    x_tinker_request_type: RetrieveFutureXTinkerRequestType | Unset = UNSET,
    x_tinker_create_promise_roundtrip_time: float | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_idempotency_key, Unset):
        headers["X-Idempotency-Key"] = x_idempotency_key

    if not isinstance(x_tinker_request_iteration, Unset):
        headers["X-Tinker-Request-Iteration"] = str(x_tinker_request_iteration)

    if not isinstance(x_tinker_request_type, Unset):
        headers["X-Tinker-Request-Type"] = str(x_tinker_request_type)

    if not isinstance(x_tinker_create_promise_roundtrip_time, Unset):
        headers["X-Tinker-Create-Promise-Roundtrip-Time"] = str(x_tinker_create_promise_roundtrip_time)

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/retrieve_future",
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
) -> (
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
    | None
):
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> (
            CreateModelResponse
            | ForwardBackwardOutput
            | FutureCompleteMetadataResponse
            | LoadWeightsResponse
            | OptimStepResponse
            | RequestFailedResponse
            | SampleResponse
            | SaveWeightsForSamplerResponse
            | SaveWeightsForSamplerResponseInternal
            | SaveWeightsResponse
            | TryAgainResponse
            | UnloadModelResponse
        ):
            if isinstance(data, dict) and data.get("type") == "try_again":
                componentsschemas_future_retrieve_response_type_0 = TryAgainResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_0
            if isinstance(data, dict) and data.get("type") == "sample":
                componentsschemas_future_retrieve_response_type_3 = SampleResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_3
            if isinstance(data, dict) and data.get("type") == "create_model":
                componentsschemas_future_retrieve_response_type_4 = CreateModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_4
            if isinstance(data, dict) and data.get("type") == "unload_model":
                componentsschemas_future_retrieve_response_type_5 = UnloadModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_5
            if isinstance(data, dict) and data.get("type") == "save_weights":
                componentsschemas_future_retrieve_response_type_6 = SaveWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_6
            if isinstance(data, dict) and data.get("type") == "save_weights_for_sampler":
                componentsschemas_future_retrieve_response_type_7 = (
                    SaveWeightsForSamplerResponseInternal.from_dict_strict(data)
                )

                return componentsschemas_future_retrieve_response_type_7
            if isinstance(data, dict) and data.get("type") == "load_weights":
                componentsschemas_future_retrieve_response_type_9 = LoadWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_9
            if (
                isinstance(data, dict)
                and data.keys() <= {"type", "request_id", "queue_state"}
                and all(key in data for key in ["request_id", "queue_state"])
            ):
                componentsschemas_future_retrieve_response_type_0 = TryAgainResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_0
            if (
                isinstance(data, dict)
                and data.keys() <= {"error", "category"}
                and all(key in data for key in ["error", "category"])
            ):
                componentsschemas_future_retrieve_response_type_1 = RequestFailedResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_1
            if (
                isinstance(data, dict)
                and data.keys() <= {"loss_fn_output_type", "loss_fn_outputs", "metrics"}
                and all(key in data for key in ["loss_fn_output_type", "loss_fn_outputs", "metrics"])
            ):
                componentsschemas_future_retrieve_response_type_2 = ForwardBackwardOutput.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_2
            if (
                isinstance(data, dict)
                and data.keys()
                <= {
                    "sequences",
                    "type",
                    "prompt_logprobs",
                    "topk_prompt_logprobs",
                    "prompt_cache_hit_tokens",
                    "target_prompt_logprobs",
                    "prompt_alt_tokens",
                }
                and all(key in data for key in ["sequences"])
            ):
                componentsschemas_future_retrieve_response_type_3 = SampleResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_3
            if (
                isinstance(data, dict)
                and data.keys() <= {"model_id", "type"}
                and all(key in data for key in ["model_id"])
            ):
                componentsschemas_future_retrieve_response_type_4 = CreateModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_4
            if (
                isinstance(data, dict)
                and data.keys() <= {"model_id", "type"}
                and all(key in data for key in ["model_id"])
            ):
                componentsschemas_future_retrieve_response_type_5 = UnloadModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_5
            if isinstance(data, dict) and data.keys() <= {"path", "type"} and all(key in data for key in ["path"]):
                componentsschemas_future_retrieve_response_type_6 = SaveWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_6
            if isinstance(data, dict) and data.keys() <= {"path", "sampling_session_id", "type"}:
                componentsschemas_future_retrieve_response_type_7 = (
                    SaveWeightsForSamplerResponseInternal.from_dict_strict(data)
                )

                return componentsschemas_future_retrieve_response_type_7
            if isinstance(data, dict) and data.keys() <= {"path", "type"} and all(key in data for key in ["path"]):
                componentsschemas_future_retrieve_response_type_8 = SaveWeightsForSamplerResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_8
            if isinstance(data, dict) and data.keys() <= {"path", "type", "model_id"}:
                componentsschemas_future_retrieve_response_type_9 = LoadWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_9
            if isinstance(data, dict) and data.keys() <= {"metrics"}:
                componentsschemas_future_retrieve_response_type_10 = OptimStepResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_10
            if (
                isinstance(data, dict)
                and data.keys() <= {"status", "response_payload_size"}
                and all(key in data for key in ["status", "response_payload_size"])
            ):
                response_200_type_1 = FutureCompleteMetadataResponse.from_dict_strict(data)

                return response_200_type_1
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_0 = TryAgainResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["request_id", "queue_state"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_1 = RequestFailedResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["error", "category"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_2 = ForwardBackwardOutput.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(
                    key in data for key in ["loss_fn_output_type", "loss_fn_outputs", "metrics"]
                ):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_3 = SampleResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["sequences"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_4 = CreateModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["model_id"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_5 = UnloadModelResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["model_id"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_6 = SaveWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_6
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["path"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_7 = (
                    SaveWeightsForSamplerResponseInternal.from_dict_strict(data)
                )

                return componentsschemas_future_retrieve_response_type_7
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_8 = SaveWeightsForSamplerResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_8
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["path"]):
                    raise
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_9 = LoadWeightsResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_9
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_future_retrieve_response_type_10 = OptimStepResponse.from_dict_strict(data)

                return componentsschemas_future_retrieve_response_type_10
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = FutureCompleteMetadataResponse.from_dict_strict(data)

            return response_200_type_1

        response_200 = _parse_response_200(orjson.loads(response.content))

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
    if response.status_code == 408:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_408 = FuturePendingResponse.from_dict_strict(orjson.loads(response.content))

            return response_408

        except (ValueError, TypeError, KeyError, AttributeError):
            return None
    if response.status_code == 410:
        # tinkex: error bodies come from proxies too (HTML, empty); an unreadable one parses as None.
        try:
            response_410 = ErrorResponse.from_dict_strict(orjson.loads(response.content))

            return response_410

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
) -> Response[
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
]:
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FutureRetrieveRequest,
    x_idempotency_key: str | Unset = UNSET,
    x_tinker_request_iteration: int | Unset = UNSET,
    x_tinker_request_type: RetrieveFutureXTinkerRequestType | Unset = UNSET,
    x_tinker_create_promise_roundtrip_time: float | Unset = UNSET,
) -> Response[
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
]:
    """Long-poll the result of a future.

     The server holds the poll until the result is ready or its wait (decision: at most 40 s, under the
    client's 45 s read timeout) runs out. Answers:

    * 200 with the result (`ForwardBackwardOutput`, `SampleResponse`, ... - the caller knows which from
      the originating call), a `RequestFailedResponse` (body has `error`), or a `TryAgainResponse`
      (`type` = `try_again`: still pending);
    * 408 still pending (decision: the preferred pending answer, because the 0.7.0 client reads
      `queue_state` and `queue_state_reason` only from it); the client re-polls at once;
    * 410 the future expired or broke (sampling re-submits, training surfaces the error);
    * 5xx transient, re-polled at once. Any other 4xx is fatal to the client.

    Args:
        x_idempotency_key (str | Unset):
        x_tinker_request_iteration (int | Unset):
        x_tinker_request_type (RetrieveFutureXTinkerRequestType | Unset):
        x_tinker_create_promise_roundtrip_time (float | Unset):
        body (FutureRetrieveRequest): Body of retrieve_future.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateModelResponse | ForwardBackwardOutput | FutureCompleteMetadataResponse | LoadWeightsResponse | OptimStepResponse | RequestFailedResponse | SampleResponse | SaveWeightsForSamplerResponse | SaveWeightsForSamplerResponseInternal | SaveWeightsResponse | TryAgainResponse | UnloadModelResponse | ErrorResponse | FuturePendingResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_idempotency_key=x_idempotency_key,
        x_tinker_request_iteration=x_tinker_request_iteration,
        x_tinker_request_type=x_tinker_request_type,
        x_tinker_create_promise_roundtrip_time=x_tinker_create_promise_roundtrip_time,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: FutureRetrieveRequest,
    x_idempotency_key: str | Unset = UNSET,
    x_tinker_request_iteration: int | Unset = UNSET,
    x_tinker_request_type: RetrieveFutureXTinkerRequestType | Unset = UNSET,
    x_tinker_create_promise_roundtrip_time: float | Unset = UNSET,
) -> (
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
    | None
):
    """Long-poll the result of a future.

     The server holds the poll until the result is ready or its wait (decision: at most 40 s, under the
    client's 45 s read timeout) runs out. Answers:

    * 200 with the result (`ForwardBackwardOutput`, `SampleResponse`, ... - the caller knows which from
      the originating call), a `RequestFailedResponse` (body has `error`), or a `TryAgainResponse`
      (`type` = `try_again`: still pending);
    * 408 still pending (decision: the preferred pending answer, because the 0.7.0 client reads
      `queue_state` and `queue_state_reason` only from it); the client re-polls at once;
    * 410 the future expired or broke (sampling re-submits, training surfaces the error);
    * 5xx transient, re-polled at once. Any other 4xx is fatal to the client.

    Args:
        x_idempotency_key (str | Unset):
        x_tinker_request_iteration (int | Unset):
        x_tinker_request_type (RetrieveFutureXTinkerRequestType | Unset):
        x_tinker_create_promise_roundtrip_time (float | Unset):
        body (FutureRetrieveRequest): Body of retrieve_future.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateModelResponse | ForwardBackwardOutput | FutureCompleteMetadataResponse | LoadWeightsResponse | OptimStepResponse | RequestFailedResponse | SampleResponse | SaveWeightsForSamplerResponse | SaveWeightsForSamplerResponseInternal | SaveWeightsResponse | TryAgainResponse | UnloadModelResponse | ErrorResponse | FuturePendingResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        x_idempotency_key=x_idempotency_key,
        x_tinker_request_iteration=x_tinker_request_iteration,
        x_tinker_request_type=x_tinker_request_type,
        x_tinker_create_promise_roundtrip_time=x_tinker_create_promise_roundtrip_time,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FutureRetrieveRequest,
    x_idempotency_key: str | Unset = UNSET,
    x_tinker_request_iteration: int | Unset = UNSET,
    x_tinker_request_type: RetrieveFutureXTinkerRequestType | Unset = UNSET,
    x_tinker_create_promise_roundtrip_time: float | Unset = UNSET,
) -> Response[
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
]:
    """Long-poll the result of a future.

     The server holds the poll until the result is ready or its wait (decision: at most 40 s, under the
    client's 45 s read timeout) runs out. Answers:

    * 200 with the result (`ForwardBackwardOutput`, `SampleResponse`, ... - the caller knows which from
      the originating call), a `RequestFailedResponse` (body has `error`), or a `TryAgainResponse`
      (`type` = `try_again`: still pending);
    * 408 still pending (decision: the preferred pending answer, because the 0.7.0 client reads
      `queue_state` and `queue_state_reason` only from it); the client re-polls at once;
    * 410 the future expired or broke (sampling re-submits, training surfaces the error);
    * 5xx transient, re-polled at once. Any other 4xx is fatal to the client.

    Args:
        x_idempotency_key (str | Unset):
        x_tinker_request_iteration (int | Unset):
        x_tinker_request_type (RetrieveFutureXTinkerRequestType | Unset):
        x_tinker_create_promise_roundtrip_time (float | Unset):
        body (FutureRetrieveRequest): Body of retrieve_future.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateModelResponse | ForwardBackwardOutput | FutureCompleteMetadataResponse | LoadWeightsResponse | OptimStepResponse | RequestFailedResponse | SampleResponse | SaveWeightsForSamplerResponse | SaveWeightsForSamplerResponseInternal | SaveWeightsResponse | TryAgainResponse | UnloadModelResponse | ErrorResponse | FuturePendingResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_idempotency_key=x_idempotency_key,
        x_tinker_request_iteration=x_tinker_request_iteration,
        x_tinker_request_type=x_tinker_request_type,
        x_tinker_create_promise_roundtrip_time=x_tinker_create_promise_roundtrip_time,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: FutureRetrieveRequest,
    x_idempotency_key: str | Unset = UNSET,
    x_tinker_request_iteration: int | Unset = UNSET,
    x_tinker_request_type: RetrieveFutureXTinkerRequestType | Unset = UNSET,
    x_tinker_create_promise_roundtrip_time: float | Unset = UNSET,
) -> (
    CreateModelResponse
    | ForwardBackwardOutput
    | FutureCompleteMetadataResponse
    | LoadWeightsResponse
    | OptimStepResponse
    | RequestFailedResponse
    | SampleResponse
    | SaveWeightsForSamplerResponse
    | SaveWeightsForSamplerResponseInternal
    | SaveWeightsResponse
    | TryAgainResponse
    | UnloadModelResponse
    | ErrorResponse
    | FuturePendingResponse
    | None
):
    """Long-poll the result of a future.

     The server holds the poll until the result is ready or its wait (decision: at most 40 s, under the
    client's 45 s read timeout) runs out. Answers:

    * 200 with the result (`ForwardBackwardOutput`, `SampleResponse`, ... - the caller knows which from
      the originating call), a `RequestFailedResponse` (body has `error`), or a `TryAgainResponse`
      (`type` = `try_again`: still pending);
    * 408 still pending (decision: the preferred pending answer, because the 0.7.0 client reads
      `queue_state` and `queue_state_reason` only from it); the client re-polls at once;
    * 410 the future expired or broke (sampling re-submits, training surfaces the error);
    * 5xx transient, re-polled at once. Any other 4xx is fatal to the client.

    Args:
        x_idempotency_key (str | Unset):
        x_tinker_request_iteration (int | Unset):
        x_tinker_request_type (RetrieveFutureXTinkerRequestType | Unset):
        x_tinker_create_promise_roundtrip_time (float | Unset):
        body (FutureRetrieveRequest): Body of retrieve_future.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateModelResponse | ForwardBackwardOutput | FutureCompleteMetadataResponse | LoadWeightsResponse | OptimStepResponse | RequestFailedResponse | SampleResponse | SaveWeightsForSamplerResponse | SaveWeightsForSamplerResponseInternal | SaveWeightsResponse | TryAgainResponse | UnloadModelResponse | ErrorResponse | FuturePendingResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_idempotency_key=x_idempotency_key,
            x_tinker_request_iteration=x_tinker_request_iteration,
            x_tinker_request_type=x_tinker_request_type,
            x_tinker_create_promise_roundtrip_time=x_tinker_create_promise_roundtrip_time,
        )
    ).parsed
