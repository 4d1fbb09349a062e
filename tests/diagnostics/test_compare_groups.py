"""Comparing groups with a baseline: what differs, whether it mattered, in words."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from curvedoc.diagnostics.compare_groups import (
    compare_with_baseline,
    confounded_warning,
    hparam_diff,
    sibling_groups,
)
from curvedoc.diagnostics.findings import Diagnosis, Evidence, Finding

from .conftest import build_run

STEPS = np.arange(1, 11)


def group(name: str, bests: list[float], metric: str = "val_loss", **hp) -> list:
    """Runs whose ``metric`` falls (or rises, for accuracies) to ``best`` at the end."""
    runs = []
    for seed, best in enumerate(bests):
        if metric == "val_acc":
            curve = best - 0.3 * (np.exp(-STEPS / 3.0) - np.exp(-10 / 3.0))
        else:
            curve = best + np.exp(-STEPS / 3.0) - np.exp(-10 / 3.0)
        runs.append(build_run({metric: (STEPS, curve)}, hparams={**hp, "seed": seed},
                              run_id=f"exp/{name}/seed_{seed}"))
    return runs


def report(groups: dict, baseline: str = "exp/base", diagnoses=None, **kw):
    return compare_with_baseline(groups, baseline, diagnoses or {}, **kw)


BASE = [0.2058, 0.1996, 0.2228]
BETTER = [0.1184, 0.1109, 0.1303]
SAME = [0.2135, 0.2049, 0.2259]


def test_a_real_improvement_in_words_with_scipys_numbers():
    rep = report({"exp/base": group("base", BASE, lr=0.01, bs=64),
                  "exp/lr": group("lr", BETTER, lr=0.003, bs=64)})
    (c,) = rep.comparisons
    assert c.verdict == "better"
    assert [(d.key, d.baseline, d.other) for d in c.differ] == [("lr", "0.01", "0.003")]
    assert c.equal == ("bs=64",) and not c.confounded
    ref = stats.ttest_ind(BETTER, BASE, equal_var=False)
    assert c.test.welch_p == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (c.improvement_low, c.improvement_high) == pytest.approx((-ci.high, -ci.low))
    assert c.improvement == pytest.approx(np.mean(BASE) - np.mean(BETTER))
    assert c.effect_size == pytest.approx(-c.test.cohens_d) and c.effect_size > 0
    assert c.sentence.startswith("lr=0.003 beats the baseline lr=0.01 by 0.090 val loss "
                                 f"(95% CI {-ci.high:.3f}–{-ci.low:.3f}, 3 vs 3 seeds, p<0.001)")
    assert [s.value for s in c.group.scores] == pytest.approx(BETTER)


def test_higher_is_better_for_an_accuracy():
    rep = report({"exp/base": group("base", [0.90, 0.91, 0.905], "val_acc", lr=0.01),
                  "exp/lr": group("lr", [0.95, 0.955, 0.952], "val_acc", lr=0.03)})
    (c,) = rep.comparisons
    assert rep.metric == "val_acc" and rep.higher_is_better
    assert c.verdict == "better" and c.improvement > 0
    assert "beats the baseline" in c.sentence and "val acc" in c.sentence


def test_a_worse_variant_is_called_worse():
    rep = report({"exp/base": group("base", BETTER, lr=0.03),
                  "exp/lr": group("lr", BASE, lr=0.01)})
    (c,) = rep.comparisons
    assert c.verdict == "worse"
    assert c.sentence.startswith("lr=0.01 is worse than the baseline lr=0.03 by 0.090")


def test_no_difference_within_seed_noise_says_how_many_seeds_would_tell():
    rep = report({"exp/base": group("base", BASE, dropout=0.0),
                  "exp/do": group("do", SAME, dropout=0.1)})
    (c,) = rep.comparisons
    assert c.verdict == "no_difference"
    assert "within seed noise" in c.sentence
    assert c.seeds_needed is not None and c.seeds_needed > 10
    assert f"needs about {c.seeds_needed} seeds per group" in c.sentence


def test_one_seed_cannot_be_told_from_seed_noise():
    rep = report({"exp/base": group("base", BASE, momentum=0.9),
                  "exp/m": group("m", [0.15], momentum=0.95)})
    (c,) = rep.comparisons
    assert c.verdict == "cannot_tell" and c.test.welch_p is None
    assert "cannot be told from seed noise" in c.sentence
    # the yardstick is the baseline's seed spread
    assert c.noise_sd == pytest.approx(np.std(BASE, ddof=1))
    assert c.seeds_needed >= 3 and "seeds per group" in c.sentence


def test_one_seed_everywhere_says_the_spread_is_unknown():
    rep = report({"exp/base": group("base", [0.2], lr=0.01),
                  "exp/lr": group("lr", [0.1], lr=0.03)})
    (c,) = rep.comparisons
    assert c.verdict == "cannot_tell" and c.seeds_needed is None
    assert "seed spread is unknown" in c.sentence
    assert "seed noise is unknown" in rep.seed_noise


def test_two_changes_are_confounded():
    rep = report({"exp/base": group("base", BASE, lr=0.01, batch_size=64),
                  "exp/both": group("both", BETTER, lr=0.03, batch_size=32)})
    (c,) = rep.comparisons
    assert c.confounded
    assert "batch_size and lr both differ: the comparison is confounded" in c.warnings


def test_confounded_warning_words():
    from curvedoc.diagnostics.compare_groups import HparamDiff

    assert confounded_warning([HparamDiff("lr", "1", "2")]) is None
    three = [HparamDiff(k, "1", "2") for k in ("a", "b", "c")]
    assert confounded_warning(three) == "a, b and c all differ: the comparison is confounded"
    # a YOLO run's ~100 settings from args.yaml: six named, the rest counted
    many = [HparamDiff(f"k{i:03d}", "not set", str(i)) for i in range(100)]
    assert confounded_warning(many) == ("k000, k001, k002, k003, k004, k005 and 94 more all "
                                        "differ: the comparison is confounded")


def test_hparams_missing_on_one_side_differ_and_seeds_never_count():
    base = group("base", BASE, lr=0.01)
    other = group("o", BASE, lr=0.01, warmup=100)
    differ, equal = hparam_diff(base, other)
    assert [(d.key, d.baseline, d.other) for d in differ] == [("warmup", "not set", "100")]
    assert equal == ("lr=0.01",)


def test_a_group_that_mixes_configs_is_named():
    mixed = group("base", BASE[:2], lr=0.01) + group("x", BASE[2:], lr=0.02)
    rep = report({"exp/base": mixed, "exp/lr": group("lr", BETTER, lr=0.03)})
    assert rep.baseline.mixed == ("lr",)
    assert any("not the seeds of one config" in w for w in rep.comparisons[0].warnings)


def test_diverged_and_nan_runs_are_left_out_and_said_so():
    runs = group("lr", BETTER, lr=0.03)
    nan = build_run({"val_loss": (STEPS, np.r_[np.linspace(1, 0.05, 9), np.nan])},
                    hparams={"lr": 0.03, "seed": 7}, run_id="exp/lr/seed_7")
    blown = group("lr", [0.01], lr=0.03)[0]
    blown.id = "exp/lr/seed_8"
    finding = Finding("CD201", "lr_too_high", "error", 0.9, "loss exploded", [], Evidence())
    rep = report({"exp/base": group("base", BASE, lr=0.01), "exp/lr": [*runs, nan, blown]},
                 diagnoses={blown.id: Diagnosis(blown.id, [finding])})
    (c,) = rep.comparisons
    assert c.group.spread.n == 3  # only the three sound runs
    assert [s.run_id for s in c.group.excluded] == ["exp/lr/seed_7", "exp/lr/seed_8"]
    assert rep.excluded_sentence.startswith("2 runs left out, their metric unusable")
    assert "NaN" in rep.excluded_sentence and "CD201" in rep.excluded_sentence


def test_last_value_instead_of_best():
    rising = [build_run({"val_loss": (STEPS, np.r_[np.linspace(1, 0.1, 5),
                                                   np.linspace(0.2, 0.6, 5)])},
                        hparams={"lr": 0.1, "seed": s}, run_id=f"exp/base/seed_{s}")
              for s in range(2)]
    best = report({"exp/base": rising}, statistic="best")
    last = report({"exp/base": rising}, statistic="last")
    assert best.baseline.spread.mean == pytest.approx(0.1)
    assert last.baseline.spread.mean == pytest.approx(0.6)


def test_unknown_baseline_is_a_key_error():
    with pytest.raises(KeyError):
        report({"exp/a": group("a", BASE)}, baseline="exp/nope")


def test_to_dict_is_json_without_nan():
    rep = report({"exp/base": group("base", BASE, lr=0.01),
                  "exp/m": group("m", [0.15], lr=0.02)})
    data = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert data["baseline"]["name"] == "exp/base" and data["baseline"]["n"] == 3
    (c,) = data["comparisons"]
    assert c["verdict"] == "cannot_tell" and c["differ"][0]["key"] == "lr"
    assert c["test"]["welch_p"] is None


def test_sibling_groups_are_those_beside_the_baseline():
    names = ["a/base", "a/x", "b/y", "c"]
    assert sibling_groups(names, "a/base") == ["a/base", "a/x"]
    assert sibling_groups(names, "c") == ["c", "a/base", "a/x", "b/y"]  # none beside: all


def test_a_run_without_scalars_is_scored_from_its_stored_summary():
    from curvedoc.diagnostics.compare_groups import KnownScore, run_score
    from curvedoc.ingest.model import Run

    bare = Run("exp/a/seed_0", "seed_0", "test", [], {"lr": 0.1}, {"val_loss": "val/loss"})
    assert run_score(bare, None, "val_loss", False).excluded == "no val_loss logged"
    known = KnownScore("val/loss", 0.2, 0.25)
    assert run_score(bare, None, "val_loss", False, "best", known).value == 0.2
    assert run_score(bare, None, "val_loss", False, "last", known).value == 0.25
    nan_end = KnownScore("val/loss", 0.2, None)  # the summary's last value was not finite
    assert "diverged" in run_score(bare, None, "val_loss", False, "best", nan_end).excluded
    other_tag = KnownScore("val/acc", 0.9, 0.9)  # the summary judged another metric
    assert run_score(bare, None, "val_loss", False, "best", other_tag).value is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 5.0), min_size=2, max_size=6),
       st.lists(st.floats(0.05, 5.0), min_size=2, max_size=6),
       st.sampled_from(["val_loss", "val_acc"]))
def test_swapping_baseline_and_group_flips_the_verdict_not_the_evidence(a, b, metric):
    ga, gb = group("a", a, metric, lr=0.1), group("b", b, metric, lr=0.2)
    ab = report({"exp/a": ga, "exp/b": gb}, baseline="exp/a").comparisons[0]
    ba = report({"exp/a": ga, "exp/b": gb}, baseline="exp/b").comparisons[0]
    flip = {"better": "worse", "worse": "better", "no_difference": "no_difference",
            "cannot_tell": "cannot_tell"}
    assert ba.verdict == flip[ab.verdict]
    assert ab.improvement == pytest.approx(-ba.improvement, abs=1e-9)
    if ab.test.welch_p is not None:
        assert ab.test.welch_p == pytest.approx(ba.test.welch_p)
        assert ab.improvement_low <= ab.improvement <= ab.improvement_high
    assert ab.verdict in ("better", "worse") or "beats" not in ab.sentence
