"""Job ranks and thread shares (lab04/schedule.py), and what Snakemake makes of them while planning."""

import copy

import pytest
import yaml
from conftest import planned_jobs, snakemake

from lab04.config import deep_merge, pass_jobs, pass_settings, trained_settings
from lab04.inputs import input_shape
from lab04.jobs import unused_cores
from lab04.schedule import plan
from lab04.train.resources import shard_count


def longest(p):
    return max((j for j in p.ranks if j[0] == "train"), key=p.ranks.get)


def test_the_longest_trainings_data_jobs_outrank_every_other_job(config):
    p = plan(config)
    job = longest(p)
    assert job[1:3] == ("cnn", "pass3")  # the 7x7 CNN: ~40 % of the report's work
    chain = [("download", "mnist"), ("arrays", "mnist"), job]
    assert [p.priority(*j) for j in chain] == sorted((p.priority(*j) for j in chain), reverse=True)
    others = [j for j in p.ranks if j not in chain]
    assert p.priority(*job) > max(p.priority(*j) for j in others)
    # a feature job outranks every training that reads its features
    for j in p.ranks:
        if j[0] == "features":
            readers = [t for t in p.ranks if t[0] == "train" and p.seconds[j] + p.ranks[t] == pytest.approx(p.ranks[j])]
            assert readers, j


def test_thread_shares_follow_the_work_and_the_cores(config):
    p = plan(config)
    trainings = [j for j in p.ranks if j[0] == "train"]
    for cores in (1, 2, 4, 8, 16, 64):
        shares = {j: p.threads(cores, *j) for j in trainings}
        assert all(1 <= t <= cores for t in shares.values())
        # never fewer threads for a job with more work
        ordered = sorted(trainings, key=p.seconds.get)
        assert [shares[j] for j in ordered] == sorted(shares[j] for j in ordered)
    assert {p.threads(2, *j) for j in trainings} == {1}  # on two cores, jobs side by side
    assert p.threads(16, *longest(p)) > 4  # on many, the longest job gets many
    assert p.threads(16, "features", "unknown") == 1


def test_a_pass_with_more_seeds_adds_work_and_jobs(config):
    more = deep_merge(copy.deepcopy(config), {"experiments": {"raw": {"passes": {"pass3": {"repeats": 3}}}}})
    assert len([j for j in plan(more).ranks if j[0] == "train"]) == len(pass_jobs(more)) == len(pass_jobs(config)) + 2
    assert plan(more).work > plan(config).work


def dry_run_threads(workdir, mirror, cores, overlays=()):
    """Threads Snakemake plans for each training job ("experiment/pass") in a dry-run on ``cores`` cores."""
    out = snakemake(workdir, "-n", "--forcerun", "train", overlays=overlays, mirror=mirror, cores=cores)
    threads, job, rule = {}, None, None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith(("rule ", "localrule ")):
            rule, job = line.split()[1].rstrip(":"), None
        elif rule == "train" and line.startswith("wildcards: experiment="):
            job = line.split("experiment=")[1].split(",")[0] + "/" + line.split("pass_name=")[1].split(",")[0]
            threads[job] = 1  # Snakemake prints only counts above one
        elif line.startswith("threads:") and job:
            threads[job] = int(line.split()[1])
    return threads, out


@pytest.mark.workflow
def test_threads_are_a_resource_with_shards_and_a_setting_without(run, tmp_path, config):
    workdir, mirror, _ = run
    # auto: each job's share of --cores (lab04/schedule.py) up to one thread per gradient shard (one for a
    # job on Keras' own step), and changing --cores or --set-threads reruns nothing
    smoke = deep_merge(copy.deepcopy(config), yaml.safe_load((workdir / "tests" / "smoke.yaml").read_text()))
    shards = {f"{e}/{p}": shard_count(input_shape(smoke, s["input"]), s)
              for e, p in {(e, p) for e, p, _ in pass_jobs(smoke)} for s in [pass_settings(smoke, e, p)]}
    for cores in (2, 64):
        planned, out = dry_run_threads(workdir, mirror, cores)
        expected = {f"{e}/{p}": min(shards[f"{e}/{p}"], plan(smoke).threads(cores, "train", e, p, None, s))
                    for e, p, s in pass_jobs(smoke)}
        assert planned == expected, out[-3000:]
    assert planned["cnn/pass3"] == 4 and planned["raw/pass1"] == 1
    for cores, args in ((1, []), (16, []), (2, ["--set-threads", "train=2"])):
        out = snakemake(workdir, "-n", *args, mirror=mirror, cores=cores)
        assert "Nothing to be done" in out, (cores, args, out[-3000:])
    # cores that --set-threads reserves and a pass on one shard would leave idle are named while planning
    note = next(line for line in out.splitlines() if line.startswith("note: --set-threads train=2"))
    one_shard = [k for k, n in shards.items() if n == 1]
    assert f"but {len(one_shard)} passes train on 1 thread (raw/pass1, " in note and shards["raw/pass1"] == 1
    assert "set training.shards: 2" in note
    assert "note: --set-threads" not in snakemake(workdir, "-n", mirror=mirror, cores=2)
    # a number: reserved as such (at most --cores); with shards it changes no result and retrains nothing
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text("experiments:\n  cnn:\n    passes:\n      pass3: {threads: 3}\n")
    threads, out = dry_run_threads(workdir, mirror, 4, overlays=[pinned])
    assert threads["cnn/pass3"] == 3, out[-3000:]
    assert "train" not in planned_jobs(snakemake(workdir, "-n", overlays=[pinned], mirror=mirror))
    # on Keras' own step (one shard) it moves the last digits: a setting, retraining exactly the passes it covers
    pinned.write_text("experiments:\n  hog:\n    training: {threads: 3}\n")
    threads, out = dry_run_threads(workdir, mirror, 4, overlays=[pinned])
    assert {k: v for k, v in threads.items() if k.startswith("hog/")} == dict.fromkeys(
        ["hog/pass1", "hog/pass2", "hog/pass2b", "hog/pass3"], 3), out[-3000:]
    assert planned_jobs(snakemake(workdir, "-n", overlays=[pinned], mirror=mirror)).get("train") == 4


def test_the_thread_count_is_a_setting_only_without_shards(config):
    """What Snakemake compares between runs (rules/train.smk: trained_settings): with gradient shards the thread
    count is left out, so changing it reruns nothing; with one shard it moves the results, and is kept."""
    settings = pass_settings(config, "cnn", "pass3")
    settings["shards"] = shard_count(input_shape(config, settings["input"]), settings)
    assert settings["shards"] == 4 and "threads" not in trained_settings(settings)
    assert trained_settings({**settings, "threads": 3}) == trained_settings(settings)
    one = {**settings, "shards": 1, "threads": 3}
    assert trained_settings(one)["threads"] == 3 and trained_settings(one) != trained_settings({**one, "threads": 2})


def test_reserved_cores_a_training_cannot_use_are_named(config):
    class Resource:  # as Snakemake holds --set-threads
        value = 4

    assert unused_cores(config, None) is None and unused_cores(config, 1) is None
    note = unused_cores(config, Resource())
    # every pass on one gradient shard trains on one thread; the 7x7 CNN's shards use all four cores
    assert note.startswith("note: --set-threads train=4 reserves 4 cores for each training, but ")
    assert "raw/pass1" in note and "cnn/pass3" not in note
    pinned = deep_merge(copy.deepcopy(config), {"training": {"threads": 4}})
    assert unused_cores(pinned, 4) is None
