"""A pass's input: one data set (lab04.data.datasets) seen through one representation
(lab04.features.representations). Everything that depends on what a pass reads asks here.

No TensorFlow: the Snakefile calls these while planning, dry-runs included.
"""

from __future__ import annotations

from lab04.data.datasets import Dataset, dataset
from lab04.features.representations import Representation, representation

# what `input: {kind: ...}` meant before data sets and representations were separate settings
LEGACY_KINDS = {
    "raw": "{dataset: mnist, representation: flat}",
    "hog": "{dataset: mnist, representation: hog, orientations: ..., pixels_per_cell: ...}",
    "image": "{dataset: mnist, representation: image}",
    "xray": "{dataset: chest_xray, representation: image, size: ..., rescale: false}",
    "pneumoniamnist": "{dataset: pneumoniamnist, representation: image, rescale: false}",
}


def parts(config: dict, spec: dict) -> tuple[Dataset, Representation]:
    return dataset(config, spec["dataset"]), representation(spec["representation"])


def normalise(config: dict, spec: dict) -> dict:
    """The input settings that matter to this data set and representation, defaults filled in.

    Keys the two do not read are dropped, so an experiment-wide setting (e.g. ``size``) does not
    retrain a pass whose data set ignores it.
    """
    data, rep = parts(config, spec)
    out = {"dataset": spec["dataset"], "representation": spec["representation"]}
    out.update({k: spec[k] for k in (*data.family.options, *data.family.optional) if k in spec})
    out.update({k: spec.get(k, default) for k, default in rep.options.items() if k in spec or default is not None})
    return out


def missing_options(config: dict, spec: dict) -> list[str]:
    """Required input keys the pass does not set."""
    data, rep = parts(config, spec)
    required = list(data.family.options)
    required += [k for k, default in rep.options.items() if default is None]
    return [k for k in required if spec.get(k) is None]


def input_problem(config: dict, spec: dict) -> str | None:
    """What the data set finds wrong with these input settings, with the fix ('val_grouped needs ...')."""
    return parts(config, spec)[0].input_problem(spec)


def beyond_limits(config: dict, spec: dict) -> list[str]:
    """Input options larger than the data set's images allow ('pixels_per_cell 32 > 28'), if any."""
    data, rep = parts(config, spec)
    limits = rep.limits(data.image_shape(spec))
    return [f"{k} {spec[k]} > {limit}" for k, limit in limits.items() if spec.get(k) is not None and spec[k] > limit]


def input_shape(config: dict, spec: dict) -> tuple[int, ...]:
    """Shape of one example as the model sees it."""
    data, rep = parts(config, spec)
    return rep.shape(data.image_shape(spec), spec)


def arrays_key(config: dict, spec: dict) -> str:
    """Stem of the cached arrays file (results/data/<key>.npz) the pass reads."""
    return dataset(config, spec["dataset"]).arrays_key(spec)


def features_key(config: dict, spec: dict) -> str | None:
    """Stem of the cached features file (results/features/<key>.npz) the pass reads, if any."""
    return representation(spec["representation"]).features_key(arrays_key(config, spec), spec)


def describe(config: dict, spec: dict) -> str:
    """'the 28×28 pixels, flattened and scaled to [0, 1]' and the like, for the report."""
    data, rep = parts(config, spec)
    return rep.describe(data.image_shape(spec), spec)
