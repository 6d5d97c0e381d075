"""The one-pass decoder of forward / forward_backward bodies is never looser than the spec: its structs
mirror the spec's schemas field for field, and on realistic bodies and thousands of mutations of them
"fast path accepts" implies "spec accepts, with the same decoded value". It must also really be taken
by both clients' bodies, or it would be dead weight."""

from __future__ import annotations

import random
import typing
from typing import Any

import msgspec
import orjson
import pytest
from test_schema_check import SPEC, _bodies, _fb_body, _mutate

from tinkex_server import _fast_decode
from tinkex_server._fast_decode import decode_hot_body


def _generation_0_7(spec: dict[str, Any]) -> dict[str, Any]:
    """The 0.7.0 generation of the spec (scripts/spec_views.py): the fast structs mirror it, so a body
    with a field only tinker >= 0.38 sends takes the generic path (stricter, never looser)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "spec_views.py"
    loader = importlib.util.spec_from_file_location("spec_views", path)
    assert loader is not None
    assert loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    view: dict[str, Any] = module.generation_view(spec, "0.7")
    return view


SCHEMAS = _generation_0_7(SPEC._spec)["components"]["schemas"]
# struct -> the spec schema it mirrors
MIRRORS = {
    _fast_decode._ForwardRequest: "ForwardRequest",
    _fast_decode._ForwardBackwardRequest: "ForwardBackwardRequest",
    _fast_decode._ForwardBackwardInput: "ForwardBackwardInput",
    _fast_decode._Datum: "Datum",
    _fast_decode._ModelInput: "ModelInput",
    _fast_decode._TextChunk: "EncodedTextChunk",
    _fast_decode._TensorData: "TensorData",
}


def _spec_accepts(op_id: str, body: Any) -> bool:
    return isinstance(body, dict) and SPEC.check_body(op_id, body) == []


@pytest.mark.parametrize("struct", list(MIRRORS), ids=lambda s: MIRRORS[s])
def test_structs_mirror_the_spec_field_for_field(struct: type[msgspec.Struct]) -> None:
    schema = SCHEMAS[MIRRORS[struct]]
    fields = {f.name: f for f in msgspec.structs.fields(struct)}
    assert set(fields) == set(schema["properties"])
    required = {name for name, f in fields.items() if f.required}
    assert required == set(schema.get("required", []))
    assert schema.get("additionalProperties") is False
    assert struct.__struct_config__.forbid_unknown_fields


def _strings(tp: Any) -> set[str]:
    """Every string literal inside a type (through unions and Literal)."""
    if isinstance(tp, str):
        return {tp}
    return {s for arg in typing.get_args(tp) for s in _strings(arg)}


def test_enums_match_the_spec() -> None:
    def field_type(struct: type[msgspec.Struct], name: str) -> Any:
        return next(f.type for f in msgspec.structs.fields(struct) if f.name == name)

    assert _strings(field_type(_fast_decode._ForwardBackwardInput, "loss_fn")) == set(
        SCHEMAS["LossFnType"]["enum"]
    )
    assert _strings(field_type(_fast_decode._TensorData, "dtype")) == set(SCHEMAS["TensorDtype"]["enum"])
    const = SCHEMAS["EncodedTextChunk"]["properties"]["type"]["const"]
    assert _strings(field_type(_fast_decode._TextChunk, "type")) == {const}


@pytest.mark.parametrize("style", ["0.7.0", "later"])
def test_both_clients_bodies_take_the_fast_path_with_the_same_value(style: str) -> None:
    fb = _fb_body(style, n=300)
    for op_id, body in (
        ("forward_backward", fb),
        ("forward", {"forward_input": fb["forward_backward_input"], "model_id": "m", "seq_id": 1}),
    ):
        raw = orjson.dumps(body)
        assert _same_kinds(decode_hot_body(op_id, raw), orjson.loads(raw))


def test_the_official_clients_serialized_request_takes_the_fast_path() -> None:
    tinker = pytest.importorskip("tinker")
    from tinker._compat import model_dump

    types = tinker.types
    datum = types.Datum(
        model_input=types.ModelInput.from_ints([1, 2, 3]),
        loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 0.5, 0.0]},
    )
    request = types.ForwardBackwardRequest(
        forward_backward_input=types.ForwardBackwardInput(data=[datum], loss_fn="cross_entropy"),
        model_id="run-1",
        seq_id=1,
    )
    raw = orjson.dumps(model_dump(request, exclude_unset=True, mode="json"))
    assert _same_kinds(decode_hot_body("forward_backward", raw), orjson.loads(raw))


@pytest.mark.parametrize("seed", range(3))
def test_fast_acceptance_implies_spec_acceptance_on_mutations(seed: int) -> None:
    rng = random.Random(seed)
    seen = {"fast": 0, "fallback_valid": 0, "invalid": 0}
    for op_id, body in _bodies():
        if op_id not in ("forward", "forward_backward"):
            continue
        for _ in range(300):
            mutated = _mutate(body, rng)
            raw = orjson.dumps(mutated)
            fast = decode_hot_body(op_id, raw)
            valid = _spec_accepts(op_id, mutated)
            if fast is not None:
                assert valid, (op_id, mutated)
                assert _same_kinds(fast, orjson.loads(raw)), (op_id, mutated)
                seen["fast"] += 1
            else:
                seen["fallback_valid" if valid else "invalid"] += 1
    assert seen["fast"] > 50
    assert seen["invalid"] > 500


@pytest.mark.parametrize(
    "raw",
    [
        b'{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "a", "model_id": "b"}',
        b'{"forward_backward_input": {"data": [{"model_input": {"chunks": [{"tokens": [1.0]}]},'
        b' "loss_fn_inputs": {}}], "loss_fn": "ppo"}, "model_id": "m"}',
        b'{"forward_backward_input": {"data": [{"model_input": {"chunks": [{"tokens": [1]}]},'
        b' "loss_fn_inputs": {"w": {"data": [1, true], "dtype": "float32"}}}], "loss_fn": "ppo"}, "model_id": "m"}',
        b'{"forward_backward_input": {"data": [{"model_input": {"chunks": [{"tokens": [1180591620717411303424]}]},'
        b' "loss_fn_inputs": {}}], "loss_fn": "ppo"}, "model_id": "m"}',
        b'{"forward_backward_input": {"data": [{"model_input": {"chunks": [{"type": "image", "data": "AA==",'
        b' "format": "png"}]}, "loss_fn_inputs": {}}], "loss_fn": "ppo"}, "model_id": "m"}',
        b'{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m"} trailing',
        b"[1, 2]",
        b"",
    ],
    ids=[
        "duplicate-key",
        "float-token",
        "bool-in-data",
        "huge-int",
        "image-chunk",
        "trailing",
        "array",
        "empty",
    ],
)
def test_corner_cases_fall_back_or_agree_with_the_generic_parser(raw: bytes) -> None:
    fast = decode_hot_body("forward_backward", raw)
    if fast is None:
        return  # the generic path decides (and names the problem)
    body = orjson.loads(raw)
    assert _same_kinds(fast, body)
    assert _spec_accepts("forward_backward", body)


def test_other_operations_always_take_the_generic_path() -> None:
    assert decode_hot_body("asample", b'{"sampling_session_id": "s"}') is None


def test_invalid_utf8_falls_back_instead_of_crashing() -> None:
    raw = b'{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "\xff"}'
    assert decode_hot_body("forward_backward", raw) is None  # the generic path answers 400


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30 + 1])
def test_integers_beyond_64_bits_fall_back(value: int) -> None:
    # orjson reads them as floats, msgspec as exact ints: the fast path must not give another value.
    raw = b'{"forward_backward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m", "seq_id": %d}' % value
    assert decode_hot_body("forward_backward", raw) is None


def test_decoded_numbers_keep_their_json_kind() -> None:
    body = _fb_body("later", n=4)
    body["seq_id"] = 2**63 - 1
    body["forward_backward_input"]["data"][0]["loss_fn_inputs"]["weights"]["data"] = [1, 1.0, -0.0, 2**62]
    raw = orjson.dumps(body)
    fast = decode_hot_body("forward_backward", raw)
    assert fast is not None
    assert _same_kinds(fast, orjson.loads(raw))  # 1 stays int, 1.0 float, -0.0 keeps its sign


def _same_kinds(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_kinds(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same_kinds, a, b))
    return type(a) is type(b) and repr(a) == repr(b)
