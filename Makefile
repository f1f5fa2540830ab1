# Gennaker: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := packer prometheus chromium

.PHONY: demo test setup system-packages lint typecheck bench clean

demo: setup
	$(BIN)/gennaker demo

test: setup
	$(BIN)/pytest -q

setup: system-packages $(STAMP)

# Debian packages the real stand-ins need: Packer (bake), Prometheus (canary), Chromium (UI screenshots).
system-packages:
	@missing=""; \
	for tool in $(DEBIAN_PACKAGES); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[aws,canary,kubernetes,emulators,dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy models workflows activities workers client emulators

bench: setup
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/judge.py
	$(BIN)/python bench/aws.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
