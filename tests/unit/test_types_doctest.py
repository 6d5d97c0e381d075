"""The `>>>` examples in the docstrings of the types, exceptions, config and tinker:// modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "tinkex.types",
    "tinkex.types._base",
    "tinkex.types._enums",
    "tinkex.types._tensor",
    "tinkex.types._model_input",
    "tinkex.types._datum",
    "tinkex.types._mixins",
    "tinkex._exceptions",
    "tinkex._config",
    "tinkex._tinker_path",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
