# The two commands: `make report` builds the full report, `make test` runs the tests.
# Both create .venv from requirements.lock on first use.
#   make report DATA_MIRROR=../shared/data      use a local copy of the datasets (no network)
#   make report CONFIG=tests/smoke.yaml         layer an extra config over config.yaml
#   make report PROFILE=slurm                   run the jobs through profiles/slurm (or any profile path)
#   make report GPU=1                           TensorFlow's CUDA build, in .venv-gpu from requirements-gpu.lock
#   make report CACHE=/shared/lab04-cache       share downloads, decoded arrays and HOG features between checkouts
#   make diff BASE=<results dir or git revision>  this run against an earlier one, pass by pass
#   make unlock                                 lift the lock a killed run left behind

GPU ?=
VENV ?= $(if $(GPU),.venv-gpu,.venv)
LOCK := $(if $(GPU),requirements-gpu.lock,requirements.lock)
BIN := $(VENV)/bin
CORES ?= all
CONFIG ?=
DATA_MIRROR ?=
PROFILE ?=
TARGET ?=
SNAKEMAKE_ARGS ?=
BASE ?=
DIFF_BASE ?=
CACHE ?=

CONFIG_VALUES := $(strip $(if $(DATA_MIRROR),data_mirror=$(DATA_MIRROR)) $(if $(DIFF_BASE),diff_base=$(DIFF_BASE)))
# --configfile and --config take every word after them: targets go first, these last.
# Snakemake's between-workflow cache for the rules marked `cache:` (--cache takes rule names: not last).
ifneq ($(CACHE),)
export SNAKEMAKE_OUTPUT_CACHE := $(abspath $(CACHE))
endif
SMK_FLAGS := $(if $(CACHE),--cache) --cores $(CORES) \
	$(if $(PROFILE),--profile $(if $(wildcard profiles/$(PROFILE)/config.yaml),profiles/$(PROFILE),$(PROFILE))) \
	$(SNAKEMAKE_ARGS) \
	$(if $(CONFIG),--configfile $(CONFIG)) \
	$(if $(CONFIG_VALUES),--config $(CONFIG_VALUES))

.PHONY: report test lint dry-run bench env clean diff diff-unlocked unlock
# Snakemake reads --configfile overlays before the workflow can check them: a YAML slip (a tab, a key
# given twice) is named with its file and line here first.
CHECK_CONFIG := $(if $(CONFIG),$(BIN)/python -m lab04.config $(CONFIG))

# --logger lab04: the jobs done and running, each training's epoch and the time left (lab04/progress/).
report: $(VENV)/.installed
	$(CHECK_CONFIG)
	$(if $(CACHE),mkdir -p $(CACHE))
	$(BIN)/snakemake $(TARGET) --logger lab04 $(SMK_FLAGS)

# A run killed without cleanup (SIGKILL, power loss) leaves Snakemake's lock: lift it.
unlock: $(VENV)/.installed
	$(BIN)/snakemake --unlock $(SMK_FLAGS)

dry-run: $(VENV)/.installed
	$(CHECK_CONFIG)
	$(BIN)/snakemake -n $(TARGET) $(SMK_FLAGS)

# This run against an earlier one: results/tables/diff.csv (and diff.md, only what changed), a table here
# and a section in the PDF.
# BASE is a results/ directory or a git revision (built once in .snakemake/lab04/base/<commit>/).
# One `make diff` at a time in a checkout: a second waits for the first, then finds the base and this run built.
DIFF_LOCK := .snakemake/lab04/diff.lock
diff: $(VENV)/.installed
	@test -n "$(BASE)" || { echo "usage: make diff BASE=<results directory or git revision>" >&2; exit 2; }
	@mkdir -p $(dir $(DIFF_LOCK))
	@flock -n $(DIFF_LOCK) true || echo "another make diff is running in this checkout: waiting for it to finish" >&2
	@flock $(DIFF_LOCK) $(MAKE) --no-print-directory diff-unlocked

diff-unlocked: $(VENV)/.installed
	base=$$(BIN=$(BIN) CONFIG="$(CONFIG)" DATA_MIRROR="$(DATA_MIRROR)" CORES=$(CORES) \
	        bash scripts/base_results.sh "$(BASE)") && \
	$(MAKE) --no-print-directory report DIFF_BASE="$$base"
	@$(BIN)/python -m lab04.analysis.diff results/tables/diff.csv
	@echo "What changed, as Markdown for a pull request: results/tables/diff.md"

# Lint first: a formatting slip fails the run before any test does. The tests run on TEST_WORKERS
# processes (pytest-xdist; --dist loadgroup hands out one test at a time, in the order tests/conftest.py
# sets, to whichever process is free). --durations: the slowest tests are named at the end, to keep the
# suite's time in view.
TEST_WORKERS ?= 2
test: lint
	VENV=$(VENV) bash scripts/setup_test_system.sh
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -ra --durations=15 $(PYTEST_ARGS)

# Each MNIST pass on each engine (lab04/train/engines.csv, the table `backend: auto` reads), each pass in
# float32 and bfloat16 where the CPU has bfloat16 arithmetic (lab04/train/precision.csv, `precision: auto`'s),
# then the workflow with what they pick against the plain notebook script; all write bench/RESULTS.md.
bench: $(VENV)/.installed
	DATA_MIRROR=$(DATA_MIRROR) $(BIN)/python bench/engines.py $(ENGINE_ARGS)
	DATA_MIRROR=$(DATA_MIRROR) $(BIN)/python bench/precision.py $(PRECISION_ARGS)
	DATA_MIRROR=$(DATA_MIRROR) $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

env: $(VENV)/.installed

$(VENV)/.installed: $(LOCK) pyproject.toml scripts/setup_env.sh
	bash scripts/setup_env.sh $(VENV) $(LOCK)
	touch $@

clean:
	rm -rf results .snakemake
