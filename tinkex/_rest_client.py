"""`RestClient`: training runs, checkpoints (list, archive URL, delete, publish), sessions and
samplers. Sync methods return futures as the official ones do; `_async` twins return values; lazy
paging iterators walk the list endpoints."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from _tinkex_lowlevel import operations as ops
from _tinkex_lowlevel.models.session_project_request import SessionProjectRequest

from tinkex._exceptions import APIResponseValidationError, TinkexValidationError
from tinkex._policy._wire_check import check_int
from tinkex._runtime._core import Runtime
from tinkex._runtime._decode import decode
from tinkex._runtime._futures import APIFuture
from tinkex._runtime._requests import raise_unsupported
from tinkex._runtime._sync import warn_if_in_event_loop
from tinkex._tinker_path import parse_tinker_path
from tinkex.types import (
    AuditLogResponse,
    BillingUsageResponse,
    Checkpoint,
    CheckpointArchiveUrlResponse,
    CheckpointsListResponse,
    CurrentCheckpointStorageUsageResponse,
    ExternalWeightsUrlsResponse,
    GetSamplerResponse,
    GetSessionResponse,
    ListSessionsResponse,
    SessionSearchRequest,
    SessionSearchResponse,
    SessionTraceExportResponse,
    SetCheckpointTtlRequest,
    TrainingRun,
    TrainingRunsResponse,
    WeightsInfoResponse,
)
from tinkex.types._base import WireModel

if TYPE_CHECKING:
    from _tinkex_lowlevel.operations import Operation

__all__ = ["AdminClient", "RestClient"]

T = TypeVar("T")
W = TypeVar("W", bound=WireModel)

# Without an Expires header the official client assumes the signed URL lives 15 minutes.
_DEFAULT_URL_LIFETIME = dt.timedelta(minutes=15)
_REDIRECTS = (301, 302, 303, 307, 308)


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise TinkexValidationError(
            field, f"must be a non-empty string, got {value!r:.40}", f"pass {field}='...'"
        )
    return value


def _when(value: object, field: str) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return _text(value, field)


def _checkpoint_path(training_run_id: str, checkpoint_id: str) -> dict[str, str]:
    """Path parameters of a checkpoint: the spec splits a checkpoint_id (`weights/<name>`) into two
    segments, which the official client sends joined by its literal `/`."""
    kind, _, name = checkpoint_id.partition("/")
    return {"training_run_id": training_run_id, "checkpoint_kind": kind, "checkpoint_name": name}


def _archive_url_from(status: int, headers: Mapping[str, str], body: object) -> CheckpointArchiveUrlResponse:
    """302 + Location (+ Expires) -> url/expires; a 200 JSON {url, expires} is accepted too."""
    if status in _REDIRECTS:
        lower = {k.lower(): v for k, v in headers.items()}
        location = lower.get("location")
        if not location:
            raise APIResponseValidationError("the archive endpoint redirected without a Location header")
        expires: dt.datetime | None = None
        raw = lower.get("expires")
        if raw:
            try:
                expires = email.utils.parsedate_to_datetime(raw)
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=dt.UTC)
            except (TypeError, ValueError, IndexError):
                expires = None
        if expires is None:
            expires = dt.datetime.now(dt.UTC) + _DEFAULT_URL_LIFETIME
        return CheckpointArchiveUrlResponse(url=location, expires=expires)
    if isinstance(body, Mapping) and isinstance(body.get("url"), str):
        data = dict(body)
        data.setdefault("expires", (dt.datetime.now(dt.UTC) + _DEFAULT_URL_LIFETIME).isoformat())
        return decode(CheckpointArchiveUrlResponse, data, what=ops.get_checkpoint_archive_url.operation_id)
    raise APIResponseValidationError(
        f"the archive endpoint answered HTTP {status} without a redirect or a url",
        body=body,
        status_code=status,
    )


class RestClient:
    """Read and manage training runs, checkpoints, sessions and samplers.

    Example::

        rc = service_client.create_rest_client()
        for run in rc.iter_training_runs():
            print(run.training_run_id, run.base_model)
        rc.publish_checkpoint_from_tinker_path("tinker://run-1/weights/final").result()
    """

    def __init__(
        self,
        runtime: Runtime | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        **config: Any,
    ) -> None:
        """`RestClient(base_url=..., api_key=...)` stands on its own (tinker 0.38): it owns its
        connections (no session is created; `close()` or `with` ends them). Any other ClientConfig
        field may be passed by keyword; the environment fills what is not given, as for ServiceClient.
        `service_client.create_rest_client()` shares the service client's connections instead."""
        self._owns = runtime is None
        if runtime is None:
            from tinkex._config import resolve_client_config

            runtime = Runtime(
                resolve_client_config(api_key=api_key, base_url=base_url, **config), start_telemetry=False
            )
        elif base_url is not None or api_key is not None or config:
            raise TinkexValidationError(
                "RestClient", "got both a runtime and connection settings", "pass base_url/api_key alone"
            )
        self._rt = runtime

    def __repr__(self) -> str:
        return "RestClient()"

    def close(self) -> None:
        """Close the connections of a standalone RestClient (one made by a ServiceClient shares its
        connections and leaves them to it). Idempotent."""
        if self._owns:
            self._rt.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _gate(self, op: Operation) -> None:
        """Refuse an operation of a later generation in the caller's thread (the Requester would
        refuse it too, but only inside the future)."""
        if op.since != "0.7" and op.since != self._rt.negotiated_protocol():
            raise_unsupported(op.operation_id, op.since, self._rt.protocol)

    def _scope_params(self, access_scope: str, **more: Any) -> dict[str, Any]:
        """Query parameters tinker 0.38 added, sent only when they say something ("owned" is the
        server's default), so 0.7.0 requests are unchanged; refused on a 0.7 connection."""
        if access_scope not in ("owned", "accessible"):
            raise TinkexValidationError(
                "access_scope",
                f"must be 'owned' or 'accessible', got {access_scope!r:.40}",
                "pass 'accessible'",
            )
        params = {k: v for k, v in more.items() if v is not None}
        if access_scope != "owned":
            params["access_scope"] = access_scope
        for name, value in params.items():
            if not isinstance(value, str) or not value:
                raise TinkexValidationError(name, f"must be a non-empty string, got {value!r:.40}", "")
        if params and self._rt.negotiated_protocol() == "0.7":
            raise_unsupported(sorted(params)[0], "0.38", self._rt.protocol)
        return params

    def get_telemetry(self) -> Any:
        """The session's telemetry reporter (shared with the ServiceClient), or None when off.

        Example::

            telemetry = client.get_telemetry()
        """
        return self._rt._telemetry

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> APIFuture[T]:
        return self._rt.spawn(coro)

    async def _get(
        self, cls: type[W], op: Operation, params: Mapping[str, Any] | None = None, **path: str
    ) -> W:
        response = await self._rt.requester.call(op, path_params=path, params=params)
        return decode(cls, response.body, what=op.operation_id, request_id=response.request_id)

    # -- training runs ------------------------------------------------------------------------------------------

    async def _training_run(
        self, training_run_id: str, params: Mapping[str, Any] | None = None
    ) -> TrainingRun:
        return await self._get(
            TrainingRun, ops.get_training_run, params or None, training_run_id=training_run_id
        )

    def get_training_run(self, training_run_id: str, access_scope: str = "owned") -> APIFuture[TrainingRun]:
        """A training run by id (future); `access_scope="accessible"` (tinker 0.38) also finds runs
        shared with you.

        Example::

            run = rc.get_training_run("run-1").result()
        """
        params = self._scope_params(access_scope)
        return self._spawn(self._training_run(training_run_id, params))

    async def get_training_run_async(self, training_run_id: str, access_scope: str = "owned") -> TrainingRun:
        """Async twin of `get_training_run`."""
        return await self.get_training_run(training_run_id, access_scope)

    def get_training_run_by_tinker_path(self, tinker_path: str) -> APIFuture[TrainingRun]:
        """The training run a tinker:// checkpoint path belongs to (future)."""
        return self.get_training_run(parse_tinker_path(tinker_path, field="tinker_path").training_run_id)

    async def get_training_run_by_tinker_path_async(self, tinker_path: str) -> TrainingRun:
        """Async twin of `get_training_run_by_tinker_path`."""
        return await self.get_training_run_by_tinker_path(tinker_path)

    async def _weights_info(self, tinker_path: str) -> WeightsInfoResponse:
        from _tinkex_lowlevel.models.weights_info_request import (
            WeightsInfoRequest,  # a body without a public type
        )

        body = WeightsInfoRequest(tinker_path=tinker_path).to_dict()
        response = await self._rt.requester.call(ops.weights_info, body=body)
        return decode(
            WeightsInfoResponse,
            response.body,
            what=ops.weights_info.operation_id,
            request_id=response.request_id,
        )

    def get_weights_info_by_tinker_path(self, tinker_path: str) -> APIFuture[WeightsInfoResponse]:
        """Base model and LoRA rank of a checkpoint, public ones included (future).

        Example::

            info = rc.get_weights_info_by_tinker_path("tinker://run-1/weights/final").result()
        """
        return self._spawn(self._weights_info(tinker_path))

    async def get_weights_info_by_tinker_path_async(self, tinker_path: str) -> WeightsInfoResponse:
        """Async twin of `get_weights_info_by_tinker_path`."""
        return await self.get_weights_info_by_tinker_path(tinker_path)

    async def _list_training_runs(
        self, limit: int, offset: int, extra: Mapping[str, Any] | None = None
    ) -> TrainingRunsResponse:
        return await self._get(
            TrainingRunsResponse, ops.list_training_runs, {"limit": limit, "offset": offset, **(extra or {})}
        )

    def list_training_runs(
        self, limit: int = 20, offset: int = 0, access_scope: str = "owned", project_id: str | None = None
    ) -> APIFuture[TrainingRunsResponse]:
        """One page of your training runs (future); see `iter_training_runs` for all. tinker 0.38:
        `access_scope="accessible"` adds runs shared with you, `project_id` keeps one project's.

        Example::

            page = rc.list_training_runs(limit=50).result()
        """
        extra = self._scope_params(access_scope, project_id=project_id)
        return self._spawn(self._list_training_runs(limit, offset, extra))

    async def list_training_runs_async(
        self, limit: int = 20, offset: int = 0, access_scope: str = "owned", project_id: str | None = None
    ) -> TrainingRunsResponse:
        """Async twin of `list_training_runs`."""
        return await self.list_training_runs(limit, offset, access_scope, project_id)

    # -- checkpoints --------------------------------------------------------------------------------------------

    async def _list_checkpoints(self, training_run_id: str) -> CheckpointsListResponse:
        return await self._get(CheckpointsListResponse, ops.list_checkpoints, training_run_id=training_run_id)

    def list_checkpoints(self, training_run_id: str) -> APIFuture[CheckpointsListResponse]:
        """All checkpoints of one training run (future).

        Example::

            for c in rc.list_checkpoints("run-1").result().checkpoints:
                print(c.tinker_path)
        """
        return self._spawn(self._list_checkpoints(training_run_id))

    async def list_checkpoints_async(self, training_run_id: str) -> CheckpointsListResponse:
        """Async twin of `list_checkpoints`."""
        return await self.list_checkpoints(training_run_id)

    async def _list_user_checkpoints(self, limit: int, offset: int) -> CheckpointsListResponse:
        return await self._get(
            CheckpointsListResponse, ops.list_user_checkpoints, {"limit": limit, "offset": offset}
        )

    def list_user_checkpoints(self, limit: int = 100, offset: int = 0) -> APIFuture[CheckpointsListResponse]:
        """One page of all your checkpoints, newest first (future).

        Example::

            page = rc.list_user_checkpoints(limit=10).result()
        """
        return self._spawn(self._list_user_checkpoints(limit, offset))

    async def list_user_checkpoints_async(self, limit: int = 100, offset: int = 0) -> CheckpointsListResponse:
        """Async twin of `list_user_checkpoints`."""
        return await self.list_user_checkpoints(limit, offset)

    async def _archive_url(self, training_run_id: str, checkpoint_id: str) -> CheckpointArchiveUrlResponse:
        # Redirects are never followed: the signed URL must not receive our X-API-Key.
        response = await self._rt.requester.call(
            ops.get_checkpoint_archive_url,
            path_params=_checkpoint_path(training_run_id, checkpoint_id),
            headers={"Accept": "application/json, application/gzip"},
            ok_statuses=_REDIRECTS,
        )
        return _archive_url_from(response.status, response.headers, response.body)

    def get_checkpoint_archive_url(
        self, training_run_id: str, checkpoint_id: str
    ) -> APIFuture[CheckpointArchiveUrlResponse]:
        """A signed, expiring download URL of a checkpoint archive (future).

        Example::

            url = rc.get_checkpoint_archive_url("run-1", "weights/final").result().url
        """
        return self._spawn(self._archive_url(training_run_id, checkpoint_id))

    async def get_checkpoint_archive_url_async(
        self, training_run_id: str, checkpoint_id: str
    ) -> CheckpointArchiveUrlResponse:
        """Async twin of `get_checkpoint_archive_url`."""
        return await self.get_checkpoint_archive_url(training_run_id, checkpoint_id)

    def get_checkpoint_archive_url_from_tinker_path(
        self, tinker_path: str
    ) -> APIFuture[CheckpointArchiveUrlResponse]:
        """`get_checkpoint_archive_url` for a tinker:// path (future)."""
        p = parse_tinker_path(tinker_path, field="tinker_path")
        return self.get_checkpoint_archive_url(p.training_run_id, p.checkpoint_id)

    async def get_checkpoint_archive_url_from_tinker_path_async(
        self, tinker_path: str
    ) -> CheckpointArchiveUrlResponse:
        """Async twin of `get_checkpoint_archive_url_from_tinker_path`."""
        return await self.get_checkpoint_archive_url_from_tinker_path(tinker_path)

    async def _no_content(self, op: Operation, training_run_id: str, checkpoint_id: str) -> None:
        await self._rt.requester.call(
            op,
            path_params=_checkpoint_path(training_run_id, checkpoint_id),
        )

    def delete_checkpoint(self, training_run_id: str, checkpoint_id: str) -> APIFuture[None]:
        """Delete a checkpoint (future).

        Example::

            rc.delete_checkpoint("run-1", "weights/old").result()
        """
        return self._spawn(self._no_content(ops.delete_checkpoint, training_run_id, checkpoint_id))

    async def delete_checkpoint_async(self, training_run_id: str, checkpoint_id: str) -> None:
        """Async twin of `delete_checkpoint`."""
        await self.delete_checkpoint(training_run_id, checkpoint_id)

    def delete_checkpoint_from_tinker_path(self, tinker_path: str) -> APIFuture[None]:
        """Delete the checkpoint at a tinker:// path (future)."""
        p = parse_tinker_path(tinker_path, field="tinker_path")
        return self.delete_checkpoint(p.training_run_id, p.checkpoint_id)

    async def delete_checkpoint_from_tinker_path_async(self, tinker_path: str) -> None:
        """Async twin of `delete_checkpoint_from_tinker_path`."""
        await self.delete_checkpoint_from_tinker_path(tinker_path)

    def publish_checkpoint_from_tinker_path(self, tinker_path: str) -> APIFuture[None]:
        """Make a checkpoint public (future). An already-public one raises ConflictError at once.

        Example::

            rc.publish_checkpoint_from_tinker_path("tinker://run-1/weights/final").result()
        """
        p = parse_tinker_path(tinker_path, field="tinker_path")
        return self._spawn(self._no_content(ops.publish_checkpoint, p.training_run_id, p.checkpoint_id))

    async def publish_checkpoint_from_tinker_path_async(self, tinker_path: str) -> None:
        """Async twin of `publish_checkpoint_from_tinker_path`."""
        await self.publish_checkpoint_from_tinker_path(tinker_path)

    def unpublish_checkpoint_from_tinker_path(self, tinker_path: str) -> APIFuture[None]:
        """Make a checkpoint private again (future); an already-private one raises ConflictError."""
        p = parse_tinker_path(tinker_path, field="tinker_path")
        return self._spawn(self._no_content(ops.unpublish_checkpoint, p.training_run_id, p.checkpoint_id))

    async def unpublish_checkpoint_from_tinker_path_async(self, tinker_path: str) -> None:
        """Async twin of `unpublish_checkpoint_from_tinker_path`."""
        await self.unpublish_checkpoint_from_tinker_path(tinker_path)

    # -- sessions and samplers ----------------------------------------------------------------------------------

    async def _session(self, session_id: str, params: Mapping[str, Any] | None = None) -> GetSessionResponse:
        return await self._get(GetSessionResponse, ops.get_session, params or None, session_id=session_id)

    def get_session(self, session_id: str, access_scope: str = "owned") -> APIFuture[GetSessionResponse]:
        """Training runs and samplers of a session (future); 0.38 answers its `display_name` and
        `user_metadata` too."""
        return self._spawn(self._session(session_id, self._scope_params(access_scope)))

    async def get_session_async(self, session_id: str, access_scope: str = "owned") -> GetSessionResponse:
        """Async twin of `get_session`."""
        return await self.get_session(session_id, access_scope)

    async def _list_sessions(
        self, limit: int, offset: int, extra: Mapping[str, Any] | None = None
    ) -> ListSessionsResponse:
        return await self._get(
            ListSessionsResponse, ops.list_sessions, {"limit": limit, "offset": offset, **(extra or {})}
        )

    def list_sessions(
        self, limit: int = 20, offset: int = 0, access_scope: str = "owned"
    ) -> APIFuture[ListSessionsResponse]:
        """One page of your session ids (future)."""
        return self._spawn(self._list_sessions(limit, offset, self._scope_params(access_scope)))

    async def list_sessions_async(
        self, limit: int = 20, offset: int = 0, access_scope: str = "owned"
    ) -> ListSessionsResponse:
        """Async twin of `list_sessions`."""
        return await self.list_sessions(limit, offset, access_scope)

    # -- tinker 0.38: sessions, TTLs, external weights, usage -----------------------------------------------------

    def search_sessions(
        self, request: SessionSearchRequest | Mapping[str, Any]
    ) -> APIFuture[SessionSearchResponse]:
        """Sessions matching `request` (display name, projects, metadata, status; a page at a time).

        Example::

            page = rc.search_sessions(types.SessionSearchRequest(display_name="sft-run")).result()
        """
        self._gate(ops.search_sessions)
        body = (
            request if isinstance(request, SessionSearchRequest) else SessionSearchRequest.from_dict(request)
        ).to_dict()
        return self._spawn(self._call(SessionSearchResponse, ops.search_sessions, body=body))

    def assign_session_project(self, session_id: str, project_id: str) -> APIFuture[None]:
        """Move a session (and its runs) into project `project_id`."""
        self._gate(ops.set_session_project)
        _text(session_id, "session_id")
        body = SessionProjectRequest(project_id=_text(project_id, "project_id")).to_dict()
        return self._spawn(self._call(None, ops.set_session_project, body=body, session_id=session_id))

    def export_session_trace(self, session_id: str) -> APIFuture[str]:
        """Where a session's trace export can be downloaded: the URL once it is ready."""
        self._gate(ops.session_trace_export)

        async def run() -> str:
            answer = await self._call(
                SessionTraceExportResponse, ops.session_trace_export, session_id=session_id
            )
            if answer.url is None:
                raise APIResponseValidationError(
                    f"trace export of {session_id} is {answer.status}: {answer.error or 'no url yet'}",
                    body=answer.to_dict(),
                )
            url: str = answer.url
            return url

        _text(session_id, "session_id")
        return self._spawn(run())

    def set_checkpoint_ttl_from_tinker_path(
        self, tinker_path: str, ttl_seconds: int | None
    ) -> APIFuture[None]:
        """Give a checkpoint a new time to live from now (None: it never expires); an expired one
        leaves listings and cannot be loaded.

        Example::

            rc.set_checkpoint_ttl_from_tinker_path("tinker://run-1/weights/step-100", 7 * 86400).result()
        """
        self._gate(ops.set_checkpoint_ttl)
        parsed = parse_tinker_path(tinker_path, field="tinker_path")
        if ttl_seconds is not None:
            check_int(ttl_seconds, "ttl_seconds", lo=1, fix="pass seconds >= 1, or None (never expires)")
        body = SetCheckpointTtlRequest(ttl_seconds=ttl_seconds).to_dict()
        path = _checkpoint_path(parsed.training_run_id, parsed.checkpoint_id)
        return self._spawn(
            self._call(
                None,
                ops.set_checkpoint_ttl,
                body=body,
                training_run_id=path["training_run_id"],
                checkpoint_kind=path["checkpoint_kind"],
                checkpoint_name=path["checkpoint_name"],
            )
        )

    def get_external_weights_urls(self, tinker_path: str) -> APIFuture[ExternalWeightsUrlsResponse]:
        """Signed download URLs of an external weights export (`tinker://<run>/external_weights/<name>`)."""
        self._gate(ops.external_weights_urls)
        parsed = parse_tinker_path(tinker_path, field="tinker_path")
        kind, _, name = parsed.checkpoint_id.partition("/")
        if kind != "external_weights":
            raise TinkexValidationError(
                "tinker_path",
                f"names a {kind} checkpoint",
                "pass a tinker://<run>/external_weights/<name> path",
            )
        return self._spawn(
            self._call(
                ExternalWeightsUrlsResponse,
                ops.external_weights_urls,
                training_run_id=parsed.training_run_id,
                checkpoint_name=name,
            )
        )

    def get_audit_log(
        self, event_type: str = "all", day: dt.date | None = None
    ) -> APIFuture[AuditLogResponse]:
        """Audit events of your organisation (see AdminClient)."""
        self._gate(ops.get_audit_log)
        params: dict[str, Any] = {"event_type": _text(event_type, "event_type")}
        if day is not None:
            params["day"] = day.isoformat()
        return self._spawn(self._call(AuditLogResponse, ops.get_audit_log, params=params))

    def get_billing_usage(
        self, starting_on: dt.datetime | str, ending_before: dt.datetime | str
    ) -> APIFuture[BillingUsageResponse]:
        """Billed usage events in [starting_on, ending_before) (see AdminClient)."""
        self._gate(ops.get_billing_usage)
        params = {
            "starting_on": _when(starting_on, "starting_on"),
            "ending_before": _when(ending_before, "ending_before"),
        }
        return self._spawn(self._call(BillingUsageResponse, ops.get_billing_usage, params=params))

    def get_current_checkpoint_storage_usage(
        self, project_id: str | None = None
    ) -> APIFuture[CurrentCheckpointStorageUsageResponse]:
        """Bytes of checkpoints stored now, per project (see AdminClient)."""
        self._gate(ops.get_checkpoint_storage_usage)
        params = None if project_id is None else {"project_id": _text(project_id, "project_id")}
        return self._spawn(
            self._call(CurrentCheckpointStorageUsageResponse, ops.get_checkpoint_storage_usage, params=params)
        )

    async def _call(
        self,
        cls: type[W] | None,
        op: Operation,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        **path: str,
    ) -> Any:
        if body is None:
            response = await self._rt.requester.call(op, path_params=path, params=params)
        else:
            response = await self._rt.requester.call(op, body=body, path_params=path, params=params)
        if cls is None:
            return None
        return decode(cls, response.body, what=op.operation_id, request_id=response.request_id)

    async def _sampler(self, sampler_id: str) -> GetSamplerResponse:
        return await self._get(GetSamplerResponse, ops.get_sampler, sampler_id=sampler_id)

    def get_sampler(self, sampler_id: str) -> APIFuture[GetSamplerResponse]:
        """A sampler's base model and weights path (future)."""
        return self._spawn(self._sampler(sampler_id))

    async def get_sampler_async(self, sampler_id: str) -> GetSamplerResponse:
        """Async twin of `get_sampler`."""
        return await self.get_sampler(sampler_id)

    # -- paging iterators ---------------------------------------------------------------------------------------

    def iter_training_runs(self, page_size: int = 100) -> Iterator[TrainingRun]:
        """Every training run, fetched lazily `page_size` at a time.

        Example::

            n = sum(1 for _ in rc.iter_training_runs())
        """
        warn_if_in_event_loop(
            "RestClient.iter_training_runs", "async for ... in RestClient.aiter_training_runs()"
        )
        offset = 0
        while True:
            page = self.list_training_runs(page_size, offset)._wait()
            yield from page.training_runs
            offset += len(page.training_runs)
            if len(page.training_runs) < page_size or offset >= page.cursor.total_count:
                return

    async def aiter_training_runs(self, page_size: int = 100) -> AsyncIterator[TrainingRun]:
        """Async twin of `iter_training_runs`."""
        offset = 0
        while True:
            page = await self.list_training_runs_async(page_size, offset)
            for run in page.training_runs:
                yield run
            offset += len(page.training_runs)
            if len(page.training_runs) < page_size or offset >= page.cursor.total_count:
                return

    def iter_user_checkpoints(self, page_size: int = 1000) -> Iterator[Checkpoint]:
        """Every checkpoint you own, newest first, fetched lazily."""
        warn_if_in_event_loop(
            "RestClient.iter_user_checkpoints", "async for ... in RestClient.aiter_user_checkpoints()"
        )
        offset = 0
        while True:
            page = self.list_user_checkpoints(page_size, offset)._wait()
            yield from page.checkpoints
            offset += len(page.checkpoints)
            if _last_page(len(page.checkpoints), page_size, offset, page.cursor):
                return

    async def aiter_user_checkpoints(self, page_size: int = 1000) -> AsyncIterator[Checkpoint]:
        """Async twin of `iter_user_checkpoints`."""
        offset = 0
        while True:
            page = await self.list_user_checkpoints_async(page_size, offset)
            for c in page.checkpoints:
                yield c
            offset += len(page.checkpoints)
            if _last_page(len(page.checkpoints), page_size, offset, page.cursor):
                return

    def iter_sessions(self, page_size: int = 100) -> Iterator[str]:
        """Every session id, fetched lazily."""
        warn_if_in_event_loop("RestClient.iter_sessions", "async for ... in RestClient.aiter_sessions()")
        offset = 0
        while True:
            page = self.list_sessions(page_size, offset)._wait()
            yield from page.sessions
            offset += len(page.sessions)
            if len(page.sessions) < page_size:
                return

    async def aiter_sessions(self, page_size: int = 100) -> AsyncIterator[str]:
        """Async twin of `iter_sessions`."""
        offset = 0
        while True:
            page = await self.list_sessions_async(page_size, offset)
            for s in page.sessions:
                yield s
            offset += len(page.sessions)
            if len(page.sessions) < page_size:
                return


def _last_page(n: int, page_size: int, offset: int, cursor: Any) -> bool:
    if n < page_size or n == 0:
        return True
    total = getattr(cursor, "total_count", None)
    return isinstance(total, int) and offset >= total


class AdminClient:
    """Organisation reads of tinker 0.38: the audit log, billed usage and checkpoint storage in use.
    Standalone like `RestClient(base_url=, api_key=)`; `close()` or `with` ends its connections.

    Example::

        with tinkex.AdminClient(base_url="http://127.0.0.1:8000") as admin:
            print(admin.get_current_checkpoint_storage_usage().result())
    """

    def __init__(self, *, base_url: str | None = None, api_key: str | None = None, **config: Any) -> None:
        self._rest = RestClient(base_url=base_url, api_key=api_key, **config)

    def __repr__(self) -> str:
        return "AdminClient()"

    def close(self) -> None:
        """Close its connections (idempotent)."""
        self._rest.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_telemetry(self) -> Any:
        """Always None: an AdminClient has no session to report for."""
        return None

    def get_audit_log(
        self, event_type: str = "all", day: dt.date | None = None
    ) -> APIFuture[AuditLogResponse]:
        """Audit events (`event_type`: all, checkpoints, projects, teams, organizations), of one `day`."""
        return self._rest.get_audit_log(event_type, day)

    async def get_audit_log_async(
        self, event_type: str = "all", day: dt.date | None = None
    ) -> AuditLogResponse:
        """Async twin of `get_audit_log`."""
        return await self.get_audit_log(event_type, day)

    def get_billing_usage(
        self, starting_on: dt.datetime | str, ending_before: dt.datetime | str
    ) -> APIFuture[BillingUsageResponse]:
        """Billed usage events in [starting_on, ending_before)."""
        return self._rest.get_billing_usage(starting_on, ending_before)

    async def get_billing_usage_async(
        self, starting_on: dt.datetime | str, ending_before: dt.datetime | str
    ) -> BillingUsageResponse:
        """Async twin of `get_billing_usage`."""
        return await self.get_billing_usage(starting_on, ending_before)

    def get_current_checkpoint_storage_usage(
        self, project_id: str | None = None
    ) -> APIFuture[CurrentCheckpointStorageUsageResponse]:
        """Bytes of checkpoints stored now (one project's with `project_id`)."""
        return self._rest.get_current_checkpoint_storage_usage(project_id)

    async def get_current_checkpoint_storage_usage_async(
        self, project_id: str | None = None
    ) -> CurrentCheckpointStorageUsageResponse:
        """Async twin of `get_current_checkpoint_storage_usage`."""
        return await self.get_current_checkpoint_storage_usage(project_id)
