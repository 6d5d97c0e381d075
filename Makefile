# One entry point for every routine job. Every target sets up .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The official tinker 0.38.0 client (and tinker-cookbook 0.6.1) for the end-to-end tests of today's
# protocol: a second venv, because the project venv pins tinker 0.7.0 for the 0.7.0 wire tests.
VENV038 ?= .venv-tinker038
STAMP038 := $(VENV038)/.installed
# tinker-cookbook goes in with --no-deps (it asks tml-renderers>=0.4.1, which the registry lacks;
# 0.2.1 imports fine for the renderers used here), so its imports are listed and pinned here.
COOKBOOK_DEPS := chz==0.4.0 datasets==5.2.0 blobfile==3.3.0 cloudpickle==3.1.3 tiktoken==0.14.0 \
	pyrage==1.4.0 termcolor==3.3.0 pylatexenc==2.11 math-verify==0.9.0 tml-renderers==0.2.1 pillow==13.0.0
# tinkex from source (PYTHONPATH=.:generated) runs the same programs in that venv through
# `python -m tinkex.as_tinker` (tests/e2e/test_cookbook_on_tinkex.py): its runtime dependencies that
# tinker 0.38 does not already bring (the rest of pyproject's `dependencies` is there at the same versions)
TINKEX_DEPS_038 := attrs==26.1.0

.PHONY: setup gen gen-check lint typecheck test test-fast demo bench bench-038 clean

setup: $(STAMP) $(STAMP038)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the only CPU build on these machines; a looser pin downloads gigabytes.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[server,dev,http2,tokenizer]"
	touch $(STAMP)

$(STAMP038): Makefile
	test -x $(VENV038)/bin/python || python3 -m venv $(VENV038)
	$(VENV038)/bin/python -m pip install -q --upgrade pip
	$(VENV038)/bin/python -m pip install -q "torch==2.13.0"
	$(VENV038)/bin/python -m pip install -q "tinker==0.38.0"
	$(VENV038)/bin/python -m pip install -q --no-deps "tinker-cookbook==0.6.1"
	$(VENV038)/bin/python -m pip install -q $(COOKBOOK_DEPS)
	$(VENV038)/bin/python -m pip install -q $(TINKEX_DEPS_038)
	touch $(STAMP038)

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
	$(PY) bench/server_forward_backward.py
	$(PY) bench/sample_429.py

bench-038: setup
	$(PY) bench/encode_forward_backward_038.py
	$(PY) bench/client_roundtrip.py --official 0.38
	$(PY) bench/import_time.py

clean:
	rm -rf $(VENV) $(VENV038) .pytest_cache .mypy_cache .ruff_cache demo-output
