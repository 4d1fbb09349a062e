"""`curvedoc check sample_runs` gives each sample the diagnosis in its path.

Every run under ``scenarios/<label>/`` must get ``<label>``; the healthy runs and
the seed group (the same healthy recipe) must get none. The check runs on a
copy, so no cache lands in the package folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import curvedoc.sample_runs
from curvedoc.dashboard.cli import cli

SAMPLES = Path(curvedoc.sample_runs.__file__).parent


@pytest.fixture(scope="module")
def labels_by_run(tmp_path_factory) -> dict[str, list[str]]:
    if "check" not in cli.list_commands(None):
        pytest.skip("`curvedoc check` is not installed in this tree yet")
    root = tmp_path_factory.mktemp("samples") / "sample_runs"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    result = CliRunner().invoke(cli, ["check", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    for run in report["runs"]:
        assert not run["errors"], (run["run"], run["errors"])
    return {run["run"]: run["labels"] for run in report["runs"]}


def _expected(run_id: str) -> str | None:
    parts = run_id.split("/")
    if parts[0] == "scenarios":
        return parts[1]
    if parts[0] == "seeds":
        return "healthy"
    return None


def test_every_sample_is_listed(labels_by_run):
    from curvedoc.trainer import SCENARIOS

    listed = set(labels_by_run)
    for scenario in SCENARIOS.values():
        run_id = scenario.path + ("/version_0" if scenario.spec.logger == "lightning_csv" else "")
        assert run_id in listed, run_id


def test_each_sample_gets_the_label_in_its_path(labels_by_run):
    wrong = {}
    for run_id, labels in labels_by_run.items():
        expected = _expected(run_id)
        if expected and expected != "healthy" and expected not in labels:
            wrong[run_id] = labels
    assert not wrong, f"missing the label in the path: {wrong}"


def test_healthy_samples_stay_healthy(labels_by_run):
    sick = {run_id: labels for run_id, labels in labels_by_run.items()
            if _expected(run_id) == "healthy" and labels}
    healthy = [r for r in labels_by_run if _expected(r) == "healthy"]
    assert len(healthy) >= 5
    assert not sick, f"healthy samples with a diagnosis: {sick}"
