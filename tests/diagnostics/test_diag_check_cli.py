"""`curvedoc check`, `curvedoc rules`, `curvedoc rule`: the JSON contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from curvedoc.dashboard.cli import cli

STEPS = np.arange(0, 2001, 10)


def _write(folder: Path, train, val=None):
    """A CSV log: step, train_loss[, val_loss every 100 steps]; 'nan' is a logged NaN."""
    folder.mkdir(parents=True)
    lines = ["step,train_loss,val_loss"]
    for i, s in enumerate(STEPS):
        v = "" if val is None or s % 100 else repr(float(val[i]))
        lines.append(f"{s},{float(train[i])!r},{v}")
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def root(tmp_path):
    """Four runs: healthy, diverged (NaN), overfitting, and one that cannot be read."""
    decay = 0.1 + 2.2 * np.exp(-STEPS / 200)
    _write(tmp_path / "runs" / "healthy", decay, decay * 1.15 + 0.03)
    nan = decay.copy()
    nan[100:] = np.nan
    _write(tmp_path / "runs" / "diverged", nan, decay * 1.15 + 0.03)
    over_val = np.where(STEPS < 600, decay * 1.2 + 0.2,
                        (0.1 + 2.2 * np.exp(-3)) * 1.2 + 0.2 + (STEPS - 600) / 2000)
    _write(tmp_path / "runs" / "overfit", 0.01 + 2.2 * np.exp(-STEPS / 200), over_val)
    broken = tmp_path / "runs" / "broken"
    broken.mkdir()
    (broken / "metrics.csv").write_text("step,train_loss,val_loss\n")
    return tmp_path / "runs"


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def test_json_contract(root):
    result = run("check", root, "--format", "json", "--no-cache", "--no-progress")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["runs"]
    by_id = {r["run"]: r for r in data["runs"]}
    assert set(by_id) == {"healthy", "diverged", "overfit", "broken"}
    for r in data["runs"]:
        assert list(r) == ["run", "name", "format", "roles", "labels", "findings", "errors",
                           "warnings"]
        for f in r["findings"]:
            assert {"code", "label", "severity", "confidence", "message", "advice",
                    "evidence"} <= set(f)
    assert by_id["healthy"]["labels"] == []
    assert by_id["diverged"]["labels"] == ["lr_too_high"]
    assert by_id["overfit"]["labels"] == ["overfitting"]
    assert by_id["broken"]["errors"] and by_id["broken"]["labels"] == []


def test_exit_0_when_no_run_has_a_label(root, tmp_path):
    result = run("check", root / "healthy", "--no-cache", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 run: 0 with a diagnosis" in result.stdout


def test_text_table_and_summary(root):
    result = run("check", root, "--no-cache", "--no-progress")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["run", "labels", "top"]
    assert any(line.startswith("diverged") and "lr_too_high" in line and "CD201" in line
               for line in lines)
    assert lines[-1].startswith("4 runs: 2 with a diagnosis")


def test_markdown_for_a_pr_comment(root):
    result = run("check", root, "--format", "markdown", "--no-cache", "--no-progress")
    assert "| run | labels | top finding |" in result.stdout
    assert "`lr_too_high`" in result.stdout and "<details>" in result.stdout


def test_fail_on_limits_what_fails(root):
    assert run("check", root, "--fail-on", "bad_init", "--no-cache",
               "--no-progress").exit_code == 0
    assert run("check", root, "--fail-on", "overfitting,bad_init", "--no-cache",
               "--no-progress").exit_code == 1


def test_select_and_ignore(root):
    result = run("check", root, "--format", "json", "--ignore", "CD2,CD9", "--no-cache",
                 "--no-progress")
    codes = {f["code"] for r in json.loads(result.stdout)["runs"] for f in r["findings"]}
    assert codes and not any(c.startswith(("CD2", "CD9")) for c in codes)
    result = run("check", root, "--format", "json", "--select", "overfitting", "--no-cache",
                 "--no-progress")
    labels = {lab for r in json.loads(result.stdout)["runs"] for lab in r["labels"]}
    assert labels == {"overfitting"}


@pytest.mark.parametrize("args", [
    ["check", "/no/such/folder"],
    ["check", ".", "--fail-on", "sadness"],
    ["check", ".", "--select", "XX9"],
    ["check", ".", "--format", "yaml"],
    ["rule", "CD999"],
])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2, result.output


def test_bad_rule_config_is_a_usage_error_naming_the_key(root):
    (root / "curvedoc.toml").write_text("[rules.val-loss-rises]\nmin_rize = 1\n")
    result = run("check", root, "--no-cache", "--no-progress")
    assert result.exit_code == 2 and "min_rize" in result.output


def test_config_thresholds_apply(root):
    # both kinds of rise CD501 reads, the large one and the steady one, raised out of reach
    (root / "curvedoc.toml").write_text(
        "[rules.val-loss-rises]\nmin_rise = 5.0\nmin_steady_rise = 5.0\n")
    result = run("check", root, "--format", "json", "--no-cache", "--no-progress")
    by_id = {r["run"]: r for r in json.loads(result.stdout)["runs"]}
    assert "CD501" not in {f["code"] for f in by_id["overfit"]["findings"]}
    (root / "curvedoc.toml").unlink()  # without the config, CD501 does fire
    again = run("check", root, "--format", "json", "--no-cache", "--no-progress")
    by_id = {r["run"]: r for r in json.loads(again.stdout)["runs"]}
    assert "CD501" in {f["code"] for f in by_id["overfit"]["findings"]}


def test_rules_lists_every_rule_and_rule_prints_its_doc():
    from curvedoc.diagnostics import RULES

    listing = run("rules").stdout
    assert all(code in listing for code in RULES)
    doc = run("rule", "CD501").stdout
    for section in ("What it detects", "Why it matters", "Evidence", "Advice", "min_rise"):
        assert section in doc
    assert run("rule", "val-loss-rises").stdout == doc
    by_label = run("rule", "overfitting")  # a label names its rules instead
    assert by_label.exit_code == 2 and "CD501 (val-loss-rises)" in by_label.output


def test_an_unknown_single_file_is_one_clear_warning_and_no_runs(tmp_path):
    path = tmp_path / "notes.bin"
    path.write_bytes(b"\x00\x01\x02")
    result = CliRunner().invoke(cli, ["check", str(path), "--no-cache"])
    assert result.exit_code == 2  # DESIGN: check on a PATH with no runs exits 2
    warnings = [line for line in result.stderr.splitlines() if "notes.bin" in line
                and line.startswith("warning: ")]
    assert len(warnings) == 1
    assert "tensorboard" in warnings[0]
    assert "No runs found" in result.stderr and "TensorBoard event files" in result.stderr


def test_a_label_as_rule_table_names_the_rules_of_that_label(root):
    (root / "curvedoc.toml").write_text("[rules.overfitting]\nmin_rise = 5.0\n")
    result = run("check", root, "--no-cache", "--no-progress")
    assert result.exit_code == 2
    assert "is a label" in result.output and "val-loss-rises (CD501)" in result.output
