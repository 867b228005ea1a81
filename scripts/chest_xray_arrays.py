"""Find, check and decode the chest X-rays into cached arrays plus a record of their counts."""

import json
from pathlib import Path

from lab04.chest_xray import build_arrays, list_images
from lab04.logs import job_logger
from lab04.mnist import save_npz
from lab04.sources import chest_xray_source

log = job_logger(snakemake.log[0])
p = snakemake.params
# the downloaded archive when the images are only reachable by URL, else the local folder or zip
source = snakemake.input[0] if snakemake.input else chest_xray_source(snakemake.config)[1]
listing = list_images(source)
log.info("found in %s: %s", source, listing.counts())
if listing.skipped:
    log.warning("skipped %d files that are not images, e.g. %s", len(listing.skipped), ", ".join(listing.skipped[:5]))
arrays, info = build_arrays(listing, p.size, p.seed, p.val_fraction, p.limit_per_class, workers=snakemake.threads)
info.update(key=Path(snakemake.output.arrays).stem, size=p.size, limit_per_class=p.limit_per_class,
            skipped_files=listing.skipped)
log.info("using: %s%s", info["used"], " (val carved from train)" if info["val_carved"] else "")
save_npz(snakemake.output.arrays, **arrays)
with open(snakemake.output.info, "w") as fh:
    json.dump(info, fh, indent=2)
