"""Connection pools per purpose (session+heartbeat, training, sampling, futures, telemetry) and the
ONE place where HTTP-layer errors become tinkex exceptions. No retries here (see _requests).

Two HTTP stacks sit behind one `send`: the lean HTTP/1.1 client of `_http11` (the default: ~20x
less client CPU per request than httpx here) and httpx, kept for what needs its generality: a proxy
from the environment, HTTP/2, a base URL with credentials, or a user-supplied client factory (the
tests' mock transports)."""

from __future__ import annotations

import contextlib
import importlib
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import orjson
from _tinkex_lowlevel.operations import Pool

from tinkex._config import ClientConfig
from tinkex._exceptions import APIConnectionError, APITimeoutError, ClientClosedError, redact
from tinkex._runtime._http11 import ConnectionPool, HTTPTimeout, HTTPTransportError
from tinkex._runtime._httpx import import_httpx
from tinkex._version import __version__

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpClientFactory", "Purpose", "RawResponse", "Transport", "decode_json", "encode_json"]

# The pools operations name in the spec (x-tinkex-pool), each sized by the PoolSizes field of its name.
Purpose = Pool

# (purpose, limits, timeout) -> client; tests inject one that routes to httpx.MockTransport.
# httpx itself is imported on first use, so `import tinkex` stays fast.
HttpClientFactory = Callable[[str, "httpx.Limits", "httpx.Timeout"], "httpx.AsyncClient"]


def _default(obj: Any) -> Any:
    # orjson handles C-contiguous numpy arrays natively (OPT_SERIALIZE_NUMPY); everything else that
    # knows how to become a list (non-contiguous arrays, torch tensors, numpy scalars) lands here.
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return tolist()
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def encode_json(body: Any) -> bytes:
    """Request body bytes: orjson, numpy arrays serialized without a Python-list detour."""
    return orjson.dumps(body, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def decode_json(content: bytes) -> Any:
    """Response body: orjson; an empty or non-JSON body is returned as text (or None)."""
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")


@attrs.frozen
class RawResponse:
    """Status, headers and the decoded body of one HTTP exchange."""

    status: int
    headers: Mapping[str, str]
    body: Any
    method: str
    path: str

    @property
    def request_id(self) -> str | None:
        """The server's request id: the x-request-id header, else a `request_id` in the body."""
        for name in ("x-request-id", "request-id"):
            value = self.headers.get(name)
            if value:
                return value
        body = self.body
        if isinstance(body, dict):
            rid = body.get("request_id")
            if isinstance(rid, str):
                return rid
        return None


# Connections per httpx client within a purpose's pool (see Transport._acquire). httpcore checks
# every connection of a pool (has_expired: a select() on its socket through anyio's attribute
# lookups) each time a request enters or leaves it, so a request's pool bookkeeping grows with the
# shard's size: 256 concurrent samples took ~1.15 s of client CPU with 16, ~0.8 s with 2.
SHARD_SIZE = 2
# With HTTP/2 one connection multiplexes a shard's requests, so small shards would mean many more
# TLS connections to the server than before; HTTP/2 keeps the earlier 16.
HTTP2_SHARD_SIZE = 16


class _Shard:
    __slots__ = ("client", "inflight", "size")

    def __init__(self, client: httpx.AsyncClient, size: int) -> None:
        self.client = client
        self.size = size
        self.inflight = 0


def _inflight(shard: _Shard) -> int:
    return shard.inflight


def _disable_cookies(client: httpx.AsyncClient) -> None:
    """The API uses no cookies, yet httpx parses every response for Set-Cookie through urllib
    compatibility objects (~0.5 ms per response, a third of a sample call's client CPU); swap in a
    jar that ignores them. Guarded: an httpx without the private attribute keeps its default."""
    import_httpx()
    import httpx

    class _IgnoredCookies(httpx.Cookies):
        def extract_cookies(self, response: httpx.Response) -> None:
            return None

    if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
        client._cookies = _IgnoredCookies()


_NO_SPAN = contextlib.nullcontext()

# Parsed URLs kept per Transport; paths with ids (training runs, checkpoints) vary, so it is bounded.
_URL_CACHE_SIZE = 256


def _otel_module() -> Any:
    # H4's optional OpenTelemetry shim; both functions are no-ops without opentelemetry installed.
    try:
        return importlib.import_module("tinkex._otel")
    except ImportError:
        return None


def _lean_origin(base_url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path prefix) when the lean client can serve `base_url`, else None."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # credentials in the URL: httpx turns them into Basic auth
    if not parts.hostname.isascii():
        return None  # an internationalised host name: httpx does the IDNA encoding
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    # ~10 ms of imports (http.client, email): paid when a client starts, not by `import tinkex`.
    from urllib.request import getproxies, proxy_bypass

    proxies = getproxies()
    if (proxies.get(parts.scheme) or proxies.get("all")) and not proxy_bypass(parts.hostname):
        return None  # httpx honours HTTP(S)_PROXY / ALL_PROXY (trust_env); the lean client does not
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


# Characters httpx leaves as they are in a request target; anything else is percent-escaped.
_TARGET_SAFE = "/%:@!$&'()*+,;=-._~"


def _query(params: Mapping[str, Any]) -> str:
    items = [
        (k, ("true" if v else "false") if isinstance(v, bool) else str(v))
        for k, v in params.items()
        if v is not None
    ]
    return urllib.parse.urlencode(items, quote_via=urllib.parse.quote) if items else ""


class Transport:
    """Lazily created pools per purpose; must be used on the SDK loop only."""

    def __init__(self, config: ClientConfig, *, http_client_factory: HttpClientFactory | None = None) -> None:
        self.config = config
        self._factory = http_client_factory
        self._clients: dict[str, list[_Shard]] = {}
        self._closed = False
        self._ssl: Any = None
        self._otel = _otel_module()
        self._urls: dict[str, httpx.URL] = {}
        self._timeouts: dict[tuple[str, float | None], httpx.Timeout] = {}
        self._lean_pools: dict[str, ConnectionPool] = {}
        self._lean = (
            _lean_origin(config.base_url) if http_client_factory is None and not config.http2 else None
        )
        # The official client also sends X-Stainless-OS/-Arch/-Runtime/...; no server reads them and
        # every extra header costs httpx normalisation work on each of thousands of requests.
        self.base_headers = {
            "Accept": "application/json",
            "User-Agent": f"tinkex/{__version__}",
            **config.auth_headers(),
        }
        self.default_query: Mapping[str, Any] = dict(config.default_query)

    def _pool_size(self, purpose: str) -> int:
        sizes = self.config.pool_sizes
        return int(getattr(sizes, purpose, sizes.training))

    def timeout_for(self, purpose: str, read: float | None = None) -> httpx.Timeout:
        import_httpx()  # the first import skips httpx's CLI (see _httpx)
        import httpx

        read = self._read_timeout(purpose, read)
        return httpx.Timeout(read, connect=min(self.config.connect_timeout, read))

    def _new_client(self, purpose: str, size: int) -> httpx.AsyncClient:
        import_httpx()  # the first import skips httpx's CLI (see _httpx)
        import httpx

        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        timeout = self.timeout_for(purpose)
        if self._factory is not None:
            client = self._factory(purpose, limits, timeout)
        else:
            client = httpx.AsyncClient(
                limits=limits,
                timeout=timeout,
                http2=self.config.http2,
                follow_redirects=False,
                verify=self._ssl_context(),
            )
        _disable_cookies(client)
        return client

    def _ssl_context(self) -> Any:
        """One TLS context for every client: building one loads the CA bundle (~80 ms here), and
        each pool shard is a client. Plain-http base URLs never speak TLS, so they skip it."""
        if not self.config.base_url.startswith("https://"):
            return False
        if self._ssl is None:
            import ssl

            self._ssl = ssl.create_default_context()
            try:
                import certifi  # httpx's own default CA bundle, when installed

                self._ssl.load_verify_locations(certifi.where())
            except ImportError:
                pass
        return self._ssl

    def _acquire(self, purpose: str) -> _Shard:
        """The least busy shard of the purpose's pool, opening another while all are full.

        A pool of `pool_sizes.<purpose>` connections is split into httpx clients of at most
        SHARD_SIZE (HTTP2_SHARD_SIZE) connections: httpcore's pool does work proportional to all its
        queued requests and connections on every state change, so one pool with hundreds of
        concurrent requests spends its time in bookkeeping (the official client caps 50 requests per
        client for this reason).
        """
        shards = self._clients.setdefault(purpose, [])
        best = min(shards, key=_inflight, default=None)
        if best is None or best.inflight >= best.size:
            total = self._pool_size(purpose)
            capacity = sum(sh.size for sh in shards)
            if capacity < total:
                shard_size = HTTP2_SHARD_SIZE if self.config.http2 else SHARD_SIZE
                size = min(shard_size, total - capacity)
                best = _Shard(self._new_client(purpose, size), size)
                shards.append(best)
        assert best is not None
        best.inflight += 1
        return best

    @contextlib.contextmanager
    def _span(self, otel: Any, operation: str, method: str, url: str) -> Iterator[None]:
        with otel.request_span(operation, method, url):
            yield

    async def send(
        self,
        purpose: str,
        operation: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> RawResponse:
        """Send one request; raise APITimeoutError / APIConnectionError (chained) if no response."""
        all_headers = dict(self.base_headers)
        if method != "GET":
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        if self._otel is not None:
            self._otel.inject_trace_context(all_headers)
        if self.default_query:
            # The official `default_query`: on every API request; the call's own parameters win.
            params = {**self.default_query, **params} if params else self.default_query
        if self._closed:
            # A retry racing close() must not open a fresh pool that nobody will close.
            raise ClientClosedError(f"{method} {path} was not sent: the tinkex client is closed")
        url = self.config.base_url + path
        # A span per request only when a tracer provider records it (see _otel.tracing_enabled).
        otel = self._otel if self._otel is not None and self._otel.tracing_enabled() else None
        with self._span(otel, operation, method, url) if otel is not None else _NO_SPAN:
            if self._lean is not None:
                status, resp_headers, body = await self._send_lean(
                    purpose, method, path, content, params, all_headers, read_timeout
                )
            else:
                status, resp_headers, body = await self._send_httpx(
                    purpose, method, path, url, content, params, all_headers, read_timeout
                )
            if otel is not None:
                otel.record_status(status)
        # A protobuf answer (tinker >= 0.38 results asked for with that Accept) stays bytes.
        binary = resp_headers.get("content-type", "").startswith("application/x-protobuf")
        return RawResponse(
            status=status,
            headers=resp_headers,
            body=body if binary else decode_json(body),
            method=method,
            path=path,
        )

    def _read_timeout(self, purpose: str, read: float | None) -> float:
        """The read deadline of one request: the caller's, else the purpose's configured default."""
        if read is not None:
            return read
        cfg = self.config
        return {"futures": cfg.retrieve_future_timeout, "telemetry": cfg.telemetry_timeout}.get(
            purpose, cfg.request_timeout
        )

    def _timeout_error(self, method: str, path: str, kind: str) -> APITimeoutError:
        return APITimeoutError(
            f"{method} {path} timed out ({kind}); the server did not answer in time - retry later or "
            "raise the timeout",
            request=None,
        )

    def _scrubbed(self, exc: BaseException) -> BaseException:
        """`exc` to chain as the cause, unless its text quotes a secret (a server echoing the API key
        in a malformed line): then a plain copy of its redacted text, so no traceback shows the key."""
        text = str(exc)
        clean = redact(text, self.config.secrets())
        return exc if clean == text else HTTPTransportError(f"{type(exc).__name__}: {clean}")

    def _connection_error(self, method: str, path: str, exc: BaseException) -> APIConnectionError:
        detail = redact(str(exc) or type(exc).__name__, self.config.secrets())
        return APIConnectionError(
            f"{method} {path} failed: {detail}; check the network and base_url (TINKER_BASE_URL)",
            request=None,
        )

    async def _send_lean(
        self,
        purpose: str,
        method: str,
        path: str,
        content: bytes | None,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        read_timeout: float | None,
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._lean is not None
        scheme, host, port, prefix = self._lean
        pool = self._lean_pools.get(purpose)
        if pool is None:
            pool = self._lean_pools[purpose] = ConnectionPool(
                scheme,
                host,
                port,
                ssl_context=self._ssl_context() or None,
                max_connections=self._pool_size(purpose),
            )
        read = self._read_timeout(purpose, read_timeout)
        headers["x-stainless-read-timeout"] = f"{read:g}"
        if not any(name.lower() == "accept-encoding" for name in headers):
            headers["Accept-Encoding"] = "gzip, deflate"  # as httpx asks (decoded by _http11)
        target = urllib.parse.quote(prefix + path, safe=_TARGET_SAFE)
        query = _query(params) if params else ""
        if query:
            target = f"{target}?{query}"
        try:
            return await pool.request(
                method,
                target,
                headers,
                content,
                connect_timeout=min(self.config.connect_timeout, read),
                read_timeout=read,
            )
        except HTTPTimeout as exc:
            raise self._timeout_error(method, path, f"{exc.phase} timeout") from exc
        except HTTPTransportError as exc:
            raise self._connection_error(method, path, exc) from self._scrubbed(exc)

    async def _send_httpx(
        self,
        purpose: str,
        method: str,
        path: str,
        url: str,
        content: bytes | None,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        read_timeout: float | None,
    ) -> tuple[int, dict[str, str], bytes]:
        import_httpx()  # the first import skips httpx's CLI (see _httpx)
        import httpx

        timeout = self._timeouts.get((purpose, read_timeout))
        if timeout is None:  # a few (purpose, read) pairs; an httpx.Timeout is immutable
            timeout = self._timeouts[purpose, read_timeout] = self.timeout_for(purpose, read_timeout)
        headers["x-stainless-read-timeout"] = f"{timeout.read:g}"
        parsed = self._urls.get(url)
        if parsed is None:
            # httpx parses a str URL on every request; the hot paths (asample, retrieve_future,
            # forward_backward) reuse a handful, and an httpx.URL is immutable.
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        shard = self._acquire(purpose)
        try:
            try:
                response = await shard.client.request(
                    method,
                    parsed,
                    content=content,
                    params={k: v for k, v in params.items() if v is not None} if params else None,
                    headers=headers,
                    timeout=timeout,
                )
            except httpx.TimeoutException as exc:
                raise self._timeout_error(method, path, type(exc).__name__) from exc
            except httpx.HTTPError as exc:
                raise self._connection_error(method, path, exc) from self._scrubbed(exc)
            return response.status_code, dict(response.headers.multi_items()), response.content
        finally:
            # A shard counts as busy only while its requests are in flight (see _acquire).
            shard.inflight -= 1

    async def aclose(self) -> None:
        self._closed = True
        lean, self._lean_pools = list(self._lean_pools.values()), {}
        for pool in lean:
            with contextlib.suppress(Exception):
                await pool.aclose()
        pools, self._clients = list(self._clients.values()), {}
        for shards in pools:
            for shard in shards:
                with contextlib.suppress(Exception):
                    await shard.client.aclose()
