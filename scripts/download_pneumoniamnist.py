"""Fetch PneumoniaMNIST from the configured mirror or MedMNIST's record, checksum-verified."""

from lab04.download import fetch, mirror_sources
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
spec = snakemake.config["pneumoniamnist"]
sources = mirror_sources(snakemake.config.get("data_mirror"), spec["mirror_subdir"], spec["public_mirrors"],
                         spec["name"])
log.info("%s <- %s", snakemake.output[0],
         fetch(spec["name"], snakemake.params.checksums, snakemake.output[0], sources,
               timeout=snakemake.config["download_timeout"]))
