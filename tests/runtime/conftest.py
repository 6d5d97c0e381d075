"""Fixtures for runtime tests: a scripted fake server, a ServiceClient wired to it over
httpx.MockTransport, zeroed backoff waits, and a check that no SDK thread outlives the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.runtime.fake_server import FakeTinker
from tinkex import ServiceClient
from tinkex._runtime import _waits


@pytest.fixture(autouse=True)
def _zero_waits() -> Iterator[None]:
    _waits.set_zero_waits(True)
    yield
    _waits.set_zero_waits(False)


@pytest.fixture
def server() -> FakeTinker:
    return FakeTinker()


@pytest.fixture
def make_client(server: FakeTinker) -> Iterator[object]:
    made: list[ServiceClient] = []

    def make(**kwargs: object) -> ServiceClient:
        kwargs.setdefault("api_key", "tml-test-key-123456")
        kwargs.setdefault("base_url", "http://fake.test")
        kwargs.setdefault("telemetry", False)
        sc = ServiceClient(_transport=server.transport(), **kwargs)  # type: ignore[arg-type]
        made.append(sc)
        return sc

    yield make
    for sc in made:
        sc.close()
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("tinkex-loop")]
    assert not leftover, f"SDK threads outlived close(): {leftover}"


@pytest.fixture
def client(make_client: object) -> ServiceClient:
    return make_client()  # type: ignore[operator, no-any-return]
