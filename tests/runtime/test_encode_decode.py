"""encode / decode on the clients that hold a tokenizer, and ModelInput.from_text with it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.fake_server import FakeTinker
from tinkex import ServiceClient
from tinkex.types import ModelInput, SampledSequence


def _word_tokenizer(path: Any) -> None:
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {"[UNK]": 0, "[BOS]": 1, "hello": 2, "world": 3}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.decoder = tokenizers.decoders.WordPiece()
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="[BOS] $A", special_tokens=[("[BOS]", 1)]
    )
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", bos_token="[BOS]"
    ).save_pretrained(path)


def test_training_and_sampling_clients_encode_and_decode(
    server: FakeTinker, client: ServiceClient, tmp_path: Any
) -> None:
    _word_tokenizer(tmp_path)
    server.tokenizer_id = str(tmp_path)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    assert tc.encode("hello world") == [1, 2, 3]
    assert tc.encode("hello world", add_special_tokens=False) == [2, 3]
    assert tc.decode([2, 3]) == "hello world"
    assert tc.decode([1, 2, 3], skip_special_tokens=True) == "hello world"
    prompt = ModelInput.from_text("hello world", tc.get_tokenizer())
    assert prompt.to_ints() == [1, 2, 3]
    assert tc.decode(prompt, skip_special_tokens=True) == "hello world"

    sc = tc.save_weights_and_get_sampling_client()
    assert sc.encode("world hello", add_special_tokens=False) == [3, 2]
    seq = SampledSequence(stop_reason="length", tokens=[3, 3])
    assert sc.decode(seq) == "world world"
