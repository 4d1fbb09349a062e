"""Each rule alone: a curve that must trigger it and one that must not (with neighbours)."""

from __future__ import annotations

import numpy as np

from curvedoc.diagnostics import diagnose


def codes(d):
    return {f.code for f in d.findings}


def only(run, code):
    return diagnose(run, select=[code])


def test_healthy_run_has_no_label(curves):
    d = diagnose(curves.healthy(num_classes=10))
    assert d.labels == []


# -- bad_init -----------------------------------------------------------------------------

def test_init_loss_far_above_chance_is_bad_init(curves, run_of):
    s = curves.steps
    train = curves.noisy(curves.decay(s) + 20 * np.exp(-s / 30))  # starts near 22 >> ln(10)
    run = run_of({"train_loss": (s, train)}, hparams={"num_classes": 10})
    d = only(run, "CD101")
    (f,) = d.findings
    assert f.label == "bad_init"
    assert f.evidence.numbers["num_classes"] == 10
    assert f.evidence.numbers["loss_at_init"] > 5 * np.log(10)


def test_init_loss_at_chance_is_not_bad_init(curves):
    d = only(curves.healthy(num_classes=10), "CD101")
    assert d.findings == []


def test_unknown_class_count_skips_the_chance_check_and_says_so(curves):
    d = only(curves.healthy(), "CD101")
    assert d.findings == []
    assert "unknown" in d.skipped["CD101"]


def test_class_count_inferred_from_accuracy_at_init(curves, run_of):
    s = curves.steps
    train = curves.decay(s) + 20 * np.exp(-s / 30)
    acc = 0.01 + 0.9 * (1 - np.exp(-s / 300))  # 1% at init: C = 100
    d = only(run_of({"train_loss": (s, train), "train_acc": (s, acc)}), "CD101")
    assert d.findings and d.findings[0].evidence.numbers["num_classes"] == 100


def test_hockey_stick_start_is_bad_init(curves, run_of):
    s = curves.steps
    train = curves.noisy(0.1 + 2.2 * np.exp(-np.clip(s - 500, 0, None) / 100))
    d = only(run_of({"train_loss": (s, train)}), "CD102")
    (f,) = d.findings
    assert f.label == "bad_init" and 400 <= f.evidence.numbers["knee_step"] <= 700


def test_warm_up_explains_a_flat_start(curves, run_of):
    s = curves.steps
    train = curves.noisy(0.1 + 2.2 * np.exp(-np.clip(s - 500, 0, None) / 100))
    lr = np.minimum(1.0, (s + 1) / 500) * 1e-3
    d = only(run_of({"train_loss": (s, train), "lr": (s, lr)}), "CD102")
    assert d.findings == []


def test_stuck_at_chance_with_vanishing_gradient_is_bad_init(curves, run_of):
    s = curves.steps
    loss = np.log(10) * (1 + 0.002 * curves.rng.standard_normal(len(s)))
    grad = 1e-6 * np.ones(len(s))
    grad[0] = 1.0
    d = diagnose(run_of({"train_loss": (s, loss), "grad_norm": (s, grad)},
                        hparams={"num_classes": 10}))
    assert "CD103" in codes(d)
    assert d.labels == ["bad_init"]  # not also lr_too_high or underfitting


# -- lr_too_high (neighbour: bad_init) ----------------------------------------------------

def test_nan_is_divergence(curves, run_of):
    s = curves.steps
    train = curves.decay(s)
    train[120:] = np.nan
    d = diagnose(run_of({"train_loss": (s, train)}, hparams={"num_classes": 10}))
    f = next(f for f in d.findings if f.code == "CD201")
    assert f.label == "lr_too_high" and f.evidence.numbers["first_nonfinite_step"] == int(s[120])
    assert d.labels == ["lr_too_high"]


def test_inf_and_explosion_are_divergence(curves, run_of):
    s = curves.steps
    boom = curves.decay(s) * np.exp(np.clip(s - 1200, 0, None) / 80)
    assert "CD201" in codes(only(run_of({"train_loss": (s, boom)}), "CD201"))
    inf = curves.decay(s)
    inf[-3:] = np.inf
    assert "CD201" in codes(only(run_of({"train_loss": (s, inf)}), "CD201"))


def test_high_noisy_plateau_is_lr_too_high_not_bad_init(curves, run_of):
    s = curves.steps
    train = np.log(10) * 1.1 * (1 + 0.3 * curves.rng.standard_normal(len(s)))
    grad = np.full(len(s), 30.0)
    d = diagnose(run_of({"train_loss": (s, np.abs(train)), "grad_norm": (s, grad)},
                        hparams={"num_classes": 10}))
    assert "lr_too_high" in d.labels and "bad_init" not in d.labels


def test_large_oscillation_is_lr_too_high(curves, run_of):
    s = curves.steps
    swing = 1 + 0.4 * np.sin(2 * np.pi * s / 200)  # the trend itself goes up and down
    train = np.abs(curves.noisy(curves.decay(s, floor=0.9) * swing, 0.05))
    assert "CD203" in codes(only(run_of({"train_loss": (s, train)}), "CD203"))


def test_heavy_minibatch_noise_around_a_falling_trend_is_noisy_not_lr_too_high(curves,
                                                                             run_of):
    s = np.arange(0, 20001, 10)  # a per-step log of single-batch losses
    train = np.abs(curves.noisy(curves.decay(s, floor=0.3, tau=3000), 0.45))
    d = diagnose(run_of({"train_loss": (s, train)}))
    assert "lr_too_high" not in d.labels
    assert "CD902" in {f.code for f in d.findings}


def test_ordinary_minibatch_noise_is_not_oscillation(curves, run_of):
    s = curves.steps
    train = curves.noisy(curves.decay(s), 0.08)
    assert only(run_of({"train_loss": (s, train)}), "CD2").findings == []


# -- decayed_too_early (neighbour: underfitting) ------------------------------------------

def _cut_run(curves, run_of, cut_at):
    s = curves.steps
    lr = np.where(s < cut_at, 0.1, 0.001)
    progress = np.cumsum(lr / 0.1) * 10
    clean = 0.05 + 2.25 * np.exp(-progress / 600)
    vclean = np.interp(curves.vsteps, s, clean) * 1.1 + 0.02
    return run_of({"train_loss": (s, curves.noisy(clean)),
                   "val_loss": (curves.vsteps, curves.noisy(vclean, 0.01)), "lr": (s, lr)})


def test_lr_cut_while_falling_fast_then_flat_is_decayed_too_early(curves, run_of):
    d = diagnose(_cut_run(curves, run_of, cut_at=300))
    f = next(f for f in d.findings if f.code == "CD301")
    assert f.evidence.lr_cut_step == 300
    assert d.labels == ["decayed_too_early"]  # the plateau is explained: not underfitting


def test_late_lr_cut_after_convergence_is_not_decayed_too_early(curves, run_of):
    s = curves.steps
    lr = np.where(s < 1500, 0.1, 0.01)
    run = run_of({"train_loss": (s, curves.noisy(curves.decay(s, tau=150))), "lr": (s, lr)})
    assert only(run, "CD301").findings == []


def test_poor_plateau_without_lr_cut_is_underfitting_not_decayed(curves, run_of):
    s = curves.steps
    train = curves.noisy(curves.decay(s, floor=1.4, tau=150))
    val = curves.noisy(curves.decay(curves.vsteps, floor=1.45, tau=150), 0.01)
    lr = np.full(len(s), 0.1)
    d = diagnose(run_of({"train_loss": (s, train), "val_loss": (curves.vsteps, val),
                         "lr": (s, lr)}, hparams={"num_classes": 10}))
    assert d.labels == ["underfitting"]


# -- keep_training vs underfitting ------------------------------------------------------

def test_still_improving_validation_is_keep_training_with_forecast(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    train = curves.noisy(curves.decay(s, floor=0.05, tau=1500))
    val = curves.noisy(curves.decay(vs, floor=0.08, tau=1500), 0.01)
    d = diagnose(run_of({"train_loss": (s, train), "val_loss": (vs, val)}))
    assert d.labels == ["keep_training"]
    f = d.findings[0]
    fc = f.evidence.forecast
    assert fc.steps[-1] == 4000
    assert fc.low[-1] <= fc.mean[-1] <= fc.high[-1]
    assert fc.mean[-1] < val[-1]


def test_plateau_at_poor_level_is_underfitting_not_keep_training(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    train = curves.noisy(curves.decay(s, floor=1.2, tau=200))
    val = curves.noisy(curves.decay(vs, floor=1.25, tau=200), 0.01)
    d = diagnose(run_of({"train_loss": (s, train), "val_loss": (vs, val)},
                        hparams={"num_classes": 10}))
    assert d.labels == ["underfitting"]
    assert d.findings[0].evidence.numbers["level_ratio"] > 0.4


def test_three_epoch_log_still_improving_fast_is_judged(run_of):
    epochs = [1, 2, 3]
    d = diagnose(run_of({"train_loss": (epochs, [1.2, 0.8, 0.6]),
                         "val_loss": (epochs, [1.3, 0.9, 0.7])}))
    assert d.labels == ["keep_training"]
    assert "still improving" in d.findings[0].message


def test_three_epoch_log_that_stopped_improving_is_not_keep_training(run_of):
    epochs = [1, 2, 3]
    d = diagnose(run_of({"train_loss": (epochs, [0.3, 0.2, 0.2]),
                         "val_loss": (epochs, [0.35, 0.25, 0.25])}))
    assert "keep_training" not in d.labels


def test_converged_good_plateau_is_neither(curves):
    d = diagnose(curves.healthy(), select=["keep_training", "underfitting"])
    assert d.labels == []


# -- overfitting ------------------------------------------------------------------------

def test_rising_validation_loss_is_overfitting_and_names_best_step(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    train = curves.noisy(curves.decay(s, floor=0.01, tau=300))
    vclean = np.where(vs < 700, curves.decay(vs, floor=0.3, tau=300),
                      curves.decay(700, floor=0.3, tau=300) * (1 + (vs - 700) / 2000))
    d = diagnose(run_of({"train_loss": (s, train), "val_loss": (vs, curves.noisy(vclean, 0.01))}))
    f = next(f for f in d.findings if f.code == "CD501")
    assert 500 <= f.evidence.best_step <= 900
    assert f.evidence.numbers["rise"] > 0.3
    assert str(f"{f.evidence.best_step:,}") in f.message
    assert d.labels == ["overfitting"]


def test_validation_flat_at_its_minimum_is_not_overfitting(curves):
    assert only(curves.healthy(), "overfitting").findings == []


def test_accuracy_gap_growing_is_overfitting(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    tacc = 1 - 0.9 * np.exp(-s / 300)
    vacc = np.minimum(0.1 + 0.9 * (1 - np.exp(-vs / 300)), 0.75)
    d = only(run_of({"train_acc": (s, tacc), "val_acc": (vs, vacc)}), "CD502")
    (f,) = d.findings
    assert f.label == "overfitting" and f.evidence.numbers["gap_end"] > 0.2


def _pretrained_accuracies(run_of, train_end):
    # a pre-trained model fits its training set from the first epochs: the gap to a
    # validation accuracy flat at 0.85 is as wide early as at the end
    e = np.arange(0, 48)
    tacc = train_end - (train_end - 0.97) * np.exp(-e / 4)
    vacc = 0.85 - 0.04 * np.exp(-e / 4) + 0.006 * np.sin(e)
    return only(run_of({"train_acc": (e, tacc), "val_acc": (e, vacc)}), "CD502")


def test_a_training_set_fitted_beside_a_stalled_validation_accuracy_overfits(run_of):
    (f,) = _pretrained_accuracies(run_of, 0.998).findings
    assert f.label == "overfitting"


def test_a_wide_gap_that_never_grew_short_of_a_fitted_training_set_is_quiet(run_of):
    assert _pretrained_accuracies(run_of, 0.975).findings == []


def test_a_fitted_training_set_beside_a_validation_closing_the_gap_is_quiet(run_of):
    # a harder evaluation set (another domain) climbs from 0.70 to 0.83 while training
    # goes 0.96 -> 0.993: the gap shrank from 0.2 to 0.16; validation kept up, never fell
    # behind, so nothing pulled away from it
    e = np.arange(1, 26)
    tacc = 0.993 - 0.033 * np.exp(-(e - 1) / 6)
    vacc = np.minimum(0.70 + 0.13 * (e - 1) / 16, 0.83) + 0.004 * np.sin(2.3 * e)
    assert only(run_of({"train_acc": (e, tacc), "val_acc": (e, vacc)}), "CD502").findings == []


# -- extra findings ----------------------------------------------------------------------

def test_no_validation_says_overfitting_cannot_be_judged(curves, run_of):
    s = curves.steps
    d = diagnose(run_of({"train_loss": (s, curves.noisy(curves.decay(s)))}))
    f = next(f for f in d.findings if f.code == "CD901")
    assert f.label is None and "overfitting cannot be judged" in f.message


def test_noisy_curve_is_reported_without_a_label(curves, run_of):
    s = curves.steps
    train = np.abs(curves.noisy(curves.decay(s, floor=0.02, start=2.3), 0.02))
    train[len(s) // 2:] *= 1 + 0.35 * curves.rng.standard_normal(len(s) - len(s) // 2)
    d = only(run_of({"train_loss": (s, np.abs(train))}), "CD902")
    assert d.findings and d.findings[0].label is None


def test_validation_better_than_training_is_reported(curves, run_of):
    s, vs = curves.steps, curves.vsteps
    d = only(run_of({"train_loss": (s, curves.decay(s)),
                     "val_loss": (vs, 0.7 * curves.decay(vs))}), "CD903")
    assert d.findings and d.findings[0].evidence.numbers["share"] >= 0.8


def test_restart_with_overlapping_steps_is_reported(curves, run_of):
    s = np.concatenate([np.arange(0, 1000, 10), np.arange(800, 2000, 10)])
    d = only(run_of({"train_loss": (s, curves.decay(s))}), "CD904")
    (f,) = d.findings
    assert f.evidence.start_step == 800 and f.evidence.numbers["repeated_steps"] >= 2
    clean = curves.steps
    assert only(run_of({"train_loss": (clean, curves.decay(clean))}), "CD904").findings == []


def test_several_rows_per_step_are_no_restart(curves, run_of):
    # ``Epoch [3/10], Step [200/600], Loss: ...``: per-batch values at their epoch's index
    epochs = np.repeat(np.arange(1, 11), 6)
    loss = 2.0 * np.exp(-0.05 * np.arange(len(epochs)))
    assert only(run_of({"train_loss": (epochs, loss)}), "CD904").findings == []


def test_lr_range_test_is_recognised_with_a_suggestion(run_of):
    s = np.arange(0, 300)
    lr = 1e-6 * 10 ** (s / 50)  # 6 decades
    log_lr = np.log10(lr)
    loss = 2.3 - 2.0 / (1 + np.exp(-(log_lr + 3.5) * 3)) + np.exp(np.clip(log_lr + 1, 0, None))
    d = diagnose(run_of({"train_loss": (s, loss), "lr": (s, lr)}))
    f = next(f for f in d.findings if f.code == "CD905")
    assert 1e-5 < f.evidence.numbers["suggested_lr"] < 1e-2
    assert d.labels == []  # a range test is not a training run: its explosion is not a label


def test_restart_reported_by_the_reader_is_a_finding_with_its_span(curves, run_of):
    s = curves.steps
    warning = ("events.2 re-logs steps 800–1000 that events.1 had (a restart); "
               "the later values are kept")
    d = only(run_of({"train_loss": (s, curves.decay(s))}, warnings=[warning]), "CD904")
    (f,) = d.findings
    assert (f.evidence.start_step, f.evidence.end_step) == (800, 1000)
    assert "restart" in f.message


def _one_validation_spike(run_of, spike):
    # a Keras fine-tune, 10 epochs: training falls smoothly from 1.1; validation sits near
    # 0.35 but for epochs 6-7, at ``spike``, and comes back down after them
    e = np.arange(10)
    train = 0.12 + 1.0 * np.exp(-e / 2.5)
    val = np.array([0.72, 0.5, 0.4, 0.52, 0.33, 0.45, spike * 0.7, spike, 1.7, 1.2])
    return only(run_of({"loss": (e, train), "val_loss": (e, val)}), "CD207")


def test_one_validation_spike_far_above_where_the_run_began_is_lr_too_high(run_of):
    (f,) = _one_validation_spike(run_of, 7.2).findings
    assert f.label == "lr_too_high" and "spiked once" in f.message and "7.2" in f.message


def test_one_spike_below_where_training_began_is_not(run_of):
    # 22x the best and 3x the first evaluation, but below the training loss's start: a
    # loss near its floor jumping on one hard example
    e = np.arange(0, 320, 10)
    train = 0.02 + 1.15 * np.exp(-e / 15)
    val = np.r_[0.036, 0.068, 0.0049, 0.033, 0.123, np.linspace(0.027, 0.033, 27)]
    assert only(run_of({"loss": (e, train), "val_loss": (e, val)}), "CD207").findings == []
