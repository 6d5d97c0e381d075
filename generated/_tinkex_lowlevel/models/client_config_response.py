from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ClientConfigResponse(WireModel):
    """Feature flags for the caller; a missing flag takes the SDK default. The fields below are the
    ones tinkex serve sets; the SDK knows more (chunking and concurrency budgets) and keeps its
    defaults for them."""

    pjwt_auth_enabled: bool = False
    """JWT exchange through auth/token (never on here)."""
    proto_compress_fwdbwd: bool = False
    """zstd-compress protobuf forward_backward bodies (`Content-Encoding: zstd`); on with `tinkex serve --zstd-
    fwdbwd`."""
    sample_use_retrieve_futures: bool = False
    """Poll retrieve_futures per sampling session (never on here)."""
    custom_loss_server_side: bool = False
    """Run custom losses on the server (never on here)."""
    sample_join_sampling_session: bool = False
    """Ask join_sampling_session for clone ids (never on here)."""
    credential_default_source: str = "api_key"
    """The SDK's default; tinkex serve leaves it unset."""
    sample_dispatch_bytes_semaphore_size: int = 10485760
    """The SDK's default; tinkex serve leaves it unset."""
    inflight_response_bytes_semaphore_size: int = 52428800
    """Bytes of results a client holds at once (metadata-only polls reserve from it). The SDK's default; tinkex
    serve leaves it unset."""
    parallel_fwdbwd_chunks: bool = True
    """The SDK's default; tinkex serve leaves it unset."""
    fwdbwd_max_chunk_len: int = 1024
    """Datums per forward_backward request. The SDK's default; tinkex serve leaves it unset."""
    fwdbwd_max_chunk_bytes_count: int = 5000000
    """Serialized bytes per forward_backward request. The SDK's default; tinkex serve leaves it unset."""
    fwdbwd_dispatch_bytes_semaphore_size: int = 50000000
    """The SDK's default; tinkex serve leaves it unset."""
    billing_exception_max_pause_duration_sec: int = 3600
    """How long a 402 pauses the client. The SDK's default; tinkex serve leaves it unset."""
    sample_no_retries: bool = False
    """The SDK's default; tinkex serve leaves it unset."""
    sample_enable_stuck_detection: bool = True
    """The SDK's default; tinkex serve leaves it unset."""
    sample_max_concurrent_requests: int = 2000
    """The SDK's default; tinkex serve leaves it unset."""
    use_pyqwest_transport: bool = True
    """The SDK's default; tinkex serve leaves it unset."""
