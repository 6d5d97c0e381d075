"""Server replies -> wire types: the one place where a reply that does not decode becomes an
`APIResponseValidationError` (with the request id, redacted, chained from the decode error), so
users never see a `TinkexValidationError` (which means bad *local* input) for a server's fault."""

from __future__ import annotations

from typing import TypeVar

from tinkex._exceptions import APIResponseValidationError, TinkexValidationError, redact
from tinkex.types._base import WireModel

__all__ = ["decode"]

W = TypeVar("W", bound=WireModel)


def decode(cls: type[W], body: object, *, what: str, request_id: str | None = None) -> W:
    """`cls.from_dict(body)`, any decode failure raised as APIResponseValidationError.

    `what` names the reply (e.g. "optim_step result"); `request_id` is quoted when known.

    Example::

        caps = decode(GetServerCapabilitiesResponse, response.body, what="get_server_capabilities")
    """
    try:
        return cls.from_dict(body)  # type: ignore[arg-type]  # a non-mapping body is caught below
    except (TinkexValidationError, TypeError, ValueError, AttributeError, KeyError) as exc:
        # TypeError/AttributeError/KeyError: a field of the wrong JSON type deep inside a reply.
        name = cls.__name__
        problem = str(exc) if isinstance(exc, TinkexValidationError) else f"{type(exc).__name__}: {exc}"
        rid = f" (request id {request_id})" if request_id else ""
        raise APIResponseValidationError(
            redact(
                f"{what}{rid}: the server's reply is not a valid {name} ({problem}); check that base_url "
                "points at a Tinker API server of a compatible version"
            ),
            body=body,
            request_id=request_id,
        ) from exc
