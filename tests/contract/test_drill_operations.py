"""The drill of issue 9 (operations): a new JSON operation in the spec reaches users with `make gen`
and no other edit.

On a temporary copy of the repository, a POST operation with its request and response schemas is
added to openapi/tinker.yaml and scripts/gen.py (what `make gen` runs) is run, nothing else. A fresh
interpreter whose PYTHONPATH is the copy then calls `service.lowlevel.<operationId>(body)` against a
small HTTP server on 127.0.0.1 that checks the API key and answers 503 once, then 200: the call comes
back as the generated response model, having been retried by the runtime's retry policy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from ._spec import ROOT

API_KEY = "tml-drill-key-0123456789"
OPERATION_ID = "drill_echo"
PATH = "/api/v1/drill_echo"

NEW_SCHEMAS = {
    "DrillEchoRequest": {
        "type": "object",
        "description": "Drill: text to echo.",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": {"type": "string"},
            "times": {"type": ["integer", "null"], "default": None},
        },
    },
    "DrillEchoResponse": {
        "type": "object",
        "description": "Drill: the echoed text.",
        "required": ["echoed"],
        "properties": {"echoed": {"type": "string"}, "length": {"type": "integer"}},
    },
}
NEW_PATH = {
    "post": {
        "operationId": OPERATION_ID,
        "tags": ["service"],
        "summary": "Echo text back (drill).",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DrillEchoRequest"}}},
        },
        "responses": {
            "200": {
                "description": "The echo.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DrillEchoResponse"}}
                },
            },
            "5XX": {"$ref": "#/components/responses/ServerError"},
        },
    }
}

CLIENT = f"""
import json, sys
import _tinkex_lowlevel, tinkex
from tinkex._runtime import _waits

root = sys.argv[2]
assert tinkex.__file__.startswith(root) and _tinkex_lowlevel.__file__.startswith(root), "not the copy"
_waits.set_zero_waits(True)  # the backoff before the retry, not the behaviour
with tinkex.ServiceClient(api_key={API_KEY!r}, base_url=sys.argv[1], telemetry=False) as sc:
    result = sc.lowlevel.{OPERATION_ID}({{"text": "hello", "times": 2}})
print(json.dumps({{"type": type(result).__name__, "fields": result.to_dict()}}))
"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(
            {"path": self.path, "api_key": self.headers.get("X-API-Key"), "body": json.loads(body or b"null")}
        )
        if len(self.server.seen) == 1:
            status, payload = 503, {"detail": "warming up"}
        else:
            status, payload = 200, {"echoed": "hello hello", "length": 11}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's name
        return


def _copy_repository(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
    for name in ("openapi", "templates", "scripts", "generated", "tinkex"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def test_a_new_operation_is_callable_through_lowlevel_after_make_gen_alone(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    _copy_repository(copy)
    spec_path = copy / "openapi" / "tinker.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["components"]["schemas"].update(NEW_SCHEMAS)
    spec["paths"][PATH] = NEW_PATH
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")

    gen = subprocess.run(
        [sys.executable, str(copy / "scripts" / "gen.py")],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    table = (copy / "generated" / "_tinkex_lowlevel" / "operations.py").read_text(encoding="utf-8")
    assert f'path="{PATH}"' in table

    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TINKER_", "HTTP", "ALL_PROXY"))}
        env.update(
            PYTHONPATH=os.pathsep.join([str(copy), str(copy / "generated")]),
            NO_PROXY="*",
            no_proxy="*",
        )
        run = subprocess.run(
            # -P: not the current folder (the real repository) ahead of PYTHONPATH.
            [sys.executable, "-P", "-c", CLIENT, f"http://{host}:{port}", str(copy)],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert run.returncode == 0, run.stdout + run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer == {"type": "DrillEchoResponse", "fields": {"echoed": "hello hello", "length": 11}}
    # Retried by the policy: the same request twice, the API key on both, the body as given.
    assert [s["path"] for s in server.seen] == [PATH, PATH]
    assert [s["api_key"] for s in server.seen] == [API_KEY, API_KEY]
    assert server.seen[1]["body"] == {"text": "hello", "times": 2}
