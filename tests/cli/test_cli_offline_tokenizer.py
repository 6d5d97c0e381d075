"""`tinkex sample` with a text prompt on the null backend, offline: the server names the local
byte-level tokenizer, so the CLI answers in seconds without the hub; and a server that offers no
tokenizer gets an immediate error telling the user to pass token ids. The CLI runs in a subprocess
whose Hugging Face endpoint is a dead local port and whose hub cache is empty, so any hub access
would fail or hang on retries (the subprocess timeout bounds it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("tinkex_server")
pytest.importorskip("transformers")
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# Generous: a fresh interpreter importing transformers on a loaded machine. The old behaviour (hub
# retries for "tinkex/null") took ~45 s and then failed, which this bound and the asserts both catch.
CLI_TIMEOUT_S = 60


def _dead_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(url: str, tmp: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    from tinkex_server import DEFAULT_DEV_API_KEY

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(
        HF_ENDPOINT=f"http://127.0.0.1:{_dead_port()}",
        HF_HOME=str(tmp / "hf-home"),
        TINKER_BASE_URL=url,
        TINKER_API_KEY=DEFAULT_DEV_API_KEY,
    )
    return subprocess.run(
        [sys.executable, "-m", "tinkex.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


@pytest.fixture
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "models"
    monkeypatch.setenv("TINKEX_MODEL_CACHE", str(cache))
    return cache


@pytest.fixture
def null_server(model_cache: Path) -> Iterator[str]:
    from tinkex_server import LocalServer

    with LocalServer(backend="null") as server:
        yield server.base_url


def test_text_prompt_on_the_null_backend_uses_the_local_byte_tokenizer(
    null_server: str, model_cache: Path, tmp_path: Path
) -> None:
    result = _cli(
        null_server, tmp_path, "--json", "sample", "1+2=", "--base-model", "tinkex/null",
        "--max-tokens", "4", "--seed", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Retrying" not in result.stderr
    out = json.loads(result.stdout)
    # The tiny models' byte-level tokenizer: bos (256), then one id per byte.
    assert out["prompt_tokens"] == [256, *b"1+2="]
    (sample,) = out["samples"]
    assert len(sample["tokens"]) == 4
    assert isinstance(sample["text"], str)
    assert (model_cache / "tinkex--byte-tokenizer" / "tokenizer.json").is_file()


def test_prompt_file_and_output_file(null_server: str, tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("héllo\n", encoding="utf-8")
    dest = tmp_path / "out.json"
    result = _cli(
        null_server, tmp_path, "--json", "sample", "--prompt-file", str(prompt), "-o", str(dest),
        "--base-model", "tinkex/null", "--max-tokens", "3", "-n", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # the document went to the file
    out = json.loads(dest.read_text())
    # One trailing newline dropped; the text is UTF-8 bytes after bos.
    assert out["prompt_tokens"] == [256, *"héllo".encode()]
    assert len(out["samples"]) == 2
    text_dest = tmp_path / "out.txt"
    result = _cli(
        null_server, tmp_path, "sample", "--prompt-file", "-", "--output", str(text_dest),
        "--base-model", "tinkex/null", "--max-tokens", "2",
    stdin="1+1=")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote 1 sample(s) to" in result.stderr
    assert text_dest.read_text().startswith("--- sample 0 (stop: ")


def test_a_server_without_a_tokenizer_gets_an_immediate_hint_to_pass_token_ids(tmp_path: Path) -> None:
    from tinkex_server import LocalServer
    from tinkex_server.backends.null import NullBackend

    with LocalServer(backend=NullBackend(tokenizer=False)) as server:
        result = _cli(server.base_url, tmp_path, "sample", "hi", "--base-model", "tinkex/null")
        tokens = _cli(server.base_url, tmp_path, "--json", "sample", "--tokens", "1,2", "--base-model",
                      "tinkex/null", "--max-tokens", "2")  # fmt: skip
    assert result.returncode == 1
    assert "offers no tokenizer for 'tinkex/null'" in result.stderr
    assert "--tokens 1,2,3" in result.stderr
    assert "Retrying" not in result.stderr
    assert tokens.returncode == 0, tokens.stderr
    assert len(json.loads(tokens.stdout)["samples"][0]["tokens"]) == 2
