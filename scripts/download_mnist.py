"""Fetch one MNIST file from the configured mirror or the public ones, checksum-verified."""

from lab04.download import fetch, mirror_sources
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
mnist = snakemake.config["mnist"]
filename = snakemake.wildcards.filename
sources = mirror_sources(snakemake.config.get("data_mirror"), mnist["mirror_subdir"],
                         mnist["public_mirrors"], filename)
source = fetch(filename, snakemake.params.sha256, snakemake.output[0], sources,
               timeout=snakemake.config["download_timeout"])
log.info("%s <- %s", snakemake.output[0], source)
