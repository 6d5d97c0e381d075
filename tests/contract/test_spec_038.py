"""The tinker 0.38 generation of openapi/tinker.yaml: marked, complete against the official 0.38.0
types (facts captured once by scripts/capture_tinker038_types.py into fixtures/), consistent with the
.proto, and invisible to the 0.7.0 generation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

from ._spec import METHODS, ROOT, full_spec, spec

OFFICIAL = json.loads((Path(__file__).parent / "fixtures" / "tinker-0.38-types.json").read_text())["types"]
# Schemas of ours with no official class of that name (the official SDK inlines or names them apart).
OURS = {"OptimizerConfig", "ProvenanceSpan", "SessionProjectRequest", "SessionTraceExportResponse",
        "FutureCompleteMetadataResponse", "SetCheckpointTtlRequest"}  # fmt: skip
# Official dataclass fields that are numpy views of what the JSON carries, not wire fields.
NUMPY_VIEWS = {
    "tokens_np",
    "logprobs_np",
    "topk_logprobs_np",
    "prompt_logprobs_np",
    "topk_prompt_logprobs_np",
}
# Wire fields whose official name differs: our JSON `topk_logprobs` is the official property of that name.
NOT_OFFICIAL_FIELDS = {("SampledSequence", "topk_logprobs")}


def _full_validator(name: str) -> Any:
    """A JSON Schema validator of a component of the whole document (both generations)."""
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry: Any = Registry().with_resource("urn:full", Resource.from_contents(full_spec(), DRAFT202012))
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:full#/components/schemas/{name}"}, registry=registry
    )


def _schemas() -> dict[str, Any]:
    result: dict[str, Any] = full_spec()["components"]["schemas"]
    return result


def _038_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (m, path, op)
        for path, item in full_spec()["paths"].items()
        for m, op in item.items()
        if m in METHODS and op.get("x-tinker-since") == "0.38"
    ]


def test_fixture_is_the_official_0_38_0() -> None:
    raw = json.loads((Path(__file__).parent / "fixtures" / "tinker-0.38-types.json").read_text())
    assert raw["tinker_version"] == "0.38.0"


def test_the_0_38_operations_are_marked_and_named() -> None:
    ops = {op["operationId"] for _m, _p, op in _038_operations()}
    assert len(ops) == 18
    assert {"client_config", "session_finish", "save_weights_external", "copy_weights", "search_sessions",
            "get_audit_log", "retrieve_futures", "cancel_future", "auth_token", "set_checkpoint_ttl"} <= ops  # fmt: skip
    assert all(op.get("x-tinker-sdk") for _m, _p, op in _038_operations())


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_the_0_7_generation_sees_none_of_0_38() -> None:
    assert "x-tinker-since" not in _keys(spec())
    assert "x-tinker-since-values" not in _keys(spec())
    assert "/api/v1/client/config" not in spec()["paths"]
    assert "gspo" not in spec()["components"]["schemas"]["LossFnType"]["enum"]


@pytest.mark.parametrize("name", sorted(n for n, s in _schemas().items() if n in OFFICIAL))
def test_every_official_0_38_field_is_described(name: str) -> None:
    props = _schemas()[name].get("properties")
    if props is None:
        pytest.skip(f"{name} is described as a union or alias")
    official = set(OFFICIAL[name]["fields"]) - NUMPY_VIEWS
    assert official <= set(props), sorted(official - set(props))
    invented = {
        f for f, p in props.items()
        if (p.get("x-tinker-since") or _schemas()[name].get("x-tinker-since")) and f not in official
        and (name, f) not in NOT_OFFICIAL_FIELDS
    }  # fmt: skip
    assert invented == set(), f"0.38 fields the official types lack: {sorted(invented)}"


def test_every_0_38_schema_is_official_or_listed() -> None:
    marked = {n for n, s in _schemas().items() if s.get("x-tinker-since") == "0.38"}
    assert marked - set(OFFICIAL) == OURS


@pytest.mark.parametrize("name", sorted(n for n, s in _schemas().items() if s.get("x-tinker-since")))
def test_0_38_schemas_have_a_description_and_valid_examples(name: str) -> None:
    schema = _schemas()[name]
    assert schema.get("description"), name
    assert schema.get("examples"), name
    check = _full_validator(name)
    for example in schema["examples"]:
        assert list(check.iter_errors(example)) == [], (name, example)


def test_the_loss_functions_of_0_38_are_defined_in_the_spec() -> None:
    loss = _schemas()["LossFnType"]
    assert {"gspo", "stable_reinforce"} <= set(loss["enum"])
    assert "Zheng et al. 2025" in loss["description"]
    assert "min(r_t, C)" in loss["description"]


def test_protobuf_bodies_name_messages_the_proto_defines() -> None:
    proto = (ROOT / "openapi" / "tinkex_wire.proto").read_text()
    named: list[str] = re.findall(r"tinkex\.wire\.(\w+)", json.dumps(full_spec()))
    assert set(named) == {"ForwardBackwardRequest", "ForwardBackwardOutput", "SampleResponse"}
    for message in named:
        assert f"message {message} {{" in proto
        assert hasattr(pb, message)
