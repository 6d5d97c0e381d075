"""The tinker 0.38 public API of tinkex end to end against the local server (null backend): a session
with a display name, checkpoints with TTLs (expiry visible in listings), user metadata, Dimuon, the
session finished by close(), a standalone RestClient and an AdminClient.

The runtime is put on the 0.38 protocol by hand (`Runtime.protocol`), as the client/config
negotiation does once it answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex import types
from tinkex._deprecations import _announced
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(backend="null", long_poll_s=0.5) as srv:
        yield srv


def _038(client: Any) -> Any:
    # The local server speaks tinker 0.38: the client's own negotiation (client/config) says so.
    rt = (client._rest if isinstance(client, tinkex.AdminClient) else client)._rt
    assert rt.negotiated_protocol() == "0.38"
    return client


def _datum() -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints([1, 2, 3]), loss_fn_inputs={"target_tokens": [2, 3, 4]}
    )


def test_0_38_keywords_and_clients_end_to_end(server: LocalServer) -> None:
    sc = _038(
        tinkex.ServiceClient(
            api_key=DEFAULT_DEV_API_KEY, base_url=server.base_url, telemetry=False, display_name="e2e run"
        )
    )
    tc = sc.create_lora_training_client(
        base_model="tinkex/null", rank=4, optimizer=types.DimuonOptimizerConfig()
    ).result(timeout=60)
    tc.forward_backward([_datum()], "cross_entropy").result(timeout=60)
    tc.optim_step(types.DimuonParams(learning_rate=0.02)).result(timeout=60)
    kept = tc.save_state("kept", user_metadata={"stage": "sft"}).result(timeout=60).path
    short = tc.save_state("short", ttl_seconds=5).result(timeout=60).path
    tc.save_state("kept", overwrite=True, user_metadata={"stage": "sft2"}).result(timeout=60)
    session_id = sc.session_id
    assert session_id is not None

    # A RestClient on its own connection: the session's display name, the checkpoints and their TTLs.
    with _038(tinkex.RestClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY)) as rc:
        assert rc.get_session(session_id).result(timeout=30).display_name == "e2e run"
        listed = {c.tinker_path: c for c in rc.list_checkpoints(tc.model_id).result(timeout=30).checkpoints}
        assert listed[kept].user_metadata == {"stage": "sft2"}
        assert listed[kept].expires_at is None
        assert listed[short].expires_at is not None
        rc.set_checkpoint_ttl_from_tinker_path(kept, 3600).result(timeout=30)
        listed = {c.tinker_path: c for c in rc.list_checkpoints(tc.model_id).result(timeout=30).checkpoints}
        assert listed[kept].expires_at is not None
        # The short TTL ends: the checkpoint leaves the listings (the server's clock moves on).
        assert server.core is not None
        real = server.core.clock
        server.core.clock = lambda: real() + 10
        try:
            listed = {c.tinker_path for c in rc.list_checkpoints(tc.model_id).result(timeout=30).checkpoints}
            assert short not in listed
            assert kept in listed
        finally:
            server.core.clock = real

    with _038(tinkex.AdminClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY)) as admin:
        usage = admin.get_current_checkpoint_storage_usage().result(timeout=30)
        assert isinstance(usage, types.CurrentCheckpointStorageUsageResponse)
        audit = admin.get_audit_log().result(timeout=30)
        assert isinstance(audit, types.AuditLogResponse)

    # 0.7.0-style use of the creation future still works on the same server (announced once per
    # process: forget earlier announcements of this test run).
    _announced.clear()
    legacy = sc.create_lora_training_client(base_model="tinkex/null", rank=4)
    with pytest.warns(FutureWarning):
        legacy.forward_backward([_datum()], "cross_entropy").result(timeout=60)

    sc.close("success", "e2e done")
    with _038(tinkex.RestClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY)) as rc:
        found = rc.search_sessions(types.SessionSearchRequest(display_name="e2e run")).result(timeout=30)
        summary = next(s for s in found.sessions if s.session_id == session_id)
        assert summary.status is not None
        assert "finish" in str(summary.status).lower() or "success" in str(summary.status).lower()
