"""Every example in the spec round-trips through the generated models (from_dict then to_dict)."""

from __future__ import annotations

import typing
from typing import Any

import _tinkex_lowlevel.models as models
import httpx
import pytest
from _tinkex_lowlevel.api.futures import retrieve_future
from _tinkex_lowlevel.client import Client

from ._spec import full_spec, schemas, wire_problems

# Schemas that generate no class: string aliases, Literal enums (checked by their check_* helper) and
# unions (decoded through the operation or model that holds them).
UNIONS = {"ModelInputChunk", "TelemetryEvent", "FutureRetrieveResponse"}
STRING_ALIASES = {"ModelID", "RequestID"}


def _enum_names() -> list[str]:
    return sorted(name for name, schema in schemas().items() if "enum" in schema)


def _model_cases() -> list[tuple[str, int]]:
    return [
        (name, i)
        for name, schema in sorted(schemas().items())
        if name not in UNIONS | STRING_ALIASES and "enum" not in schema
        for i in range(len(schema["examples"]))
    ]


@pytest.mark.parametrize(("name", "index"), _model_cases())
def test_model_example_round_trips(name: str, index: int) -> None:
    example = schemas()[name]["examples"][index]
    cls = getattr(models, name)
    if not isinstance(cls, type):
        # A map schema (additionalProperties only) is a dict alias; its values decode as its value type.
        assert typing.get_origin(cls) is dict
        value_type = typing.get_args(cls)[1]
        if isinstance(value_type, type) and hasattr(value_type, "from_dict"):
            written = {k: value_type.from_dict(v).to_dict() for k, v in example.items()}
            assert written == {k: value_type.from_dict(v).to_dict() for k, v in written.items()}
            assert wire_problems(name, written, example) == []
        return
    decoded = cls.from_dict(example)
    assert wire_problems(name, decoded.to_dict(), example) == []
    # And again from our own output: encoding is stable.
    assert cls.from_dict(decoded.to_dict()).to_dict() == decoded.to_dict()


@pytest.mark.parametrize("name", _enum_names())
def test_enum_is_a_literal_accepting_plain_strings(name: str) -> None:
    literal = getattr(models, name)
    assert typing.get_origin(literal) is typing.Literal
    # The generated Literal holds every generation's values; the 0.7.0 view's are among them.
    later = {
        v
        for vs in (full_spec()["components"]["schemas"][name].get("x-tinker-since-values") or {}).values()
        for v in vs
    }
    assert set(typing.get_args(literal)) == set(schemas()[name]["enum"]) | later
    for example in schemas()[name]["examples"]:
        assert example in typing.get_args(literal)


def test_model_input_chunks_decode_to_their_variant_with_or_without_tag() -> None:
    for example in schemas()["ModelInputChunk"]["examples"]:
        decoded = models.ModelInput.from_dict({"chunks": [example]})
        assert wire_problems("ModelInput", decoded.to_dict(), {"chunks": [example]}) == []
        # The chunk tag is always written (the 0.18+ style).
        assert all(chunk["type"] for chunk in decoded.to_dict()["chunks"])
    untagged = models.ModelInput.from_dict(
        {
            "chunks": [
                {"tokens": [1]},
                {"data": "aGk=", "format": "png"},
                {"location": "a.png", "format": "png"},
            ]
        }
    )
    assert [type(c) for c in untagged.chunks] == [
        models.EncodedTextChunk,
        models.ImageChunk,
        models.ImageAssetPointerChunk,
    ]
    tagged = models.ModelInput.from_dict({"chunks": [{"type": "image", "data": "aGk=", "format": "png"}]})
    assert isinstance(tagged.chunks[0], models.ImageChunk)


def test_telemetry_events_decode_to_the_most_specific_event() -> None:
    common = {
        "event_id": "e",
        "event_session_index": 0,
        "severity": "INFO",
        "timestamp": "2025-12-03T01:00:00Z",
    }
    events = [
        {"event": "SESSION_START", **common},
        {"event": "SESSION_END", "duration": "0:00:01", **common},
        {"event": "UNHANDLED_EXCEPTION", "error_message": "x", "error_type": "E", **common},
        {"event": "GENERIC_EVENT", "event_name": "n", "event_data": {"a": 1}, **common},
    ]
    batch = models.TelemetryBatch.from_dict(
        {"events": events, "platform": "Linux", "sdk_version": "0.7.0", "session_id": "s"}
    )
    assert [type(e).__name__ for e in batch.events] == [
        "SessionStartEvent",
        "SessionEndEvent",
        "UnhandledExceptionEvent",
        "GenericEvent",
    ]
    assert batch.to_dict()["events"] == events


def _parse_future(body: Any) -> Any:
    import orjson

    response = httpx.Response(200, content=orjson.dumps(body))
    return retrieve_future._parse_response(client=Client(base_url="http://test"), response=response)


@pytest.mark.parametrize("index", range(len(schemas()["FutureRetrieveResponse"]["examples"])))
def test_future_examples_round_trip(index: int) -> None:
    example = schemas()["FutureRetrieveResponse"]["examples"][index]
    assert _parse_future(example).to_dict() == example


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "try_again", "request_id": "r", "queue_state": "active"}, "TryAgainResponse"),
        ({"request_id": "r", "queue_state": "paused_capacity"}, "TryAgainResponse"),
        ({"error": "boom", "category": "user"}, "RequestFailedResponse"),
        ({"error": "boom", "category": "server", "extra": 1}, "RequestFailedResponse"),
        (
            {"loss_fn_output_type": "ArrayRecord", "loss_fn_outputs": [], "metrics": {"loss:sum": 1.0}},
            "ForwardBackwardOutput",
        ),
        ({"sequences": [{"stop_reason": "stop", "tokens": [1]}]}, "SampleResponse"),
        ({"sequences": [], "type": "sample"}, "SampleResponse"),
        ({"model_id": "m"}, "CreateModelResponse"),
        ({"model_id": "m", "type": "create_model"}, "CreateModelResponse"),
        ({"model_id": "m", "type": "unload_model"}, "UnloadModelResponse"),
        ({"path": "tinker://r/weights/a", "type": "save_weights"}, "SaveWeightsResponse"),
        ({"path": None, "sampling_session_id": "s:sample:1"}, "SaveWeightsForSamplerResponseInternal"),
        (
            {"path": "tinker://r/sampler_weights/a", "type": "save_weights_for_sampler"},
            "SaveWeightsForSamplerResponseInternal",
        ),
        ({"path": "tinker://r/weights/a", "type": "load_weights"}, "LoadWeightsResponse"),
        ({"metrics": {"grad_norm:mean": 1.0}}, "OptimStepResponse"),
    ],
)
def test_future_union_decodes_to_the_right_variant(body: dict[str, Any], expected: str) -> None:
    assert type(_parse_future(body)).__name__ == expected


@pytest.mark.parametrize(
    "body",
    [
        # A pending or failed answer with a value this version does not know must never read as a result.
        {"type": "try_again", "request_id": "r", "queue_state": "brand_new_state"},
        {"error": "boom", "category": "quota"},
        {"model_id": "m", "type": "create_something_else"},
    ],
)
def test_future_union_never_misreads_unknown_values_as_success(body: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        _parse_future(body)
