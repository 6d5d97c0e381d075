"""The one table of HTTP operations the SDK calls: operation id -> (method, path template).

Ids and paths follow the wire protocol (29 operations under /api/v1; ids are snake_case, named
after the path or the official resource method). A contract test checks this dict against
openapi/tinker.yaml, so keep it a plain literal. `{checkpoint_kind}/{checkpoint_name}` holds a literal `/`
(`weights/<name>`), as the official client sends it.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["CONFLICT_RETRYABLE", "ENDPOINTS", "FUTURE_OPERATIONS", "build_path"]

ENDPOINTS: dict[str, tuple[str, str]] = {
    "healthz": ("GET", "/api/v1/healthz"),
    "get_server_capabilities": ("GET", "/api/v1/get_server_capabilities"),
    "create_session": ("POST", "/api/v1/create_session"),
    "session_heartbeat": ("POST", "/api/v1/session_heartbeat"),
    "create_sampling_session": ("POST", "/api/v1/create_sampling_session"),
    "create_model": ("POST", "/api/v1/create_model"),
    "get_info": ("POST", "/api/v1/get_info"),
    "unload_model": ("POST", "/api/v1/unload_model"),
    "forward": ("POST", "/api/v1/forward"),
    "forward_backward": ("POST", "/api/v1/forward_backward"),
    "optim_step": ("POST", "/api/v1/optim_step"),
    "save_weights": ("POST", "/api/v1/save_weights"),
    "load_weights": ("POST", "/api/v1/load_weights"),
    "save_weights_for_sampler": ("POST", "/api/v1/save_weights_for_sampler"),
    "asample": ("POST", "/api/v1/asample"),
    "retrieve_future": ("POST", "/api/v1/retrieve_future"),
    "send_telemetry": ("POST", "/api/v1/telemetry"),
    "weights_info": ("POST", "/api/v1/weights_info"),
    "list_training_runs": ("GET", "/api/v1/training_runs"),
    "get_training_run": ("GET", "/api/v1/training_runs/{training_run_id}"),
    "list_checkpoints": ("GET", "/api/v1/training_runs/{training_run_id}/checkpoints"),
    "delete_checkpoint": (
        "DELETE",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}",
    ),
    "get_checkpoint_archive_url": (
        "GET",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/archive",
    ),
    "publish_checkpoint": (
        "POST",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/publish",
    ),
    "unpublish_checkpoint": (
        "DELETE",
        "/api/v1/training_runs/{training_run_id}/checkpoints/{checkpoint_kind}/{checkpoint_name}/publish",
    ),
    "list_user_checkpoints": ("GET", "/api/v1/checkpoints"),
    "list_sessions": ("GET", "/api/v1/sessions"),
    "get_session": ("GET", "/api/v1/sessions/{session_id}"),
    "get_sampler": ("GET", "/api/v1/samplers/{sampler_id}"),
}

# Operations answered with an UntypedAPIFuture whose result is polled via retrieve_future.
FUTURE_OPERATIONS: frozenset[str] = frozenset(
    {
        "create_model",
        "unload_model",
        "forward",
        "forward_backward",
        "optim_step",
        "save_weights",
        "load_weights",
        "save_weights_for_sampler",
        "asample",
    }
)

# Where 409 may be retried: operations the server deduplicates (by idempotency key, seq_id or
# model_seq_id), so a 409 means "the same request is still in flight". Never publish/unpublish or
# delete, where 409 means "already in that state" and retrying only costs the user minutes.
CONFLICT_RETRYABLE: frozenset[str] = frozenset(
    {
        "create_session",
        "create_sampling_session",
        "create_model",
        "forward",
        "forward_backward",
        "optim_step",
        "save_weights",
        "load_weights",
        "save_weights_for_sampler",
    }
)

# Characters left unescaped in path parameters: run ids contain ':' and checkpoint ids a '/'.
_SAFE = {"training_run_id": ":", "session_id": ":", "sampler_id": ":"}


def build_path(operation: str, **params: str) -> tuple[str, str]:
    """(method, path) of `operation` with its path parameters filled in and percent-escaped;
    `checkpoint_id="<kind>/<name>"` may stand for checkpoint_kind + checkpoint_name.

    >>> build_path("delete_checkpoint", training_run_id="r:train:0", checkpoint_id="weights/x")
    ('DELETE', '/api/v1/training_runs/r:train:0/checkpoints/weights/x')
    """
    method, template = ENDPOINTS[operation]
    params = dict(params)
    checkpoint_id = params.pop("checkpoint_id", None)
    if checkpoint_id is not None:
        kind, _, name = checkpoint_id.partition("/")
        params["checkpoint_kind"], params["checkpoint_name"] = kind, name
    escaped = {k: quote(str(v), safe=_SAFE.get(k, "")) for k, v in params.items()}
    return method, template.format(**escaped)
