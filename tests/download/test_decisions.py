"""The pure decisions of the downloader, table-tested: what a storage answer means, header parsing."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tinkex._download import (
    ContentRange,
    Fail,
    Stream,
    Wait,
    checkpoint_dir_name,
    classify_response,
    expected_sha256,
    parse_content_range,
)
from tinkex._exceptions import TinkexValidationError

HEX = hashlib.sha256(b"x").hexdigest()
B64 = base64.b64encode(hashlib.sha256(b"x").digest()).decode()


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 0-99/100", ContentRange(0, 99, 100)),
        ("bytes 100-199/1000", ContentRange(100, 199, 1000)),
        ("BYTES 5-9/*", ContentRange(5, 9, None)),
        ("bytes */100", None),
        ("bytes 10-5/100", None),
        ("bytes 0-100/100", None),
        ("items 0-1/2", None),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_content_range(value: str | None, parsed: ContentRange | None) -> None:
    assert parse_content_range(value) == parsed


@pytest.mark.parametrize(
    ("headers", "digest"),
    [
        ({"X-Checksum-Sha256": HEX}, HEX),
        ({"x-checksum-sha256": HEX.upper()}, HEX),
        ({"Repr-Digest": f"sha-256=:{B64}:"}, HEX),
        ({"Repr-Digest": f"sha-512=:AAAA:, sha-256=:{B64}:"}, HEX),
        ({"Digest": f"SHA-256={B64}"}, HEX),
        ({"Content-Digest": f"sha-256=:{B64}:"}, None),  # covers only a partial body on 206
        ({"X-Checksum-Sha256": "nothex"}, None),
        ({"Repr-Digest": "sha-256=:!!!:"}, None),
        ({}, None),
    ],
)
def test_expected_sha256(headers: dict[str, str], digest: str | None) -> None:
    assert expected_sha256(headers) == digest


CR = "content-range"


def test_206_with_a_different_checksum_restarts() -> None:
    headers = {CR: "bytes 4-9/10", "x-checksum-sha256": HEX}
    assert classify_response(206, headers, offset=4, known_total=10, now=0.0, known_sha256="0" * 64) == Wait(
        0.0, restart=True, reason="the file changed on the server"
    )
    assert classify_response(206, headers, offset=4, known_total=10, now=0.0, known_sha256=HEX) == Stream(
        4, 10, HEX, None
    )


@pytest.mark.parametrize(
    ("status", "headers", "offset", "known_total", "decision"),
    [
        (200, {"content-length": "10"}, 0, None, Stream(0, 10, None, None)),
        (200, {"content-length": "10", "etag": '"v1"'}, 4, 10, Stream(0, 10, None, '"v1"')),  # Range ignored
        (200, {"etag": 'W/"weak"', "last-modified": "Mon"}, 0, None, Stream(0, None, None, "Mon")),
        (206, {CR: "bytes 4-9/10"}, 4, 10, Stream(4, 10, None, None)),
        (
            206,
            {CR: "bytes 3-9/10"},
            4,
            10,
            Wait(0.0, restart=True, reason="HTTP 206 with a Content-Range that does not match"),
        ),
        (
            206,
            {CR: "bytes 4-10/11"},
            4,
            10,
            Wait(0.0, restart=True, reason="the file changed size on the server"),
        ),
        (206, {}, 4, 10, Wait(0.0, restart=True, reason="HTTP 206 with a Content-Range that does not match")),
        (
            503,
            {"retry-after": "3"},
            0,
            None,
            Wait(3.0, preparing=True, reason="HTTP 503: archive not ready yet"),
        ),
        (503, {}, 0, None, Wait(None, preparing=True, reason="HTTP 503: archive not ready yet")),
        (202, {}, 0, None, Wait(None, preparing=True, reason="HTTP 202: archive not ready yet")),
        (
            404,
            {"retry-after": "5"},
            0,
            None,
            Wait(5.0, preparing=True, reason="HTTP 404: archive not ready yet"),
        ),
        (404, {}, 0, None, Fail(404)),
        (403, {}, 0, None, Fail(403)),
        (410, {}, 0, None, Fail(410)),
        (429, {"retry-after": "1"}, 0, None, Wait(1.0, reason="HTTP 429", status=429)),
        (500, {}, 0, None, Wait(None, reason="HTTP 500", status=500)),
        (502, {}, 0, None, Wait(None, reason="HTTP 502", status=502)),
        (
            416,
            {CR: "bytes */5"},
            7,
            10,
            Wait(0.0, restart=True, reason="HTTP 416: the partial file does not fit the server's"),
        ),
        (416, {}, 0, None, Fail(416)),
    ],
)
def test_classify_response(
    status: int, headers: dict[str, str], offset: int, known_total: int | None, decision: object
) -> None:
    assert classify_response(status, headers, offset=offset, known_total=known_total, now=0.0) == decision


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("tinker://run-1/weights/0001", "run-1_weights_0001"),
        ("tinker://abc:train:0/sampler_weights/final", "abc:train:0_sampler_weights_final"),
    ],
)
def test_checkpoint_dir_name(path: str, name: str) -> None:
    assert checkpoint_dir_name(path) == name


@pytest.mark.parametrize(
    "path",
    [
        "",
        "run/weights/x",
        "tinker://run/weights",
        "tinker://run/other/x",
        "tinker://run/weights/x/y",
        "tinker:///weights/x",
        "tinker://../weights/x",
        "tinker://run/weights/..",
        "tinker://r/weights/a\\b",
    ],
)
def test_checkpoint_dir_name_rejects(path: str) -> None:
    with pytest.raises(TinkexValidationError, match="tinker_path"):
        checkpoint_dir_name(path)


@pytest.mark.parametrize(
    ("headers", "known", "changed"),
    [
        ({CR: "bytes 4-9/10", "etag": '"v2"'}, '"v1"', True),  # replaced object, same size
        ({CR: "bytes 4-9/10", "etag": '"v1"'}, '"v1"', False),
        (
            {CR: "bytes 4-9/10", "last-modified": "Tue, 02 Dec 2025 00:00:00 GMT"},
            "Mon, 01 Dec 2025 00:00:00 GMT",
            True,
        ),
        ({CR: "bytes 4-9/10"}, '"v1"', False),  # no validator in the answer: nothing to compare
        ({CR: "bytes 4-9/10", "etag": 'W/"v2"'}, '"v1"', False),  # weak tags are not compared
        ({CR: "bytes 4-9/10", "etag": '"v2"'}, None, False),
    ],
)
def test_206_with_a_different_validator_restarts(
    headers: dict[str, str], known: str | None, changed: bool
) -> None:
    # A host that ignores If-Range answers 206 for a file that changed between attempts: the
    # kept prefix belongs to the old file, so the mix must be thrown away, not completed.
    decision = classify_response(206, headers, offset=4, known_total=10, now=0.0, known_validator=known)
    if changed:
        assert decision == Wait(0.0, restart=True, reason="the file changed on the server")
    else:
        assert isinstance(decision, Stream)
        assert decision.start == 4


def test_download_state_repr_hides_the_signed_url() -> None:
    # the state object shows up in debuggers and `--debug` tracebacks of attrs-aware tools
    from tinkex._download import _new_state

    state = _new_state("https://storage.example/a.tar?X-Amz-Signature=SECRETSIGNATURE", None, None, 3, 60.0)
    assert "SECRETSIGNATURE" not in repr(state)
    assert "storage.example/a.tar" in repr(state)


@pytest.mark.parametrize(
    "module", ["tinkex._download", "tinkex._archive", "tinkex._telemetry", "tinkex.cli._format"]
)
def test_docstring_examples_run(module: str) -> None:
    # The examples in the docstrings are what users copy: they must be true.
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0
