# One-command set-up: both targets create .venv and install the package on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup compile test demo lint bench bench-verify clean chromium flac btrfs readers

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test,fast]'
	touch $(STAMP)

# Compiled modules, made ahead: where PYTHONDONTWRITEBYTECODE is set (as on the build machine)
# Python compiles every module of ours again at each start (docs/performance.md). Cheap when
# nothing changed; a module edited since is compiled in memory as usual.
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

# The clone-and-swap tests mount a btrfs image (as root): install btrfs-progs when missing.
# If that fails, those tests skip and say why.
btrfs:
	@command -v mkfs.btrfs >/dev/null 2>&1 || { \
	  echo "Installing btrfs-progs for the clone tests (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq btrfs-progs; } \
	    >/dev/null 2>&1 || echo "Could not install btrfs-progs: the clone tests will be skipped."; }

# Other programs' readers the tests check outputs with: ffprobe (Debian's ffmpeg package, as
# root with apt-get; its ffmpeg is also the "system ffmpeg" the media tests run against),
# loudgain (Debian's, the ReplayGain reference) and the npm package music-metadata, both its
# majors side by side (12.x, and 11.x under the alias music-metadata-11: what npm installs on
# Node 20), installed into tests/readers/node_modules. When missing and not installable, the
# tests that need them skip and say why.
readers:
	@command -v ffprobe >/dev/null 2>&1 || { \
	  echo "Installing Debian's ffmpeg (ffprobe) for the reader tests (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; } \
	    >/dev/null 2>&1 || echo "Could not install ffmpeg: the ffprobe tests will be skipped."; }
	@command -v loudgain >/dev/null 2>&1 || { \
	  echo "Installing loudgain for the ReplayGain test (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq loudgain; } \
	    >/dev/null 2>&1 || echo "Could not install loudgain: its test will be skipped."; }
	@{ test -d tests/readers/node_modules/music-metadata && \
	   test -d tests/readers/node_modules/music-metadata-11; } || { \
	  echo "Installing music-metadata 12 and 11 for the reader tests (npm)..."; \
	  (cd tests/readers && npm install --no-audit --no-fund --silent) >/dev/null 2>&1 \
	    || echo "Could not install music-metadata: its tests will be skipped."; }

# A worker more than the cores: much of the suite waits on its subprocesses (a watcher
# settling, a server starting, a batch killed), and with a worker a core the cores sat idle a
# quarter of the run (docs/performance.md). An idle worker takes tests waiting for another,
# so a long file at the end runs on all (worksteal). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: compile chromium flac btrfs readers
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=10

demo: compile
	$(BIN)/python -m mediakeeper.demo

# ruff's gate (complexity 15 at most, pyproject.toml), then a report of the functions past 10:
# the ones to simplify next, listed but not failing.
lint: $(STAMP)
	$(BIN)/ruff check .
	@echo "Functions past complexity 10 (a report, not a gate):"
	@$(BIN)/ruff check . --select C901 --config 'lint.mccabe.max-complexity = 10' \
	  --exit-zero --output-format concise --quiet

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
