"""What a user sees while a run runs: the jobs done and running, each training's epoch, and the time left
(``handler``, a Snakemake logger plugin), from each job's expected seconds (``estimates``)."""
