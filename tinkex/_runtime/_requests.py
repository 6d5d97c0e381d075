"""Send one logical API call with the retry policy: the idempotency key stays fixed across its
retries, waits come from the pure backoff policy, and non-2xx answers become status errors.

What is sent where comes from the operation's generated descriptor (`_tinkex_lowlevel.operations`):
method, path, pool, retry class and whether it carries an idempotency key are spec facts."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from tinkex._config import RetryConfig
from tinkex._exceptions import APIConnectionError, status_error_for
from tinkex._policy._retry import backoff_delay, retry_decision
from tinkex._runtime import _waits
from tinkex._runtime._observe import Observer
from tinkex._runtime._transport import RawResponse, Transport, encode_json

if TYPE_CHECKING:
    from _tinkex_lowlevel.operations import Operation

__all__ = ["Requester"]

_NO_BODY = object()


class Requester:
    """Binds transport, retry config and observer; `call` is the only way requests leave the SDK."""

    def __init__(
        self,
        transport: Transport,
        retry: RetryConfig,
        observer: Observer,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.transport = transport
        self.retry = retry
        self.observer = observer
        self._rand = rand

    async def call(
        self,
        op: Operation,
        *,
        body: Any = _NO_BODY,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        ok_statuses: Collection[int] = (),
        raise_status: bool = True,
    ) -> RawResponse:
        """Send `op`, retrying per policy; return the 2xx (or `ok_statuses`) response.

        The operation's retry class decides how often (`none`: once; `conflict`: 409 retried too);
        `max_retries` overrides the count. With `raise_status=False` the final non-2xx response is
        returned instead of raised (the caller classifies it).
        """
        operation, method = op.operation_id, op.method
        path = op.build_path(path_params or {}) if op.path_params else op.path
        content = None if body is _NO_BODY else encode_json(body)
        if method != "GET" and content is None:
            content = b""
        if max_retries is not None:
            retries = max_retries
        else:
            retries = 0 if op.retry == "none" else self.retry.max_retries
        if not self.retry.enable_retry_logic:
            retries = 0
        base_headers = dict(headers or {})
        if op.idempotency_key:
            # One key per logical call, identical on every retry, so the server can deduplicate.
            base_headers.setdefault("X-Idempotency-Key", f"tinkex-retry-{uuid.uuid4()}")
        attempt = 0
        while True:
            attempt_headers = dict(base_headers)
            attempt_headers["x-stainless-retry-count"] = str(attempt)
            started = time.monotonic()
            try:
                response = await self.transport.send(
                    op.pool,
                    operation,
                    method,
                    path,
                    content=content,
                    params=params,
                    headers=attempt_headers,
                    read_timeout=read_timeout,
                )
            except APIConnectionError as exc:
                duration = time.monotonic() - started
                self.observer.emit(
                    "request",
                    operation,
                    status=None,
                    attempt=attempt,
                    duration_s=duration,
                    error_type=type(exc).__name__,
                )
                decision = retry_decision(
                    status=None, connection_error=True, attempt=attempt, max_retries=retries
                )
                if not decision.retry:
                    raise
                await self._wait(operation, attempt, decision.server_delay, decision.reason)
                attempt += 1
                continue
            duration = time.monotonic() - started
            status = response.status
            self.observer.emit(
                "request",
                operation,
                status=status,
                attempt=attempt,
                duration_s=duration,
                request_id=response.request_id,
            )
            if 200 <= status < 300 or status in op.success_statuses or status in ok_statuses:
                return response
            decision = retry_decision(
                status=status,
                headers=response.headers,
                attempt=attempt,
                max_retries=retries,
                conflict_retryable=op.retry == "conflict",
            )
            if not decision.retry:
                if not raise_status:
                    return response
                raise status_error_for(
                    status,
                    f"{method} {path}",
                    body=response.body,
                    headers=response.headers,
                )
            await self._wait(operation, attempt, decision.server_delay, decision.reason, status=status)
            attempt += 1

    async def _wait(
        self,
        operation: str,
        attempt: int,
        server_delay: float | None,
        reason: str,
        *,
        status: int | None = None,
    ) -> None:
        retry = self.retry
        delay = (
            server_delay
            if server_delay is not None
            else backoff_delay(
                attempt,
                base=retry.retry_delay_base,
                max_delay=retry.retry_delay_max,
                jitter=retry.jitter_factor,
                rand=self._rand,
            )
        )
        self.observer.emit(
            "retry", operation, attempt=attempt + 1, delay_s=delay, status=status, reason=reason
        )
        await _waits.sleep(delay)
