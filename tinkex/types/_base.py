"""The machinery every wire type shares: the `WireModel` base with to_dict / from_dict / model_dump,
per-field codecs for nested objects, tagged unions, datetimes, enums and bytes, and short reprs of
long arrays.

The wire types themselves are generated from openapi/tinker.yaml (templates/model.py.jinja) into
`_tinkex_lowlevel.models` as frozen slotted dataclasses over `WireModel`; the generated class body only
declares fields and names the codecs of the fields that need one (`_CODECS`). Plain fields (numbers,
strings, token lists, metric dicts) have no codec: they go to and come from the wire as the very same
object, so per-token arrays are never copied or walked element by element.

This module must not import the generated package or the public `tinkex` modules at import time: the
generated models import it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple, TypeVar, cast

from tinkex._exceptions import TinkexValidationError

# Dump modes: WIRE is the request body (numpy arrays left for orjson, None dropped by the caller),
# JSON is what pydantic's model_dump(mode="json") gives, PYTHON its default mode.
WIRE = 0
JSON = 1
PYTHON = 2

_W = TypeVar("_W", bound="WireModel")


class Codec:
    """How one non-plain field is dumped, loaded, and coerced when a user constructs the object."""

    __slots__ = ()

    # Whether `coerce` does anything (classes without such fields skip the __post_init__ loop).
    coerces: ClassVar[bool] = False

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        raise NotImplementedError

    def load(self, value: Any) -> Any:
        raise NotImplementedError

    def coerce(self, value: Any, field: str) -> Any:
        """A constructor argument -> the field's value (e.g. a dict -> the nested object)."""
        return value


class Obj(Codec):
    """A nested wire object; `cls` may be a zero-argument callable to allow forward references."""

    __slots__ = ("_cls", "_resolve")
    coerces = True

    def __init__(self, cls: type[WireModel] | Callable[[], type[WireModel]]) -> None:
        self._cls: type[WireModel] | None
        self._resolve: Callable[[], type[WireModel]] | None
        if isinstance(cls, type):
            self._cls, self._resolve = cls, None
        else:
            self._cls, self._resolve = None, cls

    @property
    def cls(self) -> type[WireModel]:
        if self._cls is None:
            assert self._resolve is not None
            self._cls = self._resolve()
        return self._cls

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if isinstance(value, WireModel):
            # WIRE mode is only ever to_dict(): use the class's (possibly hand-written) fast path.
            return value.to_dict() if mode == WIRE else value._dump(mode, exclude_none)
        return value

    def load(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self.cls.from_dict(value)
        return value

    def coerce(self, value: Any, field: str) -> Any:
        cls = self.cls
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        raise TinkexValidationError(
            field, f"must be a {cls.__name__}, got {type(value).__name__}", f"pass {cls.__name__}(...)"
        )


class Union_(Codec):
    """One of several wire objects, picked by tag, else by which member's required keys are present.

    A member's tags are its `_TAGS` (`{"type": "image"}` from a `type` const, or the schema's
    `x-tinkex-tag`). A mapping carrying a member's tag values decodes as that member; a member whose tag
    key is present with another value is ruled out; otherwise the first member (in spec order) whose
    required keys are all present wins (the 0.6.3 client sends untagged chunks).
    """

    __slots__ = ("_by_tag", "_field", "_members", "_tag_keys")
    coerces = True

    def __init__(self, members: tuple[type[WireModel], ...], field: str) -> None:
        self._members = members
        self._field = field
        self._by_tag: dict[tuple[str, Any], type[WireModel]] | None = None
        self._tag_keys: tuple[str, ...] = ()

    def pick(self, d: Mapping[str, Any]) -> type[WireModel]:
        by_tag = self._by_tag
        if by_tag is None:
            by_tag = {}
            for member in self._members:
                for key, value in member._TAGS.items():
                    by_tag.setdefault((key, value), member)
            self._by_tag = by_tag
            self._tag_keys = tuple(sorted({key for key, _ in by_tag}))
        for key in self._tag_keys:
            tag = d.get(key)
            if isinstance(tag, str):
                found = by_tag.get((key, tag))
                if found is not None:
                    return found
        for member in self._members:
            if any(key in d and d[key] != value for key, value in member._TAGS.items()):
                continue
            if all(spec.name in d for spec in _specs(member) if spec.required and not spec.required_nullable):
                return member
        names = ", ".join(m.__name__ for m in self._members)
        tags = sorted({f"{k}={v!r}" for m in self._members for k, v in m._TAGS.items()})
        raise TinkexValidationError(
            self._field,
            f"cannot tell which of {names} the object with keys {sorted(d)!r} is",
            f"send one of {', '.join(tags)}" if tags else f"send the keys of one of {names}",
        )

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if isinstance(value, WireModel):
            # WIRE mode is only ever to_dict(): use the class's (possibly hand-written) fast path.
            return value.to_dict() if mode == WIRE else value._dump(mode, exclude_none)
        return value

    def load(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self.pick(value).from_dict(value)
        return value

    def coerce(self, value: Any, field: str) -> Any:
        if isinstance(value, self._members):
            return value
        if isinstance(value, Mapping):
            return self.pick(value).from_dict(value)
        names = ", ".join(m.__name__ for m in self._members)
        raise TinkexValidationError(
            field,
            f"must be one of {names}, got {type(value).__name__}",
            f"pass a {self._members[0].__name__}(...)",
        )


class ListOf(Codec):
    """A list of values of an inner codec (only for lists of objects, never token lists).

    `lenient`: the field may also hold a non-list (a union such as `str | list[X]`), kept as given.
    """

    __slots__ = ("inner", "lenient")
    coerces = True

    def __init__(self, inner: Codec, lenient: bool = False) -> None:
        self.inner = inner
        self.lenient = lenient

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if not isinstance(value, list | tuple):
            return value
        dump = self.inner.dump
        return [None if v is None else dump(v, mode, exclude_none) for v in value]

    def load(self, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        load = self.inner.load
        return [None if v is None else load(v) for v in value]

    def coerce(self, value: Any, field: str) -> Any:
        if not isinstance(value, list | tuple):
            if self.lenient:
                return value
            raise TinkexValidationError(
                field, f"must be a list, got {type(value).__name__}", f"pass {field.rpartition('.')[2]}=[...]"
            )
        coerce = self.inner.coerce
        return [None if v is None else coerce(v, f"{field}[{i}]") for i, v in enumerate(value)]


class DictOf(Codec):
    """A str-keyed mapping of values of an inner codec."""

    __slots__ = ("inner",)
    coerces = True

    def __init__(self, inner: Codec) -> None:
        self.inner = inner

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        dump = self.inner.dump
        return {k: None if v is None else dump(v, mode, exclude_none) for k, v in value.items()}

    def load(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        load = self.inner.load
        return {k: None if v is None else load(v) for k, v in value.items()}

    def coerce(self, value: Any, field: str) -> Any:
        if not isinstance(value, Mapping):
            raise TinkexValidationError(
                field,
                f"must be a dict, got {type(value).__name__}",
                f"pass {field.rpartition('.')[2]}={{...}}",
            )
        coerce = self.inner.coerce
        return {k: None if v is None else coerce(v, f"{field}[{k!r}]") for k, v in value.items()}


class DateTime(Codec):
    """ISO 8601 on the wire (`Z` for UTC), an aware `datetime` in Python."""

    __slots__ = ()
    coerces = True

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode == PYTHON or not isinstance(value, _dt.datetime):
            return value
        return format_datetime(value)

    def load(self, value: Any) -> Any:
        return parse_datetime(value)

    def coerce(self, value: Any, field: str) -> Any:
        return value if value is None else parse_datetime(value)


class Enum_(Codec):
    """A str enum: its value on the wire; unknown values load as `fallback` when given."""

    __slots__ = ("_enum", "_fallback")
    coerces = True

    def __init__(self, enum_cls: type[enum.Enum], fallback: enum.Enum | None = None) -> None:
        self._enum = enum_cls
        self._fallback = fallback

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode != PYTHON and isinstance(value, enum.Enum):
            return value.value
        return value

    def load(self, value: Any) -> Any:
        try:
            return self._enum(value)
        except ValueError:
            if self._fallback is not None:
                return self._fallback
            raise

    def coerce(self, value: Any, field: str) -> Any:
        return self._enum(value)


class Bytes(Codec):
    """bytes in Python, standard base64 (with padding) on the wire."""

    __slots__ = ()
    coerces = True

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode != PYTHON and isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode("ascii")
        return value

    def load(self, value: Any) -> Any:
        return to_bytes(value)

    def coerce(self, value: Any, field: str) -> Any:
        return to_bytes(value)


class Array(Codec):
    """A flat number array that may be a numpy array: left as is for the wire, a list otherwise."""

    __slots__ = ()

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode == WIRE or isinstance(value, list):
            return value
        return value.tolist() if hasattr(value, "tolist") else list(value)

    def load(self, value: Any) -> Any:
        return value


class Pairs(Codec):
    """Per position None or (id, value) pairs: passed through on the wire and on decode; the pairs
    become lists only for model_dump(mode="json"), as pydantic does."""

    __slots__ = ()

    def dump(self, value: Any, mode: int, exclude_none: bool) -> Any:
        if mode != JSON:
            return value
        return [None if row is None else [list(pair) for pair in row] for row in value]

    def load(self, value: Any) -> Any:
        return value


def to_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return base64.b64decode(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value  # type: ignore[no-any-return]


def format_datetime(value: _dt.datetime) -> str:
    """ISO 8601 with `Z` for UTC, as the official SDK serialises datetimes."""
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def parse_datetime(value: Any) -> Any:
    """ISO 8601 / RFC 3339 string (`Z` or offset; naive means UTC) or Unix seconds -> aware datetime."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _dt.datetime.fromtimestamp(value, tz=_dt.UTC)
    if isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value)
        except ValueError:
            # More than 6 fractional digits (nanoseconds from some servers): trim to micro.
            parsed = _parse_long_fraction(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)
    raise TinkexValidationError("datetime", f"cannot parse {value!r}", "send an ISO 8601 string")


def _parse_long_fraction(value: str) -> _dt.datetime:
    head, dot, rest = value.partition(".")
    if not dot:
        raise TinkexValidationError("datetime", f"cannot parse {value!r}", "send an ISO 8601 string")
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return _dt.datetime.fromisoformat(f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}")


# ------------------------------------------------------------------------------------------------
# Repr helpers
# ------------------------------------------------------------------------------------------------

_REPR_ITEMS = 8


def short_repr(value: Any) -> str:
    """Repr of a possibly long array: the first items and the total count."""
    if isinstance(value, list | tuple):
        if len(value) <= _REPR_ITEMS:
            return repr(value)
        head = ", ".join(repr(v) for v in value[:_REPR_ITEMS])
        return f"[{head}, ... ({len(value)} items)]"
    size = getattr(value, "size", None)
    if size is not None and hasattr(value, "dtype"):
        flat = value.reshape(-1)[:_REPR_ITEMS].tolist()
        more = f", ... ({size} items)" if size > _REPR_ITEMS else ""
        return f"array({flat!r}{more}, dtype={value.dtype})"
    return repr(value)


# ------------------------------------------------------------------------------------------------
# The base class
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _FieldSpec:
    name: str
    codec: Codec | None
    required: bool
    # A null for a field whose default is not None means "use the default" (0.7.0 sends explicit
    # nulls for optional fields; the server may too).
    null_means_default: bool
    # How the field shows in repr: None = repr(), else a callable (short arrays, byte counts).
    repr: Callable[[Any], str] | None
    # Required but may be None (CreateSessionRequest.user_metadata): always sent, null if None,
    # because 0.7.0 servers require the key.
    required_nullable: bool
    # Added to an older schema by a later protocol generation (`_LATER`): left out of dumps and reprs
    # while None, so an object built without it has exactly the older generation's JSON.
    later: bool = False


_SPECS: dict[type, tuple[_FieldSpec, ...]] = {}
_COERCE: dict[type, tuple[tuple[str, Codec, str], ...]] = {}


def _bytes_repr(value: Any) -> str:
    return f"<{len(value)} bytes>" if isinstance(value, bytes | bytearray) else repr(value)


def _specs(cls: type[WireModel]) -> tuple[_FieldSpec, ...]:
    specs = _SPECS.get(cls)
    if specs is None:
        codecs = {**cls._CODECS, **cls._MIXIN_CODECS}
        short = cls._SHORT_REPR
        out = []
        for f in dataclasses.fields(cast(Any, cls)):
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            codec = codecs.get(f.name)
            out.append(
                _FieldSpec(
                    name=f.name,
                    codec=codec,
                    required=not has_default,
                    null_means_default=has_default and f.default is not None,
                    repr=short_repr if f.name in short else _bytes_repr if isinstance(codec, Bytes) else None,
                    required_nullable=not has_default and "None" in str(f.type).split(" | "),
                    later=f.name in cls._LATER,
                )
            )
        specs = tuple(out)
        _SPECS[cls] = specs
    return specs


def _coercions(cls: type[WireModel]) -> tuple[tuple[str, Codec, str], ...]:
    found = _COERCE.get(cls)
    if found is None:
        found = tuple(
            (s.name, s.codec, f"{cls.__name__}.{s.name}")
            for s in _specs(cls)
            if s.codec is not None and s.codec.coerces
        )
        _COERCE[cls] = found
    return found


_C = TypeVar("_C", bound=type)


class Check(NamedTuple):
    """A constructor check of one number field, generated from the spec (`x-tinkex-check-args`)."""

    name: str
    kind: str  # "int" or "number"
    minimum: float | None
    optional: bool
    fix: str

    def run(self, owner: str, value: Any) -> None:
        if value is None and self.optional:
            return
        ok = is_int(value) if self.kind == "int" else is_number(value)
        if ok and (self.minimum is None or value >= self.minimum):
            return
        bound = f" >= {self.minimum}" if self.minimum is not None else ""
        what = "an int" if self.kind == "int" else "a number"
        placeholder = f"<int{bound}>" if self.kind == "int" else "<float>"
        raise TinkexValidationError(
            f"{owner}.{self.name}",
            f"must be {what}{bound}, got {value!r}",
            self.fix or f"pass {self.name}={placeholder}",
        )


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r} of {type(self).__name__}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r} of {type(self).__name__}")


def frozen(cls: _C) -> _C:
    """Finish a frozen slotted dataclass: any assignment raises FrozenInstanceError.

    Python 3.11's own frozen `__setattr__` of a `slots=True` class raises a confusing TypeError for a
    name that is not a field (it refers to the class before slots were added).
    """
    cls.__setattr__ = _frozen_setattr  # type: ignore[assignment]
    cls.__delattr__ = _frozen_delattr  # type: ignore[assignment]
    return cls


class WireModel:
    """Base of every public wire type: `to_dict`, `from_dict` and pydantic-style aliases.

    The concrete classes are frozen slotted dataclasses generated from the spec; `dataclasses.replace`
    makes changed copies.

    Example::

        >>> from tinkex.types import AdamParams
        >>> AdamParams(learning_rate=1e-3).to_dict()["learning_rate"]
        0.001
        >>> AdamParams.from_dict({"learning_rate": 1e-3, "unknown": 1}) == AdamParams(learning_rate=1e-3)
        True
    """

    __slots__ = ()

    # Codecs of the fields that are not plain JSON values (generated from the spec).
    _CODECS: ClassVar[Mapping[str, Codec]] = {}
    # Codecs a hand-written mixin adds or overrides (e.g. numpy-aware arrays).
    _MIXIN_CODECS: ClassVar[Mapping[str, Codec]] = {}
    # The value of the `type` discriminator when the class has one.
    _TAG: ClassVar[str | None] = None
    # Every tag of the class inside a union: {"type": "image"}, {"event": "SESSION_START"}.
    _TAGS: ClassVar[Mapping[str, str]] = {}
    # Fields shown as short reprs (number arrays).
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset()
    # Constructor checks of number fields (generated for schemas marked `x-tinkex-check-args`).
    _CHECKS: ClassVar[tuple[Check, ...]] = ()
    # The allowed values of enum fields (checked by from_dict_strict only).
    _ENUMS: ClassVar[Mapping[str, frozenset[str]]] = {}
    # Fields a later protocol generation added to this schema (x-tinker-since): unset (None) they are
    # neither sent nor dumped nor shown, so 0.7.0-era objects keep 0.7.0's bytes.
    _LATER: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        cls = type(self)
        for check in cls._CHECKS:
            check.run(cls.__name__, getattr(self, check.name))
        # Constructor arguments that need a conversion: dicts for nested objects, ISO strings for
        # datetimes, base64 for bytes. Plain fields are kept as given.
        for name, codec, field in _coercions(cls):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, codec.coerce(value, field))

    def _dump(self, mode: int, exclude_none: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in _specs(type(self)):
            value = getattr(self, spec.name)
            if value is None:
                if (not exclude_none and not spec.later) or spec.required_nullable:
                    out[spec.name] = None
                continue
            out[spec.name] = value if spec.codec is None else spec.codec.dump(value, mode, exclude_none)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON body for the wire: the `type` tag and every non-None field (plus required nullable ones).

        numpy arrays in TensorData are left in place; encode with
        ``orjson.dumps(d, option=orjson.OPT_SERIALIZE_NUMPY)``.
        """
        return self._dump(WIRE, True)

    @classmethod
    def from_dict(cls: type[_W], d: Mapping[str, Any]) -> _W:
        """Decode a JSON object: unknown keys ignored, missing optional keys and nulls take defaults.

        Raises `TinkexValidationError` naming the class and field when a required key is missing.
        """
        if isinstance(d, cls):
            return d
        if not isinstance(d, Mapping):
            raise TinkexValidationError(
                cls.__name__, f"expected a JSON object, got {type(d).__name__}", "pass a dict"
            )
        kwargs: dict[str, Any] = {}
        missing: list[str] = []
        for spec in _specs(cls):
            name = spec.name
            if name not in d:
                if spec.required_nullable:
                    kwargs[name] = None
                elif spec.required:
                    missing.append(name)
                continue
            value = d[name]
            if name == "type" and cls._TAG is not None:
                # Tolerant: a wrong or missing tag never fails the decode; keep the class's own.
                if value == cls._TAG:
                    kwargs[name] = value
                continue
            if value is None:
                if spec.null_means_default:
                    continue
            elif spec.codec is not None:
                try:
                    value = spec.codec.load(value)
                except TinkexValidationError as e:
                    if "." in e.field:
                        raise  # already names a nested class and field
                    raise TinkexValidationError(f"{cls.__name__}.{name}", e.problem, e.fix) from e
                except (ValueError, TypeError) as e:
                    raise TinkexValidationError(
                        f"{cls.__name__}.{name}", f"cannot decode {_clip(value)}: {e}", ""
                    ) from e
            kwargs[name] = value
        if missing:
            raise TinkexValidationError(
                f"{cls.__name__}.{missing[0]}",
                f"required key(s) {missing} missing from {sorted(d)}",
                "the server's reply does not match this SDK's types; check base_url and versions",
            )
        return cls(**kwargs)

    @classmethod
    def from_dict_strict(cls: type[_W], d: Mapping[str, Any]) -> _W:
        """`from_dict` that also rejects (ValueError) a `type` tag other than the class's own and an
        enum value the spec does not list.

        The generated operations decode with it, so a union answer (retrieve_future) never reads an
        unknown variant as a known one; `from_dict` stays tolerant for the public clients, which tell
        pending and failed answers apart before decoding.
        """
        if isinstance(d, Mapping):
            tag = d.get("type")
            if tag is not None and cls._TAG is not None and tag != cls._TAG:
                raise ValueError(f"{cls.__name__}.type must match const {cls._TAG!r}, got {tag!r}")
            for name, allowed in cls._ENUMS.items():
                value = d.get(name)
                if value is not None and value not in allowed:
                    raise ValueError(f"{cls.__name__}.{name} must be one of {sorted(allowed)}, got {value!r}")
        return cls.from_dict(d)

    @classmethod
    def _trusted(cls: type[_W], **values: Any) -> _W:
        """Build without conversions or checks, for values decoded from JSON that nobody else holds.

        Every field must be given, except those of a later generation (`_LATER`), which default to None.
        """
        obj = object.__new__(cls)
        for name in cls._LATER:
            object.__setattr__(obj, name, None)
        for name, value in values.items():
            object.__setattr__(obj, name, value)
        return obj

    # --- pydantic-compatible aliases ------------------------------------------------------------

    def model_dump(
        self, *, mode: str = "python", exclude_none: bool = False, **_ignored: Any
    ) -> dict[str, Any]:
        """Like pydantic's: every field (None too unless `exclude_none`); `mode="json"` gives JSON types.

        Example::

            >>> from tinkex.types import LoraConfig
            >>> LoraConfig(rank=8).model_dump()
            {'rank': 8, 'seed': None, 'train_unembed': True, 'train_mlp': True, 'train_attn': True}
        """
        return self._dump(JSON if mode == "json" else PYTHON, exclude_none)

    def model_dump_json(
        self, *, exclude_none: bool = False, indent: int | None = None, **_ignored: Any
    ) -> str:
        """The JSON text of `model_dump(mode="json")`.

        Example::

            >>> from tinkex.types import Cursor
            >>> Cursor(offset=0, limit=10, total_count=3).model_dump_json()
            '{"offset":0,"limit":10,"total_count":3}'
        """
        import orjson

        option = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(self._dump(JSON, exclude_none), option=option).decode()

    @classmethod
    def model_validate(cls: type[_W], obj: Mapping[str, Any], **_ignored: Any) -> _W:
        """Alias of `from_dict` for code written against pydantic models."""
        return cls.from_dict(obj)

    def model_copy(self: _W, *, update: Mapping[str, Any] | None = None, **_ignored: Any) -> _W:
        """A copy with `update` applied (`dataclasses.replace`)."""
        return cast(_W, dataclasses.replace(cast(Any, self), **(update or {})))

    # --- repr / equality / hash (generic, so that class creation stays cheap at import) -----------

    def __repr__(self) -> str:
        parts = []
        for spec in _specs(type(self)):
            value = getattr(self, spec.name)
            if value is None and spec.later:
                continue
            parts.append(f"{spec.name}={repr(value) if spec.repr is None else spec.repr(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __str__(self) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, s.name) == getattr(other, s.name) for s in _specs(type(self)))

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # Like pydantic's frozen models: fails (TypeError) when a field holds a list or dict.
        return hash((type(self), *(getattr(self, s.name) for s in _specs(type(self)))))


def _clip(value: Any, limit: int = 80) -> str:
    text = short_repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require_str(owner: str, name: str, value: Any, fix: str = "") -> None:
    if not isinstance(value, str):
        raise TinkexValidationError(f"{owner}.{name}", f"must be a str, got {type(value).__name__}", fix)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
