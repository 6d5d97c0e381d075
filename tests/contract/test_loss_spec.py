"""The local loss table (`tinkex._policy._loss_check.LOSSES`) is the spec's: the `LossFnType` enum
and its `x-tinkex-losses` extension in openapi/tinker.yaml, and the local server reads the same inputs."""

from __future__ import annotations

from typing import Any

from tests.contract._spec import SPEC_PATH
from tinkex._policy._loss_check import LOSSES


def _loss_schema() -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]

    spec = yaml.safe_load(SPEC_PATH.read_text())
    schema: dict[str, Any] = spec["components"]["schemas"]["LossFnType"]
    return schema


def test_loss_table_matches_the_spec_extension() -> None:
    schema = _loss_schema()
    table = schema["x-tinkex-losses"]
    assert list(table) == schema["enum"]
    assert {name: {k: tuple(v) for k, v in spec.items()} for name, spec in table.items()} == {
        name: dict(spec) for name, spec in LOSSES.items()
    }


def test_the_sdk_literal_names_the_same_losses() -> None:
    import typing

    from tinkex.types._enums import LossFnType

    assert list(typing.get_args(LossFnType)) == list(LOSSES)
