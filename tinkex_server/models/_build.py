"""Builds the tiny local base models (Llama architecture, fixed config and seed) and their byte-level
tokenizer, saved in Hugging Face format under a cache directory so the ordinary `from_pretrained`
loaders read them offline; nothing is ever downloaded."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs

#: Special tokens appended after the 256 byte tokens; ids 256, 257, 258.
BOS_TOKEN = "<|bos|>"
EOS_TOKEN = "<|eos|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = (BOS_TOKEN, EOS_TOKEN, PAD_TOKEN)
BYTE_VOCAB_SIZE = 256
VOCAB_SIZE = BYTE_VOCAB_SIZE + len(SPECIAL_TOKENS)

#: Where built models live unless told otherwise (override with TINKEX_MODEL_CACHE).
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "tinkex" / "models"
#: Bumped whenever the build recipe changes, so stale caches are rebuilt instead of reused.
BUILD_VERSION = 1
_MARKER = "tinkex_build.json"


@attrs.frozen
class TinyModelSpec:
    """The fixed recipe of one built-in base model.

    Example:
        >>> TINY_MODELS["tinkex/tiny-llama"].hidden_size
        128
    """

    name: str
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    max_position_embeddings: int = 512
    seed: int = 0

    def llama_config(self) -> dict[str, Any]:
        """The keyword arguments of `transformers.LlamaConfig` for this model."""
        return {
            "vocab_size": VOCAB_SIZE,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "max_position_embeddings": self.max_position_embeddings,
            "bos_token_id": BYTE_VOCAB_SIZE,
            "eos_token_id": BYTE_VOCAB_SIZE + 1,
            "pad_token_id": BYTE_VOCAB_SIZE + 2,
            # A separate output head, so train_unembed adapts something other than the embedding.
            "tie_word_embeddings": False,
            "initializer_range": 0.02,
            "rms_norm_eps": 1e-5,
        }


# Sizes chosen to train fast on 2 CPU cores: tiny-llama (~0.6 M parameters) is the demo model;
# micro-llama (~30 k parameters) keeps unit and end-to-end tests in milliseconds per request.
TINY_MODELS: dict[str, TinyModelSpec] = {
    spec.name: spec
    for spec in (
        TinyModelSpec(
            "tinkex/tiny-llama",
            hidden_size=128,
            intermediate_size=256,
            num_layers=4,
            num_heads=4,
            num_kv_heads=2,
            seed=1234,
        ),
        TinyModelSpec(
            "tinkex/micro-llama",
            hidden_size=32,
            intermediate_size=64,
            num_layers=1,
            num_heads=2,
            num_kv_heads=1,
            max_position_embeddings=256,
            seed=4321,
        ),
    )
}


def default_cache_dir() -> Path:
    """The model cache directory: `$TINKEX_MODEL_CACHE` or `~/.cache/tinkex/models`."""
    env = os.environ.get("TINKEX_MODEL_CACHE")
    return Path(env) if env else DEFAULT_CACHE_DIR


def _bytes_to_unicode() -> dict[int, str]:
    # The GPT-2 byte <-> printable-character table that the `tokenizers` ByteLevel pre-tokenizer and
    # decoder use; reproduced so token id == byte value (ids are then readable: ord("a") == 97).
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}


def build_tokenizer_files(directory: Path) -> None:
    """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json into `directory`.

    Token ids 0..255 are the bytes, 256..258 are bos/eos/pad; encoding prepends bos.

    Example:
        >>> build_tokenizer_files(Path("/tmp/tok"))  # doctest: +SKIP
        >>> AutoTokenizer.from_pretrained("/tmp/tok").encode("hi")  # doctest: +SKIP
        [256, 104, 105]
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    table = _bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A", pair=f"{BOS_TOKEN} $A $B", special_tokens=[(BOS_TOKEN, BYTE_VOCAB_SIZE)]
    )
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        model_max_length=TINY_MODEL_CONTEXT_LIMIT,
    )
    fast.save_pretrained(str(directory))
    # transformers 5 no longer writes special_tokens_map.json; older loaders (and people) look for it.
    special = {"bos_token": BOS_TOKEN, "eos_token": EOS_TOKEN, "pad_token": PAD_TOKEN}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2, sort_keys=True) + "\n")


# The tokenizer's model_max_length: the largest context of the built-in models.
TINY_MODEL_CONTEXT_LIMIT = max(s.max_position_embeddings for s in TINY_MODELS.values())


def _build_into(spec: TinyModelSpec, directory: Path) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    build_tokenizer_files(directory)
    config = LlamaConfig(**spec.llama_config())
    # fork_rng: building must not disturb the caller's global random state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = LlamaForCausalLM(config)
    model.save_pretrained(str(directory), safe_serialization=True)
    recipe = {"build_version": BUILD_VERSION, "spec": attrs.asdict(spec)}
    (directory / _MARKER).write_text(json.dumps(recipe, sort_keys=True, indent=1) + "\n")


def _is_built(spec: TinyModelSpec, directory: Path) -> bool:
    try:
        recipe = json.loads((directory / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return bool(recipe == {"build_version": BUILD_VERSION, "spec": attrs.asdict(spec)})


#: The directory name (under the model cache) of the byte-level tokenizer on its own, for backends
#: without a model of their own (the null backend) that still want to hand clients a tokenizer.
BYTE_TOKENIZER_DIR = "tinkex--byte-tokenizer"


def ensure_byte_tokenizer(cache_dir: Path | None = None) -> Path:
    """Write the byte-level tokenizer (the one the tiny models carry) once, atomically, into the model
    cache and return its directory; needs `tokenizers` and `transformers`, not torch.

    Example:
        >>> AutoTokenizer.from_pretrained(ensure_byte_tokenizer()).encode("a")  # doctest: +SKIP
        [256, 97]
    """
    root = cache_dir if cache_dir is not None else default_cache_dir()
    target = root / BYTE_TOKENIZER_DIR
    recipe = {"build_version": BUILD_VERSION, "spec": "byte-tokenizer"}

    def built() -> bool:
        try:
            return bool(json.loads((target / _MARKER).read_text()) == recipe)
        except (OSError, ValueError):
            return False

    if built():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        build_tokenizer_files(staging)
        (staging / _MARKER).write_text(json.dumps(recipe, sort_keys=True, indent=1) + "\n")
        if target.exists() and not built():
            shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not built():  # not a lost race with an equal build: surface it
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_tiny_model(name: str, cache_dir: Path | None = None) -> Path:
    """Build the named built-in model once (atomically) and return its Hugging Face directory.

    Example:
        >>> path = ensure_tiny_model("tinkex/micro-llama")  # doctest: +SKIP
        >>> AutoModelForCausalLM.from_pretrained(path)  # doctest: +SKIP
    """
    spec = TINY_MODELS[name]
    root = cache_dir if cache_dir is not None else default_cache_dir()
    target = root / name.replace("/", "--")
    if _is_built(spec, target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a concurrent builder or a crash never leaves half a model.
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        _build_into(spec, staging)
        if target.exists():
            if _is_built(spec, target):
                return target
            shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not _is_built(spec, target):  # lost a race to a builder that failed: surface it
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
