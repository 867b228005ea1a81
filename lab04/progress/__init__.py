"""What a user sees while a run runs: the jobs done and running, each training's epoch, and the time left
(``state``, shown by the Snakemake logger plugin in lab04/plugins/), from each job's expected seconds
(``estimates``)."""
