"""Request and response validation against `openapi/tinker.yaml` (plain JSON Schema in an OpenAPI 3.1
document), and the shape of validation errors.

Status decision: 400 when the body cannot be validated at all (not JSON, not an object) or breaks a
rule the schema cannot express (unknown base model, bad tinker:// path, ...); 422 when it is JSON that
does not match the operation's schema (FastAPI's convention, which the spec's `UnprocessableEntity`
response and the official SDK's docstrings follow). Both are answered before anything is written.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

# No stubs for these two in the venv (types-jsonschema / types-PyYAML are not dependencies).
import jsonschema  # type: ignore[import-untyped]
import orjson
import yaml  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

from tinkex_server._schema_check import Predicate, Unsupported, compile_schema, is_date_time

__all__ = ["Problem", "SpecValidator", "compact_numbers", "dedupe_dicts", "find_spec", "format_problems"]

log = logging.getLogger("tinkex_server")

# The formats the server asserts (jsonschema checks none by default): `date-time`, with the same test
# the compiled predicates use, so both say the same.
_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date-time")(is_date_time)

# How many problems one 422 lists: enough to fix a body in one go, short enough to read.
_MAX_PROBLEMS = 5


def find_spec() -> Path | None:
    """The spec: the repository copy when running from a checkout, else the copy packaged in the wheel.

    Example::

        find_spec()  # -> Path(".../openapi/tinker.yaml")
    """
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "openapi" / "tinker.yaml", here.parent / "tinker.yaml"):
        if candidate.is_file():
            return candidate
    return None


Problem = dict[str, Any]

# Lists longer than this that hold only numbers are validated by representatives (see compact_numbers).
_COMPACT_MIN_LEN = 4


def compact_numbers(value: Any) -> Any:
    """A copy of `value` in which every long all-number list becomes one canonical representative per
    number type present (`0` for ints, `0.5` for floats).

    Why: jsonschema checks element by element (~30 µs per token: 4 s for a 128 x 1000-token batch);
    the request schemas constrain only the element *type* of such lists (`tokens` integers, `data`
    numbers; no item bounds, no length bounds), so the representatives get the same verdict. Canonical
    values also make equally-shaped datums identical, which `dedupe_dicts` exploits. Lists holding
    anything else are kept whole, so a problem's pointer still names the field.

    Example::

        compact_numbers({"tokens": [1, 2, 3, 4, 5.5]})  # -> {"tokens": [0, 0.5]}
    """
    if isinstance(value, dict):
        return {k: compact_numbers(v) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    if len(value) > _COMPACT_MIN_LEN:
        types = set(map(type, value))  # exact types: bool (a subclass of int) is not a number here
        if types <= {int, float}:
            has_int, has_fraction = int in types, False
            if float in types:
                floats = value if types == {float} else [v for v in value if type(v) is float]
                # JSON Schema counts an integral float (3.0) as an integer; keep that verdict.
                integral = set(map(float.is_integer, floats))
                has_int, has_fraction = has_int or True in integral, False in integral
            # 0.5, not 0.0, stands for fractions: 0.0 would itself count as an integer.
            return [0] * has_int + [0.5] * has_fraction
    return [compact_numbers(v) for v in value]


Remap = dict[tuple[Any, ...], list[int]]


def dedupe_dicts(value: Any, path: tuple[Any, ...] = (), remap: Remap | None = None) -> tuple[Any, Remap]:
    """Drop repeated objects from lists of objects (after `compact_numbers`, a batch of equally shaped
    datums is one object repeated); `remap[path][i]` is the original index of kept item `i`.

    Example::

        dedupe_dicts({"data": [{"a": 1}, {"a": 1}, {"a": 2}]})  # -> ({"data": [{"a": 1}, {"a": 2}]}, {("data",): [0, 2]})
    """
    remap = {} if remap is None else remap
    if isinstance(value, dict):
        return {k: dedupe_dicts(v, (*path, k), remap)[0] for k, v in value.items()}, remap
    if not isinstance(value, list):
        return value, remap
    if len(value) > 1 and all(isinstance(v, dict) for v in value):
        seen: dict[bytes, int] = {}
        for i, v in enumerate(value):
            seen.setdefault(orjson.dumps(v, option=orjson.OPT_SORT_KEYS), i)
        if len(seen) < len(value):
            kept = sorted(seen.values())
            remap[path] = kept
            value = [value[i] for i in kept]
    return [dedupe_dicts(v, (*path, i), remap)[0] for i, v in enumerate(value)], remap


def _restore_indices(loc: list[Any], remap: Remap) -> list[Any]:
    """Map a problem location in the deduplicated body back to the original body."""
    out: list[Any] = []
    for part in loc:
        kept = remap.get(tuple(out))
        out.append(kept[part] if kept is not None and isinstance(part, int) and part < len(kept) else part)
    return out


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime_ns: int) -> SpecValidator:
    # Parsing the 2,000-line YAML costs ~0.3 s; servers in one process (tests) share the result.
    with path.open(encoding="utf-8") as f:
        return SpecValidator(yaml.safe_load(f))


def _at(path: list[Any], message: str) -> Problem:
    pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else ""
    return {"loc": ["body", *path], "pointer": pointer or "/", "msg": f"{pointer or '(body)'}: {message}"}


def _problem(err: ValidationError) -> Problem:
    path: list[Any] = list(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, Mapping):
        # Name the unexpected key itself, not the object that holds it.
        known = set((err.schema or {}).get("properties") or {})
        extra = sorted(str(k) for k in err.instance if k not in known)
        if extra:
            path.append(extra[0])
    return {**_at(path, err.message), "type": str(err.validator)}


def format_problems(errors: list[ValidationError]) -> list[Problem]:
    """The most relevant problems first, each naming its field as `loc` and as a JSON pointer.

    Example::

        format_problems(errs)[0]["pointer"]  # -> "/forward_backward_input/loss_fn"
    """
    if not errors:
        return []
    first = best_match(errors)
    rest = [e for e in errors if e is not first]
    rest.sort(key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    assert first is not None
    return [_problem(e) for e in [first, *rest][:_MAX_PROBLEMS]]


class SpecValidator:
    """Validators per operation, compiled lazily from the spec's component schemas.

    Example::

        v = SpecValidator.load(find_spec())
        v.check_request("POST", "/api/v1/create_session", {"tags": []})  # -> [problem naming /user_metadata]
    """

    def __init__(self, spec: Mapping[str, Any] | None) -> None:
        self._spec: Mapping[str, Any] = spec or {}
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        # operationId -> compiled "is it valid?" predicate of its request body (None: no body schema,
        # or one the compiler does not support); filled on first use.
        self._predicates: dict[str, Predicate | None] = {}
        self._routes: list[tuple[re.Pattern[str], str, Mapping[str, Any]]] = []
        for template, item in (self._spec.get("paths") or {}).items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method, op in item.items():
                if isinstance(op, Mapping) and "operationId" in op:
                    self._routes.append((re.compile(regex), method.upper(), op))
        # Literal paths before templated ones, so /checkpoints/x/y/publish never matches a shorter one.
        self._routes.sort(key=lambda r: r[0].pattern.count("[^/]+"))

    @classmethod
    def load(cls, path: Path | None) -> SpecValidator:
        """Load the spec; a missing file gives a validator that accepts everything (logged once)."""
        if path is None or not path.is_file():
            log.warning("openapi/tinker.yaml not found: request validation is OFF")
            return cls(None)
        return _load_cached(path, path.stat().st_mtime_ns)

    @property
    def enabled(self) -> bool:
        return bool(self._spec)

    @cached_property
    def later_fields(self) -> dict[str, tuple[str, ...]]:
        """operationId -> the request fields a later protocol generation added (`x-tinker-since` on a
        property of a 0.7.0 operation's JSON body). The server takes them out of the body before the
        0.7.0 schema check and hands them to the handler (`body["_later"]`)."""
        schemas = self._spec.get("components", {}).get("schemas", {})
        out: dict[str, tuple[str, ...]] = {}
        for item in (self._spec.get("paths") or {}).values():
            for op in item.values():
                if not isinstance(op, Mapping) or "operationId" not in op or "x-tinker-since" in op:
                    continue
                content = (op.get("requestBody") or {}).get("content") or {}
                ref = ((content.get("application/json") or {}).get("schema") or {}).get("$ref", "")
                schema = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
                props = (schema or {}).get("properties") or {}
                fields = tuple(
                    k for k, v in props.items() if isinstance(v, Mapping) and "x-tinker-since" in v
                )
                if fields:
                    out[str(op["operationId"])] = fields
        return out

    def later_operations(self) -> list[tuple[str, str, str, bool]]:
        """(operationId, METHOD, path, has a request body) of the operations only a later protocol
        generation sends (`x-tinker-since`): the generated operation table holds the 0.7.0 view."""
        out = []
        for path, item in (self._spec.get("paths") or {}).items():
            for method, op in item.items():
                if isinstance(op, Mapping) and "x-tinker-since" in op and "operationId" in op:
                    out.append((str(op["operationId"]), method.upper(), str(path), "requestBody" in op))
        return sorted(out)

    @cached_property
    def _components(self) -> Mapping[str, Any]:
        return {"components": self._spec.get("components", {})}

    def validator_for(self, schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
        """A validator for a schema fragment whose `$ref`s point into the spec's components."""
        key = repr(sorted(schema.items()))
        v = self._validators.get(key)
        if v is None:
            v = jsonschema.Draft202012Validator({**schema, **self._components}, format_checker=_FORMATS)
            self._validators[key] = v
        return v

    def operation(self, method: str, path: str) -> Mapping[str, Any] | None:
        """The spec operation serving `method path` (a concrete request path), or None."""
        for regex, m, op in self._routes:
            if m == method.upper() and regex.match(path):
                return op
        return None

    def operation_by_id(self, operation_id: str) -> Mapping[str, Any] | None:
        for _regex, _m, op in self._routes:
            if op.get("operationId") == operation_id:
                return op
        return None

    @property
    def operation_ids(self) -> list[str]:
        return sorted(str(op["operationId"]) for _r, _m, op in self._routes)

    def check_request(self, method: str, path: str, body: Any) -> list[Problem]:
        """Problems of a request body (empty list = valid, or no spec / no body schema)."""
        op = self.operation(method, path)
        return [] if op is None else self.check_body(str(op["operationId"]), body)

    def check_body(self, operation_id: str, body: Any) -> list[Problem]:
        """Problems of the request body of `operation_id` (empty list = valid, or no body schema).

        A compiled predicate recognises valid bodies (microseconds; see `_schema_check`); only a body it
        rejects is walked by jsonschema, which names the problems.
        """
        if operation_id not in self._predicates:
            self._predicates[operation_id] = self._compile(operation_id)
        predicate = self._predicates[operation_id]
        if predicate is not None and predicate(body):
            return []
        schema = self._body_schema(operation_id)
        if schema is None:
            return []
        return self._problems(schema, body)

    def _body_schema(self, operation_id: str) -> Mapping[str, Any] | None:
        op = self.operation_by_id(operation_id)
        if op is None:
            return None
        content = ((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        schema: Mapping[str, Any] | None = content.get("schema")
        return schema

    def _compile(self, operation_id: str) -> Predicate | None:
        schema = self._body_schema(operation_id)
        if schema is None:
            return None
        try:
            return compile_schema(schema, self._components)
        except Unsupported as e:
            log.info("request schema of %s not compiled (%s): validated by jsonschema only", operation_id, e)
            return None

    def _problems(self, schema: Mapping[str, Any], body: Any) -> list[Problem]:
        compact, remap = dedupe_dicts(compact_numbers(body))
        problems = format_problems(list(self.validator_for(schema).iter_errors(compact)))
        for p in problems:
            if remap:
                p.update(_at(_restore_indices(p["loc"][1:], remap), p["msg"].split(": ", 1)[-1]))
        return problems

    def response_schema(self, operation_id: str, status: int) -> Mapping[str, Any] | None:
        """The JSON schema of a response (exact status, then `4XX`/`5XX`), or None when bodiless."""
        op = self.operation_by_id(operation_id)
        if op is None:
            return None
        responses = op.get("responses") or {}
        resp = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if resp is None:
            return None
        if "$ref" in resp:
            name = resp["$ref"].rsplit("/", 1)[-1]
            resp = self._spec["components"]["responses"][name]
        content = (resp.get("content") or {}).get("application/json")
        return None if content is None else content.get("schema")

    def check_response(self, operation_id: str, status: int, body: Any) -> list[Problem]:
        """Problems of a response body against the spec (a test helper; the server trusts itself)."""
        schema = self.response_schema(operation_id, status)
        if schema is None:
            return []
        return format_problems(list(self.validator_for(schema).iter_errors(body)))
