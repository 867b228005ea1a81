"""The set-up step `make` runs on first use (scripts/setup_env.sh): quiet when all goes well, and the package
importable from the environment wherever the command runs."""

import subprocess
from pathlib import Path

from conftest import ROOT

# This machine's own pip configuration lists extra package folders that may not exist here; pip says so on
# every call. Those lines come from the machine, not from the set-up step.
MACHINE = ("WARNING: Location '",)


def test_a_first_set_up_prints_nothing_and_the_package_imports_from_anywhere(tmp_path):
    venv, lock = tmp_path / "venv", tmp_path / "empty.lock"
    lock.write_text("# nothing pinned: only the package itself\n")
    out = subprocess.run(["bash", "scripts/setup_env.sh", str(venv), str(lock)], cwd=ROOT, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                         "PYTHON": "python3"})
    assert out.returncode == 0, out.stderr[-3000:]
    said = [line for line in (out.stdout + out.stderr).splitlines() if line.strip() and not line.startswith(MACHINE)]
    assert said == [], "\n".join(said)
    where = subprocess.run([venv / "bin" / "python", "-c", "import lab04; print(lab04.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve() == (ROOT / "lab04" / "__init__.py").resolve()
