"""A client library for accessing Tinker API (as spoken by tinker==0.7.0)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
