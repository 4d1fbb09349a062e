"""`curvedoc check ROOT --compare BASELINE_GROUP` on the trainer's experiment sample runs:
a baseline, a real improvement (lr 0.03), a change that does not help (dropout 0.1), two
changes at once, and a single seed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy import stats

import curvedoc.sample_runs
from curvedoc.dashboard.cli import cli

SAMPLES = Path(curvedoc.sample_runs.__file__).parent


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A copy of sample_runs/experiments inside a root of its own (no cache in the package)."""
    root = tmp_path_factory.mktemp("cmp") / "runs"
    shutil.copytree(SAMPLES / "experiments", root / "experiments")
    return root


def check(root, *args):
    return CliRunner().invoke(cli, ["check", str(root), "--no-progress", *map(str, args)])


@pytest.fixture(scope="module")
def report(root) -> dict:
    result = check(root, "--compare", "experiments/baseline", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def by_group(report: dict) -> dict[str, dict]:
    return {c["group"]["name"]: c for c in report["compare"]["comparisons"]}


def test_json_adds_one_key_and_keeps_the_runs_as_they_were(root, report):
    plain = json.loads(check(root, "--format", "json").stdout)
    assert list(report) == ["runs", "compare"]
    assert report["runs"] == plain["runs"]


def test_json_verdicts_of_the_sample_experiments(report):
    cmp = report["compare"]
    assert cmp["baseline"]["name"] == "experiments/baseline"
    assert cmp["metric"] == "val_loss" and cmp["higher_is_better"] is False
    groups = by_group(report)
    assert set(groups) == {"experiments/lr_0.03", "experiments/dropout_0.1",
                           "experiments/lr_0.03_batch_32", "experiments/momentum_0.95"}
    assert groups["experiments/lr_0.03"]["verdict"] == "better"
    assert groups["experiments/dropout_0.1"]["verdict"] == "no_difference"
    assert groups["experiments/momentum_0.95"]["verdict"] == "cannot_tell"
    both = groups["experiments/lr_0.03_batch_32"]
    assert both["confounded"] and sorted(d["key"] for d in both["differ"]) == [
        "batch_size", "lr"]
    lr = groups["experiments/lr_0.03"]
    assert [(d["key"], d["baseline"], d["other"]) for d in lr["differ"]] == [
        ("lr", "0.01", "0.03")]
    assert "dropout=0" in lr["equal"] and not lr["confounded"]


def test_json_statistics_agree_with_scipy(report):
    base = [r["value"] for r in report["compare"]["baseline"]["runs"]]
    for c in report["compare"]["comparisons"]:
        values = [r["value"] for r in c["group"]["runs"]]
        if len(values) < 2:
            assert c["test"]["welch_p"] is None
            continue
        ref = stats.ttest_ind(values, base, equal_var=False)
        assert c["test"]["welch_p"] == pytest.approx(ref.pvalue)
        ci = ref.confidence_interval(0.95)
        assert (c["test"]["low"], c["test"]["high"]) == pytest.approx((ci.low, ci.high))
        mw = stats.mannwhitneyu(values, base, alternative="two-sided")
        assert c["test"]["mw_p"] == pytest.approx(mw.pvalue)


def test_text_says_each_verdict_in_words(root):
    result = check(root, "--compare", "experiments/baseline")
    assert result.exit_code in (0, 1), result.output
    out = result.stdout
    assert ('compared with the baseline group "experiments/baseline" (best val_loss per run'
            in out)
    assert "differs: lr 0.01 -> 0.03; equal: activation=relu" in out
    assert "Seed noise: the 3 runs of experiments/baseline" in out
    assert "[better] experiments/lr_0.03: lr=0.03 beats the baseline lr=0.01 by" in out
    assert "3 vs 3 seeds, p<0.001" in out
    assert "[no difference] experiments/dropout_0.1" in out and "within seed noise" in out
    assert "warning: batch_size and lr both differ: the comparison is confounded" in out
    assert "cannot be told from seed noise" in out and "seeds per group" in out


def test_markdown_has_a_table_and_the_sentences(root):
    result = check(root, "--compare", "experiments/baseline/", "--format", "markdown")
    assert result.exit_code in (0, 1), result.output
    out = result.stdout
    assert "| group | seeds | mean | sd | vs baseline | 95% CI | p (Welch) |" in out
    assert "| `experiments/baseline` (baseline) | 3 |" in out
    assert "- **experiments/lr_0.03**: lr=0.03 beats the baseline lr=0.01" in out


def test_compare_does_not_change_the_exit_code(root):
    plain = check(root)
    assert check(root, "--compare", "experiments/baseline").exit_code == plain.exit_code


def test_unknown_baseline_lists_the_groups_and_exits_2(root):
    result = check(root, "--compare", "experiments/nope")
    assert result.exit_code == 2
    assert "no group 'experiments/nope'" in result.output
    assert "experiments/baseline, experiments/dropout_0.1" in result.output


def test_group_by_a_hyperparameter(root):
    result = check(root / "experiments", "--compare", "lr=0.01", "--group-by", "hparam:lr",
                   "--format", "json")
    assert result.exit_code in (0, 1), result.output
    cmp = json.loads(result.stdout)["compare"]
    assert cmp["group_by"] == "hparam:lr"
    assert [c["group"]["name"] for c in cmp["comparisons"]] == ["lr=0.03"]
    # lr=0.01 holds the baseline, dropout and momentum runs: not the seeds of one config
    assert set(cmp["baseline"]["mixed"]) == {"dropout", "momentum"}


@pytest.mark.parametrize("args", [["--group-by", "colour"], ["--group-by", "folder:0"]])
def test_bad_compare_options_are_usage_errors(root, args):
    result = check(root, "--compare", "experiments/baseline", *args)
    assert result.exit_code == 2, result.output


def test_help_documents_compare():
    result = CliRunner().invoke(cli, ["check", "--help"])
    assert "--compare BASELINE_GROUP" in result.output and "--group-by" in result.output


def test_a_warm_cache_compares_the_same_as_a_cold_read(root, tmp_path):
    # with an unchanged cache, check reads no run again: the stored summaries' scores count
    args = ["--compare", "experiments/baseline", "--format", "json", "--cache-dir", tmp_path]
    cold = json.loads(check(root, *args).stdout)["compare"]
    warm = json.loads(check(root, *args).stdout)["compare"]
    assert warm == cold
    assert [r["value"] is not None for r in warm["baseline"]["runs"]] == [True] * 3
