# What every stage shares: the config, read and checked before anything is planned; the wildcard
# constraints; the few helpers every rule file uses. Each stage's input functions, targets and
# resources live in that stage's rules file (or the package module it calls).

from snakemake.utils import validate

import re
import sys

from lab04.atomic import check_writable, lock_note
from lab04.errors import plain_errors
from lab04.config import (
    check_config,
    check_config_files,
    check_schema,
    deep_merge,
    own_config_read,
    read_yaml,
    reading_order,
    seeds,
)
from lab04.fingerprint import code_fingerprint
from lab04 import snakemake_patches
from lab04.shared_cache import print_link_notes
from lab04.schedule import plan
from lab04.sweeps import check_sweeps
from lab04.train.model_check import check_models, planned_models

# --list-changes params, and a --cache nobody else can rewrite (lab04/snakemake_patches.py)
snakemake_patches.apply()

# A check's error reaches the terminal as its message alone (lab04/errors.py).
with plain_errors():
    check_config_files(workflow.configfiles)
    # workflow.configfiles lists the --configfile overlays before the workflow's own config.yaml
    OWN_CONFIG = str(WORKFLOW_DIR / "config.yaml")
    CONFIG_FILES = [OWN_CONFIG, *(str(f) for f in workflow.configfiles if str(f) != OWN_CONFIG)]
    if not own_config_read(OWN_CONFIG, workflow.configfiles):
        # Used as a module: the caller's `config:` is an overlay on this workflow's defaults.
        config = deep_merge(read_yaml(OWN_CONFIG), config)
    reading_order(config, CONFIG_FILES)
    check_schema(config, read_yaml(WORKFLOW_DIR / "schemas" / "config.schema.yaml"), CONFIG_FILES)
    validate(config, "../schemas/config.schema.yaml")  # fills in the schema's defaults
    check_config(config)
    check_sweeps(config)
    check_writable("results")
    if workflow.is_main_process:
        # a link into the shared cache from an earlier run, to an entry rewritten since, is not trusted
        print_link_notes()
    if workflow.is_main_process and (note := lock_note()):
        print(note, file=sys.stderr)
    # every pass's and sweep point's model, built while planning: a bad layer list stops the run here
    check_models(planned_models(config), ".snakemake/lab04/models")


wildcard_constraints:
    experiment=r"[A-Za-z0-9_]+",
    pass_name=r"[A-Za-z0-9_-]+",
    seed=r"\d+",
    size=r"\d+",
    val=r"official|carve[0-9.]+(-grouped)?",
    point=r"[A-Za-z0-9.~_+-]+",


# Every rule's software (`snakemake --sdm conda`: the conda twin of .venv), and what a short table, plot
# or data job asks a cluster for; a rule that needs more says so.
ENV = "../envs/lab04.yaml"
SMALL_JOB = {"mem_mb": 500, "runtime": 5}


def cached(mode=True):
    """A rule's `cache:` value: ``mode`` when the run has --cache (docs/clusters.md, "A shared cache"), else off, so
    that runs without it do not print Snakemake's notice about every rule eligible for caching."""
    return mode if workflow.enable_cache else False


def one_of(names):
    """A wildcard constraint matching exactly these names (none: matches nothing)."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


def code(script, *modules):
    """Fingerprint of the lab04 modules a rule's script runs (and of ``modules`` it imports by name). Rules
    take it as a param, so editing package code reruns exactly the rules that run it (Snakemake's own code
    trigger sees the script only)."""
    return code_fingerprint(WORKFLOW_DIR / "scripts" / script, *modules)


# Every job's estimated work and rank (lab04/schedule.py): priorities put the longest chain first,
# and `threads: auto` takes a share of the run's cores by work.
with plain_errors():
    SCHEDULE = plan(config)


def run_cores():
    """The cores a job's share is taken of: --cores, at most --max-threads (a cluster node's size)."""
    cores = workflow.global_resources["_cores"]
    cores = getattr(cores, "value", cores) or 1
    return min(cores, workflow.resource_settings.max_threads or cores)


def helper_threads(*job):
    """Processes of a features or decoding job: `threads.hog`, or with `auto` the job's share."""
    threads = config["threads"]["hog"]
    return SCHEDULE.threads(run_cores(), *job) if threads == "auto" else threads


# Every pass trains this seed; tables and figures show it when a pass has several.
PRIMARY_SEED = seeds(config)[0]
