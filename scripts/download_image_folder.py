"""Download an image-folder data set when no local folder, zip or mirror directory holds it: its archive, or
the folder of an http:// mirror through its manifest."""

from lab04.data.sources import fetch_image_folder, remember_identity
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
config = snakemake.config
source = fetch_image_folder(config["datasets"][snakemake.wildcards.dataset], config.get("data_mirror"),
                            snakemake.output[0], snakemake.params.sha256, timeout=config["download_timeout"],
                            min_rate=config["download_min_rate"])
log.info("%s <- %s", snakemake.output[0], source)
remember_identity(snakemake.wildcards.dataset, snakemake.params.content)
