import os
import re

import pytest
from conftest import ROOT

from lab04.config import pass_settings, passes
from lab04.data.datasets import dataset
from lab04.inputs import input_shape
from lab04.train.resources import model_cost, train_resources


def test_weight_count_walk_agrees_with_keras_for_every_configured_pass(config):
    from lab04.train.models import build_model

    for experiment, name in passes(config):
        spec = pass_settings(config, experiment, name)
        shape = input_shape(config, spec["input"])
        keras_count = build_model(shape, spec["layers"]).count_params()
        assert model_cost(shape, spec["layers"]).params == keras_count, (experiment, name)


def requests(config, experiment, name, attempt=1, threads=1):
    spec = pass_settings(config, experiment, name)
    cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
    samples = dataset(config, spec["input"]["dataset"]).train_samples()
    return train_resources(cost, samples, spec["epochs"], spec["batch_size"], attempt=attempt, threads=threads)


def test_requests_scale_with_the_pass(config):
    small, cnn, xray = (requests(config, *key) for key in (("raw", "pass1"), ("cnn", "pass3"),
                                                            ("pneumonia", "augmented")))
    assert cnn["runtime"] > 5 * small["runtime"]
    assert xray["mem_mb"] > small["mem_mb"]
    retry = requests(config, "raw", "pass1", attempt=2)
    assert retry["runtime"] == 2 * small["runtime"] and retry["mem_mb"] > small["mem_mb"]


def test_time_asked_for_falls_with_threads_up_to_four_and_holds_on_a_five_times_slower_node(config):
    """The 7x7 CNN: 561 s alone on one AVX-512 thread, 1,324 s beside another job on an AVX2-only node."""
    one, two, four, eight = (requests(config, "cnn", "pass3", threads=n)["runtime"] for n in (1, 2, 4, 8))
    assert one > two > four == eight
    assert 1324 / 60 < one < 5 * 561 / 60 * 1.5


def test_limits_shrink_the_sample_count(config):
    def samples(name, **limits):
        return dataset({"datasets": {name: {**config["datasets"][name], **limits}}}, name).train_samples()

    assert samples("mnist", limit_train=600) == 600 and samples("mnist") == 60000
    assert samples("chest_xray", limit_per_class=40) == 80 and samples("chest_xray") == 5216
    assert samples("pneumoniamnist") == 4708


@pytest.mark.parametrize("layers, params", [
    ([{"Conv2D": {"filters": 4, "kernel_size": 3, "strides": 2}}, {"Flatten": {}}, {"Dense": {"units": 2}}],
     (3 * 3 + 1) * 4 + (13 * 13 * 4 + 1) * 2),
    ([{"AveragePooling2D": {"pool_size": 2, "padding": "same"}}, {"GlobalMaxPooling2D": {}}], 0),
])
def test_strides_and_padding_follow_keras(layers, params):
    from lab04.train.models import build_model

    assert model_cost((28, 28, 1), layers).params == params == build_model((28, 28, 1), layers).count_params()


def test_only_the_heavy_rules_leave_the_submitting_host():
    """Every rule but training, features and X-ray decoding is listed in the Snakefile's localrules:
    a new light rule left out would become a cluster job of its own."""
    snakefile = (ROOT / "Snakefile").read_text()
    local = set(re.findall(r"^    (\w+),$", snakefile.split("localrules:")[1].split("\n\n")[0], re.MULTILINE))
    rules = set()
    for path in [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]:
        text = path.read_text()
        rules |= set(re.findall(r"^rule (\w+):", text, re.MULTILINE))
        rules |= set(re.findall(r"^use rule \w+ as (\w+)", text, re.MULTILINE))
    assert local <= rules, local - rules
    assert rules - local == {"train", "train_sweep", "features", "image_folder_arrays"}


def test_the_runtimes_table_shows_the_time_asked_for_at_the_threads_the_job_ran_on(config, tmp_path):
    import json

    from lab04.analysis.tables import requested_minutes, runtimes
    from lab04.jobs import timed_jobs

    job = next(j for j in timed_jobs(config).values() if j["job"] == "train cnn/pass3 seed 42")
    assert [requested_minutes(job, n) for n in (1, 2, 8)] == [
        requests(config, "cnn", "pass3", threads=n)["runtime"] for n in (1, 2, 8)]
    assert requested_minutes({"runtime": 15}, 4) == 15
    (tmp_path / "scores.json").write_text(json.dumps({"threads": 2}))
    (tmp_path / "benchmark.tsv").write_text("s\th:m:s\tmax_rss\tcpu_time\n100\t0:01:40\t900\t190\n")
    table = runtimes([{**job, "output": str(tmp_path / "scores.json"), "record": str(tmp_path / "benchmark.tsv")}],
                     tmp_path)
    assert table["threads"].tolist() == [2]
    assert table["requested_minutes"].tolist() == [requests(config, "cnn", "pass3", threads=2)["runtime"]]
    assert table["cpu_time"].tolist() == [190]
    # a training job's own CPU seconds win over the benchmark's samples, which miss the last ones
    (tmp_path / "scores.json").write_text(json.dumps({"threads": 2, "job_seconds": {"wall": 99.5, "cpu": 197.0}}))
    table = runtimes([{**job, "output": str(tmp_path / "scores.json"), "record": str(tmp_path / "benchmark.tsv")}],
                     tmp_path)
    assert table["cpu_time"].tolist() == [197.0] and table["wall_seconds"].tolist() == [100]


def test_a_job_measures_its_own_wall_and_cpu_seconds():
    """From the process's start: half a second of work and half a second asleep read as such (Snakemake's
    benchmark samples would have missed them after its first 15 s)."""
    import ast
    import subprocess
    import sys

    code = ("import time\nfrom lab04.train.outputs import process_seconds\nbefore = process_seconds()\n"
            "start = time.process_time()\nwhile time.process_time() - start < 0.51: pass\ntime.sleep(0.5)\n"
            "print([before, process_seconds()])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after = ast.literal_eval(out.strip().splitlines()[-1])
    # the start time has the kernel's clock-tick resolution (10 ms)
    assert 0.98 <= after["wall"] - before["wall"] < 2.0 and 0.5 <= after["cpu"] - before["cpu"] < 0.7
    assert before["wall"] > 0 and before["cpu"] > 0  # its imports, since the process started


def test_a_job_measures_the_seconds_it_waited_for_a_core():
    """Pinned to one core beside a process that spins there, a job's main thread waits for the core about as long
    as it computes (the kernel shares it evenly), never longer than it did not compute; a job of one thread
    computes on its main thread alone."""
    import ast
    import subprocess
    import sys

    core = min(os.sched_getaffinity(0))
    pin = f"import os\nos.sched_setaffinity(0, {{{core}}})\n"
    spinner = subprocess.Popen([sys.executable, "-c", pin + "while True: pass"])
    try:
        code = (pin + "import time\nfrom lab04.train.outputs import process_seconds\nbefore = process_seconds()\n"
                "start = time.process_time()\nwhile time.process_time() - start < 0.5: pass\ntime.sleep(0.2)\n"
                "print([before, process_seconds()])")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    finally:
        spinner.kill()
        spinner.wait()
    before, after = ast.literal_eval(out.strip().splitlines()[-1])
    waited = after["waited"] - before["waited"]
    idle = (after["wall"] - before["wall"]) - (after["main_cpu"] - before["main_cpu"])
    assert 0.3 <= waited <= idle + 0.05, (before, after)
    assert after["main_cpu"] - before["main_cpu"] == pytest.approx(after["cpu"] - before["cpu"], abs=0.05)
