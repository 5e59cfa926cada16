# strokeseg — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# CPU-only machine: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu (the public index gives the CUDA build)
TORCH_INDEX ?=
STAMP  := $(VENV)/.strokeseg-installed

.PHONY: install demo test test-fast lint docs bench-deps nnunet-deps system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The pinned torch first, then the package (torch>=2.4): an unpinned resolve could pull another build.
	$(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e '.[test]'
	# nnU-Net's networks for the native nnU-Net path. --no-deps: its timm requirement pulls the CUDA-only
	# torchvision wheel, and the plans-defined U-Nets import only torch and numpy
	$(PY) -m pip install -q --no-deps dynamic-network-architectures==0.4.4
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/strokeseg demo

lint: $(STAMP)
	$(PY) -m ruff format --check -q src tests benchmarks docs/scripts
	$(PY) -m ruff check src tests benchmarks docs/scripts
	$(PY) -m mypy

# Debian packages the report tests use: headless Chromium (pages in a real browser) and dicom3tools
# (dciodvfy checks the DICOM outputs); installed when absent, else those tests skip saying why
DEB_PACKAGES := chromium:chromium dciodvfy:dicom3tools
system-deps:
	@missing=""; for pair in $(DEB_PACKAGES); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  if command -v apt-get >/dev/null 2>&1 && { [ -z "$$SUDO" ] || sudo -n true 2>/dev/null; }; then \
	    echo "installing$$missing (Debian packages for the report tests)"; \
	    ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing) >/dev/null 2>&1 \
	      || echo "note: could not install$$missing; the browser and dciodvfy tests will skip"; \
	  else echo "note: no apt-get or no root here; the browser and dciodvfy tests will skip (missing:$$missing)"; fi; \
	fi

# nnU-Net itself too: the oracle and baseline tests run it (without it they check the one-line refusal)
test: $(STAMP) lint system-deps nnunet-deps
	$(PY) -m pytest -q --durations=20
	@$(PY) benchmarks/bench_code_shape.py >/dev/null || { echo "the code-shape gauge fails: see docs/results/code_shape.md"; exit 1; }
	$(MAKE) --no-print-directory docs

# everything but the tests marked slow or gpu (under a minute)
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not gpu"

docs: $(STAMP)
	$(PY) docs/scripts/gen_pages.py
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -q -d site

# the peers benchmarks/ measure against (MedPy, DeepMind surface-distance); never runtime dependencies
bench-deps: $(STAMP)
	$(PY) -m pip install -q -e '.[test,bench]'

# nnU-Net itself (the oracle of benchmarks/bench_nnunet.py and tests/fixtures/nnunet/make_fixtures.py, and
# --backend nnunetv2): torch stays at the pinned build, and the CUDA-only torchvision that timm pulls in is removed
NNUNET_STAMP := $(VENV)/.strokeseg-nnunet-installed
$(NNUNET_STAMP): $(STAMP)
	echo "torch==2.13.0" > $(VENV)/torch-pin.txt
	$(PY) -m pip install -q -c $(VENV)/torch-pin.txt -e '.[nnunet]'
	$(PY) -m pip uninstall -y -q torchvision || true
	touch $(NNUNET_STAMP)

nnunet-deps: $(NNUNET_STAMP)

clean:
	rm -rf $(VENV) site build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
