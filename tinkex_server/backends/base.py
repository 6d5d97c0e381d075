"""The compute contract between the HTTP layer and a model backend, and the small specs it passes.

The server parses and validates wire bodies, then calls a `Backend` on one worker thread, one request
of a model at a time in `seq_id` order. The backend never sees HTTP: wire-shaped dicts in, wire-shaped
dicts out. An error the user caused is raised as `UserInputError` (a failed future with category
`user`); anything else becomes category `server`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = [
    "DEFAULT_ADAM_BETA1",
    "DEFAULT_ADAM_BETA2",
    "DEFAULT_ADAM_EPS",
    "DEFAULT_ADAM_GRAD_CLIP_NORM",
    "DEFAULT_ADAM_LEARNING_RATE",
    "DEFAULT_ADAM_WEIGHT_DECAY",
    "DEFAULT_LORA_RANK",
    "DEFAULT_SAMPLING_TEMPERATURE",
    "DEFAULT_SAMPLING_TOP_K",
    "DEFAULT_SAMPLING_TOP_P",
    "MAX_LORA_RANK",
    "AdamSpec",
    "Backend",
    "BaseModelInfo",
    "DimuonSpec",
    "LoraSpec",
    "SampleExtras",
    "SamplingSpec",
    "UserInputError",
]

# AdamParams defaults of the official SDK (wire-protocol.md §3.2 and §8.1). The 0.7.0 client sends only
# the fields the user set, so the server must apply exactly these for omitted keys.
DEFAULT_ADAM_LEARNING_RATE = 1e-4
DEFAULT_ADAM_BETA1 = 0.9
DEFAULT_ADAM_BETA2 = 0.95
DEFAULT_ADAM_EPS = 1e-12
DEFAULT_ADAM_WEIGHT_DECAY = 0.0
DEFAULT_ADAM_GRAD_CLIP_NORM = 0.0  # 0.0 means "no clipping"

# SamplingParams defaults of the official SDK (wire-protocol.md §3.2).
DEFAULT_SAMPLING_TEMPERATURE = 1.0
DEFAULT_SAMPLING_TOP_K = -1  # -1 means "no top-k limit"
DEFAULT_SAMPLING_TOP_P = 1.0

# The Python API's default LoRA rank (LoraConfig.rank is required on the wire; the SDK fills 32).
DEFAULT_LORA_RANK = 32
# The largest LoRA rank the local server accepts: far beyond any useful adapter, small enough that an
# absurd rank (2**40) is refused up front instead of failing an allocation on the compute thread.
MAX_LORA_RANK = 1024


class UserInputError(Exception):
    """Raised by a backend when the request itself is wrong (bad shapes, unknown loss inputs, ...).

    The server turns it into a failed future with category ``user``; the message is shown to the
    user verbatim, so it must name the offending field and never contain secrets.

    Example::

        raise UserInputError("loss_fn_inputs['weights'] has 3 elements, model_input has 4 tokens")
    """


def _lora_rank(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= MAX_LORA_RANK:
        raise ValueError(f"{attribute.name} must be in [1, {MAX_LORA_RANK}], got {value}")


def _non_negative(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


@attrs.frozen
class LoraSpec:
    """The LoRA adapter a training client asked for (the wire `LoraConfig`, defaults applied).

    Example::

        LoraSpec(rank=8, seed=0, train_unembed=False)
    """

    rank: int = attrs.field(default=DEFAULT_LORA_RANK, validator=_lora_rank)
    seed: int | None = None
    train_unembed: bool = True
    train_mlp: bool = True
    train_attn: bool = True

    @classmethod
    def from_wire(cls, d: Mapping[str, Any] | None) -> LoraSpec:
        """Build from a `lora_config` body (either serialization style; nulls mean "default").

        Example::

            LoraSpec.from_wire({"rank": 4, "seed": None})  # -> LoraSpec(rank=4, seed=None, ...)
        """
        if not d:
            return cls()
        return cls(
            rank=int(_or(d.get("rank"), DEFAULT_LORA_RANK)),
            seed=None if d.get("seed") is None else int(d["seed"]),
            train_unembed=bool(_or(d.get("train_unembed"), True)),
            train_mlp=bool(_or(d.get("train_mlp"), True)),
            train_attn=bool(_or(d.get("train_attn"), True)),
        )


@attrs.frozen
class AdamSpec:
    """AdamW hyperparameters of one optim_step, with the server-side defaults for omitted fields.

    `weight_decay` is decoupled (AdamW); `grad_clip_norm` = 0.0 disables global-norm clipping.

    Example::

        AdamSpec.from_wire({"learning_rate": 1e-3})  # beta1 0.9, beta2 0.95, eps 1e-12, ...
    """

    learning_rate: float = attrs.field(default=DEFAULT_ADAM_LEARNING_RATE, validator=_non_negative)
    beta1: float = DEFAULT_ADAM_BETA1
    beta2: float = DEFAULT_ADAM_BETA2
    eps: float = attrs.field(default=DEFAULT_ADAM_EPS, validator=_non_negative)
    weight_decay: float = attrs.field(default=DEFAULT_ADAM_WEIGHT_DECAY, validator=_non_negative)
    grad_clip_norm: float = attrs.field(default=DEFAULT_ADAM_GRAD_CLIP_NORM, validator=_non_negative)

    @classmethod
    def from_wire(cls, d: Mapping[str, Any] | None) -> AdamSpec:
        """Build from an `adam_params` body; absent or null keys take the SDK defaults.

        Example::

            AdamSpec.from_wire({})  # == AdamSpec()
        """
        d = d or {}
        return cls(
            learning_rate=float(_or(d.get("learning_rate"), DEFAULT_ADAM_LEARNING_RATE)),
            beta1=float(_or(d.get("beta1"), DEFAULT_ADAM_BETA1)),
            beta2=float(_or(d.get("beta2"), DEFAULT_ADAM_BETA2)),
            eps=float(_or(d.get("eps"), DEFAULT_ADAM_EPS)),
            weight_decay=float(_or(d.get("weight_decay"), DEFAULT_ADAM_WEIGHT_DECAY)),
            grad_clip_norm=float(_or(d.get("grad_clip_norm"), DEFAULT_ADAM_GRAD_CLIP_NORM)),
        )


@attrs.frozen
class DimuonSpec:
    """Hyperparameters of one Dimuon optim_step (tinker >= 0.38 `DimuonParams`).

    Dimuon here is Muon (K. Jordan et al., 2024, "Muon: an optimizer for hidden layers in neural
    networks"): heavy-ball momentum `beta1` with a Nesterov look-ahead, the update of every matrix
    replaced by its nearest semi-orthogonal matrix (5 Newton-Schulz iterations) scaled by
    sqrt(max(1, rows / cols)); vectors take the momentum update as is. `grad_clip_norm` as for Adam.

    Example::

        DimuonSpec.from_wire({"type": "dimuon", "learning_rate": 0.02})
    """

    learning_rate: float = attrs.field(validator=_non_negative)
    beta1: float = 0.9
    grad_clip_norm: float = attrs.field(default=0.0, validator=_non_negative)

    @classmethod
    def from_wire(cls, d: Mapping[str, Any]) -> DimuonSpec:
        if d.get("learning_rate") is None:
            raise ValueError("learning_rate is required")
        beta1 = float(_or(d.get("beta1"), 0.9))
        if not 0.0 <= beta1 < 1.0:
            raise ValueError(f"beta1 must be in [0, 1), got {beta1}")
        return cls(
            learning_rate=float(d["learning_rate"]),
            beta1=beta1,
            grad_clip_norm=float(_or(d.get("grad_clip_norm"), 0.0)),
        )


@attrs.frozen
class SampleExtras:
    """The sampling outputs tinker >= 0.38 may ask for beyond 0.7.0's (all off by default).

    `topk_sample` = top-k logprobs at every sampled position; `target_prompt` = [len(prompt) - 1, K]
    token ids (-1 = no request) whose logprobs to return; `alt_k` = draws per prompt position after the
    first; `last_n` = only the last n prompt positions are scored (prompt logprobs and top-k).
    """

    topk_sample: int = 0
    target_prompt: Any = None  # numpy int64 array [len(prompt) - 1, K], or None
    alt_k: int = 0
    last_n: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.topk_sample or self.target_prompt is not None or self.alt_k or self.last_n)


@attrs.frozen
class SamplingSpec:
    """Sampling knobs of one asample request, defaults applied and `stop` split by kind.

    `max_tokens` None means "backend's choice" (the reference leaves it open; backends cap it at the
    remaining context). `stop_strings` / `stop_token_ids` come from the wire `stop` (a string, a list of
    strings or a list of ints); `stop_given_empty` is True for an explicit `stop=[]`, which disables
    every stop token including EOS (server-semantics.md §3.2).

    Example::

        SamplingSpec.from_wire({"max_tokens": 16, "stop": ["\\n"], "seed": 1})
    """

    max_tokens: int | None = None
    seed: int | None = None
    stop_strings: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    stop_given_empty: bool = False
    temperature: float = attrs.field(default=DEFAULT_SAMPLING_TEMPERATURE, validator=_non_negative)
    top_k: int = DEFAULT_SAMPLING_TOP_K
    top_p: float = DEFAULT_SAMPLING_TOP_P

    @classmethod
    def from_wire(cls, d: Mapping[str, Any] | None) -> SamplingSpec:
        """Build from a `sampling_params` body.

        Example::

            SamplingSpec.from_wire({"max_tokens": 1}).temperature  # -> 1.0
        """
        d = d or {}
        stop = d.get("stop")
        strings: tuple[str, ...] = ()
        ids: tuple[int, ...] = ()
        if isinstance(stop, str):
            strings = (stop,)
        elif isinstance(stop, Sequence):
            strings = tuple(s for s in stop if isinstance(s, str))
            ids = tuple(int(s) for s in stop if isinstance(s, int) and not isinstance(s, bool))
        max_tokens = d.get("max_tokens")
        seed = d.get("seed")
        return cls(
            max_tokens=None if max_tokens is None else int(max_tokens),
            seed=None if seed is None else int(seed),
            stop_strings=strings,
            stop_token_ids=ids,
            stop_given_empty=isinstance(stop, list) and len(stop) == 0,
            temperature=float(_or(d.get("temperature"), DEFAULT_SAMPLING_TEMPERATURE)),
            top_k=int(_or(d.get("top_k"), DEFAULT_SAMPLING_TOP_K)),
            top_p=float(_or(d.get("top_p"), DEFAULT_SAMPLING_TOP_P)),
        )


@attrs.frozen
class BaseModelInfo:
    """A base model the backend offers (reported by get_server_capabilities and get_info).

    `tokenizer_id` is a local directory `AutoTokenizer.from_pretrained` loads offline.

    Example::

        BaseModelInfo(name="tinkex/tiny-llama", arch="llama", tokenizer_id="/data/models/tiny",
                      max_context_length=256)
    """

    name: str
    arch: str
    tokenizer_id: str | None = None
    max_context_length: int | None = None


def _or(value: Any, default: Any) -> Any:
    """Null-tolerant default: the 0.7.0 client sends explicit nulls for unset optionals."""
    return default if value is None else value


@runtime_checkable
class Backend(Protocol):
    """What a compute backend implements; the server calls it from one worker thread.

    Methods are synchronous and may take seconds. A backend whose calls take microseconds may set the
    optional class attribute `runs_inline = True`: the server then calls it on its event loop, sparing
    a thread hand-off per request. Per model, calls arrive strictly in `seq_id` order;
    calls of different models may interleave. `data` items are wire `Datum` dicts with chunk `type`
    tags already filled in (`encoded_text` / `image` / `image_asset_pointer`) and every
    `loss_fn_inputs` tensor carrying an explicit `shape`.

    Example::

        class Echo:  # a minimal backend sketch; see backends/null.py for a complete one
            def supported_models(self) -> list[BaseModelInfo]:
                return [BaseModelInfo(name="echo", arch="none")]
            ...
    """

    def supported_models(self) -> list[BaseModelInfo]:
        """The base models offered, in the order they are listed to clients."""
        ...

    def create_model(self, model_id: str, base_model: str, lora: LoraSpec) -> None:
        """Create a LoRA training model (fresh adapter, fresh optimizer, zero gradients)."""
        ...

    def forward_backward(
        self,
        model_id: str,
        data: list[dict[str, Any]],
        loss_fn: str,
        loss_fn_config: dict[str, float] | None,
        backward: bool,
    ) -> dict[str, Any]:
        """Run the loss; accumulate gradients when `backward`. Returns a `ForwardBackwardOutput` dict."""
        ...

    def optim_step(self, model_id: str, adam: AdamSpec) -> dict[str, float]:
        """Apply one AdamW step with the accumulated gradients, then zero them. Returns metrics."""
        ...

    def save_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        """Write the adapter (and optimizer state when `optimizer`) into an existing empty directory."""
        ...

    def load_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        """Load what `save_state` wrote; without `optimizer` the optimizer state is reset."""
        ...

    def save_sampler_weights(self, model_id: str, directory: Path) -> None:
        """Write the adapter in PEFT form (adapter_config.json + adapter_model.safetensors)."""
        ...

    def create_sampler(self, sampler_id: str, base_model: str, weights_dir: Path | None) -> None:
        """Bind a sampler to a base model, optionally with adapter weights saved by `save_sampler_weights`."""
        ...

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
        """Generate `num_samples` sequences. Returns a `SampleResponse` dict.

        `extras`: the outputs tinker >= 0.38 may ask for beyond 0.7.0's (None: none of them).

        `first_index`: the index of the first sequence within the request. The server splits a big
        request into parts; sequence j must depend only on (seed, j), so the parts together equal one
        call for all of them.
        """
        ...

    def unload_model(self, model_id: str) -> None:
        """Free a training model's memory; later calls for it fail."""
        ...
