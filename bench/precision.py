"""Each pass in float32 and in bfloat16 on its engine: the table `precision: auto` reads.

    python bench/precision.py                       # time every pass both ways, then 3 seeds of those bf16 speeds up
    python bench/precision.py --passes cnn/pass3 --seeds 1
    python bench/precision.py --config my.yaml --passes mine/pass1   # a pass of your own overlay

Only on a CPU with native bfloat16 arithmetic (AMX, AVX512-BF16, Arm's BF16): elsewhere `auto` keeps every pass in
float32 and there is nothing to measure (--force measures anyway, for the notes; no row is written then).

Timing: each pass on the engine `backend: auto` gives it, one thread, a job per core side by side (as
bench/engines.py times engines), in both precisions: the mean of the epochs after the first on the first
--samples training images, scaled to 54,000 images. Seeds: each pass bfloat16 timed faster (by 10 % at
least) trained in full (the report's own settings) with seeds 42, 43, ... in both precisions; their test
accuracies. The table's accuracies of a pass and precision that still hold (the same digest of its settings
and of what bfloat16 computes, the same bfloat16 arithmetic and engine) are kept instead: --again trains them
anew. A pass's rows (its digests, this CPU's bfloat16 arithmetic, the engine, the precision) replace those of
the same pass, arithmetic and engine in lab04/train/precision.csv; `auto` picks bfloat16 for a pass where it is
faster by the margin and its mean accuracy is no lower than float32's mean less float32's seed-to-seed spread
(max - min). A pass timed slower in bfloat16 gets rows without accuracies: float32. The tables go to
bench/RESULTS.md between their markers.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engines import (  # noqa: E402
    load_config,
    measuring_arguments,
    prepare_data,
    replace_rows,
    run_children,
    settings_of,
    write_results,
)

from lab04.config import pass_settings, passes  # noqa: E402
from lab04.keys import PassKey  # noqa: E402
from lab04.train import engines, precision  # noqa: E402


def engine_of(config: dict, key: str) -> str:
    """The engine the pass's job trains on here (float32's measurement: the engines table)."""
    return engines.resolve_backend(settings_of(config, key))


def digest_of(config: dict, key: str, arithmetic: str) -> str:
    """What the pass's measurement in ``arithmetic`` holds for (lab04/train/precision.py): its settings, its
    data's and, for bfloat16, what that computes in bfloat16."""
    settings = pass_settings(config, *PassKey.parse(key))
    return precision.settings_digest(settings, config["datasets"][settings["input"]["dataset"]], arithmetic)


def kept_accuracies(config: dict, keys: list[str], backend: dict, bf16: str | None, seeds: int,
                    table: Path) -> dict[tuple[str, str], list[float]]:
    """The test accuracies of the table's rows that still hold for a pass and precision here (same digest, bfloat16
    arithmetic and engine) with as many seeds as asked: seeds trained once need not be trained again."""
    if bf16 is None or not table.exists():
        return {}
    wanted = {(k, p, digest_of(config, k, p), bf16, backend[k]) for k in keys for p in precision.PRECISIONS}
    return {(r["pass"], r["precision"]): list(r["test_accuracies"]) for r in precision.measured(str(table))
            if (r["pass"], r["precision"], r["digest"], r["bf16"], r["backend"]) in wanted
            and len(r["test_accuracies"]) == seeds}


def write_table(rows: list[dict], path: Path) -> None:
    """The rows replace those of the same pass, bfloat16 arithmetic and engine; every other row stays."""
    new = pd.DataFrame([{c: r[c] for c in precision.TABLE_COLUMNS} for r in rows], dtype=str)
    table = replace_rows(new, path, ["pass", "bf16", "backend"], ["bf16", "pass", "precision"], dtype=str,
                         keep_default_na=False)
    table.to_csv(path, index=False)


def slower_in_full(trained: list[dict]) -> list[str]:
    """The passes whose full trainings (both precisions trained here) were not faster in bfloat16 by the margin
    on average: a short timing of a small pass can be off by a third from one run to the next (the job beside
    it changes); the full trainings are what the workflow runs."""
    seconds: dict[tuple[str, str], list[float]] = {}
    for r in trained:
        seconds.setdefault((r["pass"], r["precision"]), []).append(r["train_seconds"])
    return sorted(k for k, p in seconds if p == "bfloat16" and (k, "float32") in seconds
                  and statistics.mean(seconds[k, p]) * precision.MARGIN > statistics.mean(seconds[k, "float32"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", help="experiment/pass,... (default: every pass of the config)")
    parser.add_argument("--seeds", type=int, default=3, help="full trainings per precision of each pass bf16 speeds up")
    parser.add_argument("--force", action="store_true", help="measure on a CPU without native bfloat16 (no rows)")
    parser.add_argument("--again", action="store_true",
                        help="train every seed anew (default: keep the table's accuracies that still hold)")
    measuring_arguments(parser, precision.TABLE, "precision")
    args = parser.parse_args()
    bf16 = precision.native_bf16()
    if bf16 is None and not args.force:
        print("This CPU has no native bfloat16 arithmetic (no amx_bf16, avx512_bf16 or bf16 flag): precision: auto "
              "trains every pass in float32 here, so there is nothing to measure (--force measures anyway).")
        return
    overlays = [str(Path(path).resolve()) for path in args.config]
    config = load_config(overlays)
    keys = args.passes.split(",") if args.passes else [PassKey(e, p).label for e, p in passes(config)]
    mirror = os.environ.get("DATA_MIRROR") or str(ROOT.parent / "shared" / "data")
    workdir = Path(args.workdir).resolve()
    prepare_data(config, keys, mirror, workdir, overlays)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    stamp = (f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit.strip()}, "
             f"{engines.cpu_isa()}, bf16: {bf16 or 'emulated'}")
    backend = {k: engine_of(config, k) for k in keys}
    common = {"workdir": str(workdir), "overlays": overlays}
    print(f"seconds per epoch, {len(keys)} passes x float32, bfloat16 ({stamp}):", flush=True)
    timed = run_children([{**common, "pass": k, "backend": backend[k], "precision": p, "seed": 42, "mode": "time",
                           "samples": args.samples, "epochs": args.epochs}
                          for k in keys for p in precision.PRECISIONS], args.workers)
    seconds = {(r["pass"], r["precision"]): r["epoch_seconds"] for r in timed}
    faster = [k for k in keys if seconds[k, "bfloat16"] * precision.MARGIN <= seconds[k, "float32"]]
    accuracies: dict[tuple[str, str], list[float]] = {}
    if faster and args.seeds:
        if not args.again:
            kept = kept_accuracies(config, faster, backend, bf16, args.seeds, Path(args.table).resolve())
            accuracies.update(kept)
            for k, p in kept:
                print(f"  {k} {p}: the table's {args.seeds} seeds still hold (same settings, arithmetic and "
                      "engine); kept (--again trains them anew)", flush=True)
        todo = [(k, p) for k in faster for p in precision.PRECISIONS if (k, p) not in accuracies]
        print(f"{args.seeds} seeds of {', '.join(f'{k} in {p}' for k, p in todo) or 'nothing'}:", flush=True)
        trained = run_children([{**common, "pass": k, "backend": backend[k], "precision": p, "seed": 42 + s,
                                 "mode": "train"}
                                for k, p in todo for s in range(args.seeds)], args.workers)
        for r in sorted(trained, key=lambda r: r["seed"]):
            accuracies.setdefault((r["pass"], r["precision"]), []).append(r["test_accuracy"])
        for k in slower_in_full(trained):
            print(f"  {k}: its full trainings were not {precision.MARGIN - 1:.0%} faster in bfloat16, whatever the "
                  "timing said: float32 (no accuracies in its rows)", flush=True)
            accuracies.pop((k, "bfloat16"), None)
    rows = [{"pass": k, "digest": digest_of(config, k, p),
             "bf16": bf16 or "none", "backend": backend[k], "precision": p,
             "epoch_seconds": f"{seconds[k, p]:.3f}",
             "test_accuracies": ";".join(f"{a:.4f}" for a in accuracies.get((k, p), []))}
            for k in keys for p in precision.PRECISIONS]
    if bf16 is not None:
        write_table(rows, Path(args.table).resolve())
    write_results(section(rows, stamp, args), Path(args.out), "precision")
    text = Path(args.out).read_text()
    print(text[text.index("<!-- precision -->"):])


def section(rows: list[dict], stamp: str, args) -> list[str]:
    """Per pass: seconds per epoch both ways, the speed-up, each precision's accuracies and what `auto` picks."""
    out = []
    by_pass: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_pass.setdefault(r["pass"], {})[r["precision"]] = {
            **r, "epoch_seconds": float(r["epoch_seconds"]),
            "test_accuracies": tuple(float(a) for a in r["test_accuracies"].split(";") if a)}
    for key, pair in by_pass.items():
        f32, b16 = pair["float32"], pair["bfloat16"]
        both = bool(f32["test_accuracies"] and b16["test_accuracies"])
        spread = max(f32["test_accuracies"]) - min(f32["test_accuracies"]) if both else None
        difference = statistics.mean(b16["test_accuracies"] or [0]) - statistics.mean(f32["test_accuracies"] or [0])
        out.append({
            "pass": key, "engine": f32["backend"],
            "float32 s": f32["epoch_seconds"], "bfloat16 s": b16["epoch_seconds"],
            "speed-up": f32["epoch_seconds"] / b16["epoch_seconds"],
            "float32 accuracies": " ".join(f"{a:.4f}" for a in f32["test_accuracies"]) or "-",
            "bfloat16 accuracies": " ".join(f"{a:.4f}" for a in b16["test_accuracies"]) or "-",
            "mean difference": f"{difference:+.4f}" if both else "-",
            "float32 spread": f"{spread:.4f}" if both else "-",
            "auto": "bfloat16" if both and precision.bf16_wins(pair) else "float32"})
    return [f"## Precision per pass ({stamp})", "",
            f"`python bench/precision.py`: seconds per epoch of 54,000 images on the pass's engine, one thread, a job "
            f"per core side by side, the mean of epochs 2-{args.epochs} on the first {args.samples:,} images, scaled; "
            f"then {args.seeds} full trainings per precision (seeds 42-{41 + args.seeds}) of each pass bfloat16 timed "
            f"faster by {precision.MARGIN - 1:.0%} or more. `auto`: bfloat16 where it is that much faster and its mean "
            "test accuracy is at least float32's mean less float32's spread (max - min); lab04/train/precision.csv.",
            "", pd.DataFrame(out).to_markdown(index=False, floatfmt=".4f"), ""]


if __name__ == "__main__":
    main()
