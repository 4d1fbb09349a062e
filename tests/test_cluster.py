"""``check`` on a Dask cluster: the same answers as on one machine, only summaries come back,
and a worker that dies or hangs costs the run it was on, never the check.

One LocalCluster (2 worker processes on 127.0.0.1, free ports, no dashboard) serves the
module and is stopped at its end.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from curvedoc.dashboard.cli import cli  # noqa: E402
from curvedoc.diagnostics.distributed import (  # noqa: E402
    ClusterError,
    check_batch,
    check_root,
    connect,
    parse_address,
)
from curvedoc.diagnostics.summary import RunSummary  # noqa: E402
from curvedoc.ingest.discover import walk, walk_below, walk_top  # noqa: E402

STEPS = np.arange(0, 1001, 10)


def write_run(folder: Path, n: int = len(STEPS), overfit: bool = False) -> None:
    steps = np.arange(n) * 10
    train = 0.1 + 2.2 * np.exp(-steps / 200)
    val = train * 1.15 + 0.03
    if overfit:
        val = np.where(steps < 300, val, val[steps < 300][-1] + (steps - 300) / 1000)
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{s},{float(t)!r},{float(v)!r}\n"
                   for s, t, v in zip(steps, train, val, strict=True))
    (folder / "metrics.csv").write_text("step,train_loss,val_loss\n" + rows)


@pytest.fixture(scope="module")
def client():
    # a run that kills its worker is given up after its second death, not its fourth
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", scheduler_port=0,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def root(tmp_path):
    runs = tmp_path / "runs"
    for i in range(6):
        write_run(runs / "sweep" / f"lr_{i}", overfit=i % 2 == 1)
    write_run(runs / "single")
    write_run(runs / "deep" / "a" / "b" / "c")
    (runs / "broken").mkdir()
    (runs / "broken" / "metrics.csv").write_text("step,train_loss,val_loss\n")
    write_run(runs)  # a run at the root itself, beside the others
    return runs


def test_the_split_walk_finds_what_one_walk_finds(root):
    top, below, above = walk_top(str(root))
    parts = [top] + [walk_below(str(root), folder, rel, above) for folder, rel in below]

    split = sorted((s for p in parts for s in p.sources), key=lambda s: s.id)

    assert [rel for _, rel in below] == ["broken", "deep", "single", "sweep"]
    assert split == walk(str(root)).sources


def test_the_cluster_finds_what_one_walk_finds_symlink_loops_too(client, root):
    (root / "deep" / "a" / "b" / "up").symlink_to(root / "deep", target_is_directory=True)
    (root / "sweep" / "lr_0" / "root").symlink_to(root, target_is_directory=True)

    found = check_root(str(root), client, {})

    assert list(found.summaries) == [s.id for s in walk(str(root)).sources]
    assert len(found.summaries) == 10


def test_a_cluster_check_prints_what_a_local_check_prints(client, root):
    runner = CliRunner()
    here = runner.invoke(cli, ["check", str(root), "--format", "json", "--no-cache"])
    there = runner.invoke(cli, ["check", str(root), "--format", "json",
                                "--cluster", client.scheduler.address])

    assert there.exit_code == here.exit_code == 1, there.output
    assert json.loads(there.output) == json.loads(here.output)
    runs = {r["run"]: r for r in json.loads(there.output)["runs"]}
    assert "overfitting" in runs["sweep/lr_1"]["labels"]
    assert runs["broken"]["errors"] or runs["broken"]["warnings"]


def test_compare_on_a_cluster_says_what_a_local_compare_says(client, root):
    # from the summaries alone: hparams, roles, diagnoses and the judged metric's figures
    args = ["check", str(root), "--format", "json", "--compare", "sweep"]
    runner = CliRunner()
    here = json.loads(runner.invoke(cli, [*args, "--no-cache"]).output)["compare"]
    there = runner.invoke(cli, [*args, "--cluster", client.scheduler.address])
    assert there.exit_code == 1, there.output
    assert json.loads(there.output)["compare"] == here
    assert here["baseline"]["n"] == 6 and here["comparisons"][0]["group"]["name"] == "."
    unknown = runner.invoke(cli, [*args[:-1], "nope", "--cluster", client.scheduler.address])
    assert unknown.exit_code == 2 and "the groups are: " in unknown.output


def test_only_small_summaries_come_back_however_long_the_run(client, tmp_path):
    write_run(tmp_path / "runs" / "short", n=100)
    write_run(tmp_path / "runs" / "long", n=50_000)

    found = check_root(str(tmp_path / "runs"), client, {})

    short, long = found.summaries["short"], found.summaries["long"]
    assert isinstance(long, RunSummary)
    assert (long.n_points, long.last_step) == (100_000, 499_990)
    assert long.metric == "val_loss" and long.best is not None
    assert len(pickle.dumps(long)) < 4 * len(pickle.dumps(short)) < 20_000


@pytest.mark.slow  # workers are restarted: seconds each on a busy machine
def test_a_run_that_kills_its_worker_is_listed_with_an_error(client, root):
    def dies_on_sweep_lr_3(sources, *args):
        if any(s.id == "sweep/lr_3" for s in sources):
            os._exit(1)  # the worker process dies, as on an out-of-memory kill
        return check_batch(sources, *args)

    found = check_root(str(root), client, {}, work=dies_on_sweep_lr_3, batch=4)

    assert len(found.summaries) == 10
    lost = found.summaries["sweep/lr_3"]
    assert lost.errors and "worker died" in lost.errors[0]
    others = [s for rid, s in found.summaries.items() if rid not in ("sweep/lr_3", "broken")]
    assert all(not s.errors for s in others), [s.errors for s in others]
    again = found.summaries["sweep/lr_2"]  # in the same batch, then checked again alone
    assert again.roles and again.n_points == 2 * len(STEPS)


@pytest.mark.slow
def test_a_worker_that_dies_once_costs_nothing(client, root, tmp_path):
    marker = tmp_path / "died-once"

    def dies_the_first_time(sources, *args):
        if not marker.exists():
            marker.write_text("x")
            os._exit(1)
        return check_batch(sources, *args)

    found = check_root(str(root), client, {}, work=dies_the_first_time, batch=100)

    assert marker.exists()
    assert len(found.summaries) == 10
    assert [rid for rid, s in found.summaries.items() if s.errors] == ["broken"]


def test_a_hung_run_is_given_up_and_the_check_returns(client, root, tmp_path):
    client.wait_for_workers(2, timeout=120)  # after the tests that kill workers
    release = tmp_path / "release"

    def hangs_on_single(sources, *args):
        deadline = time.monotonic() + 120
        while any(s.id == "single" for s in sources) and not release.exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return check_batch(sources, *args)

    try:
        found = check_root(str(root), client, {}, work=hangs_on_single, batch=1,
                           idle_timeout=3)
    finally:
        release.write_text("go")  # let the worker thread finish

    assert "given up" in found.summaries["single"].errors[0]
    # what queued behind the hung task on its worker is given up too; the rest is checked
    for rid, s in found.summaries.items():
        assert rid == "broken" or not s.errors or "given up" in s.errors[0], (rid, s.errors)


def test_a_missing_root_says_so(client, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        check_root(str(tmp_path / "nope"), client, {})


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"), \
            connect("tcp://127.0.0.1:9", timeout=1):
        pass


def test_local_addresses():
    assert parse_address("local") is None
    assert parse_address("local:3") == 3
    assert parse_address("tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"
    with pytest.raises(ClusterError, match="at least one worker"):
        parse_address("local:0")


def test_serve_on_a_cluster_lists_the_runs_before_reading_any(client, root):
    from curvedoc.dashboard.lazy_catalog import open_on_cluster
    from curvedoc.dashboard.state import DashboardState
    from curvedoc.dashboard.tables import run_rows

    catalog = open_on_cluster(str(root), client.scheduler.address)
    state = DashboardState(catalog)
    rows = {r["id"]: r for r in run_rows(state)}

    assert list(rows) == [s.id for s in walk(str(root)).sources]
    assert "overfitting" in rows["sweep/lr_1"]["labels"]
    assert rows["single"]["points"] == 2 * len(STEPS) and rows["single"]["steps"] == 1000
    assert not any(run.loaded for run in catalog.runs.values())
    assert len(state.series("single", "val_loss")) == len(STEPS)
    assert [rid for rid, run in catalog.runs.items() if run.loaded] == ["single"]


def split_everywhere(root: str, folder: str | None = None, rel: str = ".", above: tuple = ()):
    """The sources of a walk split at every folder (walk_top on each, as a cluster may)."""
    found, left, seen = walk_top(root, folder, rel, above)
    return [*found.sources, *(s for f, r in left for s in split_everywhere(root, f, r, seen))]


def test_a_split_walk_keeps_an_mlflow_run_and_its_artifacts_one_run(tmp_path):
    from tests.ingest.test_run_identity import mlflow_run, tb

    run = mlflow_run(tmp_path)
    tb(run / "artifacts" / "tensorboard", {"train_loss": [(s, 1.0 / (s + 1)) for s in range(4)]})

    split = sorted(split_everywhere(str(tmp_path)), key=lambda s: s.id)

    assert [(s.id, s.format) for s in split] == [("mlruns/1/abc123", "mlflow_file+tensorboard")]
    assert split == walk(str(tmp_path)).sources


def test_a_cluster_check_of_a_folder_without_runs_fails_like_a_local_one(client, tmp_path):
    (tmp_path / "notes.txt").write_text("no logs here\n")
    runner = CliRunner()
    here = runner.invoke(cli, ["check", str(tmp_path), "--format", "json", "--no-cache"])
    there = runner.invoke(cli, ["check", str(tmp_path), "--format", "json",
                                "--cluster", client.scheduler.address])

    assert there.exit_code == here.exit_code == 2, there.output
    assert there.output == here.output
