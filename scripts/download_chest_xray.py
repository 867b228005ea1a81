"""Download the chest X-ray archive when no local folder, zip or mirror holds it."""

from lab04.download import fetch
from lab04.logs import job_logger
from lab04.sources import resolve_source

log = job_logger(snakemake.log[0])
cx = snakemake.config["chest_xray"]
kind, location = resolve_source(cx.get("source"), snakemake.config.get("data_mirror"), cx["mirror_subdir"],
                                cx["archive_name"], cx["url"])
log.info("%s <- %s", snakemake.output[0],
         fetch(cx["archive_name"], snakemake.params.sha256, snakemake.output[0], [location], timeout=600))
