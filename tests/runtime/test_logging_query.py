"""TINKER_LOG turns on one redacted line per HTTP exchange; `default_query` reaches every request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient
from tinkex._runtime._observe import configure_logging_from_env, logger

KEY = "tml-secret-key-9f8e7d6c5b4a"


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    for h in list(logger.handlers):
        if h not in handlers:
            logger.removeHandler(h)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("debug", logging.DEBUG),
        ("INFO", logging.INFO),
        (" warning ", logging.WARNING),
        ("warn", logging.WARNING),
        ("error", logging.ERROR),
        ("", None),
        ("loud", None),
    ],
)
def test_tinker_log_levels(value: str, level: int | None) -> None:
    before = logger.level
    assert configure_logging_from_env({"TINKER_LOG": value}) == level
    assert logger.level == (before if level is None else level)


def test_tinker_log_debug_logs_each_exchange_without_the_key(
    server: FakeTinker,
    make_client: Callable[..., ServiceClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("TINKER_LOG", "debug")
    caplog.set_level(logging.DEBUG, logger="tinkex")
    # A server that echoes the key back in its error body and headers must not leak it into logs.
    server.script(
        "get_server_capabilities",
        json_response(503, {"detail": f"bad key {KEY}"}, {"x-request-id": "req-7", "x-echo": KEY}),
    )
    client = make_client(api_key=KEY)
    assert logger.getEffectiveLevel() == logging.DEBUG
    client.get_server_capabilities()
    lines = [r.getMessage() for r in caplog.records if r.name == "tinkex"]
    exchanges = [m for m in lines if "/get_server_capabilities ->" in m]
    assert len(exchanges) == 2  # one per HTTP exchange: the 503 and its retry
    assert exchanges[0].startswith("GET /api/v1/get_server_capabilities -> 503 in ")
    assert "request_id=req-7" in exchanges[0]
    assert "-> 200" in exchanges[1]
    assert "retry=1" in exchanges[1]
    assert all(KEY not in m and KEY[4:] not in m for m in caplog.text.splitlines())


def test_without_tinker_log_nothing_is_configured(
    make_client: Callable[..., ServiceClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TINKER_LOG", raising=False)
    before = (logger.level, list(logger.handlers))
    make_client()
    assert (logger.level, list(logger.handlers)) == before


def test_default_query_reaches_every_request(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(default_query={"region": "eu", "trace": True, "skip": None})
    client.create_sampling_client(base_model="tiny-model")
    client.create_rest_client().list_training_runs(limit=5).result()
    assert server.calls
    for call in server.calls:
        assert call.query.get("region") == "eu", call
        assert call.query.get("trace") == "true"
        assert "skip" not in call.query
    runs = server.ops("list_training_runs")[0]
    assert runs.query["limit"] == "5"  # the call's own parameters are kept


def test_a_calls_own_parameter_wins_over_default_query(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(default_query={"limit": "999"})
    client.create_rest_client().list_training_runs(limit=5).result()
    assert server.ops("list_training_runs")[0].query["limit"] == "5"


def test_default_query_must_be_flat() -> None:
    import tinkex

    with pytest.raises(tinkex.TinkexValidationError, match=r"default_query\['a'\]"):
        tinkex.ClientConfig(api_key="tml-x", default_query={"a": [1, 2]})
    assert "v1" not in repr(tinkex.ClientConfig(api_key="tml-x", default_query={"token": "v1"}))
