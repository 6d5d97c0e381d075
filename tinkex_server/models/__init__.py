"""The tiny local base models of the server: built from a fixed config and seed, saved in Hugging Face
format with a byte-level tokenizer, and loaded with the ordinary `from_pretrained` code offline."""

from tinkex_server.models._build import (
    DEFAULT_CACHE_DIR,
    TINY_MODELS,
    VOCAB_SIZE,
    TinyModelSpec,
    build_tokenizer_files,
    default_cache_dir,
    ensure_byte_tokenizer,
    ensure_tiny_model,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "TINY_MODELS",
    "VOCAB_SIZE",
    "TinyModelSpec",
    "build_tokenizer_files",
    "default_cache_dir",
    "ensure_byte_tokenizer",
    "ensure_tiny_model",
]
