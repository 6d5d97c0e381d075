"""The Starlette application: one route per operation of `openapi/tinker.yaml` under /api/v1, plus the
signed storage route that serves checkpoint archives.

Every operation goes through one wrapper (`_operation`): auth (401), injected faults, JSON parsing
(400) and schema validation (422), X-Idempotency-Key replay (bound to the operation, path and body),
then the handler. Handlers check ownership and
state, then either answer at once or queue work on the compute thread and answer with a future.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import random
import shutil
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson
from _tinkex_lowlevel.operations import OPERATIONS
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tinkex_server import _v038
from tinkex_server._archive import BuiltArchive, build_archive, parse_range, sign_url, verify_signature
from tinkex_server._core import HTTPError, ServerCore
from tinkex_server._fast_decode import decode_hot_body
from tinkex_server._futures import SteppedJob, pending_reply
from tinkex_server._limits import BodyLimit
from tinkex_server._proto import decode_request_body
from tinkex_server._state import CheckpointRow, RunRow, SamplerRow
from tinkex_server._wire import (
    TinkerPath,
    check_name,
    http_date,
    iso_time,
    model_input_tokens,
    normalize_datum,
    parse_tinker_path,
)
from tinkex_server.backends.base import AdamSpec, LoraSpec, SampleExtras, SamplingSpec, UserInputError
from tinkex_server.backends.checks import (
    DEFAULT_MAX_TOKENS_CAP,
    check_adam,
    check_loss_fn_config,
    check_sample_counts,
    check_sampling,
)

__all__ = ["InjectedDrop", "create_app"]

log = logging.getLogger("tinkex_server")

# Operations whose answers are replayed for a repeated X-Idempotency-Key: the ones that create or
# change something. Polls, heartbeats and telemetry are always answered fresh.
# How many sampled tokens one part of an asample job may take (see `asample`).
_SAMPLE_PART_TOKENS = 4096
_REPLAYED = {
    "create_session", "create_sampling_session", "create_model", "unload_model", "forward",
    "forward_backward", "optim_step", "save_weights", "load_weights", "save_weights_for_sampler",
    "asample", "delete_checkpoint", "publish_checkpoint", "unpublish_checkpoint", "set_checkpoint_ttl",
}  # fmt: skip


# The operations tinker 0.38 also replays on a repeated idempotency key (tinkex_server/_v038.py). The
# fields later SDKs add to 0.7.0 request bodies are the spec's (`x-tinker-since` properties, read by
# SpecValidator.later_fields): taken out before the 0.7.0 schema check and honoured by the handlers.
_REPLAYED |= _v038.REPLAYED


def _later_problems(later: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems = []
    ttl = later.get("ttl_seconds")
    if ttl is not None and (type(ttl) is not int or ttl <= 0):
        problems.append({"loc": ["body", "ttl_seconds"], "pointer": "/ttl_seconds",
                         "msg": "/ttl_seconds: must be a positive integer or null", "type": "minimum"})  # fmt: skip
    if "overwrite" in later and not isinstance(later["overwrite"], bool):
        problems.append({"loc": ["body", "overwrite"], "pointer": "/overwrite",
                         "msg": "/overwrite: must be a boolean", "type": "type"})  # fmt: skip
    return problems


class InjectedDrop(Exception):
    """Raised after the response head is sent, so the server cuts the connection (the `drop` fault)."""


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def _error(status: int, detail: Any, headers: Mapping[str, str] | None = None) -> Response:
    return _json({"detail": detail}, status, headers)


class _DroppedResponse(Response):
    """Sends the status line and headers of `inner`, then breaks off: the client sees a dropped
    connection although the operation took effect."""

    def __init__(self, inner: Response) -> None:
        super().__init__(content=inner.body, status_code=inner.status_code, headers=dict(inner.headers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        raise InjectedDrop("injected fault: connection dropped")


Handler = Callable[[Request, str, Any], Awaitable[Response]]


def _body_hash(raw: bytes) -> str:
    # Only tells a retried seq_id's body from a different one (a client bug) within one server run:
    # length + CRC-32 does that at ~4 GB/s, 3x faster than SHA-256 on a 3 MB forward_backward body.
    return f"{len(raw)}:{zlib.crc32(raw):08x}"


# The largest limit/offset (the spec's `maximum`): SQLite integers are signed 64-bit.
_MAX_QUERY_INT = 2**63 - 1


def _query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if len(raw) <= 20 else -1  # int() of a huge digit string is quadratic
    except ValueError:
        value = -1
    if not 0 <= value <= _MAX_QUERY_INT:
        raise HTTPError(
            422, [{"loc": ["query", name], "pointer": f"query/{name}",
                   "msg": f"{name} must be an integer in [0, {_MAX_QUERY_INT}]", "type": "maximum"}],
        )  # fmt: skip
    return value


def _checkpoint_path(request: Request) -> TinkerPath:
    p = request.path_params
    kind, name = p["checkpoint_kind"], p["checkpoint_name"]
    if kind not in ("weights", "sampler_weights", "external_weights"):
        raise HTTPError(
            400,
            f"invalid checkpoint id {kind}/{name}: kind must be weights, sampler_weights or external_weights",
        )
    return TinkerPath(run_id=p["training_run_id"], kind=kind, name=name)


def _parse_path_400(path: str, field: str) -> TinkerPath:
    try:
        return parse_tinker_path(path)
    except ValueError as e:
        raise HTTPError(400, f"{field}: {e}") from None


def _checkpoint_json(row: CheckpointRow, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        **(extra or {}),
        "checkpoint_id": row.checkpoint_id,
        "checkpoint_type": row.kind,
        "time": iso_time(row.created_at),
        "tinker_path": row.tinker_path,
        "size_bytes": row.size_bytes,
        "public": row.public,
        "expires_at": None if row.expires_at is None else iso_time(row.expires_at),
    }


def _string_map(d: Mapping[str, Any] | None) -> dict[str, str] | None:
    # TrainingRun.user_metadata is string -> string in the official types; create_model accepts any JSON.
    if d is None:
        return None
    return {str(k): v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in d.items()}


def _dir_size(d: Path) -> int:
    return sum(f.stat().st_size for f in d.rglob("*") if f.is_file())


class _Routes:
    """The handlers; one method per operation, named by its operationId."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.v038 = _v038.V038Routes(core, self)

    # -- service ------------------------------------------------------------------------------------
    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def get_server_capabilities(self, request: Request, owner: str, body: Any) -> Response:
        # `tokenizer_id` is an extension (0.7.0's SupportedModel has only model_name; responses are open,
        # so clients ignore it): it lets a sampler of a base model load the local tokenizer offline
        # instead of guessing a hub name from the model name.
        models = [
            {
                "model_name": m.name,
                "max_context_length": m.max_context_length,
                "tokenizer_id": m.tokenizer_id,
                "trainable": True,
                "sampleable": True,
            }
            for m in self.core.models.values()
        ]
        return _json({"supported_models": models})

    async def create_session(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        core.reap_sessions()
        session_id = str(uuid.uuid4())
        core.store.add_session(
            session_id, owner=owner, now=core.clock(), tags=list(body.get("tags") or []),
            user_metadata=body.get("user_metadata"), sdk_version=body.get("sdk_version"),
        )  # fmt: skip
        self.v038.on_session_created(session_id, body["_later"])
        return _json({"type": "create_session", "session_id": session_id})

    async def session_heartbeat(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        core.reap_sessions()
        row = core.live_session(body["session_id"], owner)
        core.touch(row.session_id)
        core.store.touch_session(row.session_id, core.clock())
        return _json({"type": "session_heartbeat"})

    async def send_telemetry(self, request: Request, owner: str, body: Any) -> Response:
        return _json({"status": "accepted"})

    # -- models -------------------------------------------------------------------------------------
    async def create_model(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        session = core.live_session(body["session_id"], owner)
        core.touch(session.session_id)
        base_model = body["base_model"]
        if base_model not in core.models:
            raise HTTPError(
                400, f"base_model {base_model!r} is not offered here; choose one of {sorted(core.models)}"
            )
        try:
            lora = LoraSpec.from_wire(body.get("lora_config"))
        except (ValueError, TypeError) as e:
            raise HTTPError(400, f"lora_config: {e}") from None
        if not (lora.train_attn or lora.train_mlp or lora.train_unembed):
            raise HTTPError(
                400, "lora_config: at least one of train_attn, train_mlp, train_unembed must be true"
            )
        model_id = f"{session.session_id}:train:{body['model_seq_id']}"
        if core.store.get_run(model_id) is not None:
            first = core.create_requests.get(model_id)
            if first is not None:  # a retry of the same create_model: answer from the first
                return _json({"request_id": first, "model_id": model_id})
            raise HTTPError(
                400, f"model_seq_id {body['model_seq_id']} was already used in session {session.session_id}"
            )
        now = core.clock()
        core.store.add_run(
            RunRow(
                run_id=model_id, session_id=session.session_id, owner=owner, base_model=base_model,
                lora_rank=lora.rank, seed=lora.seed, train_unembed=lora.train_unembed,
                train_mlp=lora.train_mlp, train_attn=lora.train_attn,
                user_metadata=body.get("user_metadata"), created_at=now, last_request_time=now,
            )
        )  # fmt: skip
        core.live_models.add(model_id)
        self.v038.on_model_created(model_id, body["_later"])

        def job() -> dict[str, Any]:
            try:
                core.backend.create_model(model_id, base_model, lora)
            except BaseException:
                core.store.delete_run(model_id)
                raise
            return {"type": "create_model", "model_id": model_id}

        def orphaned() -> None:
            # The creation finished but its result expired unretrieved (410 to the client): free it.
            if model_id in core.live_models:
                log.info("unloading model %s: its create_model result was never retrieved", model_id)
                core.forget_model(model_id)
                core.worker.call_soon(functools.partial(core.backend.unload_model, model_id))

        rid = core.submit(owner, model_id, job)
        entry = core.futures.get(rid)
        if entry is not None:
            entry.on_orphan = orphaned
        core.create_requests[model_id] = rid
        return _json({"request_id": rid, "model_id": model_id})

    async def get_info(self, request: Request, owner: str, body: Any) -> Response:
        run = self.core.owned_run(body["model_id"], owner)
        info = self.core.models.get(run.base_model)
        return _json({
            "type": "get_info",
            "model_id": run.run_id,
            "model_data": {
                "arch": info.arch if info else "unknown",
                "model_name": run.base_model,
                "tokenizer_id": info.tokenizer_id if info else None,
            },
            "is_lora": True,
            "lora_rank": run.lora_rank,
            "model_name": run.base_model,
            **self.v038.optimizer_extra(run.run_id),
        })  # fmt: skip

    async def unload_model(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        model_id = body["model_id"]
        core.active_run(model_id, owner)
        core.forget_model(model_id)

        def job() -> dict[str, Any]:
            core.backend.unload_model(model_id)
            return {"type": "unload_model", "model_id": model_id}

        return _json({"request_id": core.submit(owner, model_id, job), "model_id": model_id})

    # -- training -----------------------------------------------------------------------------------
    def _touch_run(self, model_id: str) -> Callable[[dict[str, Any]], None]:
        def done(_result: dict[str, Any]) -> None:
            self.core.store.touch_run(model_id, self.core.clock())

        return done

    async def _ordered(
        self,
        request: Request,
        owner: str,
        model_id: str,
        body: Any,
        job: Callable[[], dict[str, Any]],
        *,
        touch_run: bool,
    ) -> Response:
        """Queue a request on its model's seq_id lane and answer with its future. `touch_run`: record
        the run's last request time when the job succeeds (training and load steps; saves record
        their checkpoint instead)."""
        rid = self.core.submit_ordered(
            owner,
            model_id,
            body.get("seq_id"),
            _body_hash(await request.body()),
            job,
            self._touch_run(model_id) if touch_run else None,
        )
        return _json({"request_id": rid, "model_id": model_id})

    async def _forward(self, request: Request, owner: str, body: Any, key: str, backward: bool) -> Response:
        core = self.core
        model_id = body["model_id"]
        core.active_run(model_id, owner)
        fbi = body[key]
        try:
            check_loss_fn_config(fbi.get("loss_fn_config"))
        except UserInputError as e:
            raise HTTPError(400, f"{key}.{e}") from None

        def job() -> dict[str, Any]:
            data = [normalize_datum(d) for d in fbi["data"]]
            return core.backend.forward_backward(
                model_id, data, fbi["loss_fn"], fbi.get("loss_fn_config"), backward
            )

        return await self._ordered(request, owner, model_id, body, job, touch_run=True)

    async def forward(self, request: Request, owner: str, body: Any) -> Response:
        return await self._forward(request, owner, body, "forward_input", backward=False)

    async def forward_backward(self, request: Request, owner: str, body: Any) -> Response:
        if body.get("_proto"):
            return await self.v038.forward_backward_proto(request, owner, body)
        return await self._forward(request, owner, body, "forward_backward_input", backward=True)

    async def optim_step(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        model_id = body["model_id"]
        core.active_run(model_id, owner)
        try:
            adam = AdamSpec.from_wire(body.get("adam_params"))
            check_adam(adam)  # the backend checks again; this refuses at once, before the seq_id is taken
        except (ValueError, TypeError) as e:
            raise HTTPError(400, f"adam_params: {e}") from None
        except UserInputError as e:
            raise HTTPError(400, str(e)) from None
        spec = self.v038.optim_spec(model_id, body["_later"], adam)

        def job() -> dict[str, Any]:
            return {"type": "optim_step", "metrics": core.backend.optim_step(model_id, spec)}

        return await self._ordered(request, owner, model_id, body, job, touch_run=True)

    def _save_job(
        self,
        owner: str,
        run: RunRow,
        checkpoint_id: str,
        write: Callable[[Path], None],
        kind: str,
        later: Mapping[str, Any],
    ) -> Callable[[], dict[str, Any]]:
        core = self.core
        ttl = later.get("ttl_seconds")
        overwrite = bool(later.get("overwrite"))

        def job() -> dict[str, Any]:
            final = core.checkpoint_dir(run.run_id, checkpoint_id)
            old = core.store.get_checkpoint(run.run_id, checkpoint_id)
            if old is not None and old.expires_at is not None and old.expires_at <= core.clock():
                core.delete_checkpoint_files(old)
                old = None
            if old is not None or final.exists():
                if not overwrite:
                    raise UserInputError(f"checkpoint tinker://{run.run_id}/{checkpoint_id} already exists")
                core.drop_archive(run.run_id, checkpoint_id)
                shutil.rmtree(final, ignore_errors=True)
            # Not named after the checkpoint: a 255-byte name plus a suffix would pass NAME_MAX.
            tmp = final.with_name(f".{uuid.uuid4().hex}.tmp")
            tmp.mkdir(parents=True)
            try:
                write(tmp)
                (tmp / "checkpoint_complete").touch()  # the marker real archives carry
                tmp.replace(final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            now = core.clock()
            row = CheckpointRow(
                run_id=run.run_id, checkpoint_id=checkpoint_id, kind=kind, owner=owner, created_at=now,
                size_bytes=_dir_size(final), public=False,
                expires_at=None if ttl is None else now + float(ttl),
            )  # fmt: skip
            core.store.put_checkpoint(row)
            self.v038.on_checkpoint_saved(row, later)
            core.store.touch_run(run.run_id, now)
            return {"path": row.tinker_path}

        return job

    async def save_weights(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        model_id = body["model_id"]
        run = core.active_run(model_id, owner)
        seq_id = body.get("seq_id")
        # Decision (spec): a null path lets the server pick a name; the seq_id keeps names unique.
        name = body.get("path") or f"{seq_id or 0:06d}"
        if (why := check_name(name)) is not None:
            raise HTTPError(400, f"path: {why}")
        save = self._save_job(
            owner, run, f"weights/{name}",
            lambda d: core.backend.save_state(model_id, d, optimizer=True), "training", body["_later"],
        )  # fmt: skip

        def job() -> dict[str, Any]:
            return {"type": "save_weights", **save()}

        return await self._ordered(request, owner, model_id, body, job, touch_run=False)

    async def save_weights_for_sampler(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        model_id = body["model_id"]
        run = core.active_run(model_id, owner)
        name = body.get("path")
        ssid = body.get("sampling_session_seq_id")
        if name is not None:
            if (why := check_name(name)) is not None:
                raise HTTPError(400, f"path: {why}")
            save = self._save_job(
                owner, run, f"sampler_weights/{name}",
                lambda d: core.backend.save_sampler_weights(model_id, d), "sampler", body["_later"],
            )  # fmt: skip

            def job() -> dict[str, Any]:
                return {"type": "save_weights_for_sampler", "sampling_session_id": None, **save()}

        elif ssid is not None:
            sampler_id = f"{run.session_id}:sample:{ssid}"

            def job() -> dict[str, Any]:
                # Ephemeral: not a checkpoint (never listed, not downloadable), kept for the sampler only.
                d = core.ephemeral_dir(sampler_id)
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir(parents=True)
                core.backend.save_sampler_weights(model_id, d)
                core.backend.create_sampler(sampler_id, run.base_model, d)
                core.loaded_samplers.add(sampler_id)
                core.store.add_sampler(
                    SamplerRow(
                        sampler_id=sampler_id, session_id=run.session_id, owner=owner,
                        base_model=run.base_model, model_path=None, created_at=core.clock(),
                        weights_dir=str(d),
                    )
                )  # fmt: skip
                return {"type": "save_weights_for_sampler", "path": None, "sampling_session_id": sampler_id}

        else:
            raise HTTPError(
                400, "save_weights_for_sampler needs a path (named save) or sampling_session_seq_id"
            )
        return await self._ordered(request, owner, model_id, body, job, touch_run=False)

    async def load_weights(self, request: Request, owner: str, body: Any) -> Response:
        if body["_later"].get("create_via_load"):
            return await self.v038.create_via_load(request, owner, body)
        core = self.core
        model_id = body["model_id"]
        run = core.active_run(model_id, owner)
        path = _parse_path_400(body["path"], "path")
        if path.kind != "weights":
            raise HTTPError(
                400,
                f"path: {path} is a sampler checkpoint; load_weights needs a weights/ checkpoint from save_state",
            )
        try:
            row = core.readable_checkpoint(path, owner)
        except HTTPError:
            # Observed production behaviour: a missing path is a 400 naming it.
            raise HTTPError(400, f"path: checkpoint {path} not found") from None
        source = core.store.get_run(row.run_id)
        if source is not None and source.base_model != run.base_model:
            raise HTTPError(
                400, f"path: {path} was trained from {source.base_model}, this model is {run.base_model}"
            )
        optimizer = bool(body["optimizer"])

        def job() -> dict[str, Any]:
            d = core.checkpoint_dir(row.run_id, row.checkpoint_id)
            if not d.is_dir():
                raise UserInputError(f"checkpoint {path} was deleted")
            core.backend.load_state(model_id, d, optimizer=optimizer)
            return {"type": "load_weights", "path": str(path)}

        return await self._ordered(request, owner, model_id, body, job, touch_run=True)

    # -- sampling -----------------------------------------------------------------------------------
    async def create_sampling_session(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        session = core.live_session(body["session_id"], owner)
        core.touch(session.session_id)
        sampler_id = f"{session.session_id}:sample:{body['sampling_session_seq_id']}"
        existing = core.store.get_sampler(sampler_id)
        if existing is not None:
            return _json({"type": "create_sampling_session", "sampling_session_id": sampler_id})
        row = self._sampler_row(
            owner, session.session_id, sampler_id, body.get("base_model"), body.get("model_path")
        )
        core.store.add_sampler(row)
        return _json({"type": "create_sampling_session", "sampling_session_id": sampler_id})

    def _sampler_row(
        self, owner: str, session_id: str, sampler_id: str, base_model: str | None, model_path: str | None
    ) -> SamplerRow:
        core = self.core
        weights_dir: str | None = None
        if model_path is not None:
            path = _parse_path_400(model_path, "model_path")
            if path.kind != "sampler_weights":
                # Decision (server-semantics open point 8): samplers load PEFT adapters, which only
                # save_weights_for_sampler writes; a weights/ checkpoint holds training state.
                raise HTTPError(
                    400, f"model_path: {path} is a training checkpoint; sample from a sampler_weights/ path"
                )
            try:
                ckpt = core.readable_checkpoint(path, owner)
            except HTTPError:
                raise HTTPError(400, f"model_path: checkpoint {path} not found") from None
            run = core.store.get_run(ckpt.run_id)
            base = run.base_model if run is not None else (base_model or "")
            weights_dir = str(core.checkpoint_dir(ckpt.run_id, ckpt.checkpoint_id))
            if base_model is not None and base_model != base:
                raise HTTPError(400, f"base_model {base_model!r} does not match {path}'s base model {base!r}")
        elif base_model is not None:
            base = base_model
        else:
            raise HTTPError(400, "give base_model or model_path")
        if base not in core.models:
            raise HTTPError(
                400, f"base_model {base!r} is not offered here; choose one of {sorted(core.models)}"
            )
        return SamplerRow(
            sampler_id=sampler_id, session_id=session_id, owner=owner, base_model=base,
            model_path=model_path, created_at=core.clock(), weights_dir=weights_dir,
        )  # fmt: skip

    async def asample(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        sid = body.get("sampling_session_id")
        if sid is not None:
            row = core.store.get_sampler(sid)
            if row is None or row.owner != owner:
                raise HTTPError(404, f"sampler {sid} not found")
            core.live_session(row.session_id, owner)
            core.touch(row.session_id)
        else:
            # Alternative addressing (never used by the official client): an implicit sampler per target.
            key = hashlib.sha256(
                f"{owner}|{body.get('base_model')}|{body.get('model_path')}".encode()
            ).hexdigest()
            sid = f"adhoc:{key[:24]}"
            row = core.adhoc_samplers.get(sid) or self._sampler_row(
                owner, "adhoc", sid, body.get("base_model"), body.get("model_path")
            )
            core.adhoc_samplers[sid] = row
        try:
            params = SamplingSpec.from_wire(body.get("sampling_params"))
        except (ValueError, TypeError) as e:
            raise HTTPError(400, f"sampling_params: {e}") from None
        num_samples = int(body.get("num_samples") or 1)
        topk = int(body.get("topk_prompt_logprobs") or 0)
        try:
            check_sampling(params, None)
            check_sample_counts(num_samples, topk)
        except UserInputError as e:
            raise HTTPError(400, str(e)) from None
        self._check_sample_ceilings(num_samples, params.max_tokens)
        try:
            prompt = model_input_tokens(body["prompt"])
        except ValueError as e:
            raise HTTPError(400, f"prompt: {e}") from None
        sampler = row
        later = body["_later"]
        want_prompt_lp = bool(body.get("prompt_logprobs"))
        # Split the samples into parts of about _SAMPLE_PART_TOKENS tokens: the compute worker runs one
        # part per turn, so other users' requests run between the parts of a big request.
        per_sample = params.max_tokens or DEFAULT_MAX_TOKENS_CAP
        chunk = max(1, _SAMPLE_PART_TOKENS // per_sample)
        starts = list(range(0, num_samples, chunk))
        if len(starts) > 1 and params.seed is None:
            # Every part must draw from one seed (sample j depends on the seed and j only).
            params = attrs.evolve(params, seed=random.SystemRandom().getrandbits(63))

        def load() -> None:
            if sampler.sampler_id not in core.loaded_samplers:
                wd = Path(sampler.weights_dir) if sampler.weights_dir else None
                if wd is not None and not wd.is_dir():
                    raise UserInputError(f"the weights of sampler {sampler.sampler_id} were deleted")
                core.backend.create_sampler(sampler.sampler_id, sampler.base_model, wd)
                core.loaded_samplers.add(sampler.sampler_id)

        # tinker >= 0.38 asks: checked in the first part (a bad ask fails the future, category user);
        # the prompt-level ones (target / alternative / last-n prompt logprobs) are computed there only.
        asked: list[SampleExtras] = []

        def part(first: int) -> Callable[[], dict[str, Any]]:
            def run() -> dict[str, Any]:
                load()
                if first == 0:
                    asked.append(_v038.sample_extras(later, len(prompt), want_prompt_lp))
                extras = asked[0] if first == 0 else SampleExtras(topk_sample=asked[0].topk_sample)
                kwargs = {"extras": extras} if extras.any else {}
                n = min(chunk, num_samples - first)
                return core.backend.sample(
                    sampler.sampler_id, prompt, n, params, want_prompt_lp and first == 0,
                    topk if first == 0 else 0, first_index=first, **kwargs,
                )  # fmt: skip

            return run

        def finish(outputs: list[dict[str, Any]]) -> dict[str, Any]:
            out = {"type": "sample", **outputs[0]}
            if len(outputs) > 1:
                out["sequences"] = [seq for o in outputs for seq in o["sequences"]]
            return _v038.apply_sample_extras(out, asked[0])

        job = SteppedJob(parts=[part(first) for first in starts], finish=finish)
        rid = core.submit(owner, None, job)
        # tinker >= 0.38 requires one id per sequence (provenance spans name them); older clients
        # ignore the extra field.
        ids = self.v038.sequence_ids(rid, num_samples)
        return _json({"request_id": rid, "model_id": None, "sample_sequence_ids": ids})

    def _check_sample_ceilings(self, num_samples: int, max_tokens: int | None) -> None:
        """422 naming the field when an asample asks for more than this server's ceilings."""
        cfg = self.core.config
        problems = []
        if num_samples > cfg.max_num_samples:
            problems.append(("num_samples", f"num_samples {num_samples} exceeds this server's ceiling "
                             f"{cfg.max_num_samples} (tinkex serve --max-num-samples)"))  # fmt: skip
        if max_tokens is not None and max_tokens > cfg.max_tokens:
            problems.append(("sampling_params/max_tokens", f"max_tokens {max_tokens} exceeds this server's "
                             f"ceiling {cfg.max_tokens} (tinkex serve --max-tokens)"))  # fmt: skip
        total = num_samples * (max_tokens or DEFAULT_MAX_TOKENS_CAP)
        if not problems and total > cfg.max_sampled_tokens:
            problems.append(("num_samples", f"num_samples x max_tokens = {total} exceeds this server's ceiling "
                             f"{cfg.max_sampled_tokens} tokens per request (tinkex serve --max-sampled-tokens); "
                             "split the request"))  # fmt: skip
        if problems:
            raise HTTPError(
                422,
                [{"loc": ["body", *field.split("/")], "pointer": f"/{field}", "msg": f"/{field}: {msg}",
                  "type": "maximum"} for field, msg in problems],
            )  # fmt: skip

    # -- futures ------------------------------------------------------------------------------------
    async def retrieve_future(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        rid = body["request_id"]
        if core.dice.roll_expire():
            core.futures.expire(rid)
        entry = core.futures.get(rid)
        if entry is None or entry.owner != owner:
            if core.futures.is_expired(rid):
                raise HTTPError(410, f"future {rid} expired; re-submit the request")
            raise HTTPError(404, f"future {rid} not found")
        if not entry.done:
            try:
                await asyncio.wait_for(entry.event.wait(), timeout=core.config.long_poll_s)
            except TimeoutError:
                status, pending = pending_reply(
                    core.config.faults.pending, rid, waits_for_others=core.worker.waits_for_others(entry)
                )
                return _json(pending, status)
            if core.futures.get(rid) is None:
                raise HTTPError(410, f"future {rid} expired; re-submit the request")
            if not entry.done:  # woken by a shutdown: answer "pending" now instead of holding it
                status, pending = pending_reply(core.config.faults.pending, rid)
                return _json(pending, status)
        entry.retrieved = True
        return _v038.future_response(entry, request.headers.get("accept"), body["_later"])

    # -- checkpoints and REST -----------------------------------------------------------------------
    async def weights_info(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        path = _parse_path_400(body["tinker_path"], "tinker_path")
        row = core.readable_checkpoint(path, owner)
        run = core.store.get_run(row.run_id)
        if run is None:
            raise HTTPError(404, f"checkpoint {path} not found")
        return _json({
            "base_model": run.base_model, "is_lora": True, "lora_rank": run.lora_rank,
            "train_unembed": run.train_unembed, "train_mlp": run.train_mlp, "train_attn": run.train_attn,
            **self.v038.optimizer_extra(run.run_id),
        })  # fmt: skip

    def _run_json(self, run: RunRow) -> dict[str, Any]:
        ckpts = self.core.store.checkpoints_of_run(run.run_id)
        last = next((c for c in reversed(ckpts) if c.kind == "training"), None)
        last_s = next((c for c in reversed(ckpts) if c.kind == "sampler"), None)
        return {
            "training_run_id": run.run_id, "base_model": run.base_model, "model_owner": run.owner,
            "is_lora": True, "corrupted": False, "lora_rank": run.lora_rank,
            "last_request_time": iso_time(run.last_request_time),
            "last_checkpoint": _checkpoint_json(last, self.v038.checkpoint_extra(last)) if last else None,
            "last_sampler_checkpoint": _checkpoint_json(last_s, self.v038.checkpoint_extra(last_s)) if last_s else None,
            "user_metadata": _string_map(run.user_metadata),
        }  # fmt: skip

    async def list_training_runs(self, request: Request, owner: str, body: Any) -> Response:
        limit, offset = _query_int(request, "limit", 20), _query_int(request, "offset", 0)
        self.core.reap_checkpoints()
        self.v038.check_access_scope(request)
        project = request.query_params.get("project_id")
        if project is None:
            runs, total = self.core.store.list_runs(owner, limit, offset)
        else:  # tinker 0.38: only runs of sessions in that project
            runs, total = self.v038.runs_in_project(owner, project, limit, offset)
        return _json({
            "training_runs": [self._run_json(r) for r in runs],
            "cursor": {"offset": offset, "limit": limit, "total_count": total},
        })  # fmt: skip

    async def get_training_run(self, request: Request, owner: str, body: Any) -> Response:
        self.v038.check_access_scope(request)
        return _json(self._run_json(self.core.owned_run(request.path_params["training_run_id"], owner)))

    async def list_checkpoints(self, request: Request, owner: str, body: Any) -> Response:
        run = self.core.owned_run(request.path_params["training_run_id"], owner)
        self.core.reap_checkpoints()
        rows = self.core.store.checkpoints_of_run(run.run_id)
        return _json(
            {
                "checkpoints": [_checkpoint_json(c, self.v038.checkpoint_extra(c)) for c in rows],
                "cursor": None,
            }
        )

    async def list_user_checkpoints(self, request: Request, owner: str, body: Any) -> Response:
        limit, offset = _query_int(request, "limit", 100), _query_int(request, "offset", 0)
        self.core.reap_checkpoints()
        rows, total = self.core.store.list_checkpoints(owner, limit, offset)
        return _json({
            "checkpoints": [_checkpoint_json(c, self.v038.checkpoint_extra(c)) for c in rows],
            "cursor": {"offset": offset, "limit": limit, "total_count": total},
        })  # fmt: skip

    async def delete_checkpoint(self, request: Request, owner: str, body: Any) -> Response:
        row = self.core.owned_checkpoint(_checkpoint_path(request), owner)
        self.core.delete_checkpoint_files(row)
        return Response(status_code=204)

    async def _set_public(self, request: Request, owner: str, public: bool) -> Response:
        path = _checkpoint_path(request)
        row = self.core.owned_checkpoint(path, owner)
        if row.public == public:
            # Decision (spec): 409 with x-should-retry false, or the 0.7.0 client retries it for minutes.
            state = "public" if public else "private"
            raise HTTPError(409, f"checkpoint {path} is already {state}", {"x-should-retry": "false"})
        self.core.store.set_public(row.run_id, row.checkpoint_id, public)
        return Response(status_code=204)

    async def set_checkpoint_ttl(self, request: Request, owner: str, body: Any) -> Response:
        """PUT .../ttl (0.13+; not in the 0.7.0 spec): `{"ttl_seconds": int | null}`, null = never expires."""
        row = self.core.owned_checkpoint(_checkpoint_path(request), owner)
        ttl = body.get("ttl_seconds")
        if ttl is not None and (type(ttl) is not int or ttl <= 0):
            raise HTTPError(400, "ttl_seconds must be a positive integer or null")
        expires = None if ttl is None else self.core.clock() + ttl
        self.core.store.set_expiry(row.run_id, row.checkpoint_id, expires)
        return Response(status_code=204)

    async def publish_checkpoint(self, request: Request, owner: str, body: Any) -> Response:
        return await self._set_public(request, owner, True)

    async def unpublish_checkpoint(self, request: Request, owner: str, body: Any) -> Response:
        return await self._set_public(request, owner, False)

    async def get_checkpoint_archive_url(self, request: Request, owner: str, body: Any) -> Response:
        core = self.core
        path = _checkpoint_path(request)
        core.readable_checkpoint(path, owner)
        expires = math.ceil(core.clock() + core.config.archive_url_ttl_s)
        storage_path = f"/storage/archive/{path.run_id}/{path.kind}/{path.name}"
        url = f"{str(request.base_url).rstrip('/')}{storage_path}?{sign_url(core.secret, storage_path, expires)}"
        return Response(status_code=302, headers={"Location": url, "Expires": http_date(expires)})

    async def list_sessions(self, request: Request, owner: str, body: Any) -> Response:
        self.v038.check_access_scope(request)
        limit, offset = _query_int(request, "limit", 20), _query_int(request, "offset", 0)
        rows, _total = self.core.store.list_sessions(owner, limit, offset)
        return _json({"sessions": [r.session_id for r in rows]})

    async def get_session(self, request: Request, owner: str, body: Any) -> Response:
        self.v038.check_access_scope(request)
        sid = request.path_params["session_id"]
        row = self.core.store.get_session(sid)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"session {sid} not found")
        return _json({
            "training_run_ids": [r.run_id for r in self.core.store.runs_of_session(sid)],
            "sampler_ids": [s.sampler_id for s in self.core.store.samplers_of_session(sid)],
            **self.v038.session_json_extra(sid),
        })  # fmt: skip

    async def get_sampler(self, request: Request, owner: str, body: Any) -> Response:
        sid = request.path_params["sampler_id"]
        row = self.core.store.get_sampler(sid) or self.core.adhoc_samplers.get(sid)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"sampler {sid} not found")
        return _json(
            {"sampler_id": row.sampler_id, "base_model": row.base_model, "model_path": row.model_path}
        )

    # -- storage (signed URLs; no API key) ----------------------------------------------------------
    async def storage(self, request: Request) -> Response:
        core = self.core
        p = request.path_params
        storage_path = f"/storage/archive/{p['run_id']}/{p['kind']}/{p['name']}"
        q = request.query_params
        why = verify_signature(core.secret, storage_path, q.get("expires"), q.get("sig"), core.clock())
        if why is not None:
            return _error(403, why)
        path = TinkerPath(run_id=p["run_id"], kind=p["kind"], name=p["name"])
        row = core.store.get_checkpoint(path.run_id, path.checkpoint_id)
        source = core.checkpoint_dir(path.run_id, path.checkpoint_id)
        if row is None or not source.is_dir():
            return _error(404, f"checkpoint {path} not found")
        key = str(core.archive_file(path.run_id, path.checkpoint_id))
        task = core.archive_builds.get(key)
        if task is None:
            target = core.archive_file(path.run_id, path.checkpoint_id)
            task = asyncio.ensure_future(asyncio.to_thread(build_archive, source, target))
            core.archive_builds[key] = task
        if not task.done():
            await asyncio.wait([task], timeout=core.config.archive_wait_s)
        if not task.done():
            return _error(503, "archive is being built; retry shortly", {"Retry-After": "1"})
        if task.exception() is not None:
            core.archive_builds.pop(key, None)
            log.error("building archive of %s failed", path, exc_info=task.exception())
            return _error(500, "building the archive failed")
        built = task.result()
        if not built.path.is_file():  # deleted meanwhile (checkpoint deleted): rebuild next time
            core.archive_builds.pop(key, None)
            return _error(404, f"checkpoint {path} not found")
        return _file_response(request, built)


def _file_response(request: Request, built: BuiltArchive) -> Response:
    headers = {
        "Accept-Ranges": "bytes",
        "X-Checksum-Sha256": built.sha256,
        "Content-Type": "application/gzip",
        "Content-Disposition": f'attachment; filename="{built.path.name}"',
        "ETag": f'"{built.sha256}"',  # strong: the bytes' digest, so resumers can send If-Range
    }
    if_range = request.headers.get("if-range")
    # RFC 9110 §13.1.5: a Range whose If-Range validator no longer matches gets the whole new file.
    range_header = request.headers.get("range") if if_range in (None, headers["ETag"]) else None
    rng = parse_range(range_header, built.size)
    if rng == "unsatisfiable":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{built.size}"})
    if rng is None or isinstance(rng, str):
        start, end, status = 0, built.size - 1, 200
    else:
        start, end, status = rng.start, rng.end, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{built.size}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)

    def chunks() -> Any:
        with built.path.open("rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                block = f.read(min(1 << 16, left))
                if not block:
                    break
                left -= len(block)
                yield block

    return StreamingResponse(chunks(), status_code=status, headers=headers)


def _operation(
    core: ServerCore, op_id: str, handler: Handler, *, has_body: bool
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with auth, faults, idempotent replay, parsing and validation (see module doc)."""

    async def endpoint(request: Request) -> Response:
        try:
            owner = core.authenticate(request.headers.get("x-api-key"))
        except HTTPError as e:
            return _error(e.status, e.detail)
        action = core.dice.roll()
        if action.delay_s:
            await asyncio.sleep(action.delay_s)
        if action.status == 503:
            return _error(503, "injected fault")
        if action.status == 429 and op_id != "retrieve_future":
            # Not on polls: every client up to 0.20 treats a 429 from retrieve_future as fatal.
            return _error(429, "injected rate limit", {"Retry-After": f"{action.retry_after_s:g}"})
        idem = request.headers.get("x-idempotency-key") if op_id in _REPLAYED else None
        response = await _handle(core, request, owner, op_id, handler, has_body, idem or None)
        return _DroppedResponse(response) if action.drop else response

    return endpoint


def _replay_headers(response: Response) -> dict[str, str]:
    skip = {"content-length", "content-type"}
    return {k: v for k, v in response.headers.items() if k.lower() not in skip}


def _request_digest(op_id: str, request: Request, raw: bytes) -> str:
    """What an X-Idempotency-Key is bound to: the operation, its path and query, and its body."""
    return f"{op_id} {request.url.path}?{request.url.query} {_body_hash(raw)}"


async def _handle(
    core: ServerCore,
    request: Request,
    owner: str,
    op_id: str,
    handler: Handler,
    has_body: bool,
    idem: str | None,
) -> Response:
    body: Any = None
    raw = b""
    if has_body:
        raw = await request.body()
        try:  # protobuf / zstd bodies of tinker >= 0.38; 415 for a content type no operation takes
            body, raw = decode_request_body(
                op_id, raw, request.headers.get("content-type"), request.headers.get("content-encoding")
            )
        except HTTPError as e:
            return _error(e.status, e.detail, e.headers)
        # Training batches: parsed and validated in one pass; None (or any other operation) takes the
        # generic path below, which also names the problems of an invalid body.
        if body is None:
            body = decode_hot_body(op_id, raw)
        if body is not None:
            body["_later"] = {}
        else:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                return _error(400, f"body is not valid JSON: {e}")
            if not isinstance(body, dict):
                return _error(400, "body must be a JSON object")
            later = {k: body.pop(k) for k in core.validator.later_fields.get(op_id, ()) if k in body}
            problems = _v038.upgrade_body(op_id, body, later)
            if problems:
                return _error(422, problems)
            problems = core.validator.check_body(op_id, body)
            problems += _later_problems(later)
            if problems:
                return _error(422, problems)
            body["_later"] = later
    # Replay only a validated request, and only to the same request (see ServerCore.replay).
    digest = _request_digest(op_id, request, raw) if idem else ""
    try:
        replay = core.replay(owner, idem, digest)
    except HTTPError as e:
        return _error(e.status, e.detail, e.headers)
    if replay is not None:
        status, content, hdrs = replay
        return Response(content, status_code=status, headers=hdrs, media_type="application/json")
    try:
        response = await handler(request, owner, body)
    except HTTPError as e:
        response = _error(e.status, e.detail, e.headers)
    if idem and response.status_code < 500:
        core.remember(
            owner, idem, digest, response.status_code, bytes(response.body), _replay_headers(response)
        )
    return response


# The routes are the spec's operations: the table `make gen` compiles out of openapi/tinker.yaml (both
# generations, each operation with its `since`), plus the later operations the table leaves out (those
# described only to be refused), read from the same document.
# Served without the operation wrapper (no auth, never faulted): the readiness probe.
_PLAIN = "healthz"


def _route_table(core: ServerCore) -> list[tuple[str, str, str, bool]]:
    """(operationId, method, path, has JSON body) of every operation the server answers."""
    table = [
        (op.operation_id, op.method, op.path, op.request_type is not None)
        for op in OPERATIONS.values()
        if op.operation_id != _PLAIN
    ]
    known = {row[0] for row in table}
    table += [row for row in core.validator.later_operations() if row[0] not in known]
    return table


async def _not_implemented(request: Request, owner: str, body: Any) -> Response:
    # An operation the spec gained that this server has no handler for yet: say so, not 404.
    return _error(
        501, f"{request.method} {request.url.path} is in the spec but not served by the local server"
    )


def _by_method(
    endpoints: dict[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint for the operations sharing a path (the Route only lets their methods through)."""
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def endpoint(request: Request) -> Response:
        return await endpoints[request.method](request)

    return endpoint


class _DropFilter(logging.Filter):
    """Keeps injected connection drops out of uvicorn's error log (they are on purpose)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


def create_app(core: ServerCore) -> Starlette:
    """The ASGI app over a `ServerCore` (the caller owns `core` and closes it).

    Example::

        app = create_app(ServerCore(config, NullBackend()))
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    """
    routes = _Routes(core)
    plain = OPERATIONS[_PLAIN]
    table: list[Route] = [Route(plain.path, routes.healthz, methods=[plain.method])]
    # Starlette tries routes in order, a regex match each (~3 us): the per-request ones go first.
    # Every path is distinct, so the order changes nothing else.
    hot = ("retrieve_future", "asample", "forward_backward", "forward", "optim_step", "session_heartbeat")
    # One Route per path: with one per (path, method), a wrong method got a 405 whose Allow header
    # named only the first route's method (`.../publish` answered `Allow: POST`, not `DELETE, POST`).
    by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for op_id, method, path, has_body in sorted(_route_table(core), key=lambda op: op[0] not in hot):
        handler: Handler = (
            getattr(routes, op_id, None)
            or (routes.v038.not_offered if op_id in _v038.NOT_OFFERED else getattr(routes.v038, op_id, None))
            or _not_implemented
        )
        by_path.setdefault(path, {})[method] = _operation(core, op_id, handler, has_body=has_body)
    for path, endpoints in by_path.items():
        table.append(Route(path, _by_method(endpoints), methods=sorted(endpoints)))
    table.append(Route("/storage/archive/{run_id}/{kind}/{name}", routes.storage, methods=["GET", "HEAD"]))
    table.append(
        Route("/storage/external/{run_id}/{name}/{file:path}", routes.v038.storage_external, methods=["GET"])
    )
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_DropFilter())
    app = Starlette(routes=table)
    cfg = core.config
    app.add_middleware(BodyLimit, max_body_bytes=cfg.max_body_bytes, body_timeout_s=cfg.body_timeout_s)
    return app
