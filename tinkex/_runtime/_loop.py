"""One background asyncio loop thread per ServiceClient: started on first use, stopped and joined by
`close()`, after which no thread or task of it is left and every future it still owed has failed
with ClientClosedError (so no caller waits forever on a closed client)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from tinkex._exceptions import ClientClosedError, TinkexError

__all__ = ["LoopThread"]


_ids = itertools.count(1)
_START_TIMEOUT = 30.0


class LoopThread:
    """A private event loop running in a daemon thread named ``tinkex-loop-<n>``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        # Futures whose results this loop still owes (see `track`); failed at close.
        self._owed: set[concurrent.futures.Future[Any]] = set()
        self.name = f"tinkex-loop-{next(_ids)}"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def started(self) -> bool:
        return self._loop is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, started on first access."""
        with self._lock:
            if self._closed:
                raise ClientClosedError("this tinkex client is closed; create a new ServiceClient")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    try:
                        asyncio.set_event_loop(loop)
                        loop.call_soon(ready.set)
                        loop.run_forever()
                    finally:
                        ready.set()  # a thread that failed must not leave its starter waiting

                thread = threading.Thread(target=run, name=self.name, daemon=True)
                thread.start()
                # The loop is running once `ready` is set; 30 s covers a machine under heavy load.
                if not ready.wait(_START_TIMEOUT) or not loop.is_running():
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(1.0)
                    if not thread.is_alive():
                        loop.close()
                    raise TinkexError(
                        "the SDK's event-loop thread failed to start (see the log for its error); "
                        "create a new ServiceClient"
                    )
                self._loop, self._thread = loop, thread
            return self._loop

    def track(self, fut: concurrent.futures.Future[Any]) -> None:
        """Remember `fut` until it is done; close() fails it with ClientClosedError if it never is."""
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                self._owed.add(fut)
        if closed:
            _fail_closed(fut)
            return
        fut.add_done_callback(self._forget)

    def _forget(self, fut: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._owed.discard(fut)

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel every task, run `cleanup` coroutines first, stop the loop and join the thread."""
        self.close_with(None, timeout)

    def close_with(
        self, cleanup: Callable[[], Coroutine[Any, Any, None]] | None, timeout: float = 10.0
    ) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            self._fail_owed()
            return
        if threading.current_thread() is thread:
            raise TinkexError("close() cannot be called from the SDK's own event-loop thread")

        async def shutdown() -> None:
            if cleanup is not None:
                # Closing must finish even if cleanup fails.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(cleanup(), timeout=timeout / 2)
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout / 2)
            await loop.shutdown_asyncgens()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
        # Whatever did not finish (a task that ignored its cancellation, work queued after the
        # shutdown began) would otherwise leave its caller waiting forever.
        self._fail_owed()

    def _fail_owed(self) -> None:
        with self._lock:
            owed, self._owed = list(self._owed), set()
        for fut in owed:
            _fail_closed(fut)


def _fail_closed(fut: concurrent.futures.Future[Any]) -> None:
    # The loop thread may resolve it at the same moment (a join that timed out): first one wins.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if not fut.done():
            fut.set_exception(ClientClosedError())
