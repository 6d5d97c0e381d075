"""What tinker >= 0.38 adds to the protocol, on the server side: the new operations (client config,
session finish, external weights, copy weights, session search/project/trace export, admin and
billing reads), the new fields of existing operations (taken out before the 0.7.0-shaped schema
check by `upgrade_body`, then honoured by the hooks below), create-via-load, Dimuon, the new sampling
outputs, protobuf forward_backward and protobuf / metadata-only results.

0.7.0 clients never send any of this, so their behaviour is unchanged. What each field does is
listed in docs/ARCHITECTURE.md ("tinker 0.38") and in the spec's descriptions.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from tinkex_server._archive import sign_url, verify_signature
from tinkex_server._core import HTTPError, ServerCore
from tinkex_server._futures import BinaryResult, FutureEntry
from tinkex_server._proto import (
    PROTOBUF,
    encode_forward_backward_output,
    encode_sample_response,
    forward_backward_output_json,
    wants_protobuf,
)
from tinkex_server._state import CheckpointRow, RunRow
from tinkex_server._wire import check_name, iso_time, parse_tinker_path
from tinkex_server.backends.base import DimuonSpec, LoraSpec, SampleExtras, UserInputError

if TYPE_CHECKING:
    from tinkex_server._app import _Routes

__all__ = ["NOT_OFFERED", "REPLAYED", "V038Routes", "future_response", "upgrade_body"]

# A result at least this big is announced first (`complete_metadata`) to a poll that allows it, so
# the 0.38 client can reserve it in its in-flight bytes budget before downloading; smaller ones come
# at once (a metadata round trip would cost more than it saves).
METADATA_ONLY_MIN_BYTES = 1 << 20
OPTIMIZERS = ("adamw", "dimuon")
# How long the signed URLs of external weights stay valid (the archive's window).
_EXTERNAL_KIND = "external_weights"


def _p(field: str, msg: str, kind: str = "type") -> dict[str, Any]:
    return {"loc": ["body", field], "pointer": f"/{field}", "msg": f"/{field}: {msg}", "type": kind}


def _is_int(v: Any) -> bool:
    return type(v) is int


def _string_map_problem(later: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    value = later.get(field)
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return [_p(field, "must be an object of string values or null")]
    return []


def _optimizer_problem(value: Any, field: str = "optimizer_config") -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict) or value.get("type", "adamw") not in OPTIMIZERS:
        return [_p(field, f"must be {{'type': one of {list(OPTIMIZERS)}}}", "enum")]
    return []


def upgrade_body(op_id: str, body: dict[str, Any], later: dict[str, Any]) -> list[dict[str, Any]]:
    """Check the 0.38 fields taken out of `body` into `later` and rewrite what 0.38 changed into the
    0.7.0 shape the schema check and handlers know; returns problems (422) naming the fields.

    optim_step: `optim_params` (AdamParams, or DimuonParams with type "dimuon") becomes `adam_params`
    (for Dimuon only its learning rate; the DimuonSpec goes to later["dimuon"]). load_weights without
    `model_id` is a create-via-load: the model id is `{session_id}:train:{model_seq_id}`.

    Example::

        body = {"model_id": "m", "optim_params": {"learning_rate": 0.1}}
        later = {"optim_params": body.pop("optim_params")}
        upgrade_body("optim_step", body, later); body["adam_params"]  # -> {"learning_rate": 0.1}
    """
    problems: list[dict[str, Any]] = _sparse_json_problems(op_id, body)
    if op_id == "optim_step" and "optim_params" in later and "adam_params" not in body:
        params = later["optim_params"]
        if not isinstance(params, dict):
            return [_p("optim_params", "must be AdamParams or DimuonParams")]
        if params.get("type") == "dimuon":
            try:
                later["dimuon"] = DimuonSpec.from_wire(params)
            except (TypeError, ValueError) as e:
                return [_p("optim_params", f"DimuonParams: {e}", "value")]
            body["adam_params"] = {"learning_rate": later["dimuon"].learning_rate}
        else:
            body["adam_params"] = {k: v for k, v in params.items() if k != "type"}
    if op_id == "load_weights" and body.get("model_id") is None:
        body.pop("model_id", None)
        sid, seq = later.get("session_id"), later.get("model_seq_id")
        if not isinstance(sid, str) or not _is_int(seq):
            return [_p("model_id", "is required, or session_id and model_seq_id (create a model from the checkpoint)",
                       "required")]  # fmt: skip
        body["model_id"] = f"{sid}:train:{seq}"
        later["create_via_load"] = True
    for field in ("project_id", "display_name", "base_model", "weights_access_token", "process_uuid"):
        if later.get(field) is not None and not isinstance(later[field], str):
            problems.append(_p(field, "must be a string or null"))
    problems += _optimizer_problem(later.get("optimizer_config"))
    for field in ("user_metadata",):
        if op_id in ("save_weights", "save_weights_for_sampler"):
            problems += _string_map_problem(later, field)
        elif later.get(field) is not None and not isinstance(later[field], dict):
            problems.append(_p(field, "must be an object or null"))
    if "kind" in later and later["kind"] not in ("snapshot", "inflight"):
        problems.append(_p("kind", "must be 'snapshot' or 'inflight'", "enum"))
    for field in ("topk_sample_logprobs", "prompt_alt_tokens_k"):
        if field in later and later[field] is not None and (not _is_int(later[field]) or later[field] < 0):
            problems.append(_p(field, "must be an integer >= 0", "minimum"))
    last_n = later.get("prompt_logprobs_last_n")
    if last_n is not None and (not _is_int(last_n) or last_n < 1):
        problems.append(_p("prompt_logprobs_last_n", "must be an integer >= 1 or null", "minimum"))
    for field in ("record_stability_info", "allow_metadata_only"):
        if later.get(field) is not None and not isinstance(later[field], bool):
            problems.append(_p(field, "must be a boolean or null"))
    return problems


def _sparse_json_problems(op_id: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sparse (CSR) loss inputs in a JSON forward / forward_backward body: refused, naming the tensor.
    The JSON path reads tensors as dense `data`; protobuf bodies (what 0.38 sends) carry CSR exactly."""
    key = {"forward": "forward_input", "forward_backward": "forward_backward_input"}.get(op_id)
    fbi = body.get(key) if key else None
    data = fbi.get("data") if isinstance(fbi, dict) else None
    problems = []
    for i, datum in enumerate(data if isinstance(data, list) else []):
        inputs = datum.get("loss_fn_inputs") if isinstance(datum, dict) else None
        for name, t in (inputs or {}).items() if isinstance(inputs, dict) else ():
            if isinstance(t, dict) and (
                t.get("sparse_crow_indices") is not None or t.get("sparse_col_indices") is not None
            ):
                pointer = f"/{key}/data/{i}/loss_fn_inputs/{name}"
                problems.append({"loc": ["body", key, "data", i, "loss_fn_inputs", name], "pointer": pointer,
                                 "msg": f"{pointer}: sparse tensors are taken in protobuf bodies only; send dense data",
                                 "type": "value"})  # fmt: skip
    return problems


# -- results ----------------------------------------------------------------------------------------
def _proto_of(entry: FutureEntry) -> bytes | None:
    """The protobuf body of a finished successful entry, if its result has a protobuf form."""
    if entry.proto_payload is not None:
        return entry.proto_payload
    payload = entry.encoded_body()
    # Results are encoded with their keys in the jobs' order: a sample result starts with its type tag,
    # a forward_backward result with loss_fn_output_type; nothing else has a protobuf form.
    if payload.startswith(b'{"type":"sample"'):
        entry.proto_payload = encode_sample_response(orjson.loads(payload))
    elif payload.startswith(b'{"loss_fn_output_type"'):
        entry.proto_payload = encode_forward_backward_output(orjson.loads(payload))
    return entry.proto_payload


def future_response(entry: FutureEntry, accept: str | None, later: Mapping[str, Any]) -> Response:
    """The answer to a poll of a finished entry: protobuf when asked and the result has that form
    (forward_backward and sample results), JSON otherwise; `complete_metadata` first for a large
    result when the poll allows it."""
    if entry.failure is not None:
        return Response(entry.encoded_body(), media_type="application/json")
    proto = _proto_of(entry) if wants_protobuf(accept) else None
    body = proto if proto is not None else entry.encoded_body()
    if later.get("allow_metadata_only") and len(body) >= METADATA_ONLY_MIN_BYTES:
        meta = {"status": "complete_metadata", "response_payload_size": len(body)}
        return Response(orjson.dumps(meta), media_type="application/json")
    if proto is not None:
        return Response(proto, media_type=PROTOBUF)
    return Response(body, media_type="application/json")


# -- sampling extras --------------------------------------------------------------------------------
def sample_extras(later: Mapping[str, Any], prompt_len: int, prompt_logprobs: bool) -> SampleExtras:
    """The 0.38 sampling asks of one asample, checked against the prompt (UserInputError naming the
    field)."""
    last_n = later.get("prompt_logprobs_last_n")
    if last_n is not None:
        if not prompt_logprobs:
            raise UserInputError("prompt_logprobs_last_n requires prompt_logprobs: true")
        if not 1 <= last_n <= prompt_len - 1:
            raise UserInputError(f"prompt_logprobs_last_n must be within [1, {prompt_len - 1}], got {last_n}")
    target = later.get("target_prompt_logprobs")
    target_arr = None
    if target is not None:
        target_arr = _target_tensor(target, prompt_len)
    return SampleExtras(
        topk_sample=int(later.get("topk_sample_logprobs") or 0),
        target_prompt=target_arr,
        alt_k=int(later.get("prompt_alt_tokens_k") or 0),
        last_n=last_n,
    )


def _target_tensor(t: Any, prompt_len: int) -> Any:
    where = "target_prompt_logprobs"
    if not isinstance(t, Mapping):
        raise UserInputError(f"{where} must be a TensorData object")
    shape = list(t.get("shape") or [])
    if len(shape) != 2 or shape[0] != prompt_len - 1:
        raise UserInputError(
            f"{where} must have shape [len(prompt) - 1, K] = [{prompt_len - 1}, K], got {shape}"
        )
    rows, cols = shape
    values = np.asarray(t.get("data") or [], dtype=np.int64)
    crow, col = t.get("sparse_crow_indices"), t.get("sparse_col_indices")
    if crow is not None or col is not None:
        crow_a, col_a = np.asarray(crow or [], np.int64), np.asarray(col or [], np.int64)
        if len(crow_a) != rows + 1 or len(col_a) != len(values) or (len(col_a) and col_a.max() >= cols):
            raise UserInputError(f"{where}: sparse_crow_indices / sparse_col_indices do not fit the shape")
        dense = np.full(rows * cols, -1, dtype=np.int64)
        dense[np.repeat(np.arange(rows), np.diff(crow_a)) * cols + col_a] = values
        return dense.reshape(rows, cols)
    if values.size != rows * cols:
        raise UserInputError(f"{where}: {values.size} values do not fill shape {shape}")
    return values.reshape(rows, cols)


def apply_sample_extras(result: dict[str, Any], extras: SampleExtras) -> dict[str, Any]:
    """prompt_logprobs_last_n on a finished result: earlier prompt positions become None."""
    if extras.last_n is not None:
        for key in ("prompt_logprobs", "topk_prompt_logprobs"):
            values = result.get(key)
            if isinstance(values, list):
                cut = len(values) - extras.last_n
                result[key] = [None] * cut + values[cut:]
    result.setdefault("prompt_cache_hit_tokens", 0)  # no prefix cache here: honestly none
    return result


# -- routes -----------------------------------------------------------------------------------------
def _dir_size(d: Path) -> int:
    return sum(f.stat().st_size for f in d.rglob("*") if f.is_file())


class V038Routes:
    """Handlers of the operations only tinker >= 0.38 sends, and the 0.38 parts of shared ones."""

    def __init__(self, core: ServerCore, routes: _Routes) -> None:
        self.core = core
        self.routes = routes

    # -- client bootstrap ---------------------------------------------------------------------------
    async def client_config(self, request: Request, owner: str, body: Any) -> Response:
        # Only flags whose feature this server has are turned on; the features it lacks are said off
        # explicitly (the SDK defaults are off too, but a future default must not switch them on).
        return _json({
            "pjwt_auth_enabled": False,
            "proto_compress_fwdbwd": _compress(self.core),
            "sample_use_retrieve_futures": False,
            "custom_loss_server_side": False,
            "sample_join_sampling_session": False,
        })  # fmt: skip

    async def client_dynamic_config(self, request: Request, owner: str, body: Any) -> Response:
        return _json({"refresh_interval_sec": 300, "sample_cancel_enabled": False})

    # -- sessions -----------------------------------------------------------------------------------
    def on_session_created(self, session_id: str, later: Mapping[str, Any]) -> None:
        extra = {k: later[k] for k in ("display_name", "project_id") if later.get(k) is not None}
        if extra:
            self.core.store.put_extra("session", session_id, extra)

    async def session_finish(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        sid = request.path_params["session_id"]
        row = core.store.get_session(sid)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"session {sid} not found")
        reason = body.get("reason") or {}
        kind = reason.get("type") if isinstance(reason, dict) else None
        if kind not in ("success", "errored", "interrupted"):
            raise HTTPError(422, "reason.type must be one of success, errored, interrupted")
        if core.store.get_extra("session", sid).get("finished") is None:
            core.store.put_extra(
                "session", sid, {"finished": {"type": kind, "detail": body.get("detail"), "at": core.clock()}}
            )
            core._expire(row)
        return Response(status_code=204)

    def session_json_extra(self, session_id: str) -> dict[str, Any]:
        # Only what was set: 0.7.0-era answers stay byte for byte what they were.
        out: dict[str, Any] = {}
        extra = self.core.store.get_extra("session", session_id)
        if extra.get("display_name") is not None:
            out["display_name"] = extra["display_name"]
        row = self.core.store.get_session(session_id)
        if row is not None and row.user_metadata:  # an extra key for 0.7.0 clients, which ignore it
            out["user_metadata"] = {str(k): v if isinstance(v, str) else orjson.dumps(v).decode()
                                    for k, v in row.user_metadata.items()}  # fmt: skip
        return out

    async def set_session_project(self, request: Request, owner: str, body: Any) -> Response:
        sid = request.path_params["session_id"]
        row = self.core.store.get_session(sid)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"session {sid} not found")
        project = body.get("project_id")
        if not isinstance(project, str) or not project:
            raise HTTPError(422, "project_id must be a non-empty string")
        self.core.store.put_extra("session", sid, {"project_id": project})
        return Response(status_code=204)

    def _status(self, session_id: str, expired: bool) -> dict[str, Any]:
        finished = self.core.store.get_extra("session", session_id).get("finished")
        if finished is not None:
            return {
                "type": "client_finished",
                "reason": {"type": finished["type"]},
                "detail": finished.get("detail"),
            }
        if expired:
            return {
                "type": "failed",
                "reason": {"type": "request", "detail": "no heartbeat before the timeout"},
            }
        return {"type": "active"}

    async def search_sessions(self, request: Request, owner: str, body: Any) -> Response:
        store = self.core.store
        rows, _ = store.list_sessions(owner, int(body.get("limit") or 100), 0)
        wanted_status = {s.get("type") for s in body.get("statuses") or [] if isinstance(s, dict)}
        out = []
        for row in rows:
            extra = store.get_extra("session", row.session_id)
            if body.get("session_id") and row.session_id != body["session_id"]:
                continue
            if body.get("display_name") and extra.get("display_name") != body["display_name"]:
                continue
            if body.get("project_ids") and extra.get("project_id") not in body["project_ids"]:
                continue
            meta = row.user_metadata or {}
            if any(meta.get(k) != v for k, v in (body.get("user_metadata") or {}).items()):
                continue
            status = self._status(row.session_id, row.expired)
            if wanted_status and status["type"] not in wanted_status:
                continue
            ckpts = [
                c for r in store.runs_of_session(row.session_id) for c in store.checkpoints_of_run(r.run_id)
            ]
            out.append({
                "session_id": row.session_id, "created_at": iso_time(row.created_at), "owner": owner,
                "project_id": extra.get("project_id") or "default", "status": status,
                "checkpoints_count": len(ckpts), "display_name": extra.get("display_name"),
                "user_metadata": {str(k): str(v) for k, v in meta.items()} or None,
                "checkpoint_storage_bytes": sum(c.size_bytes or 0 for c in ckpts),
            })  # fmt: skip
        return _json({"sessions": out, "next_cursor": None})

    async def session_trace_export(self, request: Request, owner: str, body: Any) -> Response:
        sid = request.path_params["session_id"]
        row = self.core.store.get_session(sid)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"session {sid} not found")
        # Refused with the reason in the protocol's own "failed" answer: no request traces are kept.
        return _json({"status": "failed", "error": "this local server records no request traces to export"})

    @staticmethod
    def check_access_scope(request: Request) -> None:
        """`access_scope` (0.38) on run and session reads: owned or accessible. Both answer the caller's
        own here: other users' public checkpoints stay loadable by path, they are not listed."""
        scope = request.query_params.get("access_scope")
        if scope is not None and scope not in ("owned", "accessible"):
            raise HTTPError(
                422,
                [{"loc": ["query", "access_scope"], "pointer": "query/access_scope",
                  "msg": "access_scope must be owned or accessible", "type": "enum"}],
            )  # fmt: skip

    def runs_in_project(self, owner: str, project: str, limit: int, offset: int) -> tuple[list[RunRow], int]:
        store = self.core.store
        runs, _ = store.list_runs(owner, 1_000_000, 0)
        mine = [r for r in runs if store.get_extra("session", r.session_id).get("project_id") == project]
        return mine[offset : offset + limit], len(mine)

    # -- admin and billing reads --------------------------------------------------------------------
    async def get_audit_log(self, request: Request, owner: str, body: Any) -> Response:
        entries = []
        rows, _ = self.core.store.list_checkpoints(owner, 1000, 0)
        for c in rows:  # the auditable events this server records: checkpoints written
            entries.append({"timestamp": iso_time(c.created_at), "event": "checkpoint_saved",
                            "event_details": {"checkpoint_type": c.kind}, "model_id": c.run_id,
                            "tinker_path": c.tinker_path, "purpose": None})  # fmt: skip
        return _json({"entries": entries})

    async def get_billing_usage(self, request: Request, owner: str, body: Any) -> Response:
        return _json({"data": [], "sessions": {}, "cost_data_through": iso_time(self.core.clock())})

    async def get_checkpoint_storage_usage(self, request: Request, owner: str, body: Any) -> Response:
        self.core.reap_checkpoints()
        rows, total = self.core.store.list_checkpoints(owner, 1_000_000, 0)
        size = sum(c.size_bytes or 0 for c in rows)
        return _json({
            "effective_rate_usd_per_gigabyte_month": 0.0,
            "data": [{"checkpoint_count": total, "size_bytes": size, "size_gigabytes": size / 1e9,
                      "estimated_monthly_cost_usd": 0.0, "project_id": None}],
        })  # fmt: skip

    async def not_offered(self, request: Request, owner: str, body: Any) -> Response:
        # Operations 0.38 sends only when client/config turns their flag on, which this server never
        # does: a call means a misconfigured client, told so plainly (and not retried).
        # 404, not 501: the operation is absent from this server as a whole (a 4xx the fuzzers and
        # retry policies read as final), and x-should-retry says so to clients that would retry.
        raise HTTPError(
            404,
            f"{request.url.path} is not offered by this server (client/config leaves its flag off)",
            {"x-should-retry": "false"},
        )

    # -- models -------------------------------------------------------------------------------------
    def on_model_created(self, model_id: str, later: Mapping[str, Any]) -> None:
        config = later.get("optimizer_config") or {"type": "adamw"}
        self.core.store.put_extra("run", model_id, {"optimizer_config": config})

    def optimizer_extra(self, run_id: str) -> dict[str, Any]:
        """`optimizer_config` for get_info / weights_info, only when it is not the default (AdamW), so
        0.7.0-era answers stay as they were (0.38 reads a missing one as AdamW)."""
        config = self.optimizer_config(run_id)
        return {} if config.get("type", "adamw") == "adamw" else {"optimizer_config": config}

    def optimizer_config(self, run_id: str) -> dict[str, Any]:
        config = self.core.store.get_extra("run", run_id).get("optimizer_config")
        return dict(config) if isinstance(config, dict) else {"type": "adamw"}

    def optim_spec(self, model_id: str, later: Mapping[str, Any], adam: Any) -> Any:
        """The optimizer step to run: Dimuon or Adam, refused when it is not the model's optimizer."""
        kind = self.optimizer_config(model_id).get("type", "adamw")
        dimuon = later.get("dimuon")
        if dimuon is not None and kind != "dimuon":
            raise HTTPError(
                400, f"optim_params: model {model_id} was created with optimizer {kind}; send AdamParams"
            )
        if dimuon is None and kind == "dimuon":
            raise HTTPError(400, f"optim_params: model {model_id} was created with Dimuon; send DimuonParams")
        return dimuon if dimuon is not None else adam

    async def create_via_load(self, request: Request, owner: str, body: Any) -> Response:
        """load_weights without model_id (0.38 create_training_client_from_state*): a new model
        `{session_id}:train:{model_seq_id}` whose weights (and optimizer state, if asked) are the
        checkpoint's. 404 when the checkpoint does not exist or is not readable by the caller."""
        core = self.core
        later = body["_later"]
        session = core.live_session(later["session_id"], owner)
        core.touch(session.session_id)
        path = parse_tinker_path(body["path"]) if body["path"].startswith("tinker://") else None
        if path is None:
            raise HTTPError(400, f"path: {body['path']!r} is not a tinker:// path")
        if path.kind != "weights":
            raise HTTPError(
                400, f"path: {path} is a sampler checkpoint; load_weights needs a weights/ checkpoint"
            )
        row = core.readable_checkpoint(path, owner)  # 404 for missing, expired or another key's
        source = core.store.get_run(row.run_id)
        base_model = later.get("base_model") or (source.base_model if source else None)
        if base_model is None or base_model not in core.models:
            raise HTTPError(
                400, f"base_model {base_model!r} is not offered here; choose one of {sorted(core.models)}"
            )
        if source is not None and source.base_model != base_model:
            raise HTTPError(400, f"path: {path} was trained from {source.base_model}, not {base_model}")
        model_id = body["model_id"]
        if core.store.get_run(model_id) is not None:
            first = core.create_requests.get(model_id)
            if first is not None:
                return _json({"request_id": first, "model_id": model_id})
            raise HTTPError(
                400, f"model_seq_id {later['model_seq_id']} was already used in session {session.session_id}"
            )
        # The checkpoint's own rank and targets (the backend's load replaces the adapter with its shape).
        lora = LoraSpec() if source is None else LoraSpec(
            rank=source.lora_rank or LoraSpec().rank, train_unembed=source.train_unembed,
            train_mlp=source.train_mlp, train_attn=source.train_attn,
        )  # fmt: skip
        now = core.clock()
        core.store.add_run(
            RunRow(run_id=model_id, session_id=session.session_id, owner=owner, base_model=base_model,
                   lora_rank=lora.rank, seed=None, train_unembed=lora.train_unembed, train_mlp=lora.train_mlp,
                   train_attn=lora.train_attn, user_metadata=later.get("user_metadata"), created_at=now,
                   last_request_time=now)
        )  # fmt: skip
        wanted = later.get("optimizer_config") or (
            self.optimizer_config(row.run_id) if source is not None else {"type": "adamw"}
        )
        self.core.store.put_extra("run", model_id, {"optimizer_config": wanted})
        core.live_models.add(model_id)
        optimizer = bool(body["optimizer"])
        directory = core.checkpoint_dir(row.run_id, row.checkpoint_id)

        def job() -> dict[str, Any]:
            try:
                core.backend.create_model(model_id, base_model, lora)
                if not directory.is_dir():
                    raise UserInputError(f"checkpoint {path} was deleted")
                core.backend.load_state(model_id, directory, optimizer=optimizer)
            except BaseException:
                core.live_models.discard(model_id)
                core.store.delete_run(model_id)
                core.backend.unload_model(model_id)
                raise
            return {"type": "load_weights", "path": str(path), "model_id": model_id}

        rid = core.submit(owner, model_id, job)
        core.create_requests[model_id] = rid
        return _json({"request_id": rid, "model_id": model_id})

    async def forward_backward_proto(self, request: Request, owner: str, body: Any) -> Response:
        """A protobuf forward_backward (or forward, with forward_only): the datums are already
        normalized numpy views; the result is encoded to protobuf on the compute thread."""
        core = self.core
        model_id = body["model_id"]
        core.active_run(model_id, owner)
        fbi = body["forward_backward_input"]
        backward = not body.get("forward_only")

        def job() -> Any:
            result = core.backend.forward_backward(
                model_id, fbi["data"], fbi["loss_fn"], fbi.get("loss_fn_config"), backward
            )
            return BinaryResult(
                proto=encode_forward_backward_output(result), to_json=forward_backward_output_json
            )

        return await self.routes._ordered(request, owner, model_id, body, job, touch_run=True)

    # -- checkpoints --------------------------------------------------------------------------------
    def on_checkpoint_saved(self, row: CheckpointRow, later: Mapping[str, Any]) -> None:
        extra = {k: later[k] for k in ("user_metadata", "kind") if later.get(k) is not None}
        key = row.tinker_path
        self.core.store.drop_extra("checkpoint", key)  # an overwrite starts afresh
        if extra:
            self.core.store.put_extra("checkpoint", key, extra)

    def checkpoint_extra(self, row: CheckpointRow) -> dict[str, Any]:
        extra = self.core.store.get_extra("checkpoint", row.tinker_path)
        return {"user_metadata": extra["user_metadata"]} if extra.get("user_metadata") is not None else {}

    async def save_weights_external(self, request: Request, owner: str, body: Any) -> Response:
        """The adapter in PEFT form (adapter_config.json + adapter_model.safetensors) as an
        `external_weights/<path>` checkpoint, downloadable file by file through signed URLs."""
        core = self.core
        model_id = body.get("model_id")
        name = body.get("path")
        if not isinstance(model_id, str) or not isinstance(name, str):
            raise HTTPError(422, "model_id and path are required strings")
        if (why := check_name(name)) is not None:
            raise HTTPError(400, f"path: {why}")
        if body.get("age_encryption_recipients"):
            raise HTTPError(400, "age_encryption_recipients: this server does not encrypt exports; omit it")
        ttl = body.get("ttl_seconds")
        if ttl is not None and (type(ttl) is not int or ttl <= 0):
            raise HTTPError(422, "ttl_seconds must be a positive integer or null")
        run = core.active_run(model_id, owner)
        later = {"ttl_seconds": ttl, "overwrite": True}
        save = self.routes._save_job(
            owner, run, f"{_EXTERNAL_KIND}/{name}",
            lambda d: core.backend.save_sampler_weights(model_id, d), "external", later,
        )  # fmt: skip

        def job() -> dict[str, Any]:
            return {"type": "save_weights_external", **save()}

        return await self.routes._ordered(request, owner, model_id, body, job, touch_run=False)

    async def external_weights_urls(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        run_id, name = request.path_params["training_run_id"], request.path_params["checkpoint_name"]
        row = core.store.get_checkpoint(run_id, f"{_EXTERNAL_KIND}/{name}")
        if row is not None and row.expires_at is not None and row.expires_at <= core.clock():
            core.delete_checkpoint_files(row)
            row = None
        if row is None or (row.owner != owner and not row.public):
            raise HTTPError(404, f"checkpoint tinker://{run_id}/{_EXTERNAL_KIND}/{name} not found")
        directory = core.checkpoint_dir(run_id, row.checkpoint_id)
        expires = math.ceil(core.clock() + core.config.archive_url_ttl_s)
        base = str(request.base_url).rstrip("/")
        urls = {}
        for f in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != "checkpoint_complete"):
            rel = f.relative_to(directory).as_posix()
            storage_path = f"/storage/external/{run_id}/{name}/{rel}"
            urls[rel] = f"{base}{storage_path}?{sign_url(core.secret, storage_path, expires)}"
        return _json({"urls": urls, "expires": iso_time(expires)})

    async def storage_external(self, request: Request) -> Response:
        core = self.core
        p = request.path_params
        storage_path = f"/storage/external/{p['run_id']}/{p['name']}/{p['file']}"
        q = request.query_params
        why = verify_signature(core.secret, storage_path, q.get("expires"), q.get("sig"), core.clock())
        if why is not None:
            return _json({"detail": why}, 403)
        directory = core.checkpoint_dir(p["run_id"], f"{_EXTERNAL_KIND}/{p['name']}")
        target = (directory / p["file"]).resolve()
        if not target.is_file() or directory.resolve() not in target.parents:
            return _json({"detail": "file not found"}, 404)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        return FileResponse(target, headers={"X-Checksum-Sha256": digest})

    async def copy_weights(self, request: Request, owner: str, body: Any) -> Response:
        """Copy a checkpoint the caller may read (their own or a public one) into a new training run
        of theirs, `{session_id}:train:{model_seq_id}`; answers its tinker path."""
        core = self.core
        source_path = body.get("source_path")
        sid, seq = body.get("session_id"), body.get("model_seq_id")
        if not isinstance(source_path, str):
            raise HTTPError(422, "source_path is required")
        if not isinstance(sid, str) or type(seq) is not int:
            raise HTTPError(
                422, "session_id and model_seq_id are required: the copy becomes a run of that session"
            )
        path = parse_tinker_path(source_path)
        row = core.readable_checkpoint(path, owner)
        session = core.live_session(sid, owner)
        source = core.store.get_run(row.run_id)
        run_id = f"{session.session_id}:train:{seq}"
        if core.store.get_run(run_id) is not None:
            raise HTTPError(400, f"model_seq_id {seq} was already used in session {sid}")
        now = core.clock()
        core.store.add_run(
            RunRow(run_id=run_id, session_id=session.session_id, owner=owner,
                   base_model=source.base_model if source else "", lora_rank=source.lora_rank if source else None,
                   seed=None, train_unembed=source.train_unembed if source else True,
                   train_mlp=source.train_mlp if source else True, train_attn=source.train_attn if source else True,
                   user_metadata=None, created_at=now, last_request_time=now)
        )  # fmt: skip
        target = core.checkpoint_dir(run_id, row.checkpoint_id)
        shutil.copytree(core.checkpoint_dir(row.run_id, row.checkpoint_id), target)
        ttl = body.get("ttl_seconds")
        copy = CheckpointRow(
            run_id=run_id, checkpoint_id=row.checkpoint_id, kind=row.kind, owner=owner, created_at=now,
            size_bytes=_dir_size(target), public=False, expires_at=None if ttl is None else now + float(ttl),
        )  # fmt: skip
        core.store.put_checkpoint(copy)
        return _json({"tinker_path": copy.tinker_path})

    # -- sampling -----------------------------------------------------------------------------------
    @staticmethod
    def sequence_ids(request_id: str, n: int) -> list[str]:
        """The ids of one asample's sequences (what provenance spans refer to)."""
        return [f"{request_id}:{k}" for k in range(n)]


def _compress(core: ServerCore) -> bool:
    return bool(getattr(core.config, "zstd_fwdbwd", False))


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status,
                    media_type="application/json")  # fmt: skip


# The 0.38 operations that create or change something: a repeated X-Idempotency-Key gets the first answer.
REPLAYED = {"session_finish", "set_session_project", "save_weights_external", "copy_weights"}
NOT_OFFERED = {
    "auth_token",
    "create_custom_loss",
    "join_sampling_session",
    "retrieve_futures",
    "cancel_future",
}
