"""Pure text helpers of the CLI: plain-text tables, human sizes and times, JSON output, and a tiny
progress bar on stderr (no extra dependency)."""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

__all__ = ["ProgressBar", "human_size", "relative_time", "render_kv", "render_table", "to_json"]


def human_size(n: int | None) -> str:
    """Bytes in base 1024 with one decimal (B without), "N/A" for unknown.

    Example::

        >>> human_size(0), human_size(1536), human_size(3 * 1024**3)
        ('0 B', '1.5 KB', '3.0 GB')
    """
    if n is None:
        return "N/A"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PB"  # pragma: no cover - the loop returns at TB


def relative_time(when: _dt.datetime | str | None, now: _dt.datetime | None = None) -> str:
    """ "just now", "N minutes ago", ... "N weeks ago", else the date (older than 30 days).

    Example::

        >>> now = _dt.datetime(2025, 12, 3, 12, 0, tzinfo=_dt.timezone.utc)
        >>> relative_time(now - _dt.timedelta(hours=3), now)
        '3 hours ago'
    """
    if when is None:
        return "N/A"
    if isinstance(when, str):
        try:
            when = _dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return str(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    now = now or _dt.datetime.now(_dt.UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    for limit, size, unit in ((3600, 60, "minute"), (86400, 3600, "hour"), (7 * 86400, 86400, "day")):
        if seconds < limit:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    if seconds < 30 * 86400:
        n = int(seconds // (7 * 86400))
        return f"{n} week{'s' if n != 1 else ''} ago"
    return when.strftime("%Y-%m-%d")


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> str:
    """A plain table: left-aligned columns, a dashed rule under the header, optional title line.

    Example::

        >>> print(render_table(["id", "size"], [["a", "1 B"], ["bb", "2.0 KB"]]))
        id  size
        --  ------
        a   1 B
        bb  2.0 KB
    """
    if not rows and title:
        return title  # "No checkpoints found" reads better without an empty table under it
    cells = [[str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()

    out = [title] if title else []
    out += [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def render_kv(pairs: Sequence[tuple[str, object]]) -> str:
    """Property / value rows, for `info` commands.

    Example::

        >>> print(render_kv([("Run ID", "r1"), ("LoRA", "Rank 8")]))
        Run ID  r1
        LoRA    Rank 8
    """
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}".rstrip() for k, v in pairs)


def _default(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        return obj.isoformat()
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(obj)


def to_json(data: Any) -> str:
    """Stable JSON for scripts: 2-space indent, ISO datetimes, wire types via `to_dict()`.

    Example::

        >>> to_json({"b": 1})
        '{\\n  "b": 1\\n}'
    """
    return json.dumps(data, indent=2, default=_default)


def as_dict(obj: Any) -> Any:
    """A wire object as a JSON-ready dict (via `to_dict`), other values unchanged."""
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    return to_dict() if callable(to_dict) else obj


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most 10 times a second; a no-op when disabled.

    Example::

        bar = ProgressBar("download", enabled=True)
        bar.update(512, 1024)
        bar.close()
    """

    def __init__(self, label: str, *, enabled: bool, stream: IO[str] | None = None, width: int = 30) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0
        self._started = time.monotonic()
        self._drawn = False

    def update(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        rate = done / max(now - self._started, 1e-9)
        if total:
            frac = min(done / total, 1.0)
            filled = int(frac * self.width)
            bar = "█" * filled + "·" * (self.width - filled)
            text = f"\r{self.label} [{bar}] {frac:6.1%} {human_size(done)}/{human_size(total)} {human_size(int(rate))}/s"
        else:
            text = f"\r{self.label} {human_size(done)} {human_size(int(rate))}/s"
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
