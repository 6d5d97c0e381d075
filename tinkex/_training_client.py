"""`TrainingClient`: forward / forward_backward (chunked, metrics merged), optim_step, checkpoints and
sampling clients for one LoRA model, with requests dispatched in call order and never blocked by a
failed or cancelled predecessor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from _tinkex_lowlevel import operations as ops

from tinkex._client_future import ClientFuture, client_future
from tinkex._config import RetryConfig
from tinkex._deprecations import warn_once
from tinkex._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    CircuitOpenError,
    TinkexError,
    TinkexValidationError,
)
from tinkex._policy._chunking import chunk_data
from tinkex._policy._loss_check import check_loss_request
from tinkex._policy._metrics import merge_metrics
from tinkex._policy._polling import QueueStateThrottle
from tinkex._policy._wire_check import (
    check_adam_params,
    check_datums,
    check_int,
    check_loss_fn_config,
    check_text,
    check_user_metadata,
)
from tinkex._runtime._binary import BinaryBody
from tinkex._runtime._core import Runtime, TurnSequencer
from tinkex._runtime._decode import decode
from tinkex._runtime._futures import APIFuture, chain, completed, poll_future
from tinkex._runtime._observe import logger
from tinkex._runtime._protocol import ensure_protocol
from tinkex._runtime._requests import raise_unsupported
from tinkex._runtime._sync import sync_only
from tinkex._runtime._tokenizer import (
    decode_tokens,
    encode_text,
    load_tokenizer,
    no_tokenizer_error,
    server_lists_no_tokenizer,
    tokenizer_id_for,
)
from tinkex.types import (
    AdamParams,
    Datum,
    ForwardBackwardInput,
    ForwardBackwardOutput,
    ForwardBackwardRequest,
    ForwardRequest,
    GetInfoRequest,
    GetInfoResponse,
    LoadWeightsRequest,
    LoadWeightsResponse,
    OptimStepRequest,
    OptimStepResponse,
    SaveWeightsExternalRequest,
    SaveWeightsExternalResponse,
    SaveWeightsForSamplerRequest,
    SaveWeightsForSamplerResponse,
    SaveWeightsForSamplerResponseInternal,
    SaveWeightsRequest,
    SaveWeightsResponse,
    TensorData,
    UntypedAPIFuture,
)

if TYPE_CHECKING:
    from _tinkex_lowlevel.operations import Operation

    from tinkex._regularizers import RegularizerSpec
    from tinkex._sampling_client import SamplingClient
    from tinkex.types import DimuonParams
    from tinkex.types._base import WireModel

__all__ = ["CustomLossFn", "TrainingClient"]

# (data, per-datum logprob tensors) -> (scalar loss tensor, metrics); torch types kept as Any so
# importing tinkex never imports torch.
CustomLossFn = Callable[[list[Datum], list[Any]], tuple[Any, dict[str, float]]]

_QUEUE_REASONS = {
    "paused_rate_limit": "concurrent training clients rate limit hit",
    "paused_capacity": "Tinker backend is running short on capacity, please wait",
}


def _combine(outputs: Sequence[ForwardBackwardOutput]) -> ForwardBackwardOutput:
    if len(outputs) == 1:
        return outputs[0]
    if not outputs:
        return ForwardBackwardOutput(loss_fn_output_type="", loss_fn_outputs=[], metrics={})
    return ForwardBackwardOutput(
        loss_fn_output_type=outputs[0].loss_fn_output_type,
        loss_fn_outputs=[o for out in outputs for o in out.loss_fn_outputs],
        metrics=merge_metrics([(out.metrics, len(out.loss_fn_outputs)) for out in outputs]),
    )


class TrainingClient:
    """Trains one LoRA model: forward_backward + optim_step, checkpoints, sampling from the weights.

    Training calls return an `APIFuture` at once (`.result()` or `await`); their `_async` twins
    return the same future after one await. Calls reach the server in call order.

    Example::

        tc = service_client.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=16)
        fb = tc.forward_backward(data, "cross_entropy")
        opt = tc.optim_step(tinkex.types.AdamParams(learning_rate=1e-4))
        print(fb.result().metrics, opt.result())
    """

    def __init__(self, runtime: Runtime, *, model_id: str, model_seq_id: int | None = None) -> None:
        self._rt = runtime
        self.model_id = model_id
        self.model_seq_id = model_seq_id
        self._sequencer = TurnSequencer()
        self._throttle = QueueStateThrottle()
        self._tokenizer: Any = None

    def __repr__(self) -> str:
        return f"TrainingClient(model_id={self.model_id!r})"

    # -- the ordered core ----------------------------------------------------------------------------

    def _ordered(
        self,
        op: Operation,
        bodies: Sequence[dict[str, Any]],
        binary: Sequence[BinaryBody] | None = None,
    ) -> APIFuture[list[Mapping[str, Any]]]:
        """Take one ticket per body now (call order), dispatch each in turn, then poll all results."""
        self._rt.session.check()
        tickets = self._sequencer.take(len(bodies))
        sequencer = self._sequencer
        # Made before the coroutine exists: the SDK thread may dispatch (and learn the request id)
        # before spawn returns to this thread.
        fut: APIFuture[list[Mapping[str, Any]]] = self._rt.new_future()

        def note(request_id: str) -> None:
            fut.request_id = request_id

        return self._rt.spawn(
            self._dispatch_and_poll(op, tickets, bodies, note, binary),
            cleanup=lambda: sequencer.release(tickets),
            future=fut,
        )

    async def _dispatch_and_poll(
        self,
        op: Operation,
        tickets: list[int],
        bodies: Sequence[dict[str, Any]],
        note: Callable[[str], None] = lambda request_id: None,
        binary: Sequence[BinaryBody] | None = None,
    ) -> list[Mapping[str, Any]]:
        rt = self._rt
        polls: list[asyncio.Task[Mapping[str, Any]]] = []
        send_op = op
        if binary is not None and await ensure_protocol(rt) == "0.38":
            send_op = ops.forward_backward  # 0.38 has no /forward: forward_only says it
        else:
            binary = None
        try:
            for i, (ticket, body) in enumerate(zip(tickets, bodies, strict=True)):
                await self._sequencer.wait_turn(ticket)
                try:
                    rt.session.check()
                    started = time.time()
                    seq_id = self._sequencer.next_seq_id()
                    try:
                        if binary is not None:
                            content, headers = binary[i].wire(seq_id, rt.wire.flag("proto_compress_fwdbwd"))
                            response = await rt.requester.call(send_op, content=content, headers=headers)
                        else:
                            wire = dict(body)
                            wire["seq_id"] = seq_id
                            response = await rt.requester.call(op, body=wire)
                    except APIStatusError as exc:
                        if exc.status_code < 500 and exc.status_code != 409:
                            # Answered 4xx (retries included): the server did not take this request.
                            # A 409 (the same request is in flight), a 5xx or a lost connection say
                            # the server may hold it, so that seq_id stays used.
                            self._sequencer.unuse_seq_id(seq_id)
                        raise (rt.session.lost_error_for(exc) or exc) from exc
                    except CircuitOpenError as exc:
                        if exc.attempts == 0:
                            # The breaker refused before anything was sent: the seq_id was never
                            # seen, and a gap would park every later request of the model.
                            self._sequencer.unuse_seq_id(seq_id)
                        raise
                    except APIConnectionError:
                        raise
                    except Exception:
                        # A local failure (e.g. the body could not be encoded): nothing reached the
                        # server, so the seq_id goes to the next request instead of leaving a gap the
                        # server would wait out. A cancellation is not caught: it may come mid-send.
                        self._sequencer.unuse_seq_id(seq_id)
                        raise
                    request_id = decode(
                        UntypedAPIFuture, response.body, what=op.operation_id, request_id=response.request_id
                    ).request_id
                    if not request_id:
                        raise APIResponseValidationError(
                            f"{op.operation_id} answered without a request_id", body=response.body
                        )
                    note(request_id)
                finally:
                    # The turn passes on as soon as the request is accepted (or failed): dispatch is
                    # ordered, execution and polling are pipelined.
                    self._sequencer.release([ticket])
                polls.append(
                    asyncio.get_running_loop().create_task(
                        poll_future(
                            rt,
                            request_id,
                            send_op,
                            started=started,
                            on_queue_state=self.on_queue_state_change,
                            throttle=self._throttle,
                        )
                    )
                )
            return list(await asyncio.gather(*polls))
        finally:
            self._sequencer.release(tickets)
            for p in polls:
                if not p.done():
                    p.cancel()

    def get_telemetry(self) -> Any:
        """The session's telemetry reporter (shared with the ServiceClient), or None when off.

        Example::

            telemetry = client.get_telemetry()
        """
        return self._rt._telemetry

    def on_queue_state_change(self, queue_state: str, queue_state_reason: str | None = None) -> None:
        """Called (at most once a minute) when the server reports this model's requests paused."""
        if queue_state == "active":
            return
        reason = queue_state_reason or _QUEUE_REASONS.get(queue_state, "unknown")
        logger.warning("Training is paused for %s. Reason: %s", self.model_id, reason)

    # -- forward / forward_backward -------------------------------------------------------------------

    def _fwd(
        self,
        op: Operation,
        request: Callable[[ForwardBackwardInput, str], WireModel],
        data: Sequence[Datum],
        loss_fn: str,
        loss_fn_config: Mapping[str, float | str] | None,
    ) -> APIFuture[ForwardBackwardOutput]:
        # Checked here, in the caller's thread, before the request takes its place in line (a server
        # may answer these mistakes with 5xx that get retried): wire values, then the loss's needs.
        memo: dict[int, Any] = {}  # lists the check packs, reused by the protobuf encoder
        data = check_datums(data, memo=memo)
        config = check_loss_fn_config(loss_fn_config)
        if config and self._rt.protocol == "0.7":
            text = next((k for k, v in config.items() if isinstance(v, str)), None)
            if text is not None:  # JSON's loss_fn_config holds numbers only; 0.38's protobuf carries text
                raise_unsupported(f"loss_fn_config[{text!r}] (a string value)", "0.38", self._rt.protocol)
        check_loss_request(data, loss_fn, config)
        check_text(loss_fn, "loss_fn", "pass a loss name such as 'cross_entropy'")
        if not data:
            return completed(ForwardBackwardOutput(loss_fn_output_type="", loss_fn_outputs=[], metrics={}))
        cfg = self._rt.config
        chunks = chunk_data(data, max_datums=cfg.chunk_max_datums, max_bytes=cfg.chunk_max_bytes)
        bodies = [
            request(
                ForwardBackwardInput(data=chunk, loss_fn=loss_fn, loss_fn_config=config),  # type: ignore[arg-type]
                self.model_id,
            ).to_dict()
            for chunk in chunks
        ]
        binary = [
            BinaryBody(self.model_id, chunk, loss_fn, config, forward_only=op is ops.forward, memo=memo)
            for chunk in chunks
        ]
        if self._rt.protocol == "0.38":
            # Known already (the session negotiated it): encode here, in the caller's thread.
            for b in binary:
                b.encode()
        raw = self._ordered(op, bodies, binary)
        what = f"{op.operation_id} result"

        def combine(results: list[Mapping[str, Any]]) -> ForwardBackwardOutput:
            outputs = [
                decode(ForwardBackwardOutput, r, what=what, request_id=raw.request_id) for r in results
            ]
            try:
                return _combine(outputs)
            except TinkexValidationError as exc:  # a metric key the chunks cannot be merged by
                raise APIResponseValidationError(
                    f"{what} (request id {raw.request_id}): {exc}",
                    body=[o.metrics for o in outputs],
                    request_id=raw.request_id,
                ) from exc

        return chain(raw, combine)

    def forward(
        self, data: list[Datum], loss_fn: str, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> APIFuture[ForwardBackwardOutput]:
        """Forward pass only: per-datum loss outputs (e.g. logprobs) and metrics; no gradients.

        Example::

            out = tc.forward(data, "cross_entropy").result()
            print(out.loss_fn_outputs[0]["logprobs"].tolist())
        """
        return self._fwd(ops.forward, _forward_request, data, loss_fn, loss_fn_config)

    async def forward_async(
        self, data: list[Datum], loss_fn: str, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> APIFuture[ForwardBackwardOutput]:
        """Async twin of `forward` (submitted at once; await the returned future for the result)."""
        return self.forward(data, loss_fn, loss_fn_config)

    def forward_backward(
        self, data: list[Datum], loss_fn: str, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> APIFuture[ForwardBackwardOutput]:
        """Forward and backward pass; gradients accumulate until the next optim_step.

        `loss_fn` is one of cross_entropy, importance_sampling, ppo, cispo, dro. Large batches are
        split into several requests (ClientConfig.chunk_max_datums / chunk_max_bytes) and the
        results joined in order.

        Example::

            fut = tc.forward_backward(data, "cross_entropy")
            print(fut.result().metrics["loss:sum"])
        """
        return self._fwd(ops.forward_backward, _forward_backward_request, data, loss_fn, loss_fn_config)

    async def forward_backward_async(
        self, data: list[Datum], loss_fn: str, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> APIFuture[ForwardBackwardOutput]:
        """Async twin of `forward_backward`: already submitted when this returns.

        Example::

            fb = await tc.forward_backward_async(data, "cross_entropy")
            opt = await tc.optim_step_async(AdamParams())   # both are on the wire now
            print((await fb).metrics, await opt)
        """
        return self.forward_backward(data, loss_fn, loss_fn_config)

    # -- custom loss ---------------------------------------------------------------------------------------

    @sync_only
    def forward_backward_custom(
        self,
        data: list[Datum],
        loss_fn: CustomLossFn,
        *,
        regularizers: Sequence[RegularizerSpec] = (),
        track_grad_norms: bool = False,
        loss_type_input: str | None = None,
    ) -> APIFuture[ForwardBackwardOutput]:
        """forward_backward with a loss computed here by torch autograd (torch must be installed).

        Runs a cross_entropy forward to get per-token logprobs, calls ``loss_fn(data, logprobs)``
        in this thread, then sends a forward_backward whose weights are -dloss/dlogprob, so the
        server's gradient equals the custom loss's. The user's metrics are added to the result.

        Example::

            def loss_fn(data, logprobs):
                loss = -sum(lp.sum() for lp in logprobs)
                return loss, {"custom:sum": float(loss)}

            out = tc.forward_backward_custom(data, loss_fn).result()

        `regularizers` (`RegularizerSpec`s, e.g. `tinkex.l2_regularizer(0.01)`) are added to the
        loss, computed on the same logprobs in one backward pass; the result's metrics then carry
        each term's value and contribution, and with `track_grad_norms` the gradient norms (see
        `CustomLossOutput.from_metrics`).
        """
        _deprecated_loss_type_input(loss_type_input)
        self._rt.check_may_block()
        forward = self.forward(data, "cross_entropy")._wait()
        linear, metrics = _linearize(data, forward, loss_fn, regularizers, track_grad_norms)
        backward = self.forward_backward(linear, "cross_entropy")
        return chain(backward, lambda out: _with_metrics(out, metrics))

    async def forward_backward_custom_async(
        self,
        data: list[Datum],
        loss_fn: CustomLossFn,
        *,
        regularizers: Sequence[RegularizerSpec] = (),
        track_grad_norms: bool = False,
        loss_type_input: str | None = None,
    ) -> APIFuture[ForwardBackwardOutput]:
        """Async twin of `forward_backward_custom`; the loss runs in the caller's thread too."""
        _deprecated_loss_type_input(loss_type_input)
        forward = await self.forward(data, "cross_entropy").result_async()
        linear, metrics = _linearize(data, forward, loss_fn, regularizers, track_grad_norms)
        backward = self.forward_backward(linear, "cross_entropy")
        return chain(backward, lambda out: _with_metrics(out, metrics))

    # -- optimizer and checkpoints -------------------------------------------------------------------------

    def optim_step(
        self, optim_params: AdamParams | DimuonParams | None = None, *, adam_params: AdamParams | None = None
    ) -> APIFuture[OptimStepResponse]:
        """Apply the accumulated gradients: `AdamParams` (0.7.0 and 0.38), or `DimuonParams` for a
        model created with `optimizer=DimuonOptimizerConfig()` (tinker 0.38).

        Example::

            tc.optim_step(AdamParams(learning_rate=1e-4)).result()
        """
        body = self._optim_body(optim_params, adam_params)
        return _single(self._ordered(ops.optim_step, [body]), OptimStepResponse, ops.optim_step)

    def _optim_body(self, optim_params: object, adam_params: object) -> dict[str, Any]:
        from tinkex.types import DimuonParams

        if optim_params is not None and adam_params is not None:
            raise TinkexValidationError(
                self.optim_step.__name__, "got both optim_params and adam_params", "pass one of them"
            )
        value = optim_params if optim_params is not None else adam_params
        if value is None:
            raise TinkexValidationError(
                self.optim_step.__name__, "needs the step's parameters", "pass AdamParams(learning_rate=1e-4)"
            )
        is_dimuon = isinstance(value, DimuonParams) or (
            isinstance(value, Mapping) and value.get("type") == "dimuon"
        )
        if not is_dimuon:
            params = check_adam_params(value)  # named adam_params, as 0.7.0's positional argument was
            # Adam keeps 0.7.0's adam_params field on both generations (the server reads either).
            return OptimStepRequest(adam_params=params, model_id=self.model_id).to_dict()
        if self._rt.protocol == "0.7":
            raise_unsupported(f"{self.optim_step.__name__}(DimuonParams)", "0.38", self._rt.protocol)
        dimuon = value if isinstance(value, DimuonParams) else DimuonParams.from_dict(value)  # type: ignore[arg-type]
        body = OptimStepRequest(adam_params=None, model_id=self.model_id).to_dict()  # type: ignore[arg-type]
        body["optim_params"] = dimuon.to_dict()
        return body

    async def optim_step_async(
        self, optim_params: AdamParams | DimuonParams | None = None, *, adam_params: AdamParams | None = None
    ) -> APIFuture[OptimStepResponse]:
        """Async twin of `optim_step` (submitted when this returns)."""
        return self.optim_step(optim_params, adam_params=adam_params)

    def save_state(
        self,
        name: str,
        ttl_seconds: int | None = None,
        overwrite: bool = False,
        user_metadata: dict[str, str] | None = None,
    ) -> APIFuture[SaveWeightsResponse]:
        """Save weights and optimizer state as a training checkpoint named `name`.

        tinker 0.38 (refused on a 0.7.0 server when set): `ttl_seconds` (the checkpoint expires and
        leaves listings after it), `overwrite` (replace a checkpoint of that name), `user_metadata`
        (stored with it, answered in `Checkpoint.user_metadata`).

        Example::

            path = tc.save_state("step-100", ttl_seconds=86400).result().path  # tinker://<run>/weights/step-100
        """
        _require_name(name, "save_state")
        later = _later_fields(
            self._rt.protocol,
            "save_state",
            ttl_seconds=ttl_seconds,
            overwrite=overwrite,
            user_metadata=user_metadata,
        )
        body = SaveWeightsRequest(model_id=self.model_id, path=name, **later).to_dict()
        return _single(self._ordered(ops.save_weights, [body]), SaveWeightsResponse, ops.save_weights)

    async def save_state_async(
        self,
        name: str,
        ttl_seconds: int | None = None,
        overwrite: bool = False,
        user_metadata: dict[str, str] | None = None,
    ) -> APIFuture[SaveWeightsResponse]:
        """Async twin of `save_state`."""
        return self.save_state(name, ttl_seconds, overwrite, user_metadata)

    def save_weights_external(
        self,
        name: str,
        ttl_seconds: int | None = None,
        age_encryption_recipients: list[str] | None = None,
    ) -> APIFuture[SaveWeightsExternalResponse]:
        """tinker 0.38: export the weights in the Hugging Face (PEFT) format as an `external_weights`
        checkpoint named `name` (`ttl_seconds`: it expires after that; `age_encryption_recipients`:
        encrypt every file to these age/SSH keys, where the server supports it). Download the files
        through `RestClient.get_external_weights_urls(path)`. Refused on a 0.7.0 server.

        Example::

            path = tc.save_weights_external("export-1").result().path
            urls = tinkex.RestClient().get_external_weights_urls(path).result().urls
        """
        method = self.save_weights_external.__name__
        _require_name(name, method)
        if ttl_seconds is not None:
            check_int(ttl_seconds, f"{method}(ttl_seconds)", lo=1)
        if age_encryption_recipients is not None:
            for i, key in enumerate(age_encryption_recipients):
                check_text(key, f"{method}(age_encryption_recipients[{i}])", "pass age1... keys")
        body = SaveWeightsExternalRequest(
            model_id=self.model_id,
            path=name,
            ttl_seconds=ttl_seconds,
            age_encryption_recipients=age_encryption_recipients,
        ).to_dict()
        op = ops.save_weights_external
        return _single(self._ordered(op, [body]), SaveWeightsExternalResponse, op)

    async def save_weights_external_async(
        self,
        name: str,
        ttl_seconds: int | None = None,
        age_encryption_recipients: list[str] | None = None,
    ) -> APIFuture[SaveWeightsExternalResponse]:
        """Async twin of `save_weights_external`."""
        return self.save_weights_external(name, ttl_seconds, age_encryption_recipients)

    def _load(
        self, path: str, optimizer: bool, weights_access_token: str | None = None
    ) -> APIFuture[LoadWeightsResponse]:
        _require_name(path, "load_state")
        later = _later_fields(self._rt.protocol, "load_state", weights_access_token=weights_access_token)
        body = LoadWeightsRequest(model_id=self.model_id, path=path, optimizer=optimizer, **later).to_dict()
        return _single(self._ordered(ops.load_weights, [body]), LoadWeightsResponse, ops.load_weights)

    def load_state(
        self, path: str, weights_access_token: str | None = None
    ) -> APIFuture[LoadWeightsResponse]:
        """Load weights (not optimizer state) from a tinker:// checkpoint path; `weights_access_token`
        (tinker 0.38) reads a checkpoint shared by token.

        Example::

            tc.load_state("tinker://run-1/weights/step-100").result()
        """
        return self._load(path, False, weights_access_token)

    async def load_state_async(
        self, path: str, weights_access_token: str | None = None
    ) -> APIFuture[LoadWeightsResponse]:
        """Async twin of `load_state`."""
        return self.load_state(path, weights_access_token)

    def load_state_with_optimizer(
        self, path: str, weights_access_token: str | None = None
    ) -> APIFuture[LoadWeightsResponse]:
        """Load weights and optimizer state from a tinker:// checkpoint path.

        Example::

            tc.load_state_with_optimizer("tinker://run-1/weights/step-100").result()
        """
        return self._load(path, True, weights_access_token)

    async def load_state_with_optimizer_async(
        self, path: str, weights_access_token: str | None = None
    ) -> APIFuture[LoadWeightsResponse]:
        """Async twin of `load_state_with_optimizer`."""
        return self.load_state_with_optimizer(path, weights_access_token)

    def save_weights_for_sampler(
        self, name: str, ttl_seconds: int | None = None, user_metadata: dict[str, str] | None = None
    ) -> APIFuture[SaveWeightsForSamplerResponse]:
        """Save the current weights for sampling under `name` (`ttl_seconds`, `user_metadata`: tinker
        0.38, see `save_state`).

        Example::

            path = tc.save_weights_for_sampler("s1").result().path  # tinker://<run>/sampler_weights/s1
        """
        _require_name(name, self.save_weights_for_sampler.__name__)
        later = _later_fields(
            self._rt.protocol,
            self.save_weights_for_sampler.__name__,
            ttl_seconds=ttl_seconds,
            user_metadata=user_metadata,
        )
        body = SaveWeightsForSamplerRequest(model_id=self.model_id, path=name, **later).to_dict()

        raw = self._ordered(ops.save_weights_for_sampler, [body])

        def convert(results: list[Mapping[str, Any]]) -> SaveWeightsForSamplerResponse:
            what = "save_weights_for_sampler result"
            internal = decode(
                SaveWeightsForSamplerResponseInternal, results[0], what=what, request_id=raw.request_id
            )
            if not internal.path:
                raise APIResponseValidationError(
                    f"{what} has no path (request id {raw.request_id})",
                    body=results[0],
                    request_id=raw.request_id,
                )
            return SaveWeightsForSamplerResponse(path=internal.path)

        return chain(raw, convert)

    async def save_weights_for_sampler_async(
        self, name: str, ttl_seconds: int | None = None, user_metadata: dict[str, str] | None = None
    ) -> APIFuture[SaveWeightsForSamplerResponse]:
        """Async twin of `save_weights_for_sampler`."""
        return self.save_weights_for_sampler(name, ttl_seconds, user_metadata)

    def save_weights_and_get_sampling_client_submit(
        self,
        retry_config: RetryConfig | None = None,
        record_stability_info: bool = False,
        kind: str = "snapshot",
    ) -> APIFuture[SamplingClient]:
        """Save the current weights ephemerally (in training order) and get a SamplingClient on them."""
        from tinkex._sampling_client import SamplingClient
        from tinkex._service_client import check_record_stability_info

        record = check_record_stability_info(record_stability_info, self._rt.protocol)
        if kind not in _SAMPLER_KINDS:
            raise TinkexValidationError(
                "kind",
                f"must be one of {', '.join(_SAMPLER_KINDS)}, got {kind!r:.40}",
                "pass kind='snapshot'",
            )
        later = (
            {}
            if kind == "snapshot"
            else _later_fields(self._rt.protocol, "save_weights_and_get_sampling_client", kind=kind)
        )
        seq = self._rt.next_sampling_session_seq_id()
        body = SaveWeightsForSamplerRequest(
            model_id=self.model_id, sampling_session_seq_id=seq, **later
        ).to_dict()
        rt = self._rt

        raw = self._ordered(ops.save_weights_for_sampler, [body])

        def convert(results: list[Mapping[str, Any]]) -> SamplingClient:
            what = "save_weights_for_sampler (ephemeral) result"
            internal = decode(
                SaveWeightsForSamplerResponseInternal, results[0], what=what, request_id=raw.request_id
            )
            if not internal.sampling_session_id:
                raise APIResponseValidationError(
                    f"{what} has no sampling_session_id (request id {raw.request_id})",
                    body=results[0],
                    request_id=raw.request_id,
                )
            client = SamplingClient(
                rt,
                sampling_session_id=internal.sampling_session_id,
                retry_config=retry_config,
                tokenizer_loader=self.get_tokenizer,
            )
            client._record_stability_info = record
            return client

        return chain(raw, convert)

    def save_weights_and_get_sampling_client(
        self,
        name: str | None = None,
        retry_config: RetryConfig | None = None,
        record_stability_info: bool = False,
        kind: str = "snapshot",
    ) -> ClientFuture[SamplingClient]:
        """Sample from the current weights: a future of the SamplingClient (tinker 0.38; 0.7.0-style
        code may use it as the client). `name` has no effect (announced once, as 0.38 does);
        `kind` (0.38) is "snapshot" (the weights now) or "live".

        Example::

            sc = tc.save_weights_and_get_sampling_client().result()
            print(sc.sample(prompt, 1, SamplingParams(max_tokens=8)).result())
        """
        _deprecated_sampler_name(name)
        self._rt.check_may_block()  # on the SDK loop thread it could never be waited for
        return client_future(
            self.save_weights_and_get_sampling_client_submit(retry_config, record_stability_info, kind)
        )

    async def save_weights_and_get_sampling_client_async(
        self,
        name: str | None = None,
        retry_config: RetryConfig | None = None,
        record_stability_info: bool = False,
        kind: str = "snapshot",
    ) -> SamplingClient:
        """Async twin of `save_weights_and_get_sampling_client` (returns the client)."""
        _deprecated_sampler_name(name)
        submitted = self.save_weights_and_get_sampling_client_submit(
            retry_config, record_stability_info, kind
        )
        return await submitted.result_async()

    def create_sampling_client(
        self, model_path: str, retry_config: RetryConfig | None = None, record_stability_info: bool = False
    ) -> ClientFuture[SamplingClient]:
        """A SamplingClient for a saved sampler checkpoint (tinker:// path): a future of it (tinker
        0.38; 0.7.0-style code may use it as the client).

        Example::

            sc = tc.create_sampling_client(tc.save_weights_for_sampler("s").result().path).result()
        """
        from tinkex._service_client import check_record_stability_info

        record = check_record_stability_info(record_stability_info, self._rt.protocol)
        self._rt.check_may_block()  # on the SDK loop thread it could never be waited for
        return client_future(self._rt.spawn(self._sampling_client(model_path, retry_config, record)))

    async def _sampling_client(
        self, model_path: str, retry_config: RetryConfig | None, record: bool
    ) -> SamplingClient:
        from tinkex._sampling_client import create_sampling_session

        sc = await create_sampling_session(self._rt, model_path=model_path, retry_config=retry_config)
        sc._tokenizer_loader = self.get_tokenizer
        sc._record_stability_info = record
        return sc

    async def create_sampling_client_async(
        self, model_path: str, retry_config: RetryConfig | None = None, record_stability_info: bool = False
    ) -> SamplingClient:
        """Async twin of `create_sampling_client` (returns the client)."""
        from tinkex._service_client import check_record_stability_info

        record = check_record_stability_info(record_stability_info, self._rt.protocol)
        return await self._rt.run_async(self._sampling_client(model_path, retry_config, record))

    # -- info and tokenizer --------------------------------------------------------------------------------

    async def _get_info(self) -> GetInfoResponse:
        response = await self._rt.requester.call(
            ops.get_info, body=GetInfoRequest(model_id=self.model_id).to_dict()
        )
        return decode(
            GetInfoResponse, response.body, what=ops.get_info.operation_id, request_id=response.request_id
        )

    @sync_only
    def get_info(self) -> GetInfoResponse:
        """Blocking: the model's base model, LoRA rank and tokenizer id.

        Example::

            print(tc.get_info().model_data.tokenizer_id)
        """
        return self._rt.run(self._get_info())

    async def get_info_async(self) -> GetInfoResponse:
        """Async twin of `get_info`."""
        return await self._rt.run_async(self._get_info())

    def get_tokenizer(self) -> Any:
        """The model's HuggingFace tokenizer (needs `transformers`; cached per client).

        Example::

            tok = tc.get_tokenizer()
            prompt = tinkex.types.ModelInput.from_ints(tok.encode("Hello"))
        """
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self._rt.run(self._tokenizer_id()))
        return self._tokenizer

    def encode(self, text: str, *, add_special_tokens: bool = True) -> list[int]:
        """Token ids of `text` with this model's tokenizer (see `get_tokenizer`; loaded once).

        Example::

            ids = tc.encode("1+2=")
            prompt = tinkex.types.ModelInput.from_ints(ids)
        """
        return encode_text(self.get_tokenizer(), text, add_special_tokens=add_special_tokens)

    def decode(self, tokens: Any, *, skip_special_tokens: bool = False) -> str:
        """Text of `tokens` (ints, a ModelInput or a SampledSequence) with this model's tokenizer.

        Example::

            print(tc.decode(result.sequences[0].tokens))
        """
        return decode_tokens(self.get_tokenizer(), tokens, skip_special_tokens=skip_special_tokens)

    async def _tokenizer_id(self) -> str:
        info = await self._get_info()
        data = info.model_data
        listed = getattr(data, "tokenizer_id", None)
        base_model = getattr(data, "model_name", None) or info.model_name
        if not listed and base_model:
            # Before guessing a hub name from the model name: does the server say it has none?
            response = await self._rt.requester.call(ops.get_server_capabilities)
            if server_lists_no_tokenizer(response.body, base_model):
                raise no_tokenizer_error(base_model)
        return tokenizer_id_for(listed, base_model)


_R = TypeVar("_R", OptimStepResponse, SaveWeightsResponse, LoadWeightsResponse, SaveWeightsExternalResponse)


async def create_via_load(
    rt: Runtime,
    path: str,
    *,
    optimizer: bool,
    user_metadata: Mapping[str, Any] | None,
    weights_access_token: str | None = None,
    optimizer_config: Any = None,
) -> TrainingClient:
    """tinker >= 0.38: a training client from a checkpoint in one load_weights request without a
    model_id; the server creates the model `{session_id}:train:{model_seq_id}` from the checkpoint.
    A creation that fails on this side (410, deadline, cancellation) unloads that model, as
    create_model does."""
    _require_name(path, "load_state")
    session_id = await rt.session.ensure()
    model_seq_id = rt.next_model_seq_id()
    model_id = f"{session_id}:train:{model_seq_id}"  # the id the server derives
    body: dict[str, Any] = LoadWeightsRequest(
        model_id=model_id,
        path=path,
        optimizer=optimizer,
        session_id=session_id,
        model_seq_id=model_seq_id,
        user_metadata=dict(user_metadata) if user_metadata else None,
        weights_access_token=weights_access_token,
        optimizer_config=optimizer_config,
    ).to_dict()
    del body["model_id"]  # no model_id: create the model from the checkpoint
    started = time.time()
    try:
        response = await rt.requester.call(ops.load_weights, body=body)
    except APIStatusError as exc:
        raise (rt.session.lost_error_for(exc) or exc) from exc
    rid = decode(
        UntypedAPIFuture, response.body, what=ops.load_weights.operation_id, request_id=response.request_id
    ).request_id
    if not rid:
        raise APIResponseValidationError("load_weights answered without a request_id", body=response.body)
    rt.creating_models.add(model_id)
    try:
        result = await poll_future(rt, rid, ops.load_weights, started=started)
        loaded = decode(LoadWeightsResponse, result, what="load_weights result", request_id=rid)
    except BaseException:
        await rt.unload_orphan(model_id)
        raise
    rt.creating_models.discard(model_id)
    created = result.get("model_id") if isinstance(result, Mapping) else None
    if isinstance(created, str) and created and created != model_id:
        model_id = created  # the server named it (it should be the derived id)
    logger.info("TrainingClient initialized for model %s from %s", model_id, loaded.path or path)
    return TrainingClient(rt, model_id=model_id, model_seq_id=model_seq_id)


def _forward_request(batch: ForwardBackwardInput, model_id: str) -> ForwardRequest:
    return ForwardRequest(forward_input=batch, model_id=model_id)


def _forward_backward_request(batch: ForwardBackwardInput, model_id: str) -> ForwardBackwardRequest:
    return ForwardBackwardRequest(forward_backward_input=batch, model_id=model_id)


def _single(raw: APIFuture[list[Mapping[str, Any]]], cls: type[_R], op: Operation) -> APIFuture[_R]:
    """The typed result of a one-request operation, decoded with the request id at hand."""
    what = f"{op.operation_id} result"
    return chain(raw, lambda r: decode(cls, r[0], what=what, request_id=raw.request_id))


_SAMPLER_KINDS = ("snapshot", "live")


def _later_fields(protocol: str, method: str, **values: Any) -> dict[str, Any]:
    """The tinker 0.38 keyword arguments of `method` that were set (not None / False), checked; on a
    connection speaking 0.7 a set one is refused before anything is sent."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or value is False:
            continue
        if name == "ttl_seconds":
            check_int(
                value,
                f"{method}(ttl_seconds)",
                lo=1,
                fix="pass a number of seconds >= 1, or None (never expires)",
            )
        elif name == "overwrite":
            if value is not True:
                raise TinkexValidationError(
                    f"{method}(overwrite)", f"must be True or False, got {value!r:.40}", ""
                )
        elif name == "user_metadata":
            value = check_user_metadata(value)
        elif name in ("weights_access_token", "kind"):
            if not isinstance(value, str) or not value:
                raise TinkexValidationError(
                    f"{method}({name})", f"must be a non-empty string, got {value!r:.40}", ""
                )
            check_text(value, f"{method}({name})")
        out[name] = value
    if out and protocol == "0.7":
        raise_unsupported(f"{method}({sorted(out)[0]}=...)", "0.38", protocol)
    return out


def _deprecated_sampler_name(name: object) -> None:
    if name is not None:
        warn_once(
            "save_weights_and_get_sampling_client.name",
            "save_weights_and_get_sampling_client(name=...) is deprecated and has no effect (tinker 0.38): "
            "its checkpoint is ephemeral; use save_weights_for_sampler(name) + create_sampling_client(path) "
            "for a kept one",
            DeprecationWarning,
            stacklevel=4,
        )


def _deprecated_loss_type_input(value: object) -> None:
    if value is not None:
        warn_once(
            "forward_backward_custom.loss_type_input",
            "forward_backward_custom(loss_type_input=...) is deprecated (tinker 0.38): the loss always "
            "receives logprobs; remove the argument",
            DeprecationWarning,
            stacklevel=4,
        )
        if value != "logprobs":
            raise TinkexValidationError(
                "forward_backward_custom(loss_type_input)",
                f"must be 'logprobs', got {value!r:.40}",
                "remove it",
            )


def _require_name(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        if what.startswith("load"):
            fix = "pass the tinker:// path save_state returned, e.g. 'tinker://<run>/weights/step-100'"
            field = f"{what}(path)"
        else:
            fix = "pass a checkpoint name such as 'step-100'"
            field = f"{what}(name)"
        raise TinkexValidationError(field, f"must be a non-empty string, got {value!r}", fix)
    check_text(value, f"{what}({'path' if what.startswith('load') else 'name'})", "use plain UTF-8 text")


def _with_metrics(out: ForwardBackwardOutput, metrics: Mapping[str, float]) -> ForwardBackwardOutput:
    merged = dict(out.metrics)
    merged.update(metrics)
    return ForwardBackwardOutput(
        loss_fn_output_type=out.loss_fn_output_type, loss_fn_outputs=out.loss_fn_outputs, metrics=merged
    )


def _linearize(
    data: Sequence[Datum],
    forward: ForwardBackwardOutput,
    loss_fn: CustomLossFn,
    regularizers: Sequence[RegularizerSpec] = (),
    track_grad_norms: bool = False,
) -> tuple[list[Datum], dict[str, float]]:
    """Run the user's loss on leaf logprob tensors and turn its gradient into cross_entropy weights."""
    try:
        import torch
    except ImportError as exc:
        raise TinkexError("forward_backward_custom needs torch: pip install 'tinkex[torch]'") from exc
    if len(forward.loss_fn_outputs) != len(data):
        raise APIResponseValidationError(
            f"forward returned {len(forward.loss_fn_outputs)} outputs for {len(data)} datums"
        )
    logprobs = []
    for out in forward.loss_fn_outputs:
        td = out["logprobs"]
        tensor = td.to_torch() if isinstance(td, TensorData) else torch.tensor(td)
        logprobs.append(tensor.detach().to(torch.float32).clone().requires_grad_(True))
    if regularizers or track_grad_norms:
        from tinkex._regularizers import run_custom_loss

        figures, user_metrics = run_custom_loss(
            data, logprobs, loss_fn, regularizers, track_grad_norms=track_grad_norms
        )
        metrics: Mapping[str, Any] = {**user_metrics, **figures.to_metrics()}
    else:
        loss, metrics = loss_fn(list(data), logprobs)
        loss.backward()
    linear = []
    for datum, lp in zip(data, logprobs, strict=True):
        if lp.grad is None:
            raise TinkexValidationError(
                "forward_backward_custom(loss_fn)",
                "the loss does not depend on every logprob tensor (no gradient computed)",
                "make the returned loss a function of each tensor in the logprobs list",
            )
        if "target_tokens" not in datum.loss_fn_inputs:
            raise TinkexValidationError(
                "Datum.loss_fn_inputs['target_tokens']",
                "is required by forward_backward_custom",
                "add target_tokens to every datum",
            )
        linear.append(
            Datum(
                model_input=datum.model_input,
                loss_fn_inputs={
                    "target_tokens": datum.loss_fn_inputs["target_tokens"],
                    # cross_entropy is -sum(w * logp): weights -dL/dlogp give the custom gradient.
                    "weights": TensorData.from_torch(-lp.grad.reshape(lp.shape)),
                },
            )
        )
    return linear, {k: float(v) for k, v in dict(metrics).items()}
