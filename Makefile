# The two commands: `make report` builds the full report, `make test` runs the tests.
# Both create .venv from requirements.lock on first use.
#   make report DATA_MIRROR=../shared/data      use a local copy of the datasets (no network)
#   make report CONFIG=tests/smoke.yaml         layer an extra config over config.yaml
#   make report PROFILE=slurm                   run the jobs through profiles/slurm (or any profile path)
#   make report GPU=1                           TensorFlow's CUDA build, in .venv-gpu from requirements-gpu.lock

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

SMK_FLAGS := --cores $(CORES) \
	$(if $(CONFIG),--configfile $(CONFIG)) \
	$(if $(DATA_MIRROR),--config data_mirror=$(DATA_MIRROR)) \
	$(if $(PROFILE),--profile $(if $(wildcard profiles/$(PROFILE)/config.yaml),profiles/$(PROFILE),$(PROFILE))) \
	$(SNAKEMAKE_ARGS)

.PHONY: report test lint dry-run bench env clean
# Snakemake reads --configfile overlays before the workflow can check them: a YAML slip (a tab, a key
# given twice) is named with its file and line here first.
CHECK_CONFIG := $(if $(CONFIG),$(BIN)/python -m lab04.config $(CONFIG))

report: $(VENV)/.installed
	$(CHECK_CONFIG)
	$(BIN)/snakemake $(SMK_FLAGS) $(TARGET)

dry-run: $(VENV)/.installed
	$(CHECK_CONFIG)
	$(BIN)/snakemake -n $(SMK_FLAGS) $(TARGET)

test: $(VENV)/.installed
	bash scripts/setup_test_system.sh
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

# Workflow against the plain notebook script on this machine; writes bench/RESULTS.md.
bench: $(VENV)/.installed
	DATA_MIRROR=$(DATA_MIRROR) $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint

env: $(VENV)/.installed

$(VENV)/.installed: $(LOCK) pyproject.toml scripts/setup_env.sh
	bash scripts/setup_env.sh $(VENV) $(LOCK)
	touch $@

clean:
	rm -rf results .snakemake
