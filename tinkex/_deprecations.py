"""The deprecations tinker 0.38 announces, announced by tinkex too: each one once per process.

The categories are 0.38's own (facts read from the official package): `FutureWarning`, shown by default,
for using a client-creation future as the client and for unknown ServiceClient keywords;
`DeprecationWarning` for arguments that no longer do anything (`save_weights_and_get_sampling_client(name=)`,
`forward_backward_custom(loss_type_input=)`). Silence them with the `warnings` module as usual.
"""

from __future__ import annotations

import threading
import warnings

__all__ = ["warn_once"]

# Keys already announced. Process-wide on purpose: a deprecation is about the calling code, not about
# one ServiceClient, and repeating it per client or per call would drown real warnings.
_announced: set[str] = set()
_lock = threading.Lock()


def warn_once(
    key: str, message: str, category: type[Warning] = FutureWarning, *, stacklevel: int = 3
) -> bool:
    """Issue `message` the first time `key` is seen (True), else nothing (False).

    Example::

        warn_once("save_weights_and_get_sampling_client.name", "`name` has no effect", DeprecationWarning)
    """
    with _lock:
        if key in _announced:
            return False
        _announced.add(key)
    warnings.warn(message, category, stacklevel=stacklevel)
    return True
