"""The client's server session: created on first need with tags, user_metadata and sdk_version,
kept alive by a heartbeat task on the session pool, and marked lost when the server disowns it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from _tinkex_lowlevel import operations as ops
from _tinkex_lowlevel.models.client_session_finished_reason import ClientSessionFinishedReason

from tinkex._exceptions import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    CircuitOpenError,
    SessionLostError,
)
from tinkex._policy._heartbeat import HeartbeatLease
from tinkex._runtime._decode import decode
from tinkex._runtime._observe import logger
from tinkex._runtime._protocol import ensure_protocol
from tinkex._version import __version__
from tinkex.types import (
    ClientSessionFinished,
    CreateSessionRequest,
    CreateSessionResponse,
    SessionHeartbeatRequest,
)

if TYPE_CHECKING:
    from tinkex._runtime._core import Runtime

__all__ = ["SessionManager"]


class SessionManager:
    """Owns session_id and the heartbeat task; everything runs on the SDK loop."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        # tinker 0.38 session fields (ServiceClient(display_name=, project_id=)); sent only when the
        # runtime speaks 0.38, since a 0.7.0 server's create_session body is closed.
        self.display_name: str | None = None
        self.project_id: str | None = None
        self.session_id: str | None = None
        self.lost = False
        self._lock = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None
        self.lease: HeartbeatLease | None = None

    def check(self) -> None:
        """Raise SessionLostError once the server has said the session is gone."""
        if self.lost:
            raise SessionLostError(session_id=self.session_id)

    def lost_error_for(self, exc: BaseException) -> SessionLostError | None:
        """If `exc` is the server saying *our* session is gone (e.g. 404 "session s-1 expired"),
        mark the session lost and return the SessionLostError to raise instead."""
        if not isinstance(exc, APIStatusError) or self.session_id is None:
            return None
        if exc.status_code not in (400, 403, 404, 410):
            return None
        # Only a verdict about this session counts ("session <id> expired / not found"); a 404 for
        # some other resource must not kill the client.
        text = str(exc.body).lower()
        if "session" not in text or not ("expired" in text or self.session_id.lower() in text):
            return None
        self.lost = True
        self._rt.observer.emit("session", "session_lost", session_id=self.session_id, status=exc.status_code)
        return SessionLostError(session_id=self.session_id)

    async def ensure(self) -> str:
        """The session id, creating the session (once) on first use."""
        self.check()
        if self.session_id is not None:
            return self.session_id
        async with self._lock:
            if self.session_id is None:
                # A 0.38 client's first request is client/config: it decides the wire generation.
                await ensure_protocol(self._rt)
                cfg = self._rt.config
                later = self._rt.protocol != "0.7"
                if not later and (self.display_name is not None or self.project_id is not None):
                    logger.warning(
                        "display_name / project_id are not sent: this server speaks the tinker 0.7 protocol"
                    )
                body = CreateSessionRequest(
                    tags=list(cfg.tags),
                    user_metadata=dict(cfg.user_metadata or {}),
                    sdk_version=__version__,
                    display_name=self.display_name if later else None,
                    project_id=self.project_id if later else None,
                ).to_dict()
                response = await self._rt.requester.call(ops.create_session, body=body)
                created = decode(
                    CreateSessionResponse,
                    response.body,
                    what=ops.create_session.operation_id,
                    request_id=response.request_id,
                )
                session_id = created.session_id
                if not session_id:
                    raise APIResponseValidationError(
                        "create_session answered without a session_id", body=response.body
                    )
                for message, log in (
                    (created.info_message, logger.info),
                    (created.warning_message, logger.warning),
                    (created.error_message, logger.error),
                ):
                    if message:
                        log("%s", message)
                self.session_id = session_id
                self._rt.observer.emit("session", ops.create_session.operation_id, session_id=session_id)
                self.lease = HeartbeatLease(started=time.monotonic(), warn_after=cfg.heartbeat_warn_after)
                self._heartbeat = asyncio.get_running_loop().create_task(
                    self._heartbeat_loop(session_id), name="tinkex-heartbeat"
                )
        assert self.session_id is not None
        return self.session_id

    async def _heartbeat_loop(self, session_id: str) -> None:
        cfg = self._rt.config
        heartbeat = SessionHeartbeatRequest(session_id=session_id).to_dict()
        op_id = ops.session_heartbeat.operation_id
        lease = self.lease
        assert lease is not None
        while True:
            # The period is real time even under zero_waits (tests shrink heartbeat_interval).
            await asyncio.sleep(cfg.heartbeat_interval)
            status: int | None = None
            body: object = None
            error: str | None = None
            try:
                response = await self._rt.requester.call(
                    ops.session_heartbeat,
                    body=heartbeat,
                    read_timeout=cfg.heartbeat_timeout,
                    raise_status=False,
                )
                status, body = response.status, response.body
            except (APIError, CircuitOpenError) as exc:  # an open session breaker costs this beat
                error = type(exc).__name__
            except Exception as exc:
                # Anything unmapped (a bug, an unexpected transport error) costs this beat only: a
                # heartbeat task that dies would let the server end a live client's session.
                error = type(exc).__name__
                logger.debug("session heartbeat failed unexpectedly", exc_info=True)
            now = time.monotonic()
            if status is not None and 200 <= status < 300:
                lease.success(now)
                self._rt.observer.emit("heartbeat", op_id, status=status, session_id=session_id)
                continue
            action = lease.failure(now, status=status, body=body)
            self._rt.observer.emit(
                "heartbeat",
                op_id,
                status=status,
                error_type=error,
                session_id=session_id,
                seconds_since_success=action.seconds_since_success,
            )
            if action.lost:
                self.lost = True
                logger.error(
                    "The server no longer knows session %s (heartbeat HTTP %s); further calls raise "
                    "SessionLostError - create a new ServiceClient",
                    session_id,
                    status,
                )
                self._rt.observer.emit("session", "session_lost", session_id=session_id, status=status)
                return
            if action.warn:
                logger.warning(
                    "Session heartbeat failed for %.0f s for session %s (last: %s). The connection may "
                    "be unreliable or the server down; the server may end the session if this persists.",
                    action.seconds_since_success,
                    session_id,
                    error or f"HTTP {status}",
                )

    async def finish(self, status: str, detail: str | None) -> bool:
        """Tell the server the session ended (tinker 0.38 session_finish); False when there is nothing
        to finish or the server speaks 0.7 (which has no such operation). Failures are logged: the
        client closes anyway."""
        if self.session_id is None or self.lost or self._rt.protocol == "0.7":
            return False
        reason = ClientSessionFinishedReason(type=status)  # type: ignore[arg-type]  # checked by close()
        body = ClientSessionFinished(reason=reason, detail=detail).to_dict()
        try:
            await self._rt.requester.call(
                ops.session_finish, body=body, path_params={"session_id": self.session_id}, max_retries=2
            )
        except Exception as exc:
            logger.warning("session_finish for %s failed (%s); closing anyway", self.session_id, exc)
            return False
        self._rt.observer.emit("session", ops.session_finish.operation_id, session_id=self.session_id)
        return True

    async def stop(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
