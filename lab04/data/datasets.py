"""The data sets a pass can train on: config's ``datasets:`` entries, each read through its family.

A data set is one config entry (files, checksums, mirrors, class names, image shape, sizes); its
``family`` says how those files become the cached arrays ``results/data/<arrays key>.npz`` that every
pass reads (``x_<split>``/``y_<split>`` for train, test and, where the data set has one, val). A new
data set of a known family is one config entry; a new family is one entry in ``FAMILIES`` plus the
rules that build its arrays (rules/data.smk).

No TensorFlow and no NumPy: the Snakefile asks these while planning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """How the data sets of one kind of source are laid out and cached."""

    # input keys a pass must set for data sets of this family (chest X-rays: the size to resize to)
    options: tuple[str, ...]
    # (data set name, its entry, the pass's input) -> stem of the cached arrays file
    arrays_key: Callable[[str, dict, dict], str]
    # (entry, input) -> (height, width) of one cached image
    image_shape: Callable[[dict, dict], tuple[int, int]]
    # entry -> training images at most (the configured limits applied)
    train_samples: Callable[[dict], int]
    # entry -> {file name: accepted checksums} of the files the generic download rule fetches
    files: Callable[[dict], dict[str, list[str]]]
    # input keys a pass may set (chest X-rays: carve a val split, by group)
    optional: tuple[str, ...] = ()
    # (data set name, its entry, the pass's input) -> what is wrong with the input and its fix, or None
    problem: Callable[[str, dict, dict], str | None] = lambda _name, _entry, _spec: None


def _fixed_shape(entry: dict, _input: dict) -> tuple[int, int]:
    return tuple(int(d) for d in entry["image_shape"])


def _limited(limit: int | None, full: int) -> int:
    return min(full, int(limit)) if limit else full


GROUPED = "-grouped"  # the suffix of an arrays key whose validation split keeps groups whole


def _xray_key(name: str, _entry: dict, spec: dict) -> str:
    fraction = spec.get("val_fraction")
    val = f"carve{fraction:g}{GROUPED if spec.get('val_grouped') else ''}" if fraction else "official"
    return f"{name}_{int(spec['size'])}px_{val}"


def carve_fraction(val: str) -> float | None:
    """The val_fraction an arrays key's validation part names: 'carve0.1' or 'carve0.1-grouped' -> 0.1,
    'official' -> None."""
    return None if val == "official" else float(val.removeprefix("carve").removesuffix(GROUPED))


def carve_groups(entry: dict, val: str) -> str | None:
    """The data set's group_pattern when the key's carve keeps groups together, else None."""
    return entry["group_pattern"] if val.endswith(GROUPED) else None


def _xray_problem(name: str, entry: dict, spec: dict) -> str | None:
    """A grouped validation split needs a split to carve and the data set's ``group_pattern``."""
    if not spec.get("val_grouped"):
        return None
    if not spec.get("val_fraction"):
        return "val_grouped carves the validation split by group: set val_fraction too (e.g. 0.1)"
    if not entry.get("group_pattern"):
        return (f"val_grouped: data set {name} has no group_pattern (a regular expression whose first group names "
                "the patient, or other group, in an image's file name); add one to its entry in datasets:")
    return None


FAMILIES: dict[str, Family] = {
    # four gzipped IDX files (train/test images and labels), as MNIST and Fashion-MNIST publish them
    "idx": Family(
        options=(),
        arrays_key=lambda name, _entry, _spec: name,
        image_shape=_fixed_shape,
        train_samples=lambda e: _limited(e.get("limit_train"), e["train_size"]),
        files=lambda e: {f["name"]: f["checksums"] for f in e["files"].values()},
    ),
    # a folder or zip of images laid out <split>/<class>/<image>, decoded and resized per pass
    "image_folder": Family(
        options=("size",),
        optional=("val_fraction", "val_grouped"),
        arrays_key=_xray_key,
        image_shape=lambda _entry, spec: (int(spec["size"]), int(spec["size"])),
        train_samples=lambda e: _limited(e.get("limit_per_class") and len(e["classes"]) * e["limit_per_class"],
                                         e["train_size"]),
        files=lambda _e: {},  # a folder, a zip or one archive by URL: its own rules (rules/data.smk)
        problem=_xray_problem,
    ),
    # one MedMNIST .npz with official train/val/test splits
    "medmnist": Family(
        options=(),
        arrays_key=lambda name, _entry, _spec: name,
        image_shape=_fixed_shape,
        train_samples=lambda e: e["train_size"],
        files=lambda e: {e["name"]: e["checksums"]},
    ),
}


@dataclass(frozen=True)
class Dataset:
    name: str
    entry: dict

    @property
    def family(self) -> Family:
        return FAMILIES[self.entry["family"]]

    @property
    def title(self) -> str:
        return self.entry.get("title", self.name)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.entry["classes"]]

    @property
    def n_classes(self) -> int:
        return len(self.entry["classes"])

    def arrays_key(self, input_spec: dict) -> str:
        return self.family.arrays_key(self.name, self.entry, input_spec)

    def image_shape(self, input_spec: dict) -> tuple[int, int]:
        return self.family.image_shape(self.entry, input_spec)

    def train_samples(self) -> int:
        return self.family.train_samples(self.entry)

    def files(self) -> dict[str, list[str]]:
        return self.family.files(self.entry)

    def input_problem(self, input_spec: dict) -> str | None:
        return self.family.problem(self.name, self.entry, input_spec)


def dataset(config: dict, name: str) -> Dataset:
    """The configured data set ``name``; the error lists the known ones."""
    known = config.get("datasets", {})
    if name not in known:
        raise ValueError(f"unknown data set {name!r}; config's datasets: defines {', '.join(known) or 'none'}. "
                         "Add an entry there (docs/extending.md, 'Adding a data set') or fix the name.")
    return Dataset(name, known[name])


def datasets_of_family(config: dict, family: str) -> list[str]:
    """Names of the configured data sets of one family (the wildcard values of that family's rules)."""
    return [name for name, entry in config.get("datasets", {}).items() if entry["family"] == family]
