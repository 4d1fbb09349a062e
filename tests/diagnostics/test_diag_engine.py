"""The diagnostics API: Diagnosis/Finding contract, config thresholds, select/ignore, bad data."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from curvedoc.diagnostics import LABELS, RULES, RuleConfigError, diagnose
from curvedoc.diagnostics.registry import SECTIONS
from curvedoc.diagnostics.synthetic import make_run, truth


def test_labels_are_the_six_contract_words():
    assert LABELS == ("bad_init", "lr_too_high", "decayed_too_early", "keep_training",
                      "overfitting", "underfitting")
    assert {r.label for r in RULES.values()} - {None} == set(LABELS)


def test_every_rule_has_a_stable_code_and_the_fixed_doc_sections():
    for code, rule in RULES.items():
        assert code.startswith("CD") and len(code) == 5
        positions = [rule.doc.find(s) for s in SECTIONS]
        assert all(p > 0 for p in positions) and positions == sorted(positions), code


def test_findings_carry_the_contract_fields_and_are_json_safe(curves, run_of):
    s = curves.steps
    train = curves.decay(s)
    train[150:] = np.nan
    d = diagnose(run_of({"train_loss": (s, train)}))
    for f in d.findings:
        out = f.to_dict()
        assert set(out) == {"code", "label", "severity", "confidence", "possible", "message",
                            "advice", "evidence"}
        assert out["severity"] in ("error", "warning", "info")
        assert 0 <= out["confidence"] <= 1
        assert {"tags", "start_step", "end_step"} <= set(out["evidence"])
        json.dumps(out, allow_nan=False)
    assert d.labels == sorted({f.label for f in d.findings if f.label})


def test_thresholds_are_overridable_from_config_by_name_or_code(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    vclean = np.where(vs < 800, curves.decay(vs, floor=0.3), curves.decay(800, floor=0.3)
                      * (1 + 0.12 * (vs - 800) / 1200))
    run = run_of({"train_loss": (s, curves.decay(s, floor=0.01)), "val_loss": (vs, vclean)})
    assert "overfitting" in diagnose(run).labels
    for key in ("val-loss-rises", "CD501"):
        config = {"rules": {key: {"min_rise": 0.5}}}
        assert "CD501" not in {f.code for f in diagnose(run, config).findings}


def test_unknown_threshold_in_config_is_a_clear_error(curves):
    with pytest.raises(RuleConfigError, match="min_rize"):
        diagnose(curves.healthy(), {"rules": {"val-loss-rises": {"min_rize": 0.5}}})


def test_num_classes_from_config(curves, run_of):
    s = curves.steps
    train = curves.decay(s) + 20 * np.exp(-s / 30)
    d = diagnose(run_of({"train_loss": (s, train)}), {"num_classes": 10}, select=["CD101"])
    assert d.findings
    assert d.findings[0].evidence.numbers["num_classes_source"] == "config num_classes"


def test_select_and_ignore_take_codes_prefixes_names_and_labels(curves, run_of):
    s = curves.steps
    d_all = diagnose(run_of({"train_loss": (s, curves.decay(s))}))
    assert "CD901" in {f.code for f in d_all.findings}
    assert diagnose(run_of({"train_loss": (s, curves.decay(s))}), ignore=["CD9"]).findings == []
    d = diagnose(run_of({"train_loss": (s, curves.decay(s))}), select=["no-validation"])
    assert [f.code for f in d.findings] == ["CD901"]


@pytest.mark.parametrize("values", [
    [], [1.0], [np.nan] * 5, [np.inf, 1.0, np.nan], [0.0] * 50, [-1.0, -2.0, -3.0, -4.0] * 5,
])
def test_odd_data_never_crashes(run_of, values):
    steps = np.arange(len(values))
    if len(values) == 0:
        run = run_of({"other": ([0], [1.0])})
        run.roles = {}
    else:
        run = run_of({"train_loss": (steps, values), "val_loss": (steps, values)})
    d = diagnose(run)
    assert not any(v.startswith("internal error") for v in d.skipped.values()), d.skipped


def test_run_without_any_role_is_skipped_with_a_reason(run_of):
    run = run_of({"some/metric": ([0, 1, 2], [1.0, 2.0, 3.0])})
    run.roles = {}
    d = diagnose(run)
    assert d.findings == [] and "no recognised curves" in d.skipped["*"]


def test_loss_of_any_scale_is_judged_alike():
    base = make_run("overfitting", 3, "tune", n_points=1000)
    labels = []
    for scale in (0.001, 1.0, 1000.0):
        run = make_run("overfitting", 3, "tune", n_points=1000)
        loss_tags = [run.roles[r] for r in ("train_loss", "val_loss") if r in run.roles]
        mask = run.scalars["tag"].isin(loss_tags)
        run.scalars.loc[mask, "value"] *= scale
        run.hparams.pop("num_classes", None)
        labels.append(diagnose(run).labels)
    assert labels[0] == labels[1] == labels[2] == sorted(truth(base))


def test_long_runs_are_diagnosed_quickly():
    run = make_run("keep_training", 5, "tune", n_points=100_000)
    diagnose(run)  # warm the caches
    t0 = time.process_time()
    d = diagnose(run)
    assert time.process_time() - t0 < 2.0  # generous: ~0.03 s on a laptop core
    assert d.labels == ["keep_training"]


def test_a_possible_finding_is_listed_but_adds_no_label():
    from curvedoc.diagnostics.findings import POSSIBLE_BELOW, Diagnosis, Evidence, Finding

    unsure = Finding("CD401", "keep_training", "warning", POSSIBLE_BELOW - 0.1, "m", [],
                     Evidence(tags=["val_loss"], start_step=1, end_step=9))
    sure = Finding("CD501", "overfitting", "warning", POSSIBLE_BELOW + 0.1, "m", [], Evidence())
    d = Diagnosis("r", [unsure])
    assert d.labels == [] and d.possible_labels == ["keep_training"]
    assert d.to_dict()["findings"][0]["possible"] is True
    d = Diagnosis("r", [unsure, sure])
    assert d.labels == ["overfitting"] and d.top is sure
    again = Diagnosis.from_dict(json.loads(json.dumps(d.to_dict())))
    assert again.labels == d.labels and again.findings[0].evidence.tags == ["val_loss"]


def test_the_engine_applies_each_codes_calibration(curves, run_of, monkeypatch):
    from curvedoc.diagnostics import engine

    s = curves.steps
    train = curves.decay(s)
    train[150:] = np.nan
    run = run_of({"train_loss": (s, train)})
    assert diagnose(run).labels == ["lr_too_high"]
    # a rule found right only 30% of the time: its findings become "possible"
    monkeypatch.setitem(engine.CALIBRATION, "CD201", ((0.0, 1.0), (0.3, 0.3)))
    d = diagnose(run)
    f = next(f for f in d.findings if f.code == "CD201")
    assert f.confidence == pytest.approx(0.3) and f.possible
    assert "lr_too_high" not in d.labels and d.possible_labels == ["lr_too_high"]


def test_only_a_sure_finding_takes_another_away():
    from curvedoc.diagnostics.engine import resolve_overlaps
    from curvedoc.diagnostics.findings import POSSIBLE_BELOW, Evidence, Finding

    def f(code, label, conf):
        return Finding(code, label, "warning", conf, "m", [], Evidence())

    plateau = f("CD601", "underfitting", 0.7)
    noisy = f("CD902", None, 0.8)
    # a too-high rate explains a poor plateau, and a loss that never improved explains its
    # noise, but only when that finding is sure enough to label the run
    unsure = f("CD202", "lr_too_high", POSSIBLE_BELOW - 0.05)
    assert resolve_overlaps([unsure, plateau, noisy]) == [unsure, plateau, noisy]
    sure = f("CD202", "lr_too_high", POSSIBLE_BELOW + 0.05)
    assert resolve_overlaps([sure, plateau, noisy]) == [sure]
