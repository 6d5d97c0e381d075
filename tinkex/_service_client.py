"""`ServiceClient`: the entry point. Resolves configuration, owns the runtime (loop thread, pools,
session, heartbeat) and creates training, sampling and REST clients; close() releases everything."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from _tinkex_lowlevel import operations as ops

from tinkex._client_future import ClientFuture, client_future
from tinkex._config import ClientConfig, RetryConfig, resolve_client_config
from tinkex._exceptions import APIResponseValidationError, APIStatusError, TinkexError, TinkexValidationError
from tinkex._policy._wire_check import check_int, check_text, check_user_metadata
from tinkex._runtime._core import Runtime
from tinkex._runtime._decode import decode
from tinkex._runtime._futures import APIFuture, poll_future
from tinkex._runtime._observe import EventHook, configure_logging_from_env, logger
from tinkex._runtime._requests import raise_unsupported
from tinkex._runtime._sync import sync_only
from tinkex._runtime._transport import HttpClientFactory
from tinkex._sampling_client import SamplingClient, create_sampling_session
from tinkex._training_client import TrainingClient, create_via_load
from tinkex.types import (
    CreateModelRequest,
    CreateModelResponse,
    GetServerCapabilitiesResponse,
    LoraConfig,
    UntypedAPIFuture,
)

if TYPE_CHECKING:
    import httpx

    # Imported where used: most programs never need the REST client's types at their first call.
    from tinkex._lowlevel import LowLevel
    from tinkex._rest_client import RestClient
    from tinkex.types import OptimizerConfig

__all__ = ["ServiceClient"]

# Keyword arguments of the official ServiceClient that have no meaning here (they configure its
# generated Stainless client); accepted so official code runs unchanged. (`default_query` is
# honoured: ClientConfig.default_query.)
_IGNORED_OFFICIAL_KWARGS = frozenset({"http_client", "_strict_response_validation"})


def _factory_for(transport: httpx.AsyncBaseTransport) -> HttpClientFactory:
    def make(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(transport=transport, limits=limits, timeout=timeout, follow_redirects=False)

    return make


T = TypeVar("T")
SessionStatus = Literal["success", "errored", "interrupted"]
_STATUSES = ("success", "errored", "interrupted")
# How long close() waits for session_finish before closing anyway.
_FINISH_TIMEOUT = 10.0


def _check_status(status: object, detail: object) -> str | None:
    if status is None:
        if detail is not None:
            raise TinkexValidationError(
                "close(detail=...)", "needs a status", "pass close('errored', detail)"
            )
        return None
    if status not in _STATUSES:
        raise TinkexValidationError(
            "close(status=...)",
            f"must be one of {', '.join(_STATUSES)}, got {status!r:.40}",
            "pass close('success')",
        )
    if detail is not None:
        _require_text(detail, "close(detail=...)", "pass a short text, or None")
    return str(status)


def _exit_status(exc_type: type[BaseException] | None) -> SessionStatus:
    # What a `with ServiceClient(...)` block tells the server when it ends (tinker 0.38 semantics).
    if exc_type is None:
        return "success"
    if issubclass(exc_type, KeyboardInterrupt | asyncio.CancelledError):
        return "interrupted"
    return "errored"


def _require_text(value: object, field: str, fix: str) -> None:
    if not isinstance(value, str) or not value:
        raise TinkexValidationError(field, f"must be a non-empty string, got {value!r:.60}", fix)
    check_text(value, field, fix)


def _metadata_positional(base_model: object, user_metadata: dict[str, str] | None) -> dict[str, str] | None:
    # 0.7.0: create_training_client_from_state(path, user_metadata); 0.38 put base_model second.
    if isinstance(base_model, Mapping) and user_metadata is None:
        return dict(base_model)
    if base_model is not None and not isinstance(base_model, str):
        raise TinkexValidationError("base_model", f"must be a model name or None, got {base_model!r:.60}", "")
    return user_metadata


def check_record_stability_info(value: object, protocol: str) -> bool:
    """`record_stability_info` as a bool; True is refused on a 0.7 server (it cannot record any)."""
    if not isinstance(value, bool):
        raise TinkexValidationError(
            "record_stability_info",
            f"must be True or False, got {value!r:.40}",
            "pass record_stability_info=True",
        )
    if value and protocol == "0.7":
        raise_unsupported("record_stability_info", "0.38", protocol)
    return value


async def _with_stability(coro: Coroutine[Any, Any, SamplingClient], record: bool) -> SamplingClient:
    client = await coro
    client._record_stability_info = record
    return client


class ServiceClient:
    """Entry point to the Tinker API: creates training, sampling and REST clients.

    Configuration: explicit arguments > environment (TINKER_API_KEY, TINKER_BASE_URL, TINKER_TAGS,
    TINKER_TELEMETRY, CLOUDFLARE_ACCESS_CLIENT_ID/_SECRET) > defaults. The server session is created
    on first use. Use as a (sync or async) context manager, or call close(), to stop the background
    thread and heartbeat. Any other ClientConfig field may be passed by keyword, e.g.
    `circuit_breaker=tinkex.CircuitBreakerConfig()` (opt-in fail-fast per connection purpose) or
    `default_query={...}` (added to every request). TINKER_LOG=debug|info|warning turns on logging.

    Example::

        with tinkex.ServiceClient(base_url="http://127.0.0.1:8000") as sc:
            tc = sc.create_lora_training_client(base_model="tiny-llama", rank=8)
            print(tc.get_info())
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        *,
        project_id: str | None = None,
        display_name: str | None = None,
        default_headers_overrides: Mapping[str, str] | None = None,
        retry_config: RetryConfig | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        event_hooks: Iterable[EventHook] = (),
        config: ClientConfig | None = None,
        http_client_factory: HttpClientFactory | None = None,
        _transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        configure_logging_from_env()
        if isinstance(api_key, Mapping) and user_metadata is None:
            # The official signatures are ServiceClient(user_metadata=None, **kwargs) (0.7.0) and
            # ServiceClient(user_metadata=None, project_id=None, *, ...) (0.38): accept them positionally.
            api_key, user_metadata = None, api_key
            if isinstance(base_url, str) and "://" not in base_url and project_id is None:
                base_url, project_id = None, base_url  # ServiceClient(user_metadata, project_id)
        if project_id is None:
            project_id = os.environ.get("TINKER_PROJECT_ID") or None
        for value, name in ((project_id, "project_id"), (display_name, "display_name")):
            if value is not None:
                if not isinstance(value, str) or not value:
                    raise TinkexValidationError(
                        name, f"must be a non-empty string or None, got {value!r:.60}", f"pass {name}='...'"
                    )
                check_text(value, name, f"pass {name} as plain text")
        if default_headers_overrides:
            default_headers = {**dict(default_headers or {}), **dict(default_headers_overrides)}
        for name in _IGNORED_OFFICIAL_KWARGS & set(kwargs):
            kwargs.pop(name)
            logger.debug("ServiceClient(%s=...) is accepted for compatibility and ignored", name)
        if config is None:
            config = resolve_client_config(
                api_key=api_key,
                base_url=base_url,
                user_metadata=user_metadata,
                retry_config=retry_config,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                **kwargs,
            )
        if _transport is not None and http_client_factory is None:
            http_client_factory = _factory_for(_transport)
        self._config = config
        self._rt = Runtime(config, event_hooks=event_hooks, http_client_factory=http_client_factory)
        self._rt.session.display_name = display_name
        self._rt.session.project_id = project_id
        self._lowlevel: LowLevel | None = None
        self._closed = False

    @property
    def config(self) -> ClientConfig:
        """The resolved, frozen configuration (the API key never shows in its repr)."""
        return self._config

    def __repr__(self) -> str:
        return (
            f"ServiceClient(base_url={self._config.base_url!r}, session_id={self._rt.session.session_id!r})"
        )

    @property
    def session_id(self) -> str | None:
        """The server session id, once created (None before the first call that needs it)."""
        return self._rt.session.session_id

    @property
    def lowlevel(self) -> LowLevel:
        """Every operation of the API as a method named by its operationId, sent through this client's
        runtime (auth, retries, pooled connections, error mapping, event hooks, spans).

        `lowlevel.<operation_id>(body, **path_and_query_params)` blocks and returns the parsed response
        model; `await lowlevel.<operation_id>_async(...)` is its twin. The body is the generated request
        model or a plain dict. Future-returning operations answer an `UntypedAPIFuture`: wait on it with
        `lowlevel.wait(future, timeout=...)` (the raw result dict). For operations the high-level
        clients do not wrap (yet).

        Example::

            info = sc.lowlevel.get_info({"model_id": tc.model_id})
            page = sc.lowlevel.list_training_runs(limit=5)
            result = sc.lowlevel.wait(sc.lowlevel.unload_model({"model_id": tc.model_id}), timeout=60)
        """
        if self._lowlevel is None:
            from tinkex._lowlevel import LowLevel

            self._lowlevel = LowLevel(self._rt)
        return self._lowlevel

    def add_event_hook(self, hook: EventHook) -> None:
        """Register `hook(event: SDKEvent)`, called on the SDK thread for every request, retry,
        queue-state change, future completion, heartbeat and session event.

        Example::

            sc.add_event_hook(lambda e: print(e.kind, e.operation, dict(e.attributes)))
        """
        self._rt.observer.add_hook(hook)

    def get_telemetry(self) -> Any:
        """The telemetry reporter, or None when telemetry is off or not started."""
        return self._rt._telemetry

    # -- lifecycle --------------------------------------------------------------------------------------------

    def close(self, status: SessionStatus | None = None, detail: str | None = None) -> APIFuture[None]:
        """Finish the session on the server when `status` is given ("success", "errored" or
        "interrupted", with an optional `detail`; tinker 0.38's session_finish, skipped on a 0.7.0
        server, which has none), then stop the heartbeat, close connections and join the background
        thread. Idempotent. Returns a completed future (0.38 returns an awaitable one).

        Example::

            sc = tinkex.ServiceClient(); ...; sc.close("success")
        """
        reason = _check_status(status, detail)
        done: APIFuture[None] = APIFuture()
        done.set_result(None)
        if self._closed:
            return done
        self._closed = True
        if reason is not None and self._rt.session.session_id is not None and not self._rt.loop.closed:
            try:
                self._rt.run(self._rt.session.finish(reason, detail), timeout=_FINISH_TIMEOUT)
            except Exception as exc:
                logger.warning("could not finish the session (%s); closing anyway", exc)
        self._rt.close()
        return done

    async def aclose(self, status: SessionStatus | None = None, detail: str | None = None) -> None:
        """Async twin of `close` (runs it in a worker thread so the caller's loop keeps going)."""
        await asyncio.to_thread(self.close, status, detail)

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(
            _exit_status(exc_type), None if exc is None else f"{exc_type.__name__ if exc_type else ''}"
        )

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose(
            _exit_status(exc_type), None if exc is None else f"{exc_type.__name__ if exc_type else ''}"
        )

    # -- capabilities -----------------------------------------------------------------------------------------

    async def _capabilities(self) -> GetServerCapabilitiesResponse:
        response = await self._rt.requester.call(ops.get_server_capabilities)
        return decode(
            GetServerCapabilitiesResponse,
            response.body,
            what=ops.get_server_capabilities.operation_id,
            request_id=response.request_id,
        )

    @sync_only
    def get_server_capabilities(self) -> GetServerCapabilitiesResponse:
        """Blocking: the base models the server supports.

        Example::

            print([m.model_name for m in sc.get_server_capabilities().supported_models])
        """
        return self._rt.run(self._capabilities())

    async def get_server_capabilities_async(self) -> GetServerCapabilitiesResponse:
        """Async twin of `get_server_capabilities`."""
        return await self._rt.run_async(self._capabilities())

    # -- training clients --------------------------------------------------------------------------------------

    async def _create_model(
        self,
        model_seq_id: int,
        base_model: str,
        lora: LoraConfig,
        user_metadata: Mapping[str, Any] | None,
        optimizer: OptimizerConfig | None = None,
    ) -> TrainingClient:
        rt = self._rt
        session_id = await rt.session.ensure()
        await rt.ensure_telemetry()
        body = CreateModelRequest(
            session_id=session_id,
            model_seq_id=model_seq_id,
            base_model=base_model,
            lora_config=lora,
            user_metadata=None if user_metadata is None else dict(user_metadata),
            optimizer_config=optimizer,
        ).to_dict()
        started = time.time()
        try:
            response = await rt.requester.call(ops.create_model, body=body)
        except APIStatusError as exc:
            raise (rt.session.lost_error_for(exc) or exc) from exc
        rid = decode(
            UntypedAPIFuture,
            response.body,
            what=ops.create_model.operation_id,
            request_id=response.request_id,
        ).request_id
        if not rid:
            raise APIResponseValidationError("create_model answered without a request_id", body=response.body)
        # The id of the model being created, when the server says it with the request id: if creation
        # fails on this side from here on (410, progress timeout, cancellation, a bad result), nobody
        # would ever hold a TrainingClient for it, so it is unloaded rather than left on the server.
        # (A model whose id is unknown here is the server's to free: it drops models whose creation
        # result nobody retrieved, and every model of a session that stops heartbeating.)
        data = response.body
        promised = data.get("model_id") if isinstance(data, Mapping) else None
        if isinstance(promised, str) and promised:
            rt.creating_models.add(promised)
        try:
            result = await poll_future(rt, rid, ops.create_model, started=started)
            model_id = decode(
                CreateModelResponse, result, what="create_model result", request_id=rid
            ).model_id
            if not model_id:
                raise APIResponseValidationError("create_model's result has no model_id", body=result)
        except BaseException:
            if isinstance(promised, str) and promised:
                await rt.unload_orphan(promised)
            raise
        if isinstance(promised, str):
            rt.creating_models.discard(promised)
        logger.info("TrainingClient initialized for model %s", model_id)
        return TrainingClient(rt, model_id=model_id, model_seq_id=model_seq_id)

    def _create_lora(
        self,
        base_model: str,
        rank: int,
        seed: int | None,
        train_mlp: bool,
        train_attn: bool,
        train_unembed: bool,
        user_metadata: Mapping[str, Any] | None,
        optimizer: OptimizerConfig | None = None,
    ) -> Coroutine[Any, Any, TrainingClient]:
        if not (train_mlp or train_attn or train_unembed):
            raise TinkexValidationError(
                "create_lora_training_client",
                "train_mlp, train_attn and train_unembed are all False, so nothing would be trained",
                "set at least one of them to True",
            )
        if not isinstance(base_model, str) or not base_model:
            raise TinkexValidationError(
                "base_model", f"must be a model name, got {base_model!r}", "see get_server_capabilities()"
            )
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            raise TinkexValidationError(
                "rank", f"must be an int >= 1, got {rank!r}", "pass rank=8, 16, 32 ..."
            )
        check_text(base_model, "base_model", "see get_server_capabilities()")
        if seed is not None:
            check_int(seed, "seed", fix="pass an int seed, or None")
        user_metadata = check_user_metadata(user_metadata)
        optimizer = self._check_optimizer(optimizer)
        self._rt.session.check()
        lora = LoraConfig(
            rank=rank, seed=seed, train_unembed=train_unembed, train_mlp=train_mlp, train_attn=train_attn
        )
        # model_seq_id is taken now, in the caller's thread: creation order is call order.
        return self._create_model(self._rt.next_model_seq_id(), base_model, lora, user_metadata, optimizer)

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> APIFuture[T]:
        # A creation method called on the SDK's own loop thread (an event hook, a done-callback)
        # could never be waited for there: refused before anything is sent, as 0.7.0's blocking
        # creation was.
        try:
            self._rt.check_may_block()
        except TinkexError:
            coro.close()
            raise
        return self._rt.spawn(coro)

    def _check_optimizer(self, optimizer: Any) -> OptimizerConfig | None:
        """The optimizer config, or a TinkexValidationError naming the fix; refused on a 0.7 server
        (which only has Adam, so Adam is simply not sent)."""
        from tinkex.types import AdamOptimizerConfig, DimuonOptimizerConfig

        if optimizer is None:
            return None
        if isinstance(optimizer, Mapping):
            kind = optimizer.get("type")
            cls = {"adamw": AdamOptimizerConfig, "dimuon": DimuonOptimizerConfig}.get(str(kind))
            if cls is None:
                raise TinkexValidationError(
                    "optimizer", f"has unknown type {kind!r}", "pass {'type': 'adamw'} or {'type': 'dimuon'}"
                )
            optimizer = cls.from_dict(optimizer)  # type: ignore[attr-defined]
        if not isinstance(optimizer, AdamOptimizerConfig | DimuonOptimizerConfig):
            raise TinkexValidationError(
                "optimizer",
                f"must be an AdamOptimizerConfig or DimuonOptimizerConfig, got {type(optimizer).__name__}",
                "pass types.DimuonOptimizerConfig() for Dimuon, or leave it out for Adam",
            )
        if self._rt.negotiated_protocol() == "0.7":
            if isinstance(optimizer, AdamOptimizerConfig):
                return None  # the only optimizer a 0.7.0 server has: nothing to say
            raise_unsupported("optimizer", "0.38", self._rt.protocol)
        return optimizer

    def create_lora_training_client(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> ClientFuture[TrainingClient]:
        """Create a LoRA model on `base_model`: a future of its TrainingClient (tinker 0.38), which
        `.result()` or `await` resolves, and which 0.7.0-style code may also use as the client.
        `optimizer` (0.38: AdamOptimizerConfig or DimuonOptimizerConfig) is fixed for the model's life.

        Example::

            tc = sc.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=16, seed=0).result()
        """
        coro = self._create_lora(
            base_model, rank, seed, train_mlp, train_attn, train_unembed, user_metadata, optimizer
        )
        return client_future(self._spawn(coro))

    async def create_lora_training_client_async(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> TrainingClient:
        """Async twin of `create_lora_training_client` (returns the client)."""
        coro = self._create_lora(
            base_model, rank, seed, train_mlp, train_attn, train_unembed, user_metadata, optimizer
        )
        return await self._rt.run_async(coro)

    def _from_state_coro(
        self,
        path: str,
        user_metadata: Mapping[str, Any] | None,
        optimizer: bool,
        weights_access_token: str | None,
        optimizer_config: OptimizerConfig | None,
    ) -> Coroutine[Any, Any, TrainingClient]:
        # Arguments are checked in the caller's thread, before anything is sent.
        user_metadata = check_user_metadata(user_metadata)
        _require_text(path, "path", "pass a tinker:// checkpoint path")
        if weights_access_token is not None:
            _require_text(weights_access_token, "weights_access_token", "pass the token string, or None")
            if self._rt.negotiated_protocol() == "0.7":
                raise_unsupported("weights_access_token", "0.38", self._rt.protocol)
        checked = self._check_optimizer(optimizer_config)
        return self._from_state(path, user_metadata, optimizer, weights_access_token, checked)

    async def _from_state(
        self,
        path: str,
        user_metadata: Mapping[str, Any] | None,
        optimizer: bool,
        weights_access_token: str | None = None,
        optimizer_config: OptimizerConfig | None = None,
    ) -> TrainingClient:
        from tinkex._rest_client import RestClient

        await self._rt.session.ensure()  # negotiates the protocol generation first
        if self._rt.protocol == "0.38":
            return await create_via_load(
                self._rt,
                path,
                optimizer=optimizer,
                user_metadata=user_metadata,
                weights_access_token=weights_access_token,
                optimizer_config=optimizer_config,
            )
        info = await RestClient(self._rt)._weights_info(path)
        if info.lora_rank is None:
            raise APIResponseValidationError(f"weights_info for {path} reports no LoRA rank", body=None)
        # weights_info reports the rank only (see WeightsInfoResponse): the other settings keep defaults.
        lora = LoraConfig(rank=info.lora_rank)
        tc = await self._create_model(
            self._rt.next_model_seq_id(), info.base_model, lora, user_metadata, optimizer_config
        )
        load = tc._load(path, optimizer, weights_access_token)
        await load.result_async()
        return tc

    def create_training_client_from_state(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> ClientFuture[TrainingClient]:
        """A new LoRA model initialised from a checkpoint's weights (optimizer reset): a future of its
        TrainingClient (see `create_lora_training_client`). `base_model` is accepted for tinker 0.38
        code; the checkpoint says which base model it has. `weights_access_token` (0.38) reads a
        checkpoint shared by token.

        Example::

            tc = sc.create_training_client_from_state("tinker://run-1/weights/step-100").result()
        """
        user_metadata = _metadata_positional(base_model, user_metadata)
        coro = self._from_state_coro(path, user_metadata, False, weights_access_token, optimizer)
        return client_future(self._spawn(coro))

    async def create_training_client_from_state_async(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> TrainingClient:
        """Async twin of `create_training_client_from_state` (returns the client)."""
        user_metadata = _metadata_positional(base_model, user_metadata)
        coro = self._from_state_coro(path, user_metadata, False, weights_access_token, optimizer)
        return await self._rt.run_async(coro)

    def create_training_client_from_state_with_optimizer(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
    ) -> ClientFuture[TrainingClient]:
        """Like `create_training_client_from_state`, also restoring the optimizer state.

        Example::

            tc = sc.create_training_client_from_state_with_optimizer("tinker://run-1/weights/step-100").result()
        """
        user_metadata = _metadata_positional(base_model, user_metadata)
        coro = self._from_state_coro(path, user_metadata, True, weights_access_token, None)
        return client_future(self._spawn(coro))

    async def create_training_client_from_state_with_optimizer_async(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
    ) -> TrainingClient:
        """Async twin of `create_training_client_from_state_with_optimizer` (returns the client)."""
        user_metadata = _metadata_positional(base_model, user_metadata)
        coro = self._from_state_coro(path, user_metadata, True, weights_access_token, None)
        return await self._rt.run_async(coro)

    # -- sampling and REST -----------------------------------------------------------------------------------------

    def create_sampling_client(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: RetryConfig | None = None,
        record_stability_info: bool = False,
    ) -> ClientFuture[SamplingClient]:
        """A SamplingClient for a base model or a saved sampler checkpoint: a future of it (see
        `create_lora_training_client`). `record_stability_info` (0.38) asks the server to record
        sampling stability data with each sample.

        Example::

            sc2 = sc.create_sampling_client(base_model="Qwen/Qwen3-8B").result()
        """
        record = check_record_stability_info(
            record_stability_info,
            self._rt.negotiated_protocol() if record_stability_info else self._rt.protocol,
        )
        coro = create_sampling_session(
            self._rt, model_path=model_path, base_model=base_model, retry_config=retry_config
        )
        return client_future(self._spawn(_with_stability(coro, record)))

    async def create_sampling_client_async(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: RetryConfig | None = None,
        record_stability_info: bool = False,
    ) -> SamplingClient:
        """Async twin of `create_sampling_client` (returns the client)."""
        record = check_record_stability_info(
            record_stability_info,
            self._rt.negotiated_protocol() if record_stability_info else self._rt.protocol,
        )
        coro = create_sampling_session(
            self._rt, model_path=model_path, base_model=base_model, retry_config=retry_config
        )
        return await self._rt.run_async(_with_stability(coro, record))

    def create_rest_client(self) -> RestClient:
        """A RestClient sharing this client's connection (no request is made).

        Example::

            runs = sc.create_rest_client().list_training_runs().result()
        """
        from tinkex._rest_client import RestClient

        return RestClient(self._rt)
