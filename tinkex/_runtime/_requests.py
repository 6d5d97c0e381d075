"""Send one logical API call with the retry policy: the idempotency key stays fixed across its
retries, waits come from the pure backoff policy, non-2xx answers become status errors, the opt-in
circuit breaker of the call's purpose admits (or refuses) every attempt, and each HTTP exchange is
logged as one line on the `tinkex` logger (DEBUG).

What is sent where comes from the operation's generated descriptor (`_tinkex_lowlevel.operations`):
method, path, pool, retry class and whether it carries an idempotency key are spec facts."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from tinkex._config import RetryConfig
from tinkex._exceptions import (
    APIConnectionError,
    CircuitOpenError,
    TinkexValidationError,
    redact,
    status_error_for,
)
from tinkex._policy._breaker import (
    BreakerEvent,
    BreakerState,
    BreakerVerdict,
    breaker_step,
    counts_as_failure,
)
from tinkex._policy._retry import backoff_delay, billing_pause, retry_decision
from tinkex._runtime import _waits
from tinkex._runtime._observe import Observer, logger
from tinkex._runtime._transport import RawResponse, Transport, encode_json

if TYPE_CHECKING:
    from _tinkex_lowlevel.operations import Operation

__all__ = ["Requester", "raise_unsupported"]

_NO_BODY = object()


def raise_unsupported(what: str, since: str, protocol: str) -> NoReturn:
    """Refuse `what` (an operation or keyword of tinker `since`) on a connection speaking `protocol`."""
    raise TinkexValidationError(
        what,
        f"needs a server speaking the tinker {since} protocol; this one speaks {protocol}",
        "leave it out, or point base_url at a newer Tinker server",
    )


class Requester:
    """Binds transport, retry config and observer; `call` is the only way requests leave the SDK."""

    # Headers every call carries once the server is known to speak tinker >= 0.38 (x-sdk-version);
    # set by the protocol negotiation (_protocol.py). Empty against a 0.7.0-era server.
    sdk_headers: Mapping[str, str] = {}

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
        # Circuit breakers per purpose (opt-in); touched on the SDK loop only, so no lock.
        self.breaker = transport.config.circuit_breaker
        self.breakers: dict[str, BreakerState] = {}
        self.clock: Callable[[], float] = time.monotonic  # tests move the breaker's clock
        self._secrets = transport.config.secrets()
        self._deprecations_logged: set[tuple[str, str]] = set()
        # The wire generation spoken (Runtime.protocol writes it): an operation of a later one is
        # refused before anything is sent.
        self.protocol = "0.7"

    def _breaker(self, purpose: str, event: BreakerEvent) -> BreakerVerdict | None:
        """Feed `event` to the purpose's breaker; None when no breaker guards the purpose."""
        cfg = self.breaker
        if cfg is None or purpose not in cfg.purposes:
            return None
        before = self.breakers.get(purpose, BreakerState())
        after, verdict = breaker_step(
            before,
            event,
            self.clock(),
            failure_threshold=cfg.failure_threshold,
            reset_timeout=cfg.reset_timeout,
            half_open_max_calls=cfg.half_open_max_calls,
        )
        self.breakers[purpose] = after
        if after.phase != before.phase:
            if after.phase == "open":
                logger.warning(
                    "circuit breaker of the %r connections opened after %d failures in a row; their calls "
                    "fail fast for %g s, then one probe decides",
                    purpose,
                    after.failures,
                    cfg.reset_timeout,
                )
            elif after.phase == "closed":
                logger.info("circuit breaker of the %r connections closed again", purpose)
        return verdict

    def _log_exchange(
        self, method: str, path: str, status: int | str, duration: float, request_id: str | None, attempt: int
    ) -> None:
        rid = f" request_id={request_id}" if request_id else ""
        retry = f" retry={attempt}" if attempt else ""
        logger.debug(
            "%s",
            redact(f"{method} {path} -> {status} in {duration * 1000:.1f} ms{rid}{retry}", self._secrets),
        )

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
        content: bytes | None = None,
        probe_generation: bool = False,
    ) -> RawResponse:
        """Send `op`, retrying per policy; return the 2xx (or `ok_statuses`) response.

        The operation's retry class decides how often (`none`: once; `conflict`: 409 retried too);
        `max_retries` overrides the count. With `raise_status=False` the final non-2xx response is
        returned instead of raised (the caller classifies it). `content` sends ready bytes instead of
        a JSON `body` (a protobuf body; its Content-Type comes in `headers`). An operation of a later
        protocol generation than the one spoken is refused before anything is sent, unless
        `probe_generation` (the negotiation's own client/config and dynamic_config, which ask).
        """
        operation, method, purpose = op.operation_id, op.method, op.pool
        if op.since != self.protocol and op.since != "0.7" and not probe_generation:
            raise_unsupported(op.operation_id, op.since, self.protocol)
        path = op.build_path(path_params or {}) if op.path_params else op.path
        if content is None:
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
        if self.sdk_headers:
            base_headers.update(self.sdk_headers)
            base_headers["x-sdk-method"] = operation
        if op.idempotency_key:
            # One key per logical call, identical on every retry, so the server can deduplicate.
            base_headers.setdefault("X-Idempotency-Key", f"tinkex-retry-{uuid.uuid4()}")
        attempt = 0
        last_error: BaseException | RawResponse | None = None
        while True:
            verdict = self._breaker(purpose, "admit")
            if verdict is not None and not verdict.allowed:
                if isinstance(last_error, RawResponse):  # chain the last answer as a status error
                    last_error = status_error_for(
                        last_error.status,
                        f"{method} {path}",
                        body=last_error.body,
                        headers=last_error.headers,
                    )
                state = self.breakers[purpose]
                raise CircuitOpenError(
                    purpose, verdict.retry_after or 0.0, state.failures, attempts=attempt
                ) from last_error
            probe = verdict is not None and verdict.probe
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
                last_error = exc
                self._breaker(purpose, "failure")
                duration = time.monotonic() - started
                if logger.isEnabledFor(logging.DEBUG):
                    self._log_exchange(method, path, type(exc).__name__, duration, None, attempt)
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
            except BaseException:
                if probe:  # cancelled or closed mid-probe: give the probe slot back
                    self._breaker(purpose, "abandon")
                raise
            duration = time.monotonic() - started
            status = response.status
            self._breaker(purpose, "failure" if counts_as_failure(status) else "success")
            if logger.isEnabledFor(logging.DEBUG):
                self._log_exchange(method, path, status, duration, response.request_id, attempt)
            self.observer.emit(
                "request",
                operation,
                status=status,
                attempt=attempt,
                duration_s=duration,
                request_id=response.request_id,
            )
            if "x-deprecation-note" in response.headers:
                self._log_deprecation(response.headers)
            if 200 <= status < 300 or status in op.success_statuses or status in ok_statuses:
                return response
            if status == 402 and raise_status:
                # Billing: not retried (the account must change); a bounded pause first, so a user
                # loop retrying at once does not hammer the server.
                await _waits.sleep(billing_pause(response.headers))
                raise status_error_for(
                    status, f"{method} {path}", body=response.body, headers=response.headers
                )
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
                    conflict_retryable=op.retry == "conflict",
                )
            last_error = response
            await self._wait(operation, attempt, decision.server_delay, decision.reason, status=status)
            attempt += 1

    def _log_deprecation(self, headers: Mapping[str, str]) -> None:
        """A tinker >= 0.38 server's deprecation notice: logged once per (level, note) per client."""
        note = headers.get("x-deprecation-note", "")
        level = (headers.get("x-deprecation-level") or "warning").lower()
        key = (level, note)
        if key in self._deprecations_logged:
            return
        self._deprecations_logged.add(key)
        log = (
            logger.error
            if level in ("error", "critical")
            else logger.info
            if level == "info"
            else logger.warning
        )
        log("server deprecation notice (%s): %s", level, redact(note, self._secrets))

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
