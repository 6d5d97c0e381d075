"""Property-based fuzzing of the server from openapi/tinker.yaml (issue 12): for every operation,
forward and forward_backward included, hypothesis-jsonschema generates request bodies, path and query
parameters from the spec; ids are sometimes swapped for live ones (a session, a model, a sampler, a
checkpoint, a future) so requests reach the handlers, not only the 404s. Every answer must be a
non-5xx status the spec declares for the operation, with a body valid against its schema; every
future the fuzz creates must end without a `server` failure (a crash on the compute side).

Bounded and stable: a fixed number of examples per operation, derandomized (the same examples on
every run), in-process over the null backend (no sockets).
"""

from __future__ import annotations

import asyncio
import collections
import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from server_helpers import FakeClock, Harness, datum, fb_body

from tinkex_server._validation import SpecValidator, find_spec
from tinkex_server.backends.null import DEFAULT_NULL_MODEL

pytestmark = pytest.mark.timeout(120)

SPEC = SpecValidator.load(find_spec())
_SPEC: dict[str, Any] = SPEC._spec  # type: ignore[assignment]
EXAMPLES_PER_OPERATION = 25
# What every example sent and got, for the report at the end of the module (requests fuzzed, 5xx).
TALLY: collections.Counter[str] = collections.Counter()


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for path, item in _SPEC["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out.append((str(op["operationId"]), method.upper(), path, op))
    return sorted(out)


OPERATIONS = _operations()


def _with_components(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "components": _SPEC["components"]}


def _param_schema(op: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    out = {}
    for p in op.get("parameters") or []:
        if "$ref" in p:
            p = _SPEC["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]
        if p["in"] == where:
            out[p["name"]] = p["schema"]
    return out


class Live:
    """Ids of live objects the fuzz can aim at, made once per operation's test."""

    session = model = sampler = checkpoint = request_id = ""


async def _make_live(h: Harness) -> Live:
    live = Live()
    live.session = await h.session()
    live.model = await h.model(live.session)
    await h.run("forward_backward", fb_body(live.model, 1, [datum([1, 2, 3])]))
    out = await h.run("save_weights", {"model_id": live.model, "path": "ckpt", "seq_id": 2})
    live.checkpoint = out["path"]
    r = await h.post(
        "create_sampling_session",
        {"session_id": live.session, "sampling_session_seq_id": 0, "base_model": DEFAULT_NULL_MODEL},
    )
    live.sampler = r.json()["sampling_session_id"]
    live.request_id = (
        await h.post("optim_step", {"model_id": live.model, "seq_id": 3, "adam_params": {}})
    ).json()["request_id"]
    return live


_ID_FIELDS = {
    "session_id": "session",
    "model_id": "model",
    "training_run_id": "model",
    "sampling_session_id": "sampler",
    "request_id": "request_id",
    "tinker_path": "checkpoint",
    "model_path": "checkpoint",
    "sampler_id": "sampler",
}


def _aim(value: Any, live: Live, coin: Iterator[bool]) -> Any:
    """Swap id fields (anywhere in a body) for live ids when the coin says so."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _ID_FIELDS and isinstance(v, str | type(None)) and next(coin):
                out[k] = getattr(live, _ID_FIELDS[k])
            else:
                out[k] = _aim(v, live, coin)
        return out
    if isinstance(value, list):
        return [_aim(v, live, coin) for v in value]
    return value


def _declared(op: dict[str, Any], status: int) -> bool:
    responses = op.get("responses") or {}
    return str(status) in responses or f"{str(status)[0]}XX" in responses


class _Case:
    def __init__(
        self, h: Harness, live: Live, op_id: str, method: str, path: str, op: dict[str, Any]
    ) -> None:
        self.h, self.live, self.op_id, self.method, self.path, self.op = h, live, op_id, method, path, op

    async def send(
        self, body: Any, path_params: dict[str, str], query: dict[str, Any], coin: list[bool]
    ) -> None:
        coins = iter(coin + [False] * 64)
        live = self.live
        url = self.path
        for name, value in path_params.items():
            field = _ID_FIELDS.get(name)
            if field is not None and next(coins):
                value = getattr(live, field)
            if name == "checkpoint_kind" and next(coins):
                value = "weights"
            if name == "checkpoint_name" and next(coins):
                value = "ckpt"
            url = url.replace("{" + name + "}", value)
        kwargs: dict[str, Any] = {"params": {k: str(v) for k, v in query.items()}}
        if body is not None:
            kwargs["json"] = _aim(copy.deepcopy(body), live, coins)
        r = await self.h.client.request(self.method, url, **kwargs)
        TALLY["requests"] += 1
        TALLY[f"{self.op_id} {r.status_code}"] += 1
        assert r.status_code < 500, (self.op_id, kwargs, r.status_code, r.text)
        assert _declared(self.op, r.status_code), (self.op_id, r.status_code, r.text)
        payload = r.json() if r.content else None
        problems = SPEC.check_response(self.op_id, r.status_code, payload)
        assert not problems, (self.op_id, r.status_code, payload, problems)
        if (
            r.status_code == 200
            and isinstance(payload, dict)
            and "request_id" in payload
            and self.op_id != "retrieve_future"
        ):
            await self._settle(payload["request_id"])

    async def _settle(self, request_id: str) -> None:
        res = await self.h.result(request_id, deadline_s=20)
        TALLY["futures"] += 1
        assert res.status_code == 200, res.text
        body = res.json()
        assert body.get("category") != "server", (self.op_id, body)
        assert not SPEC.check_response("retrieve_future", 200, body), body


def _strategy(
    op: dict[str, Any], method: str
) -> st.SearchStrategy[tuple[Any, dict[str, str], dict[str, Any], list[bool]]]:
    content = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
    body = from_schema(_with_components(content["schema"])) if content else st.none()
    path_schemas = _param_schema(op, "path")
    safe_text = st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/?#%"), min_size=1
    )
    path = st.fixed_dictionaries(dict.fromkeys(path_schemas, safe_text))
    query_schemas = _param_schema(op, "query")
    query = st.fixed_dictionaries({}, optional={name: from_schema(s) for name, s in query_schemas.items()})
    coin = st.lists(st.sampled_from([True, True, True, False]), min_size=8, max_size=8)  # mostly live ids
    return st.tuples(body, path, query, coin)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\nfuzzed {TALLY['requests']} requests ({TALLY['futures']} futures followed); 5xx seen: 0")
    print(dict(sorted(TALLY.items())))


@pytest.mark.parametrize(("op_id", "method", "path", "op"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_fuzzed_requests_never_get_a_5xx_and_every_answer_matches_the_spec(
    tmp_path: Path, op_id: str, method: str, path: str, op: dict[str, Any]
) -> None:
    loop = asyncio.new_event_loop()
    try:
        h = loop.run_until_complete(_new_harness(tmp_path))
        live = loop.run_until_complete(_make_live(h))
        case = _Case(h, live, op_id, method, path, op)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(_strategy(op, method))
        def run(example: tuple[Any, dict[str, str], dict[str, Any], list[bool]]) -> None:
            loop.run_until_complete(case.send(*example))

        run()
        loop.run_until_complete(h.close())
    finally:
        loop.close()


async def _new_harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path / "data", FakeClock(), long_poll_s=0.05, seq_gap_timeout_s=0.05)


def test_the_fuzz_covers_every_operation_including_training() -> None:
    ids = {o[0] for o in OPERATIONS}
    assert {"forward", "forward_backward", "asample", "optim_step", "create_model"} <= ids
    assert len(ids) == len(SPEC.operation_ids)
    assert all(re.fullmatch(r"[a-z_]+", i) for i in ids)
