"""lab04 used from another workflow, as `snakedeploy deploy-workflow` sets it up: a Snakefile in the caller's
project that declares this workflow as a module (a local path here, where snakedeploy writes github(...)), with
the caller's config/config.yaml passed as `config: config`."""

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, planned_jobs, run_bounded, workflow_env

from lab04.config import pass_settings, passes

pytestmark = pytest.mark.workflow

# What the caller sets: the smoke run's few keys. Everything else must come from the workflow's config.yaml.
CALLER_CONFIG = yaml.safe_load((ROOT / "tests" / "smoke.yaml").read_text())


def deploy(caller: Path, workflow: Path) -> Path:
    """The layout snakedeploy writes: workflow/Snakefile using lab04 as a module, and the workflow's config/
    folder copied unchanged as the caller's template."""
    (caller / "workflow").mkdir(parents=True)
    (caller / "workflow" / "Snakefile").write_text(f"""configfile: "config/config.yaml"


module lab04:
    snakefile:
        "{workflow / "Snakefile"}"
    config:
        config


use rule * from lab04
""")
    shutil.copytree(workflow / "config", caller / "config")
    # A config.yaml of the caller's own, which the module must never read in place of its own defaults.
    (caller / "config.yaml").write_text(yaml.safe_dump({"experiments": {"caller_only": {"passes": {}}}}))
    return caller


def caller_snakemake(caller: Path, workflow: Path, *args: str):
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2"]
    out = run_bounded(cmd, cwd=caller, env=workflow_env(workflow))
    assert out.returncode == 0, f"snakemake in the caller's project failed:\n{out[-6000:]}"
    return out


def test_used_as_a_module_from_a_deployed_project(run, tmp_path):
    workdir, mirror, _ = run
    caller = deploy(tmp_path / "project", workdir)
    direct = yaml.safe_load((ROOT / "config.yaml").read_text())

    # The template as shipped (every setting but one a comment) plans the default report.
    shipped = caller_snakemake(caller, workdir, "-n")
    assert planned_jobs(shipped)["train"] == len(passes(direct)), shipped[-3000:]

    # Planned from scratch with the caller's settings, the module's DAG is the workflow's own: every pass of
    # config.yaml, not only those the caller's config names.
    settings = {**CALLER_CONFIG, "data_mirror": str(mirror)}
    (caller / "config" / "config.yaml").write_text(yaml.safe_dump(settings))
    fresh = caller_snakemake(caller, workdir, "-n")
    assert planned_jobs(fresh)["train"] == len(passes(direct))

    # With the smoke run's results, the module plans nothing: the same settings, code and inputs.
    for name in ("results", ".snakemake"):
        shutil.copytree(workdir / name, caller / name, symlinks=True, ignore=shutil.ignore_patterns("locks"),
                        dirs_exist_ok=True)
    assert "Nothing to be done" in caller_snakemake(caller, workdir, "-n")

    # Through the module, one pass retrains and the report is rendered again from the module's templates.
    shutil.rmtree(caller / "results" / "raw" / "pass1")
    (caller / "results" / "report.pdf").unlink()
    out = caller_snakemake(caller, workdir)
    assert planned_jobs(out)["train"] == 1
    scores = json.loads((caller / "results" / "raw" / "pass1" / "seed42" / "scores.json").read_text())
    assert scores["settings"]["epochs"] == 1  # the caller's
    assert scores["settings"]["batch_size"] == pass_settings(direct, "raw", "pass1")["batch_size"]  # the default
    assert scores["test_accuracy"] > 0.5  # 600 images, one epoch: far above chance (0.1)
    assert (caller / "results" / "report.pdf").stat().st_size > 100_000
    assert "Nothing to be done" in caller_snakemake(caller, workdir, "-n")


def test_the_deployed_config_template_changes_no_default():
    """config/config.yaml is what snakedeploy copies into a caller's project: a mapping (Snakemake refuses a file
    of comments only) whose every key keeps the workflow's default."""
    template = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    direct = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert isinstance(template, dict) and template
    assert {key: direct[key] for key in template} == template
