# The two commands of the README:  make demo  (set up + driver report on the bundled survey)
#                                  make test  (set up + the test suite)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.voc-installed
BUILT  := $(VENV)/.voc-built

.PHONY: demo test install lint bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	VOC_PURE_PYTHON=1 $(BIN)/python -m pip install --quiet -e '.[dev]'  # dependencies; compiled below, once
	touch $(STAMP)

# the Cython build of the hot path (setup.py): rebuilt when a source is newer than its extension,
# so an edited .py never runs behind a stale compiled copy
$(BUILT): $(STAMP) setup.py $(wildcard voc/*.py voc/*.pyx)
	$(BIN)/python setup.py --quiet build_ext --inplace --parallel 2 2>/dev/null \
		|| $(BIN)/python setup.py build_ext --inplace
	touch $(BUILT)

install: $(BUILT)

demo: $(BUILT)
	$(BIN)/voc demo --output voc-demo-report.html

test: $(BUILT)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check voc tests benchmarks corpora training
	$(BIN)/mypy

bench: $(BUILT)
	$(BIN)/python benchmarks/bench_throughput.py

eval: $(BUILT)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python ../shared/eval/score.py

clean:
	rm -rf $(VENV) build *.egg-info voc-demo-report.html voc/*.so voc/*.c
