"""Fetch one file of a data set from DATA_MIRROR, this machine's data directories or the public
mirrors, checksum-verified."""

from lab04.data.download import fetch, mirror_sources
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
entry = snakemake.config["datasets"][snakemake.wildcards.dataset]
filename = snakemake.wildcards.filename
mirror = snakemake.config.get("data_mirror")
sources = mirror_sources(mirror, entry["mirror_subdir"], entry.get("public_mirrors", []), filename,
                         local_dirs=entry.get("local_dirs", []))
source = fetch(filename, snakemake.params.checksums, snakemake.output[0], sources,
               timeout=snakemake.config["download_timeout"], min_rate=snakemake.config["download_min_rate"],
               mirror=mirror)
log.info("%s <- %s", snakemake.output[0], source)
