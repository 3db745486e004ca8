# One-command set-up: both targets create .venv and install the package on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup compile test demo lint bench bench-verify clean chromium flac

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compiled modules, made ahead: where PYTHONDONTWRITEBYTECODE is set (as on the build machine)
# Python compiles every module of ours again at each start, 0.1 s of a batch of ten. Cheap
# when nothing changed; a module edited since is compiled in memory as usual.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q mediakeeper utilities

setup: compile

# The report tests open pages in headless Chromium: install Debian's package when it is
# missing (as root, with apt-get). If that fails, the browser tests skip and say why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing chromium for the report tests (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	    >/dev/null 2>&1 || echo "Could not install chromium: the browser tests will be skipped."; }

# Two workers (this machine's cores); a test file stays on one worker, so its module-scoped
# fixtures (a processed library) are built once. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: compile chromium flac
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

demo: compile
	$(BIN)/python -m mediakeeper.demo

lint: $(STAMP)
	$(BIN)/ruff check .

bench: compile
	$(BIN)/python benchmarks/queue_scale.py

# Debian's `flac`: the verify kind checks a FLAC by `flac -t` where it is installed (its
# tests need it), and the verify benchmark compares with it. Installed when missing (as
# root, with apt-get), as `make chromium` does for the browser tests.
flac:
	@command -v flac >/dev/null 2>&1 || { \
	  echo "Installing flac for the verify kind (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq flac; } \
	    >/dev/null 2>&1 || echo "Could not install flac: its verify tests will be skipped."; }

bench-verify: compile flac
	$(BIN)/python benchmarks/verify_scale.py

clean:
	rm -rf $(VENV) demo
