"""The OpenAPI document itself: valid, complete, and field for field the official tinker 0.7.0 types."""

from __future__ import annotations

import re
import types
import typing
from enum import Enum
from typing import Any

import pydantic
import pytest
from openapi_spec_validator import validate

from ._spec import OFFICIAL_ALIASES, errors, official_models, operations, schemas, spec

# Counted so nothing silently goes missing: 29 operations (wire-protocol.md §2), 63 official pydantic
# classes + 14 official aliases/enums, plus the helper schemas this document adds.
N_OPERATIONS = 29
N_OFFICIAL_MODELS = 63
HELPERS = {
    "CheckpointKind",
    "ErrorDetailItem",
    "ErrorResponse",
    "FuturePendingResponse",
    "JSONObject",
    "NumberMap",
    "StringMap",
    "WeightsInfoRequest",
}

OPERATION_IDS = {
    "healthz": ("get", "/api/v1/healthz"),
    "get_server_capabilities": ("get", "/api/v1/get_server_capabilities"),
    "create_session": ("post", "/api/v1/create_session"),
    "session_heartbeat": ("post", "/api/v1/session_heartbeat"),
    "create_sampling_session": ("post", "/api/v1/create_sampling_session"),
    "create_model": ("post", "/api/v1/create_model"),
    "get_info": ("post", "/api/v1/get_info"),
    "unload_model": ("post", "/api/v1/unload_model"),
    "forward": ("post", "/api/v1/forward"),
    "forward_backward": ("post", "/api/v1/forward_backward"),
    "optim_step": ("post", "/api/v1/optim_step"),
    "save_weights": ("post", "/api/v1/save_weights"),
    "load_weights": ("post", "/api/v1/load_weights"),
    "save_weights_for_sampler": ("post", "/api/v1/save_weights_for_sampler"),
    "asample": ("post", "/api/v1/asample"),
    "retrieve_future": ("post", "/api/v1/retrieve_future"),
    "send_telemetry": ("post", "/api/v1/telemetry"),
    "weights_info": ("post", "/api/v1/weights_info"),
    "list_training_runs": ("get", "/api/v1/training_runs"),
    "get_training_run": ("get", "/api/v1/training_runs/{training_run_id}"),
    "list_checkpoints": ("get", "/api/v1/training_runs/{training_run_id}/checkpoints"),
    "delete_checkpoint": (
        "delete",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}",
    ),
    "get_checkpoint_archive_url": (
        "get",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/archive",
    ),
    "publish_checkpoint": (
        "post",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/publish",
    ),
    "unpublish_checkpoint": (
        "delete",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/publish",
    ),
    "list_user_checkpoints": ("get", "/api/v1/checkpoints"),
    "list_sessions": ("get", "/api/v1/sessions"),
    "get_session": ("get", "/api/v1/sessions/{session_id}"),
    "get_sampler": ("get", "/api/v1/samplers/{sampler_id}"),
}


def test_document_validates_with_openapi_spec_validator() -> None:
    validate(spec())
    assert spec()["openapi"] == "3.1.0"


def test_operation_and_schema_counts() -> None:
    assert len(operations()) == N_OPERATIONS
    assert len(official_models()) == N_OFFICIAL_MODELS
    assert len(OFFICIAL_ALIASES) == 14
    assert set(schemas()) == set(official_models()) | OFFICIAL_ALIASES | HELPERS
    assert len(schemas()) == N_OFFICIAL_MODELS + 14 + len(HELPERS) == 85
    assert {k for k, v in schemas().items() if v.get("x-tinkex-helper")} == HELPERS


def test_operations_have_the_official_ids_methods_and_paths() -> None:
    found = {op["operationId"]: (method, path) for method, path, op in operations()}
    assert found == OPERATION_IDS
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", op_id) for op_id in found)
    # Each names the official 0.7.0 method that sends it.
    assert all(op.get("x-tinker-sdk") for _, _, op in operations())


def test_official_aliases_exist_in_the_installed_sdk() -> None:
    import tinker.types

    missing = [name for name in OFFICIAL_ALIASES if not hasattr(tinker.types, name)]
    # TryAgainResponse and GenericEvent are not re-exported; the aliases all are.
    assert missing == []


def test_server_security_and_errors() -> None:
    doc = spec()
    assert doc["servers"][0]["url"] == "https://tinker.thinkingmachines.dev/services/tinker-prod"
    assert doc["components"]["securitySchemes"]["ApiKeyAuth"] == {
        **doc["components"]["securitySchemes"]["ApiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert doc["security"] == [{"ApiKeyAuth": []}]
    statuses: set[str] = set()
    for _, _, op in operations():
        assert "5XX" in op["responses"], op["operationId"]
        statuses |= set(op["responses"])
    assert {"400", "401", "403", "404", "409", "410", "422", "429", "5XX"} <= statuses
    for name, response in doc["components"]["responses"].items():
        if name != "Future":
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }


def test_retrieve_future_answers_the_future_protocol() -> None:
    op = spec()["paths"]["/api/v1/retrieve_future"]["post"]
    assert {"200", "408", "410"} <= set(op["responses"])
    members = {m["$ref"].rsplit("/", 1)[1] for m in schemas()["FutureRetrieveResponse"]["anyOf"]}
    official = set(typing.get_args(_official_alias("FutureRetrieveResponse")))
    assert {cls.__name__ for cls in official} <= members
    assert {"SampleResponse", "SaveWeightsForSamplerResponseInternal"} <= members
    pending = schemas()["FuturePendingResponse"]["properties"]
    assert {"queue_state", "queue_state_reason"} <= set(pending)


def test_archive_answers_302_with_location_and_expires() -> None:
    op = spec()["paths"][OPERATION_IDS["get_checkpoint_archive_url"][1]]["get"]
    headers = op["responses"]["302"]["headers"]
    assert headers["Location"]["required"] is True
    assert "Expires" in headers
    assert not [code for code in op["responses"] if code.startswith("2")]


@pytest.mark.parametrize("name", sorted(schemas()))
def test_every_schema_has_a_description_and_valid_examples(name: str) -> None:
    schema = schemas()[name]
    assert schema.get("description"), name
    assert schema.get("examples"), name
    for example in schema["examples"]:
        assert errors(name, example) == [], example


def test_every_type_tag_is_const_with_default_and_optional() -> None:
    tagged = set()
    for name, schema in schemas().items():
        tag = schema.get("properties", {}).get("type")
        if tag is None or name == "ErrorDetailItem":
            continue
        tagged.add(name)
        const = tag.get("const") or next(alt["const"] for alt in tag["anyOf"] if "const" in alt)
        assert "type" not in schema.get("required", []), name
        assert tag["default"] in (const, None), name
    assert tagged == {name for name, model in official_models().items() if "type" in model.model_fields}
    assert len(tagged) == 26


# ---------------------------------------------------------------- field for field


def _official_alias(name: str) -> Any:
    import tinker.types

    value = getattr(tinker.types, name)
    return typing.get_args(value)[0] if typing.get_origin(value) is typing.Annotated else value


def _literal_values(annotation: Any) -> set[Any] | None:
    """The allowed values of a Literal / Enum annotation (None-stripped), or None for other types."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _literal_values(args[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {member.value for member in annotation}
    return None


def _subschema_values(prop: dict[str, Any]) -> set[Any] | None:
    if "$ref" in prop:
        return _subschema_values(schemas()[prop["$ref"].rsplit("/", 1)[1]])
    if "const" in prop:
        return {prop["const"]}
    if "enum" in prop:
        return set(prop["enum"])
    for alt in prop.get("anyOf", []):
        values = _subschema_values(alt)
        if values is not None:
            return values
    return None


@pytest.mark.parametrize("name", sorted(official_models()))
def test_schema_matches_the_official_model_field_for_field(name: str) -> None:
    model = official_models()[name]
    schema = schemas()[name]
    props: dict[str, Any] = schema.get("properties", {})
    assert list(model.model_fields) == list(props) or set(model.model_fields) == set(props), name
    required = {field for field, info in model.model_fields.items() if info.is_required()}
    assert set(schema.get("required", [])) == required, name
    closed = model.model_config.get("extra") == "forbid"
    assert (schema.get("additionalProperties") is False) == closed, name
    for field, info in model.model_fields.items():
        prop = props[field]
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            assert "default" in prop, (name, field)
            assert prop["default"] == default, (name, field, prop["default"], default)
        accepts_none = _accepts(info.annotation, None)
        assert (errors(prop, None) == []) == accepts_none, (name, field, "nullability")
        values = _literal_values(info.annotation)
        if values is not None:
            assert _subschema_values(prop) == values, (name, field)


def _accepts(annotation: Any, value: Any) -> bool:
    try:
        pydantic.TypeAdapter(annotation).validate_python(value)
    except pydantic.ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "name",
    [
        "CheckpointType",
        "EventType",
        "LossFnType",
        "Severity",
        "StopReason",
        "TensorDtype",
        "RequestErrorCategory",
    ],
)
def test_enum_values_match_the_official_aliases(name: str) -> None:
    assert set(schemas()[name]["enum"]) == _literal_values(_official_alias(name))


def test_no_stray_keys_from_unquoted_commas_in_flow_mappings() -> None:
    # `{description: a, b}` in YAML makes a second key `b` with a null value; the description is cut and
    # jsonschema silently ignores the stray key. Every such key has a space or ends like a sentence.
    stray: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and value is None and (" " in key or key.endswith(".")):
                    stray.append(f"{where}/{key}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(spec(), "")
    assert stray == []
