"""Pure helpers between the wire and the backends: chunk-type inference, tensor shape defaults,
tinker:// path parsing, ISO times, and the ids the server hands out.

Both serialization styles arrive here: 0.7.0 omits `type` tags and defaulted fields and sends explicit
nulls; later clients send every tag and default and omit nulls. Everything below treats a missing
key and a null the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "MAX_CHECKPOINT_NAME_BYTES",
    "TinkerPath",
    "check_text_only",
    "chunk_kind",
    "iso_time",
    "model_input_tokens",
    "normalize_datum",
    "parse_tinker_path",
]

# external_weights/: tinker >= 0.38 exports (save_weights_external), type "external".
_KINDS = {"weights": "training", "sampler_weights": "sampler", "external_weights": "external"}


def chunk_kind(chunk: Mapping[str, Any]) -> str:
    """The chunk's type: its `type` tag, else inferred from its keys (the 0.7.0 client sends no tag).

    Example::

        chunk_kind({"tokens": [1, 2]})  # -> "encoded_text"
    """
    tag = chunk.get("type")
    if tag:
        return str(tag)
    if "tokens" in chunk:
        return "encoded_text"
    if "location" in chunk:
        return "image_asset_pointer"
    return "image"


def _chunk_length(chunk: Mapping[str, Any]) -> int:
    if chunk_kind(chunk) == "encoded_text":
        tokens = chunk.get("tokens")  # a list, or a numpy array (no truth value) from protobuf bodies
        return 0 if tokens is None else len(tokens)
    return int(chunk.get("expected_tokens") or 0)


def model_input_tokens(model_input: Mapping[str, Any]) -> list[int]:
    """The token ids of a text-only model input; raises ValueError naming an image chunk.

    Example::

        model_input_tokens({"chunks": [{"tokens": [1]}, {"type": "encoded_text", "tokens": [2]}]})  # [1, 2]
    """
    check_text_only(model_input)
    out: list[int] = []
    for chunk in model_input.get("chunks") or []:
        out.extend(int(t) for t in chunk.get("tokens") or [])
    return out


def check_text_only(model_input: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first non-text chunk (what `model_input_tokens` checks, without
    converting every token).

    Example::

        check_text_only({"chunks": [{"tokens": [1]}, {"data": "aGk=", "format": "png"}]})  # ValueError
    """
    for i, chunk in enumerate(model_input.get("chunks") or []):
        kind = chunk_kind(chunk)
        if kind != "encoded_text":
            raise ValueError(f"chunks[{i}] is an {kind} chunk; this server's models are text-only")


def normalize_datum(datum: Mapping[str, Any]) -> dict[str, Any]:
    """A Datum with every chunk tagged and every loss tensor's `shape` filled in (1-D when absent).

    Example::

        normalize_datum({"model_input": {"chunks": [{"tokens": [1]}]},
                         "loss_fn_inputs": {"weights": {"data": [1.0], "dtype": "float32"}}})
    """
    chunks = [{**c, "type": chunk_kind(c)} for c in (datum.get("model_input") or {}).get("chunks") or []]
    inputs: dict[str, Any] = {}
    for key, t in (datum.get("loss_fn_inputs") or {}).items():
        shape = t.get("shape")
        inputs[key] = {
            "data": t.get("data") or [],
            "dtype": t.get("dtype"),
            "shape": list(shape) if shape is not None else [len(t.get("data") or [])],
        }
    return {"model_input": {"chunks": chunks}, "loss_fn_inputs": inputs}


def datum_length(datum: Mapping[str, Any]) -> int:
    """N, the number of input positions of a datum (text tokens + images' expected tokens)."""
    return sum(_chunk_length(c) for c in (datum.get("model_input") or {}).get("chunks") or [])


@attrs.frozen
class TinkerPath:
    """A parsed `tinker://<run>/<weights|sampler_weights>/<name>`.

    Example::

        parse_tinker_path("tinker://s:train:0/weights/ckpt").checkpoint_id  # -> "weights/ckpt"
    """

    run_id: str
    kind: str  # "weights" | "sampler_weights"
    name: str

    @property
    def checkpoint_id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def checkpoint_type(self) -> str:
        return _KINDS[self.kind]

    def __str__(self) -> str:
        return f"tinker://{self.run_id}/{self.kind}/{self.name}"


def parse_tinker_path(path: str) -> TinkerPath:
    """Parse like the official client (exactly three `/`-separated parts); ValueError says why not.

    Example::

        parse_tinker_path("tinker://run/sampler_weights/s1").kind  # -> "sampler_weights"
    """
    if not path.startswith("tinker://"):
        raise ValueError(f"not a tinker:// path: {path!r}")
    parts = path[len("tinker://") :].split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"expected tinker://<run>/<weights|sampler_weights>/<name>, got {path!r}")
    if parts[1] not in _KINDS:
        raise ValueError(
            f"checkpoint kind must be 'weights' or 'sampler_weights', got {parts[1]!r} in {path!r}"
        )
    return TinkerPath(run_id=parts[0], kind=parts[1], name=parts[2])


# A checkpoint name becomes one directory name: at most NAME_MAX (255) bytes on every common filesystem.
MAX_CHECKPOINT_NAME_BYTES = 255


def check_name(name: str) -> str | None:
    """Why a checkpoint name is unusable, or None. Names become one path segment and a directory."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        return f"checkpoint name {name!r} must be non-empty and contain no '/' (it becomes one path segment)"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "checkpoint name must be valid UTF-8 text (it holds a lone surrogate)"
    if size > MAX_CHECKPOINT_NAME_BYTES:
        return (
            f"checkpoint name is {size} bytes of UTF-8; the limit is {MAX_CHECKPOINT_NAME_BYTES} bytes "
            "(it becomes one directory name)"
        )
    return None


def iso_time(ts: float) -> str:
    """Unix seconds -> ISO 8601 UTC with microseconds and `Z` (what the official client parses).

    Example::

        iso_time(0.0)  # -> "1970-01-01T00:00:00.000000Z"
    """
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def http_date(ts: float) -> str:
    """Unix seconds -> `%a, %d %b %Y %H:%M:%S GMT` (the only Expires format the 0.7.0 client parses)."""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
