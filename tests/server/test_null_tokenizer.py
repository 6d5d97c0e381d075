"""The null backend names a tokenizer clients can load offline: the tiny models' byte-level one,
built once into the model cache; and it still starts, listing none, when that cannot be had."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinkex_server.backends.null import NULL_VOCAB_SIZE, NullBackend


def test_null_models_list_the_local_byte_level_tokenizer(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    backend = NullBackend({"extra/model": "unused"}, cache_dir=tmp_path)
    ids = {m.tokenizer_id for m in backend.supported_models()}
    assert len(ids) == 1
    (tokenizer_id,) = ids
    assert tokenizer_id is not None
    assert Path(tokenizer_id) == (tmp_path / "tinkex--byte-tokenizer").resolve()
    tok = transformers.AutoTokenizer.from_pretrained(tokenizer_id, local_files_only=True)
    assert tok.encode("a+b") == [256, *b"a+b"]
    # Every id the null backend samples (0..255) decodes to its byte.
    assert tok.decode([104, 105]) == "hi"
    assert max(range(NULL_VOCAB_SIZE)) < tok.bos_token_id
    # Built once: a second backend reuses the directory (same marker, same files).
    marker = (tmp_path / "tinkex--byte-tokenizer" / "tinkex_build.json").read_text()
    NullBackend(cache_dir=tmp_path)
    assert (tmp_path / "tinkex--byte-tokenizer" / "tinkex_build.json").read_text() == marker
    assert json.loads(marker)["spec"] == "byte-tokenizer"


def test_without_a_tokenizer_the_models_list_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert {m.tokenizer_id for m in NullBackend(tokenizer=False).supported_models()} == {None}

    import tinkex_server.models as models

    def broken(cache_dir: Path | None = None) -> Path:
        raise PermissionError(13, "Permission denied", str(cache_dir))

    monkeypatch.setattr(models, "ensure_byte_tokenizer", broken)
    with caplog.at_level("WARNING"):
        backend = NullBackend(cache_dir=tmp_path)
    assert {m.tokenizer_id for m in backend.supported_models()} == {None}
    assert "no tokenizer to offer clients" in caplog.text
