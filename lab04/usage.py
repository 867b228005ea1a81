"""A job's own record of its wall time, CPU time and peak memory, in the columns of Snakemake's benchmark
files. Rules whose outputs may come from the between-workflow cache (`--cache`: downloads, decoded arrays,
HOG features) cannot have a `benchmark:` directive; the helper jobs among them write this instead, as a
named `log:` file, so a job fetched from the cache simply has none."""

from __future__ import annotations

import os
import resource
import time

from lab04.atomic import write_text


class Usage:
    """Started when the job starts; ``write`` at its end measures the job and its worker processes."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def write(self, dest: str | os.PathLike) -> None:
        wall = time.perf_counter() - self.started
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        # ru_maxrss is in KiB on Linux; the largest single process, as Snakemake's max_rss is near enough
        rss_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024
        hms = time.strftime("%H:%M:%S", time.gmtime(wall))
        write_text(dest, f"s\th:m:s\tmax_rss\tcpu_time\n{wall:.4f}\t{hms}\t{rss_mb:.2f}\t{cpu:.2f}\n")
