"""Built-in base models: deterministic bytes, cached, and loadable offline with the ordinary HF loaders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from tinkex_server.models import TINY_MODELS, VOCAB_SIZE, ensure_tiny_model

MODEL = "tinkex/micro-llama"


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_building_is_deterministic_and_cached(tmp_path: Path) -> None:
    a = ensure_tiny_model(MODEL, tmp_path / "a")
    b = ensure_tiny_model(MODEL, tmp_path / "b")
    assert _digest(a) == _digest(b)
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    } <= set(_digest(a))
    mtime = (a / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_model(MODEL, tmp_path / "a") == a  # built once, reused
    assert (a / "model.safetensors").stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "a").iterdir()] == [a.name]  # no staging leftovers


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    path = ensure_tiny_model(MODEL, tmp_path)
    (path / "tinkex_build.json").write_text("{}")
    assert ensure_tiny_model(MODEL, tmp_path) == path
    assert (path / "tinkex_build.json").read_text() != "{}"


def test_loads_offline_through_auto_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = ensure_tiny_model(MODEL, tmp_path)
    tok = AutoTokenizer.from_pretrained(str(path))
    ids = tok.encode("héllo\n")
    assert ids == [256, *"héllo\n".encode()]  # bos, then one token per UTF-8 byte
    assert tok.decode(ids, skip_special_tokens=True) == "héllo\n"
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (256, 257, 258)
    assert len(tok) == VOCAB_SIZE
    model = AutoModelForCausalLM.from_pretrained(str(path))
    assert model.config.model_type == "llama"
    assert model.config.hidden_size == TINY_MODELS[MODEL].hidden_size
    logits = model(input_ids=torch.tensor([ids])).logits
    assert logits.shape == (1, len(ids), VOCAB_SIZE)
