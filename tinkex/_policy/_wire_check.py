"""Wire-value checks of what the SDK is about to send: pure functions, no I/O, table-tested.

Run in the caller's thread before a training request takes its place in line (and so before it gets
a wire `seq_id`): a body the SDK could not encode, or that the server would only refuse later, fails
here with a `TinkexValidationError` naming the datum, the field and the fix. What is checked is the
value's wire form, not its meaning (loss-specific rules live elsewhere):

- integers fit their wire type (int64); token ids and int64 tensors hold integers only;
- floats are finite (NaN and +-inf have no JSON form: orjson would send `null`);
- text is a `str` that encodes to UTF-8 (no lone surrogates);
- containers have the right types; dicts a user passes where the official SDK coerces them
  (`AdamParams`, `SamplingParams`, `ModelInput`, `Datum`) are coerced, with unknown keys refused.

Cost: numpy arrays get vectorised dtype / range / `isfinite` checks (no per-element Python work);
Python lists get one C-level pass (`array('q', ...)` for integers, `sum()` for floats, whose result
is finite exactly when every term is, unless finite terms overflow; only then is the list walked).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from array import array
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from tinkex._exceptions import TinkexValidationError
from tinkex.types import (
    AdamParams,
    Datum,
    EncodedTextChunk,
    ImageAssetPointerChunk,
    ImageChunk,
    ModelInput,
    SamplingParams,
    TensorData,
)

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "check_adam_params",
    "check_datums",
    "check_finite_number",
    "check_float_values",
    "check_int",
    "check_int_values",
    "check_loss_fn_config",
    "check_model_input",
    "check_sampling_params",
    "check_tensor",
    "check_text",
    "check_user_metadata",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_T = TypeVar("_T")


def _fail(field: str, problem: str, fix: str) -> TinkexValidationError:
    return TinkexValidationError(field, problem, fix)


# -- scalars -------------------------------------------------------------------------------------------


def check_text(value: object, field: str, fix: str = "pass a str") -> str:
    """A `str` that encodes to UTF-8 (a lone surrogate such as '\\ud800' does not).

    >>> check_text("step-1", "save_state(name)")
    'step-1'
    >>> check_text("a\\ud800", "save_state(name)")
    Traceback (most recent call last):
    ...
    tinkex._exceptions.TinkexValidationError: save_state(name): is not valid UTF-8 text (lone surrogate at index 1); pass a str
    """
    if not isinstance(value, str):
        raise _fail(field, f"must be a str, got {type(value).__name__}", fix)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _fail(
                field, f"is not valid UTF-8 text (lone surrogate at index {exc.start})", fix
            ) from None
    return value


def check_int(value: object, field: str, *, lo: int = INT64_MIN, hi: int = INT64_MAX, fix: str = "") -> int:
    """An int (not a bool) in [lo, hi] (int64 by default)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(field, f"must be an int, got {type(value).__name__}", fix or "pass an int")
    if not lo <= value <= hi:
        raise _fail(field, f"{value} is out of range [{lo}, {hi}]", fix or f"pass an int in [{lo}, {hi}]")
    return value


def check_finite_number(value: object, field: str, fix: str = "") -> float:
    """An int or float (not a bool) that is finite."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _fail(field, f"must be a number, got {type(value).__name__}", fix or "pass a float")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(field, f"must be finite, got {value!r}", fix or "pass a finite float")
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise _fail(field, f"{value} is too large for the wire", fix or "pass a float")
    return value


# -- flat number sequences ---------------------------------------------------------------------------


def _numpy_array(values: object) -> Any:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(values, np.ndarray):
        return values
    return None


def check_int_values(
    values: object, field: str, *, lo: int = INT64_MIN, memo: dict[int, array[int]] | None = None
) -> None:
    """Every value an integer in [lo, INT64_MAX]: a numpy array by dtype (and min/max for uint64 or
    lo > INT64_MIN), a list or tuple by one `array('q', ...)` pass. With `memo`, a list's packed
    int64 array is kept under `id(values)`, so a binary encoder reuses it instead of a second pass
    (the caller keeps `values` alive while it uses the memo)."""
    arr = _numpy_array(values)
    if arr is not None:
        kind = arr.dtype.kind
        if kind not in "iu":
            raise _fail(
                field, f"holds numpy dtype {arr.dtype}, not integers", "convert with .astype(np.int64)"
            )
        if arr.size and (lo > INT64_MIN or (kind == "u" and arr.dtype.itemsize == 8)):
            low, high = int(arr.min()), int(arr.max())
            if low < lo or high > INT64_MAX:
                bad = low if low < lo else high
                raise _fail(field, f"holds {bad}, outside [{lo}, {INT64_MAX}]", "pass int64 values")
        return
    if not isinstance(values, list | tuple):
        raise _fail(field, f"must be a list of ints, got {type(values).__name__}", "pass a list of ints")
    try:
        packed = array("q", values)  # one C pass: every value an int within int64
    except (TypeError, OverflowError):
        packed = None
    if packed is not None and (lo == INT64_MIN or not packed or _min(packed) >= lo):
        if memo is not None:
            memo[id(values)] = packed
        return
    for i, v in enumerate(values):  # the slow walk runs only to name the culprit
        if not isinstance(v, int) or isinstance(v, bool):
            raise _fail(f"{field}[{i}]", f"must be an int, got {type(v).__name__} {v!r}", "pass integer ids")
        if not lo <= v <= INT64_MAX:
            raise _fail(f"{field}[{i}]", f"{v} is outside [{lo}, {INT64_MAX}]", "pass int64 values")
    raise AssertionError("unreachable")  # pragma: no cover


def _min(packed: array[int]) -> int:
    # numpy reads the array's buffer in place (microseconds); min() would box every value.
    np = sys.modules.get("numpy")
    if np is not None:
        return int(np.frombuffer(packed, dtype=np.int64).min())
    return min(packed)


def check_float_values(values: object, field: str) -> None:
    """Every value a finite number: numpy arrays by dtype and `isfinite`, lists by `sum()`."""
    arr = _numpy_array(values)
    if arr is not None:
        kind = arr.dtype.kind
        if kind in "iu":
            return
        if kind != "f":
            raise _fail(
                field, f"holds numpy dtype {arr.dtype}, not numbers", "convert with .astype(np.float32)"
            )
        np = sys.modules["numpy"]
        finite = np.isfinite(arr)
        if not finite.all():
            i = int(np.argmin(finite))
            raise _fail(f"{field}[{i}]", f"must be finite, got {arr.reshape(-1)[i]!r}", _NAN_FIX)
        return
    if not isinstance(values, list | tuple):
        raise _fail(field, f"must be a list of numbers, got {type(values).__name__}", "pass a list of floats")
    try:
        total = sum(values)
        ok = isinstance(total, int | float) and not isinstance(total, bool) and math.isfinite(total)
    except (TypeError, OverflowError):
        ok = False
    if ok:
        # A bool anywhere would have summed fine; they are rare enough to look for only by type.
        return
    for i, v in enumerate(values):
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise _fail(f"{field}[{i}]", f"must be a number, got {type(v).__name__} {v!r}", "pass floats")
        if isinstance(v, float) and not math.isfinite(v):
            raise _fail(f"{field}[{i}]", f"must be finite, got {v!r}", _NAN_FIX)
        if isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX:
            raise _fail(f"{field}[{i}]", f"{v} is too large for the wire", "pass floats")
    # Finite values whose sum overflowed: every one is valid.


_NAN_FIX = "replace NaN / inf before sending (e.g. np.nan_to_num), and check the computation that made it"


def check_tensor(td: object, field: str, memo: dict[int, array[int]] | None = None) -> TensorData:
    """A TensorData whose values fit its dtype, and whose shape matches its length."""
    if not isinstance(td, TensorData):
        raise _fail(
            field, f"must be a TensorData, got {type(td).__name__}", "pass TensorData / numpy / torch"
        )
    if td.dtype == "int64":
        check_int_values(td.data, f"{field}.data", memo=memo)
    else:
        check_float_values(td.data, f"{field}.data")
    if td.shape is not None:
        n = 1
        for i, dim in enumerate(td.shape):
            check_int(dim, f"{field}.shape[{i}]", lo=0, fix="pass a list of non-negative ints")
            n *= dim
        if n != len(td.data):
            raise _fail(
                f"{field}.shape",
                f"{td.shape} holds {n} values but data has {len(td.data)}",
                "pass shape=None for flat data, or the array's real shape",
            )
    return td


# -- composite values -----------------------------------------------------------------------------------


def _coerce(cls: type[_T], value: object, field: str, fix: str) -> _T:
    """`value` as `cls`; a dict is turned into one (as the official pydantic models do), unknown keys refused."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = [k for k in value if k not in known]
        if unknown:
            raise _fail(field, f"unknown key {unknown[0]!r} for {cls.__name__}", f"use {sorted(known)}")
        try:
            return cls.from_dict(value)  # type: ignore[attr-defined,no-any-return]
        except TinkexValidationError:
            raise
        except (TypeError, ValueError) as exc:
            raise _fail(field, f"is not a valid {cls.__name__}: {exc}", fix) from None
    raise _fail(field, f"must be {cls.__name__} (or a dict of its fields), got {type(value).__name__}", fix)


def check_model_input(value: object, field: str, memo: dict[int, array[int]] | None = None) -> ModelInput:
    """A ModelInput (a dict is coerced): token ids non-negative int64, image data bytes, text valid."""
    mi = _coerce(ModelInput, value, field, "build it with ModelInput.from_ints(token_ids)")
    for j, chunk in enumerate(mi.chunks):
        where = f"{field}.chunks[{j}]"
        if isinstance(chunk, EncodedTextChunk):
            check_int_values(chunk.tokens, f"{where}.tokens", lo=0, memo=memo)
        elif isinstance(chunk, ImageChunk):
            if chunk.expected_tokens is not None:
                check_int(chunk.expected_tokens, f"{where}.expected_tokens", lo=0)
        elif isinstance(chunk, ImageAssetPointerChunk):
            check_text(chunk.location, f"{where}.location", "pass the image's path or URL as a str")
            if chunk.expected_tokens is not None:
                check_int(chunk.expected_tokens, f"{where}.expected_tokens", lo=0)
        else:
            raise _fail(
                where, f"unsupported chunk type {type(chunk).__name__}", "use EncodedTextChunk / ImageChunk"
            )
    return mi


def check_datums(data: object, field: str = "data", memo: dict[int, array[int]] | None = None) -> list[Datum]:
    """The datums of a forward / forward_backward call (dicts coerced to Datum), every value checked
    (`memo`: see `check_int_values`)."""
    if isinstance(data, Datum | Mapping | str | bytes) or not isinstance(data, Iterable):
        raise _fail(field, f"must be a list of Datum, got {type(data).__name__}", "pass [Datum(...), ...]")
    out: list[Datum] = []
    for i, d in enumerate(list(data)):  # any iterable, as before; a generator is read once
        where = f"{field}[{i}]"
        datum = _coerce(Datum, d, where, "pass Datum(model_input=..., loss_fn_inputs={...})")
        check_model_input(datum.model_input, f"{where}.model_input", memo)
        for key, td in datum.loss_fn_inputs.items():
            check_text(key, f"{where}.loss_fn_inputs key", "name loss inputs with str keys")
            check_tensor(td, f"{where}.loss_fn_inputs[{key!r}]", memo)
        out.append(datum)
    return out


def check_loss_fn_config(config: object, field: str = "loss_fn_config") -> dict[str, float | str] | None:
    """None, or a dict of str -> finite number or text (tinker 0.38 takes string values)."""
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise _fail(
            field,
            f"must be a dict of str -> float, got {type(config).__name__}",
            "pass e.g. {'clip_low_threshold': 0.8}",
        )
    out: dict[str, float | str] = {}
    for key, value in config.items():
        check_text(key, f"{field} key", "use str keys")
        if isinstance(value, str):
            out[key] = check_text(value, f"{field}[{key!r}]", "pass plain text")
            continue
        # A bool becomes 1.0 / 0.0 as in the official SDK (JSON `true` is not a number to the server).
        out[key] = (
            float(value) if isinstance(value, bool) else check_finite_number(value, f"{field}[{key!r}]")
        )
    return out


def check_adam_params(value: object, field: str = "adam_params") -> AdamParams:
    """An AdamParams (a dict is coerced, as officially) whose numbers are all finite."""
    params = _coerce(AdamParams, value, field, "pass AdamParams(learning_rate=1e-4)")
    for a in dataclasses.fields(AdamParams):
        check_finite_number(getattr(params, a.name), f"{field}.{a.name}")
    return params


def check_sampling_params(value: object, field: str = "sampling_params") -> SamplingParams:
    """A SamplingParams (a dict is coerced, as officially): ints in range, finite floats, valid stop text."""
    params = _coerce(SamplingParams, value, field, "pass SamplingParams(max_tokens=16)")
    if params.max_tokens is not None:
        check_int(params.max_tokens, f"{field}.max_tokens", lo=1)
    if params.seed is not None:
        check_int(params.seed, f"{field}.seed")
    check_int(params.top_k, f"{field}.top_k")
    check_finite_number(params.temperature, f"{field}.temperature")
    check_finite_number(params.top_p, f"{field}.top_p")
    stop = params.stop
    if isinstance(stop, str):
        check_text(stop, f"{field}.stop")
    elif stop is not None:
        for i, s in enumerate(stop):
            if isinstance(s, str):
                check_text(s, f"{field}.stop[{i}]")
            else:
                check_int(s, f"{field}.stop[{i}]", lo=0, fix="pass stop strings or token ids")
    return params


def check_user_metadata(value: object, field: str = "user_metadata") -> dict[str, str] | None:
    """None or a dict of str -> str (the official type; other values are refused, not stringified)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(
            field, f"must be a dict of str -> str, got {type(value).__name__}", "pass e.g. {'team': 'rl'}"
        )
    for key, v in value.items():
        check_text(key, f"{field} key {key!r}", "use str keys")
        check_text(v, f"{field}[{key!r}]", f"pass a str value, e.g. str(...) of it, not {type(v).__name__}")
    return dict(value)
