import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LAB04_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.fixture(scope="session")
def shared_data():
    if not (SHARED_DATA / "mnist").is_dir():
        pytest.skip(f"no dataset mirror at {SHARED_DATA} (set LAB04_SHARED_DATA)")
    return SHARED_DATA


WORKFLOW_FILES = ["Snakefile", "config.yaml", "rules", "scripts", "templates", "schemas", "envs", "tests/smoke.yaml"]


def copy_workflow(dest: Path) -> Path:
    """A private copy of the workflow, so tests may edit templates without touching the checkout."""
    for name in WORKFLOW_FILES:
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    return dest


def snakemake(workdir: Path, *args: str, overlays=(), mirror=None, check=True) -> str:
    # targets and flags first: --configfile and --config swallow the words after them
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--directory", str(workdir),
           "--configfile", str(workdir / "tests" / "smoke.yaml"), *map(str, overlays)]
    if mirror:
        cmd += ["--config", f"data_mirror={mirror}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)
    out = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{out[-6000:]}")
    return out


@pytest.fixture(scope="session")
def run(tmp_path_factory, shared_data):
    """One real smoke run of the whole workflow, shared by the workflow and report tests."""
    workdir = copy_workflow(tmp_path_factory.mktemp("smoke"))
    log = snakemake(workdir, mirror=shared_data)
    return workdir, shared_data, log
