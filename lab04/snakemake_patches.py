"""Where this workflow changes the pinned Snakemake's behaviour, each for a promise the docs make; applied by
rules/common.smk as the Snakefile loads, before Snakemake plans anything. tests/test_snakemake_patches.py
checks each against the real code path, so a Snakemake that changes underneath fails there first.

- ``--list-changes params`` lists exactly the outputs whose params changed. Snakemake's ``ParamsChange``
  iterates over the files it looked at, changed or not, so the command listed every output of an up-to-date
  run (docs/reproducibility.md recommends it to see why a job reruns).
- ``--cache`` stores entries that only their owner (or the cache folder's group) can rewrite, with a digest of
  their content that is checked before an entry is used, and keeps a result in the checkout when the cache is
  read-only for this user (lab04/shared_cache.py).
"""

from __future__ import annotations


def _changed_files(self):
    """A params change's files, only when something changed."""
    return iter(self.files if self else ())


def apply() -> None:
    import snakemake.persistence
    import snakemake.workflow

    from lab04.shared_cache import GuardedCache

    snakemake.persistence.ParamsChange.__iter__ = _changed_files
    snakemake.workflow.LocalOutputFileCache = GuardedCache
