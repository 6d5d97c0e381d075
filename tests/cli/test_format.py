"""Pure formatting helpers of the CLI, table-tested."""

from __future__ import annotations

import datetime as dt

import pytest

from tinkex.cli._format import human_size, relative_time, render_kv, render_table, to_json

NOW = dt.datetime(2025, 12, 31, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("n", "text"),
    [(None, "N/A"), (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"),
     (5 * 1024**2, "5.0 MB"), (168 * 1024**2 + 100, "168.0 MB"), (3 * 1024**3, "3.0 GB"), (2 * 1024**4, "2.0 TB"),
     (5000 * 1024**4, "5000.0 TB")],
)  # fmt: skip
def test_human_size(n: int | None, text: str) -> None:
    assert human_size(n) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [(dt.timedelta(seconds=5), "just now"), (dt.timedelta(minutes=1), "1 minute ago"),
     (dt.timedelta(minutes=59), "59 minutes ago"), (dt.timedelta(hours=1), "1 hour ago"),
     (dt.timedelta(hours=23), "23 hours ago"), (dt.timedelta(days=1), "1 day ago"), (dt.timedelta(days=6), "6 days ago"),
     (dt.timedelta(days=7), "1 week ago"), (dt.timedelta(days=29), "4 weeks ago"), (dt.timedelta(days=31), "2025-11-30")],
)  # fmt: skip
def test_relative_time(ago: dt.timedelta, text: str) -> None:
    assert relative_time(NOW - ago, NOW) == text


def test_relative_time_inputs() -> None:
    assert relative_time(None) == "N/A"
    assert relative_time("2025-12-31T11:00:00Z", NOW) == "1 hour ago"
    assert relative_time("not a date", NOW) == "not a date"
    assert relative_time(dt.datetime(2025, 12, 31, 11, 0), NOW) == "1 hour ago"  # naive = UTC


def test_render_table_and_kv() -> None:
    assert render_table(["a", "bb"], [["xxx", 1], ["y", None]], title="T").splitlines() == [
        "T",
        "a    bb",
        "---  ----",
        "xxx  1",
        "y    None",
    ]
    assert render_kv([("k", "v"), ("long key", 2)]).splitlines() == ["k         v", "long key  2"]


def test_to_json_handles_datetimes_and_wire_objects() -> None:
    class Wire:
        def to_dict(self) -> dict[str, int]:
            return {"x": 1}

    assert (
        to_json({"t": NOW, "w": Wire()})
        == '{\n  "t": "2025-12-31T12:00:00+00:00",\n  "w": {\n    "x": 1\n  }\n}'
    )


def test_an_empty_listing_is_its_title_alone() -> None:
    assert render_table(["id", "size"], [], title="No checkpoints found") == "No checkpoints found"
    assert render_table(["id"], []).splitlines() == [
        "id",
        "--",
    ]  # no title: the header still shows the columns
