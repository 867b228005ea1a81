import os
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
