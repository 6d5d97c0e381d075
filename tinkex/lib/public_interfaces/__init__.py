"""`tinkex.lib.public_interfaces`: the module path tinker 0.38 code imports its clients and futures from
(`from tinker.lib.public_interfaces import APIFuture`). The names are tinkex's own; the 0.38 names
`AwaitableConcurrentFuture`, `BackcompatTrainingClientFuture` and `BackcompatSamplingClientFuture` are
`APIFuture` (awaitable and a concurrent future) and `ClientFuture`. Names load on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinkex._client_future import ClientFuture
    from tinkex._client_future import ClientFuture as BackcompatSamplingClientFuture
    from tinkex._client_future import ClientFuture as BackcompatTrainingClientFuture
    from tinkex._rest_client import AdminClient, RestClient
    from tinkex._runtime._futures import APIFuture
    from tinkex._runtime._futures import APIFuture as AwaitableConcurrentFuture
    from tinkex._sampling_client import SamplingClient
    from tinkex._service_client import ServiceClient
    from tinkex._training_client import TrainingClient

_WHERE: dict[str, tuple[str, str]] = {
    "APIFuture": ("tinkex._runtime._futures", "APIFuture"),
    "AdminClient": ("tinkex._rest_client", "AdminClient"),
    "AwaitableConcurrentFuture": ("tinkex._runtime._futures", "APIFuture"),
    "BackcompatSamplingClientFuture": ("tinkex._client_future", "ClientFuture"),
    "BackcompatTrainingClientFuture": ("tinkex._client_future", "ClientFuture"),
    "ClientFuture": ("tinkex._client_future", "ClientFuture"),
    "RestClient": ("tinkex._rest_client", "RestClient"),
    "SamplingClient": ("tinkex._sampling_client", "SamplingClient"),
    "ServiceClient": ("tinkex._service_client", "ServiceClient"),
    "TrainingClient": ("tinkex._training_client", "TrainingClient"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'tinkex.lib.public_interfaces' has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


__all__ = [
    "APIFuture",
    "AdminClient",
    "AwaitableConcurrentFuture",
    "BackcompatSamplingClientFuture",
    "BackcompatTrainingClientFuture",
    "ClientFuture",
    "RestClient",
    "SamplingClient",
    "ServiceClient",
    "TrainingClient",
]
