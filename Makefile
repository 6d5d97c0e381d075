# One entry point for every routine job. Every target sets up .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup gen gen-check lint typecheck test test-fast demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the only CPU build on these machines; a looser pin downloads gigabytes.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[server,dev,http2,tokenizer]"
	touch $(STAMP)

gen: setup
	$(PY) scripts/gen.py

gen-check: setup
	$(PY) scripts/gen.py --check

lint: setup
	$(VENV)/bin/ruff check tinkex tinkex_server tests scripts bench examples
	$(VENV)/bin/ruff format --check tinkex tinkex_server tests scripts bench examples

typecheck: setup
	$(VENV)/bin/mypy --strict tinkex generated/_tinkex_lowlevel tests/typing

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not e2e"

demo: setup
	$(PY) examples/demo.py

bench: setup
	$(PY) bench/encode_forward_backward.py
	$(PY) bench/client_roundtrip.py
	$(PY) bench/download.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-output
