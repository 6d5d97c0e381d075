"""Compile openapi/tinker.yaml into generated/_tinkex_lowlevel with the pinned generator.

    python scripts/gen.py           # regenerate generated/_tinkex_lowlevel in place
    python scripts/gen.py --check   # regenerate into a temporary folder; exit 1 listing any difference

The generator (openapi-python-client) and its ruff post-hooks are pinned and looked up next to the
running interpreter (the project venv), never on the ambient PATH, so the bytes do not depend on the
machine. Generation runs in a scratch folder outside the repository so no ruff config is found by
walking up, with a fixed hash seed, locale and time zone. Never edit generated/ by hand.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "tinker.yaml"
CONFIG = ROOT / "openapi" / "generator-config.yaml"
TEMPLATES = ROOT / "templates"
PACKAGE = "_tinkex_lowlevel"
TARGET = ROOT / "generated" / PACKAGE

# The output depends on these exact versions (ruff's fixes and formatting change between releases).
PINS = {"openapi-python-client": "0.29.1", "ruff": "0.17.6"}
# The binary (application/x-protobuf) bodies: openapi/tinker_public.proto, compiled by the protoc that
# grpcio-tools bundles (pinned in the dev extra; its version decides the bytes of the output).
PROTO = ROOT / "openapi" / "tinker_public.proto"
PROTOC_PIN = ("grpcio-tools", "1.85.1")

# Files written after generation: --meta none writes no py.typed, but the package ships in the tinkex
# wheel and its types are part of our mypy --strict contract.
EXTRA_FILES = {"py.typed": ""}


def _tool(name: str) -> Path:
    """The tool installed next to the running interpreter (sys.executable is not resolved on purpose)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        sys.exit(f"gen: {path} not found; run `make setup` (it installs the dev extra)")
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The venv's bin first: the generator finds its post-hook `ruff` with shutil.which.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(PYTHONHASHSEED="0", LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC", NO_COLOR="1")
    env.pop("RUFF_CACHE_DIR", None)
    return env


def _check_pins(env: dict[str, str]) -> None:
    for name, want in PINS.items():
        out = subprocess.run(
            [str(_tool(name)), "--version"], capture_output=True, text=True, env=env, check=True
        ).stdout
        if want not in out.split():
            sys.exit(f"gen: {name} {want} is pinned, found {out.strip()!r}; run `make setup`")


def _write_operations(out: Path, env: dict[str, str]) -> None:
    """Write the operation table and the typed low-level methods (scripts/gen_operations.py) into the
    generated package, formatted by the pinned ruff exactly as the generator's post-hooks format."""
    import yaml  # the dev extra; imported here so `--help` works without it

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import gen_operations
    finally:
        sys.path.pop(0)
    # The same view the models were compiled from, so every operation's types exist.
    spec = yaml.safe_load(_generation_yaml("typed"))
    try:
        files = gen_operations.render(spec)
    except gen_operations.SpecError as exc:
        sys.exit(f"gen: {SPEC.relative_to(ROOT)}: {exc}")
    models = (out / "models" / "__init__.py").read_text(encoding="utf-8")
    for name in re.findall(r"^        (\w+),$", files["lowlevel.py"], flags=re.MULTILINE):
        if not re.search(rf"\b{name}\b", models):
            sys.exit(f"gen: lowlevel.py names model {name!r}, which the generator did not emit")
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    paths = [str(out / name) for name in files]
    ruff = str(_tool("ruff"))
    common = ["--isolated", "--target-version", "py311", "--line-length", "120", "--quiet"]
    for cmd in (
        [ruff, "check", *common, "--select", "F,I,UP", "--fix-only", *paths],
        [ruff, "format", *common, *paths],
    ):
        proc = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"gen: {' '.join(cmd[1:2])} failed on the operation table:\n{proc.stdout}{proc.stderr}")


def generate(dest: Path) -> None:
    """Generate the package into dest (which must not exist)."""
    env = _env()
    _check_pins(env)
    with tempfile.TemporaryDirectory(prefix="tinkex-gen-") as scratch:
        out = Path(scratch) / PACKAGE
        # The JSON client holds both generations (scripts/spec_views.py typed_view: what tinker >= 0.38
        # added to 0.7.0 schemas is optional and unset by default, so 0.7.0 bodies stay byte-identical;
        # each operation knows its generation, `Operation.since`); the 0.38 binary bodies come from protoc.
        view = Path(scratch) / "tinker-typed.yaml"
        view.write_text(_generation_yaml("typed"), encoding="utf-8")
        cmd = [
            str(_tool("openapi-python-client")),
            "generate",
            "--path",
            str(view),
            "--config",
            str(CONFIG),
            "--custom-template-path",
            str(TEMPLATES),
            "--meta",
            "none",
            "--output-path",
            str(out),
            "--fail-on-warning",
        ]
        proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not out.is_dir():
            sys.stderr.write(proc.stdout + proc.stderr)
            sys.exit(f"gen: openapi-python-client failed (exit {proc.returncode})")
        _write_operations(out, env)
        shutil.rmtree(out / ".ruff_cache", ignore_errors=True)
        for name, text in EXTRA_FILES.items():
            (out / name).write_text(text, encoding="utf-8")
        _compile_proto(out / "proto", env)
        shutil.copytree(out, dest)


def _generation_yaml(generation: str) -> str:
    """The spec's view for one generation ("0.7", "0.38"), or "typed": every generation (what gen compiles)."""
    import yaml

    sys.path.insert(0, str(ROOT / "scripts"))
    from spec_views import generation_view, typed_view

    doc = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    view = typed_view(doc) if generation == "typed" else generation_view(doc, generation)
    return str(yaml.safe_dump(view, sort_keys=False, allow_unicode=True))


def _compile_proto(dest: Path, env: dict[str, str]) -> None:
    """protoc the .proto into dest (message classes + typing stubs), as a package."""
    from importlib.metadata import PackageNotFoundError, version

    name, want = PROTOC_PIN
    try:
        have = version(name)
    except PackageNotFoundError:
        have = "none"
    if have != want:
        sys.exit(f"gen: {name} {want} is pinned, found {have}; run `make setup`")
    dest.mkdir(parents=True)
    cmd = [
        sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={PROTO.parent}",
        f"--python_out={dest}", f"--pyi_out={dest}", PROTO.name,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=PROTO.parent, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"gen: protoc failed (exit {proc.returncode})")
    (dest / "__init__.py").write_text(
        '"""Message classes of openapi/tinker_public.proto (generated by scripts/gen.py)."""\n',
        encoding="utf-8",
    )


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def compare(expected: Path, actual: Path) -> list[str]:
    """Human-readable differences between two trees (empty when identical)."""
    problems: list[str] = []
    want, have = _files(expected), _files(actual)
    problems += [f"missing from {actual}: {name}" for name in sorted(want - have)]
    problems += [f"not generated (stale or hand-written): {name}" for name in sorted(have - want)]
    for name in sorted(want & have):
        if not filecmp.cmp(expected / name, actual / name, shallow=False):
            diff = difflib.unified_diff(
                (actual / name).read_text(encoding="utf-8").splitlines(),
                (expected / name).read_text(encoding="utf-8").splitlines(),
                f"committed/{name}",
                f"regenerated/{name}",
                lineterm="",
                n=1,
            )
            problems.append(f"differs: {name}\n" + "\n".join(list(diff)[:40]))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated/ is not what the spec gives")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tinkex-gen-out-") as tmp:
        fresh = Path(tmp) / PACKAGE
        generate(fresh)
        if args.check:
            problems = compare(fresh, TARGET) if TARGET.is_dir() else [f"{TARGET} does not exist"]
            if problems:
                print("\n".join(problems), file=sys.stderr)
                print(
                    f"gen --check: {len(problems)} difference(s); run `make gen` and commit", file=sys.stderr
                )
                return 1
            print(f"gen --check: {TARGET.relative_to(ROOT)} is up to date ({len(_files(fresh))} files)")
            return 0
        if TARGET.exists():
            shutil.rmtree(TARGET)
        shutil.copytree(fresh, TARGET)
        print(f"gen: wrote {TARGET.relative_to(ROOT)} ({len(_files(fresh))} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
