"""The real compute backend: base causal LMs loaded with transformers, one peft LoRA adapter per training
client, the five losses, AdamW, checkpoints as PEFT adapter files, and KV-cached sampling.

Base models are shared: each base is loaded once and every training client and sampler of it is a
peft adapter on that one module tree, selected per request under a lock (calls of different models may
interleave on several threads)."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import random
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import torch

from tinkex_server.backends._losses import (
    LOSS_FNS,
    LossInputs,
    elementwise_loss,
    parse_loss_inputs,
    tensor_data,
)
from tinkex_server.backends._optim import Dimuon, adam_step, dimuon_step, is_dimuon_state, new_optimizer
from tinkex_server.backends._sampling import (
    draw,
    hits_stop_string,
    sample_seeds,
    stop_rule,
)
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
    check_loss_fn_config,
    check_sample_counts,
    check_sampling,
    check_token_ids,
    token_budget,
)
from tinkex_server.models import TINY_MODELS, ensure_tiny_model

__all__ = ["DEFAULT_CPU_THREADS", "DEFAULT_LORA_ALPHA", "TorchBackend", "lora_target_modules"]

# Fixed alpha, scale alpha/r: with B = 0 at init the first steps at one lr look alike across ranks,
# as the Tinker LoRA primer claims (server-semantics.md §5.1); 32 is the cookbook's default.
DEFAULT_LORA_ALPHA = 32

# Linear-layer names of the Llama family (Llama, Mistral, Qwen2/3, Gemma; Phi-3's fused names too).
_ATTN_NAMES = frozenset({"q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj"})
_MLP_NAMES = frozenset({"gate_proj", "up_proj", "down_proj", "gate_up_proj"})

# CPU threads for torch. The built-in models are so small that every op lasts microseconds, and the
# intra-op thread hand-off dominates: on a busy 2-core machine 1 thread sampled 10x and trained 5x
# faster than 2 (measured: 4 sample requests 0.3 s vs 4 s; 60 demo steps 9 s vs 50 s). Requests run one
# at a time anyway. Override with num_threads= or TINKEX_TORCH_THREADS for big --model directories.
DEFAULT_CPU_THREADS = 1

_ADAPTER_CONFIG = "adapter_config.json"
_ADAPTER_WEIGHTS = "adapter_model.safetensors"
_OPTIMIZER_FILE = "optimizer.pt"
_STATE_FILE = "tinkex_state.json"
_COMPLETE_MARKER = "checkpoint_complete"  # the observed sampler archive carries this empty marker


def lora_target_modules(linear_names: Sequence[str], unembed_name: str | None, lora: LoraSpec) -> list[str]:
    """The full module names to adapt for the train_attn / train_mlp / train_unembed flags.

    Attention = q/k/v/o projections, MLP = gate/up/down, unembed = the output head (never the input
    embedding): the split whose parameter counts match Tinker's published table (§5.1).

    Example:
        >>> lora_target_modules(["l.0.q_proj", "l.0.up_proj", "lm_head"], "lm_head",
        ...                     LoraSpec(rank=4, train_mlp=False))
        ['l.0.q_proj', 'lm_head']
    """
    out: list[str] = []
    for name in linear_names:
        leaf = name.rsplit(".", 1)[-1]
        if name == unembed_name:
            if lora.train_unembed:
                out.append(name)
        elif (leaf in _ATTN_NAMES and lora.train_attn) or (leaf in _MLP_NAMES and lora.train_mlp):
            out.append(name)
    return out


def _cache_of(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def _pick_device(device: str | None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@attrs.define
class _Base:
    """One loaded base model, shared by all adapters of it."""

    info: BaseModelInfo
    path: Path
    model: Any = None  # transformers PreTrainedModel, later wrapped in a peft PeftModel
    peft: Any = None
    tokenizer: Any = None
    vocab_size: int = 0
    eos_ids: tuple[int, ...] = ()
    linear_names: list[str] = attrs.Factory(list)
    unembed_name: str | None = None
    cache_kw: str = "past_key_values"  # transformers 5.2x renamed the forward kwarg to `cache`
    slots: dict[str, str] = attrs.Factory(dict)  # sampler adapter config key -> slot adapter name
    slot_owner: dict[str, str] = attrs.Factory(dict)  # slot adapter name -> sampler id loaded in it


@attrs.define
class _Trainer:
    base: str
    adapter: str
    lora: LoraSpec
    params: list[torch.nn.Parameter]
    optimizer: torch.optim.Optimizer  # AdamW, or Dimuon once a model steps with it


@attrs.frozen
class _Sampler:
    base: str
    config: Any | None  # peft LoraConfig, None = the bare base model
    weights: dict[str, torch.Tensor] | None


class TorchBackend:
    """The torch + transformers + peft backend; offers the built-in tiny models and any `extra_models`.

    Example:
        >>> be = TorchBackend()  # doctest: +SKIP
        >>> be.create_model("m1", "tinkex/micro-llama", LoraSpec(rank=4, seed=0))  # doctest: +SKIP
    """

    def __init__(
        self,
        extra_models: Mapping[str, Path | str] | None = None,
        *,
        cache_dir: Path | None = None,
        device: str | None = None,
        builtin: bool = True,
        num_threads: int | None = None,
    ) -> None:
        # Never reach a hub: every load below is from a local directory.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self._device = _pick_device(device)
        if self._device.type == "cpu":
            # Process-wide setting: this backend owns the process's torch compute when it serves.
            env_threads = os.environ.get("TINKEX_TORCH_THREADS")
            threads = num_threads or (int(env_threads) if env_threads else DEFAULT_CPU_THREADS)
            torch.set_num_threads(threads)
        self._lock = threading.RLock()
        self._bases: dict[str, _Base] = {}
        self._trainers: dict[str, _Trainer] = {}
        self._samplers: dict[str, _Sampler] = {}
        self._counter = 0
        if builtin:
            for name in TINY_MODELS:
                self._register(name, ensure_tiny_model(name, cache_dir))
        for name, path in (extra_models or {}).items():
            self._register(name, Path(path))

    # ----------------------------------------------------------------- models and adapters

    def _register(self, name: str, path: Path) -> None:
        config_path = path / "config.json"
        if not config_path.is_file():
            raise ValueError(f"--model {name}={path}: no config.json there (not a Hugging Face model dir)")
        config = json.loads(config_path.read_text())
        context = config.get("max_position_embeddings") or config.get("n_positions")
        info = BaseModelInfo(
            name=name,
            arch=str(config.get("model_type", "unknown")),
            tokenizer_id=str(path.resolve()),
            max_context_length=int(context) if context else None,
        )
        self._bases[name] = _Base(info=info, path=path)

    def supported_models(self) -> list[BaseModelInfo]:
        """The base models offered, built-in ones first."""
        return [b.info for b in self._bases.values()]

    def _base(self, name: str) -> _Base:
        base = self._bases.get(name)
        if base is None:
            known = ", ".join(self._bases)
            raise UserInputError(f"base_model {name!r} is not served here; supported: {known}")
        if base.model is None:
            self._load(base)
        return base

    def _load(self, base: _Base) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model: Any = AutoModelForCausalLM.from_pretrained(str(base.path), local_files_only=True)
        # float32 whatever the checkpoint's dtype: CPU training in bf16 is slow and imprecise.
        model = model.to(self._device, dtype=torch.float32).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        base.tokenizer = AutoTokenizer.from_pretrained(str(base.path), local_files_only=True)
        base.vocab_size = int(model.get_output_embeddings().weight.shape[0])
        eos = model.config.eos_token_id
        eos_list = eos if isinstance(eos, list) else [eos]
        base.eos_ids = tuple(int(e) for e in eos_list if e is not None)
        head = model.get_output_embeddings()
        base.linear_names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
        base.unembed_name = next((n for n, m in model.named_modules() if m is head), None)
        base.cache_kw = (
            "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        )
        base.model = model
        if base.info.max_context_length is None:
            base.info = attrs.evolve(base.info, max_context_length=2048)

    def _context(self, base: _Base) -> int:
        return base.info.max_context_length or 2048

    def _new_adapter_name(self, kind: str) -> str:
        # Adapter names become nn.ModuleDict keys: short and free of "." and ":" (model ids have ":").
        self._counter += 1
        return f"{kind}{self._counter}"

    def _lora_config(self, base: _Base, lora: LoraSpec) -> Any:
        from peft import LoraConfig

        targets = lora_target_modules(base.linear_names, base.unembed_name, lora)
        if not targets:
            raise UserInputError(
                "lora_config: train_attn, train_mlp and train_unembed select no layer of "
                f"{base.info.name!r}; enable at least one"
            )
        return LoraConfig(
            r=lora.rank,
            lora_alpha=DEFAULT_LORA_ALPHA,
            lora_dropout=0.0,
            target_modules=targets,
            bias="none",
            base_model_name_or_path=base.info.name,
        )

    def _add_adapter(self, base: _Base, name: str, config: Any, seed: int | None) -> None:
        from peft import get_peft_model

        # The seed fixes A's random init (B starts at zero); fork_rng keeps global RNG state untouched.
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            # peft warns that it records the local path as base_model_name_or_path; we restore the name.
            warnings.simplefilter("ignore")
            # torch takes 64-bit seeds and wraps negatives the same way; `% 2**64` keeps every seed it
            # accepted meaning the same adapter and lets any other (unbounded JSON) integer in.
            torch.manual_seed(seed % 2**64 if seed is not None else random.SystemRandom().getrandbits(63))
            if base.peft is None:
                base.peft = get_peft_model(base.model, config, adapter_name=name)
                base.peft.eval()
            else:
                base.peft.add_adapter(name, config)
        base.peft.peft_config[name].base_model_name_or_path = base.info.name
        base.peft.to(self._device)

    def _add_checkpoint_adapter(self, base: _Base, name: str, config: Any) -> None:
        # The seed is irrelevant: the checkpoint's weights overwrite the init right after.
        try:
            self._add_adapter(base, name, config, 0)
        except ValueError as exc:  # peft: target modules not found in this model
            raise UserInputError(f"checkpoint does not fit base model {base.info.name!r}: {exc}") from exc

    def _delete_adapter(self, base: _Base, name: str) -> None:
        with warnings.catch_warnings():
            # peft warns that the active adapter is gone; every request selects its adapter anyway.
            warnings.filterwarnings("ignore", message=r"Adapter .* was active which is now deleted")
            base.peft.delete_adapter(name)
        if not base.peft.peft_config:
            # peft keeps a stale active adapter once the last one is gone; unwrap to the bare model.
            base.model = base.peft.unload()
            base.peft = None
            base.slots.clear()
            base.slot_owner.clear()

    def _adapter_params(self, base: _Base, adapter: str) -> list[torch.nn.Parameter]:
        marker = f".{adapter}."
        named = sorted((n, p) for n, p in base.peft.named_parameters() if marker in n)
        for _, p in named:
            p.requires_grad_(True)
        return [p for _, p in named]

    def _trainer(self, model_id: str) -> tuple[_Trainer, _Base]:
        tr = self._trainers.get(model_id)
        if tr is None:
            raise UserInputError(f"model_id {model_id!r} is not loaded on this server")
        return tr, self._base(tr.base)

    @contextlib.contextmanager
    def _active(self, base: _Base, adapter: str | None) -> Iterator[Any]:
        """Select one adapter (or none: the bare base model) for the duration of a request."""
        if base.peft is None:
            yield base.model
        elif adapter is None:
            with base.peft.disable_adapter():
                yield base.peft
        else:
            base.peft.set_adapter(adapter)
            yield base.peft

    def create_model(self, model_id: str, base_model: str, lora: LoraSpec) -> None:
        """A fresh LoRA adapter (seeded), a fresh AdamW and no gradients."""
        with self._lock:
            base = self._base(base_model)
            if model_id in self._trainers:
                raise UserInputError(f"model_id {model_id!r} already exists")
            adapter = self._new_adapter_name("t")
            self._add_adapter(base, adapter, self._lora_config(base, lora), lora.seed)
            params = self._adapter_params(base, adapter)
            self._trainers[model_id] = _Trainer(base_model, adapter, lora, params, new_optimizer(params))

    def unload_model(self, model_id: str) -> None:
        """Drop the adapter and optimizer of a training model."""
        with self._lock:
            tr, base = self._trainer(model_id)
            self._delete_adapter(base, tr.adapter)
            del self._trainers[model_id]

    # ----------------------------------------------------------------- forward / backward

    def _datum_tokens(self, i: int, datum: Mapping[str, Any], base: _Base) -> list[int]:
        where = f"data[{i}].model_input"
        model_input = datum.get("model_input")
        if not isinstance(model_input, Mapping):
            raise UserInputError(f"{where} is required")
        tokens: list[int] = []
        for j, chunk in enumerate(model_input.get("chunks") or []):
            kind = chunk.get("type") or ("encoded_text" if "tokens" in chunk else "image")
            if kind != "encoded_text":
                raise UserInputError(
                    f"{where}.chunks[{j}] is an {kind} chunk; {base.info.name!r} is a text-only model"
                )
            raw_tokens = chunk.get("tokens")
            if raw_tokens is not None:  # a list (JSON) or an int32 array (protobuf bodies)
                tokens.extend(
                    raw_tokens.tolist() if hasattr(raw_tokens, "tolist") else (int(t) for t in raw_tokens)
                )
        self._check_ids(tokens, f"{where}.chunks[*].tokens", base)
        if len(tokens) > self._context(base):
            raise UserInputError(
                f"PromptTooLong: {where} has {len(tokens)} tokens; the context of "
                f"{base.info.name!r} is {self._context(base)}"
            )
        return tokens

    def _check_ids(self, tokens: Sequence[int], where: str, base: _Base) -> None:
        check_token_ids(tokens, base.vocab_size, where)

    def _token_logprobs(
        self, model: Any, rows: Sequence[list[int]], targets: Sequence[torch.Tensor]
    ) -> list[torch.Tensor]:
        """lp_i = log_softmax(logits at position i)[target_i] per row; the server never shifts."""
        out = [torch.zeros(0, device=self._device) for _ in rows]
        live = [k for k, r in enumerate(rows) if r]
        if not live:
            return out
        width = max(len(rows[k]) for k in live)
        # Right padding needs no attention mask: under the causal mask real positions never see pads.
        ids = torch.zeros((len(live), width), dtype=torch.long)
        tgt = torch.zeros((len(live), width), dtype=torch.long)
        for row, k in enumerate(live):
            ids[row, : len(rows[k])] = torch.tensor(rows[k])
            tgt[row, : len(rows[k])] = targets[k]
        logits = model(input_ids=ids.to(self._device), use_cache=False).logits.float()
        lp = torch.log_softmax(logits, dim=-1).gather(-1, tgt.to(self._device).unsqueeze(-1)).squeeze(-1)
        for row, k in enumerate(live):
            out[k] = lp[row, : len(rows[k])]
        return out

    def forward_backward(
        self,
        model_id: str,
        data: list[dict[str, Any]],
        loss_fn: str,
        loss_fn_config: dict[str, float] | None,
        backward: bool,
    ) -> dict[str, Any]:
        """Per-datum logprobs and elementwise_loss, `loss:sum`; gradients add up until optim_step."""
        if loss_fn not in LOSS_FNS:
            raise UserInputError(f"loss_fn {loss_fn!r} is not one of {', '.join(LOSS_FNS)}")
        check_loss_fn_config(loss_fn_config)
        with self._lock:
            tr, base = self._trainer(model_id)
            rows: list[list[int]] = []
            inputs: list[LossInputs] = []
            for i, datum in enumerate(data):
                tokens = self._datum_tokens(i, datum, base)
                raw = datum.get("loss_fn_inputs") or {}
                where = f"data[{i}].loss_fn_inputs"
                inputs.append(parse_loss_inputs(loss_fn, raw, len(tokens), base.vocab_size, where))
                rows.append(tokens)
            grad_ctx = torch.enable_grad() if backward else torch.no_grad()
            with grad_ctx, self._active(base, tr.adapter) as model:
                lps = self._token_logprobs(model, rows, [x.target_tokens for x in inputs])
                losses = [
                    elementwise_loss(loss_fn, lp, x, loss_fn_config)
                    for lp, x in zip(lps, inputs, strict=True)
                ]
                total = torch.stack([x.sum() for x in losses]).sum() if losses else torch.zeros(())
                if backward and total.requires_grad:
                    total.backward()  # type: ignore[no-untyped-call]
            outputs = [
                {"logprobs": tensor_data(lp), "elementwise_loss": tensor_data(el)}
                for lp, el in zip(lps, losses, strict=True)
            ]
            return {
                # Any string works for clients; this names what the outputs are.
                "loss_fn_output_type": "TorchLossReturn",
                "loss_fn_outputs": outputs,
                "metrics": {"loss:sum": float(total.detach())},
            }

    def optim_step(self, model_id: str, adam: AdamSpec | DimuonSpec) -> dict[str, float]:
        """One AdamW (or Dimuon) step; reports the pre-clip norm as `unclipped_grad_l2:mean` (as observed)."""
        with self._lock:
            tr, _ = self._trainer(model_id)
            if isinstance(adam, DimuonSpec):
                if not isinstance(tr.optimizer, Dimuon):
                    # The model's first Dimuon step (the server refuses mixing the two on one model).
                    tr.optimizer = Dimuon(tr.params)
                norm = dimuon_step(tr.optimizer, tr.params, adam)
            else:
                if isinstance(tr.optimizer, Dimuon):
                    raise UserInputError("this model trains with Dimuon; send DimuonParams, not AdamParams")
                norm = adam_step(tr.optimizer, tr.params, adam)
            return {"unclipped_grad_l2:mean": norm}

    # ----------------------------------------------------------------- checkpoints

    def _write_adapter(self, base: _Base, adapter: str, directory: Path) -> None:
        from peft import get_peft_model_state_dict
        from safetensors.torch import save_file

        directory.mkdir(parents=True, exist_ok=True)
        # save_embedding_layers=False: an adapted lm_head must not drag the base head's weights along.
        state = get_peft_model_state_dict(base.peft, adapter_name=adapter, save_embedding_layers=False)
        # float32 on disk, as the service stores sampler weights (server-semantics.md §6.4).
        tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state.items()}
        save_file(tensors, str(directory / _ADAPTER_WEIGHTS), metadata={"format": "pt"})
        base.peft.peft_config[adapter].save_pretrained(str(directory))

    def save_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        """adapter_config.json + adapter_model.safetensors (+ optimizer.pt) + tinkex_state.json."""
        with self._lock:
            tr, base = self._trainer(model_id)
            self._write_adapter(base, tr.adapter, directory)
            if optimizer:
                torch.save({"state": tr.optimizer.state_dict()}, directory / _OPTIMIZER_FILE)
            meta = {"lora": attrs.asdict(tr.lora), "base_model": tr.base, "has_optimizer": optimizer}
            (directory / _STATE_FILE).write_text(json.dumps(meta, sort_keys=True) + "\n")
            (directory / _COMPLETE_MARKER).touch()

    def save_sampler_weights(self, model_id: str, directory: Path) -> None:
        """The adapter alone, in PEFT form (loadable with `PeftModel.from_pretrained`)."""
        with self._lock:
            tr, base = self._trainer(model_id)
            self._write_adapter(base, tr.adapter, directory)
            (directory / _COMPLETE_MARKER).touch()

    def _read_adapter(self, directory: Path) -> tuple[Any, dict[str, torch.Tensor]]:
        from peft import LoraConfig
        from safetensors.torch import load_file

        if not (directory / _ADAPTER_CONFIG).is_file() or not (directory / _ADAPTER_WEIGHTS).is_file():
            raise UserInputError(f"checkpoint at {directory.name!r} has no adapter weights")
        config = LoraConfig.from_pretrained(str(directory))
        return config, load_file(str(directory / _ADAPTER_WEIGHTS))

    def _load_weights(self, base: _Base, adapter: str, weights: Mapping[str, torch.Tensor]) -> None:
        from peft import set_peft_model_state_dict

        try:
            result = set_peft_model_state_dict(base.peft, dict(weights), adapter_name=adapter)
        except RuntimeError as exc:  # shape mismatch: the adapter was trained on another base model
            raise UserInputError(f"checkpoint does not fit base model {base.info.name!r}: {exc}") from exc
        unexpected = list(getattr(result, "unexpected_keys", []) or [])
        if unexpected:
            raise UserInputError(
                f"checkpoint does not fit base model {base.info.name!r}: unexpected tensors {unexpected[:3]}"
            )

    def load_state(self, model_id: str, directory: Path, *, optimizer: bool) -> None:
        """Replace the adapter by the checkpoint's (its own rank and targets); optimizer reset unless asked."""
        with self._lock:
            tr, base = self._trainer(model_id)
            config, weights = self._read_adapter(directory)
            opt_state = None
            if optimizer:
                if not (directory / _OPTIMIZER_FILE).is_file():
                    raise UserInputError("checkpoint has no optimizer state; load it without optimizer")
                opt_state = torch.load(directory / _OPTIMIZER_FILE, map_location="cpu", weights_only=True)
            adapter = self._new_adapter_name("t")
            self._add_checkpoint_adapter(base, adapter, config)
            try:
                self._load_weights(base, adapter, weights)
            except Exception:
                self._delete_adapter(base, adapter)
                raise
            self._delete_adapter(base, tr.adapter)
            params = self._adapter_params(base, adapter)
            dimuon = opt_state is not None and is_dimuon_state(opt_state["state"])
            opt: torch.optim.Optimizer = Dimuon(params) if dimuon else new_optimizer(params)
            if opt_state is not None:
                opt.load_state_dict(opt_state["state"])
            lora = attrs.evolve(tr.lora, rank=int(config.r))
            self._trainers[model_id] = _Trainer(tr.base, adapter, lora, params, opt)

    # ----------------------------------------------------------------- sampling

    def create_sampler(self, sampler_id: str, base_model: str, weights_dir: Path | None) -> None:
        """Bind a sampler to a base model, or to adapter weights read now (later training never leaks in)."""
        with self._lock:
            self._base(base_model)
            if weights_dir is None:
                self._samplers[sampler_id] = _Sampler(base_model, None, None)
                return
            config, weights = self._read_adapter(Path(weights_dir))
            self._samplers[sampler_id] = _Sampler(base_model, config, weights)

    def _sampler_adapter(self, base: _Base, sampler_id: str, s: _Sampler) -> str | None:
        """The slot adapter holding this sampler's weights: one slot per adapter shape, reloaded on switch."""
        if s.config is None or s.weights is None:
            return None
        key = json.dumps([s.config.r, s.config.lora_alpha, sorted(s.config.target_modules)])
        slot = base.slots.get(key)
        if slot is None:
            slot = self._new_adapter_name("s")
            self._add_checkpoint_adapter(base, slot, s.config)
            base.slots[key] = slot
        if base.slot_owner.get(slot) != sampler_id:
            self._load_weights(base, slot, s.weights)
            base.slot_owner[slot] = sampler_id
        return slot

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
        """KV-cached generation of `num_samples` sequences, with prompt logprobs on request (and the
        tinker >= 0.38 outputs of `extras`: sampled top-k, target prompt logprobs, alternative draws)."""
        extras = extras or SampleExtras()
        with self._lock, torch.no_grad(), warnings.catch_warnings():
            # peft still passes the pre-5.2x cache kwarg internally; the warning is noise for server users.
            warnings.filterwarnings(
                "ignore", message=r".*past_key_values.*deprecated", category=FutureWarning
            )
            s = self._samplers.get(sampler_id)
            if s is None:
                raise UserInputError(f"sampling_session_id {sampler_id!r} is not known to this server")
            base = self._base(s.base)
            check_sample_counts(num_samples, topk_prompt_logprobs)
            self._check_ids(prompt, "prompt.chunks[*].tokens", base)
            check_sampling(params, base.vocab_size)
            budget = token_budget(len(prompt), params.max_tokens, self._context(base))
            rule = stop_rule(params, base.eos_ids)
            seed = params.seed if params.seed is not None else random.SystemRandom().getrandbits(63)
            gens = [
                torch.Generator().manual_seed(x)
                for x in sample_seeds(seed, first_index + num_samples)[first_index:]
            ]
            adapter = self._sampler_adapter(base, sampler_id, s)
            with self._active(base, adapter) as model:
                ids = torch.tensor([prompt], device=self._device)
                out = model(input_ids=ids, use_cache=True)
                prompt_lp = torch.log_softmax(out.logits[0].float(), dim=-1)
                result: dict[str, Any] = {
                    "type": "sample",
                    "prompt_logprobs": None,
                    "topk_prompt_logprobs": None,
                }
                if prompt_logprobs:
                    chosen = prompt_lp[:-1].gather(-1, ids[0, 1:].unsqueeze(-1)).squeeze(-1)
                    result["prompt_logprobs"] = [None, *chosen.tolist()]
                if topk_prompt_logprobs > 0:
                    k = min(topk_prompt_logprobs, base.vocab_size)
                    top = torch.topk(prompt_lp[:-1], k, dim=-1)
                    result["topk_prompt_logprobs"] = [None] + [
                        [[int(t), float(v)] for t, v in zip(ti, vi, strict=True)]
                        for ti, vi in zip(top.indices.tolist(), top.values.tolist(), strict=True)
                    ]
                if extras.target_prompt is not None:
                    result["target_prompt_logprobs"] = _target_logprobs(prompt_lp[:-1], extras.target_prompt)
                if extras.alt_k > 0:
                    result["prompt_alt_tokens"] = _alt_draws(
                        out.logits[0, :-1].float(), extras.alt_k, params, seed
                    )
                result["sequences"] = self._generate(
                    base, model, out, num_samples, budget, params, rule, gens, extras.topk_sample
                )
            return result

    def _generate(
        self,
        base: _Base,
        model: Any,
        out: Any,
        n: int,
        budget: int,
        params: SamplingSpec,
        rule: Any,
        gens: Sequence[torch.Generator],
        topk: int = 0,
    ) -> list[dict[str, Any]]:
        cache = _cache_of(out)
        logits = out.logits[:, -1].float().expand(n, -1)
        if n > 1:
            # One prefill, then the cache is repeated per sample instead of re-encoding the prompt.
            cache.batch_repeat_interleave(n)
        tokens: list[list[int]] = [[] for _ in range(n)]
        logprobs: list[list[float]] = [[] for _ in range(n)]
        reasons: list[str | None] = [None] * n
        tops: list[list[list[list[float]]]] = [[] for _ in range(n)]
        for step in range(budget):
            raw_lp = torch.log_softmax(logits, dim=-1)
            if topk > 0:
                best = torch.topk(raw_lp, min(topk, raw_lp.shape[-1]), dim=-1)
                best_rows = list(zip(best.indices.tolist(), best.values.tolist(), strict=True))
            picked = draw(logits, params, gens)
            # Reported logprobs are the model's own (temperature 1, unfiltered) log-probabilities: RL
            # losses use them as q against the learner's lp (open point 5 decided this way).
            picked_lp = raw_lp.gather(-1, picked.unsqueeze(-1)).squeeze(-1).tolist()
            for r, (tok, lp) in enumerate(zip(picked.tolist(), picked_lp, strict=True)):
                if reasons[r] is not None:
                    continue
                tokens[r].append(int(tok))
                logprobs[r].append(float(lp))
                if topk > 0:
                    ti, vi = best_rows[r]
                    tops[r].append([[int(t), float(v)] for t, v in zip(ti, vi, strict=True)])
                if tok in rule.token_ids or (
                    rule.strings
                    and hits_stop_string(
                        base.tokenizer.decode(tokens[r], skip_special_tokens=True), rule.strings
                    )
                ):
                    reasons[r] = "stop"
            if all(x is not None for x in reasons) or step == budget - 1:
                break
            out = model(input_ids=picked.unsqueeze(-1), past_key_values=cache, use_cache=True)
            cache = _cache_of(out)
            logits = out.logits[:, -1].float()
        return [
            {
                "tokens": t,
                "logprobs": lp,
                "stop_reason": reason or "length",
                **({"topk_logprobs": tk} if topk else {}),
            }
            for t, lp, reason, tk in zip(tokens, logprobs, reasons, tops, strict=True)
        ]


def _target_logprobs(prompt_lp: torch.Tensor, targets: Any) -> dict[str, Any]:
    """Logprobs of the requested ids at prompt positions 1..P-1 (row i scores position i + 1);
    cells of -1 request nothing and hold 0.0."""
    ids = torch.as_tensor(targets, dtype=torch.long, device=prompt_lp.device)
    vocab = prompt_lp.shape[-1]
    if bool((ids >= vocab).any()) or bool((ids < -1).any()):
        raise UserInputError(f"target_prompt_logprobs has token ids outside [-1, {vocab})")
    got = prompt_lp.gather(-1, ids.clamp(min=0))
    got = torch.where(ids >= 0, got, torch.zeros_like(got))
    return {"data": got.reshape(-1).tolist(), "dtype": "float32", "shape": list(ids.shape)}


def _alt_draws(logits: torch.Tensor, k: int, params: SamplingSpec, seed: int) -> dict[str, Any]:
    """k independent draws at the request's temperature from the next-token distribution at every
    prompt position after the first, with the model's (temperature 1) logprob of each draw."""
    temperature = params.temperature if params.temperature is not None and params.temperature > 0 else 1.0
    probs = torch.softmax(logits / temperature, dim=-1)
    # Its own generator: the draws never shift the sequences a seed reproduces.
    gen = torch.Generator().manual_seed((seed ^ 0x5EED) & (2**63 - 1))
    tokens = torch.multinomial(probs.cpu(), k, replacement=True, generator=gen)
    lps = torch.log_softmax(logits, dim=-1).cpu().gather(-1, tokens)
    shape = list(tokens.shape)
    return {
        "tokens": {"data": tokens.reshape(-1).tolist(), "dtype": "int64", "shape": shape},
        "logprobs": {"data": lps.reshape(-1).tolist(), "dtype": "float32", "shape": shape},
    }
