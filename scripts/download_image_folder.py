"""Download an image-folder data set's archive when no local folder, zip or mirror holds it."""

from lab04.data.download import fetch
from lab04.data.sources import image_folder_source
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
entry = snakemake.config["datasets"][snakemake.wildcards.dataset]
_, location = image_folder_source(entry, snakemake.config.get("data_mirror"))
log.info("%s <- %s", snakemake.output[0],
         fetch(entry["archive_name"], snakemake.params.sha256, snakemake.output[0], [location],
               timeout=snakemake.config["download_timeout"], min_rate=snakemake.config["download_min_rate"]))
