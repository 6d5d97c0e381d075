"""The click command tree of `tinkex`, its exit codes and the one place where exceptions become a
single error line (traceback only with --debug)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

import tinkex
from tinkex.cli._format import (
    ProgressBar,
    as_dict,
    human_size,
    relative_time,
    render_kv,
    render_table,
    to_json,
)

# Exit codes scripts can rely on (also printed by `tinkex --help`).
EXIT_OK = 0
EXIT_API_ERROR = 1  # the server refused or failed the request, or the download failed verification
EXIT_USAGE = 2  # bad arguments or bad local input (click's own usage errors use 2 as well)
EXIT_NOT_FOUND = 3  # no such run, checkpoint, session or sampler
EXIT_AUTH = 4  # missing / wrong API key (401) or not allowed (403)
EXIT_CONNECTION = 5  # the server could not be reached or timed out
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), the shell convention

EPILOG = """\b
Exit codes:
  0    success
  1    API error (the server refused or failed the request; a download failed verification)
  2    usage error (bad arguments or local input)
  3    not found (run, checkpoint, session or sampler)
  4    authentication or permission error (check --api-key / TINKER_API_KEY)
  5    connection error or timeout (check --base-url / TINKER_BASE_URL)
  130  interrupted (Ctrl-C)

\b
Environment: TINKER_API_KEY, TINKER_BASE_URL (overridden by --api-key / --base-url).
"""

# The library retries 10 times (about a minute of backoff against a dead server); a person at a
# terminal wants the answer sooner, so the CLI retries 3 times (about 4 s) unless told otherwise.
DEFAULT_CLI_MAX_RETRIES = 3

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """Per-invocation state: output mode, connection options, the lazily built ServiceClient."""

    def __init__(self, *, json_output: bool, debug: bool, client_kwargs: dict[str, Any]) -> None:
        self.json_output = json_output
        self.debug = debug
        self.client_kwargs = client_kwargs
        self._service: Any = None

    def service(self) -> Any:
        if self._service is None:
            self._service = tinkex.ServiceClient(**self.client_kwargs)
        return self._service

    def rest(self) -> Any:
        return self.service().create_rest_client()

    def close(self) -> None:
        if self._service is not None:
            with contextlib.suppress(Exception):
                self._service.close()
            self._service = None

    def emit(self, data: Any, text: str | None) -> None:
        """JSON for scripts, else the human text (nothing when `text` is None)."""
        if self.json_output:
            click.echo(to_json(data))
        elif text is not None:
            click.echo(text)


def _exit_code(exc: BaseException) -> int:
    """Map an exception to an exit code (pure; table-tested)."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, tinkex.NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, tinkex.AuthenticationError | tinkex.PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(exc, tinkex.APIConnectionError | tinkex.FutureTimeoutError):
        return EXIT_CONNECTION
    if isinstance(exc, tinkex.TinkexValidationError | click.UsageError):
        return EXIT_USAGE
    return EXIT_API_ERROR


def error_json(exc: BaseException, code: int, message: str) -> dict[str, Any]:
    """The JSON document `--json` prints on stdout when a command fails (pure), so a script can
    parse stdout whatever happened: `{"error": {"type", "message", "exit_code", ...}}` plus the
    HTTP status, request id and failure category when the error has them."""
    err: dict[str, Any] = {"type": type(exc).__name__, "message": message, "exit_code": code}
    for attr in ("status_code", "request_id", "category"):
        value = getattr(exc, attr, None)
        if value is not None:
            err[attr] = value if isinstance(value, int | str) else str(value)
    return {"error": err}


def _wants_json(args: Sequence[str]) -> bool:
    """Whether `--json` (or `-f json` / `--format json`) is among the raw arguments (options end
    at `--`)."""
    for i, a in enumerate(args):
        if a == "--":
            return False
        if a in ("--json", "--format=json", "-fjson") or (
            a in ("-f", "--format") and args[i + 1 : i + 2] == ["json"]
        ):
            return True
    return False


def _echo_click_error_json(exc: click.ClickException) -> None:
    click.echo(to_json(error_json(exc, exc.exit_code, exc.format_message())))


class _Group(click.Group):
    """The root group: with `--json`, a usage error (unknown command or option, bad value) also
    prints the JSON error document on stdout; click itself prints the usage text on stderr."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["tinkex.json"] = _wants_json(args)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as e:
            if ctx.meta["tinkex.json"]:
                _echo_click_error_json(e)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as e:
            if ctx.meta.get("tinkex.json"):
                _echo_click_error_json(e)
            raise


class _NotFound(tinkex.TinkexError):
    """A lookup the CLI did itself found nothing (e.g. `checkpoint info` of an unknown path)."""


def _fail(ctx: Context, exc: BaseException) -> NoReturn:
    code = EXIT_NOT_FOUND if isinstance(exc, _NotFound) else _exit_code(exc)
    if ctx.debug:
        traceback.print_exception(exc, file=sys.stderr)
    if code == EXIT_INTERRUPTED:
        click.echo("tinkex: interrupted", err=True)
    else:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, tinkex.TinkexError):
            message = f"{type(exc).__name__}: {message}"
        # The SDK redacts its own messages; this covers anything else that quoted the key.
        for key in (ctx.client_kwargs.get("api_key"), os.environ.get("TINKER_API_KEY")):
            if isinstance(key, str) and len(key) >= 6:
                message = message.replace(key, "<redacted>")
        click.echo(f"tinkex: error: {message}", err=True)
    if ctx.json_output:
        click.echo(to_json(error_json(exc, code, message if code != EXIT_INTERRUPTED else "interrupted")))
    sys.exit(code)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """SDK warnings as one stderr line, not Python's file:line plus source-line block."""
    text = str(message).strip().splitlines()
    click.echo(f"tinkex: warning: {text[0] if text else category.__name__}", err=True)


def command(fn: F) -> F:
    """Run a command body with the CLI's error handling and close the client afterwards."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx: Context = click.get_current_context().find_object(Context)  # type: ignore[assignment]
        try:
            with warnings.catch_warnings():  # restores the previous showwarning afterwards
                warnings.showwarning = _show_warning
                return fn(ctx, *args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            _fail(ctx, exc)
        finally:
            ctx.close()

    return wrapper  # type: ignore[return-value]


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "json_output", is_flag=True, help="Machine-readable JSON output.")
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default=None,
    help="The official CLI's spelling: -f json is --json.",
)
@click.option("--base-url", default=None, metavar="URL", help="Server URL [env TINKER_BASE_URL].")
@click.option("--api-key", default=None, metavar="KEY", help="API key [env TINKER_API_KEY].")
@click.option(
    "--max-retries",
    default=DEFAULT_CLI_MAX_RETRIES,
    show_default=True,
    type=click.IntRange(min=0),
    help="Retries of a failed request (connection errors, 408, 429, 5xx).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(
    ctx: click.Context,
    json_output: bool,
    output_format: str | None,
    base_url: str | None,
    api_key: str | None,
    max_retries: int,
    debug: bool,
) -> None:
    """tinkex: manage Tinker training runs, checkpoints and sessions, sample, and serve locally."""
    # Tests (and embedding programs) may preset extra ServiceClient arguments through `obj`.
    preset = ctx.obj if isinstance(ctx.obj, dict) else {}
    kwargs: dict[str, Any] = dict(preset.get("client_kwargs", {}))
    if base_url is not None:
        kwargs["base_url"] = base_url
    if api_key is not None:
        kwargs["api_key"] = api_key
    kwargs.setdefault("max_retries", max_retries)
    ctx.obj = Context(json_output=json_output or output_format == "json", debug=debug, client_kwargs=kwargs)


def _json_option(fn: F) -> F:
    """`--json` accepted after the subcommand too (`tinkex run list --json`)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(Context).json_output = True  # type: ignore[union-attr]

    return click.option(
        "--json", "_json", is_flag=True, expose_value=False, callback=callback, help="JSON output."
    )(fn)


# --- version ------------------------------------------------------------------------------------


@cli.command()
@_json_option
@command
def version(ctx: Context) -> None:
    """Print the tinkex version."""
    ctx.emit({"version": tinkex.__version__}, f"tinkex {tinkex.__version__}")


# --- runs ---------------------------------------------------------------------------------------


def _page(
    fetch: Callable[[int, int], Any],
    items_of: Callable[[Any], list[Any]],
    limit: int,
    page: int,
    key: Callable[[Any], object],
) -> tuple[list[Any], int | None]:
    """Fetch up to `limit` items (0 = all) in pages; returns (items, total_count or None).

    A page that brings nothing new (by `key`) ends the listing: a server that ignores `offset`
    would otherwise be paged forever (ListSessionsResponse has no total to stop at)."""
    items: list[Any] = []
    seen: set[object] = set()
    total: int | None = None
    while True:
        want = page if limit == 0 else min(page, limit - len(items))
        resp = fetch(want, len(items))
        got = items_of(resp)
        cursor = getattr(resp, "cursor", None)
        if cursor is not None and getattr(cursor, "total_count", None) is not None:
            total = cursor.total_count
        new = [x for x in got if key(x) not in seen]
        seen.update(key(x) for x in new)
        items.extend(new[:want])
        if (
            not new
            or len(got) < want
            or (limit and len(items) >= limit)
            or (total is not None and len(items) >= total)
        ):
            return items, total


def _lora(run: Any) -> str:
    if not run.is_lora:
        return "No"
    return f"Rank {run.lora_rank}" if run.lora_rank else "Yes"


def _more(shown: int, total: int | None, noun: str) -> str:
    if shown == 0:
        return f"No {noun} found"
    extra = (total or shown) - shown
    title = f"{shown} {noun}"
    return title + (f" ({extra} more not shown, use --limit to see more)" if extra > 0 else "")


@cli.group()
def run() -> None:
    """Training runs."""


@run.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="0 = all.")
@_json_option
@command
def run_list(ctx: Context, limit: int) -> None:
    """List your training runs (newest first)."""
    rest = ctx.rest()
    runs, total = _page(
        lambda n, off: rest.list_training_runs(limit=n, offset=off).result(),
        lambda r: list(r.training_runs),
        limit,
        100,
        key=lambda r: r.training_run_id,
    )
    rows = [
        [
            r.training_run_id,
            r.base_model,
            r.model_owner,
            _lora(r),
            relative_time(r.last_request_time),
            "Failed" if r.corrupted else "Active",
        ]
        for r in runs
    ]
    text = render_table(
        ["Run ID", "Base Model", "Owner", "LoRA", "Last Update", "Status"],
        rows,
        title=_more(len(runs), total, "training runs"),
    )
    ctx.emit({"runs": [as_dict(r) for r in runs], "total_count": total}, text)


@run.command("info")
@click.argument("run_id")
@_json_option
@command
def run_info(ctx: Context, run_id: str) -> None:
    """Show one training run."""
    r = ctx.rest().get_training_run(run_id).result()
    pairs: list[tuple[str, object]] = [
        ("Run ID", r.training_run_id),
        ("Base Model", r.base_model),
        ("Owner", r.model_owner),
        ("LoRA", _lora(r)),
        ("Last Update", relative_time(r.last_request_time)),
        ("Status", "Failed" if r.corrupted else "Active"),
    ]
    for label, ck in (
        ("Last Training Checkpoint", r.last_checkpoint),
        ("Last Sampler Checkpoint", r.last_sampler_checkpoint),
    ):
        if ck is not None:
            pairs += [
                (label, ck.checkpoint_id),
                ("  - Time", relative_time(ck.time)),
                ("  - Path", ck.tinker_path),
            ]
    for k, v in (r.user_metadata or {}).items():
        pairs.append((f"Metadata: {k}", v))
    ctx.emit(as_dict(r), render_kv(pairs))


# --- checkpoints --------------------------------------------------------------------------------


def _ck_row(c: Any) -> list[object]:
    return [
        c.checkpoint_id,
        c.checkpoint_type,
        human_size(c.size_bytes),
        "Yes" if c.public else "No",
        relative_time(c.time),
        c.tinker_path,
    ]


CK_HEADERS = ["Checkpoint ID", "Type", "Size", "Public", "Created", "Path"]


@cli.group()
def checkpoint() -> None:
    """Checkpoints: list, inspect, download, publish, unpublish, delete."""


@checkpoint.command("list")
@click.option("--run-id", default=None, help="Only this run's checkpoints (not paginated).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="0 = all.")
@_json_option
@command
def checkpoint_list(ctx: Context, run_id: str | None, limit: int) -> None:
    """List checkpoints: yours across all runs (newest first), or one run's."""
    rest = ctx.rest()
    data: dict[str, Any] = {}
    if run_id is not None:
        cks = list(rest.list_checkpoints(run_id).result().checkpoints)
        total: int | None = len(cks)
        data["run_id"] = run_id
    else:
        cks, total = _page(
            lambda n, off: rest.list_user_checkpoints(limit=n, offset=off).result(),
            lambda r: list(r.checkpoints),
            limit,
            1000,
            key=lambda c: c.tinker_path,
        )
    data["checkpoints"] = [as_dict(c) for c in cks]
    text = render_table(CK_HEADERS, [_ck_row(c) for c in cks], title=_more(len(cks), total, "checkpoints"))
    ctx.emit(data, text)


def _parse_path(path: str) -> Any:
    # ParsedCheckpointTinkerPath is the public, official parser (raises a ValueError subclass).
    return tinkex.ParsedCheckpointTinkerPath.from_tinker_path(path)


@checkpoint.command("info")
@click.argument("tinker_path")
@_json_option
@command
def checkpoint_info(ctx: Context, tinker_path: str) -> None:
    """Show one checkpoint (by tinker:// path)."""
    parsed = _parse_path(tinker_path)
    cks = ctx.rest().list_checkpoints(parsed.training_run_id).result().checkpoints
    match = next((c for c in cks if c.tinker_path == tinker_path), None)
    if match is None:
        raise _NotFound(f"checkpoint {tinker_path} not found in run {parsed.training_run_id}")
    pairs: list[tuple[str, object]] = [
        ("Checkpoint ID", match.checkpoint_id),
        ("Type", match.checkpoint_type),
        ("Tinker Path", match.tinker_path),
        ("Size", human_size(match.size_bytes)),
        ("Public", "Yes" if match.public else "No"),
        ("Created", relative_time(match.time)),
        ("Training Run ID", parsed.training_run_id),
    ]
    ctx.emit(as_dict(match), render_kv(pairs))


_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class _SizeParam(click.ParamType[int]):
    """A byte count: 1048576, 500K, 500M, 64G, 1T (powers of 1024)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
        unit = text[-1:] if text[-1:] in _SIZE_UNITS else ""
        number = text[: len(text) - len(unit)]
        try:
            size = float(number) * _SIZE_UNITS[unit]
        except ValueError:
            self.fail(f"{value!r} is not a size (e.g. 500M, 64G, 0 for no limit)", param, ctx)
        if size < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return int(size)


def _download_checkpoint() -> Callable[..., Any]:
    return tinkex.download_checkpoint


@checkpoint.command("download")
@click.argument("tinker_path")
@click.option(
    "-o",
    "--output",
    "output",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    show_default=True,
    help="Directory to put the checkpoint in.",
)
@click.option("--force", is_flag=True, help="Replace an existing download.")
@click.option("--no-extract", is_flag=True, help="Keep the .tar archive instead of extracting it.")
@click.option(
    "--max-extract-size",
    type=_SizeParam(),
    default=None,
    help="Refuse archives that unpack to more than this, e.g. 500M, 64G; 0 = no limit [default: 64G].",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr [default: when a terminal]."
)
@_json_option
@command
def checkpoint_download(
    ctx: Context,
    tinker_path: str,
    output: Path,
    force: bool,
    no_extract: bool,
    max_extract_size: int | None,
    progress: bool | None,
) -> None:
    """Download a checkpoint archive (resumable, verified) and extract it safely into
    OUTPUT/<run>_<kind>_<name>/."""
    _parse_path(tinker_path)
    show = (sys.stderr.isatty() and not ctx.json_output) if progress is None else progress
    bar = ProgressBar("downloading", enabled=show)
    try:
        limit: dict[str, int | None] = {}
        if max_extract_size is not None:
            limit["max_extract_size"] = max_extract_size or None
        got = _download_checkpoint()(
            ctx.rest(), tinker_path, output, extract=not no_extract, force=force, progress=bar.update, **limit
        )
    finally:
        bar.close()
    data = {
        "checkpoint_path": tinker_path,
        "destination": str(got.path),
        "file_size_bytes": got.size_bytes,
        "sha256": got.sha256,
    }
    ctx.emit(data, f"Downloaded {tinker_path} ({human_size(got.size_bytes)}) to {got.path}")


@checkpoint.command("publish")
@click.argument("tinker_path")
@_json_option
@command
def checkpoint_publish(ctx: Context, tinker_path: str) -> None:
    """Make a checkpoint public (anyone may load it)."""
    _parse_path(tinker_path)
    ctx.rest().publish_checkpoint_from_tinker_path(tinker_path).result()
    ctx.emit({"tinker_path": tinker_path, "public": True}, f"Published {tinker_path}")


@checkpoint.command("unpublish")
@click.argument("tinker_path")
@_json_option
@command
def checkpoint_unpublish(ctx: Context, tinker_path: str) -> None:
    """Make a public checkpoint private again."""
    _parse_path(tinker_path)
    ctx.rest().unpublish_checkpoint_from_tinker_path(tinker_path).result()
    ctx.emit({"tinker_path": tinker_path, "public": False}, f"Unpublished {tinker_path}")


@checkpoint.command("delete")
@click.argument("tinker_paths", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@_json_option
@command
def checkpoint_delete(ctx: Context, tinker_paths: Sequence[str], yes: bool) -> None:
    """Delete checkpoints permanently (asks first unless --yes)."""
    for p in tinker_paths:
        _parse_path(p)
    if not yes:
        click.echo("About to delete:", err=True)
        for p in tinker_paths:
            click.echo(f"  {p}", err=True)
        click.echo("WARNING: This action is permanent and cannot be undone.", err=True)
        try:
            confirmed = click.confirm("Delete?", default=False, err=True)
        except click.exceptions.Abort:
            if sys.stdin.isatty():
                raise  # Ctrl-C at the prompt
            confirmed = False  # stdin at EOF (a script without --yes): that is a "no"
        if not confirmed:
            click.echo("Deletion cancelled.", err=True)
            ctx.emit({"deleted": []}, None)
            return
    rest = ctx.rest()
    deleted: list[str] = []
    for p in tinker_paths:
        rest.delete_checkpoint_from_tinker_path(p).result()
        deleted.append(p)
        if not ctx.json_output:
            click.echo(f"Deleted {p}")
    ctx.emit({"deleted": deleted}, None)


# --- sessions -----------------------------------------------------------------------------------


@cli.group()
def session() -> None:
    """Sessions."""


@session.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="0 = all.")
@_json_option
@command
def session_list(ctx: Context, limit: int) -> None:
    """List your sessions."""
    rest = ctx.rest()
    ids, total = _page(
        lambda n, off: rest.list_sessions(limit=n, offset=off).result(),
        lambda r: list(r.sessions),
        limit,
        100,
        key=str,
    )
    text = render_table(["Session ID"], [[s] for s in ids], title=_more(len(ids), total, "sessions"))
    ctx.emit({"sessions": ids}, text)


@session.command("info")
@click.argument("session_id")
@_json_option
@command
def session_info(ctx: Context, session_id: str) -> None:
    """Show the training runs and samplers of a session."""
    s = ctx.rest().get_session(session_id).result()
    pairs: list[tuple[str, object]] = [("Session ID", session_id)]
    pairs += [("Training Run", r) for r in s.training_run_ids] or [("Training Runs", "none")]
    pairs += [("Sampler", x) for x in s.sampler_ids] or [("Samplers", "none")]
    ctx.emit({"session_id": session_id, **as_dict(s)}, render_kv(pairs))


# --- sample -------------------------------------------------------------------------------------


def _int_list(value: str) -> list[int]:
    try:
        ids = [int(t) for t in value.replace(",", " ").split()]
    except ValueError as e:
        raise click.BadParameter("expected token ids such as 1,2,3") from e
    if not ids or min(ids) < 0:
        raise click.BadParameter("expected token ids such as 1,2,3 (at least one, none negative)")
    return ids


def _read_prompt_file(path: str) -> str:
    """The text of --prompt-file ("-" reads stdin), without the one trailing newline editors and
    `echo` add (a prompt ending in "=" should not gain a newline token)."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except UnicodeDecodeError as e:
        raise click.BadParameter(f"{path}: not UTF-8 text ({e.reason})", param_hint="--prompt-file") from e
    except OSError as e:
        raise click.BadParameter(f"{path}: {e.strerror or e}", param_hint="--prompt-file") from e
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _check_output_path(path: str) -> Path:
    """--output must be writable before any request is made (a sample is never computed for nothing)."""
    out = Path(path)
    if out.is_dir():
        raise click.BadParameter(f"{path} is a directory; give a file name", param_hint="--output")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise click.BadParameter(f"directory {str(parent)!r} does not exist", param_hint="--output")
    if not os.access(parent, os.W_OK):
        raise click.BadParameter(f"directory {str(parent)!r} is not writable", param_hint="--output")
    return out


def _write_atomically(path: Path, text: str) -> None:
    # Beside the target and renamed: an interrupted write never leaves half a file in its place.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@cli.command()
@click.argument("prompt", required=False)
@click.option(
    "--prompt-file",
    default=None,
    metavar="FILE",
    help="Read the prompt text from FILE ('-' = stdin; one trailing newline is dropped).",
)
@click.option("--tokens", default=None, metavar="IDS", help="Prompt as token ids (1,2,3) instead of text.")
@click.option("--model-path", default=None, metavar="TINKER_PATH", help="Sampler checkpoint (tinker://...).")
@click.option("--base-model", default=None, help="Base model to sample from (no fine-tuned weights).")
@click.option("-n", "--num-samples", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--max-tokens", default=64, show_default=True, type=click.IntRange(min=1))
@click.option("--temperature", default=1.0, show_default=True, type=float)
@click.option("--top-p", default=1.0, show_default=True, type=float)
@click.option("--top-k", default=-1, show_default=True, type=int)
@click.option("--seed", default=None, type=int)
@click.option("--stop", multiple=True, help="Stop string (repeatable).")
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    help="Write the samples (text, or JSON with --json) to FILE instead of stdout.",
)
@_json_option
@command
def sample(
    ctx: Context,
    prompt: str | None,
    prompt_file: str | None,
    tokens: str | None,
    model_path: str | None,
    base_model: str | None,
    num_samples: int,
    max_tokens: int,
    temperature: float,
    top_p: float,
    top_k: int,
    seed: int | None,
    stop: Sequence[str],
    output: str | None,
) -> None:
    """Sample completions of PROMPT (text, needs the tokenizer), of --prompt-file or of --tokens."""
    if sum(x is not None for x in (prompt, prompt_file, tokens)) != 1:
        raise click.UsageError("give exactly one of a PROMPT text, --prompt-file or --tokens")
    if (model_path is None) == (base_model is None):
        raise click.UsageError("give either --model-path or --base-model")
    # Bad local input is a usage error found before any request (no session for a doomed command).
    token_ids = _int_list(tokens) if tokens is not None else None
    if prompt_file is not None:
        prompt = _read_prompt_file(prompt_file)
    out_path = _check_output_path(output) if output is not None else None
    sc = ctx.service().create_sampling_client(model_path=model_path, base_model=base_model).result()
    tokenizer = None
    if prompt is not None:
        try:
            tokenizer = sc.get_tokenizer()
        except tinkex.TinkexError as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise tinkex.TinkexError(
                f"a text prompt needs the model's tokenizer, which is not available ({reason}); "
                "pass the prompt as token ids instead: --tokens 1,2,3"
            ) from e
    ids = tokenizer.encode(prompt) if tokenizer is not None else (token_ids or [])
    params = tinkex.SamplingParams(
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        seed=seed,
        stop=list(stop) or None,
    )
    resp = sc.sample(
        prompt=tinkex.ModelInput.from_ints(ids), num_samples=num_samples, sampling_params=params
    ).result()
    out = []
    for seq in resp.sequences:
        item: dict[str, Any] = {"tokens": list(seq.tokens), "stop_reason": str(seq.stop_reason)}
        if tokenizer is not None:
            item["text"] = tokenizer.decode(list(seq.tokens))
        out.append(item)
    lines = []
    for i, item in enumerate(out):
        body = item.get("text", " ".join(str(t) for t in item["tokens"]))
        lines.append(f"--- sample {i} (stop: {item['stop_reason']}) ---\n{body}")
    data = {"prompt_tokens": ids, "samples": out}
    if out_path is None:
        ctx.emit(data, "\n".join(lines))
        return
    _write_atomically(out_path, (to_json(data) if ctx.json_output else "\n".join(lines)) + "\n")
    if not ctx.json_output:  # --json keeps stdout for the document (here: in the file) and errors
        click.echo(f"tinkex: wrote {len(out)} sample(s) to {out_path}", err=True)


# --- serve --------------------------------------------------------------------------------------


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@command
def serve(ctx: Context, args: Sequence[str]) -> None:
    """Run the local Tinker-compatible server (needs the `server` extra); arguments go to it
    (`tinkex serve --help` shows them)."""
    try:
        from tinkex_server import __main__ as server_main
    except ImportError as e:
        if e.name is not None and not e.name.startswith("tinkex_server"):
            raise tinkex.TinkexError(
                f"the local server needs {e.name!r}: pip install 'tinkex[server]'"
            ) from e
        raise tinkex.TinkexError("the local server is not installed: pip install 'tinkex[server]'") from e
    code = server_main.main(list(args))
    sys.exit(int(code or 0))


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point: run the CLI and return its exit code.

    Example::

        >>> main(["version"])  # doctest: +SKIP
        0
    """
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="tinkex", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("tinkex: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE if isinstance(e, click.UsageError) else EXIT_API_ERROR
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except KeyboardInterrupt:
        click.echo("tinkex: interrupted", err=True)
        return EXIT_INTERRUPTED
    return EXIT_OK
