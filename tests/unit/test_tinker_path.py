"""tinker:// path parsing: the accepted forms, every rejection, and agreement with the official parser."""

from __future__ import annotations

import pytest

from tinkex._exceptions import TinkexValidationError
from tinkex._tinker_path import (
    TinkerPath,
    checkpoint_kind,
    format_tinker_path,
    is_tinker_path,
    parse_checkpoint_id,
    parse_tinker_path,
)
from tinkex.types import ParsedCheckpointTinkerPath

GOOD = [
    ("tinker://run-1/weights/step-10", "run-1", "weights", "step-10", "training"),
    ("tinker://run-1/sampler_weights/s1", "run-1", "sampler_weights", "s1", "sampler"),
    ("tinker://3f2a:train:0/weights/final", "3f2a:train:0", "weights", "final", "training"),
    ("tinker://r/weights/name.with.dots", "r", "weights", "name.with.dots", "training"),
    # a tinker 0.38 export (save_weights_external), checkpoint type `external`
    (
        "tinker://3f2a:train:0/external_weights/export-1",
        "3f2a:train:0",
        "external_weights",
        "export-1",
        "external",
    ),
]

BAD = [
    "",
    "run-1/weights/a",
    "http://run-1/weights/a",
    "tinker://",
    "tinker://run-1",
    "tinker://run-1/weights",
    "tinker://run-1/weights/",
    "tinker://run-1/weights/a/b",
    "tinker://run-1/checkpoints/a",
    "tinker:///weights/a",
    "tinker://run-1//a",
    "tinker://run 1/weights/a",
    "TINKER://run-1/weights/a",
]


@pytest.mark.parametrize(("path", "run", "kind", "name", "ctype"), GOOD)
def test_parse_good_paths(path: str, run: str, kind: str, name: str, ctype: str) -> None:
    p = parse_tinker_path(path)
    assert (p.training_run_id, p.kind, p.name, p.checkpoint_type) == (run, kind, name, ctype)
    assert p.checkpoint_id == f"{kind}/{name}"
    assert str(p) == path == p.path
    assert is_tinker_path(path)


@pytest.mark.parametrize("path", BAD)
def test_parse_bad_paths_show_expected_form(path: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        parse_tinker_path(path, field="model_path")
    assert info.value.field == "model_path"
    assert "tinker://<training_run_id>/weights/<name>" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert not is_tinker_path(path)


def test_non_string_path() -> None:
    with pytest.raises(TinkexValidationError):
        parse_tinker_path(None)  # type: ignore[arg-type]
    assert not is_tinker_path(42)


# Where we are stricter than the official parser on purpose: empty parts and whitespace can only
# come from a bug in the caller, and the server would fail on them later with a vaguer message.
STRICTER = {
    "tinker://run-1/weights/",
    "tinker:///weights/a",
    "tinker://run 1/weights/a",
}


# The official parser in this venv is 0.7.0's, which predates tinker 0.38's external_weights/.
@pytest.mark.parametrize("path", [g[0] for g in GOOD if g[2] != "external_weights"] + BAD)
def test_agrees_with_official_parser(path: str) -> None:
    official = pytest.importorskip("tinker.types").ParsedCheckpointTinkerPath
    try:
        expected = official.from_tinker_path(path).model_dump(mode="json")
    except ValueError:
        expected = None
    if path in STRICTER:
        assert expected is not None
        expected = None
    if expected is None:
        with pytest.raises(TinkexValidationError):
            ParsedCheckpointTinkerPath.from_tinker_path(path)
    else:
        assert ParsedCheckpointTinkerPath.from_tinker_path(path).model_dump(mode="json") == expected


@pytest.mark.parametrize(
    ("ctype", "kind"),
    [
        ("training", "weights"),
        ("sampler", "sampler_weights"),
        ("weights", "weights"),
        ("sampler_weights", "sampler_weights"),
    ],
)
def test_checkpoint_kind(ctype: str, kind: str) -> None:
    assert checkpoint_kind(ctype) == kind


def test_checkpoint_kind_rejects_unknown() -> None:
    with pytest.raises(TinkexValidationError):
        checkpoint_kind("optimizer")


def test_format_round_trips() -> None:
    assert format_tinker_path("run-1", "training", "a") == "tinker://run-1/weights/a"
    assert format_tinker_path("run-1", "sampler", "b") == "tinker://run-1/sampler_weights/b"
    with pytest.raises(TinkexValidationError):
        format_tinker_path("run/1", "training", "a")


@pytest.mark.parametrize(
    ("cid", "expected"),
    [("weights/a", ("weights", "a")), ("sampler_weights/s-1", ("sampler_weights", "s-1"))],
)
def test_parse_checkpoint_id(cid: str, expected: tuple[str, str]) -> None:
    assert parse_checkpoint_id(cid) == expected


@pytest.mark.parametrize("cid", ["weights", "weights/", "other/a", "weights/a/b", "/a", ""])
def test_parse_checkpoint_id_rejects(cid: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        parse_checkpoint_id(cid)
    assert "weights/<name>" in str(info.value)


def test_tinker_path_is_frozen_value() -> None:
    assert parse_tinker_path("tinker://r/weights/a") == TinkerPath("r", "weights", "a")
    assert hash(parse_tinker_path("tinker://r/weights/a")) == hash(TinkerPath("r", "weights", "a"))
