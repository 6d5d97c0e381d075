"""Optional OpenTelemetry: a CLIENT span per HTTP request and W3C trace-context (`traceparent`,
`tracestate`) on outgoing requests, when `opentelemetry-api` is installed; cheap no-ops otherwise.

Spans follow the stable HTTP client semantic conventions (`http.request.method`, `url.full` without
its query, `server.address`, `http.response.status_code`) plus `tinkex.operation`.
"""

from __future__ import annotations

import contextlib
import contextvars
import urllib.parse
from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["OTEL_AVAILABLE", "inject_trace_context", "record_status", "request_span", "tracing_enabled"]

try:
    from opentelemetry import propagate as _propagate
    from opentelemetry import trace as _trace

    OTEL_AVAILABLE = True
except ImportError:  # the `otel` extra is not installed
    _propagate = None  # type: ignore[assignment]
    _trace = None  # type: ignore[assignment]
    OTEL_AVAILABLE = False

_TRACER_NAME = "tinkex"

# The headers of the request about to be sent, when trace context was injected *before* its span
# opened (the transport's order): `request_span` then re-injects so `traceparent` names the
# request's own CLIENT span, as W3C intends, rather than its parent.
_pending_headers: contextvars.ContextVar[MutableMapping[str, str] | None] = contextvars.ContextVar(
    "tinkex_otel_pending_headers", default=None
)
_in_span: contextvars.ContextVar[bool] = contextvars.ContextVar("tinkex_otel_in_span", default=False)


def _safe_url(url: str) -> tuple[str, str | None]:
    """(URL without credentials, query or fragment, host): signed URLs, ids in queries and a
    `user:password@` stay out of traces; an IPv6 host is read without its brackets."""
    u = urllib.parse.urlsplit(url)
    netloc = u.netloc.rsplit("@", 1)[-1]
    base = f"{u.scheme}://{netloc}{u.path}" if u.scheme else f"{netloc}{u.path}"
    try:
        host = u.hostname
    except ValueError:  # a malformed netloc: no host rather than a wrong one
        host = None
    return base, host or None


def inject_trace_context(headers: MutableMapping[str, str]) -> None:
    """Add W3C `traceparent` / `tracestate` for the current trace to `headers` (no-op without
    opentelemetry or without an active trace).

    Example::

        headers: dict[str, str] = {}
        inject_trace_context(headers)  # {"traceparent": "00-<trace>-<span>-01"} inside a span
    """
    if not OTEL_AVAILABLE:
        return
    _propagate.inject(headers)
    if not _in_span.get():
        _pending_headers.set(headers)


def tracing_enabled() -> bool:
    """Whether a tracer provider is installed, i.e. whether `request_span` would record anything.

    Until one is set, the API's proxy provider hands out non-recording spans that carry no new
    context (W3C injection inside one writes nothing), so the transport skips the span and its
    context switches on each request; `inject_trace_context` still forwards an outer trace.

    Example::

        if tracing_enabled():
            with request_span("asample", "POST", url): ...
    """
    if not OTEL_AVAILABLE:
        return False
    return not isinstance(
        _trace.get_tracer_provider(), (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider)
    )


@contextlib.contextmanager
def request_span(operation: str, method: str, url: str) -> Iterator[Any]:
    """A CLIENT span around one HTTP request, named `<METHOD> <operation>`; marks the span as an
    error when the block raises. Yields the span (None without opentelemetry).

    Example::

        with request_span("forward_backward", "POST", url):
            response = await client.post(url, ...)
            record_status(response.status_code)
    """
    if not OTEL_AVAILABLE:
        yield None
        return
    full, host = _safe_url(url)
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.full": full,
        "tinkex.operation": operation,
    }
    if host:
        attributes["server.address"] = host
    tracer = _trace.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"{method} {operation}", kind=_trace.SpanKind.CLIENT, attributes=attributes
    ) as span:
        headers = _pending_headers.get()
        if headers is not None:
            _pending_headers.set(None)
            _propagate.inject(headers)
        token = _in_span.set(True)
        try:
            yield span
        finally:
            _in_span.reset(token)


def record_status(status: int | None) -> None:
    """Record the HTTP status on the current request span; >= 500 (or no answer) marks it an error.

    Example::

        record_status(response.status_code)
    """
    if not OTEL_AVAILABLE:
        return
    span = _trace.get_current_span()
    if not span.is_recording():
        return
    if status is None:
        span.set_status(_trace.Status(_trace.StatusCode.ERROR, "no response"))
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(_trace.Status(_trace.StatusCode.ERROR))
