"""`ServiceClient`: the entry point. Resolves configuration, owns the runtime (loop thread, pools,
session, heartbeat) and creates training, sampling and REST clients; close() releases everything."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from _tinkex_lowlevel import operations as ops

from tinkex._config import ClientConfig, RetryConfig, resolve_client_config
from tinkex._exceptions import APIResponseValidationError, APIStatusError, TinkexValidationError
from tinkex._policy._wire_check import check_int, check_text, check_user_metadata
from tinkex._runtime._core import Runtime
from tinkex._runtime._decode import decode
from tinkex._runtime._futures import poll_future
from tinkex._runtime._observe import EventHook, configure_logging_from_env, logger
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
            # The official signature is ServiceClient(user_metadata=None, **kwargs): accept it positionally.
            api_key, user_metadata = None, api_key
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
        self._lowlevel: LowLevel | None = None

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

    def close(self) -> None:
        """Stop the heartbeat, close connections and join the background thread (idempotent).

        Example::

            sc = tinkex.ServiceClient(); ...; sc.close()
        """
        self._rt.close()

    async def aclose(self) -> None:
        """Async twin of `close` (runs it in a worker thread so the caller's loop keeps going)."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

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
        self._rt.session.check()
        lora = LoraConfig(
            rank=rank, seed=seed, train_unembed=train_unembed, train_mlp=train_mlp, train_attn=train_attn
        )
        # model_seq_id is taken now, in the caller's thread: creation order is call order.
        return self._create_model(self._rt.next_model_seq_id(), base_model, lora, user_metadata)

    @sync_only
    def create_lora_training_client(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
    ) -> TrainingClient:
        """Blocking: create a LoRA model on `base_model` and a TrainingClient for it.

        Example::

            tc = sc.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=16, seed=0)
        """
        coro = self._create_lora(base_model, rank, seed, train_mlp, train_attn, train_unembed, user_metadata)
        return self._rt.run(coro)

    async def create_lora_training_client_async(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
    ) -> TrainingClient:
        """Async twin of `create_lora_training_client`."""
        coro = self._create_lora(base_model, rank, seed, train_mlp, train_attn, train_unembed, user_metadata)
        return await self._rt.run_async(coro)

    async def _from_state(
        self, path: str, user_metadata: Mapping[str, Any] | None, optimizer: bool
    ) -> TrainingClient:
        from tinkex._rest_client import RestClient

        user_metadata = check_user_metadata(user_metadata)
        await self._rt.session.ensure()  # negotiates the protocol generation first
        if self._rt.protocol == "0.38":
            return await create_via_load(self._rt, path, optimizer=optimizer, user_metadata=user_metadata)
        info = await RestClient(self._rt)._weights_info(path)
        if info.lora_rank is None:
            raise APIResponseValidationError(f"weights_info for {path} reports no LoRA rank", body=None)
        # weights_info reports the rank only (see WeightsInfoResponse): the other settings keep defaults.
        lora = LoraConfig(rank=info.lora_rank)
        tc = await self._create_model(self._rt.next_model_seq_id(), info.base_model, lora, user_metadata)
        load = tc.load_state_with_optimizer(path) if optimizer else tc.load_state(path)
        await load.result_async()
        return tc

    @sync_only
    def create_training_client_from_state(
        self, path: str, user_metadata: dict[str, str] | None = None
    ) -> TrainingClient:
        """Blocking: a new LoRA model initialised from a checkpoint's weights (optimizer reset).

        Example::

            tc = sc.create_training_client_from_state("tinker://run-1/weights/step-100")
        """
        return self._rt.run(self._from_state(path, user_metadata, optimizer=False))

    async def create_training_client_from_state_async(
        self, path: str, user_metadata: dict[str, str] | None = None
    ) -> TrainingClient:
        """Async twin of `create_training_client_from_state`."""
        return await self._rt.run_async(self._from_state(path, user_metadata, optimizer=False))

    @sync_only
    def create_training_client_from_state_with_optimizer(
        self, path: str, user_metadata: dict[str, str] | None = None
    ) -> TrainingClient:
        """Blocking: like `create_training_client_from_state`, also restoring the Adam state.

        Example::

            tc = sc.create_training_client_from_state_with_optimizer("tinker://run-1/weights/step-100")
        """
        return self._rt.run(self._from_state(path, user_metadata, optimizer=True))

    async def create_training_client_from_state_with_optimizer_async(
        self, path: str, user_metadata: dict[str, str] | None = None
    ) -> TrainingClient:
        """Async twin of `create_training_client_from_state_with_optimizer`."""
        return await self._rt.run_async(self._from_state(path, user_metadata, optimizer=True))

    # -- sampling and REST -----------------------------------------------------------------------------------------

    @sync_only
    def create_sampling_client(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: RetryConfig | None = None,
    ) -> SamplingClient:
        """Blocking: a SamplingClient for a base model or a saved sampler checkpoint.

        Example::

            sc2 = sc.create_sampling_client(base_model="Qwen/Qwen3-8B")
        """
        return self._rt.run(
            create_sampling_session(
                self._rt, model_path=model_path, base_model=base_model, retry_config=retry_config
            )
        )

    async def create_sampling_client_async(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: RetryConfig | None = None,
    ) -> SamplingClient:
        """Async twin of `create_sampling_client`."""
        return await self._rt.run_async(
            create_sampling_session(
                self._rt, model_path=model_path, base_model=base_model, retry_config=retry_config
            )
        )

    def create_rest_client(self) -> RestClient:
        """A RestClient sharing this client's connection (no request is made).

        Example::

            runs = sc.create_rest_client().list_training_runs().result()
        """
        from tinkex._rest_client import RestClient

        return RestClient(self._rt)
