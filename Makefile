# neuroflow: `make run` trains the default network on bundled MNIST; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Extras the test suite exercises (each imported lazily by the library).
TEST_EXTRAS ?= dev,mpi,plot,sklearn,onnx,playground,tensorboard
# e.g. make test PYTEST_ARGS=--durations=10 (CI)
PYTEST_ARGS ?=
# One pytest-xdist worker per core (at most 4), each test file on one worker (its fixtures
# are built once) and one BLAS thread per worker (tests/conftest.py); XDIST= runs serially.
XDIST ?= -n auto --maxprocesses 4 --dist loadfile

.PHONY: run test lint bench bench-quick bench-gpu clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/neuroflow train

# mypy (one core, about 20 s from a cold cache) runs beside the suite, whose workers leave
# a core idle at times; its report follows the suite's, and either failing fails the target.
# compileall first: with PYTHONDONTWRITEBYTECODE set, each of the suite's processes (the
# workers and the commands the tests start) would otherwise compile neuroflow anew.
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	-@$(BIN)/python -m compileall -q -j 0 src benchmarks > /dev/null
	@log=$$(mktemp); $(BIN)/mypy src > $$log 2>&1 & typing=$$!; \
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS); tests=$$?; \
	wait $$typing; typed=$$?; echo "$(BIN)/mypy src"; cat $$log; rm -f $$log; \
	test $$tests -eq 0 && test $$typed -eq 0

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports

# Speed against PyTorch and scikit-learn; writes BENCHMARKS.md (see benchmarks/run.py).
bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

# An MLP and a small CNN on subsets (a few minutes), so the harness cannot rot; CI runs it.
bench-quick: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks --quick

# The same configurations on a GPU: neuroflow on CuPy against PyTorch-CUDA and JAX-GPU
# (benchmarks/gpu.py, under 8 minutes; needs neuroflow[gpu], a CUDA torch and
# jax[cuda12] + optax, and names what is missing). Without a GPU: one line, exit 0.
bench-gpu: $(VENV)/.installed
	$(BIN)/python -m benchmarks.gpu

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache .mypy_cache
