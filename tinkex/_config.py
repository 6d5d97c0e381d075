"""Client configuration: frozen `RetryConfig`, `PoolSizes` and `ClientConfig`, their defaults, and
`resolve_client_config`, the one place where explicit arguments, the environment and defaults meet.

Precedence: explicit argument > environment > `DEFAULT_*`. Nothing here does I/O; the environment
is passed in as a mapping so the resolution is a pure function.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from tinkex._exceptions import APIConnectionError, TinkexValidationError

__all__ = [
    "DEFAULT_BASE_URL",
    "CircuitBreakerConfig",
    "ClientConfig",
    "PoolSizes",
    "RetryConfig",
    "resolve_client_config",
]

# --- defaults (sources in the comments) -----------------------------------------------------------

# The official SDK's production endpoint (tinker 0.7.0 `_client.py`).
DEFAULT_BASE_URL = "https://tinker.thinkingmachines.dev/services/tinker-prod"

# RetryConfig defaults are the official 0.7.0 `RetryConfig` ones; max_retries is the Stainless
# transport default (10).
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_PROGRESS_TIMEOUT = 7200.0  # 2 h "no progress" limit of the official sampler retry handler
DEFAULT_RETRY_DELAY_BASE = 0.5
DEFAULT_RETRY_DELAY_MAX = 10.0
DEFAULT_JITTER_FACTOR = 0.25
DEFAULT_MAX_RETRIES = 10

# Timeouts of the official transport: 60 s per request, 5 s to connect, 45 s read for the
# retrieve_future long poll (the server holds it ~40 s), 10 s heartbeat period and timeout, a
# warning after 120 s without a successful heartbeat, 5 s for telemetry posts.
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_RETRIEVE_FUTURE_TIMEOUT = 45.0
DEFAULT_HEARTBEAT_INTERVAL = 10.0
DEFAULT_HEARTBEAT_TIMEOUT = 10.0
DEFAULT_HEARTBEAT_WARN_AFTER = 120.0
DEFAULT_TELEMETRY_TIMEOUT = 5.0

# Sampling throttles of 0.7.0: a 400-request dispatch semaphore and a 5 MiB in-flight byte budget.
DEFAULT_SAMPLING_MAX_CONCURRENCY = 400
DEFAULT_SAMPLING_MAX_BYTES = 5 * 1024 * 1024

# forward / forward_backward chunking of 0.7.0 (MAX_CHUNK_LEN, MAX_CHUNK_BYTES_COUNT).
DEFAULT_CHUNK_MAX_DATUMS = 1024
DEFAULT_CHUNK_MAX_BYTES = 5_000_000

# Connections per purpose. The official SDK opens up to 1000 per httpx client and a fresh client
# per concurrent training request; we bound each pool instead. Sampling and futures match the
# 400-request sampling cap plus headroom for training polls; session traffic is one heartbeat and
# the odd create call; telemetry is one batch at a time.
DEFAULT_POOL_SESSION = 4
DEFAULT_POOL_TRAINING = 64
DEFAULT_POOL_SAMPLING = 400
DEFAULT_POOL_FUTURES = 512
DEFAULT_POOL_TELEMETRY = 2
DEFAULT_POOL_DOWNLOADS = 8

# Circuit breaker (opt-in): the Elixir SDK's defaults (5 failures in a row, 30 s cool-down, one probe).
DEFAULT_BREAKER_FAILURE_THRESHOLD = 5
DEFAULT_BREAKER_RESET_TIMEOUT = 30.0
DEFAULT_BREAKER_HALF_OPEN_MAX_CALLS = 1
BREAKER_PURPOSES = frozenset({"session", "training", "sampling", "futures", "telemetry"})

# What a 429 on asample does to the session's sampling: "throttle" (a throttled window: fewer
# requests and a smaller byte budget for a while, recovering gradually; see _policy._sampling) or
# "pause" (0.7.0: every sample call of the session waits out a 1 s / 5 s pause).
SAMPLING_BACKPRESSURE_MODES = ("throttle", "pause")
DEFAULT_SAMPLING_BACKPRESSURE = "throttle"

# Environment variables (names as in the official SDK).
ENV_API_KEY = "TINKER_API_KEY"
ENV_BASE_URL = "TINKER_BASE_URL"
ENV_TAGS = "TINKER_TAGS"
ENV_TELEMETRY = "TINKER_TELEMETRY"
ENV_CF_CLIENT_ID = "CLOUDFLARE_ACCESS_CLIENT_ID"
ENV_CF_CLIENT_SECRET = "CLOUDFLARE_ACCESS_CLIENT_SECRET"

# Prefixes of real credentials: Tinker keys (`tml-`, required by 0.7.0) and JWTs (`eyJ`, accepted
# by later official SDKs). Other keys are accepted with a warning (see resolve_client_config).
_KNOWN_KEY_PREFIXES = ("tml-", "eyJ")
_TRUTHY = frozenset({"1", "true", "yes", "on"})


# --- converters and validators -----------------------------------------------------------------------


# Python functions, not the builtins `bool` / `tuple`: attrs reads a converter's signature, and for
# a builtin that parses its text signature with `tokenize`, whose first use compiles a large regex
# (~9 ms of the SDK's first-use import time).
def _to_bool(value: object) -> bool:
    return bool(value)


def _to_tuple(value: Iterable[type[BaseException]]) -> tuple[type[BaseException], ...]:
    return tuple(value)


def _positive(inst: Any, att: attrs.Attribute[Any], value: float) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool)) or not value > 0:
        _bad(inst, att, value, "must be a number > 0")


def _non_negative(inst: Any, att: attrs.Attribute[Any], value: float) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool)) or not value >= 0:
        _bad(inst, att, value, "must be a number >= 0")


def _positive_int(inst: Any, att: attrs.Attribute[Any], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        _bad(inst, att, value, "must be an int > 0")


def _non_negative_int(inst: Any, att: attrs.Attribute[Any], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _bad(inst, att, value, "must be an int >= 0")


def _optional_positive(inst: Any, att: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        _positive(inst, att, value)


def _bad(inst: Any, att: attrs.Attribute[Any], value: object, problem: str) -> None:
    name = f"{type(inst).__name__}.{att.name}"
    raise TinkexValidationError(name, f"{problem}, got {value!r}", f"pass a valid {att.name}=...")


# --- RetryConfig -------------------------------------------------------------------------------------


def _default_retryable() -> tuple[type[BaseException], ...]:
    # Builtin TimeoutError covers asyncio.TimeoutError (same class since 3.11) and APITimeoutError.
    return (TimeoutError, APIConnectionError)


@attrs.frozen
class RetryConfig:
    """How the SDK retries: one frozen policy shared by every caller (field names as the official SDK).

    Delays grow as ``min(retry_delay_base * 2**attempt, retry_delay_max)`` with +-`jitter_factor`
    jitter; a call gives up after `max_retries` retries, or when nothing progressed for
    `progress_timeout` seconds. An unreachable server ends a new call and the polling of a future
    already in flight alike: after `max_retries` connection errors in a row (about 65 s of backoff
    with the defaults). `max_connections` caps concurrent sampling requests of one client.

    Example::

        >>> cfg = RetryConfig(max_retries=3, retry_delay_max=2.0)
        >>> cfg.retry_delay_base
        0.5
        >>> attrs.evolve(cfg, enable_retry_logic=False).max_retries
        3
    """

    max_connections: int = attrs.field(default=DEFAULT_MAX_CONNECTIONS, validator=_positive_int)
    progress_timeout: float = attrs.field(default=DEFAULT_PROGRESS_TIMEOUT, validator=_positive)
    retry_delay_base: float = attrs.field(default=DEFAULT_RETRY_DELAY_BASE, validator=_non_negative)
    retry_delay_max: float = attrs.field(default=DEFAULT_RETRY_DELAY_MAX, validator=_non_negative)
    jitter_factor: float = attrs.field(default=DEFAULT_JITTER_FACTOR, validator=_non_negative)
    enable_retry_logic: bool = attrs.field(default=True, converter=_to_bool)
    retryable_exceptions: tuple[type[BaseException], ...] = attrs.field(
        factory=_default_retryable, converter=_to_tuple
    )
    max_retries: int = attrs.field(default=DEFAULT_MAX_RETRIES, validator=_non_negative_int)

    def __attrs_post_init__(self) -> None:
        if self.retry_delay_max < self.retry_delay_base:
            raise TinkexValidationError(
                "RetryConfig.retry_delay_max",
                f"must be >= retry_delay_base ({self.retry_delay_base}), got {self.retry_delay_max}",
                "raise retry_delay_max or lower retry_delay_base",
            )
        if self.jitter_factor > 1:
            raise TinkexValidationError(
                "RetryConfig.jitter_factor",
                f"must be between 0 and 1, got {self.jitter_factor}",
                "pass e.g. jitter_factor=0.25 for +-25 %",
            )
        for exc in self.retryable_exceptions:
            if not (isinstance(exc, type) and issubclass(exc, BaseException)):
                raise TinkexValidationError(
                    "RetryConfig.retryable_exceptions",
                    f"must hold exception classes, got {exc!r}",
                    "pass a tuple of exception types",
                )


# --- PoolSizes ---------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PoolSizes:
    """Maximum HTTP connections of each purpose's own pool, so one kind of traffic cannot starve another.

    Example::

        >>> PoolSizes(sampling=800).sampling
        800
    """

    session: int = attrs.field(default=DEFAULT_POOL_SESSION, validator=_positive_int)
    training: int = attrs.field(default=DEFAULT_POOL_TRAINING, validator=_positive_int)
    sampling: int = attrs.field(default=DEFAULT_POOL_SAMPLING, validator=_positive_int)
    futures: int = attrs.field(default=DEFAULT_POOL_FUTURES, validator=_positive_int)
    telemetry: int = attrs.field(default=DEFAULT_POOL_TELEMETRY, validator=_positive_int)
    downloads: int = attrs.field(default=DEFAULT_POOL_DOWNLOADS, validator=_positive_int)


# --- CircuitBreakerConfig ----------------------------------------------------------------------------


def _to_purposes(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(value)


def _check_purposes(inst: Any, att: attrs.Attribute[Any], value: frozenset[str]) -> None:
    unknown = value - BREAKER_PURPOSES
    if unknown or not value:
        _bad(inst, att, sorted(value), f"must be a non-empty subset of {sorted(BREAKER_PURPOSES)}")


@attrs.frozen(kw_only=True)
class CircuitBreakerConfig:
    """An opt-in circuit breaker per connection purpose (session, training, sampling, futures, telemetry).

    After `failure_threshold` failures in a row on a purpose (no HTTP answer, a timeout, or a 5xx;
    4xx and 429 answers show the server is alive and do not count), calls on that purpose raise
    `CircuitOpenError` at once for `reset_timeout` seconds; then up to `half_open_max_calls` probe
    requests go out, and the first answer decides: a success closes the breaker, a failure opens it
    for another cool-down. Pass it as ``ServiceClient(circuit_breaker=CircuitBreakerConfig())``.

    Example::

        >>> CircuitBreakerConfig(failure_threshold=3).reset_timeout
        30.0
        >>> sorted(CircuitBreakerConfig(purposes={"sampling"}).purposes)
        ['sampling']
    """

    failure_threshold: int = attrs.field(default=DEFAULT_BREAKER_FAILURE_THRESHOLD, validator=_positive_int)
    reset_timeout: float = attrs.field(default=DEFAULT_BREAKER_RESET_TIMEOUT, validator=_positive)
    half_open_max_calls: int = attrs.field(
        default=DEFAULT_BREAKER_HALF_OPEN_MAX_CALLS, validator=_positive_int
    )
    purposes: frozenset[str] = attrs.field(
        default=BREAKER_PURPOSES, converter=_to_purposes, validator=_check_purposes
    )


def _check_breaker(inst: Any, att: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, CircuitBreakerConfig):
        raise TinkexValidationError(
            "circuit_breaker",
            f"must be a tinkex.CircuitBreakerConfig or None, got {type(value).__name__}",
            "pass circuit_breaker=tinkex.CircuitBreakerConfig(failure_threshold=5)",
        )


def _check_backpressure(inst: Any, att: attrs.Attribute[Any], value: object) -> None:
    if value not in SAMPLING_BACKPRESSURE_MODES:
        _bad(inst, att, value, f"must be one of {SAMPLING_BACKPRESSURE_MODES}")


# --- ClientConfig ------------------------------------------------------------------------------------


def _check_api_key(inst: Any, att: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise TinkexValidationError(
            "api_key",
            "no API key was given",
            f"pass api_key='tml-...' or set the {ENV_API_KEY} environment variable",
        )
    if any(c.isspace() or not c.isprintable() for c in value):
        # Never echo the key itself.
        raise TinkexValidationError(
            "api_key",
            "contains whitespace or control characters (a pasted newline?)",
            f"pass the key exactly as issued, e.g. api_key='tml-...' or {ENV_API_KEY}=tml-...",
        )


def _normalize_base_url(value: str) -> str:
    if not isinstance(value, str):
        raise TinkexValidationError(
            "base_url",
            f"must be a string, got {type(value).__name__}",
            f"pass base_url='http://127.0.0.1:8000' or set {ENV_BASE_URL}",
        )
    return value.strip().rstrip("/")


def _check_base_url(inst: Any, att: attrs.Attribute[Any], value: str) -> None:
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise TinkexValidationError(
            "base_url",
            f"must be an http:// or https:// URL, got {value!r}",
            f"pass base_url='http://127.0.0.1:8000' or set {ENV_BASE_URL}",
        )


def _to_tags(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return _dedupe_tags(value)


def _dedupe_tags(values: Iterable[str]) -> tuple[str, ...]:
    from tinkex._policy._wire_check import check_text  # not at import: it loads tinkex.types

    seen: dict[str, None] = {}
    for tag in values:
        tag = check_text(str(tag).strip(), "tags", "pass tags as plain UTF-8 text")
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


def _to_metadata(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TinkexValidationError(
            "user_metadata",
            f"must be a mapping of str to str, got {type(value).__name__}",
            "pass e.g. user_metadata={'experiment': 'lr-sweep'}",
        )
    from tinkex._policy._wire_check import check_user_metadata  # not at import: it loads tinkex.types

    return check_user_metadata(value)


def _to_headers(value: Mapping[str, str]) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()}


def _to_query(value: Mapping[str, object] | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TinkexValidationError(
            "default_query",
            f"must be a mapping of parameter name to value, got {type(value).__name__}",
            "pass e.g. default_query={'region': 'us'}",
        )
    out: dict[str, str] = {}
    for k, v in value.items():
        if v is None:
            continue  # as for a call's own parameters: None means "not sent"
        if isinstance(v, Mapping | list | tuple | set):
            raise TinkexValidationError(
                f"default_query[{k!r}]",
                f"must be a scalar (str, int, float, bool), got {type(v).__name__}",
                "pass one value per parameter name",
            )
        out[str(k)] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _header_names(headers: Mapping[str, str]) -> str:
    # Header values may hold credentials: show names only.
    return repr(sorted(headers))


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a ServiceClient needs to reach the server; frozen, built by `resolve_client_config`.

    `api_key` and the Cloudflare secret never appear in `repr`. Override per call with `evolve`.

    Example::

        >>> cfg = ClientConfig(api_key="tml-local-dev-key", base_url="http://127.0.0.1:8000/")
        >>> cfg.base_url
        'http://127.0.0.1:8000'
        >>> "tml-local" in repr(cfg)
        False
        >>> cfg.evolve(request_timeout=5.0).request_timeout
        5.0
    """

    api_key: str = attrs.field(repr=False, validator=_check_api_key)
    # Stored without a trailing slash; endpoint paths start with /api/v1/.
    base_url: str = attrs.field(
        default=DEFAULT_BASE_URL, converter=_normalize_base_url, validator=_check_base_url
    )
    user_metadata: dict[str, Any] | None = attrs.field(default=None, converter=_to_metadata, hash=False)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_to_tags)
    telemetry_enabled: bool = attrs.field(default=True, converter=_to_bool)
    cloudflare_access_client_id: str | None = None
    cloudflare_access_client_secret: str | None = attrs.field(default=None, repr=False)
    # Extra headers sent on every request (the official `default_headers=`); repr shows names only.
    default_headers: dict[str, str] = attrs.field(
        factory=dict, converter=_to_headers, hash=False, repr=_header_names
    )
    # Query parameters added to every API request (the official `default_query=`); a call's own
    # parameter of the same name wins. Not sent to signed archive URLs. repr shows names only.
    default_query: dict[str, str] = attrs.field(
        factory=dict, converter=_to_query, hash=False, repr=_header_names
    )

    # Timeouts, seconds.
    request_timeout: float = attrs.field(default=DEFAULT_REQUEST_TIMEOUT, validator=_positive)
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_positive)
    retrieve_future_timeout: float = attrs.field(default=DEFAULT_RETRIEVE_FUTURE_TIMEOUT, validator=_positive)
    heartbeat_interval: float = attrs.field(default=DEFAULT_HEARTBEAT_INTERVAL, validator=_positive)
    heartbeat_timeout: float = attrs.field(default=DEFAULT_HEARTBEAT_TIMEOUT, validator=_positive)
    heartbeat_warn_after: float = attrs.field(default=DEFAULT_HEARTBEAT_WARN_AFTER, validator=_positive)
    telemetry_timeout: float = attrs.field(default=DEFAULT_TELEMETRY_TIMEOUT, validator=_positive)
    # Default deadline of a future's result(); None means only RetryConfig.progress_timeout applies.
    future_timeout: float | None = attrs.field(default=None, validator=_optional_positive)

    retry: RetryConfig = attrs.field(factory=RetryConfig)
    pool_sizes: PoolSizes = attrs.field(factory=PoolSizes)
    # HTTP/2 needs the optional `h2` package (the `http2` extra); off by default because the local
    # server speaks plain HTTP/1.1 and HTTP/2 multiplexing funnels every request into one socket.
    http2: bool = attrs.field(default=False, converter=_to_bool)

    # Sampling throttles and forward/forward_backward chunk limits (0.7.0 values).
    sampling_max_concurrency: int = attrs.field(
        default=DEFAULT_SAMPLING_MAX_CONCURRENCY, validator=_positive_int
    )
    sampling_max_bytes: int = attrs.field(default=DEFAULT_SAMPLING_MAX_BYTES, validator=_positive_int)
    chunk_max_datums: int = attrs.field(default=DEFAULT_CHUNK_MAX_DATUMS, validator=_positive_int)
    chunk_max_bytes: int = attrs.field(default=DEFAULT_CHUNK_MAX_BYTES, validator=_positive_int)
    # "throttle" or "pause" (0.7.0); see SAMPLING_BACKPRESSURE_MODES.
    sampling_backpressure: str = attrs.field(
        default=DEFAULT_SAMPLING_BACKPRESSURE, validator=_check_backpressure
    )
    # Off (None) by default; see CircuitBreakerConfig.
    circuit_breaker: CircuitBreakerConfig | None = attrs.field(default=None, validator=_check_breaker)

    def evolve(self, **changes: Any) -> ClientConfig:
        """A copy with `changes` applied (validated again); the per-call override mechanism.

        Example::

            fast = cfg.evolve(request_timeout=5.0, retry=attrs.evolve(cfg.retry, max_retries=0))
        """
        return attrs.evolve(self, **changes)

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate every request: X-API-Key, Cloudflare Access, `default_headers`.

        Example::

            >>> ClientConfig(api_key="tml-x").auth_headers()
            {'X-API-Key': 'tml-x'}
        """
        headers = dict(self.default_headers)
        headers["X-API-Key"] = self.api_key
        if self.cloudflare_access_client_id:
            headers["CF-Access-Client-Id"] = self.cloudflare_access_client_id
        if self.cloudflare_access_client_secret:
            headers["CF-Access-Client-Secret"] = self.cloudflare_access_client_secret
        return headers

    def secrets(self) -> tuple[str, ...]:
        """The configured credentials, for `redact(text, cfg.secrets())`.

        Example::

            >>> ClientConfig(api_key="my-own-key").secrets()
            ('my-own-key',)
        """
        return tuple(s for s in (self.api_key, self.cloudflare_access_client_secret) if s)


# --- resolution --------------------------------------------------------------------------------------


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def resolve_client_config(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    user_metadata: Mapping[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    telemetry: bool | None = None,
    cloudflare_access_client_id: str | None = None,
    cloudflare_access_client_secret: str | None = None,
    retry_config: RetryConfig | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    default_headers: Mapping[str, str] | None = None,
    default_query: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ClientConfig:
    """Build a `ClientConfig`: explicit argument > environment > `DEFAULT_*`.

    Environment: `TINKER_API_KEY`, `TINKER_BASE_URL` (empty falls back to the default),
    `TINKER_TAGS` (comma list, de-duplicated keeping order), `TINKER_TELEMETRY` (on when
    1/true/yes/on, the default; anything else turns it off), `CLOUDFLARE_ACCESS_CLIENT_ID` /
    `_SECRET`. `env` defaults to `os.environ`; pass a dict to keep the call pure. `timeout` and
    `max_retries` are the official ServiceClient keyword names, as is `default_query` (query
    parameters added to every API request); `overrides` sets any other ClientConfig field (e.g.
    `circuit_breaker=CircuitBreakerConfig()`, `sampling_backpressure="pause"`). A missing API key raises `TinkexValidationError` saying how to set it.

    Keys: any non-empty key without whitespace is accepted (the local server's dev key is
    `tml-local-dev-key`); one that starts with neither `tml-` (0.7.0 requires it) nor `eyJ` (JWTs,
    accepted by later SDKs) draws a `UserWarning`, because real Tinker servers will reject it.

    Example::

        >>> cfg = resolve_client_config(env={"TINKER_API_KEY": "tml-k", "TINKER_TAGS": "a,b,a"})
        >>> cfg.tags
        ('a', 'b')
    """
    env = os.environ if env is None else env

    key = api_key if api_key else _env(env, ENV_API_KEY)
    if isinstance(key, str):
        key = key.strip()
    if not key:
        raise TinkexValidationError(
            "api_key",
            "no API key was given and TINKER_API_KEY is not set",
            f"pass ServiceClient(api_key='tml-...') or run `export {ENV_API_KEY}=tml-...`",
        )
    if not key.startswith(_KNOWN_KEY_PREFIXES):
        warnings.warn(
            "The API key does not start with 'tml-': Tinker servers reject such keys "
            "(a local tinkex server accepts any key it was started with).",
            UserWarning,
            stacklevel=2,
        )

    url = base_url if base_url else (_env(env, ENV_BASE_URL) or DEFAULT_BASE_URL)

    resolved_tags = _to_tags(tags) if tags is not None else _to_tags(_env(env, ENV_TAGS))

    if telemetry is None:
        raw = _env(env, ENV_TELEMETRY)
        telemetry = True if raw is None else raw.lower() in _TRUTHY

    cf_id = cloudflare_access_client_id or _env(env, ENV_CF_CLIENT_ID)
    cf_secret = cloudflare_access_client_secret or _env(env, ENV_CF_CLIENT_SECRET)

    retry = retry_config if retry_config is not None else RetryConfig()
    if max_retries is not None:
        retry = attrs.evolve(retry, max_retries=max_retries)
    if timeout is not None:
        overrides.setdefault("request_timeout", timeout)

    unknown = set(overrides) - {a.name for a in attrs.fields(ClientConfig)}
    if unknown:
        raise TinkexValidationError(
            "resolve_client_config",
            f"unknown option(s) {sorted(unknown)}",
            "check the spelling against tinkex.ClientConfig's fields",
        )

    return ClientConfig(
        api_key=key,
        base_url=url,
        user_metadata=user_metadata,
        tags=resolved_tags,
        telemetry_enabled=telemetry,
        cloudflare_access_client_id=cf_id,
        cloudflare_access_client_secret=cf_secret,
        default_headers=dict(default_headers) if default_headers else {},
        default_query=default_query,
        retry=retry,
        **overrides,
    )
