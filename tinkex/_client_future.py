"""The future of a client that client creation returns (tinker 0.38): awaitable, `.result()`, and, for
code written for 0.7.0, usable as the client itself (attribute access resolves it, announced once)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import Any, TypeVar

from tinkex._deprecations import warn_once
from tinkex._runtime._futures import APIFuture

__all__ = ["ClientFuture", "client_future"]

C = TypeVar("C")


class ClientFuture(APIFuture[C]):
    """A future of a TrainingClient or SamplingClient.

    `await fut`, `fut.result()` give the client (tinker 0.38 style). Reading any other attribute, as
    0.7.0 code does (`tc = sc.create_lora_training_client(...); tc.forward_backward(...)`), waits for the
    client and forwards to it, with a FutureWarning the first time (0.38 announces the same).

    Example::

        tc = sc.create_lora_training_client(base_model="tiny-llama", rank=8).result()
        tc = await sc.create_lora_training_client(base_model="tiny-llama", rank=8)
    """

    def __getattr__(self, name: str) -> Any:
        # Only called for names the future lacks. Dunder names (copy/pickle probes) and anything asked
        # before the future itself is set up are never forwarded.
        if name.startswith("__") or "_state" not in self.__dict__:
            raise AttributeError(name)
        warn_once(
            "client-future-as-client",
            f"using the future returned by a client-creation method as the client (`.{name}`) is "
            "deprecated (tinker 0.38); call .result() on it, or await it, to get the client",
            FutureWarning,
        )
        return getattr(self._wait(), name)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickling what 0.7.0 code holds as the client pickles the client (SamplingClient travels to
        # worker processes that way): unpickled, it is the client itself.
        return (_itself, (self._wait(),))

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        if self.done() and not self.cancelled() and self.exception() is None:
            names |= set(dir(super().result(0)))
        return sorted(names)

    def __repr__(self) -> str:
        if not self.done():
            state = "pending"
        elif self.cancelled():
            state = "cancelled"
        elif (exc := self.exception()) is not None:
            state = f"failed: {type(exc).__name__}"
        else:
            state = repr(super().result(0))
        return f"<ClientFuture {state}>"


def _itself(value: Any) -> Any:
    return value


def client_future(inner: APIFuture[C]) -> ClientFuture[C]:
    """A ClientFuture resolving with `inner` (same deadline; cancelling it cancels `inner`).

    Called from synchronous code (no event loop running in this thread), it waits for the client
    first, as 0.7.0's blocking creation did: the requests have been made and a failure is raised
    here, at the call, so 0.7.0 programs see the timing and errors they always saw. From async code
    it returns at once (tinker 0.38): await it.
    """
    fut = _linked(inner)
    loop = inner._sdk_loop
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if loop is None or not loop.in_loop_thread():
            fut._wait()
    return fut


def _linked(inner: APIFuture[C]) -> ClientFuture[C]:
    fut: ClientFuture[C] = ClientFuture(inner._sdk_loop, default_timeout=inner._default_timeout)
    fut._parent = inner

    def copy(done: concurrent.futures.Future[C]) -> None:
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            if done.cancelled():
                fut.cancel()
            elif (exc := done.exception()) is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(done.result())

    inner.add_done_callback(copy)
    return fut
