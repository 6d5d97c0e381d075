"""RestClient over the fake server: every operation, futures vs _async return conventions, the
archive redirect (never followed), 409 reported at once, and the lazy paging iterators."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient


def test_runs_and_checkpoints(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    assert rc.get_training_run("run-3").result(timeout=10).training_run_id == "run-3"
    assert (
        rc.get_training_run_by_tinker_path("tinker://run-4/weights/a").result(timeout=10).training_run_id
        == "run-4"
    )
    page = rc.list_training_runs(limit=3, offset=1).result(timeout=10)
    assert [r.training_run_id for r in page.training_runs] == ["run-1", "run-2", "run-3"]
    assert server.ops("list_training_runs")[0].query == {"limit": "3", "offset": "1"}
    cps = rc.list_checkpoints("run-1").result(timeout=10)
    assert [c.checkpoint_id for c in cps.checkpoints] == ["weights/a", "sampler_weights/b"]
    assert rc.list_user_checkpoints(limit=2).result(timeout=10).cursor.total_count == 5  # type: ignore[union-attr]
    info = rc.get_weights_info_by_tinker_path("tinker://run-1/weights/a").result(timeout=10)
    assert (info.base_model, info.lora_rank) == ("tiny-model", 4)
    assert server.ops("weights_info")[0].body == {"tinker_path": "tinker://run-1/weights/a"}
    assert rc.get_session("s1").result(timeout=10).training_run_ids == ["run-1"]
    assert rc.list_sessions().result(timeout=10).sessions == ["s0", "s1", "s2"]
    assert rc.get_sampler("sess-1:sample:0").result(timeout=10).base_model == "tiny-model"


def test_delete_publish_unpublish_paths(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    rc.delete_checkpoint("run-1", "weights/a").result(timeout=10)
    rc.delete_checkpoint_from_tinker_path("tinker://run:train:0/sampler_weights/b").result(timeout=10)
    rc.publish_checkpoint_from_tinker_path("tinker://run-1/weights/a").result(timeout=10)
    rc.unpublish_checkpoint_from_tinker_path("tinker://run-1/weights/a").result(timeout=10)
    assert [(c.method, c.path) for c in server.calls] == [
        ("DELETE", "/api/v1/training_runs/run-1/checkpoints/weights/a"),
        ("DELETE", "/api/v1/training_runs/run:train:0/checkpoints/sampler_weights/b"),
        ("POST", "/api/v1/training_runs/run-1/checkpoints/weights/a/publish"),
        ("DELETE", "/api/v1/training_runs/run-1/checkpoints/weights/a/publish"),
    ]


def test_publish_409_is_reported_at_once(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    server.script("publish_checkpoint", json_response(409, {"detail": "already public"}))
    with pytest.raises(tinkex.ConflictError, match="already public"):
        rc.publish_checkpoint_from_tinker_path("tinker://run-1/weights/a").result(timeout=10)
    assert len(server.ops("publish_checkpoint")) == 1


def test_bad_tinker_path_is_a_local_validation_error(client: ServiceClient, server: FakeTinker) -> None:
    rc = client.create_rest_client()
    with pytest.raises(ValueError, match="tinker://"):
        rc.delete_checkpoint_from_tinker_path("run-1/weights/a")
    assert not server.calls


def test_archive_url_from_302_without_following(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    res = rc.get_checkpoint_archive_url_from_tinker_path("tinker://run-1/weights/a").result(timeout=10)
    assert res.url == "https://files.example/signed/a.tar?sig=x"
    assert res.expires == dt.datetime(2025, 12, 3, 1, 15, tzinfo=dt.UTC)
    assert [c.op for c in server.calls] == ["get_checkpoint_archive_url"]  # the signed URL was not fetched


def test_archive_url_without_expires_and_json_form(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    server.script("get_checkpoint_archive_url", httpx.Response(302, headers={"location": "https://x/y"}))
    before = dt.datetime.now(dt.UTC)
    res = rc.get_checkpoint_archive_url("run-1", "weights/a").result(timeout=10)
    assert before + dt.timedelta(minutes=14) < res.expires < before + dt.timedelta(minutes=16)
    server.script(
        "get_checkpoint_archive_url",
        json_response(200, {"url": "https://x/z", "expires": "2030-01-01T00:00:00Z"}),
    )
    assert rc.get_checkpoint_archive_url("run-1", "weights/a").result(timeout=10).url == "https://x/z"
    server.script("get_checkpoint_archive_url", httpx.Response(302))
    with pytest.raises(tinkex.APIResponseValidationError, match="Location"):
        rc.get_checkpoint_archive_url("run-1", "weights/a").result(timeout=10)


def test_paging_iterators(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    runs = list(rc.iter_training_runs(page_size=3))
    assert [r.training_run_id for r in runs] == [f"run-{i}" for i in range(7)]
    assert [c.query["offset"] for c in server.ops("list_training_runs")] == ["0", "3", "6"]
    assert len(list(rc.iter_user_checkpoints(page_size=2))) == 5
    assert list(rc.iter_sessions(page_size=2)) == ["s0", "s1", "s2"]


async def test_async_twins_and_iterators(server: FakeTinker, client: ServiceClient) -> None:
    rc = client.create_rest_client()
    assert (await rc.get_training_run_async("run-1")).training_run_id == "run-1"
    assert (await rc.list_training_runs_async(limit=2)).cursor.total_count == 7
    assert len((await rc.list_checkpoints_async("run-1")).checkpoints) == 2
    await rc.delete_checkpoint_from_tinker_path_async("tinker://run-1/weights/a")
    await rc.publish_checkpoint_from_tinker_path_async("tinker://run-1/weights/a")
    await rc.unpublish_checkpoint_from_tinker_path_async("tinker://run-1/weights/a")
    assert (await rc.get_checkpoint_archive_url_from_tinker_path_async("tinker://run-1/weights/a")).url
    assert (await rc.get_weights_info_by_tinker_path_async("tinker://run-1/weights/a")).is_lora
    assert (await rc.get_sampler_async("s:sample:0")).sampler_id == "s:sample:0"
    assert (await rc.get_session_async("s")).sampler_ids == []
    assert (await rc.list_sessions_async()).sessions
    assert [r.training_run_id async for r in rc.aiter_training_runs(page_size=4)] == [
        f"run-{i}" for i in range(7)
    ]
    assert len([c async for c in rc.aiter_user_checkpoints(page_size=10)]) == 5
    assert [s async for s in rc.aiter_sessions(page_size=10)] == ["s0", "s1", "s2"]


def test_rest_calls_need_no_session(server: FakeTinker, client: ServiceClient) -> None:
    client.create_rest_client().list_sessions().result(timeout=10)
    assert not server.ops("create_session")
