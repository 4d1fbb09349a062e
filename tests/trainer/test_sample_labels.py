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
from curvedoc.trainer import SCENARIOS

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


def _run_id(scenario) -> str:
    return scenario.path + ("/version_0" if scenario.spec.logger == "lightning_csv" else "")


LABELLED = [
    s for s in SCENARIOS.values() if s.path.startswith("scenarios/") and s.group != "healthy"
]
HEALTHY = [s for s in SCENARIOS.values() if s.group in ("healthy", "seed_group")]


def test_every_sample_is_listed_without_errors(labels_by_run):
    for scenario in SCENARIOS.values():
        assert _run_id(scenario) in labels_by_run, _run_id(scenario)


@pytest.mark.parametrize("scenario", LABELLED, ids=lambda s: s.name)
def test_sample_gets_the_label_in_its_path(labels_by_run, scenario):
    assert scenario.group in labels_by_run[_run_id(scenario)]


@pytest.mark.parametrize("scenario", HEALTHY, ids=lambda s: s.name)
def test_healthy_sample_stays_healthy(labels_by_run, scenario):
    assert labels_by_run[_run_id(scenario)] == []
