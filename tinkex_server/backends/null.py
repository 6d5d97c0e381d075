"""The `null` backend: no model, no torch; shape-correct, deterministic answers in microseconds, for
protocol tests and client benchmarks.

Log-probabilities are a fixed function of the token id (so forward results are reproducible and the
five losses can be computed exactly from them); samples are drawn from `random.Random(seed)`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from _tinkex_lowlevel.losses import LOSSES as _SPEC_LOSSES

from tinkex_server._wire import check_text_only, datum_length
from tinkex_server.backends.base import (
    AdamSpec,
    BaseModelInfo,
    DimuonSpec,
    LoraSpec,
    SampleExtras,
    SamplingSpec,
    UserInputError,
)
from tinkex_server.backends.checks import (
    check_adam,
    check_loss_fn_config,
    check_sample_counts,
    check_sampling,
    check_token_ids,
    token_budget,
)
from tinkex_server.models._build import VOCAB_SIZE

__all__ = ["DEFAULT_NULL_MODEL", "NULL_VOCAB_SIZE", "NullBackend"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

DEFAULT_NULL_MODEL = "tinkex/null"
# A byte-sized vocabulary, like the local tiny models: ids 0..255.
NULL_VOCAB_SIZE = 256
# Ids a request may carry: the bytes plus the byte tokenizer's BOS, EOS and PAD (the tokenizer this
# backend lists adds BOS to every encoded text). Sampling draws bytes only, so the text decodes.
NULL_INPUT_VOCAB_SIZE = VOCAB_SIZE
# The answer to `max_tokens: null` (the reference leaves it open); small, as this backend has no context.
_DEFAULT_MAX_TOKENS = 16
# The context length this backend reports (and enforces, as the torch backend does its model's): long
# enough for the client benchmarks' 8192-token datums and longer batches, small enough to bound work.
NULL_CONTEXT = 131_072
# What each loss reads: the spec's table (`x-tinkex-losses` on LossFnType, compiled by `make gen`), the
# one the SDK checks requests against locally.
_LOSS_INPUTS = {
    name: (set(spec["inputs"]), set(spec["optional_inputs"])) for name, spec in _SPEC_LOSSES.items()
}
# Per-token clip thresholds were once accepted as inputs (the client still types them): tolerate them.
_TOLERATED_INPUTS = {"clip_low_threshold", "clip_high_threshold"}


def fake_logprob(token: int) -> float:
    """The null model's log-probability of `token` at any position: in (-6, -0.5], never 0."""
    return -0.5 - (int(token) % 11) / 2.0


def _loss_terms(
    loss_fn: str, lp: FloatArray, inputs: Mapping[str, FloatArray], cfg: Mapping[str, float]
) -> FloatArray:
    """Per-token losses of server-semantics.md §1.2, computed from the fake log-probabilities."""
    if loss_fn == "cross_entropy":
        w = inputs.get("weights")
        out = -(w if w is not None else np.ones_like(lp)) * lp
    else:
        q, adv = inputs["logprobs"], inputs["advantages"]
        ratio = np.exp(lp - q)
        lo, hi = float(cfg.get("clip_low_threshold", 0.8)), float(cfg.get("clip_high_threshold", 1.2))
        beta = float(cfg.get("beta", 0.05))
        if loss_fn == "importance_sampling":
            out = -ratio * adv
        elif loss_fn == "ppo":
            out = -np.minimum(ratio * adv, np.clip(ratio, lo, hi) * adv)
        elif loss_fn == "cispo":
            out = -np.clip(ratio, lo, hi) * lp * adv
        elif loss_fn == "stable_reinforce":  # the torch backend's definition (backends/_losses.py)
            cap = float(cfg.get("clip_high_threshold", 2.0))
            out = -np.minimum(ratio, cap) * lp * adv
        elif loss_fn == "gspo":
            m = inputs.get("sequence_ratio_mask")
            m = (adv != 0).astype(np.float64) if m is None else m
            count = float(m.sum())
            if count == 0.0:
                out = np.zeros_like(lp)
            else:
                lo = float(cfg.get("clip_low_threshold", 1.0 - 3e-4))
                hi = float(cfg.get("clip_high_threshold", 1.0 + 4e-4))
                s = float(np.exp(((lp - q) * m).sum() / count))
                out = -np.minimum(s * adv, np.clip(s, lo, hi) * adv) * m / count
        else:  # dro
            out = -(lp * adv - 0.5 * beta * (lp - q) ** 2)
    return np.asarray(out, dtype=np.float64)


def _floats(values: list[Any]) -> FloatArray:
    if isinstance(values, np.ndarray):  # protobuf bodies hand numpy arrays
        return values.astype(np.float64)
    # fromiter with a known count: ~20% faster than asarray for a list of Python floats.
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _token_ids(values: list[Any], where: str) -> npt.NDArray[np.integer[Any]]:
    """Token ids as integers, refused (naming `where`) outside the vocabulary like the torch backend
    does. Ids of a byte-sized vocabulary convert through `bytes()` at ~7 ns per id, against ~30 ns
    through numpy, and `bytes()` itself refuses anything else."""
    if isinstance(values, np.ndarray):  # protobuf bodies: bytes() of an array would be its raw buffer
        if values.size and (values.min() < 0 or values.max() >= NULL_VOCAB_SIZE):
            check_token_ids(values.tolist(), NULL_INPUT_VOCAB_SIZE, where)  # raises, naming the ids
            return values.astype(np.int64, copy=False)  # special tokens: computed, not looked up
        return values.astype(np.uint8)  # the table lookup below, as for JSON lists
    try:
        return np.frombuffer(bytes(values), dtype=np.uint8)
    except (TypeError, ValueError):  # an id >= 256 or < 0, or a float (3.0, 3.5): the slow check
        check_token_ids(values, NULL_INPUT_VOCAB_SIZE, where)
        return np.asarray(values, dtype=np.float64).astype(np.int64)


# fake_logprob of the ids 0..255, for a table lookup instead of arithmetic on every id.
_BYTE_LOGPROBS = -0.5 - (np.arange(NULL_VOCAB_SIZE) % 11) / 2.0


def _fake_logprobs(ids: npt.NDArray[np.integer[Any]]) -> FloatArray:
    """`fake_logprob` of every id, vectorised."""
    if ids.dtype == np.uint8:
        looked_up: FloatArray = np.take(_BYTE_LOGPROBS, ids)
        return looked_up
    computed: FloatArray = -0.5 - np.mod(ids, 11) / 2.0
    return computed


def _tensor(values: FloatArray) -> dict[str, Any]:
    # A float32 array, not .tolist(): the server encodes results with orjson's numpy support, which
    # skips building 8,192 float objects per tensor, and float32 (the dtype the tensor declares)
    # writes the shortest digits that round-trip at that precision, ~10% faster than float64.
    return {"data": values.astype(np.float32), "dtype": "float32", "shape": [len(values)]}


def _byte_tokenizer_dir(cache_dir: Path | None) -> str | None:
    """The local directory of the byte-level tokenizer (built once into the model cache), or None when
    it cannot be had here (no `tokenizers`/`transformers`, unwritable cache): clients then need ids."""
    try:
        from tinkex_server.models import ensure_byte_tokenizer

        return str(ensure_byte_tokenizer(cache_dir).resolve())
    except Exception as exc:  # optional here: a null server must start whatever the tokenizer libraries do
        logger.warning("null backend: no tokenizer to offer clients (%s: %s)", type(exc).__name__, exc)
        return None


class NullBackend:
    """A `Backend` without a model. Tracks which models/samplers exist so misuse fails like the real one.

    Example::

        b = NullBackend(); b.create_model("m", "tinkex/null", LoraSpec(rank=4))
        b.forward_backward("m", data, "cross_entropy", None, backward=True)["metrics"]["loss:sum"]
    """

    # Calls take microseconds (a 32x8192 forward_backward ~15 ms): run them on the event loop.
    runs_inline = True

    def __init__(
        self,
        models: Mapping[str, str | Path] | None = None,
        *,
        tokenizer: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self._names = [DEFAULT_NULL_MODEL, *(models or {})]
        self._models: dict[str, dict[str, Any]] = {}
        self._samplers: dict[str, str] = {}
        self._tokenizer_id = _byte_tokenizer_dir(cache_dir) if tokenizer else None

    def supported_models(self) -> list[BaseModelInfo]:
        # Every model here samples byte ids 0..255, which the tiny models' byte-level tokenizer
        # decodes: listing its local directory lets a client encode text prompts offline.
        return [
            BaseModelInfo(
                name=n, arch="null", tokenizer_id=self._tokenizer_id, max_context_length=NULL_CONTEXT
            )
            for n in self._names
        ]

    def create_model(self, model_id: str, base_model: str, lora: LoraSpec) -> None:
        self._models[model_id] = {"base_model": base_model, "rank": lora.rank, "step": 0, "pending": 0}

    def _model(self, model_id: str) -> dict[str, Any]:
        try:
            return self._models[model_id]
        except KeyError:
            raise UserInputError(f"model {model_id} is not loaded") from None

    def forward_backward(
        self,
        model_id: str,
        data: list[dict[str, Any]],
        loss_fn: str,
        loss_fn_config: dict[str, float] | None,
        backward: bool,
    ) -> dict[str, Any]:
        model = self._model(model_id)
        if loss_fn not in _LOSS_INPUTS:
            raise UserInputError(f"loss_fn {loss_fn!r} is not one of {sorted(_LOSS_INPUTS)}")
        check_loss_fn_config(loss_fn_config)
        required, optional = _LOSS_INPUTS[loss_fn]
        outputs: list[dict[str, Any]] = []
        total = 0.0
        for d, datum in enumerate(data):
            try:
                check_text_only(datum["model_input"])
            except ValueError as e:
                raise UserInputError(f"data[{d}].model_input: {e}") from None
            for chunk in datum["model_input"].get("chunks") or []:  # ignored by the fake model, but checked
                tokens = chunk.get("tokens")  # a list (JSON) or a numpy array (protobuf)
                _token_ids(tokens if tokens is not None else [], f"data[{d}].model_input.chunks[*].tokens")
            n = datum_length(datum)
            if n > NULL_CONTEXT:
                raise UserInputError(
                    f"PromptTooLong: data[{d}].model_input has {n} tokens; the context of the null model "
                    f"is {NULL_CONTEXT}"
                )
            given = datum["loss_fn_inputs"]
            missing = required - set(given)
            unknown = set(given) - required - optional - _TOLERATED_INPUTS
            if missing:
                raise UserInputError(
                    f"data[{d}].loss_fn_inputs lacks {sorted(missing)} required by {loss_fn}"
                )
            if unknown:
                raise UserInputError(
                    f"data[{d}].loss_fn_inputs has unknown keys {sorted(unknown)} for {loss_fn}"
                )
            inputs: dict[str, FloatArray] = {}
            for key, t in given.items():
                if list(t["shape"]) != [n] or len(t["data"]) != n:
                    raise UserInputError(
                        f"data[{d}].loss_fn_inputs[{key!r}] has shape {t['shape']} ({len(t['data'])} values) "
                        f"but model_input has {n} tokens; expected shape [{n}]"
                    )
                where = f"data[{d}].loss_fn_inputs.{key}"
                try:
                    if key == "target_tokens":
                        targets = _token_ids(t["data"], where)
                    else:
                        inputs[key] = values = _floats(t["data"])
                        if not np.isfinite(values).all():
                            raise UserInputError(f"NonFiniteInTensor: {where} contains NaN or Inf")
                except (TypeError, ValueError, OverflowError):
                    raise UserInputError(f"{where} holds non-numbers") from None
            lp = _fake_logprobs(targets)
            losses = _loss_terms(loss_fn, lp, inputs, loss_fn_config or {})
            total += float(losses.sum())
            outputs.append({"logprobs": _tensor(lp), "elementwise_loss": _tensor(losses)})
        if backward:
            model["pending"] += 1
        return {
            "loss_fn_output_type": "ArrayRecord",
            "loss_fn_outputs": outputs,
            "metrics": {"loss:sum": total},
        }

    def optim_step(self, model_id: str, adam: AdamSpec | DimuonSpec) -> dict[str, float]:
        model = self._model(model_id)
        check_adam(adam)
        model["step"] += 1
        model["pending"] = 0
        return {"step:max": float(model["step"]), "learning_rate:mean": adam.learning_rate}

    def save_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        model = self._model(model_id)
        (directory / "null_state.txt").write_text(
            f"{model['base_model']}\n{model['rank']}\n{model['step']}\n"
        )
        if optimizer:
            (directory / "null_optimizer.txt").write_text(f"{model['step']}\n")

    def load_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        model = self._model(model_id)
        state = directory / "null_state.txt"
        if not state.is_file():
            raise UserInputError(f"{directory.name}: not a training checkpoint of this backend")
        model["step"] = int(state.read_text().split()[2]) if optimizer else 0

    def save_sampler_weights(self, model_id: str, directory: Path) -> None:
        model = self._model(model_id)
        (directory / "adapter_config.json").write_text(f'{{"r": {model["rank"]}, "lora_alpha": 32}}\n')
        (directory / "adapter_model.safetensors").write_bytes(b"\0" * 64)

    def create_sampler(self, sampler_id: str, base_model: str, weights_dir: Path | None) -> None:
        if weights_dir is not None and not weights_dir.is_dir():
            raise UserInputError(f"sampler weights {weights_dir.name} are missing")
        self._samplers[sampler_id] = base_model

    def sample(
        self,
        sampler_id: str,
        prompt: list[int],
        num_samples: int,
        params: SamplingSpec,
        prompt_logprobs: bool,
        topk_prompt_logprobs: int,
        extras: SampleExtras | None = None,
        *,
        first_index: int = 0,
    ) -> dict[str, Any]:
        extras = extras or SampleExtras()
        if sampler_id not in self._samplers:
            raise UserInputError(f"sampler {sampler_id} is not loaded")
        check_sample_counts(num_samples, topk_prompt_logprobs)
        _token_ids(prompt, "prompt.chunks[*].tokens")
        check_sampling(params, NULL_INPUT_VOCAB_SIZE)
        budget = token_budget(len(prompt), params.max_tokens, NULL_CONTEXT)
        if params.max_tokens is None:
            budget = min(budget, _DEFAULT_MAX_TOKENS)
        seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2**31)
        stops = set(params.stop_token_ids)
        sequences = []
        for k in range(num_samples):
            rng = random.Random(
                seed * 1_000_003 + first_index + k
            )  # one stream per sample, fixed by the seed
            tokens: list[int] = []
            reason = "length"
            for _ in range(budget):
                tok = rng.randrange(NULL_VOCAB_SIZE)
                tokens.append(tok)
                if tok in stops:
                    reason = "stop"
                    break
            seq: dict[str, Any] = {
                "tokens": tokens,
                "logprobs": [fake_logprob(t) for t in tokens],
                "stop_reason": reason,
            }
            if extras.topk_sample > 0:
                width = min(extras.topk_sample, NULL_VOCAB_SIZE)
                top = sorted(((t, fake_logprob(t)) for t in range(width)), key=lambda p: -p[1])
                seq["topk_logprobs"] = [[[t, lp] for t, lp in top] for _ in tokens]
            sequences.append(seq)
        out: dict[str, Any] = {"type": "sample", "sequences": sequences}
        if prompt_logprobs:
            out["prompt_logprobs"] = [None, *(fake_logprob(t) for t in prompt[1:])] if prompt else []
        if topk_prompt_logprobs > 0:
            k = min(topk_prompt_logprobs, NULL_VOCAB_SIZE)
            row = sorted(((t, fake_logprob(t)) for t in range(k)), key=lambda p: -p[1])
            out["topk_prompt_logprobs"] = (
                [None, *([[t, lp] for t, lp in row] for _ in prompt[1:])] if prompt else []
            )
        if extras.target_prompt is not None:
            ids = np.asarray(extras.target_prompt, dtype=np.int64)
            if (ids >= NULL_INPUT_VOCAB_SIZE).any() or (ids < -1).any():
                raise UserInputError(
                    f"target_prompt_logprobs has token ids outside [-1, {NULL_INPUT_VOCAB_SIZE})"
                )
            lps = np.where(ids >= 0, -0.5 - np.mod(np.maximum(ids, 0), 11) / 2.0, 0.0).astype(np.float32)
            out["target_prompt_logprobs"] = {
                "data": lps.reshape(-1),
                "dtype": "float32",
                "shape": list(ids.shape),
            }
        if extras.alt_k > 0:
            rng = random.Random(seed ^ 0x5EED)
            rows = max(len(prompt) - 1, 0)
            draws = np.array(
                [rng.randrange(NULL_VOCAB_SIZE) for _ in range(rows * extras.alt_k)], dtype=np.int64
            )
            shape = [rows, extras.alt_k]
            out["prompt_alt_tokens"] = {
                "tokens": {"data": draws, "dtype": "int64", "shape": shape},
                "logprobs": {
                    "data": (-0.5 - np.mod(draws, 11) / 2.0).astype(np.float32),
                    "dtype": "float32",
                    "shape": shape,
                },
            }
        return out

    def unload_model(self, model_id: str) -> None:
        self._models.pop(model_id, None)
