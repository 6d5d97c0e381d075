"""The local loss table (`tinkex._policy._loss_check.LOSSES`) is compiled from the spec: the `LossFnType`
enum and its `x-tinkex-losses` extension in openapi/tinker.yaml, every generation's losses (the SDK knows
0.38's too; a 0.7.0 server refuses the ones it lacks)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.contract._spec import SPEC_PATH
from tinkex._policy._loss_check import LOSSES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from spec_views import generation_view


def _loss_schema(generation: str) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]

    spec = generation_view(yaml.safe_load(SPEC_PATH.read_text()), generation)
    schema: dict[str, Any] = spec["components"]["schemas"]["LossFnType"]
    return schema


def test_loss_table_is_the_spec_extension() -> None:
    schema = _loss_schema("0.38")
    table = schema["x-tinkex-losses"]
    assert list(table) == [n for n in schema["enum"] if n != "custom"]
    assert list(_loss_schema("0.7")["x-tinkex-losses"]) == list(table)[:5]
    assert {
        name: {k: tuple(v) for k, v in spec.items() if not k.startswith("x-")} for name, spec in table.items()
    } == {name: dict(spec) for name, spec in LOSSES.items()}


def test_every_built_in_loss_of_every_generation_says_what_it_reads() -> None:
    schema = _loss_schema("0.38")
    # `custom` runs a server-side graph whose inputs are the graph's own.
    assert [n for n in schema["enum"] if n != "custom"] == list(schema["x-tinkex-losses"])


def test_the_sdk_literal_names_the_same_losses() -> None:
    import typing

    from tinkex.types._enums import LossFnType

    assert list(typing.get_args(LossFnType)) == _loss_schema("0.38")["enum"]
    assert [n for n in typing.get_args(LossFnType) if n != "custom"] == list(LOSSES)
