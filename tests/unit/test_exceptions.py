"""The exception hierarchy: status mapping, official aliases, redaction, pickling and messages."""

from __future__ import annotations

import pickle

import pytest

import tinkex._exceptions as ex
from tinkex._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    FutureTimeoutError,
    RequestFailedError,
    SessionLostError,
    TinkexError,
    TinkexValidationError,
    redact,
    status_error_for,
)
from tinkex.types import RequestErrorCategory

OFFICIAL_NAMES = [
    "TinkerError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "APIConnectionError",
    "APIResponseValidationError",
    "RequestFailedError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
]


@pytest.mark.parametrize("name", OFFICIAL_NAMES)
def test_official_names_exist_under_one_base(name: str) -> None:
    cls = getattr(ex, name)
    assert issubclass(cls, TinkexError)
    assert name in ex.__all__


def test_tinker_error_is_the_base_alias() -> None:
    assert ex.TinkerError is TinkexError


@pytest.mark.parametrize(
    ("status", "cls_name"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (408, "RequestTimeoutError"),
        (409, "ConflictError"),
        (410, "GoneError"),
        (422, "UnprocessableEntityError"),
        (429, "RateLimitError"),
        (500, "InternalServerError"),
        (502, "InternalServerError"),
        (503, "InternalServerError"),
        (529, "InternalServerError"),
        (599, "InternalServerError"),
        (302, "APIStatusError"),
        (304, "APIStatusError"),
        (405, "APIStatusError"),
        (413, "APIStatusError"),
        (418, "APIStatusError"),
        (200, "APIStatusError"),
    ],
)
def test_status_error_for_maps_every_status(status: int, cls_name: str) -> None:
    err = status_error_for(status, "POST /api/v1/x", body={"detail": "nope"})
    assert type(err).__name__ == cls_name
    assert isinstance(err, APIStatusError)
    assert isinstance(err, APIError)
    assert err.status_code == status
    assert f"HTTP {status}" in str(err)
    assert "nope" in str(err)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, True),
        (401, True),
        (404, True),
        (409, True),
        (422, True),
        (408, False),
        (429, False),
        (500, False),
    ],
)
def test_status_error_is_user_error(status: int, expected: bool) -> None:
    assert status_error_for(status).is_user_error is expected


def test_status_error_messages_say_what_to_do() -> None:
    assert "TINKER_API_KEY" in str(status_error_for(401))
    assert "base_url" in str(status_error_for(302))
    assert "request id r-9" in str(status_error_for(500, headers={"X-Request-ID": "r-9"}))


def test_status_error_request_id_from_header_or_body() -> None:
    assert status_error_for(500, headers={"x-request-id": "h1"}).request_id == "h1"
    assert status_error_for(500, body={"request_id": "b1"}).request_id == "b1"
    assert status_error_for(500, request_id="e1", headers={"x-request-id": "h1"}).request_id == "e1"
    assert status_error_for(500).request_id is None


def test_status_error_keeps_body_and_headers() -> None:
    err = status_error_for(422, body={"detail": [{"loc": ["x"]}]}, headers={"a": "b"})
    assert err.body == {"detail": [{"loc": ["x"]}]}
    assert err.headers == {"a": "b"}


def test_status_error_body_variants_are_rendered_briefly() -> None:
    assert "plain text" in str(status_error_for(500, body="plain text"))
    assert "bytes body" in str(status_error_for(500, body=b"bytes body"))
    long = status_error_for(500, body="x" * 5000)
    assert len(str(long)) < 800
    assert str(status_error_for(500, body=None)).startswith("HTTP 500 (")


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("key tml-abcDEF123_-x was rejected", "abcDEF123"),
        ("X-API-Key: some-raw-secret", "some-raw-secret"),
        ("{'X-API-Key': 'other-secret-value'}", "other-secret-value"),
        ('{"api_key": "json-secret-value"}', "json-secret-value"),
        ("api_key=query-secret&x=1", "query-secret"),
        ("CF-Access-Client-Secret: cf-secret-value", "cf-secret-value"),
        ("Authorization: Bearer bearer-token-value", "bearer-token-value"),
        ("client_secret=abc-def-ghi", "abc-def-ghi"),
    ],
)
def test_redact_strips_secrets(text: str, leaked: str) -> None:
    out = redact(text)
    assert leaked not in out
    assert "<redacted>" in out


def test_redact_explicit_secrets_and_leaves_plain_text() -> None:
    assert redact("my key is s3cr3t-key-value", ["s3cr3t-key-value"]) == "my key is <redacted>"
    assert redact("nothing to hide here") == "nothing to hide here"
    # Too short to be a credential: not blanked (would destroy ordinary words).
    assert redact("the abc", ["abc"]) == "the abc"
    assert redact("x", [None, ""]) == "x"


def test_status_error_never_contains_the_key() -> None:
    err = status_error_for(
        401,
        "POST /api/v1/create_session with X-API-Key: tml-supersecret",
        body={"detail": "invalid key tml-supersecret"},
    )
    assert "supersecret" not in str(err)
    assert "supersecret" not in repr(err)


def test_timeouts_are_builtin_timeouts() -> None:
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(FutureTimeoutError, TimeoutError)
    assert not issubclass(FutureTimeoutError, APIError)
    with pytest.raises(TimeoutError):
        raise FutureTimeoutError(request_id="r1", timeout=2.5)


def test_future_timeout_message() -> None:
    err = FutureTimeoutError(request_id="r1", timeout=2.5)
    assert "2.5 s" in str(err)
    assert "r1" in str(err)
    assert "result() again" in str(err)
    assert err.request_id == "r1"
    assert err.timeout == 2.5


def test_connection_errors_have_actionable_defaults() -> None:
    assert "base_url" in str(APIConnectionError())
    assert "timeout" in str(APITimeoutError())
    assert APIConnectionError().body is None


@pytest.mark.parametrize(
    ("category", "expected", "user"),
    [
        ("user", RequestErrorCategory.User, True),
        ("USER", RequestErrorCategory.User, True),
        ("server", RequestErrorCategory.Server, False),
        (RequestErrorCategory.Unknown, RequestErrorCategory.Unknown, False),
        ("something-new", RequestErrorCategory.Unknown, False),
    ],
)
def test_request_failed_error_category(category: str, expected: RequestErrorCategory, user: bool) -> None:
    err = RequestFailedError("boom", "req-1", category)
    assert err.category is expected
    assert err.is_user_error is user
    assert err.request_id == "req-1"
    assert err.message == "boom"
    assert isinstance(err, APIError)


def test_request_failed_error_redacts_its_message() -> None:
    assert "abc123" not in str(RequestFailedError("bad key tml-abc123", "r", "user"))


def test_session_lost_error() -> None:
    err = SessionLostError(session_id="sess-1")
    assert "sess-1" in str(err)
    assert "new ServiceClient" in str(err)
    assert err.session_id == "sess-1"


def test_validation_error_names_field_and_fix() -> None:
    err = TinkexValidationError(
        "SamplingParams.max_tokens", "must be >= 1, got 0", "pass max_tokens=1 or more"
    )
    assert isinstance(err, ValueError)
    assert isinstance(err, TinkexError)
    assert err.field == "SamplingParams.max_tokens"
    assert err.fix == "pass max_tokens=1 or more"
    assert str(err) == "SamplingParams.max_tokens: must be >= 1, got 0; pass max_tokens=1 or more"


def test_response_validation_error() -> None:
    err = APIResponseValidationError(body={"x": 1}, status_code=200)
    assert err.status_code == 200
    assert "schema" in str(err)


@pytest.mark.parametrize(
    "err",
    [
        status_error_for(404, "GET /x", body={"detail": "no"}, headers={"x-request-id": "r"}),
        status_error_for(503),
        APIConnectionError(),
        APITimeoutError(),
        APIResponseValidationError(body="x"),
        RequestFailedError("failed", "r1", "user"),
        FutureTimeoutError(request_id="r", timeout=1.0),
        SessionLostError(session_id="s"),
        TinkexValidationError("f", "p", "fix"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_exceptions_pickle(err: TinkexError) -> None:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err)
    assert copy.__dict__.keys() == err.__dict__.keys()
    for key in err.__dict__.keys() - {"request", "response"}:
        assert getattr(copy, key) == getattr(err, key)


def test_pickle_drops_live_httpx_objects() -> None:
    httpx = pytest.importorskip("httpx")
    request = httpx.Request("POST", "http://127.0.0.1/api/v1/x")
    response = httpx.Response(500, request=request)
    err = status_error_for(500, response=response, request=request)
    assert err.response is response
    copy = pickle.loads(pickle.dumps(err))
    assert copy.status_code == 500
    assert copy.response is None
    assert copy.request is None


def test_all_is_sorted_and_complete() -> None:
    assert ex.__all__ == sorted(ex.__all__)
    public = {
        n
        for n, v in vars(ex).items()
        if not n.startswith("_")
        and ((isinstance(v, type) and issubclass(v, BaseException)) or callable(v))
        and getattr(v, "__module__", "") == ex.__name__
    }
    assert public <= set(ex.__all__)


@pytest.mark.parametrize("at", [480, 490, 495, 1995, 1998])
def test_truncated_body_never_leaks_a_partial_key(at: int) -> None:
    # Keys straddling either cut (the 2000-char pre-cut and the 500-char message limit).
    body = "x" * at + "tml-" + "s" * 40 + "y" * 10_000
    assert "sss" not in str(status_error_for(500, body=body))
    header = "x" * at + "X-API-Key: rawsecretvalue" + "y" * 10_000
    assert "raw" not in str(status_error_for(500, body=header))


def test_official_constructor_forms_for_mocks() -> None:
    # Users' tests raise these the way the official SDK builds them; that must keep working.
    httpx = pytest.importorskip("httpx")
    request = httpx.Request("POST", "http://127.0.0.1/api/v1/forward")
    response = httpx.Response(400, request=request, headers={"x-request-id": "abc"})

    conn = ex.APIConnectionError(request=request)
    assert conn.request is request
    assert "base_url" in conn.message
    assert ex.APIConnectionError(request, "custom").message == "custom"
    assert ex.APIConnectionError(request).request is request

    timeout = ex.APITimeoutError(request)
    assert timeout.request is request
    assert isinstance(timeout, TimeoutError)
    assert "timed out" in timeout.message
    assert ex.APITimeoutError(request=request).request is request

    bad = ex.BadRequestError("bad", response=response, body={"detail": "x"})
    assert (bad.status_code, bad.response, bad.request, bad.body) == (400, response, request, {"detail": "x"})
    assert bad.headers["x-request-id"] == "abc"
    assert ex.APIStatusError("m", response, None).status_code == 400

    val = ex.APIResponseValidationError(response, {"x": 1}, "shape mismatch")
    assert (val.status_code, val.body, val.message, val.response) == (
        400,
        {"x": 1},
        "shape mismatch",
        response,
    )
    assert "schema" in ex.APIResponseValidationError(response, None).message
    orphan = httpx.Response(200)  # no request attached
    assert ex.APIResponseValidationError(response=orphan).request is None
