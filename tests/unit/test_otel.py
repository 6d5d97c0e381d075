"""Optional OpenTelemetry: CLIENT spans per request and W3C traceparent that names the request's own
span, checked with the SDK's in-memory exporter, directly and through a real ServiceClient; and a
no-op without opentelemetry installed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tinkex
from tinkex import _otel

KEY = "tml-" + "o" * 40


@pytest.fixture(scope="module")
def _exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    _exporter.clear()
    yield _exporter
    _exporter.clear()


def parse_traceparent(value: str) -> tuple[int, int]:
    version, trace_id, span_id, flags = value.split("-")
    assert version == "00"
    assert len(flags) == 2  # sampled (+ random-trace-id in W3C level 2)
    return int(trace_id, 16), int(span_id, 16)


def test_request_span_attributes_and_no_query(spans: InMemorySpanExporter) -> None:
    with _otel.request_span(
        "get_checkpoint_archive_url", "GET", "https://h.example:8443/api/v1/x?sig=SECRET#frag"
    ):
        _otel.record_status(302)
    (span,) = spans.get_finished_spans()
    assert span.name == "GET get_checkpoint_archive_url"
    assert span.kind == trace.SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": "https://h.example:8443/api/v1/x",
        "tinkex.operation": "get_checkpoint_archive_url",
        "server.address": "h.example",
        "http.response.status_code": 302,
    }
    assert span.status.status_code == trace.StatusCode.UNSET


def test_errors_mark_the_span(spans: InMemorySpanExporter) -> None:
    with _otel.request_span("forward", "POST", "http://h/api/v1/forward"):
        _otel.record_status(503)
    with pytest.raises(ConnectionError), _otel.request_span("forward", "POST", "http://h/api/v1/forward"):
        raise ConnectionError("reset")
    first, second = spans.get_finished_spans()
    assert first.status.status_code == trace.StatusCode.ERROR
    assert second.status.status_code == trace.StatusCode.ERROR
    assert any(e.name == "exception" for e in second.events)


def test_traceparent_names_the_request_span_whatever_the_call_order(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("user work") as parent:
        before: dict[str, str] = {}
        _otel.inject_trace_context(before)  # transport order: inject, then open the span
        with _otel.request_span("asample", "POST", "http://h/api/v1/asample"):
            pass
        inside: dict[str, str] = {}
        with _otel.request_span("asample", "POST", "http://h/api/v1/asample"):
            _otel.inject_trace_context(inside)  # the other order
    req1, req2, _ = spans.get_finished_spans()
    for headers, span in ((before, req1), (inside, req2)):
        trace_id, span_id = parse_traceparent(headers["traceparent"])
        assert trace_id == parent.get_span_context().trace_id
        assert span_id == span.context.span_id
        assert span.parent is not None
        assert span.parent.span_id == parent.get_span_context().span_id


def test_without_active_trace_request_still_gets_its_span_context(spans: InMemorySpanExporter) -> None:
    headers: dict[str, str] = {}
    _otel.inject_trace_context(headers)
    assert "traceparent" not in headers  # nothing to propagate yet
    with _otel.request_span("op", "GET", "http://h/x"):
        pass
    (span,) = spans.get_finished_spans()
    assert parse_traceparent(headers["traceparent"])[1] == span.context.span_id


def test_service_client_requests_carry_spans_and_traceparent(spans: InMemorySpanExporter) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"training_runs": [], "cursor": {"offset": 0, "limit": 20, "total_count": 0}}
        )

    with tinkex.ServiceClient(
        api_key=KEY, base_url="http://tinker.test", _transport=httpx.MockTransport(handler)
    ) as sc:
        sc.create_rest_client().list_training_runs().result(timeout=10)
    (req,) = [r for r in seen if r.url.path == "/api/v1/training_runs"]
    client_spans = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert [s.attributes["tinkex.operation"] for s in client_spans] == ["list_training_runs"]  # type: ignore[index]
    _, span_id = parse_traceparent(req.headers["traceparent"])
    assert span_id == client_spans[0].context.span_id


def test_no_op_without_opentelemetry() -> None:
    code = """
import sys, json
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ImportError("blocked")
sys.meta_path.insert(0, Block())
from tinkex import _otel
h = {"a": "b"}
_otel.inject_trace_context(h)
with _otel.request_span("op", "GET", "http://h/x") as span:
    _otel.record_status(500)
print(json.dumps([_otel.OTEL_AVAILABLE, h, span]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [False, {"a": "b"}, None]


@pytest.mark.parametrize(
    ("url", "full", "host"),
    [
        ("http://user:pa55word@h.example/api/v1/x?k=v", "http://h.example/api/v1/x", "h.example"),
        ("http://[::1]:8000/api/v1/x", "http://[::1]:8000/api/v1/x", "::1"),
        ("https://H.Example/api", "https://H.Example/api", "h.example"),
    ],
)
def test_span_url_drops_credentials_and_reads_ipv6_hosts(
    spans: InMemorySpanExporter, url: str, full: str, host: str
) -> None:
    # url.full must carry no credentials (semantic conventions); server.address is the bare host
    with _otel.request_span("op", "GET", url):
        pass
    (span,) = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["url.full"] == full
    assert attributes["server.address"] == host


def test_without_tracer_provider_requests_open_no_span(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _otel.tracing_enabled()  # the module fixture installed an SDK provider
    # As before any provider is set: the API's proxy hands out non-recording spans.
    monkeypatch.setattr(trace, "get_tracer_provider", trace.ProxyTracerProvider)
    assert not _otel.tracing_enabled()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"training_runs": [], "cursor": {"offset": 0, "limit": 20, "total_count": 0}}
        )

    with tinkex.ServiceClient(
        api_key=KEY, base_url="http://tinker.test", _transport=httpx.MockTransport(handler)
    ) as sc:
        sc.create_rest_client().list_training_runs().result(timeout=10)
    (req,) = [r for r in seen if r.url.path == "/api/v1/training_runs"]
    assert "traceparent" not in req.headers
    assert spans.get_finished_spans() == ()
