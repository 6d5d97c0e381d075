"""The public surface: `__all__` complete and sorted, official 0.7.0 names present, and a cheap
`import tinkex` that loads neither torch nor numpy (measured in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
import types as _types

import pytest

import tinkex

# Names `import tinker` offers in 0.7.0 (its __all__ plus RestClient), which code may use via
# `import tinkex as tinker`.
OFFICIAL_NAMES = {
    "TrainingClient", "ServiceClient", "SamplingClient", "APIFuture", "AdamParams", "Checkpoint",
    "CheckpointType", "Datum", "EncodedTextChunk", "ForwardBackwardOutput", "LoraConfig", "ModelID",
    "ModelInput", "ModelInputChunk", "OptimStepRequest", "OptimStepResponse", "ParsedCheckpointTinkerPath",
    "SampledSequence", "SampleRequest", "SampleResponse", "SamplingParams", "StopReason", "TensorData",
    "TensorDtype", "TrainingRun", "Timeout", "RequestOptions", "TinkerError", "APIError", "APIStatusError",
    "APITimeoutError", "APIConnectionError", "APIResponseValidationError", "RequestFailedError",
    "BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError", "ConflictError",
    "UnprocessableEntityError", "RateLimitError", "InternalServerError", "types", "__version__", "__title__",
}  # fmt: skip


def test_all_is_sorted_and_unique() -> None:
    assert list(tinkex.__all__) == sorted(set(tinkex.__all__))


def test_every_name_in_all_resolves() -> None:
    for name in tinkex.__all__:
        assert getattr(tinkex, name) is not None, name


def test_official_names_are_exported() -> None:
    missing = OFFICIAL_NAMES - set(tinkex.__all__)
    assert not missing


def test_all_lists_every_public_class_of_the_private_modules() -> None:
    from tinkex import _exceptions, _rest_client, _sampling_client, _service_client, _training_client
    from tinkex._runtime import _futures

    modules: list[_types.ModuleType] = [
        _exceptions, _rest_client, _sampling_client, _service_client, _training_client, _futures,
    ]  # fmt: skip
    internal = {
        "status_error_class",
        "status_error_for",
        "redact",
        "poll_future",
        "create_sampling_session",
        "CustomLossFn",
    }
    for module in modules:
        for name in getattr(module, "__all__", ()):
            if name not in internal:
                assert name in tinkex.__all__, f"{module.__name__}.{name} is public but not in tinkex.__all__"


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        tinkex.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


_PROBE = """
import json, sys, time
t = time.perf_counter()
import tinkex
t_import = time.perf_counter() - t
heavy = sorted(m for m in ("numpy", "torch", "transformers", "httpx") if m in sys.modules)
t = time.perf_counter()
tinkex.ServiceClient, tinkex.TrainingClient, tinkex.types.Datum
t_first_use = time.perf_counter() - t
heavy_after = sorted(m for m in ("numpy", "torch", "transformers") if m in sys.modules)
print(json.dumps({"import_ms": t_import * 1e3, "first_use_ms": t_first_use * 1e3, "heavy": heavy, "heavy_after": heavy_after}))
"""


def test_import_is_light() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(out.stdout)
    print(
        f"\nimport tinkex: {result['import_ms']:.1f} ms; "
        f"loading the clients and types on first use: {result['first_use_ms']:.1f} ms"
    )
    assert result["heavy"] == []  # not even httpx until the first request
    assert result["heavy_after"] == []  # the clients and types need neither numpy nor torch


_HTTPX_PROBE = """
import json, sys
import tinkex
from tinkex._runtime._transport import Transport
from tinkex._config import ClientConfig
Transport(ClientConfig(api_key="tml-k")).timeout_for("training")   # the SDK's first httpx import
import httpx
cli_loaded = sorted(m for m in ("rich", "click", "pygments", "httpx._main") if m in sys.modules)
from tinkex._runtime import _httpx
forwarder = httpx.main is _httpx._main
import httpx._main as real
print(json.dumps({"cli_loaded": cli_loaded, "forwarder": forwarder, "real_main": type(real.main).__name__,
                  "timeout": tinkex.Timeout is httpx.Timeout}))
"""


def test_httpx_is_imported_without_its_command_line_client() -> None:
    # httpx's __init__ would import click, rich and pygments (~80 ms) just to expose httpx.main.
    out = subprocess.run(
        [sys.executable, "-c", _HTTPX_PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(out.stdout)
    assert result["cli_loaded"] == []
    assert result["forwarder"] is True  # httpx.main forwards to the real CLI, loaded on first call
    assert result["real_main"] == "Command"  # `import httpx._main` still gives the real module
    assert result["timeout"] is True
