"""A client library for accessing Tinker API (as spoken by tinker==0.7.0)"""

# The clients load on first access (PEP 562): tinkex imports `operations` and `models` on its hot paths,
# and the httpx client behind `AuthenticatedClient` costs ~0.2 s to import.
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
