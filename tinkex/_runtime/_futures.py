"""`APIFuture` (a concurrent.futures.Future that is also awaitable), the helpers to wait on many,
and the retrieve_future long-poll loop that turns a request id into a result."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from _tinkex_lowlevel import operations as ops

from tinkex._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    ClientClosedError,
    FutureTimeoutError,
    RequestFailedError,
    TinkexError,
    status_error_for,
)
from tinkex._policy._polling import (
    Done,
    Expired,
    Failed,
    Fatal,
    Pending,
    QueueStateThrottle,
    Transient,
    classify_poll_reply,
    expired_hint,
    poll_backoff,
    resubmit_is_safe,
    unreachable_delay,
)
from tinkex._runtime import _waits
from tinkex._runtime._observe import logger
from tinkex._runtime._sync import warn_if_in_event_loop
from tinkex.types import FutureRetrieveRequest

if TYPE_CHECKING:
    from _tinkex_lowlevel.operations import Operation

    from tinkex._runtime._core import Runtime
    from tinkex._runtime._loop import LoopThread

__all__ = [
    "APIFuture",
    "as_completed",
    "as_completed_async",
    "gather_async",
    "poll_future",
    "wait_all",
]

T = TypeVar("T")
U = TypeVar("U")


class APIFuture(concurrent.futures.Future[T], Generic[T]):
    """The result of an SDK call that runs in the background: block with `.result()`, or `await` it.

    It is a real `concurrent.futures.Future` (works with `concurrent.futures.wait` and
    `as_completed`) and also awaitable from any event loop. A deadline that runs out raises
    `FutureTimeoutError` (also a builtin `TimeoutError`) and leaves the request running, so you can
    wait again; `cancel()` stops it. `timeout=None` means the client's default deadline
    (`future_timeout`, unlimited unless set; the SDK's own polling gives up after
    `RetryConfig.progress_timeout`).

    Example::

        fut = training_client.forward_backward(data, "cross_entropy")
        out = fut.result(timeout=600)          # or: out = await fut
        print(out.metrics)
    """

    def __init__(
        self,
        loop: LoopThread | None = None,
        *,
        default_timeout: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__()
        self._sdk_loop = loop
        self._default_timeout = default_timeout
        self._task: asyncio.Task[Any] | None = None
        # The future this one was derived from (see `chain`); cancelling this one cancels it.
        self._parent: concurrent.futures.Future[Any] | None = None
        self._request_id: str | None = request_id

    @property
    def request_id(self) -> str | None:
        """The server's request id once the request was accepted (the last one for chunked calls)."""
        if self._request_id is None and isinstance(self._parent, APIFuture):
            return self._parent.request_id
        return self._request_id

    @request_id.setter
    def request_id(self, value: str | None) -> None:
        self._request_id = value

    # -- resolution (SDK side) --------------------------------------------------------------------

    def _resolve_from(self, task: asyncio.Task[Any]) -> None:
        if self.done():
            return
        with contextlib.suppress(concurrent.futures.InvalidStateError):  # close() may fail it first
            if task.cancelled():
                # A user's cancel() marks this future cancelled before the task, so a task cancelled
                # while this future is still pending was cancelled by close(): say so, and do not
                # hand the caller a bare CancelledError.
                loop = self._sdk_loop
                if loop is not None and loop.closed:
                    self.set_exception(ClientClosedError())
                else:
                    super().cancel()
                return
            exc = task.exception()
            if exc is not None:
                self.set_exception(exc)
            else:
                self.set_result(task.result())

    def cancel(self) -> bool:
        """Cancel the request if it has not finished; later training calls are not held up by it."""
        cancelled = super().cancel()
        if cancelled and self._parent is not None:
            self._parent.cancel()
        task, loop = self._task, self._sdk_loop
        if cancelled and task is not None and loop is not None and not loop.closed:
            with contextlib.suppress(RuntimeError, TinkexError):
                loop.call_soon(task.cancel)
        return cancelled

    # -- waiting (user side) ------------------------------------------------------------------------

    def _effective(self, timeout: float | None) -> float | None:
        return self._default_timeout if timeout is None else timeout

    def result(self, timeout: float | None = None) -> T:
        """Block until done; `timeout` seconds (default: the client's) raises FutureTimeoutError."""
        if not self.done():
            warn_if_in_event_loop("APIFuture.result", "await future (or future.result_async())")
        return self._wait(timeout)

    def _wait(self, timeout: float | None = None) -> T:
        """`result` without the event-loop warning (the SDK's own blocking methods warn themselves)."""
        if self._sdk_loop is not None and self._sdk_loop.in_loop_thread() and not self.done():
            raise TinkexError(
                "result() was called on the SDK's own event-loop thread and would deadlock; "
                "use `await future` there"
            )
        effective = self._effective(timeout)
        try:
            return super().result(effective)
        except TimeoutError:
            if self.done():
                raise
            raise FutureTimeoutError(timeout=effective, request_id=self.request_id) from None

    async def result_async(self, timeout: float | None = None) -> T:  # noqa: ASYNC109 (official API)
        """Await the result from any event loop; a timeout raises FutureTimeoutError (the request
        keeps running), and cancelling the awaiting task does not cancel the request."""
        if not self.done():
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()

            def wake(_: concurrent.futures.Future[T]) -> None:
                def set_done() -> None:
                    if not waiter.done():
                        waiter.set_result(None)

                with contextlib.suppress(RuntimeError):  # the awaiting loop is gone
                    loop.call_soon_threadsafe(set_done)

            self.add_done_callback(wake)
            effective = self._effective(timeout)
            try:
                await asyncio.wait_for(waiter, effective)
            except TimeoutError:
                if not self.done():
                    raise FutureTimeoutError(timeout=effective, request_id=self.request_id) from None
        return super().result(0)

    def __await__(self) -> Generator[Any, None, T]:
        return self.result_async().__await__()

    def future(self) -> APIFuture[T]:
        """A `concurrent.futures.Future` of the result: this object, which is one (tinker 0.38 hands out
        its underlying concurrent future here)."""
        return self

    async def coroutine(self) -> T:
        """A coroutine of the result (tinker 0.38): `asyncio.gather(f.coroutine(), ...)`, `create_task`.

        Example::

            out, step = await asyncio.gather(fb.coroutine(), opt.coroutine())
        """
        return await self.result_async()


def spawn(
    loop: LoopThread,
    coro: Coroutine[Any, Any, T],
    *,
    default_timeout: float | None = None,
    cleanup: Callable[[], None] | None = None,
    future: APIFuture[T] | None = None,
) -> APIFuture[T]:
    """Run `coro` as a task on the SDK loop; `cleanup` runs on the loop exactly once when the task
    ends or is abandoned (cancelled before it started), whatever the outcome. Pass `future` (made
    beforehand) when the coroutine must reach its own future: it may run before spawn returns."""
    fut: APIFuture[T] = future if future is not None else APIFuture(loop, default_timeout=default_timeout)
    loop.track(fut)
    cleaned = False

    def do_cleanup() -> None:
        nonlocal cleaned
        if not cleaned and cleanup is not None:
            cleaned = True
            try:
                cleanup()
            except Exception:
                logger.exception("tinkex internal cleanup failed")

    def start() -> None:
        if fut.done():  # cancelled before it started
            coro.close()
            do_cleanup()
            return
        task = asyncio.get_running_loop().create_task(coro)
        fut._task = task

        def finished(t: asyncio.Task[T]) -> None:
            do_cleanup()
            fut._resolve_from(t)

        task.add_done_callback(finished)

    try:
        loop.call_soon(start)
    except (RuntimeError, TinkexError) as exc:
        coro.close()
        if not fut.done():
            fut.set_exception(
                exc
                if isinstance(exc, ClientClosedError)
                else ClientClosedError(f"the tinkex client is closed: {exc}")
            )
    return fut


def completed(value: T) -> APIFuture[T]:
    """An already-finished future (e.g. forward on an empty batch)."""
    fut: APIFuture[T] = APIFuture()
    fut.set_result(value)
    return fut


def chain(source: APIFuture[T], fn: Callable[[T], U]) -> APIFuture[U]:
    """A future resolved with `fn(source.result())` (fn runs in the thread that resolved `source`)."""
    out: APIFuture[U] = APIFuture(source._sdk_loop, default_timeout=source._default_timeout)
    out._parent = source

    def done(f: concurrent.futures.Future[T]) -> None:
        if out.done():
            return
        if f.cancelled():
            out.cancel()
            return
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        try:
            out.set_result(fn(f.result()))
        except BaseException as e:
            out.set_exception(e)

    source.add_done_callback(done)
    return out


# -- helpers over many futures ----------------------------------------------------------------------


def wait_all(futures: Iterable[concurrent.futures.Future[T]], timeout: float | None = None) -> list[T]:
    """Results of all futures, in order; one deadline for all. A failure is raised as soon as it
    happens (the others keep running), not after the rest finished.

    Example::

        outs = tinkex.wait_all([sc.sample(p, 1, params) for p in prompts], timeout=300)
    """
    futs = list(futures)
    done, pending = concurrent.futures.wait(
        futs, timeout=timeout, return_when=concurrent.futures.FIRST_EXCEPTION
    )
    failed = [f for f in futs if f in done and not f.cancelled() and f.exception() is not None]
    if failed:
        failed[0].result()  # raises that failure (the first in the order given)
    if pending:
        raise FutureTimeoutError(timeout=timeout)
    return [f.result() for f in futs]


def as_completed(
    futures: Iterable[concurrent.futures.Future[T]], timeout: float | None = None
) -> Iterator[concurrent.futures.Future[T]]:
    """Yield futures as they finish; raises FutureTimeoutError when `timeout` runs out first.

    Example::

        for fut in tinkex.as_completed(futs, timeout=60):
            print(fut.result())
    """
    try:
        yield from concurrent.futures.as_completed(list(futures), timeout=timeout)
    except TimeoutError:
        raise FutureTimeoutError(timeout=timeout) from None


async def gather_async(futures: Iterable[APIFuture[T]], timeout: float | None = None) -> list[T]:  # noqa: ASYNC109 (official API)
    """Await all futures (one deadline for all); results in order.

    Example::

        outs = await tinkex.gather_async(futs, timeout=300)
    """
    futs = list(futures)
    try:
        async with asyncio.timeout(timeout):
            return list(await asyncio.gather(*(f.result_async() for f in futs)))
    except TimeoutError:
        if all(f.done() for f in futs):
            raise
        raise FutureTimeoutError(timeout=timeout) from None


async def as_completed_async(
    futures: Iterable[APIFuture[T]],
    timeout: float | None = None,  # noqa: ASYNC109 (mirrors concurrent.futures.as_completed)
) -> AsyncIterator[APIFuture[T]]:
    """Async-iterate futures as they finish.

    Example::

        async for fut in tinkex.as_completed_async(futs, timeout=60):
            print(await fut)
    """
    futs = list(futures)
    queue: asyncio.Queue[APIFuture[T]] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def deliver(done_f: concurrent.futures.Future[T]) -> None:
        # The caller may have stopped iterating and closed its loop; nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, done_f)  # type: ignore[arg-type]

    for f in futs:
        f.add_done_callback(deliver)
    deadline = None if timeout is None else loop.time() + timeout
    for _ in futs:
        remaining = None if deadline is None else max(0.0, deadline - loop.time())
        try:
            yield await asyncio.wait_for(queue.get(), remaining)
        except TimeoutError:
            raise FutureTimeoutError(timeout=timeout) from None


# -- the poll loop --------------------------------------------------------------------------------------


class UnreachableError(APIConnectionError):
    """Polling gave up: connection errors in a row used up the retry budget. Internal subclass so the
    sampling loop does not spend that budget a second time by resubmitting; users see an
    APIConnectionError."""


async def poll_future(
    rt: Runtime,
    request_id: str,
    op: Operation | None,
    *,
    started: float,
    on_queue_state: Callable[[str, str | None], None] | None = None,
    throttle: QueueStateThrottle | None = None,
    sequence_ids: Sequence[str] | None = None,
) -> Mapping[str, Any]:
    """Long-poll retrieve_future until a result: re-poll at once when pending, back off 1..30 s on
    5xx/429, raise RequestFailedError on a failed result, GoneError on 410 (its hint says whether
    resubmitting is safe), APIConnectionError once connection errors in a row used up a new call's
    retry budget (~65 s by default: the server is unreachable), and FutureTimeoutError when nothing
    finished within RetryConfig.progress_timeout.

    `op` is the operation that answered with the future (None: unknown, e.g. a low-level call); its
    generated descriptor names the X-Tinker-Request-Type of the polls.

    Against a tinker >= 0.38 server (`rt.protocol`), forward_backward and sample results are asked for
    as protobuf and decoded into the same JSON shape (numpy views for arrays; `sequence_ids`, the
    future's `sample_sequence_ids`, name the sampled sequences), and polls allow a metadata-only answer:
    a large finished result is then fetched once `rt.result_bytes` admits its size."""
    cfg = rt.config
    retry = cfg.retry
    wire_type = None if op is None else op.future_request_type
    poll_body = FutureRetrieveRequest(request_id=request_id).to_dict()  # the same for every poll
    binary_result = rt.protocol == "0.38" and op is not None and op.future_result_type in _BINARY_RESULTS
    fetch_body = poll_body
    hold_bytes: int | None = None  # a metadata-only answer announced this many bytes
    if rt.protocol == "0.38":
        poll_body = {**poll_body, "allow_metadata_only": True}
    request_type = wire_type or (op.operation_id if op is not None else "future")
    deadline = time.monotonic() + cfg.retry.progress_timeout
    iteration = 0
    failures = 0
    unreachable = 0  # connection errors in a row
    unreachable_since = 0.0
    last_state: str | None = None
    while True:
        if time.monotonic() > deadline:
            raise _ended(
                rt,
                request_type,
                request_id,
                FutureTimeoutError(
                    f"request {request_id} made no progress for {cfg.retry.progress_timeout:g} s; "
                    "the server may be overloaded - retry later or raise RetryConfig.progress_timeout",
                    request_id=request_id,
                    timeout=cfg.retry.progress_timeout,
                ),
            )
        headers = {"X-Tinker-Request-Iteration": str(iteration), "X-Stainless-Raw-Response": "raw"}
        if wire_type is not None:
            headers["X-Tinker-Request-Type"] = wire_type
        if iteration == 0:
            headers["X-Tinker-Create-Promise-Roundtrip-Time"] = repr(max(0.0, time.time() - started))
        if binary_result:
            headers["Accept"] = "application/x-protobuf, application/json"
        iteration += 1
        status: int | None
        body: object
        try:
            async with contextlib.AsyncExitStack() as held:
                if hold_bytes is not None:  # fetch the announced result within the byte budget
                    await held.enter_async_context(rt.result_bytes.hold(hold_bytes))
                response = await rt.requester.call(
                    ops.retrieve_future,
                    body=poll_body if hold_bytes is None else fetch_body,
                    headers=headers,
                    read_timeout=cfg.retrieve_future_timeout,
                    raise_status=False,
                )
            status, body = response.status, response.body
            if isinstance(body, bytes) and 200 <= status < 300:
                body = _decode_binary(op, body, sequence_ids, request_id)
            elif isinstance(body, Mapping) and body.get("status") == "complete_metadata":
                size = body.get("response_payload_size")
                hold_bytes = size if isinstance(size, int) and size >= 0 else 0
                unreachable = 0
                continue
        except APIConnectionError as exc:
            status, body = None, None
            if not unreachable:
                unreachable_since = time.monotonic()
            unreachable += 1
            delay = unreachable_delay(
                unreachable,
                max_retries=retry.max_retries,
                enabled=retry.enable_retry_logic,
                base=retry.retry_delay_base,
                max_delay=retry.retry_delay_max,
                jitter=retry.jitter_factor,
                rand=rt.requester._rand,
            )
            if delay is None:
                raise _ended(
                    rt,
                    request_type,
                    request_id,
                    UnreachableError(
                        f"the server is unreachable: {unreachable} connection attempts in a row failed over "
                        f"{time.monotonic() - unreachable_since:.0f} s while waiting for {request_type} "
                        f"request {request_id} ({exc}). The server had accepted the request, so it may "
                        "still complete; check the server and the run's state before submitting it again"
                    ),
                ) from exc
            await _waits.sleep(delay)
            continue
        unreachable = 0
        outcome = classify_poll_reply(status, body)
        if isinstance(outcome, Done):
            rt.observer.emit("future_done", request_type, request_id=request_id, polls=iteration)
            return outcome.result
        if isinstance(outcome, Pending):
            failures = 0
            state = outcome.queue_state
            if state is not None and state != last_state:
                last_state = state
                rt.observer.emit(
                    "queue_state",
                    request_type,
                    request_id=request_id,
                    queue_state=state,
                    queue_state_reason=outcome.queue_state_reason,
                )
            if (
                state is not None
                and on_queue_state is not None
                and (throttle is None or throttle.should_log(state, time.monotonic()))
            ):
                on_queue_state(state, outcome.queue_state_reason)
            await asyncio.sleep(0)
            continue
        if isinstance(outcome, Transient):
            failures += 1
            await _waits.sleep(poll_backoff(failures))
            continue
        if isinstance(outcome, Failed):
            rt.observer.emit(
                "future_done",
                request_type,
                request_id=request_id,
                error_type="RequestFailedError",
                category=outcome.category,
            )
            raise RequestFailedError(
                f"{request_type} request {request_id} failed on the server: {outcome.message}",
                request_id,
                outcome.category,
                body=body,
            )
        if isinstance(outcome, Expired):
            raise _ended(
                rt,
                request_type,
                request_id,
                status_error_for(
                    410,
                    f"retrieve_future {request_id} ({request_type})",
                    body=outcome.body,
                    request_id=request_id,
                    hint=expired_hint(request_type),
                    resubmit_safe=resubmit_is_safe(request_type),
                ),
            )
        assert isinstance(outcome, Fatal)
        if 200 <= outcome.status < 300:
            raise _ended(
                rt,
                request_type,
                request_id,
                APIResponseValidationError(
                    f"retrieve_future {request_id}: expected a JSON object, got {type(outcome.body).__name__}",
                    body=outcome.body,
                    status_code=outcome.status,
                    request_id=request_id,
                ),
            )
        raise _ended(
            rt,
            request_type,
            request_id,
            status_error_for(
                outcome.status,
                f"retrieve_future {request_id} ({request_type})",
                body=outcome.body,
                request_id=request_id,
            ),
        )


# The future results a tinker >= 0.38 server sends as protobuf when asked.
_BINARY_RESULTS = ("ForwardBackwardOutput", "SampleResponse")


def _decode_binary(
    op: Operation | None, payload: bytes, sequence_ids: Sequence[str] | None, request_id: str
) -> Mapping[str, Any]:
    from tinkex._runtime import _binary

    what = f"retrieve_future {request_id}"
    if op is not None and op.future_result_type == "SampleResponse":
        return _binary.decode_sample_response(payload, sequence_ids, what=what)
    return _binary.decode_forward_backward_output(payload, what=what)


def _ended(rt: Runtime, request_type: str, request_id: str, exc: BaseException) -> BaseException:
    """Emit the future_done event of a future that ended in `exc`, and return `exc` to raise."""
    rt.observer.emit("future_done", request_type, request_id=request_id, error_type=type(exc).__name__)
    return exc
