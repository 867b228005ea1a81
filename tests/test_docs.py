"""The front page and the manual: the README stays a short front page whose links resolve, the manual in
docs/ builds in MkDocs' strict mode (a broken link or anchor fails), and the configuration reference is the
one the schema gives today, with every key described."""

import re
import subprocess
import sys

from conftest import ROOT

from lab04 import config_reference


def test_the_configuration_reference_is_current_and_describes_every_key():
    out = subprocess.run([sys.executable, "-m", "lab04.config_reference", "--check"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    undescribed = [line.split("|")[1].strip() for line in config_reference.reference().splitlines()
                   if line.startswith("| `") and not line.rstrip(" |").split("|")[-1].strip()]
    assert undescribed == [], f"keys without a description in schemas/config.schema.yaml: {undescribed}"


def test_a_stale_reference_is_caught(tmp_path, monkeypatch):
    stale = tmp_path / "reference.md"
    stale.write_text(config_reference.reference().replace("the first seed", "an old description"))
    monkeypatch.setattr(config_reference, "REFERENCE", stale)
    monkeypatch.setattr(config_reference, "ROOT", tmp_path)
    assert config_reference.main(["--check"]) == 1


def test_the_manual_builds_in_strict_mode(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "configuration-reference" / "index.html").is_file()


def test_the_readme_is_a_front_page_whose_links_resolve():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    assert "make report" in text and "make test" in text
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert "docs/images/report-html.png" in targets
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists()]
    assert missing == []
    assert not re.search(r"\b[A-Z]+_MINUTES\b", text), "a figure left unfilled"
