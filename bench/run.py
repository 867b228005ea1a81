"""Measure the workflow against the plain notebook script on this machine and write bench/RESULTS.md.

    make bench                      # orchestration tax per pass, compute floor (about 10 minutes)
    make bench BENCH_ARGS=--full    # also the default report's 11 MNIST trainings end to end (+25 min)
    make bench BENCH_ARGS="--report --cores 1,2"   # only the whole report per core count, and the plain script

Only ratios measured in one run mean anything: machines here differ several-fold (AVX2 vs AVX-512).
1. Tax per pass: the workflow's `train` job (Snakemake, its logging, op determinism, the configured
   threads) against bench/plain.py (the notebooks' way) on the same arrays, alternating, a subset.
2. End to end (--full): the 11 MNIST trainings as `snakemake` runs them on all cores, against the plain
   script running them one after another, and against the compute floor: multiply-adds of every
   pass (lab04/train/resources.py, forward and backward) divided by the measured matmul peak.
3. The whole report (--report): every job of the default DAG from the data on, once per core count
   (--cores), against the plain script (every pass one after another on all cores, TensorFlow's
   default, HOG descriptors image by image as the notebook computes them). From Snakemake's log:
   each job's span and threads, the run's idle core-seconds and a Gantt chart per core count.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import simulate  # noqa: E402
from bench.engines import NOTES_MARKER  # noqa: E402
from bench.engines import write_results as write_results_section  # noqa: E402
from lab04.analysis import timeline  # noqa: E402
from lab04.analysis.plots import timeline_chart  # noqa: E402
from lab04.config import deep_merge, pass_settings, passes  # noqa: E402
from lab04.inputs import arrays_key, features_key, input_shape  # noqa: E402
from lab04.keys import PassKey  # noqa: E402
from lab04.paths import arrays_file, features_file  # noqa: E402
from lab04.train.engines import resolve_backend  # noqa: E402
from lab04.train.resources import model_cost  # noqa: E402

TAX_PASSES = ["raw/pass1", "raw/pass3", "hog/pass1", "cnn/pass1", "cnn/pass3"]
# Both sides train with config.yaml's seed.
SEED = 42
TRAIN_SAMPLES = 54000  # 60,000 less Keras' 10 % validation tail


def cpu() -> dict:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    simd = " ".join(sorted(f for f in flags if f.startswith(("avx", "fma", "amx")))) or "?"
    if os.environ.get("ONEDNN_MAX_CPU_ISA"):  # oneDNN's kernels held to an older instruction set
        simd += f"; oneDNN kernels capped by ONEDNN_MAX_CPU_ISA={os.environ['ONEDNN_MAX_CPU_ISA']}"
    return {"model": model, "cores": os.cpu_count(), "simd": simd}


def matmul_peak(threads: int = 2) -> float:
    """fp32 matmul GFLOP/s through TensorFlow (oneDNN, as training uses), best of several."""
    code = f"""
import time, tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads({threads})
a = tf.random.normal((2048, 2048)); b = tf.random.normal((2048, 2048))
best = 0
for _ in range(12):
    t = time.perf_counter(); c = tf.matmul(a, b); _ = c.numpy()[0, 0]; s = time.perf_counter() - t
    best = max(best, 2 * 2048 ** 3 / s / 1e9)
print(best)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return float(out.stdout.strip().splitlines()[-1])


def snakemake(workdir: Path, overlay: Path, *args: str, cores: int = 2) -> float:
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--cores", str(cores), *args, "--configfile", str(overlay), "--config", f"data_mirror={mirror()}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode:
        sys.exit(f"snakemake failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return time.perf_counter() - started


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat: all but idle, iowait and
    steal): measured around a run, what its processes really used, whatever they reserved."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, _steal = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def mirror() -> str:
    """DATA_MIRROR as the workflow runs in a directory of its own: a relative path made absolute."""
    value = os.environ.get("DATA_MIRROR") or str(ROOT.parent / "shared" / "data")
    return value if "://" in value else str(Path(value).resolve())


def mnist_passes(config: dict) -> list[str]:
    """'experiment/pass' of every pass trained on MNIST: the notebooks' script covers those."""
    return [PassKey(e, p).label for e, p in passes(config)
            if pass_settings(config, e, p)["input"]["dataset"] == "mnist"]


def hog_file(config: dict, input_spec: dict) -> str | None:
    """The workflow's cached features of a pass (lab04/jobs.py, train_inputs); None for other inputs."""
    key = features_key(config, input_spec)
    return features_file(key) if key else None


def plain(config: dict, settings: dict, workdir: Path, env: dict | None = None, cached_features: bool = True) -> dict:
    """bench/plain.py on one pass's arrays; without ``cached_features`` a HOG pass computes its own."""
    data = workdir / arrays_file(arrays_key(config, settings["input"]))
    args = [sys.executable, str(ROOT / "bench" / "plain.py"), json.dumps(settings), str(SEED), str(data)]
    if cached_features and (features := hog_file(config, settings["input"])):
        args.append(str(workdir / features))
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                                                                      "PYTHONPATH": str(ROOT), **(env or {})})
    if proc.returncode:
        sys.exit(f"plain script failed:\n{proc.stderr[-4000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_seconds": time.perf_counter() - started}


def workflow_job(workdir: Path, overlay: Path, key: str) -> dict:
    job = PassKey.parse(key).job(SEED)
    snakemake(workdir, overlay, job.file("scores.json"), "--forcerun", "train")
    pass_dir = workdir / job.directory()
    bench = pd.read_csv(pass_dir / "benchmark.tsv", sep="\t").iloc[-1]
    scores = json.loads((pass_dir / "scores.json").read_text())
    return {"fit_seconds": scores["train_seconds"], "wall_seconds": float(bench["s"]),
            "test_accuracy": scores["test_accuracy"]}


def subset(extra: dict, limit: int, epochs: int, threads: int | None, keys: list[str]) -> dict:
    """The tax runs' overlay: the first ``limit`` images, ``epochs`` epochs, optionally one thread count."""
    own: dict[str, dict] = {}
    for key in keys:
        experiment, name = PassKey.parse(key)
        own.setdefault(experiment, {"passes": {}})["passes"][name] = {
            "epochs": epochs, **({"threads": threads} if threads else {})}
    return deep_merge(extra, {"datasets": {"mnist": {"limit_train": limit}}, "experiments": own})


def write_overlay(workdir: Path, content: dict) -> Path:
    overlay = workdir / "bench.yaml"
    overlay.write_text(yaml.safe_dump(content))
    return overlay


def prepare_data(workdir: Path, overlay: Path, config: dict, keys: list[str]) -> None:
    """MNIST arrays and the HOG features the passes ``keys`` read, made by the workflow itself."""
    features = {hog_file(config, pass_settings(config, *PassKey.parse(k))["input"]) for k in keys} - {None}
    snakemake(workdir, overlay, arrays_file("mnist"), *sorted(features))


def tax(config: dict, extra: dict, workdir: Path, limit: int, epochs: int, reps: int,
        threads: int | None, keys: list[str]) -> pd.DataFrame:
    own = subset(extra, limit, epochs, threads, keys)
    overlay = write_overlay(workdir, own)
    merged = deep_merge(config, own)
    rows = []
    for key in keys:
        settings = pass_settings(merged, *PassKey.parse(key))
        runs = {"workflow": [], "plain": []}
        for _ in range(reps):  # alternate, so drift in machine speed hits both sides alike
            runs["workflow"].append(workflow_job(workdir, overlay, key))
            runs["plain"].append(plain(config, settings, workdir))
        row = {"pass": key, "threads": settings["threads"]}
        for side, values in runs.items():
            for what in ("fit_seconds", "wall_seconds"):
                row[f"{side}_{what}"] = statistics.median(v[what] for v in values)
        row["fit_ratio"] = row["workflow_fit_seconds"] / row["plain_fit_seconds"]
        row["wall_ratio"] = row["workflow_wall_seconds"] / row["plain_wall_seconds"]
        rows.append(row)
        print(f"  {key}: fit {row['fit_ratio']:.2f}, wall {row['wall_ratio']:.2f}", flush=True)
    return pd.DataFrame(rows)


LAYOUTS = {"1 thread, deterministic": {"BENCH_THREADS": "1", "BENCH_DETERMINISM": "1"},
           "2 threads, deterministic": {"BENCH_THREADS": "2", "BENCH_DETERMINISM": "1"},
           "2 threads, not deterministic": {"BENCH_THREADS": "2", "BENCH_DETERMINISM": "0"}}


def layouts(config: dict, extra: dict, workdir: Path, limit: int, epochs: int, reps: int,
            keys: list[str]) -> pd.DataFrame:
    """Fit seconds of the plain script per pass with one and two threads, with and without op
    determinism, alternating: what a second thread gives each model family, and what determinism costs."""
    merged = deep_merge(config, subset(extra, limit, epochs, None, keys))  # the tax runs' images and epochs
    rows = []
    for key in keys:
        settings = pass_settings(merged, *PassKey.parse(key))
        runs = {name: [] for name in LAYOUTS}
        for _ in range(reps):
            for name, env in LAYOUTS.items():
                runs[name].append(plain(config, settings, workdir, env)["fit_seconds"])
        row = {"pass": key, **{name: statistics.median(v) for name, v in runs.items()}}
        row["second_thread_speedup"] = row["1 thread, deterministic"] / row["2 threads, deterministic"]
        row["determinism_cost"] = row["2 threads, deterministic"] / row["2 threads, not deterministic"]
        rows.append(row)
        print(f"  {key}: second thread x{row['second_thread_speedup']:.2f}, determinism x{row['determinism_cost']:.2f}",
              flush=True)
    return pd.DataFrame(rows)


def floor_seconds(config: dict, keys: list[str], peak_gflops: float) -> float:
    flops = 0.0
    for key in keys:
        spec = pass_settings(config, *PassKey.parse(key))
        cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
        flops += 2 * 3 * cost.multiply_adds * TRAIN_SAMPLES * spec["epochs"]  # multiply-add = 2 FLOPs; fwd+bwd = 3x
    return flops / (peak_gflops * 1e9)


def end_to_end(config: dict, extra: dict, workdir: Path) -> dict:
    keys = mnist_passes(config)
    overlay = workdir / "full.yaml"
    overlay.write_text(yaml.safe_dump(extra))
    prepare_data(workdir, overlay, config, keys)
    targets = [PassKey.parse(k).job(SEED).file("scores.json") for k in keys]
    wall = snakemake(workdir, overlay, *targets, "--forcerun", "train")
    jobs = []
    for key in keys:
        bench = pd.read_csv(workdir / PassKey.parse(key).job(SEED).file("benchmark.tsv"), sep="\t").iloc[-1]
        jobs.append({"pass": key, "wall_seconds": float(bench["s"]), "max_rss_mb": float(bench["max_rss"])})
    plain_runs = [{"pass": k, **plain(config, pass_settings(config, *PassKey.parse(k)), workdir)} for k in keys]
    return {"keys": keys, "workflow_wall": wall, "jobs": pd.DataFrame(jobs),
            "plain": pd.DataFrame(plain_runs)}


def whole_report(config: dict, extra: dict, workdir: Path, core_counts: list[int], charts: Path) -> dict:
    """The default DAG from an empty results/ (data from the mirror) once per core count, then the plain
    script over every pass one after another, all cores, HOG computed image by image."""
    overlay = workdir / "report.yaml"
    overlay.write_text(yaml.safe_dump(extra))
    runs = []
    for cores in core_counts:
        run_dir = Path(tempfile.mkdtemp(dir=workdir))
        print(f"  whole report on {cores} core(s)...", flush=True)
        busy = busy_cpu_seconds()
        wall = snakemake(run_dir, overlay, cores=cores)
        busy = busy_cpu_seconds() - busy
        log = max((run_dir / ".snakemake" / "log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime)
        spans = timeline.from_log(log.read_text())
        idle, total = timeline.idle_core_seconds(spans, cores)
        chart = charts / f"timeline-{cores}core{'s' if cores > 1 else ''}.svg"
        timeline_chart(spans, chart, cores, title=f"make report on {cores} core(s): {wall:.0f} s")
        train = spans[spans["rule"] == "train"]
        runs.append({"cores": cores, "wall_seconds": wall, "jobs": len(spans),
                     "idle_core_seconds": idle, "idle_share": idle / total if total else 0.0,
                     "busy_share": busy / (cores * wall),
                     "training_threads": ", ".join(f"{t}×{n}" for t, n in train["threads"].value_counts().sort_index()
                                                   .items()),
                     "chart": chart.name, "spans": spans, "run_dir": run_dir,
                     "renderings": renderings(run_dir, wall), "training_busy": training_busy(run_dir)})
        print(f"    {wall:.0f} s, idle {idle:.0f} of {total:.0f} core-seconds, "
              f"{busy:.0f} CPU seconds used", flush=True)
    plain_runs = []
    for e, p in passes(config):
        print(f"  plain script: {e}/{p}", flush=True)
        plain_runs.append({"pass": f"{e}/{p}",
                           **plain(config, pass_settings(config, e, p), runs[-1]["run_dir"], cached_features=False)})
    return {"runs": runs, "plain": pd.DataFrame(plain_runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=20000, help="MNIST training images for the tax runs")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each pass in the tax runs")
    parser.add_argument("--reps", type=int, default=2, help="alternating repetitions per side")
    parser.add_argument("--full", action="store_true", help="also time the 11 MNIST trainings end to end")
    parser.add_argument("--skip-tax", action="store_true", help="leave out the tax runs (layouts and --full only)")
    parser.add_argument("--report", action="store_true",
                        help="only the whole report per core count (--cores) against the plain script")
    parser.add_argument("--cores", default=str(os.cpu_count()),
                        help="comma-separated core counts of the --report runs (default: all of this machine's)")
    parser.add_argument("--overlay", help="a config overlay for the workflow's side (e.g. another thread layout)")
    parser.add_argument("--passes", default=",".join(TAX_PASSES),
                        help="experiment/pass list of the tax and layout runs (default: one per model family)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    keys = args.passes.split(",")
    extra = yaml.safe_load(Path(args.overlay).read_text()) or {} if args.overlay else {}
    config = deep_merge(yaml.safe_load((ROOT / "config.yaml").read_text()), extra)
    machine = cpu()
    print(f"{machine['model']}, {machine['cores']} cores, {machine['simd']}", flush=True)
    peak = matmul_peak()
    print(f"matmul peak {peak:.0f} GFLOP/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="lab04-bench-") as tmp:
        workdir = Path(tmp)
        configured = two = None
        if args.report:
            print("the whole report, and the plain script:", flush=True)
            report = whole_report(config, extra, workdir, [int(c) for c in args.cores.split(",")],
                                  Path(args.out).parent)
            write_report_results(Path(args.out), machine, peak, report, config)
            widest = max(report["runs"], key=lambda r: r["cores"])
            others = [(r["run_dir"] / "results", r["cores"], r["wall_seconds"])
                      for r in report["runs"] if r is not widest]
            write_results_section(simulate.section(config, widest["run_dir"] / "results", widest["cores"],
                                                   widest["wall_seconds"]) + simulate.replays(config, others),
                                  Path(args.out), "simulated")
            print(Path(args.out).read_text().split(NOTES_MARKER)[0])
            return
        if args.skip_tax:
            overlay = write_overlay(workdir, subset(extra, args.limit, args.epochs, None, keys))
            prepare_data(workdir, overlay, config, keys)
        else:
            print("orchestration tax per pass (configured threads):", flush=True)
            configured = tax(config, extra, workdir, args.limit, args.epochs, args.reps, None, keys)
            print("orchestration tax per pass (2 threads for every job):", flush=True)
            two = tax(config, extra, workdir, args.limit, args.epochs, args.reps, 2, keys)
        print("thread layouts and op determinism (plain script):", flush=True)
        layout = layouts(config, extra, workdir, args.limit, args.epochs, args.reps, keys)
        full = end_to_end(config, extra, Path(tempfile.mkdtemp(dir=tmp))) if args.full else None
    write_results(Path(args.out), machine, peak, args, configured, two, layout, full, config)
    print(Path(args.out).read_text().split(NOTES_MARKER)[0])
    print(f"wrote {args.out}")


def header(machine: dict, peak: float) -> list[str]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return [
        "# Benchmark results", "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; commit {commit.stdout.strip() or '?'}",
        f"- machine: {machine['model']}, {machine['cores']} cores, Python {platform.python_version()}",
        f"- CPU flags: {machine['simd']}",
        f"- fp32 matmul peak (TensorFlow, 2 threads): {peak:.0f} GFLOP/s",
        f"- command: `python bench/run.py {' '.join(sys.argv[1:])}`".rstrip(), "",
    ]


def write_with_notes(path: Path, lines: list[str]) -> None:
    """Write ``lines``, keeping the notes written by hand below NOTES_MARKER (what each change gave)."""
    old = path.read_text() if path.exists() else ""
    notes = old[old.index(NOTES_MARKER):] if NOTES_MARKER in old else f"{NOTES_MARKER}\n"
    path.write_text("\n".join(lines) + "\n" + notes)


def mnist_training_rows(config: dict, report: dict, peak: float) -> list[dict]:
    """Per run, the MNIST trainings' core-seconds (wall × threads of each job) against the compute floor
    in core-seconds (their multiply-adds at one core's share of the 2-thread matmul peak)."""
    keys = mnist_passes(config)
    floor = floor_seconds(config, keys, peak / 2)
    rows = []
    for r in report["runs"]:
        train = r["spans"][r["spans"]["job"].isin([f"train {k}/{SEED}" for k in keys])]
        core_seconds = float(((train["end"] - train["start"]) * train["threads"]).sum())
        rows.append({"cores": r["cores"], "trainings": len(train), "core_seconds": core_seconds,
                     "floor_core_seconds": floor, "ratio_to_floor": core_seconds / floor})
    return rows


def training_floor_rows(config: dict, spans: pd.DataFrame, peak: float, cores: int) -> list[dict]:
    """Each MNIST training of one run: its engine, threads, core-seconds and its own compute floor."""
    rows = []
    for key in mnist_passes(config):
        span = spans[spans["job"] == f"train {key}/{SEED}"]
        if span.empty:
            continue
        span = span.iloc[-1]
        core_seconds = float((span["end"] - span["start"]) * span["threads"])
        floor = floor_seconds(config, [key], peak / 2)
        rows.append({"cores": cores, "pass": key, "engine": engine_of(config, key), "threads": int(span["threads"]),
                     "core_seconds": core_seconds, "floor_core_seconds": floor, "ratio_to_floor": core_seconds / floor})
    return rows


def engine_of(config: dict, key: str) -> str:
    """The engine `backend: auto` resolves for the pass (lab04/train/engines.py)."""
    return resolve_backend(pass_settings(config, *PassKey.parse(key)))


def write_report_results(path: Path, machine: dict, peak: float, report: dict, config: dict) -> None:
    plain_frame = report["plain"]
    plain_total = float(plain_frame["wall_seconds"].sum())
    rows = [{"cores": r["cores"], "wall_seconds": r["wall_seconds"], "jobs": r["jobs"],
             "training threads (threads×jobs)": r["training_threads"],
             "idle_core_seconds": r["idle_core_seconds"], "idle_share": r["idle_share"],
             "cpu_busy_share": r["busy_share"], "ratio_to_plain": r["wall_seconds"] / plain_total}
            for r in report["runs"]]
    lines = [
        *header(machine, peak),
        "## The whole report", "",
        "`snakemake` with the default config from an empty results/ (data from the mirror: downloads, arrays, "
        "HOG features, every training, tables, plots, the PDF), per core count, against the plain script: every "
        f"pass one after another with TensorFlow's default threads (all {machine['cores']} cores), HOG descriptors "
        f"computed image by image in the pass's own script as the notebook does: **{plain_total:.0f} s**. "
        "Idle core-seconds: the run's length times its cores, less what its jobs reserved (Snakemake's log; "
        "goal ≤ 5 % of the run's core-seconds); ratio goal ≤ 0.75. CPU busy share: the CPU seconds the "
        "machine spent busy during the run (/proc/stat, the whole machine), over the run's core-seconds: what "
        "the jobs really used of what they reserved (below 1 where they wait or the machine takes its share).",
        "",
        table(pd.DataFrame(rows)), "",
        "What the two renderings of the report cost in each run (their jobs' wall seconds; the web page is "
        "rendered from the same context as the PDF, its figures put inside it):", "",
        table(pd.DataFrame([{"cores": r["cores"], **r["renderings"]} for r in report["runs"]])), "",
        "Each training job's CPU seconds over its wall seconds times its threads (goal ≥ 0.95: a job that waits "
        "leaves a core it reserved idle):", "",
        table(pd.concat([r["training_busy"].assign(cores=r["cores"]) for r in report["runs"]])), "",
        *(f"![Jobs per core, {r['cores']} core(s)]({r['chart']})" for r in report["runs"]), "",
        "The MNIST trainings against the compute floor (multiply-adds × 2 × 3 for forward and backward, 54,000 "
        "images × epochs, at one core's share of the matmul peak), both in core-seconds (goal ≤ 1.3):", "",
        table(pd.DataFrame(mnist_training_rows(config, report, peak))), "",
        "Each MNIST training against its own floor (the engine `backend: auto` picked for it):", "",
        table(pd.DataFrame([row for r in report["runs"]
                            for row in training_floor_rows(config, r["spans"], peak, r["cores"])])), "",
        "The plain script per pass (wall: interpreter, imports, data, HOG where the pass needs it, fit, evaluation):",
        "", table(plain_frame), "",
        "Each training job's wall seconds and threads in the workflow runs:", "",
        table(pd.concat([r["spans"][r["spans"]["rule"] == "train"].assign(
            cores=r["cores"], seconds=lambda f: f["end"] - f["start"])[["cores", "job", "threads", "seconds"]]
            for r in report["runs"]])), "",
    ]
    write_with_notes(path, lines)


def training_busy(run_dir: Path) -> pd.DataFrame:
    """Each training job's CPU seconds over its wall seconds times its threads (its benchmark file, through
    runtimes.csv): below 1, the job left a core it reserved idle."""
    jobs = pd.read_csv(run_dir / "results" / "tables" / "runtimes.csv")
    train = jobs[jobs["job"].str.startswith("train ")]
    engines = {f"train {s['experiment']}/{s['pass']} seed {s['seed']}": s["engine"].split()[0]
               for s in map(json.loads, map(Path.read_text, (run_dir / "results").glob("*/*/seed*/scores.json")))}
    return pd.DataFrame({"job": train["job"], "engine": train["job"].map(engines), "threads": train["threads"],
                         "wall_seconds": train["wall_seconds"], "cpu_seconds": train["cpu_time"],
                         "busy": train["cpu_time"] / (train["wall_seconds"] * train["threads"])})


def renderings(run_dir: Path, wall: float) -> dict:
    """The PDF's and the web page's job seconds in one whole-report run, and the page's share of its wall time."""
    results = run_dir / "results"
    seconds = {name: float(pd.read_csv(results / "benchmarks" / f"{name}.tsv", sep="\t")["s"].iloc[-1])
               for name in ("report", "report_html")}
    return {"pdf_seconds": seconds["report"], "web_page_seconds": seconds["report_html"],
            "web_page_percent_of_run": 100 * seconds["report_html"] / wall,
            "web_page_mb": (results / "report.html").stat().st_size / 1e6}


def table(frame: pd.DataFrame) -> str:
    # as objects: an all-numeric frame would reach tabulate as floats, core counts as "2.00"
    return frame.astype(object).to_markdown(index=False, floatfmt=".2f")


def write_results(path, machine, peak, args, configured, two, layout, full, config) -> None:
    lines = header(machine, peak)
    if configured is not None:
        lines += [
            "## Orchestration tax per pass", "",
            f"The workflow's `train` job against bench/plain.py (the notebooks' way: one script, TensorFlow's default "
            f"threads, no op determinism) on the first {args.limit:,} MNIST images for {args.epochs} epochs, "
            f"alternating, median of {args.reps}. Ratios are workflow / plain; fit is `model.fit` alone, wall the "
            "whole job (interpreter, imports, data, evaluation, writing).", "",
            "With each pass's configured threads (`training.threads`: 1 for every MNIST pass; in a full run two "
            "1-thread jobs share the cores):",
            "", table(configured), "",
            "With 2 threads for every job (one job at a time, like the plain script):", "", table(two), "",
        ]
    lines += [
        "## Thread layout and op determinism", "",
        "The plain script's `model.fit` seconds on the same subset, alternating the three layouts. "
        "`second_thread_speedup` = 1 thread / 2 threads (both deterministic): below 2, two 1-thread jobs side by "
        "side finish sooner than one 2-thread job after another. `determinism_cost` = with / without op "
        "determinism at 2 threads.", "", table(layout), "",
    ]
    if full is not None:
        floor = floor_seconds(config, full["keys"], peak)
        plain_total = full["plain"]["wall_seconds"].sum()
        lines += [
            "## End to end: the default report's 11 MNIST trainings", "",
            f"- workflow (`snakemake` on 2 cores, the 11 `train` jobs, features prepared): "
            f"{full['workflow_wall']:.0f} s",
            f"- plain script, one pass after another: {plain_total:.0f} s "
            f"(ratio {full['workflow_wall'] / plain_total:.2f}; goal ≤ 0.75)",
            f"- compute floor (multiply-adds × 2 × 3 for forward and backward, 54,000 images × epochs, at the "
            f"matmul peak): {floor:.0f} s (ratio {full['workflow_wall'] / floor:.2f}; goal ≤ 1.3)", "",
            "Per job (the workflow's `benchmark.tsv`, and the plain script):", "",
            table(full["jobs"].merge(full["plain"][["pass", "wall_seconds", "fit_seconds"]], on="pass",
                                     suffixes=("_workflow", "_plain"))), "",
        ]
    write_with_notes(path, lines)


if __name__ == "__main__":
    main()
