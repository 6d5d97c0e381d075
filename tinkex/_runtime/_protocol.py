"""Which protocol generation the server speaks, asked once per ServiceClient, and what follows from it.

A tinker >= 0.38 server answers `client/config` (its feature flags); a 0.7.0-era server has no such
operation and answers 404. So the first call that needs to know (creating the session, or a training
or sampling call on a client made without one) asks, under a lock, through the normal retry policy and
its deadlines; the answer is cached on the Runtime:

* 404 (or 405): `Runtime.protocol = "0.7"`, today's JSON protocol, unchanged;
* 2xx: `Runtime.protocol = "0.38"`, the flags kept in `ProtocolState.flags`; every later call carries
  `x-sdk-version` / `x-sdk-method`; forward_backward is sent as protobuf (zstd when the flag
  `proto_compress_fwdbwd` is on), forward as forward_backward with forward_only, results of
  forward_backward and sample are asked for as protobuf, and `client/dynamic_config` is refreshed in
  the background every `refresh_interval_sec` (at most 300 s) until close() stops it;
* anything else (401, a 5xx after the retries): raised; nothing is cached, the next call asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from _tinkex_lowlevel import operations as ops

from tinkex._exceptions import APIError, status_error_for
from tinkex._runtime._observe import logger
from tinkex._version import __version__

if TYPE_CHECKING:
    from tinkex._runtime._core import Runtime

__all__ = [
    "DYNAMIC_CONFIG_MAX_INTERVAL",
    "NEGOTIATION_TIMEOUT",
    "RESULT_BYTES_BUDGET",
    "ProtocolState",
    "ensure_protocol",
    "refresh_interval",
]

# Seconds one client/config request may take (each attempt; the retry policy bounds the attempts).
NEGOTIATION_TIMEOUT = 30.0
# The dynamic config is re-read at least this often (the official client's ceiling too).
DYNAMIC_CONFIG_MAX_INTERVAL = 300.0
DYNAMIC_CONFIG_MIN_INTERVAL = 1.0
# Bytes of large results (metadata-only polls) fetched at once per ServiceClient.
RESULT_BYTES_BUDGET = 256 << 20


def refresh_interval(body: object) -> float:
    """Seconds until the next dynamic-config read, from the server's `refresh_interval_sec`,
    clamped to [1, 300] (missing or malformed: 300).

    >>> refresh_interval({"refresh_interval_sec": 60}), refresh_interval({}), refresh_interval({"refresh_interval_sec": 9999})
    (60.0, 300.0, 300.0)
    """
    value = body.get("refresh_interval_sec") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return DYNAMIC_CONFIG_MAX_INTERVAL
    return float(min(max(value, DYNAMIC_CONFIG_MIN_INTERVAL), DYNAMIC_CONFIG_MAX_INTERVAL))


class ProtocolState:
    """What the negotiation learned (loop thread only)."""

    def __init__(self) -> None:
        self.known = False
        self.flags: dict[str, Any] = {}
        self.dynamic: dict[str, Any] = {}
        self.lock = asyncio.Lock()
        self.refresher: asyncio.Task[None] | None = None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.dynamic.get(name, self.flags.get(name, default))
        return bool(value)

    async def stop(self) -> None:
        task, self.refresher = self.refresher, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def ensure_protocol(rt: Runtime) -> str:
    """The server's protocol generation, asking `client/config` once (see the module docstring)."""
    state: ProtocolState = rt.wire
    if state.known:
        return str(rt.protocol)
    async with state.lock:
        if state.known:
            return str(rt.protocol)
        response = await rt.requester.call(
            ops.client_config,
            body={"sdk_version": __version__},
            read_timeout=NEGOTIATION_TIMEOUT,
            raise_status=False,
            probe_generation=True,  # it asks which generation the server speaks
        )
        if response.status in (404, 405):
            rt.protocol = "0.7"
            logger.info("the server answers 404 to client/config: speaking the tinker 0.7.0 protocol")
        elif 200 <= response.status < 300:
            rt.protocol = "0.38"
            state.flags = dict(response.body) if isinstance(response.body, dict) else {}
            rt.requester.sdk_headers = {"x-sdk-version": __version__}
            state.refresher = asyncio.get_running_loop().create_task(
                _refresh_dynamic_config(rt), name="tinkex-dynamic-config"
            )
        else:
            raise status_error_for(
                response.status,
                f"{ops.client_config.method} {ops.client_config.path}",
                body=response.body,
                headers=response.headers,
            )
        state.known = True
        rt.observer.emit("session", ops.client_config.operation_id, protocol=rt.protocol)
        return str(rt.protocol)


async def _refresh_dynamic_config(rt: Runtime) -> None:
    """Read `client/dynamic_config` now and every refresh interval; a 404 ends it (the server has
    none), a failure keeps the last flags and tries again at the next interval. Cancelled by close()."""
    state: ProtocolState = rt.wire
    while True:
        interval = DYNAMIC_CONFIG_MAX_INTERVAL
        try:
            response = await rt.requester.call(
                ops.client_dynamic_config,
                body={"sdk_version": __version__},
                read_timeout=NEGOTIATION_TIMEOUT,
                max_retries=1,
                raise_status=False,
            )
            if response.status == 404:
                return
            if 200 <= response.status < 300 and isinstance(response.body, dict):
                state.dynamic = dict(response.body)
                interval = refresh_interval(response.body)
        except APIError as exc:
            logger.debug("client/dynamic_config failed (%s); the last flags stay", type(exc).__name__)
        await asyncio.sleep(interval)  # real time even under zero_waits (a period, not a backoff)
