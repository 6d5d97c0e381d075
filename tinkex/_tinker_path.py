"""`tinker://<training_run_id>/<weights|sampler_weights>/<name>` paths: parsing, validation and
formatting, in one place (checkpoint types, REST calls, the CLI and downloads all use it)."""

from __future__ import annotations

from typing import Literal

import attrs

from tinkex._exceptions import TinkexValidationError

__all__ = [
    "SCHEME",
    "TinkerPath",
    "checkpoint_kind",
    "format_tinker_path",
    "is_tinker_path",
    "parse_checkpoint_id",
    "parse_tinker_path",
]

SCHEME = "tinker://"
CheckpointKind = Literal["weights", "sampler_weights", "external_weights"]
# external_weights/: a tinker 0.38 export (TrainingClient.save_weights_external), checkpoint type `external`.
_KIND_TO_TYPE: dict[str, Literal["training", "sampler", "external"]] = {
    "weights": "training",
    "sampler_weights": "sampler",
    "external_weights": "external",
}
_TYPE_TO_KIND: dict[str, CheckpointKind] = {
    "training": "weights",
    "sampler": "sampler_weights",
    "external": "external_weights",
}
_EXPECTED = (
    "tinker://<training_run_id>/weights/<name> or tinker://<training_run_id>/sampler_weights/<name> "
    "(or external_weights/<name> for a tinker 0.38 export)"
)


@attrs.frozen
class TinkerPath:
    """A parsed tinker:// checkpoint path.

    Example::

        >>> p = parse_tinker_path("tinker://run-1/sampler_weights/step-10")
        >>> p.training_run_id, p.kind, p.name, p.checkpoint_type, p.checkpoint_id
        ('run-1', 'sampler_weights', 'step-10', 'sampler', 'sampler_weights/step-10')
        >>> str(p)
        'tinker://run-1/sampler_weights/step-10'
    """

    training_run_id: str
    kind: CheckpointKind
    name: str

    @property
    def checkpoint_type(self) -> Literal["training", "sampler", "external"]:
        """`training` for weights/, `sampler` for sampler_weights/, `external` for external_weights/."""
        return _KIND_TO_TYPE[self.kind]

    @property
    def checkpoint_id(self) -> str:
        """`<kind>/<name>`, the id the REST checkpoint endpoints take (it contains a `/`)."""
        return f"{self.kind}/{self.name}"

    @property
    def path(self) -> str:
        """The full tinker:// path."""
        return f"{SCHEME}{self.training_run_id}/{self.kind}/{self.name}"

    def __str__(self) -> str:
        return self.path


def parse_tinker_path(path: str, *, field: str = "path") -> TinkerPath:
    """Parse `tinker://<run>/<weights|sampler_weights>/<name>`; `TinkexValidationError` shows the expected form.

    `field` names the argument in the error (e.g. "model_path").

    Example::

        >>> parse_tinker_path("tinker://r/weights/a").checkpoint_type
        'training'
    """
    if not isinstance(path, str):
        raise TinkexValidationError(field, f"must be a str, got {type(path).__name__}", f"pass {_EXPECTED}")
    if not path.startswith(SCHEME):
        raise TinkexValidationError(field, f"{path!r} is not a tinker:// path", f"expected {_EXPECTED}")
    parts = path[len(SCHEME) :].split("/")
    if len(parts) != 3 or not all(parts):
        raise TinkexValidationError(
            field,
            f"{path!r} must have exactly three non-empty parts after tinker://",
            f"expected {_EXPECTED} (no '/' inside the run id or name)",
        )
    run_id, kind, name = parts
    if kind not in _KIND_TO_TYPE:
        raise TinkexValidationError(
            field,
            f"{path!r} has kind {kind!r}, not 'weights', 'sampler_weights' or 'external_weights'",
            f"expected {_EXPECTED}",
        )
    if any(c.isspace() for c in path):
        raise TinkexValidationError(field, f"{path!r} contains whitespace", f"expected {_EXPECTED}")
    return TinkerPath(run_id, kind, name)  # type: ignore[arg-type]


def is_tinker_path(path: object) -> bool:
    """True when `path` parses as a tinker:// checkpoint path.

    Example::

        >>> is_tinker_path("tinker://r/weights/a"), is_tinker_path("/tmp/a")
        (True, False)
    """
    try:
        parse_tinker_path(path)  # type: ignore[arg-type]
    except TinkexValidationError:
        return False
    return True


def checkpoint_kind(checkpoint_type: str) -> CheckpointKind:
    """The path segment of a checkpoint type: training -> weights, sampler -> sampler_weights.

    Example::

        >>> checkpoint_kind("sampler")
        'sampler_weights'
    """
    kind = _TYPE_TO_KIND.get(checkpoint_type)
    if kind is None:
        if checkpoint_type in _KIND_TO_TYPE:
            return checkpoint_type  # type: ignore[return-value]
        raise TinkexValidationError(
            "checkpoint_type", f"must be 'training' or 'sampler', got {checkpoint_type!r}", ""
        )
    return kind


def format_tinker_path(training_run_id: str, checkpoint_type: str, name: str) -> str:
    """Build a tinker:// path; `checkpoint_type` may be training/sampler or weights/sampler_weights.

    Example::

        >>> format_tinker_path("run-1", "training", "step-1")
        'tinker://run-1/weights/step-1'
    """
    kind = checkpoint_kind(checkpoint_type)
    return str(parse_tinker_path(f"{SCHEME}{training_run_id}/{kind}/{name}", field="tinker path"))


def parse_checkpoint_id(checkpoint_id: str, *, field: str = "checkpoint_id") -> tuple[CheckpointKind, str]:
    """Split a REST checkpoint id `<kind>/<name>` into its kind and name.

    Example::

        >>> parse_checkpoint_id("weights/step-1")
        ('weights', 'step-1')
    """
    kind, sep, name = checkpoint_id.partition("/") if isinstance(checkpoint_id, str) else ("", "", "")
    if not sep or kind not in _KIND_TO_TYPE or not name or "/" in name:
        raise TinkexValidationError(
            field,
            f"{checkpoint_id!r} is not a checkpoint id",
            "expected weights/<name> or sampler_weights/<name> (the tail of a tinker:// path)",
        )
    return kind, name  # type: ignore[return-value]
