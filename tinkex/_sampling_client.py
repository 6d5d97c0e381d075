"""`SamplingClient`: sample and compute_logprobs against a sampling session, with the session-wide
concurrency cap, in-flight byte budget and 429 back-pressure (a throttled window); picklable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from _tinkex_lowlevel import operations as ops

from tinkex._config import ClientConfig, RetryConfig
from tinkex._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    GoneError,
    InternalServerError,
    TinkexValidationError,
    status_error_for,
)
from tinkex._policy._chunking import estimate_chunk_bytes
from tinkex._policy._polling import QueueStateThrottle
from tinkex._policy._retry import backoff_delay, parse_retry_after
from tinkex._policy._sampling import sample_backoff_seconds
from tinkex._policy._wire_check import check_model_input, check_sampling_params, check_text
from tinkex._runtime import _waits
from tinkex._runtime._core import Runtime
from tinkex._runtime._decode import decode
from tinkex._runtime._futures import APIFuture, UnreachableError, poll_future
from tinkex._runtime._observe import logger
from tinkex._runtime._protocol import ensure_protocol
from tinkex._runtime._sync import sync_only
from tinkex._runtime._tokenizer import (
    decode_tokens,
    encode_text,
    load_tokenizer,
    no_tokenizer_error,
    server_lists_no_tokenizer,
    tokenizer_id_for,
    tokenizer_id_from_capabilities,
)
from tinkex._runtime._transport import RawResponse
from tinkex._tinker_path import parse_tinker_path
from tinkex.types import (
    CreateSamplingSessionRequest,
    CreateSamplingSessionResponse,
    GetInfoRequest,
    GetInfoResponse,
    GetSamplerResponse,
    ModelInput,
    SampleResponse,
    SamplingParams,
    TensorData,
)

__all__ = ["SamplingClient", "create_sampling_session"]

_ASAMPLE_ID = ops.asample.operation_id
_ASAMPLE = f"{ops.asample.method} {ops.asample.path}"  # as status errors name a request

_QUEUE_REASONS = {
    "paused_rate_limit": "concurrent sampler weights limit hit",
    "paused_capacity": "Tinker backend is running short on capacity, please wait",
}


async def create_sampling_session(
    rt: Runtime,
    *,
    model_path: str | None = None,
    base_model: str | None = None,
    retry_config: RetryConfig | None = None,
) -> SamplingClient:
    """create_sampling_session on the session pool, then a SamplingClient bound to it."""
    if model_path is None and base_model is None:
        raise TinkexValidationError(
            "create_sampling_client",
            "needs model_path or base_model",
            "pass model_path='tinker://...' or base_model='...'",
        )
    if model_path is not None:
        check_text(model_path, "model_path", "pass the tinker:// path save_weights_for_sampler returned")
    if base_model is not None:
        check_text(base_model, "base_model", "pass a model name, see get_server_capabilities()")
    if model_path is not None and not model_path.startswith("tinker://"):
        raise TinkexValidationError(
            "model_path",
            f"must start with 'tinker://', got {model_path!r}",
            "pass the path save_weights_for_sampler returned",
        )
    session_id = await rt.session.ensure()
    await rt.ensure_telemetry()
    body = CreateSamplingSessionRequest(
        session_id=session_id,
        sampling_session_seq_id=rt.next_sampling_session_seq_id(),
        base_model=base_model,
        model_path=model_path,
    ).to_dict()
    try:
        response = await rt.requester.call(ops.create_sampling_session, body=body)
    except APIStatusError as exc:
        raise (rt.session.lost_error_for(exc) or exc) from exc
    sid = decode(
        CreateSamplingSessionResponse,
        response.body,
        what=ops.create_sampling_session.operation_id,
        request_id=response.request_id,
    ).sampling_session_id
    if not sid:
        raise APIResponseValidationError(
            "create_sampling_session answered without a sampling_session_id", body=response.body
        )
    return SamplingClient(
        rt, sampling_session_id=sid, retry_config=retry_config, base_model=base_model, model_path=model_path
    )


def with_sequence_ids(result: Mapping[str, Any], ids: Sequence[str]) -> Mapping[str, Any]:
    """A sample result whose sequences carry their `sequence_id` (already set ones are kept)."""
    seqs = result.get("sequences")
    if not isinstance(seqs, list) or all(isinstance(q, Mapping) and "sequence_id" in q for q in seqs):
        return result
    named = [
        {**q, "sequence_id": ids[i]}
        if isinstance(q, Mapping) and "sequence_id" not in q and i < len(ids)
        else q
        for i, q in enumerate(seqs)
    ]
    return {**result, "sequences": named}


def _rate_limited(response: RawResponse) -> APIStatusError:
    """The RateLimitError raised when 429s outlast RetryConfig.progress_timeout."""
    return status_error_for(
        429, f"{response.method} {response.path}", body=response.body, headers=response.headers
    )


def _prompt_bytes(prompt: ModelInput) -> int:
    return sum(estimate_chunk_bytes(c) for c in prompt.chunks)


class SamplingClient:
    """Generates from a base model or saved weights; safe to share across threads and to pickle.

    `sample` / `compute_logprobs` return futures (`.result()` or `await`); the `_async` twins return
    the value. A 429 makes that request wait and resubmit while the ServiceClient's other samples go
    on through a throttled window (fewer in flight, a smaller byte budget, recovering over ~20 s;
    `ClientConfig.sampling_backpressure="pause"` restores 0.7.0's session-wide pause); a 410 (expired
    result) resubmits; a failed request raises RequestFailedError.

    Example::

        sc = service_client.create_sampling_client(base_model="Qwen/Qwen3-8B")
        params = tinkex.types.SamplingParams(max_tokens=20, temperature=0.7, seed=1)
        res = sc.sample(tinkex.types.ModelInput.from_ints([1, 2, 3]), 2, params).result()
        print([s.tokens for s in res.sequences])
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        sampling_session_id: str,
        retry_config: RetryConfig | None = None,
        base_model: str | None = None,
        model_path: str | None = None,
        owns_runtime: bool = False,
        tokenizer_loader: Callable[[], Any] | None = None,
    ) -> None:
        self._rt = runtime
        # Set when made from a TrainingClient: its get_info knows the exact tokenizer (often a local
        # path on a local server), which a base model name alone may not.
        self._tokenizer_loader = tokenizer_loader
        self._sampling_session_id = sampling_session_id
        self._retry = retry_config or runtime.config.retry
        self._retry_config = retry_config
        self._base_model = base_model
        self._model_path = model_path
        self._owns_runtime = owns_runtime
        self._seq_id = 0
        # request id -> its sample_sequence_ids (0.38), from acceptance until its result is decoded.
        self._sequence_ids: dict[str, list[str]] = {}
        # RetryConfig.max_connections bounds this client's sample calls in flight (dispatch + poll),
        # as the official per-sampler retry handler does; the session-wide cap applies on top.
        self._inflight = asyncio.Semaphore(self._retry.max_connections)
        self._throttle = QueueStateThrottle()
        self._tokenizer: Any = None
        # tinker 0.38: create_sampling_client(record_stability_info=True) sends it with every sample.
        self._record_stability_info = False

    @property
    def sampling_session_id(self) -> str:
        return self._sampling_session_id

    def __repr__(self) -> str:
        return f"SamplingClient(sampling_session_id={self._sampling_session_id!r})"

    # -- pickling: the config travels, the connection is re-created on unpickle -----------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "config": self._rt.config,
            "sampling_session_id": self._sampling_session_id,
            "retry_config": self._retry_config,
            "base_model": self._base_model,
            "model_path": self._model_path,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        config: ClientConfig = state["config"]
        self.__init__(  # type: ignore[misc]
            Runtime(config, start_telemetry=False),
            sampling_session_id=state["sampling_session_id"],
            retry_config=state["retry_config"],
            base_model=state["base_model"],
            model_path=state["model_path"],
            owns_runtime=True,
        )

    def close(self) -> None:
        """Close the connection of an unpickled client (a no-op for one owned by a ServiceClient)."""
        if self._owns_runtime:
            self._rt.close()

    # -- sampling core ---------------------------------------------------------------------------------------

    def get_telemetry(self) -> Any:
        """The session's telemetry reporter (shared with the ServiceClient), or None when off.

        Example::

            telemetry = client.get_telemetry()
        """
        return self._rt._telemetry

    def on_queue_state_change(self, queue_state: str, queue_state_reason: str | None = None) -> None:
        """Called (at most once a minute) when the server reports this sampler's requests paused."""
        if queue_state == "active":
            return
        reason = queue_state_reason or _QUEUE_REASONS.get(queue_state, "unknown")
        logger.warning("Sampling is paused for sampler %s. Reason: %s", self._sampling_session_id, reason)

    async def _send_asample(self, wire: dict[str, Any]) -> RawResponse:
        try:
            return await self._rt.requester.call(
                ops.asample,
                body=wire,
                headers={"X-Tinker-Sampling-Backpressure": "1"},
                max_retries=self._retry.max_retries if self._retry.enable_retry_logic else 0,
                ok_statuses=(429,),
            )
        except APIStatusError as exc:
            raise (self._rt.session.lost_error_for(exc) or exc) from exc

    async def _dispatch(self, body: dict[str, Any], prompt_bytes: int) -> tuple[str, float]:
        """Send asample under the session's caps; on 429 wait and resend. -> (request_id, t0).

        "throttle" (default): the 429'd request alone waits; the session's other samples go on
        through a throttled window (see _policy._sampling). "pause": 0.7.0's session-wide pause."""
        rt = self._rt
        deadline = time.monotonic() + self._retry.progress_timeout
        throttle = rt.config.sampling_backpressure == "throttle"
        async with rt.sample_semaphore:
            if throttle:
                while True:
                    # The byte cost depends on the slot's factor, so the holds cannot be one `with`.
                    async with rt.sample_throttle.slot() as factor:  # noqa: SIM117
                        async with rt.sample_bytes.hold(int(prompt_bytes * factor)):
                            result = await self._send_once(body)
                    if isinstance(result, tuple):
                        return result
                    retry_after = parse_retry_after(result.headers)
                    rt.sample_throttle.on_429(prompt_bytes, retry_after)
                    await self._after_429(result, prompt_bytes, retry_after, deadline, "sampling throttled")
            async with rt.sample_bytes.hold(prompt_bytes):
                while True:
                    pause = rt.sample_pause_until - time.monotonic()
                    if pause > 0 and not _waits.is_zeroed():
                        await _waits.sleep(pause)
                        continue
                    result = await self._send_once(body)
                    if isinstance(result, tuple):
                        return result
                    pause_s = sample_backoff_seconds(prompt_bytes, parse_retry_after(result.headers))
                    if time.monotonic() > deadline:
                        raise _rate_limited(result)
                    rt.sample_pause_until = max(rt.sample_pause_until, time.monotonic() + pause_s)
                    rt.observer.emit(
                        "retry", _ASAMPLE_ID, status=429, delay_s=pause_s, reason="sampling back-pressure"
                    )

    async def _after_429(
        self,
        response: RawResponse,
        prompt_bytes: int,
        retry_after: float | None,
        deadline: float,
        reason: str,
    ) -> None:
        """The 429'd request's own wait before it is resent (nobody else waits for it)."""
        if time.monotonic() > deadline:
            raise _rate_limited(response)
        wait = sample_backoff_seconds(prompt_bytes, retry_after)
        self._rt.observer.emit("retry", _ASAMPLE_ID, status=429, delay_s=wait, reason=reason)
        await _waits.sleep(wait)

    async def _send_once(self, body: dict[str, Any]) -> tuple[str, float] | RawResponse:
        """One asample: (request_id, t0) when accepted, the 429 response when throttled."""
        wire = dict(body)
        wire["seq_id"] = self._seq_id
        self._seq_id += 1
        started = time.time()
        response = await self._send_asample(wire)
        if response.status == 429:
            return response
        data = response.body
        rid = data.get("request_id") if isinstance(data, Mapping) else None
        if not isinstance(rid, str) or not rid:
            raise APIResponseValidationError("asample answered without a request_id", body=data)
        # tinker >= 0.38 names every sampled sequence (provenance spans refer to these ids).
        ids = data.get("sample_sequence_ids") if isinstance(data, Mapping) else None
        if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
            self._sequence_ids[rid] = ids
        return rid, started

    async def _sample(
        self,
        prompt: ModelInput,
        num_samples: int,
        sampling_params: SamplingParams,
        include_prompt_logprobs: bool,
        topk_prompt_logprobs: int,
        fut: APIFuture[Any] | None = None,
        extras: Mapping[str, Any] | None = None,
    ) -> SampleResponse:
        rt = self._rt
        rt.session.check()
        if not rt.wire.known:  # e.g. an unpickled client: no session negotiated the generation yet
            await ensure_protocol(rt)
        body = {
            "num_samples": num_samples,
            "prompt": prompt.to_dict(),
            "sampling_params": sampling_params.to_dict(),
            "sampling_session_id": self._sampling_session_id,
            "prompt_logprobs": include_prompt_logprobs,
            "topk_prompt_logprobs": topk_prompt_logprobs,
            "type": "sample",
        }
        if extras:  # tinker 0.38 fields, only when asked for (0.7.0 bodies stay as they were)
            body.update(extras)
        if self._record_stability_info:
            body["record_stability_info"] = True
        prompt_bytes = _prompt_bytes(prompt)
        async with self._inflight:
            return await self._sample_with_retries(body, prompt_bytes, fut)

    async def _sample_with_retries(
        self, body: dict[str, Any], prompt_bytes: int, fut: APIFuture[Any] | None
    ) -> SampleResponse:
        rt = self._rt
        attempt = 0
        while True:
            try:
                request_id, started = await self._dispatch(body, prompt_bytes)
                if fut is not None:
                    fut.request_id = request_id  # named by FutureTimeoutError from now on
                sequence_ids = self._sequence_ids.pop(request_id, None)
                result = await poll_future(
                    rt,
                    request_id,
                    ops.asample,
                    started=started,
                    on_queue_state=self.on_queue_state_change,
                    throttle=self._throttle,
                    sequence_ids=sequence_ids,
                )
                if sequence_ids is not None:
                    result = with_sequence_ids(result, sequence_ids)
                return decode(SampleResponse, result, what="sample result", request_id=request_id)
            except (GoneError, APIConnectionError, InternalServerError) as exc:
                # Sampling has no side effects, so resubmitting an expired (410) or unreachable
                # request is safe; RequestFailedError and 4xx are never retried. A poll that already
                # spent the connection-error budget is not resubmitted (that would spend it twice).
                if (
                    not self._retry.enable_retry_logic
                    or attempt >= self._retry.max_retries
                    or isinstance(exc, UnreachableError)
                ):
                    raise
                delay = backoff_delay(
                    attempt,
                    base=self._retry.retry_delay_base,
                    max_delay=self._retry.retry_delay_max,
                    jitter=self._retry.jitter_factor,
                    rand=rt.requester._rand,
                )
                rt.observer.emit(
                    "retry",
                    _ASAMPLE_ID,
                    attempt=attempt + 1,
                    delay_s=delay,
                    error_type=type(exc).__name__,
                    reason="resubmitting the sample request",
                )
                attempt += 1
                await _waits.sleep(delay)

    def _check_args(self, num_samples: int, topk_prompt_logprobs: int) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
            raise TinkexValidationError(
                "num_samples", f"must be an int >= 1, got {num_samples!r}", "pass num_samples=1"
            )
        if not isinstance(topk_prompt_logprobs, int) or topk_prompt_logprobs < 0:
            raise TinkexValidationError(
                "topk_prompt_logprobs",
                f"must be an int >= 0, got {topk_prompt_logprobs!r}",
                "pass 0 to disable",
            )

    def sample(
        self,
        prompt: ModelInput,
        num_samples: int,
        sampling_params: SamplingParams,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
        target_prompt_logprobs: TensorData | None = None,
        prompt_alt_tokens_k: int = 0,
        prompt_logprobs_last_n: int | None = None,
    ) -> APIFuture[SampleResponse]:
        """Sample `num_samples` continuations of `prompt`; returns a future.

        tinker 0.38 adds (sent only when set, refused on a 0.7.0 server): `topk_sample_logprobs`
        (top-k logprobs of each sampled token), `target_prompt_logprobs` (logprobs of given targets at
        each prompt position), `prompt_alt_tokens_k` (k alternative draws per prompt position) and
        `prompt_logprobs_last_n` (prompt logprobs of the last n positions only).

        Example::

            res = sc.sample(prompt, 1, SamplingParams(max_tokens=16, seed=0)).result()
            print(res.sequences[0].tokens)
        """
        self._check_args(num_samples, topk_prompt_logprobs)
        prompt = check_model_input(prompt, "prompt")
        sampling_params = check_sampling_params(sampling_params)
        extras = _sample_extras(
            self._rt.protocol,
            topk_sample_logprobs,
            target_prompt_logprobs,
            prompt_alt_tokens_k,
            prompt_logprobs_last_n,
        )
        fut: APIFuture[SampleResponse] = self._rt.new_future()
        return self._rt.spawn(
            self._sample(
                prompt,
                num_samples,
                sampling_params,
                include_prompt_logprobs,
                topk_prompt_logprobs,
                fut,
                extras,
            ),
            future=fut,
        )

    async def sample_async(
        self,
        prompt: ModelInput,
        num_samples: int,
        sampling_params: SamplingParams,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
        target_prompt_logprobs: TensorData | None = None,
        prompt_alt_tokens_k: int = 0,
        prompt_logprobs_last_n: int | None = None,
    ) -> SampleResponse:
        """Async twin of `sample` (returns the SampleResponse)."""
        return await self.sample(
            prompt,
            num_samples,
            sampling_params,
            include_prompt_logprobs,
            topk_prompt_logprobs,
            topk_sample_logprobs,
            target_prompt_logprobs,
            prompt_alt_tokens_k,
            prompt_logprobs_last_n,
        ).result_async()

    async def _compute_logprobs(
        self, prompt: ModelInput, fut: APIFuture[Any] | None = None
    ) -> list[float | None]:
        res = await self._sample(prompt, 1, SamplingParams(max_tokens=1), True, 0, fut)
        if res.prompt_logprobs is None:
            raise APIResponseValidationError("the server returned no prompt_logprobs")
        return list(res.prompt_logprobs)

    def compute_logprobs(self, prompt: ModelInput) -> APIFuture[list[float | None]]:
        """Per-token logprobs of `prompt` under the model (the first is None); returns a future.

        Example::

            lps = sc.compute_logprobs(ModelInput.from_ints([1, 2, 3])).result()
        """
        prompt = check_model_input(prompt, "prompt")
        fut: APIFuture[list[float | None]] = self._rt.new_future()
        return self._rt.spawn(self._compute_logprobs(prompt, fut), future=fut)

    async def compute_logprobs_async(self, prompt: ModelInput) -> list[float | None]:
        """Async twin of `compute_logprobs`."""
        return await self.compute_logprobs(prompt).result_async()

    # -- model info -------------------------------------------------------------------------------------------

    async def _get_sampler(self) -> GetSamplerResponse:
        response = await self._rt.requester.call(
            ops.get_sampler, path_params={"sampler_id": self._sampling_session_id}
        )
        return decode(
            GetSamplerResponse,
            response.body,
            what=ops.get_sampler.operation_id,
            request_id=response.request_id,
        )

    async def _base_model_async(self) -> str:
        if self._base_model is None:
            self._base_model = (await self._get_sampler()).base_model
        return self._base_model

    @sync_only
    def get_base_model(self) -> str:
        """Blocking: the base model this sampler runs (asks the server when not known locally).

        Example::

            print(sc.get_base_model())
        """
        if self._base_model is not None:
            return self._base_model
        return self._rt.run(self._base_model_async())

    async def get_base_model_async(self) -> str:
        """Async twin of `get_base_model`."""
        if self._base_model is not None:
            return self._base_model
        return await self._rt.run_async(self._base_model_async())

    async def _tokenizer_id(self) -> str:
        """Ask the server which tokenizer this sampler uses, most exact answer first: the training
        run's get_info (for a sampler on a checkpoint), then a tokenizer_id the capabilities list
        for the base model; only then the official guess from the base model's name."""
        rt = self._rt
        sampler = await self._get_sampler()
        if self._base_model is None:
            self._base_model = sampler.base_model
        model_path = sampler.model_path or self._model_path
        if model_path:
            try:
                run_id = parse_tinker_path(model_path, field="model_path").training_run_id
                response = await rt.requester.call(
                    ops.get_info, body=GetInfoRequest(model_id=run_id).to_dict()
                )
                info = decode(
                    GetInfoResponse,
                    response.body,
                    what=ops.get_info.operation_id,
                    request_id=response.request_id,
                )
            except (APIStatusError, APIResponseValidationError, TinkexValidationError) as exc:
                # E.g. another user's public checkpoint (get_info is owner-only): keep looking.
                logger.debug("get_info for sampler %s failed (%s)", self._sampling_session_id, exc)
            else:
                data = info.model_data
                if data.tokenizer_id:
                    return tokenizer_id_for(data.tokenizer_id, None)
        response = await rt.requester.call(ops.get_server_capabilities)
        listed = tokenizer_id_from_capabilities(response.body, sampler.base_model)
        if listed is None and server_lists_no_tokenizer(response.body, sampler.base_model):
            raise no_tokenizer_error(sampler.base_model)
        return tokenizer_id_for(listed, sampler.base_model)

    def get_tokenizer(self) -> Any:
        """The HuggingFace tokenizer of this sampler's model (needs `transformers`; cached).

        The tokenizer id comes from the server (the training run's get_info, a local directory on a
        local server); the base model's name is only the last resort. Loading failures raise
        TinkexError saying what to do.

        Example::

            tok = sc.get_tokenizer()
        """
        if self._tokenizer is None:
            if self._tokenizer_loader is not None:
                self._tokenizer = self._tokenizer_loader()
            else:
                self._tokenizer = load_tokenizer(self._rt.run(self._tokenizer_id()))
        return self._tokenizer

    def encode(self, text: str, *, add_special_tokens: bool = True) -> list[int]:
        """Token ids of `text` with this sampler's tokenizer (see `get_tokenizer`; loaded once).

        Example::

            prompt = tinkex.types.ModelInput.from_ints(sc.encode("1+2="))
        """
        return encode_text(self.get_tokenizer(), text, add_special_tokens=add_special_tokens)

    def decode(self, tokens: Any, *, skip_special_tokens: bool = False) -> str:
        """Text of `tokens` (ints, a ModelInput or a SampledSequence) with this sampler's tokenizer.

        Example::

            print(sc.decode(result.sequences[0]))
        """
        return decode_tokens(self.get_tokenizer(), tokens, skip_special_tokens=skip_special_tokens)


def _sample_extras(
    protocol: str,
    topk_sample_logprobs: object,
    target_prompt_logprobs: object,
    prompt_alt_tokens_k: object,
    prompt_logprobs_last_n: object,
) -> dict[str, Any]:
    """The tinker 0.38 sample fields that were set, checked; refused on a 0.7 connection."""
    from tinkex._runtime._requests import raise_unsupported

    extras: dict[str, Any] = {}
    for name, value in (
        ("topk_sample_logprobs", topk_sample_logprobs),
        ("prompt_alt_tokens_k", prompt_alt_tokens_k),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TinkexValidationError(
                name, f"must be an int >= 0, got {value!r:.40}", f"pass {name}=5, or 0"
            )
        if value:
            extras[name] = value
    if prompt_logprobs_last_n is not None:
        value = prompt_logprobs_last_n
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TinkexValidationError(
                "prompt_logprobs_last_n", f"must be an int >= 0 or None, got {value!r:.40}", "pass e.g. 16"
            )
        extras["prompt_logprobs_last_n"] = value
    if target_prompt_logprobs is not None:
        if not isinstance(target_prompt_logprobs, TensorData):
            raise TinkexValidationError(
                "target_prompt_logprobs",
                f"must be a TensorData, got {type(target_prompt_logprobs).__name__}",
                "pass TensorData.from_numpy(targets)",
            )
        extras["target_prompt_logprobs"] = target_prompt_logprobs.to_dict()
    if extras and protocol == "0.7":
        raise_unsupported(sorted(extras)[0], "0.38", protocol)
    return extras
