"""The compiled request-body predicates give exactly jsonschema's verdict: on the spec's examples, on
realistic bodies of both serialization styles, and on thousands of seeded mutations of them (wrong
types, missing and unknown keys, bools and floats hidden in long token lists)."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from tinkex_server._schema_check import Unsupported, all_integers, all_numbers, compile_schema
from tinkex_server._validation import SpecValidator, find_spec

SPEC = SpecValidator.load(find_spec())
ROOT: Mapping[str, Any] = {"components": SPEC._spec["components"]}
HOT = ("forward", "forward_backward", "asample", "retrieve_future")
# Values a mutation puts somewhere: every JSON type, integral and fractional floats, enum-like strings.
PALETTE: list[Any] = [
    None, True, False, 0, 1, -1, 7, 1.5, 2.0, -0.0, "", "x", "cross_entropy", "int64", "encoded_text",
    [], [1], [1.5], ["a"], [True], {}, {"a": 1}, {"tokens": [1]}, {"data": [1.0], "dtype": "float32"},
]  # fmt: skip


def _tensor(values: list[Any], dtype: str) -> dict[str, Any]:
    return {"data": values, "dtype": dtype, "shape": [len(values)]}


def _fb_body(style: str, n: int = 12) -> dict[str, Any]:
    tokens = [(i * 31) % 250 for i in range(n)]
    datum: dict[str, Any] = {
        "model_input": {"chunks": [{"tokens": tokens}]},
        "loss_fn_inputs": {
            "target_tokens": _tensor([*tokens[1:], 0], "int64"),
            "weights": _tensor([1.0] * n, "float32"),
        },
    }
    if style == "later":  # 0.18+: every tag, no nulls
        datum["model_input"]["chunks"][0]["type"] = "encoded_text"
        return {"forward_backward_input": {"data": [datum, copy.deepcopy(datum)], "loss_fn": "cross_entropy"},
                "model_id": "s:train:0", "seq_id": 3}  # fmt: skip
    return {"forward_backward_input": {"data": [datum, copy.deepcopy(datum)], "loss_fn": "ppo",
            "loss_fn_config": None}, "model_id": "s:train:0", "seq_id": None}  # fmt: skip


def _bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    for op_id in SPEC.operation_ids:
        schema = SPEC._body_schema(op_id)
        if schema is None:
            continue
        name = schema["$ref"].rsplit("/", 1)[-1]
        for example in SPEC._spec["components"]["schemas"][name].get("examples") or []:
            yield op_id, copy.deepcopy(example)
    for style in ("0.7.0", "later"):
        fb = _fb_body(style)
        yield "forward_backward", fb
        yield "forward", {"forward_input": fb["forward_backward_input"], "model_id": "m", "seq_id": 1}
    yield "asample", {
        "sampling_session_id": "s:sample:0", "seq_id": 1, "num_samples": 1, "base_model": None,
        "model_path": None, "prompt": {"chunks": [{"tokens": list(range(1, 65))}]},
        "sampling_params": {"max_tokens": 16, "temperature": 1.0, "seed": None, "stop": None, "top_k": -1,
                            "top_p": 1.0},
        "prompt_logprobs": False, "topk_prompt_logprobs": 0, "type": "sample",
    }  # fmt: skip
    yield "asample", {
        "sampling_session_id": "s:sample:0", "seq_id": 2, "num_samples": 2,
        "prompt": {"chunks": [{"type": "encoded_text", "tokens": [1, 2]}, {"type": "image", "data": "AA==",
                   "format": "png", "expected_tokens": 4}, {"location": "x.jpg", "format": "jpeg"}]},
        "sampling_params": {"max_tokens": 4, "stop": [3, 4]}, "prompt_logprobs": None,
    }  # fmt: skip
    yield "retrieve_future", {"request_id": "req-abc"}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*path, i))


def _mutate(body: Any, rng: random.Random) -> Any:
    body = copy.deepcopy(body)
    path = rng.choice(list(_paths(body)))
    if not path:
        return rng.choice(PALETTE)
    parent: Any = body
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    roll = rng.random()
    if isinstance(parent, dict) and roll < 0.2:
        del parent[last]
    elif isinstance(parent, dict) and roll < 0.3:
        parent[rng.choice(["extra", "type", "tokens", "data", "shape"])] = rng.choice(PALETTE)
    elif isinstance(parent[last], list) and parent[last] and roll < 0.6:
        # One odd element in a long list: the case the whole-list scans must not miss.
        parent[last][rng.randrange(len(parent[last]))] = rng.choice(
            [True, False, None, "1", 2.0, 2.5, [1], 3]
        )
    else:
        parent[last] = copy.deepcopy(rng.choice(PALETTE))
    return body


def _jsonschema_valid(schema: Mapping[str, Any], body: Any) -> bool:
    from tinkex_server._validation import _FORMATS  # the server asserts date-time (and only that)

    return not list(
        jsonschema.Draft202012Validator({**schema, **ROOT}, format_checker=_FORMATS).iter_errors(body)
    )


def test_every_request_body_schema_compiles() -> None:
    for op_id in SPEC.operation_ids:
        schema = SPEC._body_schema(op_id)
        if schema is not None:
            compile_schema(schema, ROOT)  # raises Unsupported if a keyword is missing from the compiler


@pytest.mark.parametrize("seed", range(4))
def test_predicates_agree_with_jsonschema_on_bodies_and_their_mutations(seed: int) -> None:
    rng = random.Random(seed)
    agreed = {True: 0, False: 0}
    for op_id, body in _bodies():
        schema = SPEC._body_schema(op_id)
        assert schema is not None
        predicate = compile_schema(schema, ROOT)
        assert predicate(body) is True, (op_id, body)  # every base body is valid
        assert _jsonschema_valid(schema, body)
        for _ in range(150):
            mutated = _mutate(body, rng)
            verdict = _jsonschema_valid(schema, mutated)
            assert predicate(mutated) is verdict, (op_id, mutated)
            agreed[verdict] += 1
    assert agreed[True] > 100  # both verdicts well exercised
    assert agreed[False] > 1000


def test_other_component_schemas_agree_too() -> None:
    # Response and helper schemas use a few more keywords (prefixItems, minItems, ...): the compiler is
    # checked against jsonschema on them as well, including every example's mutations.
    rng = random.Random(7)
    compiled = 0
    for name, schema in SPEC._spec["components"]["schemas"].items():
        ref = {"$ref": f"#/components/schemas/{name}"}
        try:
            predicate = compile_schema(ref, ROOT)
        except Unsupported:
            continue
        compiled += 1
        for example in schema.get("examples") or []:
            assert predicate(example) is _jsonschema_valid(ref, example), (name, example)
            for _ in range(20):
                mutated = _mutate(example, rng)
                assert predicate(mutated) is _jsonschema_valid(ref, mutated), (name, mutated)
    assert compiled >= len(SPEC._spec["components"]["schemas"]) - 2


@pytest.mark.parametrize(
    ("items", "integers", "numbers"),
    [
        ([], True, True),
        ([1, 2, 3] * 100, True, True),
        ([-5, 0, 2**63 - 1], True, True),
        ([1, 2.0], True, True),  # JSON Schema: 2.0 is an integer
        ([1, 2.5], False, True),
        ([1.0] * 50, True, True),
        ([0.5] * 50, False, True),
        ([1] * 50 + [True], False, False),
        ([1.0] * 50 + [False], False, False),
        ([1, None], False, False),
        ([1, "2"], False, False),
        ([1, [2]], False, False),
        ([1, {"a": 2}], False, False),
        ([2**70, 1], True, True),  # beyond orjson's 64 bits: the exact scan decides
    ],
)
def test_whole_list_scans(items: list[Any], integers: bool, numbers: bool) -> None:
    assert all_integers(items) is integers
    assert all_numbers(items) is numbers
    for schema, expected in (({"type": "integer"}, integers), ({"type": "number"}, numbers)):
        assert _jsonschema_valid({"type": "array", "items": schema}, items) is expected


def test_the_keyword_lists_cover_every_2020_12_validator() -> None:
    from tinkex_server import _schema_check

    known = _schema_check._IMPLEMENTED | _schema_check._NOT_IMPLEMENTED
    assert known == set(jsonschema.Draft202012Validator.VALIDATORS)
    assert not _schema_check._IMPLEMENTED & _schema_check._NOT_IMPLEMENTED


def test_unsupported_keywords_are_refused_not_ignored() -> None:
    for schema in (
        {"pattern": "a+"},
        {"type": "integer", "multipleOf": 3},
        {"enum": [1, 2]},
        {"$ref": "x.json"},
        {"items": {"type": "integer", "exclusiveMaximum": 3}},
    ):
        with pytest.raises(Unsupported):
            compile_schema(schema, ROOT)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "maxLength": 3},
        {"type": ["string", "null"], "minLength": 1, "maxLength": 2},
        {"type": "integer", "maximum": 2**63 - 1, "minimum": 0},
        {"items": {"type": "integer", "maximum": 3}},
    ],
)
@pytest.mark.parametrize(
    "value",
    ["", "ab", "abcd", "\u00e9\u00e9\u00e9", None, 0, -1, 3, 4, 2**63 - 1, 2**63, 1.5, [1, 3], [4], True],
)
def test_bounds_compile_and_agree_with_jsonschema(schema: dict[str, Any], value: Any) -> None:
    assert compile_schema(schema, ROOT)(value) is _jsonschema_valid(schema, value)


def test_check_body_still_names_the_field_of_an_invalid_body() -> None:
    body = _fb_body("later", n=64)
    body["forward_backward_input"]["data"][1]["loss_fn_inputs"]["target_tokens"]["data"][40] = True
    (problem, *_rest) = SPEC.check_body("forward_backward", body)
    assert problem["pointer"] == "/forward_backward_input/data/1/loss_fn_inputs/target_tokens/data/40"
    assert SPEC.check_body("forward_backward", _fb_body("later")) == []
