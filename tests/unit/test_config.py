"""Configuration: RetryConfig defaults and validators, ClientConfig, and env/argument precedence."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import attrs
import pytest

from tinkex._config import (
    DEFAULT_BASE_URL,
    ClientConfig,
    PoolSizes,
    RetryConfig,
    resolve_client_config,
)
from tinkex._exceptions import APIConnectionError, TinkexValidationError

KEY = "tml-test-key-123"


# --- RetryConfig ---------------------------------------------------------------------------------


def test_retry_config_defaults_match_official() -> None:
    cfg = RetryConfig()
    assert cfg.max_connections == 1000
    assert cfg.progress_timeout == 7200.0
    assert cfg.retry_delay_base == 0.5
    assert cfg.retry_delay_max == 10.0
    assert cfg.jitter_factor == 0.25
    assert cfg.enable_retry_logic is True
    assert cfg.max_retries == 10
    assert issubclass(APIConnectionError, cfg.retryable_exceptions)
    assert issubclass(TimeoutError, cfg.retryable_exceptions)


def test_retry_config_field_order_matches_official_dataclass() -> None:
    names = [a.name for a in attrs.fields(RetryConfig)]
    assert names[:7] == [
        "max_connections",
        "progress_timeout",
        "retry_delay_base",
        "retry_delay_max",
        "jitter_factor",
        "enable_retry_logic",
        "retryable_exceptions",
    ]
    # positional use as the official dataclass allows
    assert RetryConfig(10, 60.0).progress_timeout == 60.0


def test_retry_config_is_frozen_hashable_and_evolvable() -> None:
    cfg = RetryConfig()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cfg.max_retries = 3  # type: ignore[misc]
    assert hash(cfg) == hash(RetryConfig())
    assert attrs.evolve(cfg, max_retries=0).max_retries == 0
    assert pickle.loads(pickle.dumps(cfg)) == cfg


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_connections": 0}, "RetryConfig.max_connections"),
        ({"max_connections": -1}, "RetryConfig.max_connections"),
        ({"max_connections": 1.5}, "RetryConfig.max_connections"),
        ({"progress_timeout": 0}, "RetryConfig.progress_timeout"),
        ({"progress_timeout": float("nan")}, "RetryConfig.progress_timeout"),
        ({"retry_delay_base": -0.1}, "RetryConfig.retry_delay_base"),
        ({"retry_delay_max": -1}, "RetryConfig.retry_delay_max"),
        ({"retry_delay_base": 5.0, "retry_delay_max": 1.0}, "RetryConfig.retry_delay_max"),
        ({"jitter_factor": -0.1}, "RetryConfig.jitter_factor"),
        ({"jitter_factor": 1.5}, "RetryConfig.jitter_factor"),
        ({"max_retries": -1}, "RetryConfig.max_retries"),
        ({"max_retries": True}, "RetryConfig.max_retries"),
        ({"retryable_exceptions": (int,)}, "RetryConfig.retryable_exceptions"),
    ],
)
def test_retry_config_rejects_bad_values(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        RetryConfig(**kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_retry_config_allows_infinite_progress_timeout_and_zero_delays() -> None:
    cfg = RetryConfig(progress_timeout=float("inf"), retry_delay_base=0, retry_delay_max=0, jitter_factor=0)
    assert cfg.retry_delay_max == 0


# --- ClientConfig ----------------------------------------------------------------------------------


def test_client_config_defaults() -> None:
    cfg = ClientConfig(api_key=KEY)
    assert cfg.base_url == DEFAULT_BASE_URL
    assert cfg.request_timeout == 60.0
    assert cfg.connect_timeout == 5.0
    assert cfg.retrieve_future_timeout == 45.0
    assert cfg.heartbeat_interval == 10.0
    assert cfg.heartbeat_timeout == 10.0
    assert cfg.heartbeat_warn_after == 120.0
    assert cfg.future_timeout is None
    assert cfg.sampling_max_concurrency == 400
    assert cfg.sampling_max_bytes == 5 * 1024 * 1024
    assert cfg.chunk_max_datums == 1024
    assert cfg.chunk_max_bytes == 5_000_000
    assert cfg.telemetry_enabled is True
    assert cfg.tags == ()
    assert cfg.http2 is False
    assert cfg.retry == RetryConfig()
    assert cfg.pool_sizes == PoolSizes()
    assert {"session", "training", "sampling", "futures", "telemetry", "downloads"} == {
        a.name for a in attrs.fields(PoolSizes)
    }


def test_client_config_never_shows_secrets() -> None:
    cfg = ClientConfig(
        api_key="tml-very-secret",
        cloudflare_access_client_id="cf-id",
        cloudflare_access_client_secret="cf-very-secret",
        default_headers={"X-Extra": "header-secret"},
    )
    text = repr(cfg) + str(cfg)
    assert "very-secret" not in text
    assert "header-secret" not in text
    assert "X-Extra" in text  # names are fine
    assert "cf-id" in text


def test_client_config_auth_headers_and_secrets() -> None:
    cfg = ClientConfig(
        api_key=KEY,
        cloudflare_access_client_id="cid",
        cloudflare_access_client_secret="csecret-1",
        default_headers={"X-Custom": "1", "X-API-Key": "ignored"},
    )
    assert cfg.auth_headers() == {
        "X-Custom": "1",
        "X-API-Key": KEY,
        "CF-Access-Client-Id": "cid",
        "CF-Access-Client-Secret": "csecret-1",
    }
    assert cfg.secrets() == (KEY, "csecret-1")
    assert ClientConfig(api_key=KEY).auth_headers() == {"X-API-Key": KEY}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        (" https://x.example/services/tinker-prod// ", "https://x.example/services/tinker-prod"),
    ],
)
def test_client_config_normalizes_base_url(url: str, expected: str) -> None:
    assert ClientConfig(api_key=KEY, base_url=url).base_url == expected


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://x", "http://", ""])
def test_client_config_rejects_bad_base_url(url: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        ClientConfig(api_key=KEY, base_url=url)
    assert info.value.field == "base_url"
    assert "TINKER_BASE_URL" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"request_timeout": 0}, "ClientConfig.request_timeout"),
        ({"connect_timeout": -1}, "ClientConfig.connect_timeout"),
        ({"future_timeout": 0}, "ClientConfig.future_timeout"),
        ({"sampling_max_concurrency": 0}, "ClientConfig.sampling_max_concurrency"),
        ({"chunk_max_datums": 0}, "ClientConfig.chunk_max_datums"),
        ({"chunk_max_bytes": 1.5}, "ClientConfig.chunk_max_bytes"),
        ({"user_metadata": ["a"]}, "user_metadata"),
    ],
)
def test_client_config_rejects_bad_values(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        ClientConfig(api_key=KEY, **kwargs)
    assert info.value.field == field


def test_pool_sizes_validate() -> None:
    with pytest.raises(TinkexValidationError):
        PoolSizes(sampling=0)


@pytest.mark.parametrize("key", ["", "tml-a b", "tml-abc\n"])
def test_client_config_rejects_bad_keys_without_echoing_them(key: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        ClientConfig(api_key=key)
    assert info.value.field == "api_key"
    if key:
        assert key.strip() not in str(info.value)


def test_evolve_is_validated_and_leaves_original() -> None:
    cfg = ClientConfig(api_key=KEY)
    fast = cfg.evolve(request_timeout=5.0, retry=attrs.evolve(cfg.retry, max_retries=0))
    assert fast.request_timeout == 5.0
    assert fast.retry.max_retries == 0
    assert cfg.request_timeout == 60.0
    with pytest.raises(TinkexValidationError):
        cfg.evolve(request_timeout=-1)


# --- resolve_client_config ---------------------------------------------------------------------------


def test_missing_key_says_how_to_set_it() -> None:
    with pytest.raises(TinkexValidationError) as info:
        resolve_client_config(env={})
    assert "TINKER_API_KEY" in str(info.value)
    assert "api_key=" in str(info.value)


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, {"TINKER_API_KEY": "tml-env"}, "tml-env"),
        ("tml-arg", {"TINKER_API_KEY": "tml-env"}, "tml-arg"),
        ("tml-arg", {}, "tml-arg"),
        (None, {"TINKER_API_KEY": "  tml-padded\n"}, "tml-padded"),
        ("", {"TINKER_API_KEY": "tml-env"}, "tml-env"),
    ],
)
def test_api_key_precedence(arg: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_client_config(api_key=arg, env=env).api_key == expected


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, {}, DEFAULT_BASE_URL),
        (None, {"TINKER_BASE_URL": ""}, DEFAULT_BASE_URL),
        (None, {"TINKER_BASE_URL": "   "}, DEFAULT_BASE_URL),
        (None, {"TINKER_BASE_URL": "http://127.0.0.1:9/"}, "http://127.0.0.1:9"),
        ("http://arg:1", {"TINKER_BASE_URL": "http://env:2"}, "http://arg:1"),
    ],
)
def test_base_url_precedence(arg: str | None, env: dict[str, str], expected: str) -> None:
    env = {"TINKER_API_KEY": KEY, **env}
    assert resolve_client_config(base_url=arg, env=env).base_url == expected


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, None, ()),
        (None, "a,b,c", ("a", "b", "c")),
        (None, "b, a ,b,,c,a", ("b", "a", "c")),
        (None, "", ()),
        (["x", "y", "x"], "a,b", ("x", "y")),
        ([], "a,b", ()),
    ],
)
def test_tags_precedence_and_dedupe(
    arg: list[str] | None, env: str | None, expected: tuple[str, ...]
) -> None:
    e = {"TINKER_API_KEY": KEY}
    if env is not None:
        e["TINKER_TAGS"] = env
    assert resolve_client_config(tags=arg, env=e).tags == expected


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, None, True),
        (None, "1", True),
        (None, "true", True),
        (None, "YES", True),
        (None, "On", True),
        (None, "0", False),
        (None, "false", False),
        (None, "off", False),
        (None, "nonsense", False),
        (True, "0", True),
        (False, "1", False),
    ],
)
def test_telemetry_switch(arg: bool | None, env: str | None, expected: bool) -> None:
    e = {"TINKER_API_KEY": KEY}
    if env is not None:
        e["TINKER_TELEMETRY"] = env
    assert resolve_client_config(telemetry=arg, env=e).telemetry_enabled is expected


def test_cloudflare_headers_from_env_and_args() -> None:
    env = {
        "TINKER_API_KEY": KEY,
        "CLOUDFLARE_ACCESS_CLIENT_ID": "env-id",
        "CLOUDFLARE_ACCESS_CLIENT_SECRET": "env-secret",
    }
    cfg = resolve_client_config(env=env)
    assert cfg.cloudflare_access_client_id == "env-id"
    assert cfg.cloudflare_access_client_secret == "env-secret"
    cfg = resolve_client_config(cloudflare_access_client_id="arg-id", env=env)
    assert cfg.cloudflare_access_client_id == "arg-id"
    assert cfg.cloudflare_access_client_secret == "env-secret"
    assert "env-secret" not in repr(cfg)


def test_official_kwargs_timeout_and_max_retries() -> None:
    cfg = resolve_client_config(
        api_key=KEY, timeout=12.0, max_retries=2, retry_config=RetryConfig(retry_delay_max=3.0), env={}
    )
    assert cfg.request_timeout == 12.0
    assert cfg.retry.max_retries == 2
    assert cfg.retry.retry_delay_max == 3.0


def test_overrides_set_any_field_and_unknown_ones_fail() -> None:
    cfg = resolve_client_config(
        api_key=KEY, env={}, http2=True, chunk_max_datums=8, pool_sizes=PoolSizes(sampling=9)
    )
    assert cfg.http2 is True
    assert cfg.chunk_max_datums == 8
    assert cfg.pool_sizes.sampling == 9
    with pytest.raises(TinkexValidationError) as info:
        resolve_client_config(api_key=KEY, env={}, chunk_max_datum=8)
    assert "chunk_max_datum" in str(info.value)


def test_user_metadata_is_copied() -> None:
    meta = {"a": "1"}
    cfg = resolve_client_config(api_key=KEY, user_metadata=meta, env={})
    meta["b"] = "2"
    assert cfg.user_metadata == {"a": "1"}


@pytest.mark.parametrize(
    ("key", "warns"), [("tml-local-dev-key", False), ("eyJhbGciOi.x.y", False), ("dev", True)]
)
def test_unusual_key_prefix_warns_but_is_accepted(key: str, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = resolve_client_config(api_key=key, env={})
    assert cfg.api_key == key
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert bool(messages) is warns
    assert all(key not in m for m in messages)


def test_resolve_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_API_KEY", "tml-from-os-environ")
    monkeypatch.setenv("TINKER_TAGS", "t1")
    cfg = resolve_client_config()
    assert cfg.api_key == "tml-from-os-environ"
    assert cfg.tags == ("t1",)


def test_client_config_pickles_and_hashes() -> None:
    # SamplingClient is picklable in the official SDK; its config travels with it.
    cfg = resolve_client_config(api_key=KEY, user_metadata={"a": "1"}, tags=["t"], env={})
    copy = pickle.loads(pickle.dumps(cfg))
    assert copy == cfg
    assert hash(copy) == hash(cfg)
    assert copy.retry.retryable_exceptions == cfg.retry.retryable_exceptions
