# The course's commands. `make book` and `make test` work on a fresh machine: they create
# .venv and install everything the first time (torch 2.13.0 first, see requirements.txt and
# requirements/).
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# The venv's tools (jupyter-book, the kernel) come first on PATH.
export PATH := $(BIN):$(PATH)
export PYTHONHASHSEED := 0
# Small models: one BLAS/OpenMP thread per process is faster and steadier than two threads
# fighting over 2 cores (pytest-xdist already runs two processes).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
NOTEBOOKS := $(wildcard book/*.ipynb exercises/*.ipynb)
JOBS ?= 2

.PHONY: help venv book release test lint ideas test-gpu test-unit test-notebooks test-browser browser-deps sandbox-deps serve lab strip bench clean

help:
	@echo "make book    build the HTML book into _build/html (executes every chapter)"
	@echo "make test    check the code (make lint), build the book strictly, run every test"
	@echo "make lint    ruff (lint and format) and mypy over the package"
	@echo "make ideas   regenerate book/where_ideas_live.md from the package's docstrings"
	@echo "make serve   serve the built book on http://127.0.0.1:8000"
	@echo "make lab     open the chapters and the student exercises in JupyterLab"
	@echo "make test-gpu  the GPU tests and every notebook with DLCOURSE_DEVICE=cuda (needs a GPU)"
	@echo "make bench   run the benchmarks in benchmarks/"
	@echo "make strip   strip outputs from every notebook (run before committing)"
	@echo "make release  regenerate the practice copies in student/ from exercises/"

# requirements.txt includes every set in requirements/ (student, lab, instructor, book, test):
# a change to any of them, or to pyproject.toml, re-runs the install.
REQUIREMENTS := requirements.txt $(wildcard requirements/*.txt)

$(STAMP): $(REQUIREMENTS) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"make: the course needs Python >= 3.11 (pyproject.toml requires-python); " \
		"this $(PYTHON) is " + sys.version.split()[0] + ": run make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

venv: $(STAMP)

# Strict: any warning, error or time-out in any chapter fails the build.
book: $(STAMP)
	rm -rf _build/html  # no page of an earlier build (a renamed chapter) survives
	$(BIN)/jupyter-book build --all -W --keep-going .
	@echo
	@echo "The book is in _build/html. Open _build/html/index.html, or run 'make serve'."

# Practice copies of the exercises (solutions replaced by stubs, hidden tests removed, one folded
# cell that makes qN.solution() work), committed under student/ so the chapters' download, Colab
# and Binder links point at them. For an assignment: dlcourse release ... --graded --out DIR.
release: $(STAMP)
	$(BIN)/dlcourse release $(wildcard exercises/*.ipynb) --practice --out student
	$(BIN)/nbstripout student/*.ipynb

# Headless Chromium for the browser tests (Debian package; needs root and the Debian registry).
browser-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium (Debian) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "No chromium found: the browser tests will be skipped (they fail under CI=true)."; fi

# bubblewrap (bwrap), the sandbox `dlcourse grade` runs each submission in (Debian package;
# needs root and the Debian registry). Without it dlcourse grade refuses unless --unsandboxed.
sandbox-deps:
	@if command -v bwrap >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing bubblewrap (Debian) for the grading sandbox"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	else echo "No bwrap found: the sandbox tests will be skipped (they fail under CI=true)."; fi

# Static checks: ruff's lint rules and formatting, and mypy's types (pyproject.toml configures
# all three); the tests and benchmarks are held to the formatting too.
lint: $(STAMP)
	$(BIN)/ruff check dlcourse instructor
	$(BIN)/ruff format --check dlcourse instructor tests benchmarks
	$(BIN)/mypy

# The book page "Where each idea lives", from each module's "See chapter" line and __all__
# (tests/test_chapter_links.py fails when it is stale).
ideas: $(STAMP)
	$(BIN)/python scripts/where_ideas_live.py

test: $(STAMP) lint browser-deps sandbox-deps book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env \
		tests book $(wildcard exercises)

# The GPU tests (data-parallel training over every GPU with NCCL), then every notebook on
# the GPU: fails at once if PyTorch sees no CUDA device.
test-gpu: $(STAMP)
	$(BIN)/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'make test-gpu: no CUDA GPU is visible to PyTorch')"
	DLCOURSE_DEVICE=cuda $(BIN)/python -m pytest tests/test_device.py tests/test_distributed.py
	DLCOURSE_DEVICE=cuda $(BIN)/python -m pytest -n 1 --nbval-lax --nbval-current-env book $(wildcard exercises)

test-unit: $(STAMP) sandbox-deps
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests -m "not browser"

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env book $(wildcard exercises)

test-browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest tests -m browser

serve:
	@test -f _build/html/index.html || { echo "Build the book first: make book"; exit 1; }
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html 8000

# JupyterLab on the repository root: the chapters (book/) and the student copies (student/)
# side by side. LAB_ARGS passes options (tests/test_jupyterlab.py: port, token, no browser).
LAB_ARGS ?=
# Containers and Binder-like machines run as root, which Jupyter refuses unless told.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ROOT) $(LAB_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

strip: $(STAMP)
	$(BIN)/nbstripout $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache
