"""The keys of a run's results: a pass, one training job of it (a seed), and one job of a sweep point.

Rules hand keys to scripts as labels (plain strings in ``params``, so Snakemake compares them between
runs); scripts, the report, the diff and the benchmark turn them back into keys here and nowhere else.
Each key also knows its directory under results/ (the patterns in lab04/paths.py). The keys are named
tuples, so ``experiment, pass_name, seed = key`` and ``scores[e, p, s]`` keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from lab04.paths import PASS_DIR, POINT_DIR


def _parts(label: str, n: int, what: str) -> list[str]:
    parts = label.split("/")
    if len(parts) != n or not all(parts):
        raise ValueError(f"{label!r} is not a {what} label")
    return parts


class PassKey(NamedTuple):
    """One pass of one experiment: ``experiment/pass``."""

    experiment: str
    pass_name: str

    @property
    def label(self) -> str:
        return f"{self.experiment}/{self.pass_name}"

    @classmethod
    def parse(cls, label: str) -> PassKey:
        return cls(*_parts(label, 2, "'experiment/pass'"))

    def job(self, seed: int) -> JobKey:
        return JobKey(self.experiment, self.pass_name, int(seed))


class JobKey(NamedTuple):
    """One training job of a pass: ``experiment/pass/seed``, writing PASS_DIR."""

    experiment: str
    pass_name: str
    seed: int

    @property
    def label(self) -> str:
        return f"{self.experiment}/{self.pass_name}/{self.seed}"

    @classmethod
    def parse(cls, label: str) -> JobKey:
        experiment, pass_name, seed = _parts(label, 3, "'experiment/pass/seed'")
        return cls(experiment, pass_name, int(seed))

    @property
    def pass_key(self) -> PassKey:
        return PassKey(self.experiment, self.pass_name)

    def directory(self, results: str | Path = "results") -> str:
        """The job's directory, under another results/ directory (an earlier run's) when given."""
        own = PASS_DIR.format(experiment=self.experiment, pass_name=self.pass_name, seed=self.seed)
        return str(Path(results) / Path(own).relative_to("results")) if str(results) != "results" else own

    def file(self, name: str, results: str | Path = "results") -> str:
        return f"{self.directory(results)}/{name}"


class PointKey(NamedTuple):
    """One training job of a sweep point (lab04/sweeps.py), writing POINT_DIR."""

    experiment: str
    pass_name: str
    point: str
    seed: int

    @property
    def label(self) -> str:
        return f"{self.experiment}/{self.pass_name} {self.point} seed {self.seed}"

    @property
    def pass_key(self) -> PassKey:
        return PassKey(self.experiment, self.pass_name)

    def directory(self) -> str:
        return POINT_DIR.format(experiment=self.experiment, pass_name=self.pass_name, point=self.point,
                                seed=self.seed)

    def file(self, name: str) -> str:
        return f"{self.directory()}/{name}"


def job_keys(labels: list[str]) -> list[JobKey]:
    """'experiment/pass/seed' labels (the rules' ``pass_keys`` params) as keys."""
    return [JobKey.parse(label) for label in labels]


def pass_keys(labels: list[str]) -> list[PassKey]:
    """'experiment/pass' labels as keys."""
    return [PassKey.parse(label) for label in labels]
