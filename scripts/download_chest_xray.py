"""Download the chest X-ray archive when no local folder, zip or mirror holds it."""

from lab04.download import fetch
from lab04.logs import job_logger
from lab04.sources import chest_xray_source

log = job_logger(snakemake.log[0])
_, location = chest_xray_source(snakemake.config)
name = snakemake.config["chest_xray"]["archive_name"]
log.info("%s <- %s", snakemake.output[0],
         fetch(name, snakemake.params.sha256, snakemake.output[0], [location],
               timeout=snakemake.config["download_timeout"]))
