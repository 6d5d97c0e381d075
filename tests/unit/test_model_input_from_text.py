"""ModelInput.from_text: any tokenizer with encode(); special tokens on by default; clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from tinkex import TinkexValidationError
from tinkex.types import ModelInput


class ByteTokenizer:
    """Bytes + 256 as BOS when asked, like a HuggingFace tokenizer's add_special_tokens."""

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return ([256] if add_special_tokens else []) + list(text.encode())


class PlainTokenizer:
    """No add_special_tokens keyword at all (e.g. a tiktoken-style encoder)."""

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]


def test_from_text_encodes_with_special_tokens_by_default() -> None:
    assert ModelInput.from_text("hi", ByteTokenizer()).to_ints() == [256, 104, 105]
    assert ModelInput.from_text("hi", ByteTokenizer(), add_special_tokens=False).to_ints() == [104, 105]


def test_from_text_works_with_a_tokenizer_without_the_keyword() -> None:
    assert ModelInput.from_text("ab", PlainTokenizer()) == ModelInput.from_ints([97, 98])


@pytest.mark.parametrize(
    ("text", "tokenizer", "field"),
    [(b"hi", ByteTokenizer(), "from_text(text)"), ("hi", object(), "from_text(tokenizer)")],
)
def test_from_text_rejects_bad_arguments(text: Any, tokenizer: Any, field: str) -> None:
    with pytest.raises(TinkexValidationError, match=field.replace("(", r"\(").replace(")", r"\)")):
        ModelInput.from_text(text, tokenizer)
