"""The `tinkex` CLI through click's CliRunner against a scripted Tinker API (httpx.MockTransport
injected through ServiceClient's public `_transport` hook) and a real storage server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result

import tinkex
from tinkex.cli import cli, main
from tinkex.cli._commands import _exit_code

try:
    from download._server import ArchiveServer, Resource
except ImportError:  # pragma: no cover
    from tests.download._server import ArchiveServer, Resource  # type: ignore[no-redef]

KEY = "tml-" + "k" * 40
TIME = "2025-12-03T01:00:00Z"


def ck(run: str, kind: str, name: str, size: int | None = 1536, public: bool = False) -> dict[str, Any]:
    return {
        "checkpoint_id": f"{kind}/{name}",
        "checkpoint_type": "training" if kind == "weights" else "sampler",
        "time": TIME,
        "tinker_path": f"tinker://{run}/{kind}/{name}",
        "size_bytes": size,
        "public": public,
    }


def run_obj(i: int) -> dict[str, Any]:
    return {
        "training_run_id": f"run-{i}",
        "base_model": "tiny-llama",
        "model_owner": "me",
        "is_lora": True,
        "lora_rank": 8,
        "corrupted": i == 2,
        "last_request_time": TIME,
        "last_checkpoint": ck(f"run-{i}", "weights", "0001"),
        "last_sampler_checkpoint": None,
        "user_metadata": {"team": "a"},
    }


class FakeAPI:
    """A scripted Tinker API: records requests, answers the REST endpoints."""

    def __init__(self, runs: int = 45, archive_url: str = "http://127.0.0.1:9/none") -> None:
        self.runs = [run_obj(i) for i in range(runs)]
        self.checkpoints = [
            ck("run-1", "weights", "0001"),
            ck("run-1", "sampler_weights", "final", 2**30, True),
        ]
        self.requests: list[httpx.Request] = []
        self.archive_url = archive_url
        self.deleted: list[str] = []
        self.public: dict[str, bool] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("x-api-key") != KEY:
            return httpx.Response(401, json={"detail": "Invalid API key"})
        p, m, q = request.url.path, request.method, request.url.params
        if p == "/api/v1/training_runs":
            lim, off = int(q.get("limit", 20)), int(q.get("offset", 0))
            page = self.runs[off : off + lim]
            return httpx.Response(
                200,
                json={
                    "training_runs": page,
                    "cursor": {"offset": off, "limit": lim, "total_count": len(self.runs)},
                },
            )
        if p.startswith("/api/v1/training_runs/"):
            parts = p.split("/")[4:]
            run = parts[0]
            if run not in {r["training_run_id"] for r in self.runs}:
                return httpx.Response(404, json={"detail": f"training run {run} not found"})
            if len(parts) == 1:
                return httpx.Response(200, json=next(r for r in self.runs if r["training_run_id"] == run))
            if len(parts) == 2:
                return httpx.Response(
                    200,
                    json={
                        "checkpoints": [
                            c for c in self.checkpoints if c["tinker_path"].startswith(f"tinker://{run}/")
                        ],
                        "cursor": None,
                    },
                )
            path = f"tinker://{run}/{parts[2]}/{parts[3]}"
            if len(parts) == 5 and parts[4] == "archive":
                return httpx.Response(302, headers={"Location": self.archive_url})
            if len(parts) == 5 and parts[4] == "publish":
                want = m == "POST"
                if self.public.get(path, False) == want:
                    return httpx.Response(409, json={"detail": "already in that state"})
                self.public[path] = want
                return httpx.Response(204)
            if len(parts) == 4 and m == "DELETE":
                self.deleted.append(path)
                return httpx.Response(204)
        if p == "/api/v1/checkpoints":
            lim, off = int(q.get("limit", 100)), int(q.get("offset", 0))
            return httpx.Response(
                200,
                json={
                    "checkpoints": self.checkpoints[off : off + lim],
                    "cursor": {"offset": off, "limit": lim, "total_count": len(self.checkpoints)},
                },
            )
        if p == "/api/v1/sessions":
            return httpx.Response(200, json={"sessions": ["s-1", "s-2"]})
        if p == "/api/v1/sessions/s-1":
            return httpx.Response(200, json={"training_run_ids": ["run-1"], "sampler_ids": []})
        if p.startswith("/api/v1/sessions/"):
            return httpx.Response(404, json={"detail": "no such session"})
        return httpx.Response(404, json={"detail": f"unscripted {m} {p}"})


def invoke(api: FakeAPI, args: list[str], *, key: str = KEY, input: str | None = None) -> Result:
    obj = {"client_kwargs": {"_transport": httpx.MockTransport(api), "base_url": "http://tinker.test"}}
    runner = CliRunner()
    return runner.invoke(cli, ["--api-key", key, *args], obj=obj, input=input)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"tinkex {tinkex.__version__}"
    result = CliRunner().invoke(cli, ["--json", "version"])
    assert json.loads(result.output) == {"version": tinkex.__version__}


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for line in ["130  interrupted", "3    not found", "4    authentication", "TINKER_API_KEY"]:
        assert line in result.output


def test_run_list_table_pages_and_title() -> None:
    api = FakeAPI(runs=45)
    result = invoke(api, ["run", "list", "--limit", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "30 training runs (15 more not shown, use --limit to see more)"
    assert lines[1].split() == ["Run", "ID", "Base", "Model", "Owner", "LoRA", "Last", "Update", "Status"]
    assert "Rank 8" in lines[3]
    assert any("run-2" in ln and "Failed" in ln for ln in lines)
    assert len(lines) == 3 + 30


def test_run_list_json_all_pages() -> None:
    api = FakeAPI(runs=245)
    result = invoke(api, ["--json", "run", "list", "--limit", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["training_run_id"] for r in data["runs"]] == [f"run-{i}" for i in range(245)]
    assert data["total_count"] == 245
    offsets = [int(r.url.params["offset"]) for r in api.requests if r.url.path == "/api/v1/training_runs"]
    assert offsets == [0, 100, 200]


def test_run_info_and_not_found_exit_code() -> None:
    api = FakeAPI()
    result = invoke(api, ["run", "info", "run-1"])
    assert result.exit_code == 0, result.output
    assert "Last Training Checkpoint" in result.output
    assert "tinker://run-1/weights/0001" in result.output
    assert "Metadata: team" in result.output
    missing = invoke(api, ["run", "info", "nope"])
    assert missing.exit_code == 3
    assert missing.output.count("\n") == 1  # one line, no traceback
    assert missing.output.startswith("tinkex: error: ")
    assert "Traceback" not in missing.output


def test_debug_shows_traceback() -> None:
    result = invoke(FakeAPI(), ["--debug", "run", "info", "nope"])
    assert result.exit_code == 3
    assert "Traceback" in result.output


def test_bad_key_is_exit_4_and_never_printed() -> None:
    bad = "tml-" + "z" * 40
    result = invoke(FakeAPI(), ["run", "list"], key=bad)
    assert result.exit_code == 4
    assert bad not in result.output
    assert "z" * 20 not in result.output


def test_checkpoint_list_info_json() -> None:
    api = FakeAPI()
    result = invoke(api, ["checkpoint", "list"])
    assert result.exit_code == 0, result.output
    assert "1.0 GB" in result.output
    assert "1.5 KB" in result.output
    data = json.loads(invoke(api, ["checkpoint", "list", "--run-id", "run-1", "--json"]).output)
    assert data["run_id"] == "run-1"
    assert [c["checkpoint_id"] for c in data["checkpoints"]] == ["weights/0001", "sampler_weights/final"]
    info = invoke(api, ["checkpoint", "info", "tinker://run-1/sampler_weights/final"])
    assert info.exit_code == 0, info.output
    assert "Public" in info.output
    assert "Yes" in info.output
    gone = invoke(api, ["checkpoint", "info", "tinker://run-1/weights/9999"])
    assert gone.exit_code == 3
    assert "not found" in gone.output


def test_bad_tinker_path_is_usage_error_before_any_request() -> None:
    api = FakeAPI()
    result = invoke(api, ["checkpoint", "publish", "run-1/weights/x"])
    assert result.exit_code == 2
    assert "tinker://" in result.output
    assert api.requests == []


def test_publish_unpublish_and_conflict() -> None:
    api = FakeAPI()
    path = "tinker://run-1/weights/0001"
    assert invoke(api, ["checkpoint", "publish", path]).exit_code == 0
    assert api.public[path] is True
    again = invoke(api, ["checkpoint", "publish", path])
    assert again.exit_code == 1
    assert "409" in again.output
    # 409 is reported at once, not retried for minutes
    assert sum(1 for r in api.requests if r.url.path.endswith("/publish")) == 2
    out = invoke(api, ["--json", "checkpoint", "unpublish", path])
    assert json.loads(out.output) == {"tinker_path": path, "public": False}


def test_delete_asks_and_respects_no() -> None:
    api = FakeAPI()
    paths = ["tinker://run-1/weights/0001", "tinker://run-1/sampler_weights/final"]
    no = invoke(api, ["checkpoint", "delete", *paths], input="n\n")
    assert no.exit_code == 0
    assert "Deletion cancelled." in no.output
    assert api.deleted == []
    yes = invoke(api, ["checkpoint", "delete", *paths, "--yes"])
    assert yes.exit_code == 0, yes.output
    assert api.deleted == paths


def test_session_list_and_info() -> None:
    api = FakeAPI()
    data = json.loads(invoke(api, ["--json", "session", "list"]).output)
    assert data == {"sessions": ["s-1", "s-2"]}
    info = invoke(api, ["session", "info", "s-1"])
    assert info.exit_code == 0
    assert "run-1" in info.output
    assert invoke(api, ["session", "info", "s-404"]).exit_code == 3


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_checkpoint_download_end_to_end(storage: ArchiveServer, tmp_path: Path) -> None:
    payload = b"\x01" * 300_000
    storage.resources["/signed/ckpt.tar"] = Resource(_tar({"adapter_model.safetensors": payload}))
    api = FakeAPI(archive_url=storage.url("/signed/ckpt.tar"))
    path = "tinker://run-1/sampler_weights/final"
    result = invoke(api, ["--json", "checkpoint", "download", path, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    target = tmp_path / "run-1_sampler_weights_final"
    assert data["destination"] == str(target)
    assert (target / "adapter_model.safetensors").read_bytes() == payload
    # the storage host never saw the API key
    assert all("x-api-key" not in h for _, h in storage.requests)
    again = invoke(api, ["checkpoint", "download", path, "-o", str(tmp_path)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    forced = invoke(api, ["checkpoint", "download", path, "-o", str(tmp_path), "--force", "--progress"])
    assert forced.exit_code == 0, forced.output
    assert "Downloaded" in forced.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-1_sampler_weights_final"]


def test_checkpoint_download_malicious_archive_fails_cleanly(storage: ArchiveServer, tmp_path: Path) -> None:
    storage.resources["/evil"] = Resource(_tar({"../../evil": b"x"}))
    api = FakeAPI(archive_url=storage.url("/evil"))
    result = invoke(api, ["checkpoint", "download", "tinker://run-1/weights/0001", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "Refusing to extract" in result.output
    assert not (tmp_path / "o").exists()  # not even the output directory it would have made


def test_checkpoint_download_size_limit(storage: ArchiveServer, tmp_path: Path) -> None:
    storage.resources["/big"] = Resource(_tar({"adapter_model.safetensors": b"\x01" * 300_000}))
    api = FakeAPI(archive_url=storage.url("/big"))
    path = "tinker://run-1/weights/0001"
    result = invoke(
        api, ["checkpoint", "download", path, "-o", str(tmp_path / "o"), "--max-extract-size", "100K"]
    )
    assert result.exit_code == 1
    assert "over the limit of 100.0 KiB" in result.output
    assert "--max-extract-size" in result.output
    assert not (tmp_path / "o").exists()
    result = invoke(
        api, ["checkpoint", "download", path, "-o", str(tmp_path / "o"), "--max-extract-size", "1M"]
    )
    assert result.exit_code == 0, result.output
    result = invoke(
        api, ["checkpoint", "download", path, "-o", str(tmp_path / "p"), "--max-extract-size", "lots"]
    )
    assert result.exit_code == 2
    assert "not a size" in result.output


def test_sample_requires_exactly_one_prompt_form() -> None:
    result = invoke(FakeAPI(), ["sample", "--base-model", "m"])
    assert result.exit_code == 2
    assert "PROMPT" in result.output


def test_serve_reports_missing_server_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tinkex_server"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "pip install 'tinkex[server]'" in result.output


def test_main_returns_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert main(["no-such-command"]) == 2


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (KeyboardInterrupt(), 130),
        (tinkex.NotFoundError("x", status_code=404), 3),
        (tinkex.AuthenticationError("x", status_code=401), 4),
        (tinkex.PermissionDeniedError("x", status_code=403), 4),
        (tinkex.APIConnectionError(), 5),
        (tinkex.APITimeoutError(), 5),
        # the epilog promises 5 for "connection error or timeout": a future's deadline is a timeout
        (tinkex.FutureTimeoutError("sample did not finish within 60 s"), 5),
        (tinkex.TinkexValidationError("f", "bad"), 2),
        (click.UsageError("bad"), 2),
        (tinkex.ConflictError("x", status_code=409), 1),
        (tinkex.InternalServerError("x", status_code=500), 1),
        (RuntimeError("boom"), 1),
    ],
)
def test_exit_code_table(exc: BaseException, code: int) -> None:
    assert _exit_code(exc) == code


def test_ctrl_c_exits_130_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tinkex.cli import _commands

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_commands, "_download_checkpoint", lambda: interrupted)
    result = invoke(FakeAPI(), ["checkpoint", "download", "tinker://run-1/weights/0001", "-o", str(tmp_path)])
    assert result.exit_code == 130
    assert result.output == "tinkex: interrupted\n"


def test_progress_bar_draws_on_stderr() -> None:
    from tinkex.cli._format import ProgressBar

    buf = io.StringIO()
    bar = ProgressBar("downloading", enabled=True, stream=buf)
    bar.update(512, 1024)
    bar.update(1024, 1024)
    bar.close()
    text = buf.getvalue()
    assert "100.0%" in text
    assert text.endswith("\n")
    quiet = io.StringIO()
    off = ProgressBar("x", enabled=False, stream=quiet)
    off.update(1, 2)
    off.close()
    assert quiet.getvalue() == ""


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("args", "code", "error_type"),
    [
        (["--json", "run", "info", "nope"], 3, "NotFoundError"),
        (["run", "info", "nope", "--json"], 3, "NotFoundError"),
        (["-f", "json", "run", "info", "nope"], 3, "NotFoundError"),
        (["-f", "json", "run", "list", "--bogus"], 2, "NoSuchOption"),
        (["--json", "checkpoint", "info", "tinker://run-1/weights/9999"], 3, "NotFound"),
        (["--json", "checkpoint", "publish", "run-1/weights/x"], 2, "TinkexValidationError"),
        (["--json", "sample", "--base-model", "m"], 2, "UsageError"),
        (["--json", "run", "list", "--bogus"], 2, "NoSuchOption"),
        (["--json", "no-such-command"], 2, "NoSuchCommand"),
        (["--json", "run", "list", "--limit", "-3"], 2, "BadParameter"),
    ],
)
def test_json_errors_are_valid_json_on_stdout(args: list[str], code: int, error_type: str) -> None:
    # scripts parse stdout whatever happened; the one human line still goes to stderr
    result = invoke(FakeAPI(), args)
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert data["error"]["exit_code"] == code
    assert data["error"]["type"].endswith(error_type)
    assert data["error"]["message"]
    assert result.stderr.strip()


def test_json_error_for_auth_and_connection_failures_hides_the_key() -> None:
    bad = "tml-" + "z" * 40
    result = invoke(FakeAPI(), ["--json", "run", "list"], key=bad)
    assert result.exit_code == 4
    data = json.loads(result.stdout)
    assert data["error"]["status_code"] == 401
    assert bad not in result.output
    obj = {"client_kwargs": {"_transport": httpx.MockTransport(_refused), "base_url": "http://tinker.test"}}
    down = CliRunner().invoke(cli, ["--api-key", KEY, "--max-retries", "0", "--json", "run", "list"], obj=obj)
    assert down.exit_code == 5
    assert json.loads(down.stdout)["error"]["type"] == "APIConnectionError"
    assert KEY not in down.output


def test_main_json_usage_error_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "no-such-command"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"]["exit_code"] == 2
    assert "no-such-command" in captured.err


def test_sample_bad_token_ids_fail_before_any_request() -> None:
    api = FakeAPI()
    result = invoke(api, ["--json", "sample", "--base-model", "m", "--tokens", "1,x"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["error"]["type"] == "BadParameter"
    assert "token ids" in result.stderr
    assert api.requests == []  # no session was created for a command that cannot run
    for bad in ["", " , ", "-1"]:
        assert invoke(api, ["sample", "--base-model", "m", "--tokens", bad]).exit_code == 2
    assert api.requests == []


class OffsetBlindAPI(FakeAPI):
    """A server that ignores offset on GET /sessions (the 0.7.0 reply has no cursor to tell)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/sessions":
            self.requests.append(request)
            lim = int(request.url.params.get("limit", 20))
            return httpx.Response(200, json={"sessions": [f"s-{i}" for i in range(lim)]})
        return super().__call__(request)


def test_list_all_stops_when_the_server_repeats_a_page() -> None:
    api = OffsetBlindAPI()
    result = invoke(api, ["--json", "session", "list", "--limit", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"] == [f"s-{i}" for i in range(100)]
    assert len(api.requests) == 2  # the repeated page ends it, instead of paging forever


def test_list_never_shows_more_than_the_limit() -> None:
    result = invoke(FakeAPI(), ["--json", "session", "list", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"] == ["s-1"]


def test_checkpoint_download_failure_kinds_are_one_line_json_and_leave_nothing(
    storage: ArchiveServer, tmp_path: Path
) -> None:
    path = "tinker://run-1/weights/0001"
    good = _tar({"a": b"x" * 1000})
    # wrong checksum announced by the storage host -> exit 1, DownloadIntegrityError
    storage.resources["/bad-sum"] = Resource(good, headers={"X-Checksum-Sha256": "0" * 64}, checksum=False)
    # storage says the object is gone -> exit 3
    cases = [("/bad-sum", 1, "DownloadIntegrityError"), ("/gone", 3, "NotFoundError")]
    for url_path, code, error_type in cases:
        out = tmp_path / url_path.strip("/")
        result = invoke(
            FakeAPI(archive_url=storage.url(url_path)),
            ["--json", "checkpoint", "download", path, "-o", str(out)],
        )
        assert result.exit_code == code, result.output
        assert json.loads(result.stdout)["error"]["type"] == error_type
        assert result.stderr.count("\n") == 1
        assert "SECRETSIGNATURE" not in result.output
        assert not out.exists()


@pytest.mark.parametrize("flag", [["-f", "json"], ["--format", "json"], ["--format=json"]])
def test_official_format_option_selects_json(flag: list[str]) -> None:
    # scripts written for the official CLI (`tinker -f json run list`) work unchanged
    result = invoke(FakeAPI(runs=3), [*flag, "run", "list"])
    assert result.exit_code == 0, result.output
    assert [r["training_run_id"] for r in json.loads(result.stdout)["runs"]] == ["run-0", "run-1", "run-2"]
    table = invoke(FakeAPI(runs=3), ["-f", "table", "run", "list"])
    assert "Run ID" in table.stdout


def test_delete_without_yes_and_no_terminal_deletes_nothing_and_stays_json() -> None:
    # A script that forgot --yes: stdin is at EOF, which is a "no", not Ctrl-C and not a crash.
    api = FakeAPI()
    result = invoke(api, ["--json", "checkpoint", "delete", "tinker://run-1/weights/0001"], input="")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"deleted": []}
    assert "Deletion cancelled." in result.stderr
    assert api.deleted == []


def test_sdk_warnings_are_one_line_on_stderr() -> None:
    # a Python warning would print its file, line and source line; the CLI prints one line
    api = FakeAPI()
    result = invoke(api, ["--json", "session", "list"], key="local-dev-key-123")
    warning_lines = [line for line in result.stderr.splitlines() if "tml-" in line]
    assert warning_lines
    assert all(line.startswith("tinkex: warning: ") for line in warning_lines)
    assert "resolve_client_config(" not in result.stderr
    assert "local-dev-key-123" not in result.output
