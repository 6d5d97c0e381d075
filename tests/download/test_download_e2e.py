"""download_checkpoint(_async) with the real RestClient against the local server (null backend):
302 to the signed storage URL, 503 while the archive is built, checksum verified, safe extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

import tinkex
from tinkex._download import download_checkpoint, download_checkpoint_async

pytest.importorskip("tinkex_server")
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_async_checkpoint_download_from_local_server(tmp_path: Path) -> None:
    from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
    from tinkex_server.backends.null import DEFAULT_NULL_MODEL

    with (
        LocalServer(backend="null") as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY) as sc,
    ):
        tc = await sc.create_lora_training_client_async(base_model=DEFAULT_NULL_MODEL, rank=2)
        path = (await (await tc.save_weights_for_sampler_async("s1")).result_async(timeout=60)).path
        rest = sc.create_rest_client()
        seen: list[tuple[int, int | None]] = []
        got = await download_checkpoint_async(rest, path, tmp_path, progress=lambda d, t: seen.append((d, t)))
        assert got.path == tmp_path / path.removeprefix("tinker://").replace("/", "_")
        assert "checkpoint_complete" in listing(got.path)
        assert seen[-1][0] == got.size_bytes
        # the same archive again, synchronously, kept as a .tar this time
        kept = download_checkpoint(rest, path, tmp_path, extract=False)
        assert kept.sha256 == got.sha256
        assert listing(tmp_path) == sorted([got.path.name, kept.path.name])  # no temp files left
