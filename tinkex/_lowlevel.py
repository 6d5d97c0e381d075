"""`ServiceClient.lowlevel`: every operation of openapi/tinker.yaml as a method, sent through the runtime.

The methods and their signatures are generated (`_tinkex_lowlevel.lowlevel.LowLevelOperations`, one
`<operationId>` and `<operationId>_async` per operation); this module supplies their I/O: the body (a
generated request model or a plain mapping) is encoded, sent by the Requester (auth headers, the one
retry policy, the pooled transport, error mapping, event hooks, OTel spans), and the answer parsed into
the generated response model the spec names. A new operation in the spec is callable here after
`make gen`, with no edit in tinkex.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from _tinkex_lowlevel.lowlevel import LowLevelOperations
from _tinkex_lowlevel.operations import EmptyResponse, Operation

from tinkex._exceptions import APIResponseValidationError, FutureTimeoutError, TinkexValidationError, redact
from tinkex._runtime._futures import poll_future
from tinkex._runtime._sync import warn_if_in_event_loop

if TYPE_CHECKING:
    from tinkex._runtime._core import Runtime

__all__ = ["LowLevel"]

# Futures answered by recent calls -> the operation that answered, so `wait` sends the polls' request
# type as the official client does. Bounded: a forgotten future costs nothing.
_REMEMBERED_FUTURES = 1024


def _model(name: str) -> Any:
    # The whole models package on first use only: the hot paths never come here.
    return getattr(importlib.import_module("_tinkex_lowlevel.models"), name)


def _wire_body(op: Operation, body: Any) -> Any:
    if body is None:
        return None
    to_dict = getattr(body, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(body, Mapping):
        return dict(body)
    if op.request_model is None:
        return body  # a union or scalar schema: plain JSON as given
    raise TinkexValidationError(
        f"lowlevel.{op.operation_id}(body)",
        f"must be a {op.request_model} or a mapping, got {type(body).__name__}",
        f"pass {op.request_model}(...) or a dict of its JSON fields",
    )


def _request_id_of(future: Any) -> str:
    rid = future.get("request_id") if isinstance(future, Mapping) else getattr(future, "request_id", future)
    if not isinstance(rid, str) or not rid:
        raise TinkexValidationError(
            "lowlevel.wait(future)",
            f"must be an UntypedAPIFuture, its dict or its request_id, got {type(future).__name__}",
            "pass what a future-returning lowlevel call answered",
        )
    return rid


class LowLevel(LowLevelOperations):
    """Every API operation as a method named by its operationId; see the module docstring.

    Sync methods block (use the `_async` twin inside an event loop). Future-returning operations answer
    an `UntypedAPIFuture`; `wait` / `wait_async` poll it to its raw result dict.

    Example::

        info = sc.lowlevel.get_info({"model_id": model_id})            # -> GetInfoResponse
        fut = sc.lowlevel.unload_model({"model_id": model_id})          # -> UntypedAPIFuture
        print(sc.lowlevel.wait(fut, timeout=60))                         # -> {"model_id": ..., ...}
    """

    __slots__ = ("_futures", "_rt")

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._futures: OrderedDict[str, Operation] = OrderedDict()

    def __repr__(self) -> str:
        return f"LowLevel(base_url={self._rt.config.base_url!r})"

    def _invoke(self, op: Operation, body: Any, params: dict[str, Any]) -> Any:
        warn_if_in_event_loop(f"lowlevel.{op.operation_id}")
        return self._rt.run(self._call(op, body, params))

    async def _invoke_async(self, op: Operation, body: Any, params: dict[str, Any]) -> Any:
        return await self._rt.run_async(self._call(op, body, params))

    async def _call(self, op: Operation, body: Any, params: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = {}
        if op.request_type is not None:
            wire = _wire_body(op, body)
            if wire is not None:  # None: no body (the server names a missing required one)
                kwargs["body"] = wire
        query = {name: params[name] for name in op.query_params if params.get(name) is not None}
        path_params = {name: params.get(name) for name in op.path_params}
        for name, value in path_params.items():
            if value is None or value == "":
                raise TinkexValidationError(
                    f"lowlevel.{op.operation_id}({name}=...)",
                    "is a path parameter and must be a non-empty string",
                    f"pass {name}='...'",
                )
        response = await self._rt.requester.call(
            op, path_params=path_params or None, params=query or None, **kwargs
        )
        if op.response_type is None or response.body is None:
            return EmptyResponse(status=response.status, headers=response.headers)
        if op.response_model is None:
            return response.body
        cls = _model(op.response_model)
        try:
            parsed = cls.from_dict(response.body)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            rid = f" (request id {response.request_id})" if response.request_id else ""
            raise APIResponseValidationError(
                redact(
                    f"{op.operation_id}{rid}: the server's reply is not a valid {op.response_model} "
                    f"({type(exc).__name__}: {exc}); check that base_url points at a compatible Tinker API"
                ),
                body=response.body,
                request_id=response.request_id,
            ) from exc
        if op.returns_future:
            future_id = getattr(parsed, "request_id", None)
            if isinstance(future_id, str):
                self._futures[future_id] = op
                while len(self._futures) > _REMEMBERED_FUTURES:
                    self._futures.popitem(last=False)
        return parsed

    async def _wait(self, request_id: str, timeout: float | None) -> Any:  # noqa: ASYNC109
        op = self._futures.get(request_id)
        poll = poll_future(self._rt, request_id, op, started=time.time())
        if timeout is None:
            return await poll
        try:
            return await asyncio.wait_for(poll, timeout)
        except TimeoutError:
            raise FutureTimeoutError(
                f"request {request_id} did not finish within {timeout:g} s; wait again or raise the timeout",
                request_id=request_id,
                timeout=timeout,
            ) from None

    def wait(self, future: Any, *, timeout: float | None = None) -> Any:
        """Block until a future's result: its raw JSON dict (parse it with the model the operation's
        `future_result_type` names). Raises RequestFailedError when it failed on the server,
        FutureTimeoutError after `timeout` seconds (None: RetryConfig.progress_timeout applies).

        Example::

            result = sc.lowlevel.wait(sc.lowlevel.forward_backward(body), timeout=120)
        """
        warn_if_in_event_loop("lowlevel.wait")
        return self._rt.run(self._wait(_request_id_of(future), timeout))

    async def wait_async(self, future: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """Async twin of `wait`."""
        return await self._rt.run_async(self._wait(_request_id_of(future), timeout))
