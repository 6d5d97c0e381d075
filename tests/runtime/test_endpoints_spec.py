"""The SDK's hand-written endpoint table matches openapi/tinker.yaml operation for operation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinkex._runtime._endpoints import CONFLICT_RETRYABLE, ENDPOINTS, FUTURE_OPERATIONS, build_path

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "tinker.yaml"


def test_endpoint_table_matches_the_spec() -> None:
    yaml = pytest.importorskip("yaml")
    if not SPEC.exists():
        pytest.skip("openapi/tinker.yaml not present")
    spec = yaml.safe_load(SPEC.read_text())
    ops = {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        # the SDK speaks the 0.7.0 generation; what tinker 0.38 adds (x-tinker-since) is issue 11's
        if method in ("get", "post", "put", "delete", "patch") and "x-tinker-since" not in op
    }
    assert ops == ENDPOINTS


def test_subsets_name_real_operations() -> None:
    assert set(ENDPOINTS) >= FUTURE_OPERATIONS
    assert set(ENDPOINTS) >= CONFLICT_RETRYABLE
    assert "publish_checkpoint" not in CONFLICT_RETRYABLE
    assert "unpublish_checkpoint" not in CONFLICT_RETRYABLE


@pytest.mark.parametrize(
    ("op", "params", "path"),
    [
        ("get_training_run", {"training_run_id": "s:train:0"}, "/api/v1/training_runs/s:train:0"),
        (
            "publish_checkpoint",
            {"training_run_id": "r", "checkpoint_id": "sampler_weights/x"},
            "/api/v1/training_runs/r/checkpoints/sampler_weights/x/publish",
        ),
        ("get_sampler", {"sampler_id": "s:sample:0"}, "/api/v1/samplers/s:sample:0"),
        (
            "get_session",
            {"session_id": "a b/c"},
            "/api/v1/sessions/a%20b%2Fc",
        ),  # escaped, cannot escape the path
    ],
)
def test_build_path(op: str, params: dict[str, str], path: str) -> None:
    assert build_path(op, **params)[1] == path
