"""Heartbeat lease bookkeeping: when to warn about missed heartbeats and when the session is lost."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["HeartbeatAction", "HeartbeatLease", "is_session_lost_reply"]

# Statuses that mean "this session does not exist any more" on a heartbeat (not "try later").
SESSION_GONE_STATUSES = frozenset({404, 410})


def is_session_lost_reply(status: int | None, body: object) -> bool:
    """True when a heartbeat reply says the session is gone: 404/410, or a body naming it expired/lost.

    >>> is_session_lost_reply(404, None), is_session_lost_reply(503, None)
    (True, False)
    >>> is_session_lost_reply(400, {"detail": "session expired"})
    True
    """
    if status in SESSION_GONE_STATUSES:
        return True
    if status is None or status < 400 or status >= 500:
        return False
    text = ""
    if isinstance(body, Mapping):
        text = str(body.get("detail") or body.get("error") or body.get("message") or "")
    elif isinstance(body, str):
        text = body
    text = text.lower()
    return "session" in text and any(w in text for w in ("expired", "lost", "not found", "unknown"))


@attrs.frozen
class HeartbeatAction:
    """What the heartbeat loop does after one beat: log a warning and/or mark the session lost."""

    warn: bool = False
    lost: bool = False
    seconds_since_success: float = 0.0


@attrs.define
class HeartbeatLease:
    """Tracks the last successful heartbeat. Warn after `warn_after` s without success, then at most
    every `warn_every` s (the official client warns on every failing beat, every 10 s).

    >>> lease = HeartbeatLease(started=0.0, warn_after=120.0)
    >>> lease.failure(100.0, status=503, body=None).warn
    False
    >>> lease.failure(130.0, status=503, body=None).warn
    True
    >>> lease.failure(140.0, status=None, body=None).warn
    False
    >>> lease.failure(150.0, status=404, body=None).lost
    True
    """

    started: float
    warn_after: float = 120.0
    warn_every: float = 60.0
    last_success: float | None = None
    last_warning: float | None = None
    lost: bool = False

    def success(self, now: float) -> HeartbeatAction:
        self.last_success = now
        self.last_warning = None
        return HeartbeatAction()

    def failure(self, now: float, *, status: int | None, body: object) -> HeartbeatAction:
        since = now - (self.last_success if self.last_success is not None else self.started)
        if is_session_lost_reply(status, body):
            self.lost = True
            return HeartbeatAction(lost=True, seconds_since_success=since)
        warn = since > self.warn_after and (
            self.last_warning is None or now - self.last_warning >= self.warn_every
        )
        if warn:
            self.last_warning = now
        return HeartbeatAction(warn=warn, seconds_since_success=since)
