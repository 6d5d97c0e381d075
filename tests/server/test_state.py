"""The metadata store's in-memory copies never disagree with SQLite: every write is visible to the
next read, through the same store and through a new one on the same file (a restart)."""

from __future__ import annotations

from pathlib import Path

import attrs

from tinkex_server._state import RunRow, SamplerRow, StateStore


def _run(run_id: str = "s:train:0") -> RunRow:
    return RunRow(
        run_id=run_id, session_id="s", owner="u", base_model="m", lora_rank=4, seed=None, train_unembed=True,
        train_mlp=True, train_attn=False, user_metadata={"k": [1, 2]}, created_at=1.0, last_request_time=1.0,
    )  # fmt: skip


def _sampler(model_path: str | None = None) -> SamplerRow:
    return SamplerRow(
        sampler_id="s:sample:0", session_id="s", owner="u", base_model="m", model_path=model_path,
        created_at=2.0, weights_dir=None,
    )  # fmt: skip


def test_reads_after_writes_match_the_database(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    assert store.get_session("s") is None  # a miss is not remembered as "absent"
    store.add_session("s", owner="u", now=1.0, tags=["a"], user_metadata={"x": 1}, sdk_version="0.7.0")
    first = store.get_session("s")
    assert first is not None
    assert (first.tags, first.user_metadata, first.last_seen, first.expired) == (["a"], {"x": 1}, 1.0, False)
    store.touch_session("s", 5.0)
    assert store.get_session("s") == attrs.evolve(first, last_seen=5.0)
    store.expire_session("s")
    store.touch_session("s", 9.0)  # an expired session is not touched (the SQL says expired=0)
    assert store.get_session("s") == attrs.evolve(first, last_seen=5.0, expired=True)

    assert store.get_run("s:train:0") is None
    store.add_run(_run())
    assert store.get_run("s:train:0") == _run()
    store.touch_run("s:train:0", 7.0)
    assert store.get_run("s:train:0") == attrs.evolve(_run(), last_request_time=7.0)

    store.add_sampler(_sampler())
    assert store.get_sampler("s:sample:0") == _sampler()
    store.add_sampler(_sampler("tinker://r/sampler_weights/x"))  # INSERT OR REPLACE
    assert store.get_sampler("s:sample:0") == _sampler("tinker://r/sampler_weights/x")

    restarted = StateStore(path)
    for key in ("s",):
        assert restarted.get_session(key) == store.get_session(key)
    assert restarted.get_run("s:train:0") == store.get_run("s:train:0")
    assert restarted.get_sampler("s:sample:0") == store.get_sampler("s:sample:0")
    store.delete_run("s:train:0")
    assert store.get_run("s:train:0") is None
    store.close()
    restarted.close()
