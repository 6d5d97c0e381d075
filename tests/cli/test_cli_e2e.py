"""The `tinkex` CLI end to end against the local server (null backend) on 127.0.0.1: every command,
including a real archive download (503 "building" -> ready, checksum verified) and extraction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tinkex
from tinkex.cli import cli

tinkex_server = pytest.importorskip("tinkex_server")
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer
    from tinkex_server.backends.null import DEFAULT_NULL_MODEL

    with (
        LocalServer(backend="null") as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY) as sc,
    ):
        tc = sc.create_lora_training_client(base_model=DEFAULT_NULL_MODEL, rank=4)
        state = tc.save_state("0001").result(timeout=60).path
        sampler = tc.save_weights_for_sampler("final").result(timeout=60).path
        yield {
            "url": server.base_url,
            "key": DEFAULT_DEV_API_KEY,
            "run": tc.model_id,
            "state": state,
            "sampler": sampler,
            "session": sc.session_id,
            "model": DEFAULT_NULL_MODEL,
        }


def tx(world: dict[str, Any], *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--base-url", world["url"], "--api-key", world["key"], *args], input=input
    )


def js(world: dict[str, Any], *args: str) -> Any:
    result = tx(world, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_run_list_and_info(world: dict[str, Any]) -> None:
    runs = js(world, "run", "list")["runs"]
    assert world["run"] in [r["training_run_id"] for r in runs]
    info = js(world, "run", "info", world["run"])
    assert info["base_model"] == world["model"]
    text = tx(world, "run", "info", world["run"])
    assert "Rank 4" in text.output
    assert tx(world, "run", "info", "no-such-run").exit_code == 3


def test_checkpoint_list_and_info(world: dict[str, Any]) -> None:
    paths = [c["tinker_path"] for c in js(world, "checkpoint", "list")["checkpoints"]]
    assert {world["state"], world["sampler"]} <= set(paths)
    per_run = js(world, "checkpoint", "list", "--run-id", world["run"])
    assert {c["tinker_path"] for c in per_run["checkpoints"]} == {world["state"], world["sampler"]}
    info = js(world, "checkpoint", "info", world["sampler"])
    assert info["checkpoint_type"] == "sampler"
    missing = tx(world, "checkpoint", "info", f"tinker://{world['run']}/weights/nope")
    assert missing.exit_code == 3


def test_checkpoint_download_extracts_verified_archive(world: dict[str, Any], tmp_path: Path) -> None:
    data = js(world, "checkpoint", "download", world["sampler"], "-o", str(tmp_path))
    target = Path(data["destination"])
    assert target.parent == tmp_path
    assert target.name == world["sampler"].removeprefix("tinker://").replace("/", "_")
    assert data["file_size_bytes"] > 0
    assert len(data["sha256"]) == 64
    names = {p.name for p in target.iterdir()}
    assert "checkpoint_complete" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temp files left
    keep = js(world, "checkpoint", "download", world["state"], "-o", str(tmp_path), "--no-extract")
    assert Path(keep["destination"]).suffix == ".tar"


def test_publish_unpublish_conflict_and_delete(world: dict[str, Any]) -> None:
    path = world["state"]
    assert tx(world, "checkpoint", "publish", path).exit_code == 0
    assert js(world, "checkpoint", "info", path)["public"] is True
    again = tx(world, "checkpoint", "publish", path)
    assert again.exit_code == 1
    assert again.output.count("\n") == 1
    assert tx(world, "checkpoint", "unpublish", path).exit_code == 0
    assert js(world, "checkpoint", "info", path)["public"] is False
    # delete the sampler checkpoint last (other tests use it; module order is file order)


def test_session_list_and_info(world: dict[str, Any]) -> None:
    sessions = js(world, "session", "list", "--limit", "0")["sessions"]
    assert world["session"] in sessions
    info = js(world, "session", "info", world["session"])
    assert world["run"] in info["training_run_ids"]


def test_sample_tokens(world: dict[str, Any]) -> None:
    out = js(
        world, "sample", "--base-model", world["model"], "--tokens", "1,2,3", "-n", "2", "--max-tokens", "5"
    )
    assert out["prompt_tokens"] == [1, 2, 3]
    assert len(out["samples"]) == 2
    assert all(1 <= len(s["tokens"]) <= 5 for s in out["samples"])
    text = tx(world, "sample", "--model-path", world["sampler"], "--tokens", "4 5", "--max-tokens", "3")
    assert text.exit_code == 0, text.output
    assert "--- sample 0" in text.output


def test_wrong_key_exit_4(world: dict[str, Any]) -> None:
    bad = "tml-" + "w" * 40
    result = CliRunner().invoke(cli, ["--base-url", world["url"], "--api-key", bad, "run", "list"])
    assert result.exit_code == 4
    assert bad not in result.output


def test_unreachable_server_exit_5() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--base-url",
            "http://127.0.0.1:9",
            "--api-key",
            "tml-" + "u" * 40,
            "--max-retries",
            "0",
            "run",
            "list",
        ],
    )
    assert result.exit_code == 5, result.output


def test_delete_last(world: dict[str, Any]) -> None:
    path = world["sampler"]
    assert tx(world, "checkpoint", "delete", path, "--yes").exit_code == 0
    assert tx(world, "checkpoint", "info", path).exit_code == 3


def test_serve_help_goes_to_the_server() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "Run a local Tinker-compatible server" in result.output
    assert "--backend" in result.output


def test_sample_text_prompt_uses_the_tokenizer(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class ByteTokenizer:  # stands in for the HF tokenizer (no hub access in tests)
        def encode(self, text: str) -> list[int]:
            return list(text.encode())

        def decode(self, ids: list[int]) -> str:
            return bytes(i % 256 for i in ids).decode("latin-1")

    monkeypatch.setattr(tinkex.SamplingClient, "get_tokenizer", lambda self: ByteTokenizer())
    out = js(world, "sample", "hi", "--base-model", world["model"], "--max-tokens", "4", "--seed", "1")
    assert out["prompt_tokens"] == [104, 105]
    (sample,) = out["samples"]
    assert sample["text"] == ByteTokenizer().decode(sample["tokens"])


@pytest.fixture(scope="module")
def torch_world() -> Iterator[dict[str, Any]]:
    pytest.importorskip("torch")
    from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

    with (
        LocalServer(backend="torch") as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY) as sc,
    ):
        tc = sc.create_lora_training_client(base_model="tinkex/micro-llama", rank=4)
        sampler = tc.save_weights_for_sampler("cli").result(timeout=60).path
        yield {"url": server.base_url, "key": DEFAULT_DEV_API_KEY, "sampler": sampler, "sc": sc}


def test_sample_text_prompt_end_to_end_with_the_servers_tokenizer(torch_world: dict[str, Any]) -> None:
    # No stand-in: the CLI asks the server which tokenizer the checkpoint uses (a local directory
    # shipped with the tiny model), encodes the text, samples for real and decodes the completion.
    out = js(
        torch_world, "sample", "hello", "--model-path", torch_world["sampler"], "--max-tokens", "5", "-n", "2"
    )
    tok = torch_world["sc"].create_sampling_client(model_path=torch_world["sampler"]).get_tokenizer()
    assert out["prompt_tokens"] == tok.encode("hello")
    assert tok.decode(out["prompt_tokens"]).endswith("hello")
    assert len(out["samples"]) == 2
    for s in out["samples"]:
        assert 1 <= len(s["tokens"]) <= 5
        assert s["text"] == tok.decode(s["tokens"])
    text = tx(torch_world, "sample", "hi there", "--model-path", torch_world["sampler"], "--max-tokens", "3")
    assert text.exit_code == 0, text.output
    assert "--- sample 0 (stop: " in text.output


def test_sample_text_prompt_on_a_base_model(torch_world: dict[str, Any]) -> None:
    out = js(torch_world, "sample", "hello", "--base-model", "tinkex/micro-llama", "--max-tokens", "3")
    assert out["samples"][0]["text"] is not None
