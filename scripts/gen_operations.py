"""Render the operation table of openapi/tinker.yaml as Python (run by scripts/gen.py, never alone).

openapi-python-client generates one module per endpoint (httpx request + response parsing); the
runtime needs the facts behind them in one cheap, import-light table instead: method, path template
and its parameters, query parameters, body and response schemas, whether the answer is a future,
idempotency, retry class, connection pool and content types. This module writes two files into the
generated package:

* `operations.py`: one frozen `Operation` per operationId (module attributes named by it) and
  `OPERATIONS` (operationId -> Operation, in spec order); imports nothing outside the stdlib.
* `lowlevel.py`: `LowLevelOperations`, one typed method per operation (`<id>` and `<id>_async`),
  whose I/O is left to a subclass (tinkex's `ServiceClient.lowlevel`).

What OpenAPI has no word for comes from operation-level `x-tinkex-*` extensions (see EXTENSIONS).
The output depends only on the spec: same spec, same bytes.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

# Extensions read here, with their default when an operation does not set them.
EXTENSIONS = {
    # Which connection pool (tinkex PoolSizes field) carries the operation.
    "x-tinkex-pool": "training",
    # How the runtime's retry policy treats the operation: "standard" (connection errors, 408, 429 and
    # 5xx retried), "conflict" (also 409: the server deduplicates the request, so a 409 means "the same
    # request is still in flight"), "none" (sent once: a loop of the SDK owns its retries).
    "x-tinkex-retry": "standard",
    # For future-returning operations: the X-Tinker-Request-Type value of its retrieve_future polls,
    # and the schema of the polled result.
    "x-tinkex-future-request-type": None,
    "x-tinkex-future-result": None,
}
# On a path parameter: characters sent unescaped in that segment (run ids contain ':').
PARAM_UNESCAPED = "x-tinkex-unescaped"

POOLS = ("session", "training", "sampling", "futures", "telemetry")
RETRY_CLASSES = ("standard", "conflict", "none")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Names the generated modules define themselves; an operationId may not take them.
RESERVED = {"Operation", "OPERATIONS", "EmptyResponse", "Pool", "RetryClass", "annotations"}
IDEMPOTENCY_HEADER = "x-idempotency-key"
_SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}


class SpecError(Exception):
    """The spec cannot be rendered; the message names the operation and the fix."""


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise SpecError(f"only local $refs are supported, got {ref!r}")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _schema_name(node: Any) -> str | None:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref.startswith("#/components/schemas/"):
            return str(ref.rsplit("/", 1)[1])
    return None


def _class_name(schema_name: str) -> str:
    # openapi-python-client's class name for a component schema: PascalCase of its words.
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\W|$)|[A-Z]?[a-z]+|[A-Z]+|\d+", schema_name)
    return "".join(w[:1].upper() + w[1:] for w in words) if words else schema_name


def _model_class(spec: Mapping[str, Any], schema_name: str | None) -> str | None:
    """The generated model class of a component schema, or None when the generator emits none for it
    (a union, an array or a scalar: such bodies travel as plain JSON)."""
    if schema_name is None:
        return None
    schema = spec["components"]["schemas"][schema_name]
    if any(k in schema for k in ("anyOf", "oneOf", "allOf", "enum", "const")):
        return None
    if schema.get("type", "object") != "object":
        return None
    return _class_name(schema_name)


def _json_content(spec: Mapping[str, Any], node: Any) -> tuple[str | None, str | None]:
    """(content type, schema name) of a request body or response; (None, None) without content."""
    node = _resolve(spec, node)
    content = node.get("content") if isinstance(node, Mapping) else None
    if not content:
        return None, None
    ctype = sorted(content)[0]
    return str(ctype), _schema_name(content[ctype].get("schema"))


def collect(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every operation of the spec as a plain dict of facts, in spec order."""
    ops: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path, item in (spec.get("paths") or {}).items():
        shared = list(item.get("parameters") or [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            op_id = op.get("operationId")
            where = f"{method.upper()} {path}"
            if not isinstance(op_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", op_id):
                raise SpecError(f"{where}: operationId must be snake_case (a Python name), got {op_id!r}")
            if keyword.iskeyword(op_id) or op_id in RESERVED or op_id in seen:
                raise SpecError(f"{where}: operationId {op_id!r} is reserved or used twice; rename it")
            seen.add(op_id)
            path_params: list[tuple[str, str]] = []
            query: list[tuple[str, str, bool]] = []
            headers: list[str] = []
            for raw in [*shared, *(op.get("parameters") or [])]:
                param = _resolve(spec, raw)
                name, where_in = str(param["name"]), param["in"]
                if where_in == "path":
                    path_params.append((name, str(param.get(PARAM_UNESCAPED, ""))))
                elif where_in == "query":
                    schema = _resolve(spec, param.get("schema") or {})
                    py = _SCALARS.get(str(schema.get("type")), "str")
                    query.append((name, py, bool(param.get("required"))))
                elif where_in == "header":
                    headers.append(name)
            in_template = re.findall(r"{([^}]+)}", path)
            if sorted(in_template) != sorted(n for n, _ in path_params):
                raise SpecError(f"{where}: path template {in_template} and path parameters differ")
            path_params.sort(key=lambda p: in_template.index(p[0]))
            body = op.get("requestBody")
            req_ctype, req_schema = _json_content(spec, body) if body else (None, None)
            if body and req_ctype and req_schema is None:
                raise SpecError(f"{where}: the request body schema must be a $ref to components/schemas")
            success = sorted(
                (str(code), resp)
                for code, resp in (op.get("responses") or {}).items()
                if str(code)[0] in "23"
            )
            if not success:
                raise SpecError(f"{where}: no 2xx or 3xx response declared")
            statuses = tuple(int(code) for code, _ in success if code.isdigit())
            resp_ctype, resp_schema = _json_content(spec, success[0][1])
            returns_future = any(
                isinstance(resp, Mapping) and resp.get("$ref") == "#/components/responses/Future"
                for _code, resp in success
            )
            facts = {name: op.get(name, default) for name, default in EXTENSIONS.items()}
            if facts["x-tinkex-pool"] not in POOLS:
                raise SpecError(f"{where}: x-tinkex-pool must be one of {POOLS}")
            if facts["x-tinkex-retry"] not in RETRY_CLASSES:
                raise SpecError(f"{where}: x-tinkex-retry must be one of {RETRY_CLASSES}")
            ops.append(
                {
                    "operation_id": op_id,
                    "method": method.upper(),
                    "path": str(path),
                    "path_params": tuple(path_params),
                    "query_params": tuple(query),
                    "header_params": tuple(headers),
                    "request_type": req_schema,
                    "request_required": bool(body and _resolve(spec, body).get("required")),
                    "request_content_type": req_ctype,
                    "response_type": resp_schema,
                    "request_model": _model_class(spec, req_schema),
                    "response_model": _model_class(spec, resp_schema),
                    "response_content_type": resp_ctype,
                    "success_statuses": statuses,
                    "returns_future": returns_future,
                    "future_request_type": facts["x-tinkex-future-request-type"],
                    "future_result_type": facts["x-tinkex-future-result"],
                    "idempotency_key": any(h.lower() == IDEMPOTENCY_HEADER for h in headers),
                    "retry": facts["x-tinkex-retry"],
                    "pool": facts["x-tinkex-pool"],
                    "since": str(op.get("x-tinker-since") or "0.7"),
                    "tag": (op.get("tags") or [None])[0],
                    "summary": " ".join(str(op.get("summary") or "").split()),
                }
            )
    return ops


_OPERATIONS_HEAD = '''"""Every operation of openapi/tinker.yaml as a frozen descriptor: the runtime's one table of wire facts.

Generated by scripts/gen.py from the spec (`make gen`); never edit by hand. Stdlib only, so the SDK
can import it on its hot paths. Module attributes are named by operationId.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal
from urllib.parse import quote

__all__ = ["OPERATIONS", "EmptyResponse", "Operation", "Pool", "RetryClass"]

Pool = Literal["session", "training", "sampling", "futures", "telemetry"]
RetryClass = Literal["standard", "conflict", "none"]


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """What the runtime needs to send one operation and read its answer."""

    operation_id: str
    method: str
    path: str
    """Path template under the base URL, e.g. `/api/v1/sessions/{session_id}`."""
    path_params: tuple[str, ...]
    path_unescaped: tuple[str, ...]
    """Per path parameter, the characters sent unescaped (x-tinkex-unescaped)."""
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    request_type: str | None
    """Component schema of the JSON body (None: no body)."""
    request_model: str | None
    """Class in the generated `models` for that body (None: a union or none; sent as given)."""
    request_content_type: str | None
    response_type: str | None
    """Component schema of the 2xx JSON answer (UntypedAPIFuture when `returns_future`)."""
    response_model: str | None
    """Class in the generated `models` parsing that answer (None: a union or no JSON; kept as JSON)."""
    response_content_type: str | None
    success_statuses: tuple[int, ...]
    returns_future: bool
    """Answers with an UntypedAPIFuture whose result is polled with retrieve_future."""
    future_request_type: str | None
    """X-Tinker-Request-Type of the polls of its future (x-tinkex-future-request-type)."""
    future_result_type: str | None
    """Component schema of the polled result (x-tinkex-future-result)."""
    idempotency_key: bool
    """Declares X-Idempotency-Key: one key per logical call, the same on every retry."""
    retry: RetryClass
    """standard | conflict (409 retried too: the server deduplicates) | none (sent once)."""
    pool: Pool
    """The connection pool (tinkex PoolSizes field) that carries it."""
    since: str = "0.7"
    """The oldest protocol generation that has it (x-tinker-since): "0.7" or "0.38". The runtime
    refuses a "0.38" operation on a connection speaking "0.7" before sending it."""

    def build_path(self, params: Mapping[str, Any]) -> str:
        """The path with its parameters filled in and percent-escaped.

        >>> get_session.build_path({"session_id": "s:1"})
        '/api/v1/sessions/s:1'
        """
        if not self.path_params:
            return self.path
        values: dict[str, str] = {}
        for name, safe in zip(self.path_params, self.path_unescaped, strict=True):
            value = params.get(name)
            if value is None or value == "":
                raise TypeError(f"{self.operation_id}: path parameter {name!r} is missing or empty")
            values[name] = quote(str(value), safe=safe)
        return self.path.format_map(values)


@dataclasses.dataclass(frozen=True, slots=True)
class EmptyResponse:
    """The answer of an operation without a JSON body (204, or a redirect: read `headers`)."""

    status: int
    headers: Mapping[str, str]

'''


def _lit(value: Any) -> str:
    return repr(value)


def render_operations(ops: list[dict[str, Any]]) -> str:
    out = [_OPERATIONS_HEAD]
    for op in ops:
        names = tuple(n for n, _ in op["path_params"])
        unescaped = tuple(s for _, s in op["path_params"])
        out.append(
            f"{op['operation_id']}: Final = Operation(\n"
            f"    operation_id={_lit(op['operation_id'])},\n"
            f"    method={_lit(op['method'])},\n"
            f"    path={_lit(op['path'])},\n"
            f"    path_params={_lit(names)},\n"
            f"    path_unescaped={_lit(unescaped)},\n"
            f"    query_params={_lit(tuple(q[0] for q in op['query_params']))},\n"
            f"    header_params={_lit(op['header_params'])},\n"
            f"    request_type={_lit(op['request_type'])},\n"
            f"    request_model={_lit(op['request_model'])},\n"
            f"    request_content_type={_lit(op['request_content_type'])},\n"
            f"    response_type={_lit(op['response_type'])},\n"
            f"    response_model={_lit(op['response_model'])},\n"
            f"    response_content_type={_lit(op['response_content_type'])},\n"
            f"    success_statuses={_lit(op['success_statuses'])},\n"
            f"    returns_future={_lit(op['returns_future'])},\n"
            f"    future_request_type={_lit(op['future_request_type'])},\n"
            f"    future_result_type={_lit(op['future_result_type'])},\n"
            f"    idempotency_key={_lit(op['idempotency_key'])},\n"
            f"    retry={_lit(op['retry'])},\n"
            f"    pool={_lit(op['pool'])},\n"
            f"    since={_lit(op['since'])},\n"
            ")\n"
            f'"""{op["method"]} {op["path"]}: {op["summary"].replace(chr(34) * 3, "")}"""\n\n'
        )
    out.append("OPERATIONS: Final[Mapping[str, Operation]] = MappingProxyType(\n    {\n")
    out.extend(f"        {_lit(op['operation_id'])}: {op['operation_id']},\n" for op in ops)
    out.append("    }\n)\n")
    out.append('"""operationId -> Operation, in the order of the spec."""\n')
    return "".join(out)


_LOWLEVEL_HEAD = '''"""One typed method per operation of openapi/tinker.yaml: `<operationId>` and `<operationId>_async`.

Generated by scripts/gen.py from the spec (`make gen`); never edit by hand. The I/O is a subclass's
(`_invoke` / `_invoke_async`): tinkex sends through its runtime (auth, retry policy, pooled transport,
error mapping, events, spans) and parses the answer into the response model named here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from . import operations as _ops
from .operations import EmptyResponse

if TYPE_CHECKING:
'''


def render_lowlevel(ops: list[dict[str, Any]]) -> str:
    models = sorted({t for op in ops for t in (op["request_model"], op["response_model"]) if t is not None})
    out = [_LOWLEVEL_HEAD]
    if models:
        out.append("    from .models import (\n")
        out.extend(f"        {name},\n" for name in models)
        out.append("    )\n")
    else:
        out.append("    pass\n")
    out.append(
        '\n__all__ = ["LowLevelOperations"]\n\n\n'
        "class LowLevelOperations:\n"
        '    """Every operation of the spec as a method; see tinkex `ServiceClient.lowlevel`."""\n\n'
        "    __slots__ = ()\n\n"
        "    def _invoke(self, op: _ops.Operation, body: Any, params: dict[str, Any]) -> Any:\n"
        "        raise NotImplementedError\n\n"
        "    async def _invoke_async(self, op: _ops.Operation, body: Any, params: dict[str, Any]) -> Any:\n"
        "        raise NotImplementedError\n"
    )
    for op in ops:
        args: list[str] = ["self"]
        if op["request_type"] is not None:
            body_t = f"{op['request_model']} | Mapping[str, Any]" if op["request_model"] else "Any"
            args.append(f"body: {body_t}" if op["request_required"] else f"body: {body_t} | None = None")
        keyword_args: list[str] = []
        params: list[str] = []
        for name, _safe in op["path_params"]:
            keyword_args.append(f"{name}: str")
            params.append(name)
        for name, py, required in op["query_params"]:
            keyword_args.append(f"{name}: {py}" if required else f"{name}: {py} | None = None")
            params.append(name)
        if keyword_args:
            args.append("*")
            args.extend(keyword_args)
        ret = op["response_model"] or ("Any" if op["response_type"] else "EmptyResponse")
        body_arg = "body" if op["request_type"] is not None else "None"
        param_dict = "{" + ", ".join(f"{p!r}: {p}" for p in params) + "}"
        summary = op["summary"].replace('"""', "").rstrip(".")
        doc = f"{summary} ({op['method']} {op['path']})."
        if op["returns_future"]:
            doc += " Answers a future: wait on it with `wait`."
        oid = op["operation_id"]
        signature = ", ".join(args)
        call = f"self._invoke(_ops.{oid}, {body_arg}, {param_dict})"
        acall = f"await self._invoke_async(_ops.{oid}, {body_arg}, {param_dict})"
        if ret != "Any":
            call, acall = f'cast("{ret}", {call})', f'cast("{ret}", {acall})'
        out.append(
            f"\n    def {oid}({signature}) -> {ret}:\n"
            f'        """{doc}"""\n'
            f"        return {call}\n"
            f"\n    async def {oid}_async({signature}) -> {ret}:\n"
            f'        """Async twin of `{oid}`."""\n'
            f"        return {acall}\n"
        )
    return "".join(out)


def render_losses(spec: Mapping[str, Any]) -> str:
    """The `x-tinkex-losses` table of the `LossFnType` schema: what each built-in loss reads."""
    schema = spec.get("components", {}).get("schemas", {}).get("LossFnType", {})
    enum = list(schema.get("enum", []))
    table = schema.get("x-tinkex-losses", {})
    lines = [
        '"""What each built-in loss reads, from `x-tinkex-losses` on `LossFnType` in openapi/tinker.yaml.',
        "",
        "Generated by scripts/gen.py; do not edit. `inputs` are required per datum, `optional_inputs` may be",
        "given (each with one value per model_input position); `config` are the loss_fn_config keys it reads.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        '__all__ = ["LOSSES"]',
        "",
        "LOSSES: dict[str, dict[str, tuple[str, ...]]] = {",
    ]
    for name in enum:
        entry = table.get(name)
        if entry is None:
            continue
        if isinstance(entry, Mapping):
            entry = {k: v for k, v in entry.items() if not str(k).startswith("x-")}  # marks: x-tinker-since
        if not isinstance(entry, Mapping) or not all(
            isinstance(entry.get(k), list) for k in ("inputs", "optional_inputs", "config")
        ):
            raise SpecError(
                f"LossFnType x-tinkex-losses: {name!r} needs inputs, optional_inputs and config lists"
            )
        fields = ", ".join(
            f"{k!r}: ({''.join(repr(str(v)) + ', ' for v in entry[k])})"
            for k in ("inputs", "optional_inputs", "config")
        )
        lines.append(f"    {name!r}: {{{fields}}},")
    unknown = sorted(set(table) - set(enum))
    if unknown:
        raise SpecError(f"LossFnType x-tinkex-losses names losses the enum lacks: {unknown}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(spec: Mapping[str, Any]) -> dict[str, str]:
    """File name (inside the generated package) -> text."""
    ops = collect(spec)
    return {
        "operations.py": render_operations(ops),
        "lowlevel.py": render_lowlevel(ops),
        "losses.py": render_losses(spec),
    }
