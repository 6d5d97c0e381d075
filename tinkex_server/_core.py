"""The server's state and rules behind the HTTP routes: users, sessions and their expiry, ownership of
runs and checkpoints, futures and seq_id lanes, checkpoint directories and the archive cache.

`_app.py` turns requests into calls here; nothing here knows about Starlette.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from tinkex_server._archive import DEFAULT_ARCHIVE_URL_TTL_S, BuiltArchive
from tinkex_server._faults import FaultDice, FaultSpec
from tinkex_server._futures import (
    DEFAULT_FUTURE_TTL_S,
    DEFAULT_LONG_POLL_S,
    DEFAULT_SEQ_GAP_TIMEOUT_S,
    DEFAULT_SEQ_WINDOW,
    ComputeWorker,
    FutureEntry,
    FutureStore,
    Job,
    Lane,
)
from tinkex_server._limits import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
)
from tinkex_server._state import CheckpointRow, RunRow, SamplerRow, SessionRow, StateStore
from tinkex_server._validation import SpecValidator, find_spec
from tinkex_server._wire import TinkerPath
from tinkex_server.backends.base import Backend, BaseModelInfo

__all__ = [
    "DEFAULT_MAX_NUM_SAMPLES",
    "DEFAULT_MAX_SAMPLED_TOKENS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_SESSION_TIMEOUT_S",
    "HTTPError",
    "ServerConfig",
    "ServerCore",
    "owner_of_key",
]

log = logging.getLogger("tinkex_server")

# The official client heartbeats every 10 s and warns after 120 s without a successful beat
# (server-semantics.md §7.1); 300 s expires a session comfortably after that warning.
DEFAULT_SESSION_TIMEOUT_S = 300.0
# How long the storage route waits for an archive build before answering 503 + Retry-After.
DEFAULT_ARCHIVE_WAIT_S = 2.0
# How long an X-Idempotency-Key answer is replayed. The client's retries of one call span at most a
# few minutes (10 transport retries, <= 10 s apart).
IDEMPOTENCY_TTL_S = 3600.0
# At most this many remembered answers (~200 bytes each, ~20 MB in all): tinkex sends a key with every
# call, so a long sampling run would otherwise grow the table without bound. The oldest go first; a
# retry of a call comes within minutes, long before 100,000 later calls push its answer out.
IDEMPOTENCY_MAX_ANSWERS = 100_000


# asample ceilings (issue 12: an unbounded request stopped the server). RL recipes draw a few dozen
# samples of a few thousand tokens per prompt; these leave room for that and bound one request's
# work and result (num_samples x max_tokens tokens: ~5 MB of JSON at the product ceiling).
DEFAULT_MAX_NUM_SAMPLES = 128
DEFAULT_MAX_TOKENS = 8192
DEFAULT_MAX_SAMPLED_TOKENS = 262_144


class HTTPError(Exception):
    """An error answer: status + `{"detail": ...}` (+ headers). Messages never contain API keys."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def owner_of_key(api_key: str) -> str:
    """The user an API key stands for; a digest, so the key itself never lands in the database.

    Example::

        owner_of_key("tml-local-dev-key")  # -> "local:user:1f0c..."
    """
    return "local:user:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _positive(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


def _keys(_inst: object, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(k, str) and k for k in value):
        raise ValueError("api_keys must be a non-empty sequence of non-empty strings")  # never echo keys


@attrs.frozen
class ServerConfig:
    """Knobs of one server instance (see `LocalServer` for the user-facing names)."""

    data_dir: Path
    api_keys: tuple[str, ...] = attrs.field(repr=False, validator=_keys)  # secrets: never in reprs
    session_timeout_s: float = attrs.field(default=DEFAULT_SESSION_TIMEOUT_S, validator=_positive)
    long_poll_s: float = attrs.field(default=DEFAULT_LONG_POLL_S)
    future_ttl_s: float = attrs.field(default=DEFAULT_FUTURE_TTL_S, validator=_positive)
    seq_gap_timeout_s: float = attrs.field(default=DEFAULT_SEQ_GAP_TIMEOUT_S, validator=_positive)
    seq_window: int = attrs.field(default=DEFAULT_SEQ_WINDOW, validator=attrs.validators.ge(1))
    max_num_samples: int = attrs.field(default=DEFAULT_MAX_NUM_SAMPLES, validator=attrs.validators.ge(1))
    max_tokens: int = attrs.field(default=DEFAULT_MAX_TOKENS, validator=attrs.validators.ge(1))
    max_sampled_tokens: int = attrs.field(
        default=DEFAULT_MAX_SAMPLED_TOKENS, validator=attrs.validators.ge(1)
    )
    max_body_bytes: int = attrs.field(default=DEFAULT_MAX_BODY_BYTES, validator=attrs.validators.ge(1))
    body_timeout_s: float = attrs.field(default=DEFAULT_BODY_TIMEOUT_S, validator=_positive)
    idle_timeout_s: float = attrs.field(default=DEFAULT_IDLE_TIMEOUT_S, validator=_positive)
    max_connections: int = attrs.field(default=DEFAULT_MAX_CONNECTIONS, validator=attrs.validators.ge(1))
    archive_url_ttl_s: float = attrs.field(default=DEFAULT_ARCHIVE_URL_TTL_S, validator=_positive)
    archive_wait_s: float = attrs.field(default=DEFAULT_ARCHIVE_WAIT_S, validator=attrs.validators.ge(0))
    faults: FaultSpec = attrs.field(factory=FaultSpec)
    # Tell tinker >= 0.38 clients (client/config proto_compress_fwdbwd) to zstd their forward_backward
    # bodies: worth it across a network, pure CPU cost on one machine, hence off by default.
    zstd_fwdbwd: bool = False

    @long_poll_s.validator
    def _check_poll(self, _a: attrs.Attribute[float], value: float) -> None:
        # The client's read timeout on retrieve_future is 45 s; holding longer would look like a hang.
        if not 0 < value < 45:
            raise ValueError(f"long_poll_s must be within (0, 45), got {value}")


class ServerCore:
    """Everything one server instance knows. Lives on the event loop; backend calls go to `worker`.

    Example::

        core = ServerCore(ServerConfig(data_dir=Path("/tmp/d"), api_keys=("tml-k",)), NullBackend())
    """

    def __init__(
        self, config: ServerConfig, backend: Backend, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.backend = backend
        self.clock = clock
        self.users = {k: owner_of_key(k) for k in config.api_keys}
        self.store = StateStore(config.data_dir / "state.sqlite3")
        self.secret = self.store.secret()
        self.futures = FutureStore(clock, config.future_ttl_s)
        # Backends whose calls take microseconds say so (`runs_inline`; see ComputeWorker).
        self.worker = ComputeWorker(inline=bool(getattr(backend, "runs_inline", False)))
        self.dice = FaultDice(config.faults)
        self.validator = SpecValidator.load(find_spec())
        self.models: dict[str, BaseModelInfo] = {m.name: m for m in backend.supported_models()}
        self.lanes: dict[str, Lane] = {}
        self.live_models: set[str] = set()  # created (or being created) in this process
        self.create_requests: dict[str, str] = {}  # model_id -> create_model request_id
        self.loaded_samplers: set[str] = set()  # touched only on the compute thread
        self.adhoc_samplers: dict[str, SamplerRow] = {}
        # (owner, key) -> (time, request digest, status, body, headers), oldest first (see remember()).
        self.idempotent: collections.OrderedDict[
            tuple[str, str], tuple[float, str, int, bytes, dict[str, str]]
        ] = collections.OrderedDict()
        self.archive_builds: dict[str, asyncio.Task[BuiltArchive]] = {}
        self._seen: dict[str, float] = {}  # session_id -> last activity (persisted on heartbeats)
        self._last_reap = 0.0
        self._closed = False
        self._close_lock = threading.Lock()
        self._recover_files()

    def _recover_files(self) -> None:
        """After a crash (kill -9, power loss), make the data dir match the database: remove half-written
        checkpoint and archive files (`.*.tmp`) and checkpoint directories without a row (renamed into
        place, then killed before the row was written: their save never answered, so no client knows
        them)."""
        root = self.config.data_dir / "checkpoints"
        for kind_dir in root.glob("*/*"):
            if kind_dir.name not in ("weights", "sampler_weights") or not kind_dir.is_dir():
                continue
            run_id = kind_dir.parent.name
            for d in kind_dir.iterdir():
                stray = d.name.startswith(".") and d.name.endswith(".tmp")
                if stray or self.store.get_checkpoint(run_id, f"{kind_dir.name}/{d.name}") is None:
                    log.warning(
                        "removing %s left by an interrupted save", d.relative_to(self.config.data_dir)
                    )
                    shutil.rmtree(d, ignore_errors=True)
        for f in (self.config.data_dir / "archives").glob(".*.tmp"):
            f.unlink(missing_ok=True)

    # -- lifecycle ----------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the compute thread and close the database (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.worker.shutdown()
        self.store.close()

    # -- paths --------------------------------------------------------------------------------------
    def checkpoint_dir(self, run_id: str, checkpoint_id: str) -> Path:
        return self.config.data_dir / "checkpoints" / run_id / checkpoint_id

    def ephemeral_dir(self, sampler_id: str) -> Path:
        return self.config.data_dir / "ephemeral" / sampler_id

    def archive_file(self, run_id: str, checkpoint_id: str) -> Path:
        key = hashlib.sha256(f"{run_id}/{checkpoint_id}".encode()).hexdigest()[:32]
        return self.config.data_dir / "archives" / f"{key}.tar.gz"

    def drop_archive(self, run_id: str, checkpoint_id: str) -> None:
        """Forget the cached archive of a checkpoint (deleted, expired or overwritten)."""
        f = self.archive_file(run_id, checkpoint_id)
        self.archive_builds.pop(str(f), None)
        for p in (f, f.with_name(f.name + ".sha256")):
            p.unlink(missing_ok=True)

    # -- auth ---------------------------------------------------------------------------------------
    def authenticate(self, api_key: str | None) -> str:
        owner = self.users.get(api_key or "")
        if owner is None:
            raise HTTPError(401, "missing or invalid X-API-Key")
        return owner

    # -- sessions -----------------------------------------------------------------------------------
    def touch(self, session_id: str) -> None:
        self._seen[session_id] = self.clock()

    def _last_seen(self, row: SessionRow) -> float:
        return max(row.last_seen, self._seen.get(row.session_id, 0.0))

    def live_session(self, session_id: str, owner: str) -> SessionRow:
        """The caller's session if it is alive; 404 naming the reason otherwise."""
        row = self.store.get_session(session_id)
        if row is None or row.owner != owner:
            raise HTTPError(404, f"session {session_id} not found")
        if row.expired or self.clock() - self._last_seen(row) > self.config.session_timeout_s:
            self._expire(row)
            finished = self.store.get_extra("session", session_id).get("finished")
            if finished is not None:  # tinker >= 0.38 ended it (sessions/{id}/finish)
                raise HTTPError(
                    404,
                    f"session {session_id} was finished by its client ({finished['type']}); start a new one",
                )
            raise HTTPError(
                404,
                f"session {session_id} expired: no heartbeat for more than "
                f"{self.config.session_timeout_s:g} s; create a new ServiceClient",
            )
        return row

    def _expire(self, row: SessionRow) -> None:
        if not row.expired:
            log.info("session %s expired", row.session_id)
            self.store.expire_session(row.session_id)
        for run in self.store.runs_of_session(row.session_id):
            if run.run_id in self.live_models:
                self.forget_model(run.run_id)
                self.worker.call_soon(functools.partial(self.backend.unload_model, run.run_id))

    def forget_model(self, model_id: str) -> None:
        """Drop in-memory bookkeeping of a model that is being unloaded (its lane, its create future)."""
        self.live_models.discard(model_id)
        self.lanes.pop(model_id, None)
        self.create_requests.pop(model_id, None)

    def reap_sessions(self) -> None:
        """Expire sessions not heard from for `session_timeout_s` (at most every few seconds)."""
        now = self.clock()
        if now - self._last_reap < min(5.0, self.config.session_timeout_s / 4):
            return
        self._last_reap = now
        for row in self.store.live_sessions():
            if now - self._last_seen(row) > self.config.session_timeout_s:
                self._expire(row)

    # -- runs ---------------------------------------------------------------------------------------
    def owned_run(self, run_id: str, owner: str) -> RunRow:
        run = self.store.get_run(run_id)
        if run is None or run.owner != owner:
            raise HTTPError(404, f"model {run_id} not found")
        return run

    def active_run(self, model_id: str, owner: str) -> RunRow:
        """A run the caller may send training requests to: owned, session alive, model loaded here."""
        run = self.owned_run(model_id, owner)
        self.live_session(run.session_id, owner)
        if model_id not in self.live_models:
            raise HTTPError(
                404,
                f"model {model_id} is not loaded (unloaded, or the server restarted); "
                "create a training client from one of its checkpoints",
            )
        self.touch(run.session_id)
        return run

    # -- checkpoints --------------------------------------------------------------------------------
    def readable_checkpoint(self, path: TinkerPath, owner: str) -> CheckpointRow:
        """A checkpoint the caller may read: their own, or a public one. 404 otherwise (never 403:
        whether another user's private checkpoint exists is not revealed)."""
        row = self.store.get_checkpoint(path.run_id, path.checkpoint_id)
        if row is not None and row.expires_at is not None and row.expires_at <= self.clock():
            self.delete_checkpoint_files(row)
            row = None
        if row is None or (row.owner != owner and not row.public):
            raise HTTPError(404, f"checkpoint {path} not found")
        return row

    def owned_checkpoint(self, path: TinkerPath, owner: str) -> CheckpointRow:
        row = self.readable_checkpoint(path, owner)
        if row.owner != owner:
            raise HTTPError(404, f"checkpoint {path} not found")
        return row

    def reap_checkpoints(self) -> None:
        """Delete checkpoints whose TTL has passed (rows, directories and cached archives)."""
        for row in self.store.expired_checkpoints(self.clock()):
            log.info("checkpoint %s expired", row.tinker_path)
            self.delete_checkpoint_files(row)

    def delete_checkpoint_files(self, row: CheckpointRow) -> None:
        self.store.delete_checkpoint(row.run_id, row.checkpoint_id)
        shutil.rmtree(self.checkpoint_dir(row.run_id, row.checkpoint_id), ignore_errors=True)
        self.drop_archive(row.run_id, row.checkpoint_id)

    # -- futures ------------------------------------------------------------------------------------
    def new_future(self, owner: str, model_id: str | None) -> FutureEntry:
        return self.futures.create(owner, model_id)

    def lane(self, model_id: str) -> Lane:
        lane = self.lanes.get(model_id)
        if lane is None:
            lane = self.lanes[model_id] = Lane(window=self.config.seq_window)
        return lane

    def submit_ordered(
        self,
        owner: str,
        model_id: str,
        seq_id: int | None,
        body_hash: str,
        job: Callable[[], dict[str, Any]],
        on_success: Callable[[dict[str, Any]], None] | None = None,
    ) -> str:
        """Queue a training request in its model's seq_id order; returns the future's request_id."""
        lane = self.lane(model_id)
        admission = lane.admit(seq_id, body_hash)
        if admission.kind == "duplicate":
            assert admission.request_id is not None
            return admission.request_id
        if admission.kind in ("conflict", "behind", "too_far"):
            raise HTTPError(400, admission.message)
        entry = self.new_future(owner, model_id)
        lane.record(seq_id, entry.request_id, body_hash)
        pending = (entry, job, on_success)
        if admission.kind == "wait":
            assert seq_id is not None
            lane.park(seq_id, pending)
            asyncio.get_running_loop().call_later(
                self.config.seq_gap_timeout_s, self._gap_deadline, model_id, seq_id, lane.next_seq
            )
            return entry.request_id
        self._run_pending(pending)
        for ready in lane.ran(seq_id):
            self._run_pending(ready)
        return entry.request_id

    def _run_pending(self, pending: tuple[FutureEntry, Callable[[], dict[str, Any]], Any]) -> None:
        entry, job, on_success = pending
        self.worker.dispatch(self.futures, entry, job, on_success)

    def _gap_deadline(self, model_id: str, seq_id: int, _expected: int) -> None:
        lane = self.lanes.get(model_id)
        if lane is None:
            return
        missing = lane.next_seq
        ready = lane.skip_gap(seq_id)
        if not ready:
            return
        log.warning(
            "model %s: seq_id %d waited %g s for seq_id %d, which never arrived (a request the client "
            "gave up on); running it and the requests after it",
            model_id,
            seq_id,
            self.config.seq_gap_timeout_s,
            missing,
        )
        for pending in ready:
            self._run_pending(pending)

    def submit(
        self,
        owner: str,
        model_id: str | None,
        job: Job,
        on_success: Callable[[dict[str, Any]], None] | None = None,
    ) -> str:
        """Queue an unordered operation (create_model, sampling, unload)."""
        entry = self.new_future(owner, model_id)
        self.worker.dispatch(self.futures, entry, job, on_success)
        return entry.request_id

    # -- idempotency --------------------------------------------------------------------------------
    def replay(self, owner: str, key: str | None, digest: str) -> tuple[int, bytes, dict[str, str]] | None:
        """The remembered answer to (owner, key) when `digest` (operation + path + body) is the same;
        None when the key is new or expired; HTTPError 409 (x-should-retry: false) when the key was used
        for another request.

        The key is checked after the request was validated, so an invalid request never replays an
        answer, and a key reused for a different operation or body is refused, never answered with
        the first request's result (which would claim an operation ran that never did).
        """
        if not key:
            return None
        hit = self.idempotent.get((owner, key))
        if hit is None or self.clock() - hit[0] > IDEMPOTENCY_TTL_S:
            return None
        if hit[1] != digest:
            raise HTTPError(
                409,
                [{"loc": ["header", "X-Idempotency-Key"], "pointer": "header/X-Idempotency-Key",
                  "msg": "X-Idempotency-Key was already used for a different request (another operation, "
                         "path or body); send each logical call with a key of its own",
                  "type": "idempotency_key_reused"}],
                {"x-should-retry": "false"},
            )  # fmt: skip
        return hit[2], hit[3], hit[4]

    def remember(
        self, owner: str, key: str | None, digest: str, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        if not key:
            return
        now = self.clock()
        # Oldest first, so expired answers and the overflow leave from the front in O(1) each (the
        # former full scan past 10,000 entries cost ~1 ms per request once they were all fresh).
        answers = self.idempotent
        while answers:
            oldest = next(iter(answers.values()))
            if now - oldest[0] <= IDEMPOTENCY_TTL_S and len(answers) < IDEMPOTENCY_MAX_ANSWERS:
                break
            answers.popitem(last=False)
        answers[(owner, key)] = (now, digest, status, body, headers)
        answers.move_to_end((owner, key))
