"""`curvedoc train` and `python -m curvedoc.trainer`: listing, errors, the install hint."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from curvedoc.dashboard.cli import cli
from curvedoc.trainer import SCENARIOS


def _invoke(*args):
    return CliRunner().invoke(cli, ["train", *args])


def test_without_torch_train_says_how_to_install_and_exits_2(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    result = _invoke("--scenario", "healthy", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert 'pip install "curvedoc[trainer]"' in result.output
    assert "download.pytorch.org/whl/cpu" in result.output
    assert not any(tmp_path.iterdir())


def test_list_works_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    result = _invoke("--list")
    assert result.exit_code == 0
    for scenario in SCENARIOS.values():
        assert scenario.path in result.output


def test_unknown_scenario_names_the_known_ones(tmp_path):
    result = _invoke("--scenario", "nope", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown scenario 'nope'" in result.output and "overfitting" in result.output


def test_missing_out_or_scenario_is_a_usage_error(tmp_path):
    assert _invoke("--scenario", "healthy").exit_code == 2
    assert _invoke("--out", str(tmp_path)).exit_code == 2


@pytest.mark.torch
def test_train_writes_the_run_under_its_path(tmp_path):
    pytest.importorskip("torch", reason="needs the trainer extra: pip install 'curvedoc[trainer]'")
    name = "underfitting/moons_linear"
    result = _invoke("--scenario", name, "--out", str(tmp_path), "--epochs", "1", "--jobs", "1")
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / SCENARIOS[name].path
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert (run_dir / "hparams.yaml").is_file()
    assert SCENARIOS[name].path in result.output


def test_python_dash_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "curvedoc.trainer", "--list"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lr_range_test/digits_mlp" in done.stdout


@pytest.mark.torch
def test_unwritable_out_is_a_clear_error(tmp_path):
    pytest.importorskip("torch", reason="needs the trainer extra: pip install 'curvedoc[trainer]'")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = _invoke("--scenario", "underfitting/moons_linear", "--out", str(blocker / "runs"),
                     "--jobs", "1", "--max-steps", "2")
    assert result.exit_code == 1
    assert "cannot write the runs into" in result.output and "Traceback" not in result.output
