"""`import tinkex.types` (and using every type with plain lists) must not import numpy or torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    import tinkex.types as t
    import tinkex._config, tinkex._exceptions, tinkex._tinker_path

    assert "numpy" not in sys.modules and "torch" not in sys.modules, "import pulled numpy/torch"
    for name in t.__all__:
        getattr(t, name)
    datum = t.Datum(
        model_input=t.ModelInput.from_ints([1, 2, 3]),
        loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 1.0, 1.0]},
    )
    fbi = t.ForwardBackwardInput(data=[datum], loss_fn="cross_entropy")
    body = t.ForwardBackwardRequest(forward_backward_input=fbi, model_id="m", seq_id=1).to_dict()
    t.ForwardBackwardRequest.from_dict(body)
    t.ForwardBackwardOutput.from_dict(
        {"loss_fn_output_type": "ce", "loss_fn_outputs": [{"logprobs": {"data": [-1.0], "dtype": "float32"}}],
         "metrics": {"loss:sum": 1.0}}
    ).model_dump_json()
    t.SampleResponse.from_dict({"sequences": [{"stop_reason": "stop", "tokens": [1]}]})
    repr(datum)
    datum == datum
    tinkex._config.resolve_client_config(api_key="tml-x", env={})
    tinkex._exceptions.status_error_for(500, body={"detail": "x"})
    for heavy in ("numpy", "torch", "pydantic", "transformers"):
        assert heavy not in sys.modules, heavy + " was imported"
    print("ok")
    """
)


def test_types_never_import_numpy_or_torch() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
