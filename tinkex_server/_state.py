"""Durable metadata of the local server: sessions, training runs, checkpoints and samplers in SQLite.

One file, `<data_dir>/state.sqlite3`, written through one connection guarded by a lock (the event
loop and the compute thread both write). Times are Unix seconds here and ISO 8601 `Z` on the wire.
A restart on the same data directory sees everything that was committed. Sessions, runs and samplers
are also kept in memory once read (every write goes through this class, which updates or drops the
copy under the same lock), so the per-request lookups of sampling and training skip SQLite.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs

__all__ = ["CheckpointRow", "RunRow", "SamplerRow", "SessionRow", "StateStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at REAL NOT NULL, last_seen REAL NOT NULL,
    tags TEXT NOT NULL, user_metadata TEXT, sdk_version TEXT, expired INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, owner TEXT NOT NULL, base_model TEXT NOT NULL,
    lora_rank INTEGER, seed INTEGER, train_unembed INTEGER NOT NULL, train_mlp INTEGER NOT NULL,
    train_attn INTEGER NOT NULL, user_metadata TEXT, created_at REAL NOT NULL,
    last_request_time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    run_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT NOT NULL,
    created_at REAL NOT NULL, size_bytes INTEGER, public INTEGER NOT NULL DEFAULT 0, expires_at REAL,
    PRIMARY KEY (run_id, checkpoint_id));
CREATE TABLE IF NOT EXISTS samplers (
    sampler_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, owner TEXT NOT NULL, base_model TEXT NOT NULL,
    model_path TEXT, created_at REAL NOT NULL, weights_dir TEXT);
-- What tinker >= 0.38 adds to a session, run or checkpoint (display_name, project_id, finish reason,
-- optimizer_config, user_metadata), as one JSON object per row: kept beside the tables above so
-- 0.7.0-era rows and code stay as they are.
CREATE TABLE IF NOT EXISTS extras (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key));
"""


@attrs.frozen
class SessionRow:
    session_id: str
    owner: str
    created_at: float
    last_seen: float
    tags: list[str]
    user_metadata: dict[str, Any] | None
    sdk_version: str | None
    expired: bool


@attrs.frozen
class RunRow:
    run_id: str
    session_id: str
    owner: str
    base_model: str
    lora_rank: int | None
    seed: int | None
    train_unembed: bool
    train_mlp: bool
    train_attn: bool
    user_metadata: dict[str, Any] | None
    created_at: float
    last_request_time: float


@attrs.frozen
class CheckpointRow:
    run_id: str
    checkpoint_id: str  # "weights/<name>" or "sampler_weights/<name>"
    kind: str  # "training" | "sampler"
    owner: str
    created_at: float
    size_bytes: int | None
    public: bool
    expires_at: float | None

    @property
    def tinker_path(self) -> str:
        return f"tinker://{self.run_id}/{self.checkpoint_id}"


@attrs.frozen
class SamplerRow:
    sampler_id: str
    session_id: str
    owner: str
    base_model: str
    model_path: str | None
    created_at: float
    weights_dir: str | None


_Row = TypeVar("_Row", "SessionRow", "RunRow", "SamplerRow")


def _session(r: sqlite3.Row) -> SessionRow:
    return SessionRow(
        session_id=r["session_id"], owner=r["owner"], created_at=r["created_at"], last_seen=r["last_seen"],
        tags=json.loads(r["tags"]), user_metadata=json.loads(r["user_metadata"]) if r["user_metadata"] else None,
        sdk_version=r["sdk_version"], expired=bool(r["expired"]),
    )  # fmt: skip


def _seed_column(seed: int | None) -> int | str | None:
    # Seeds are unbounded JSON integers; SQLite integers are 64-bit, so larger ones are kept as text,
    # prefixed: the column's INTEGER affinity would turn plain digits into a lossy REAL.
    return seed if seed is None or -(2**63) <= seed < 2**63 else f"int:{seed}"


def _seed_value(column: int | str | None) -> int | None:
    if isinstance(column, str):
        return int(column.removeprefix("int:"))
    return column


def _run(r: sqlite3.Row) -> RunRow:
    return RunRow(
        run_id=r["run_id"], session_id=r["session_id"], owner=r["owner"], base_model=r["base_model"],
        lora_rank=r["lora_rank"], seed=_seed_value(r["seed"]), train_unembed=bool(r["train_unembed"]),
        train_mlp=bool(r["train_mlp"]), train_attn=bool(r["train_attn"]),
        user_metadata=json.loads(r["user_metadata"]) if r["user_metadata"] else None,
        created_at=r["created_at"], last_request_time=r["last_request_time"],
    )  # fmt: skip


def _ckpt(r: sqlite3.Row) -> CheckpointRow:
    return CheckpointRow(
        run_id=r["run_id"], checkpoint_id=r["checkpoint_id"], kind=r["kind"], owner=r["owner"],
        created_at=r["created_at"], size_bytes=r["size_bytes"], public=bool(r["public"]),
        expires_at=r["expires_at"],
    )  # fmt: skip


def _sampler(r: sqlite3.Row) -> SamplerRow:
    return SamplerRow(
        sampler_id=r["sampler_id"], session_id=r["session_id"], owner=r["owner"], base_model=r["base_model"],
        model_path=r["model_path"], created_at=r["created_at"], weights_dir=r["weights_dir"],
    )  # fmt: skip


class StateStore:
    """SQLite-backed metadata; every method is one short transaction.

    Example::

        store = StateStore(Path("/tmp/data") / "state.sqlite3")
        store.add_session("s1", owner="u", now=0.0, tags=[], user_metadata=None, sdk_version="0.7.0")
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # Rows by id, as read from the database; written through (see the module docstring).
        self._sessions: dict[str, SessionRow] = {}
        self._runs: dict[str, RunRow] = {}
        self._samplers: dict[str, SamplerRow] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def _cached(
        self, cache: dict[str, _Row], key: str, sql: str, convert: Callable[[sqlite3.Row], _Row]
    ) -> _Row | None:
        with self._lock:
            row = cache.get(key)
            if row is None:
                found = self._db.execute(sql, (key,)).fetchone()
                if found is None:
                    return None
                row = cache[key] = convert(found)
            return row

    # -- meta ---------------------------------------------------------------------------------------
    def secret(self) -> bytes:
        """The per-server HMAC secret for signed archive URLs; created once, survives restarts."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key='url_secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                db.execute("INSERT INTO meta(key, value) VALUES ('url_secret', ?)", (value,))
                return bytes.fromhex(value)
            return bytes.fromhex(row["value"])

    # -- sessions -----------------------------------------------------------------------------------
    def add_session(
        self, session_id: str, *, owner: str, now: float, tags: list[str],
        user_metadata: dict[str, Any] | None, sdk_version: str | None,
    ) -> None:  # fmt: skip
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (session_id, owner, now, now, json.dumps(tags),
                 None if user_metadata is None else json.dumps(user_metadata), sdk_version),
            )  # fmt: skip
            self._sessions.pop(session_id, None)

    def get_session(self, session_id: str) -> SessionRow | None:
        return self._cached(self._sessions, session_id, "SELECT * FROM sessions WHERE session_id=?", _session)

    def touch_session(self, session_id: str, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET last_seen=? WHERE session_id=? AND expired=0", (now, session_id))
            row = self._sessions.get(session_id)
            if row is not None and not row.expired:
                self._sessions[session_id] = attrs.evolve(row, last_seen=now)

    def expire_session(self, session_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET expired=1 WHERE session_id=?", (session_id,))
            row = self._sessions.get(session_id)
            if row is not None:
                self._sessions[session_id] = attrs.evolve(row, expired=True)

    def list_sessions(self, owner: str, limit: int, offset: int) -> tuple[list[SessionRow], int]:
        rows = self._all(
            "SELECT * FROM sessions WHERE owner=? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (owner, limit, offset),
        )
        total = self._all("SELECT COUNT(*) AS n FROM sessions WHERE owner=?", (owner,))[0]["n"]
        return [_session(r) for r in rows], int(total)

    def live_sessions(self) -> list[SessionRow]:
        return [_session(r) for r in self._all("SELECT * FROM sessions WHERE expired=0")]

    # -- runs ---------------------------------------------------------------------------------------
    def add_run(self, run: RunRow) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.run_id, run.session_id, run.owner, run.base_model, run.lora_rank, _seed_column(run.seed),
                 int(run.train_unembed), int(run.train_mlp), int(run.train_attn),
                 None if run.user_metadata is None else json.dumps(run.user_metadata),
                 run.created_at, run.last_request_time),
            )  # fmt: skip
            self._runs.pop(run.run_id, None)

    def delete_run(self, run_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM runs WHERE run_id=?", (run_id,))
            self._runs.pop(run_id, None)

    def get_run(self, run_id: str) -> RunRow | None:
        return self._cached(self._runs, run_id, "SELECT * FROM runs WHERE run_id=?", _run)

    def touch_run(self, run_id: str, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET last_request_time=? WHERE run_id=?", (now, run_id))
            row = self._runs.get(run_id)
            if row is not None:
                self._runs[run_id] = attrs.evolve(row, last_request_time=now)

    def list_runs(self, owner: str, limit: int, offset: int) -> tuple[list[RunRow], int]:
        rows = self._all(
            "SELECT * FROM runs WHERE owner=? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (owner, limit, offset),
        )
        total = self._all("SELECT COUNT(*) AS n FROM runs WHERE owner=?", (owner,))[0]["n"]
        return [_run(r) for r in rows], int(total)

    def runs_of_session(self, session_id: str) -> list[RunRow]:
        rows = self._all("SELECT * FROM runs WHERE session_id=? ORDER BY created_at, rowid", (session_id,))
        return [_run(r) for r in rows]

    # -- checkpoints --------------------------------------------------------------------------------
    def put_checkpoint(self, c: CheckpointRow) -> None:
        """Insert or replace (an `overwrite` save replaces the row and resets `public`)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (c.run_id, c.checkpoint_id, c.kind, c.owner, c.created_at, c.size_bytes, int(c.public),
                 c.expires_at),
            )  # fmt: skip

    def get_checkpoint(self, run_id: str, checkpoint_id: str) -> CheckpointRow | None:
        rows = self._all(
            "SELECT * FROM checkpoints WHERE run_id=? AND checkpoint_id=?", (run_id, checkpoint_id)
        )
        return _ckpt(rows[0]) if rows else None

    def delete_checkpoint(self, run_id: str, checkpoint_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM checkpoints WHERE run_id=? AND checkpoint_id=?", (run_id, checkpoint_id))

    def set_public(self, run_id: str, checkpoint_id: str, public: bool) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE checkpoints SET public=? WHERE run_id=? AND checkpoint_id=?",
                (int(public), run_id, checkpoint_id),
            )

    def set_expiry(self, run_id: str, checkpoint_id: str, expires_at: float | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE checkpoints SET expires_at=? WHERE run_id=? AND checkpoint_id=?",
                (expires_at, run_id, checkpoint_id),
            )

    def checkpoints_of_run(self, run_id: str) -> list[CheckpointRow]:
        rows = self._all("SELECT * FROM checkpoints WHERE run_id=? ORDER BY created_at, rowid", (run_id,))
        return [_ckpt(r) for r in rows]

    def list_checkpoints(self, owner: str, limit: int, offset: int) -> tuple[list[CheckpointRow], int]:
        rows = self._all(
            "SELECT * FROM checkpoints WHERE owner=? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (owner, limit, offset),
        )
        total = self._all("SELECT COUNT(*) AS n FROM checkpoints WHERE owner=?", (owner,))[0]["n"]
        return [_ckpt(r) for r in rows], int(total)

    def expired_checkpoints(self, now: float) -> list[CheckpointRow]:
        rows = self._all("SELECT * FROM checkpoints WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
        return [_ckpt(r) for r in rows]

    # -- extras (tinker >= 0.38 fields) ---------------------------------------------------------------
    def put_extra(self, kind: str, key: str, value: dict[str, Any]) -> None:
        """Merge `value` into the extras of (kind, key): kind is "session", "run" or "checkpoint"."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM extras WHERE kind=? AND key=?", (kind, key)).fetchone()
            merged = {**(json.loads(row["value"]) if row else {}), **value}
            db.execute("INSERT OR REPLACE INTO extras VALUES (?, ?, ?)", (kind, key, json.dumps(merged)))

    def get_extra(self, kind: str, key: str) -> dict[str, Any]:
        rows = self._all("SELECT value FROM extras WHERE kind=? AND key=?", (kind, key))
        return dict(json.loads(rows[0]["value"])) if rows else {}

    def drop_extra(self, kind: str, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM extras WHERE kind=? AND key=?", (kind, key))

    # -- samplers -----------------------------------------------------------------------------------
    def add_sampler(self, s: SamplerRow) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO samplers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    s.sampler_id,
                    s.session_id,
                    s.owner,
                    s.base_model,
                    s.model_path,
                    s.created_at,
                    s.weights_dir,
                ),
            )
            self._samplers.pop(s.sampler_id, None)

    def get_sampler(self, sampler_id: str) -> SamplerRow | None:
        return self._cached(self._samplers, sampler_id, "SELECT * FROM samplers WHERE sampler_id=?", _sampler)

    def samplers_of_session(self, session_id: str) -> list[SamplerRow]:
        rows = self._all(
            "SELECT * FROM samplers WHERE session_id=? ORDER BY created_at, rowid", (session_id,)
        )
        return [_sampler(r) for r in rows]
