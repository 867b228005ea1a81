"""The whole report on 4, 8 and 16 cores, simulated from a measured run: no many-core machine at hand.

    python bench/simulate.py                    # from results/ of the last full `make report`
    python bench/simulate.py --cores 1,2,4,8,16 --results results
    make bench BENCH_ARGS="--report --cores 2"  # also replays the run it measures

Every job the run measured (results/tables/runtimes.csv: trainings, features, decoded images; the
tables, plots and report from results/benchmarks/) is replayed as Snakemake's greedy scheduler runs
it: ready jobs (their inputs made) start in the order of the project's own priorities
(lab04/schedule.py) while they fit the free cores, each with the threads the workflow gives it on that
many cores (its share of the work, at most one per gradient shard; lab04/jobs.py). A job's seconds on
t threads are its one-thread seconds divided by 1 + 0.7 (t - 1), up to 4 threads (the gain measured
for the sharded CNNs, lab04/train/resources.py); one-thread seconds are its measured seconds times that
gain for the threads it ran on. The same replay on the measured run's own core count says how far the
model is off. Labelled simulated wherever it is written.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engines import write_results  # noqa: E402
from lab04.config import pass_jobs  # noqa: E402
from lab04.inputs import arrays_key, features_key  # noqa: E402
from lab04.jobs import job_settings, train_threads  # noqa: E402
from lab04.schedule import plan  # noqa: E402
from lab04.train.resources import MAX_GAINING_THREADS, THREAD_GAIN  # noqa: E402

# the jobs that wait for every training: what the run spends after its last training ends, one after another
TAIL = ("aggregate/metrics", "aggregate/tables", "aggregate/runtimes", "plots/comparison/mnist", "plots/timeline",
        "report/pneumonia_analysis", "plots/pneumonia", "report")


def gain(threads: int) -> float:
    return 1 + THREAD_GAIN * (min(max(1, threads), MAX_GAINING_THREADS) - 1)


def wildcards(experiment: str, pass_name: str, seed: int):
    return SimpleNamespace(experiment=experiment, pass_name=pass_name, seed=str(seed), get=lambda key, d=None: d)


def benchmark_seconds(path: Path) -> float:
    return float(pd.read_csv(path, sep="\t")["s"].iloc[-1]) if path.exists() else 0.0


def measured_jobs(config: dict, results: Path) -> dict[tuple, dict]:
    """Each job: one-thread seconds, priority, what it waits for, and how to size its threads per core count."""
    runtimes = pd.read_csv(results / "tables" / "runtimes.csv")
    ran = {row.job: row for row in runtimes.itertuples()}
    schedule = plan(config)
    jobs: dict[tuple, dict] = {}
    source: dict[str, str] = {}  # features key -> the arrays it is computed from
    for e, p, s in pass_jobs(config):
        row = ran[f"train {e}/{p} seed {s}"]
        key = ("train", e, p, None, s)
        check_planned_as_run(schedule, key, results / e / p / f"seed{s}" / "scores.json")
        spec = job_settings(config, wildcards(e, p, s))["input"]
        needs = ("arrays", arrays_key(config, spec))
        if feature := features_key(config, spec):
            source[feature], needs = needs[1], ("features", feature)
        jobs[key] = {"one": row.wall_seconds * gain(row.threads), "priority": schedule.priority(*key),
                     "needs": [needs], "wc": wildcards(e, p, s)}
        plot = results / "benchmarks" / "plots" / e / f"{p}.tsv"
        jobs[("plot", e, p)] = {"one": benchmark_seconds(plot), "priority": 0, "needs": [key]}
    for name, row in ran.items():
        rule, _, what = name.partition(" ")
        if rule == "features":
            jobs[("features", what)] = {"one": row.wall_seconds, "priority": schedule.priority("features", what),
                                        "needs": [("arrays", source[what])]}
        elif rule == "image_folder_arrays":
            jobs[("arrays", what)] = {"one": row.wall_seconds, "priority": schedule.priority("arrays", what),
                                      "needs": []}
    for key in [n for job in list(jobs.values()) for n in job["needs"] if n not in jobs]:
        jobs[key] = {"one": 5.0, "priority": schedule.priority(*key), "needs": []}  # MNIST arrays: a few seconds
    trainings = [k for k in jobs if k[0] in ("train", "plot")]
    previous = trainings
    for i, name in enumerate(TAIL):
        jobs[("tail", name)] = {"one": benchmark_seconds(results / "benchmarks" / f"{name}.tsv"), "priority": -i,
                                "needs": previous}
        previous = [("tail", name)]
    return jobs


def check_planned_as_run(schedule, key: tuple, scores_path: Path) -> None:
    """The replay sizes each job's threads from this machine's plan: a training the run did on another engine or
    in another precision (another machine's results, or a run under ONEDNN_MAX_CPU_ISA or XLA_FLAGS caps that
    this process lacks) would get another share of the cores than the run gave it."""
    scores = json.loads(scores_path.read_text())
    ran, planned = (scores["backend"], scores["precision"]), (schedule.backends[key], schedule.precisions[key])
    if ran != planned:
        raise SystemExit(f"{key[1]}/{key[2]} ran on {ran[0]} in {ran[1]} ({scores_path}), but this machine would "
                         f"plan it on {planned[0]} in {planned[1]}: replay a run on the machine that made it, under "
                         "the same ONEDNN_MAX_CPU_ISA and XLA_FLAGS as the run")


def threads_on(config: dict, job: dict, key: tuple, cores: int, schedule) -> int:
    if key[0] != "train":
        return 1
    return min(cores, train_threads(config, job["wc"], schedule.threads(cores, *key)))


def simulate(config: dict, jobs: dict[tuple, dict], cores: int) -> dict:
    """Wall seconds and idle core-seconds of the greedy replay on ``cores`` cores."""
    schedule = plan(config)
    threads = {k: threads_on(config, j, k, cores, schedule) for k, j in jobs.items()}
    seconds = {k: j["one"] / gain(threads[k]) for k, j in jobs.items()}
    done, running, now, free, busy = set(), [], 0.0, cores, 0.0
    waiting = set(jobs)
    while waiting or running:
        ready = sorted((k for k in waiting if all(n in done for n in jobs[k]["needs"])),
                       key=lambda k: -jobs[k]["priority"])
        for key in ready:
            if threads[key] <= free:
                free -= threads[key]
                waiting.discard(key)
                heapq.heappush(running, (now + seconds[key], key))
                busy += seconds[key] * threads[key]
        now = running[0][0]
        while running and running[0][0] <= now:  # every job that ends now frees its cores before the next round
            _, key = heapq.heappop(running)
            free += threads[key]
            done.add(key)
    return {"cores": cores, "wall_seconds": now, "idle_share": 1 - busy / (now * cores)}


def lower_bound(config: dict, jobs: dict[tuple, dict], cores: int) -> float:
    """No schedule on ``cores`` cores ends sooner than the larger of the work over the cores (one thread per job
    uses core-seconds best: the thread gain is below linear; the tail, one job after another once every training
    is done, on one core) and the longest chain of jobs, each on as many threads as it may use there."""
    fastest, tail, work = _fastest(config, jobs, cores, _AllCores(plan(config))), _tail(jobs), _work(jobs)
    finish: dict[tuple, float] = {}

    def chain(key: tuple) -> float:
        if key not in finish:
            finish[key] = fastest[key] + max((chain(n) for n in jobs[key]["needs"]), default=0.0)
        return finish[key]

    return max(work / cores + tail, max(chain(k) for k in jobs))


def gain_bound(config: dict, jobs: dict[tuple, dict], cores: int) -> float:
    """A bound that holds the two halves of ``lower_bound`` together: a job trains on one thread count from its
    start to its end, and t threads shorten it by gain(t) < t only. So a job of s one-thread seconds, on the t
    threads best for the run, ends no sooner than its chain with it at s / gain(t), and the run no sooner than the
    work over the cores with that job's core-seconds at t s / gain(t); the larger of the two, at the best t,
    bounds every schedule, and the largest such bound over the jobs, with ``lower_bound``'s, is this one. Where one
    job is most of the work, its one-thread time is above the work over the cores and its many-thread time is
    below: no schedule reaches ``lower_bound`` there."""
    schedule = _AllCores(plan(config))
    fastest, tail, work = _fastest(config, jobs, cores, schedule), _tail(jobs), _work(jobs)
    before: dict[tuple, float] = {}
    after: dict[tuple, float] = {}
    readers: dict[tuple, list[tuple]] = {k: [] for k in jobs}
    for key, job in jobs.items():
        for need in job["needs"]:
            readers[need].append(key)

    def up_to(key: tuple) -> float:  # the longest chain that must end before the job starts
        if key not in before:
            before[key] = max((up_to(n) + fastest[n] for n in jobs[key]["needs"]), default=0.0)
        return before[key]

    def from_(key: tuple) -> float:  # the longest chain that starts when the job ends
        if key not in after:
            after[key] = max((fastest[r] + from_(r) for r in readers[key]), default=0.0)
        return after[key]

    bound = lower_bound(config, jobs, cores)
    for key, job in jobs.items():
        if key[0] == "tail":
            continue
        one = job["one"]
        best = min(max(up_to(key) + one / gain(t) + from_(key), (work - one + t * one / gain(t)) / cores + tail)
                   for t in range(1, threads_on(config, job, key, cores, schedule) + 1))
        bound = max(bound, best)
    return bound


def _fastest(config: dict, jobs: dict[tuple, dict], cores: int, schedule: _AllCores) -> dict[tuple, float]:
    return {k: j["one"] / gain(threads_on(config, j, k, cores, schedule)) for k, j in jobs.items()}


def _tail(jobs: dict[tuple, dict]) -> float:
    return sum(j["one"] for k, j in jobs.items() if k[0] == "tail")


def _work(jobs: dict[tuple, dict]) -> float:
    return sum(j["one"] for j in jobs.values()) - _tail(jobs)


class _AllCores:
    """A schedule that would give each training every core it can use (its cap: shards or a pinned count)."""

    def __init__(self, schedule):
        self.schedule = schedule

    def threads(self, cores: int, *job) -> int:
        return cores


def section(config: dict, results: Path, measured_cores: int, measured_seconds: float | None = None,
            core_counts=(1, 2, 4, 8, 16)) -> list[str]:
    """The replay per core count as a results section, beside the measured run it replays."""
    jobs = measured_jobs(config, results)
    table = pd.DataFrame([{**simulate(config, jobs, cores), "lower_bound": lower_bound(config, jobs, cores),
                           "gain_bound": gain_bound(config, jobs, cores)} for cores in core_counts])
    table.insert(4, "over_bound", table["wall_seconds"] / table["lower_bound"] - 1)
    table["over_gain_bound"] = table["wall_seconds"] / table["gain_bound"] - 1
    base = table.set_index("cores")["wall_seconds"].get(measured_cores)
    if base:
        table[f"speedup_vs_{measured_cores}_cores"] = base / table["wall_seconds"]
    lines = ["## The whole report on more cores (simulated)", "",
             f"`python bench/simulate.py`: the jobs of a measured full run on {measured_cores} core(s) replayed as "
             "Snakemake's greedy scheduler runs them, with the project's priorities and thread shares "
             "(bench/simulate.py says how). **Simulated, not measured.**", "",
             "lower_bound: the larger of the longest chain and the work over the cores; gain_bound: that, with each "
             "job's threads at most as good as the thread gain allows (`gain_bound` says how): where one job is most "
             "of the work, no schedule reaches lower_bound.", "",
             table.to_markdown(index=False, floatfmt=("g", ".0f", ".2f", ".0f", ".0%", ".0f", ".0%", ".2f")), ""]
    if measured_seconds and base:
        lines += [f"The replay on {measured_cores} core(s): {base:.0f} s; the run it replays took "
                  f"{measured_seconds:.0f} s ({base / measured_seconds - 1:+.0%}).", ""]
    return lines


def replays(config: dict, runs: list[tuple[Path, int, float]]) -> list[str]:
    """Each other measured run (its results, cores, wall seconds) replayed on its own core count, against it."""
    lines = []
    for results, cores, seconds in runs:
        replay = simulate(config, measured_jobs(config, results), cores)["wall_seconds"]
        lines.append(f"The replay of the measured {cores}-core run: {replay:.0f} s; the run took {seconds:.0f} s "
                     f"({replay / seconds - 1:+.0%}).")
    return [" ".join(lines), ""] if lines else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--cores", default="1,2,4,8,16")
    parser.add_argument("--measured-cores", type=int, default=2, help="the cores the measured run had")
    parser.add_argument("--measured-seconds", type=float, help="the measured run's wall seconds, to compare with")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    lines = section(config, Path(args.results), args.measured_cores, args.measured_seconds,
                    [int(c) for c in args.cores.split(",")])
    write_results(lines, Path(args.out), "simulated")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
