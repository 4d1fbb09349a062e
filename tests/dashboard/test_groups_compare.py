"""The groups page's comparison with a baseline and the sweep's left-out runs, tested on
their view functions (no browser), on the trainer's experiment sample runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import curvedoc.sample_runs
from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.grouping import comparison_groups, default_baseline
from curvedoc.dashboard.pages import groups
from curvedoc.diagnostics.findings import Diagnosis
from curvedoc.ingest.model import Run

SAMPLES = Path(curvedoc.sample_runs.__file__).parent


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    root = tmp_path_factory.mktemp("grp") / "runs"
    shutil.copytree(SAMPLES / "experiments", root / "experiments")
    app = create_app(str(root), poll_s=0)
    st = app.server.config["CURVEDOC_STATE"]
    st.wait_diagnosed(120)
    return st


def text_of(component) -> str:
    """Every text inside a Dash component tree, joined."""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children) if children is not None else ""


def test_the_baseline_is_picked_from_the_groups_and_kept(state):
    options, value = groups.baseline_choice(state, "folder", "", None)
    assert value == "experiments/baseline"
    assert [o["value"] for o in options][:2] == ["experiments/baseline",
                                                 "experiments/dropout_0.1"]
    assert groups.baseline_choice(state, "folder", "", "experiments/lr_0.03")[1] == (
        "experiments/lr_0.03")
    assert default_baseline(["a", "b"]) == "a" and default_baseline([]) is None


def test_compare_view_says_each_verdict(state):
    out = groups.compare_view(state, "folder", "", "experiments/baseline")
    text = text_of(out)
    assert "Seed noise: the 3 runs of experiments/baseline" in text
    assert "lr=0.03 beats the baseline lr=0.01 by" in text
    assert "batch_size and lr both differ: the comparison is confounded" in text
    assert "cannot be told from seed noise" in text
    assert "lr 0.01 → 0.03" in text  # what differs, in the table
    table = next(c for c in out if getattr(c, "className", "").startswith("cd-compare"))
    assert len(table.children[1].children) == 5  # the baseline and four groups
    chart = out[-1].figure
    assert chart.layout.xaxis.categoryarray[0] == "experiments/baseline"


def test_compare_view_with_last_values_and_a_grouping_by_hparam(state):
    report = groups.comparison_report(state, "hparam:lr", "experiments", "lr=0.01", "last")
    assert report.statistic == "last"
    assert [c.group.name for c in report.comparisons] == ["lr=0.03"]
    assert "dropout" in report.baseline.mixed


def test_an_unknown_baseline_asks_for_one(state):
    assert "Pick a baseline" in text_of(groups.compare_view(state, "folder", "", "nope"))


def test_only_the_groups_beside_the_baseline_are_compared(state):
    runs = list(state.runs.values())
    names = list(comparison_groups(runs, "experiments/baseline", "folder"))
    assert names[0] == "experiments/baseline" and len(names) == 5
    with pytest.raises(KeyError):
        comparison_groups(runs, "experiments", "folder")


def _sweep_run(lr: float, seed: int, nan: bool = False) -> Run:
    steps = np.arange(10, dtype=np.int64)
    val = 0.5 + abs(np.log10(lr) + 1) + np.exp(-steps / 3.0) + 0.01 * seed
    if nan:
        val[6:] = np.nan
    rid = f"sweep/lr_{lr:g}/seed_{seed}"
    frame = pd.DataFrame({"run": rid, "tag": "val/loss", "step": steps, "value": val,
                          "wall_time": 1.0 + steps})
    frame["run"] = frame["run"].astype("category")
    frame["tag"] = frame["tag"].astype("category")
    return Run(rid, rid, "memory", [], {"lr": lr, "seed": seed}, {"val_loss": "val/loss"},
               scalars=frame)


def test_the_sweep_leaves_diverged_runs_out_of_the_suggestion_and_says_so():
    # lr 10 would be the best value if its NaN run counted with its early best
    runs = [_sweep_run(lr, 0) for lr in (0.01, 0.1, 1.0)] + [_sweep_run(10.0, 0, nan=True)]
    runs[-1].scalars.loc[runs[-1].scalars["step"] == 0, "value"] = -5.0
    app = create_app({r.id: r for r in runs}, poll_s=0,
                     diagnose=lambda r, _c: Diagnosis(r.id, []))
    st = app.server.config["CURVEDOC_STATE"]
    st.wait_diagnosed(30)
    fig, note = groups.sweep_view(st, "lr", "val_loss", "sweep")
    text = text_of(note)
    assert "1 run left out of the suggestion" in text and "sweep/lr_10/seed_0" in text
    assert "best value 0.1" in text  # not 10, the diverged run's early dip
    # the diverged run is still drawn: only the suggestion leaves it out
    assert 10.0 in [x for t in fig.data for x in (t.x if t.x is not None else [])]


def test_check_compare_on_a_sweep_suggests_the_next_range_without_diverged_runs(tmp_path):
    import json

    from click.testing import CliRunner
    from dash_fixtures import write_sample_root

    from curvedoc.dashboard.cli import cli

    root = write_sample_root(tmp_path / "runs")  # lr 1e-4 ... 1e-1; 0.1 ends in NaN
    args = ["check", str(root / "sweep"), "--compare", "lr=0.001", "--group-by", "hparam:lr",
            "--no-progress"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    cmp = json.loads(result.stdout)["compare"]
    assert cmp["excluded"].startswith("1 run left out") and "lr_0.1" in cmp["excluded"]
    sweep = cmp["sweep"]
    assert sweep["param"] == "lr" and sweep["left_out"] == 1
    assert sweep["best"] != 0.1  # the diverged run's early values do not count
    assert "1 run with an unusable metric left out of it" in sweep["sentence"]
    text = CliRunner().invoke(cli, args).stdout
    assert "Sweep of lr: " in text and "only 1 usable seed" in text


def test_a_group_differing_in_every_setting_names_six_and_counts_the_rest():
    # an Ultralytics run's args.yaml beside runs without it: ~100 settings differ, and the
    # "what differs" cell named every one of them in a wall of text
    def run(rid: str, hparams: dict) -> Run:
        steps = np.arange(6, dtype=np.int64)
        frame = pd.DataFrame({"run": rid, "tag": "val/loss", "step": steps,
                              "value": 1.0 / (steps + 1), "wall_time": 1.0 + steps})
        frame["run"] = frame["run"].astype("category")
        frame["tag"] = frame["tag"].astype("category")
        return Run(rid, rid, "memory", [], hparams, {"val_loss": "val/loss"}, scalars=frame)

    runs = [run("exp/base/r0", {}), run("exp/base/r1", {}),
            run("exp/yolo/r0", {f"k{i:03d}": i for i in range(100)})]
    app = create_app({r.id: r for r in runs}, poll_s=0,
                     diagnose=lambda r, _c: Diagnosis(r.id, []))
    st = app.server.config["CURVEDOC_STATE"]
    st.wait_diagnosed(30)
    text = text_of(groups.compare_view(st, "folder", "exp", "exp/base"))
    assert "k005 not set → 5; and 94 more" in text and "k006 not set" not in text
