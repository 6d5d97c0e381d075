"""`tinkex sample` refuses bad --prompt-file / --output / prompt combinations before any request."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tinkex.cli import cli

# Nothing listens here: any request would fail with exit 5 (connection), not the usage exit 2.
DEAD = ["--base-url", "http://127.0.0.1:9", "--api-key", "tml-test-key"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*DEAD, "sample", "--base-model", "m", *args])
    return result.exit_code, result.output


def test_output_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("--tokens", "1,2", "-o", str(tmp_path / "nope" / "out.txt"))
    assert code == 2
    assert "--output" in out
    assert "does not exist" in out
    code, out = run("--tokens", "1,2", "--output", str(tmp_path))
    assert code == 2
    assert "is a directory" in out


def test_a_missing_or_binary_prompt_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("--prompt-file", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "--prompt-file" in out
    assert "missing.txt" in out
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    code, out = run("--prompt-file", str(binary))
    assert code == 2
    assert "not UTF-8" in out


def test_exactly_one_prompt_source(tmp_path: Path) -> None:
    prompt = tmp_path / "p.txt"
    prompt.write_text("x")
    for args in (("hi", "--prompt-file", str(prompt)), ("--tokens", "1", "--prompt-file", str(prompt)), ()):
        code, out = run(*args)
        assert code == 2, args
        assert "exactly one of a PROMPT text, --prompt-file or --tokens" in out
