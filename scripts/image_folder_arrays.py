"""Find, check and decode an image-folder data set (the chest X-rays) into cached arrays plus a record of
their counts."""

import json
from pathlib import Path

from lab04.atomic import save_npz, write_text
from lab04.data.image_folder import build_arrays, list_images
from lab04.data.sources import image_folder_source
from lab04.logs import job_logger
from lab04.usage import Usage

usage = Usage()
log = job_logger(snakemake.log.log)
p = snakemake.params
# the downloaded archive when the images are only reachable by URL, else the local folder or zip
entry = snakemake.config["datasets"][snakemake.wildcards.dataset]
source = snakemake.input[0] if snakemake.input else image_folder_source(entry, snakemake.config.get("data_mirror"))[1]
listing = list_images(source, tuple(p.classes))
log.info("found in %s: %s", source, listing.counts())
if listing.skipped:
    log.warning("skipped %d files that are not images, e.g. %s", len(listing.skipped), ", ".join(listing.skipped[:5]))
arrays, info = build_arrays(listing, p.size, p.seed, p.val_fraction, p.limit_per_class, workers=snakemake.threads,
                            group_pattern=p.group_pattern)
info.update(key=Path(snakemake.output.arrays).stem, size=p.size, limit_per_class=p.limit_per_class,
            skipped_files=listing.skipped)
log.info("using: %s%s", info["used"], " (val carved from train)" if info["val_carved"] else "")
if "groups" in info:
    log.info("val takes %d of %d groups whole (%s)", info["groups"]["val"], info["groups"]["carved_from"],
             info["group_pattern"])
save_npz(snakemake.output.arrays, **arrays)
write_text(snakemake.output.info, json.dumps(info, indent=2))
usage.write(snakemake.log.usage)
