"""The one exception hierarchy of tinkex, the status-code -> class mapping, and secret redaction.

Everything the SDK raises on purpose derives from `TinkexError` (alias `TinkerError`), and every
such error answers three questions (derived in one place, `tinkex._policy._retry.error_traits`, from
the same rules the retry policy follows):

- `retryable`: can sending the same request again succeed? True for connection errors and timeouts,
  408, 429, 5xx, a 409 on an idempotent operation, `x-should-retry: true`, a 410 on a sample or
  forward (not on a training step: it may have been applied), a failed future of category `server`,
  a deadline the user set, an open circuit breaker. The SDK has already retried
  what it could before raising; this says whether trying again later is worth it.
- `retry_after`: seconds the server asked to wait (`retry-after-ms` / `retry-after`), or the
  circuit breaker's remaining cool-down; None when nobody asked.
- `is_user_error`: the request itself was at fault (other 4xx, category `user`, local validation),
  so only changing it can help.

The tree::

    TinkexError (alias TinkerError)
    ├── APIError
    │   ├── APIConnectionError
    │   │   └── APITimeoutError                  (also builtin TimeoutError)
    │   ├── APIStatusError                       (.status_code, .request_id, .body, .headers)
    │   │   ├── BadRequestError 400
    │   │   ├── AuthenticationError 401
    │   │   ├── BillingError 402                 (tinker >= 0.38 servers; raised after a bounded pause)
    │   │   ├── PermissionDeniedError 403
    │   │   ├── NotFoundError 404
    │   │   ├── RequestTimeoutError 408
    │   │   ├── ConflictError 409
    │   │   ├── GoneError 410
    │   │   ├── UnprocessableEntityError 422
    │   │   ├── RateLimitError 429
    │   │   └── InternalServerError >=500
    │   ├── APIResponseValidationError           (.request_id when known)
    │   └── RequestFailedError                   (.request_id, .category)
    ├── CircuitOpenError                         (a purpose's circuit breaker is open; .purpose)
    ├── ClientClosedError                        (the client was closed while a call waited)
    ├── FutureTimeoutError                       (also builtin TimeoutError)
    ├── SessionLostError
    └── TinkexValidationError                    (also ValueError; .field, .fix)

No module of tinkex is imported here at import time, so every other module may import this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from tinkex._policy._retry import ErrorTraits
    from tinkex.types import RequestErrorCategory

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BillingError",
    "CircuitOpenError",
    "ClientClosedError",
    "ConflictError",
    "FutureTimeoutError",
    "GoneError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestFailedError",
    "RequestTimeoutError",
    "SessionLostError",
    "TinkerError",
    "TinkexError",
    "TinkexValidationError",
    "UnprocessableEntityError",
    "redact",
    "status_error_class",
    "status_error_for",
]

# ---------------------------------------------------------------------------------------------
# Redaction
# ---------------------------------------------------------------------------------------------

REDACTED = "<redacted>"

# Tinker API keys look like `tml-<random>`; we strip the random part wherever it appears.
_TML_KEY = re.compile(r"tml-[A-Za-z0-9_\-\.]+")
# `Name: value`, `'Name': 'value'`, `"Name"="value"`, `name=value` for the secret-bearing headers and
# keyword names. The value runs to the next quote, comma, whitespace, `&`, `}` or end of text.
_SECRET_FIELDS = re.compile(
    r"""(?P<name>x-api-key|cf-access-client-secret|api[_-]?key|authorization|client[_-]?secret)"""
    r"""(?P<sep>['"]?\s*[:=]\s*['"]?)"""
    r"""(?P<scheme>bearer\s+)?"""
    r"""(?P<value>[^'"\s,&}\]]+)""",
    re.IGNORECASE,
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with API keys and other credentials replaced by ``<redacted>``.

    Strips `tml-...` keys, the values of `X-API-Key`, `CF-Access-Client-Secret`, `Authorization`
    and `api_key=` wherever they appear, and every exact string in `secrets` (pass the configured
    key when it may not look like a Tinker key).

    Example::

        >>> redact("bad key tml-abc123 in X-API-Key: tml-abc123")
        'bad key tml-<redacted> in X-API-Key: <redacted>'
    """
    for secret in secrets:
        # Very short strings would blank out ordinary words; real credentials are longer.
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    text = _SECRET_FIELDS.sub(_redact_field, text)
    return _TML_KEY.sub("tml-" + REDACTED, text)


def _redact_field(m: re.Match[str]) -> str:
    return f"{m.group('name')}{m.group('sep')}{m.group('scheme') or ''}{REDACTED}"


def _describe_body(body: object, limit: int = 500) -> str:
    """A short, redacted, single-line rendering of a response body for an error message."""
    if body is None or body == "" or body == b"":
        return ""
    detail: object = body
    if isinstance(body, Mapping):
        # FastAPI-style {"detail": ...} or {"error": ...}: show the useful part only.
        for key in ("detail", "error", "message"):
            if key in body:
                detail = body[key]
                break
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    text = detail if isinstance(detail, str) else repr(detail)
    # Cut before redacting so a multi-megabyte body costs nothing; a key cut in half is still
    # caught by the patterns (they need no terminator).
    text = " ".join(redact(text[: limit * 4]).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


# ---------------------------------------------------------------------------------------------
# Base and pickling
# ---------------------------------------------------------------------------------------------


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an exception without calling its __init__ (whose signature may need live objects)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class TinkexError(Exception):
    """Base class of every error tinkex raises on purpose (alias: `TinkerError`).

    Example::

        try:
            future.result()
        except tinkex.TinkexError as e:
            print("tinkex failed:", e)
    """

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def _traits(self) -> ErrorTraits:
        """The facts this class knows, turned into traits by the one policy (subclasses override)."""
        from tinkex._policy._retry import error_traits

        return error_traits()

    @property
    def retryable(self) -> bool:
        """True when sending the same request again (after `retry_after`, if set) can succeed.

        Example::

            except tinkex.TinkexError as e:
                if e.retryable:
                    time.sleep(e.retry_after or 5.0)
        """
        return self._traits().retryable

    @property
    def retry_after(self) -> float | None:
        """Seconds the server (or the circuit breaker) asked to wait before trying again, or None."""
        return self._traits().retry_after

    @property
    def is_user_error(self) -> bool:
        """True when the request itself was at fault: resending it unchanged cannot succeed."""
        return self._traits().is_user_error

    def __reduce__(self) -> tuple[Any, ...]:
        # httpx requests/responses do not survive pickling across processes; the facts that
        # matter (status, body, request id) are plain attributes and do.
        state = {k: None if k in ("request", "response") else v for k, v in self.__dict__.items()}
        return (_rebuild, (type(self), self.args, state))


TinkerError = TinkexError


class APIError(TinkexError):
    """An error talking to the Tinker API (connection, status, response shape, failed request).

    Example::

        except tinkex.APIError as e:
            print(e.message, e.body)
    """

    request: httpx.Request | None
    body: object | None

    def __init__(
        self, message: str, request: httpx.Request | None = None, *, body: object | None = None
    ) -> None:
        super().__init__(message)
        self.request = request
        self.body = body


_CONNECTION_MESSAGE = "Connection error: the Tinker server could not be reached; check the network and base_url / TINKER_BASE_URL"
_TIMEOUT_MESSAGE = (
    "Request timed out: the Tinker server did not answer in time; retry later or raise the timeout"
)
_VALIDATION_MESSAGE = (
    "The server's response did not match the expected schema; "
    "check that base_url points at a Tinker API server of a compatible version"
)


class APIConnectionError(APIError):
    """The request never got an HTTP answer (DNS, refused, reset, TLS, protocol error).

    Also accepts the official positional form ``APIConnectionError(request, message)``.

    Example::

        except tinkex.APIConnectionError:
            ...  # the SDK already retried; check the network or TINKER_BASE_URL
    """

    def __init__(
        self,
        message: str | httpx.Request | None = None,
        request: httpx.Request | str | None = None,
    ) -> None:
        if message is not None and not isinstance(message, str):
            message, request = request, message  # official order: (request, message)
        if not isinstance(message, str):
            message = self._default_message()
        super().__init__(message, request if not isinstance(request, str) else None, body=None)

    @staticmethod
    def _default_message() -> str:
        return _CONNECTION_MESSAGE

    def _traits(self) -> ErrorTraits:
        from tinkex._policy._retry import error_traits

        return error_traits(connection_error=True)


class APITimeoutError(APIConnectionError, TimeoutError):
    """An HTTP request timed out (connect, read, write or pool); also a builtin `TimeoutError`.

    Also accepts the official positional form ``APITimeoutError(request)``.

    Example::

        except TimeoutError:  # catches APITimeoutError and FutureTimeoutError alike
            ...
    """

    @staticmethod
    def _default_message() -> str:
        return _TIMEOUT_MESSAGE


class APIResponseValidationError(APIError):
    """The server answered 2xx with a body that is not the expected shape.

    Also accepts the official positional form ``APIResponseValidationError(response, body, message)``.

    Example::

        except tinkex.APIResponseValidationError as e:
            print(e.status_code, e.body)
    """

    status_code: int | None
    response: httpx.Response | None
    request_id: str | None

    def __init__(
        self,
        message: str | httpx.Response | None = None,
        body: object | None = None,
        official_message: str | None = None,
        *,
        status_code: int | None = None,
        response: httpx.Response | None = None,
        request: httpx.Request | None = None,
        request_id: str | None = None,
    ) -> None:
        if message is not None and not isinstance(message, str):
            response, message = message, official_message
        if response is not None:
            status_code = response.status_code if status_code is None else status_code
            request = request if request is not None else _request_of(response)
        super().__init__(message or _VALIDATION_MESSAGE, request, body=body)
        self.status_code = status_code
        self.response = response
        self.request_id = request_id


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # an httpx.Response built without a request
        return None


# ---------------------------------------------------------------------------------------------
# Status errors
# ---------------------------------------------------------------------------------------------


class APIStatusError(APIError):
    """The server answered with a non-2xx status. Subclasses exist per status; see `status_error_for`.

    Attributes: `status_code`, `request_id` (from the `x-request-id` header or the body, if any),
    `body` (decoded JSON or text), `headers`, `response` (may be None), `is_user_error`.

    Example::

        except tinkex.APIStatusError as e:
            print(e.status_code, e.request_id)
    """

    # The default status of the class; instances carry the real one.
    status_code: int = 0
    request_id: str | None
    headers: dict[str, str]
    response: httpx.Response | None
    # What to do next, appended to the message; per-status subclasses override it.
    hint: ClassVar[str] = "see the server's message; this status is not retried"

    def __init__(
        self,
        message: str,
        response: httpx.Response | None = None,
        body: object | None = None,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        request: httpx.Request | None = None,
        conflict_retryable: bool = False,
        resubmit_safe: bool = True,
    ) -> None:
        # `response` and `body` may be positional, as in the official (message, response, body).
        if response is not None:
            status_code = response.status_code if status_code is None else status_code
            headers = dict(response.headers) if headers is None else headers
            request = request if request is not None else _request_of(response)
        super().__init__(message, request, body=body)
        if status_code is not None:
            self.status_code = status_code
        self.request_id = request_id
        self.headers = dict(headers) if headers else {}
        self.response = response
        # A 409 on an idempotent operation means "the same request is still in flight".
        self.conflict_retryable = conflict_retryable
        # A 410 on a training future: the request was accepted and may have been applied, so
        # submitting it again is not safe (it could apply a step twice).
        self.resubmit_safe = resubmit_safe

    def _traits(self) -> ErrorTraits:
        from tinkex._policy._retry import error_traits

        return error_traits(
            status=self.status_code,
            headers=self.headers,
            conflict_retryable=getattr(self, "conflict_retryable", False),
            resubmit_safe=getattr(self, "resubmit_safe", True),
        )


class BadRequestError(APIStatusError):
    """HTTP 400: the server rejected the request body.

    Example::

        except tinkex.BadRequestError as e:
            print(e.body)  # names the offending field
    """

    status_code = 400
    hint = "fix the field the server names and send again"


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing, malformed or revoked.

    Example::

        except tinkex.AuthenticationError:
            ...  # set TINKER_API_KEY
    """

    status_code = 401
    hint = "check the API key (api_key=... or the TINKER_API_KEY environment variable)"


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the key may not access this resource.

    Example::

        except tinkex.PermissionDeniedError: ...
    """

    status_code = 403
    hint = "this API key may not access the resource; use the owner's key or a public checkpoint"


class NotFoundError(APIStatusError):
    """HTTP 404: no such model, session, future, run or checkpoint.

    Example::

        except tinkex.NotFoundError: ...
    """

    status_code = 404
    hint = "check the id or tinker:// path; it may have been deleted or belong to another account"


class RequestTimeoutError(APIStatusError):
    """HTTP 408: the server timed the request out (for retrieve_future: still pending).

    Example::

        except tinkex.RequestTimeoutError: ...
    """

    status_code = 408
    hint = "the server timed out waiting; the SDK retries this, so raise the deadline if it persists"


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the resource's state (e.g. already published).

    Example::

        except tinkex.ConflictError: ...
    """

    status_code = 409
    hint = "the resource is already in the requested state or in use; check it before retrying"


class GoneError(APIStatusError):
    """HTTP 410: the resource expired (for futures: the server no longer holds the result).

    Example::

        except tinkex.GoneError: ...
    """

    status_code = 410
    hint = "the server no longer holds this result"


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: well-formed request with invalid values.

    Example::

        except tinkex.UnprocessableEntityError as e:
            print(e.body)
    """

    status_code = 422
    hint = "fix the value the server names and send again"


class BillingError(APIStatusError):
    """HTTP 402: the account cannot pay for the request (tinker >= 0.38 servers). The SDK pauses a
    bounded time before raising it (`_policy._retry.billing_pause`), so a loop that retries at once
    does not hammer the server; `retry_after` is the server's Retry-After, when it sent one.

    Example::

        except tinkex.BillingError as e:
            print(e, e.retry_after)  # top up the account, then run again
    """

    status_code = 402
    hint = "the account's billing refused the request; check its credits or plan, then run again"


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests; the SDK backs off and retries before raising this.

    Example::

        except tinkex.RateLimitError: ...
    """

    status_code = 429
    hint = "rate limited; slow down or raise RetryConfig.max_retries"


class InternalServerError(APIStatusError):
    """HTTP 5xx (including 529): the server failed; retried by the SDK before being raised.

    Example::

        except tinkex.InternalServerError as e:
            print(e.status_code, e.request_id)
    """

    status_code = 500
    hint = "the server failed; the SDK already retried, so try again later and quote the request id"


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        BillingError,
        PermissionDeniedError,
        NotFoundError,
        RequestTimeoutError,
        ConflictError,
        GoneError,
        UnprocessableEntityError,
        RateLimitError,
    )
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status (any int; unknown ones give `APIStatusError`).

    Example::

        >>> status_error_class(529).__name__
        'InternalServerError'
    """
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


def status_error_for(
    status: int,
    message: str | None = None,
    *,
    body: object | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    response: httpx.Response | None = None,
    request: httpx.Request | None = None,
    conflict_retryable: bool = False,
    hint: str | None = None,
    resubmit_safe: bool = True,
) -> APIStatusError:
    """Build the right `APIStatusError` subclass for `status`, with a redacted, actionable message.

    `message` (e.g. "POST /api/v1/forward_backward") leads the text; the body's detail and a hint
    on what to do next follow (the class's, unless `hint` is given). 3xx and unknown 4xx give a bare
    `APIStatusError`; every 5xx gives `InternalServerError`. `conflict_retryable` marks a 409 of an
    idempotent operation as retryable; `resubmit_safe=False` marks a 410 whose request may have been
    applied (a training future) as not retryable.

    Example::

        >>> e = status_error_for(404, "GET /api/v1/training_runs/x", body={"detail": "no such run"})
        >>> type(e).__name__, e.status_code
        ('NotFoundError', 404)
    """
    cls = status_error_class(status)
    headers = dict(headers) if headers else {}
    if request_id is None:
        request_id = _request_id_from(headers, body)
    parts = [f"HTTP {status}"]
    if message:
        parts[0] = f"{redact(message)}: HTTP {status}"
    detail = _describe_body(body)
    if detail:
        parts.append(detail)
    if hint is None:
        hint = cls.hint
    if 300 <= status < 400:
        hint = "the server answered with a redirect; check base_url / TINKER_BASE_URL"
    text = " - ".join(parts) + f" ({hint}"
    text += f"; request id {request_id})" if request_id else ")"
    return cls(
        text,
        status_code=status,
        body=body,
        request_id=request_id,
        headers=headers,
        response=response,
        request=request,
        conflict_retryable=conflict_retryable,
        resubmit_safe=resubmit_safe,
    )


def _request_id_from(headers: Mapping[str, str], body: object) -> str | None:
    for name, value in headers.items():
        if name.lower() in ("x-request-id", "request-id"):
            return value
    if isinstance(body, Mapping):
        rid = body.get("request_id")
        if isinstance(rid, str):
            return rid
    return None


# ---------------------------------------------------------------------------------------------
# Futures, sessions, local validation
# ---------------------------------------------------------------------------------------------


class RequestFailedError(APIError):
    """A submitted request finished in a failed state (the future's result was an error).

    `category` is a `tinkex.types.RequestErrorCategory` (`user`, `server` or `unknown`);
    `is_user_error` is True when the input was at fault, so resending it cannot help.

    Example::

        try:
            training_client.forward_backward(data, "cross_entropy").result()
        except tinkex.RequestFailedError as e:
            print(e.request_id, e.category, e.is_user_error)
    """

    request_id: str
    category: RequestErrorCategory

    def __init__(
        self,
        message: str,
        request_id: str = "",
        category: RequestErrorCategory | str = "unknown",
        *,
        body: object | None = None,
    ) -> None:
        # Imported here: tinkex.types imports this module at import time.
        from tinkex.types import RequestErrorCategory

        super().__init__(redact(message), body=body)
        self.request_id = request_id
        try:
            self.category = RequestErrorCategory(str(category).lower())
        except ValueError:
            self.category = RequestErrorCategory.Unknown

    def _traits(self) -> ErrorTraits:
        from tinkex._policy._retry import error_traits

        return error_traits(category=str(self.category).lower())


class FutureTimeoutError(TinkexError, TimeoutError):
    """A deadline the user set (e.g. `future.result(timeout=...)`) ran out; also a builtin `TimeoutError`.

    The request may still complete on the server; call `.result()` again to keep waiting.

    Example::

        try:
            fut.result(timeout=30)
        except TimeoutError:
            ...
    """

    request_id: str | None
    timeout: float | None

    def __init__(
        self, message: str | None = None, *, request_id: str | None = None, timeout: float | None = None
    ) -> None:
        if message is None:
            waited = f" after {timeout:g} s" if timeout is not None else ""
            rid = f" for request {request_id}" if request_id else ""
            message = (
                f"Timed out{waited} waiting{rid}; the request may still finish on the server: "
                "call result() again or pass a larger timeout"
            )
        super().__init__(message)
        self.request_id = request_id
        self.timeout = timeout

    def _traits(self) -> ErrorTraits:
        # Waiting again can still see the result: the request may finish on the server.
        from tinkex._policy._retry import error_traits

        return error_traits(transient=True)


class CircuitOpenError(TinkexError):
    """Calls of one connection purpose fail fast: its circuit breaker saw too many failures in a row.

    Raised without sending anything while the breaker's cool-down runs (`retry_after` is what is
    left of it); then one probe request decides whether calls flow again. Only raised when the
    ServiceClient was given a `CircuitBreakerConfig`.

    Example::

        try:
            fut.result()
        except tinkex.CircuitOpenError as e:
            time.sleep(e.retry_after or 1.0)  # the server is struggling; give it the cool-down
    """

    purpose: str
    remaining: float
    # Attempts of this call that went out before the breaker refused the next one (0: nothing sent).
    attempts: int

    def __init__(self, purpose: str, remaining: float, failures: int = 0, *, attempts: int = 0) -> None:
        after = f" after {failures} failures in a row" if failures else ""
        super().__init__(
            f"the circuit breaker of the '{purpose}' connections is open{after}; calls fail fast for "
            f"another {remaining:.1f} s, then one probe request decides - wait, or check the server"
        )
        self.purpose = purpose
        self.remaining = remaining
        self.attempts = attempts

    def _traits(self) -> ErrorTraits:
        from tinkex._policy._retry import error_traits

        return error_traits(transient=True, retry_after=self.remaining)


class ClientClosedError(TinkexError):
    """The ServiceClient was closed before (or while) this call ran; its result will never come.

    Not an `APIConnectionError` on purpose: retrying on a closed client can never succeed, so retry
    loops that catch connection errors must not catch this one.

    Example::

        try:
            fut.result()
        except tinkex.ClientClosedError:
            ...  # create a new ServiceClient (and do not close it while calls are waiting)
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "the tinkex client was closed while this call was pending, so it will never finish; "
            "create a new ServiceClient (and close it only after your calls are done)"
        )


class SessionLostError(TinkexError):
    """The server no longer knows this client's session (expired heartbeat or server restart).

    Clients bound to the session cannot be used any more; create a new ServiceClient.

    Example::

        except tinkex.SessionLostError:
            service_client = tinkex.ServiceClient()
    """

    session_id: str | None

    def __init__(self, message: str | None = None, *, session_id: str | None = None) -> None:
        if message is None:
            which = f" {session_id}" if session_id else ""
            message = (
                f"The server no longer knows session{which}; create a new ServiceClient "
                "(and restore from a saved checkpoint if needed)"
            )
        super().__init__(message)
        self.session_id = session_id


class TinkexValidationError(TinkexError, ValueError):
    """Bad local input, caught before anything is sent; names the field and the fix.

    Also a `ValueError`, so code written for the official SDK keeps catching it.

    Example::

        >>> e = TinkexValidationError("SamplingParams.max_tokens", "must be >= 1, got 0", "pass max_tokens=1 or more")
        >>> str(e)
        'SamplingParams.max_tokens: must be >= 1, got 0; pass max_tokens=1 or more'
    """

    field: str
    problem: str
    fix: str

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        message = f"{field}: {problem}"
        if fix:
            message += f"; {fix}"
        super().__init__(redact(message))
        self.field = field
        self.problem = problem
        self.fix = fix

    def _traits(self) -> ErrorTraits:
        from tinkex._policy._retry import error_traits

        return error_traits(local_input=True)
