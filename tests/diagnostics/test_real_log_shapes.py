"""The shapes real training logs have and our own curves lacked: one test per kind of
mistake the rules made on other people's logs. Every curve is built here, with the tags
and logging habits of real trainers; roles are inferred from the tags as for a real run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from curvedoc.dashboard import tables
from curvedoc.diagnostics import diagnose
from curvedoc.diagnostics.curves import Curves
from curvedoc.diagnostics.stats import strong_trend
from curvedoc.ingest.cache import summaries

# the case files' builders, one copy for both (runs with real tags, roles inferred)
sys.path.insert(0, str(Path(__file__).parent / "cases"))
from _build import falling
from _build import run as tagged_run


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def epochs(n, start=1):
    return np.arange(start, start + n)



# 1. validation spelled every way is found; several evaluation sets are each judged -----

@pytest.mark.parametrize("val_tag", ["Validation loss (avg over batches)", "loss/val",
                                     "Loss/Validation", "val_loss_epoch", "valLoss",
                                     "dev/loss"])
def test_overfitting_is_found_under_any_spelling_of_validation(val_tag, rng):
    e = epochs(40)
    train = falling(e, 2.0, 0.05, 8) * (1 + 0.02 * rng.standard_normal(40))
    val = np.where(e < 12, falling(e, 2.1, 0.6, 4), 0.6 + 0.04 * (e - 12))
    d = diagnose(tagged_run({"train_loss": (e, train), val_tag: (e, val)}))
    assert "overfitting" in d.labels


def test_every_evaluation_set_is_judged_and_named(rng):
    s = np.arange(0, 4001, 50)
    vs = np.arange(200, 4001, 200)
    train = falling(s, 2.0, 0.05, 600)
    fine = falling(vs, 2.1, 0.5, 500) * (1 + 0.01 * rng.standard_normal(len(vs)))
    rising = np.where(vs < 1200, falling(vs, 2.1, 0.5, 300), 0.5 + 0.0004 * (vs - 1200))
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, fine),
                             "eval_g1_loss": (vs, rising)}))
    assert "overfitting" in d.labels
    over = [f for f in d.findings if f.label == "overfitting"]
    assert over and all("g1" in f.message and f.evidence.metric == "eval_g1_loss"
                        for f in over)


# 2. per-step noise beside a per-epoch series is judged on the epoch series --------------

def test_lightning_step_noise_beside_an_epoch_series_is_not_lr_too_high(rng):
    steps = np.arange(49, 12000, 50)
    step_loss = np.abs(falling(steps, 0.69, 0.25, 3000) * (1 + 0.4 * rng.standard_normal(
        len(steps))))
    e_steps = np.arange(999, 12000, 1000)
    epoch_loss = falling(e_steps, 0.6, 0.25, 3000)
    val = falling(e_steps, 0.55, 0.28, 3000) * (1 + 0.01 * rng.standard_normal(len(e_steps)))
    run = tagged_run({"train_loss_step": (steps, step_loss),
                      "train_loss_epoch": (e_steps, epoch_loss), "val_loss": (e_steps, val)})
    c = Curves.of(run)
    assert c.get("train_loss").tag == "train_loss_epoch"  # trends on the epoch series
    assert c.get("train_loss").fine.tag == "train_loss_step"
    assert "lr_too_high" not in diagnose(run).labels


def _saturated_regression(rng, val_noise):
    # a linear model on a noisy regression: it reaches its optimum within the first log
    # interval, so the per-step loss "never improves" and bounces with minibatch noise,
    # and the per-step gradient norm never vanishes
    s = np.arange(0, 1200, 2)
    train = 0.48 * (1 + 0.15 * rng.standard_normal(len(s)))
    grad = 0.8 * (1 + 0.3 * np.abs(rng.standard_normal(len(s))))
    vs = np.arange(59, 1200, 60)
    val = (0.475 + 0.03 * np.exp(-vs / 100)) * (1 + val_noise * rng.standard_normal(len(vs)))
    return tagged_run({"train_loss": (s, train), "grad_norm": (s, grad),
                       "eval_loss": (vs, val)})


def test_minibatch_noise_beside_a_validation_loss_settled_at_its_best_is_not_lr_too_high(rng):
    assert "lr_too_high" not in diagnose(_saturated_regression(rng, 0.002)).labels


def test_a_bouncing_plateau_whose_validation_bounces_too_is_lr_too_high(rng):
    assert "lr_too_high" in diagnose(_saturated_regression(rng, 0.15)).labels


def test_a_burst_of_noisy_minibatches_the_epoch_means_do_not_share_is_no_divergence(rng):
    # batch 16 on a small set: per-step losses swing from 0.03 to 0.7 around a floor of
    # 0.05, and a few noisy logged minibatches in a row reach 0.35; the epoch means stay
    # flat at 0.15
    steps = np.arange(10, 850, 10)
    step_loss = (0.05 + 0.55 * np.exp(-steps / 60)) * np.exp(0.6 * rng.standard_normal(
        len(steps)))
    step_loss[20:25] = [0.36, 0.33, 0.4, 0.35, 0.3]
    e_steps = np.arange(65, 850, 65)
    epoch_loss = 0.15 + 0.3 * np.exp(-e_steps / 100)
    run = tagged_run({"train_loss_step": (steps, step_loss),
                      "train_loss_epoch": (e_steps, epoch_loss),
                      "val_loss": (e_steps, epoch_loss + 0.01)})
    assert "lr_too_high" not in diagnose(run).labels


def test_an_explosion_the_epoch_means_show_too_is_divergence():
    steps = np.arange(10, 850, 10)
    step_loss = np.where(steps < 400, 0.6 * np.exp(-steps / 100), 2.0)
    e_steps = np.arange(65, 850, 65)
    epoch_loss = np.where(e_steps < 400, 0.6 * np.exp(-e_steps / 100), 1.9)
    run = tagged_run({"train_loss_step": (steps, step_loss),
                      "train_loss_epoch": (e_steps, epoch_loss)})
    assert "lr_too_high" in diagnose(run).labels


def test_a_nan_in_the_step_series_alone_is_still_divergence(rng):
    steps = np.arange(0, 5000, 10)
    step_loss = falling(steps, 2.3, 0.3, 800)
    step_loss[300:] = np.nan
    e_steps = np.arange(499, 5000, 500)
    epoch_loss = falling(e_steps, 1.5, 0.3, 800)
    d = diagnose(tagged_run({"train_loss_step": (steps, step_loss),
                             "train_loss_epoch": (e_steps, epoch_loss)}))
    assert "lr_too_high" in d.labels


def test_non_finite_epochs_the_run_went_on_from_are_no_divergence():
    # Ultralytics under mixed precision: one batch overflowed in epoch 5, so that epoch's
    # mean box loss is inf, and the first validations overflowed too (inf, NaN); every
    # other epoch is finite and falling
    e = np.arange(1, 32)
    box = falling(e, 1.6, 0.9, 8)
    box[4] = np.inf
    val = falling(e, 1.5, 1.0, 8)
    val[:3] = [np.inf, np.nan, np.inf]
    logs = {"train/box_loss": (e, box), "val/box_loss": (e, val)}
    assert "lr_too_high" not in diagnose(tagged_run(logs)).labels
    box[25:] = np.nan  # ...but weights gone bad leave every later value NaN
    assert "lr_too_high" in diagnose(tagged_run(logs)).labels


def test_a_huge_init_working_down_through_noisy_minibatches_is_not_lr_too_high(rng):
    # 3 classes, weights drawn far too wide: the minibatch loss starts near 60 and bounces
    # by a third of its level on its way down to 2.6 (2.4x ln 3) at the end; validation,
    # 13 evaluations, falls 10-15% at each of its last four: still working its way down
    s = np.arange(1, 321)
    level = 1.1 + 55 * np.exp(-s / 70)
    train = level * np.exp(0.3 * rng.standard_normal(len(s)))
    vs = np.arange(24, 321, 24)
    val = 1.1 + 45 * np.exp(-vs / 75)
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)},
                            hparams={"num_classes": 3}))
    assert "lr_too_high" not in d.labels, [f.message for f in d.findings]


def test_a_bouncing_minibatch_loss_beside_a_validation_loss_that_never_moved_is_no_high_rate():
    # a pose model on four images, 10 epochs, the rate warmed up to 5e-5: the training loss
    # bounces between 2.4 and 4.2 from batch to batch, never better than its start, while
    # the validation loss moves 0.3% in all: the weights barely change (a too-high rate
    # would throw them, and validation with them): it never learned
    e = epochs(10)
    train = np.array([2.37, 3.26, 3.43, 3.17, 2.68, 4.2, 3.26, 3.2, 3.67, 3.55])
    val = 3.362 + 0.001 * np.arange(10)
    d = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val)}))
    assert "lr_too_high" not in d.labels and "underfitting" in d.labels


def _spiky(rng, width):
    # batch size 8: a per-step loss falling to 0.1, with a few batches each far above the
    # trend; an overshoot keeps the loss up while the weights recover (width 3), a hard
    # minibatch is one point (width 1)
    s = np.arange(0, 1400)
    train = falling(s, 0.7, 0.1, 150) * (1 + 0.1 * rng.standard_normal(len(s)))
    for at in (760, 900, 1050, 1200, 1330):
        train[at:at + width] += 0.5
    return tagged_run({"loss": (s, train)})


def test_lone_hard_minibatches_far_above_the_trend_are_not_lr_too_high(rng):
    assert "lr_too_high" not in diagnose(_spiky(rng, 1)).labels


def test_spikes_that_stay_up_while_the_weights_recover_are_lr_too_high(rng):
    d = diagnose(_spiky(rng, 3))
    assert "lr_too_high" in d.labels
    assert any(f.code == "CD203" and "spiked" in f.message for f in d.findings)


def test_heavy_tailed_minibatch_losses_near_a_low_level_are_no_explosion(rng):
    # a minibatch loss logged every 50 steps, from a low start: single batches range from
    # 0.005 to 0.3 around a level of 0.04, so a rolling median dips and climbs 20-fold
    s = np.arange(49, 11700, 50)
    level = 0.04 + 0.08 * np.exp(-s / 800)
    train = level * np.exp(1.1 * rng.standard_normal(len(s)))
    vs = np.arange(899, 11700, 900)
    val = 0.11 * (1 + 0.1 * rng.standard_normal(len(vs)))
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)}))
    assert "lr_too_high" not in d.labels


def test_spikes_above_a_floor_near_zero_are_not_divergence(rng):
    s = np.arange(0, 6000, 1)
    train = falling(s, 1.8, 1e-4, 60)
    train[rng.choice(np.arange(1000, 6000), 40, replace=False)] = 0.02
    assert "lr_too_high" not in diagnose(tagged_run({"train_loss": (s, train)})).labels


def test_minibatch_spikes_beside_an_epoch_mean_that_began_above_them_are_no_overshoot(rng):
    # Lightning at Adam lr=0.1 on an easy task: train_loss_step is first logged at step 5,
    # already 0.02 (the first epoch's mean is 0.18), then heavy-tailed minibatches from
    # 1e-8 to 0.4 on a floor near zero; validation sits near 0.01 throughout
    s = np.arange(5, 430, 5)
    step_loss = 10 ** rng.uniform(-8, -1.5, len(s))
    step_loss[0], step_loss[15] = 0.0198, 0.385
    e = np.arange(17, 430, 17)
    epoch_loss = np.r_[0.18, 0.03 * np.exp(-np.arange(1, len(e)) / 5) + 0.005]
    val = 0.0117 * (1 + 0.05 * rng.standard_normal(len(e)))
    d = diagnose(tagged_run({"train_loss_step": (s, step_loss), "train_loss_epoch": (e, epoch_loss),
                             "val_loss": (e, val)}))
    assert not any(f.code == "CD201" for f in d.findings)


def test_a_per_iteration_loss_gone_nan_beside_an_evaluation_estimate_is_divergence(rng):
    # nanoGPT: 'step N: train loss X, val loss Y' every 100 iterations (the role tags), and
    # 'iter N: loss X' every 5, which turns NaN at iteration 425 and stays so
    it = np.arange(0, 455, 5)
    loss = 3.4 + 0.9 * np.exp(-it / 20) + 0.05 * rng.standard_normal(len(it))
    loss[it >= 425] = np.nan
    ev = np.arange(0, 401, 100)
    d = diagnose(tagged_run({"loss": (it, loss), "train loss": (ev, 3.4 + 0.8 * np.exp(-ev / 20)),
                             "val loss": (ev, 3.45 + 0.8 * np.exp(-ev / 20))}))
    assert "lr_too_high" in d.labels
    assert any(f.code == "CD201" and "'loss' became NaN at step 425" in f.message
               for f in d.findings)


def test_a_burst_on_a_floor_reached_within_three_points_is_not_divergence(rng):
    # an HF trainer on an easy task at a high rate: the loss logged every 5 steps falls
    # from 0.9 to 1e-4 in three points, then a burst of minibatches at 100x that floor,
    # still 2% of where the run began, before it settles again
    s = np.arange(5, 430, 5)
    train = 1e-4 * np.exp(0.5 * rng.standard_normal(len(s)))
    train[:3] = [0.9, 0.03, 0.005]
    train[8:20] = 0.02 * np.exp(0.5 * rng.standard_normal(12))
    vs = np.arange(30, 430, 30)
    val = 5e-5 + 1e-3 * np.exp(-vs / 30)
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, val)}))
    assert not any(f.code == "CD201" for f in d.findings)


def test_four_decades_back_up_from_the_floor_is_divergence_whatever_the_start(rng):
    # a regression on raw targets (Lightning, a row per step): the loss starts near 1e8,
    # is down to 5 by step 5, then goes back to 1e6 for six steps: a hundredth of where
    # it began, and five decades above its floor
    s = np.arange(45)
    train = 5 * np.exp(0.4 * rng.standard_normal(45))
    train[:5] = [8e7, 1e8, 3e7, 3e5, 4e6]
    train[25:31] = 1e6 * np.exp(0.5 * rng.standard_normal(6))
    d = diagnose(tagged_run({"loss": (s, train)}))
    assert any(f.code == "CD201" and "exploded" in f.message for f in d.findings)
    # a loss memorising its way to 1e-9 and drifting back to 1e-4 rose five decades from
    # its floor, but not far above where it spent its run: no explosion
    s = np.arange(600)
    train = 10.0 ** np.where(s < 400, -9 * s / 400, -9 + 5 * (s - 400) / 200)
    vs = np.arange(0, 600, 28)
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, np.full(len(vs), 1.0))}))
    assert not any(f.code == "CD201" for f in d.findings)


# 3. the chance loss is known only when C is ------------------------------------------------

def keras_table(n, loss0, acc0):
    """A Keras CSVLogger run: one row per epoch from epoch 0, each an epoch average."""
    e = epochs(n, 0)
    return {"loss": (e, falling(e, loss0, 0.3 * loss0, 5)),
            "val_loss": (e, falling(e, loss0 * 0.9, 0.35 * loss0, 5)),
            "accuracy": (e, 1 - falling(e, 1 - acc0, 0.1, 5)),
            "val_accuracy": (e, 1 - falling(e, 1 - acc0, 0.15, 5))}


def test_an_accuracy_after_the_first_epoch_gives_no_class_count():
    # a 100-class problem: after one epoch the accuracy is already 0.45, not 1/C
    run = tagged_run(keras_table(30, 3.9, 0.45))
    c = Curves.of(run)
    assert c.num_classes[0] is None
    d = diagnose(run)
    # (a loss of 3.9 is judged against no guessed ln(C); CD101 only against ln(10,000))
    assert "bad_init" not in d.labels and "chance loss ln(C) unknown" in d.skipped["CD103"]


def test_the_class_count_comes_from_nested_hparams_or_per_class_tags():
    e = epochs(20, 0)
    run = tagged_run(keras_table(20, 3.0, 0.2), hparams={"model": {"num_classes": 100}})
    assert Curves.of(run).num_classes[0] == 100
    per_class = {f"class_{i}_acc": (e, np.full(20, 0.5)) for i in range(4)}
    run = tagged_run({**keras_table(20, 3.0, 0.2), **per_class})
    assert Curves.of(run).num_classes[0] == 4


def _classifier_of_unknown_class_count(scale):
    # a Hugging Face log: the loss every step from step 1, eval_loss and eval_accuracy
    # every 28 steps, no num_classes anywhere; the training loss is ``scale`` times a
    # per-example mean (1: a mean, like validation's; 64: summed over the batch)
    s = np.arange(1, 401)
    train = scale * (0.2 + 22 * np.exp(-s / 25))
    vs = np.arange(28, 401, 28)
    return tagged_run({"loss": (s, train), "eval_loss": (vs, 0.2 + 3 * np.exp(-vs / 60)),
                       "eval_accuracy": (vs, 0.95 - 0.6 * np.exp(-vs / 60))})


def test_a_classifier_starting_above_the_chance_loss_of_any_class_count_is_bad_init():
    # 22.4 at step 1: more than twice ln(10,000), the chance loss of nearly any classifier
    d = diagnose(_classifier_of_unknown_class_count(1))
    f = next(f for f in d.findings if f.code == "CD101")
    assert f.label == "bad_init" and "whatever the class count" in f.message


def test_a_loss_summed_over_the_batch_is_no_evidence_of_a_bad_init():
    d = diagnose(_classifier_of_unknown_class_count(64))
    assert "CD101" not in {f.code for f in d.findings} and "CD101" in d.skipped


def test_an_epoch_average_is_no_loss_at_init_unless_far_above_chance():
    # the first epoch's mean loss is 1.9x ln(10): no evidence about the init
    run = tagged_run(keras_table(20, 1.9 * np.log(10), 0.3), hparams={"num_classes": 10})
    assert "bad_init" not in diagnose(run).labels
    # 8x ln(4) averaged over the first epoch: the loss at init was higher still
    run = tagged_run(keras_table(20, 8 * np.log(4), 0.3), hparams={"num_classes": 4})
    d = diagnose(run)
    assert "bad_init" in d.labels
    assert "average" in next(f for f in d.findings if f.code == "CD101").message


def test_a_loss_before_any_update_far_above_chance_is_bad_init():
    s = np.arange(0, 2000, 10)
    run = tagged_run({"train/loss": (s, falling(s, 5 * np.log(10), 0.2, 100))},
                     hparams={"num_classes": 10})
    assert "bad_init" in diagnose(run).labels


def test_a_loss_sitting_at_ln_c_of_a_round_c_throughout_says_c(rng):
    # Lightning logged six training losses over one epoch of a 10-class model, every one
    # 2.30 = ln(10): a network that never left uniform predictions, no hparams needed
    s = np.arange(49, 300, 50)
    loss = np.log(10) * (1 + 0.002 * rng.standard_normal(6))
    d = diagnose(tagged_run({"train_loss": (s, loss)}))
    assert "bad_init" in d.labels and "ln(10)" in d.findings[0].message
    # a binary classifier stuck at ln(2) the same way
    e = epochs(30)
    run = tagged_run({"loss": (e, np.log(2) * (1 + 0.001 * rng.standard_normal(30))),
                      "val_loss": (e, np.log(2) * (1 + 0.001 * rng.standard_normal(30)))})
    assert Curves.of(run).num_classes[0] == 2
    # a loss at 2.2 (5% below ln(10)), or one that fell to ln(10), says nothing of C
    assert Curves.of(tagged_run({"train_loss": (s, np.full(6, 2.2))})).num_classes[0] is None
    falls = tagged_run({"train_loss": (e, falling(e, 4.0, np.log(10), 3))})
    assert Curves.of(falls).num_classes[0] is None


# 4. overfitting as a widening gap, on few and on noisy validation points ----------------

def test_a_widening_gap_on_seven_validation_points_is_overfitting():
    e = np.arange(1, 8) * 690
    train = np.array([1.57, 0.87, 0.71, 0.63, 0.57, 0.53, 0.50])
    val = np.array([1.07, 0.91, 0.87, 0.72, 0.78, 0.75, 0.79])
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val)}))
    assert d.labels == ["overfitting"]
    assert any(f.evidence.best_step == e[3] for f in d.findings if f.label == "overfitting")


def test_the_best_step_is_the_lowest_evaluation_not_the_first_of_a_smoothed_flat():
    # a fine-tune evaluated each of 10 epochs: validation is best at epoch 3, then climbs
    # back 14% while training keeps falling; a rolling median is flat over epochs 1-5
    e = np.arange(1, 11) * 1035
    val = np.array([1.50, 1.38, 1.32, 1.38, 1.35, 1.42, 1.45, 1.47, 1.52, 1.50])
    s = np.arange(1, 21) * 500
    train = np.linspace(1.5, 1.16, 20)
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (e, val)}))
    assert "overfitting" in d.labels
    assert {f.evidence.best_step for f in d.findings if f.label == "overfitting"} == {e[2]}


def _three_epoch_fine_tune(val_acc):
    # a BERT fine-tune evaluated after each of 3 epochs: validation loss flat, then up 12%
    # at the last while training keeps falling
    e = np.array([1, 2, 3]) * 14146
    return diagnose(tagged_run({"loss": (e, np.array([0.83, 0.72, 0.62])),
                                "eval_loss": (e, np.array([0.808, 0.807, 0.902])),
                                "eval_accuracy": (e, np.array(val_acc))}))


def test_a_rise_at_the_last_of_three_evaluations_with_accuracy_falling_is_overfitting():
    assert "overfitting" in _three_epoch_fine_tune([0.681, 0.682, 0.673]).labels


def test_a_rise_at_the_last_of_three_evaluations_with_accuracy_rising_is_not():
    assert "overfitting" not in _three_epoch_fine_tune([0.681, 0.682, 0.69]).labels


def test_eight_evaluations_are_judged_as_logged_not_under_a_rolling_median():
    # the best evaluation is the fifth (0.221); the last is 19% above it, and validation
    # accuracy fell with it
    e = epochs(8)
    val = np.array([0.47, 0.25, 0.235, 0.228, 0.221, 0.240, 0.229, 0.262])
    train = np.array([0.62, 0.38, 0.21, 0.15, 0.11, 0.097, 0.094, 0.09])
    acc = np.array([0.85, 0.89, 0.91, 0.93, 0.927, 0.933, 0.94, 0.913])
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val), "val_accuracy": (e, acc)}))
    assert "overfitting" in d.labels
    assert {f.evidence.best_step for f in d.findings if f.code == "CD501"} == {5}


def test_a_widening_gap_under_noisy_validation_is_overfitting(rng):
    e = epochs(300)
    train = falling(e, 1.4, 0.1, 60) * (1 + 0.03 * rng.standard_normal(300))
    val = np.where(e < 60, falling(e, 1.4, 0.65, 20), 0.65)
    val = val * np.exp(0.35 * rng.standard_normal(300))  # heavy, skewed noise
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "overfitting" in d.labels and "keep_training" not in d.labels


def _never_improving_validation(rng, climbs_back):
    # a 20-epoch fine-tune: validation noisy, drifting up from its first evaluation at
    # 2.85; training falls 2.2 -> 1.6 smoothly, or falls and climbs back (an unstable rate)
    e = epochs(20)
    train = 2.2 - 0.6 * (e - 1) / 19
    if climbs_back:
        train = np.where(e < 10, 2.2 - 0.12 * (e - 1), 1.12 + 0.12 * (e - 10))
    val = 2.85 * (1 + 0.003 * (e - 1)) * (1 + 0.02 * rng.standard_normal(20))
    return diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))


def test_validation_that_never_improves_beside_a_falling_training_loss_is_overfitting(rng):
    d = _never_improving_validation(rng, climbs_back=False)
    assert d.labels == ["overfitting"]
    assert any("never improved" in f.message for f in d.findings if f.code == "CD503")


def test_validation_that_never_improves_beside_a_training_loss_climbing_back_is_no_gap(rng):
    d = _never_improving_validation(rng, climbs_back=True)
    assert not any(f.code == "CD503" for f in d.findings)


def test_training_loss_heading_to_zero_under_a_flat_validation_is_overfitting():
    # validation flat at 0.1 from epoch 10; training falls from 2e-3 to 2e-5: the gap is
    # 98% of the validation loss at the best step and can hardly grow as a share, but
    # validation over training grew 100x
    e = epochs(60)
    val = np.where(e < 10, falling(e, 1.5, 0.1, 2), 0.1)
    train = np.where(e < 10, falling(e, 1.4, 0.002, 2), 0.002 * np.exp(-(e - 10) / 11))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert d.labels == ["overfitting"]


def test_validation_that_rose_fast_then_levelled_off_above_its_best_is_overfitting(rng):
    # 77 training samples, a big network: validation is best at epoch 6 (0.54), climbs to
    # 0.74 by epoch 50 and eases back to 0.69, far above its best, while training goes to
    # zero; over its plateau the rise has no upward trend, but it stayed up
    e = epochs(240)
    train = 1.4 * np.exp(-e / 8) + 1e-6
    val = np.where(e <= 6, 0.54 + 0.4 * np.exp(-(e - 1)), 0.54 + 0.2 * (1 - np.exp(-(e - 6) / 12))
                   - 0.05 * np.clip((e - 60) / 180, 0, 1))
    val = val * (1 + 0.01 * rng.standard_normal(240))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "overfitting" in d.labels


def test_a_low_draw_on_a_validation_loss_bouncing_by_a_fifth_is_no_best_to_rise_from():
    # YOLO pose, 85 epochs: the validation box loss levels off near 0.7 by epoch 35 and
    # bounces by a fifth of that; low epochs near 0.55 are a draw, not a minimum the
    # rest rose from (the same 28 epochs after it sit where the 28 before it did)
    e, rng = epochs(85), np.random.default_rng(2)
    train = falling(e, 1.76, 0.59, 25) * (1 + 0.03 * rng.standard_normal(85))
    val = falling(e, 2.7, 0.62, 4) + 0.15 * np.abs(rng.standard_normal(85))
    val[55:59] = [0.6, 0.548, 0.573, 0.6]
    d = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val)}))
    assert "overfitting" not in d.labels


def test_a_converged_run_with_a_tiny_gap_is_healthy(rng):
    s = np.arange(0, 600, 5)
    train = falling(s, 2.3, 0.01, 40) * (1 + 0.05 * rng.standard_normal(len(s)))
    val = falling(s, 2.3, 0.026, 40) * (1 + 0.01 * rng.standard_normal(len(s)))
    d = diagnose(tagged_run({"train/loss": (s, train), "val/loss": (s, val)},
                            hparams={"num_classes": 10}))
    assert d.labels == []



def test_a_moderate_gap_under_a_flat_validation_is_healthy(rng):
    # two classes; validation flattens at 0.157 while training creeps on 12% lower: the gap
    # grows from 19% to 30% of validation, what a well-regularised run ends with
    e = epochs(80)
    val = (0.155 + 0.6 * np.exp(-e / 4) + 0.00008 * e) * (1 + 0.01 * rng.standard_normal(80))
    train = 0.109 + 0.6 * np.exp(-e / 4) + 0.06 * np.exp(-e / 25)
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)},
                            hparams={"num_classes": 2}))
    assert d.labels == []


def test_a_regression_that_levels_off_after_its_first_epochs_is_healthy(rng):
    # a Keras-style log, one row per epoch, no classes: the MSE's first epoch mean (0.77)
    # is the nearest there is to its value at init; it settles at 0.45, as a noisy task
    # allows, with validation beside it: no sign of a poor plateau
    e = epochs(40, start=0)
    train = (0.45 + 0.55 * np.exp(-(e + 0.6) / 1.2)) * (1 + 0.015 * rng.standard_normal(40))
    val = (0.44 + 0.4 * np.exp(-(e + 0.3) / 1.1)) * (1 + 0.005 * rng.standard_normal(40))
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))
    assert "underfitting" not in d.labels


def test_a_loss_that_falls_from_a_huge_start_only_to_chance_is_a_poor_plateau():
    # 8 classes, the output bias set far too high: logged from step 5 on (not the init),
    # the loss falls from 10x ln(8) to ln(8) and sits there for the rest of the run,
    # validation beside it; a tenth of its start, but nothing learned: judged against
    # chance, not against the init's start
    s = np.arange(5, 400, 5)
    chance = np.log(8)
    train = chance + 18 * np.exp(-s / 40) + 0.002 * np.cos(s)
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (s, train - 0.02)},
                            hparams={"num_classes": 8}))
    assert "underfitting" in d.labels


def _autoencoder_losses(rng, wobble):
    # a reconstruction loss logged after every epoch (Lightning steps 155, 310, ...),
    # no classes, validation on other data sitting 35% above training
    s = np.arange(155, 155 * 38, 155)
    train = 0.882 - 0.00007 * np.arange(len(s)) + wobble * rng.standard_normal(len(s))
    val = 1.2 - 0.0001 * np.arange(len(s)) + wobble * rng.standard_normal(len(s))
    return diagnose(tagged_run({"train_loss": (s, train), "val_loss": (s, val)}))


def test_a_loss_that_never_moved_from_its_first_epoch_is_a_poor_plateau(rng):
    # 37 epochs within 0.3% of the first: the weights barely change (minibatch noise
    # alone moves a loss more); the validation gap is the other data's, no excuse
    d = _autoencoder_losses(rng, 0.0)
    assert "underfitting" in d.labels
    assert "never 1% away from its first point" in d.findings[0].message


def test_a_loss_settled_at_its_floor_under_minibatch_noise_is_not(rng):
    assert "underfitting" not in _autoencoder_losses(rng, 0.012).labels


def test_a_loss_that_fell_90_percent_in_its_first_interval_then_settled_is_healthy(rng):
    # logged every 10 steps: the first point is the loss at init, the second already at
    # the floor; from there minibatch noise wobbles around 0.003. The start is that first
    # point, not the median of the first three (which sits on the floor already), so
    # this run improved ~90%: no plateau 'at its start', no loss that 'never improved'
    s = np.arange(0, 570, 10)
    train = np.where(s == 0, 0.029, 0.0033 * np.exp(0.3 * rng.standard_normal(len(s))))
    vs = np.arange(0, 570, 45)
    val = np.where(vs == 0, 0.0385, 0.0044 * (1 + 0.02 * rng.standard_normal(len(vs))))
    d = diagnose(tagged_run({"train/loss": (s, train), "val/loss": (vs, val)}))
    assert d.labels == []

def test_a_training_loss_that_drops_when_mosaic_is_switched_off_opens_no_gap(rng):
    # YOLOv8 detection, 50 epochs, close_mosaic: 10 in its args.yaml: the box loss falls
    # steadily, then drops 20% at epoch 41 when mosaic augmentation stops; the validation
    # loss (never augmented) has flattened. Below the drop lies the switch, not a gap
    e = epochs(50)
    train = np.where(e <= 40, 1.3 - 0.0135 * e, 0.60 - 0.011 * (e - 41))
    train = train * (1 + 0.01 * rng.standard_normal(50))
    val = (0.85 + 0.45 * np.exp(-e / 9)) * (1 + 0.01 * rng.standard_normal(50))
    tags = {"train/box_loss": (e, train), "val/box_loss": (e, val),
            "metrics/mAP50(B)": (e, 0.77 * (1 - np.exp(-e / 8)))}
    hparams = {"task": "detect", "epochs": 50, "close_mosaic": 10, "mosaic": 1.0}
    assert "overfitting" not in diagnose(tagged_run(tags, hparams=hparams)).labels
    # where the settings don't say so, the drop is the training loss's own
    assert "overfitting" in diagnose(tagged_run(tags)).labels


def _detector_whose_box_loss_falls_at_the_end(rng, map_end):
    # YOLOv8, 75 epochs: the validation box loss bounces around 2.15, then falls 7% over
    # the last 15 epochs as the linear schedule runs down (new lows by 2%); mAP50 had
    # peaked at 0.51 by epoch 50 and ends at ``map_end``
    e = epochs(75)
    train = (1.8 + 0.9 * np.exp(-e / 4)) * (1 + 0.01 * rng.standard_normal(75))
    val = np.where(e < 60, 2.15, 2.15 - 0.12 * (e - 59) / 16) + 0.02 * rng.standard_normal(75)
    score = np.where(e <= 50, 0.51 * (1 - np.exp(-e / 12)), 0.51 - 0.04 * np.sin(
        np.pi * (e - 50) / 25) ** 2)
    score = np.where(e > 65, np.linspace(0.49, map_end, 75)[e - 1], score)
    lr = np.where(e <= 3, 0.001 * e / 3, 0.001 * (1 - (e - 3) / 75))
    return diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val),
                                "metrics/mAP50(B)": (e, score), "lr/pg1": (e, lr)}))


def test_a_box_loss_falling_beside_an_map_that_got_nowhere_is_no_reason_to_train_on(rng):
    # the box loss is one component of what the detector learns; its score, mAP, never
    # got back to its best: the model does not improve, whatever the component does
    assert "keep_training" not in _detector_whose_box_loss_falls_at_the_end(rng, 0.50).labels


def test_a_box_loss_falling_beside_an_map_at_new_highs_is_keep_training(rng):
    assert "keep_training" in _detector_whose_box_loss_falls_at_the_end(rng, 0.56).labels


def _detector_with_parts(rng, obj_val):
    # YOLOv7, 120 epochs: box losses fall and settle together, mAP climbs and holds; the
    # objectness loss falls for training all run long, for validation as ``obj_val``
    e = epochs(120, 0)
    noise = lambda: 1 + 0.01 * rng.standard_normal(120)  # noqa: E731
    tags = {"train/box_loss": (e, (0.03 + 0.05 * np.exp(-e / 20)) * noise()),
            "val/box_loss": (e, (0.035 + 0.05 * np.exp(-e / 20)) * noise()),
            "train/obj_loss": (e, (0.04 + 0.06 * np.exp(-e / 30)) * noise()),
            "val/obj_loss": (e, obj_val(e) * noise()),
            "metrics/mAP_0.5": (e, 0.8 * (1 - np.exp(-e / 15)))}
    return diagnose(tagged_run(tags))


def test_a_detector_whose_objectness_loss_overfits_is_overfitting(rng):
    # the validation objectness loss bottoms at epoch 22 and climbs to 3.5x its best
    d = _detector_with_parts(rng, lambda e: 0.09 + 0.002 * np.abs(e - 22) ** 1.1)
    assert "overfitting" in d.labels
    f = next(f for f in d.findings if f.label == "overfitting")
    assert f.message.startswith("validation obj loss (val/obj_loss) rose")
    assert f.evidence.metric == "val/obj_loss" and f.evidence.best_step == 22


def test_a_detector_whose_parts_all_settle_is_not(rng):
    d = _detector_with_parts(rng, lambda e: 0.05 + 0.06 * np.exp(-e / 30))
    assert "overfitting" not in d.labels


def test_a_detector_whose_objectness_loss_spikes_again_and_again_is_lr_too_high(rng):
    def spiky(e):
        obj = 0.02 + 0.06 * np.exp(-e / 30)
        return np.where(np.isin(e, [18, 19, 45, 80]), 4.0, obj)
    d = _detector_with_parts(rng, spiky)
    assert "lr_too_high" in d.labels
    assert any(f.code == "CD207" and "validation obj loss" in f.message for f in d.findings)


def test_ten_evaluations_climbing_back_above_the_first_after_their_best_overfit():
    # a CLIP fine-tune, 10 epochs: validation's best at epoch 6, then four evaluations each
    # worse than the last, ending above the first one (6% above the best: under min_rise),
    # while training falls faster; ten points are read under a rolling median, which
    # flattened the climb away
    e = epochs(10)
    val = np.array([0.755, 0.734, 0.727, 0.726, 0.718, 0.717, 0.72, 0.727, 0.747, 0.774])
    train = np.array([0.845, 0.742, 0.728, 0.721, 0.718, 0.716, 0.706, 0.698, 0.67, 0.641])
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "overfitting" in d.labels
    # the same climb ending below the first evaluation gave back only part of the gain
    val[-1] = 0.75
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "overfitting" not in d.labels


def test_five_evaluations_worse_from_the_first_with_one_dip_overfit():
    # an HF seq2seq fine-tune, evaluated every 100 steps: the eval loss is best at its first
    # evaluation and climbs 17% over the next four with one dip, while training falls
    s = np.arange(100, 501, 100)
    val = np.array([0.4107, 0.4402, 0.4578, 0.4467, 0.4802])
    train = np.array([0.3282, 0.2691, 0.2478, 0.2366, 0.2438])
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (s, val)}))
    assert "overfitting" in d.labels


def test_a_wide_gap_that_grew_as_a_ratio_overfits():
    # a crystal-graph regression: validation flat at 14 from epoch 30 on while training
    # falls from 4.1 to 2.6; as a share of validation the gap grew only 72% -> 81%, but
    # validation over training went from 3.5x to 5.4x
    e = epochs(100)
    val = np.where(e <= 30, falling(e, 40, 14, 8), 14 + 0.3 * np.sin(e))
    early = falling(e, 20, 3.2, 10)
    train = np.where(e <= 30, early, 2.5 + (early[29] - 2.5) * np.exp(-(e - 30) / 25))
    d = diagnose(tagged_run({"Train Loss": (e, train), "Valid Loss": (e, val)}))
    assert d.labels == ["overfitting"]



def _ramped_composite_loss(rng, train_acc):
    # semi-supervised: a total loss whose unsupervised weight ramps up never falls from
    # its first epoch and bounces, while the accuracies tell whether the model learned
    e = epochs(30)
    loss = (0.06 + 0.04 * (1 - np.exp(-e / 3)) + 0.012 * rng.standard_normal(30)
            + 0.1 * np.exp(-((e - 8) / 3) ** 2))
    val_acc = 0.39 + 0.35 * (1 - np.exp(-e / 8))
    return diagnose(tagged_run({"loss_total": (e, np.abs(loss)), "train_acc": (e, train_acc),
                                "val_acc": (e, val_acc)}))


def test_a_loss_that_never_fell_beside_an_accuracy_that_learned_is_no_too_high_rate(rng):
    d = _ramped_composite_loss(rng, 0.44 + 0.52 * (1 - np.exp(-epochs(30) / 6)))
    assert "lr_too_high" not in d.labels


def test_a_loss_that_never_fell_beside_an_accuracy_that_never_rose_is_a_too_high_rate(rng):
    d = _ramped_composite_loss(rng, 0.44 + 0.02 * rng.standard_normal(30))
    assert "lr_too_high" in d.labels

# 5. look-alikes ------------------------------------------------------------------------

def test_a_flat_training_start_that_validation_does_not_share_is_no_bad_init(rng):
    # a regression run: the training loss sits at 0.9 for the first sixth, then falls; the
    # validation loss, measured 4 times through that start, fell steadily from its first
    # point: the network was learning, so the flat start says nothing about the init
    s = np.arange(2, 242, 2)
    trend = np.where(s < 40, 0.9, 0.9 - 0.4 * (1 - np.exp(-(s - 40) / 30)))
    train = trend * (1 + 0.03 * rng.standard_normal(len(s)))
    vs = np.arange(10, 241, 10)
    d = diagnose(tagged_run({"train/loss": (s, train),
                             "val/loss": (vs, 0.52 + 0.33 * np.exp(-vs / 110))}))
    assert "bad_init" not in d.labels


def test_a_sparse_minibatch_loss_that_lost_ground_beside_a_validation_still_at_its_best():
    # Lightning logging train_loss every 50 steps of a 400-step run: eight single
    # minibatches, one far below the rest, the last high; validation, each epoch, falls
    # smoothly six-fold and ends at its best: the weights still descend
    s = np.arange(49, 400, 50)
    train = np.array([1.78e-3, 1.26e-3, 1.68e-3, 6.0e-5, 6.8e-4, 4.7e-4, 8.1e-4, 3.1e-3])
    vs = np.arange(7, 400, 8)
    val = 5e-4 + 2.8e-3 * np.exp(-(vs - 7) / 120)
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)}))
    assert "lr_too_high" not in d.labels and "keep_training" in d.labels


def test_a_bad_init_still_working_its_way_down_is_not_a_too_high_rate(rng):
    # 20 classes, weights drawn far too large: the loss starts at 140x ln(20) and is still
    # falling steadily at the end, far above chance, with minibatch noise; a bad init
    # (and training to go on), not a rate bouncing at a plateau
    s = np.arange(1, 551)
    train = (150 + 280 * np.exp(-s / 400)) * (1 + 0.1 * rng.standard_normal(len(s)))
    vs = np.arange(1, 551, 19)
    d = diagnose(tagged_run({"train_loss": (s, train),
                             "eval_loss": (vs, 130 + 260 * np.exp(-vs / 400))},
                            hparams={"num_classes": 20}))
    assert "bad_init" in d.labels and "lr_too_high" not in d.labels


def test_a_stall_well_below_chance_before_a_drop_is_no_bad_init():
    # two classes (ln 2 = 0.69): the loss sits at 0.38 for the first tenth, then drops
    # fast; it had learned before the stall, so the init was not what held it
    s = np.arange(0, 2000, 5)
    train = np.where(s < 200, 0.38, 0.02 + 0.36 * np.exp(-(s - 200) / 60))
    d = diagnose(tagged_run({"train_loss": (s, train)}, hparams={"num_classes": 2}))
    assert "bad_init" not in d.labels


def test_stuck_at_chance_from_the_first_step_is_bad_init_not_lr_too_high(rng):
    s = np.arange(0, 3000, 10)
    train = np.log(4) * (1 + 0.003 * rng.standard_normal(len(s)))
    d = diagnose(tagged_run({"train_loss": (s, train)}, hparams={"num_classes": 4}))
    assert "bad_init" in d.labels and "lr_too_high" not in d.labels


def test_an_early_explosion_then_a_high_plateau_is_lr_too_high_only(rng):
    s = np.arange(0, 3000, 10)
    train = np.where(s < 60, np.log(10) * (1 + s / 6), 12.0)
    train = train * (1 + 0.02 * rng.standard_normal(len(s)))
    vs = np.arange(100, 3000, 100)
    val = np.full(len(vs), 12.5) * (1 + 0.02 * rng.standard_normal(len(vs)))
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)},
                            hparams={"num_classes": 10}))
    assert d.labels == ["lr_too_high"]


def test_a_spike_then_a_smooth_plateau_at_chance_is_lr_too_high_not_a_dead_start(rng):
    # ten classes, a loss logged before any update at ln(10); the first steps of a rate
    # far too high throw it to four times that, then it sits smoothly at chance: the
    # network was killed by its steps, it was not born dead
    s = np.arange(0, 280, 10)
    train = np.log(10) * (1 + 0.01 * rng.standard_normal(len(s)))
    train[1] = 9.0
    vs = np.arange(0, 280, 20)
    val = np.log(10) * (1 + 0.01 * rng.standard_normal(len(vs)))
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)},
                            hparams={"num_classes": 10}))
    assert d.labels == ["lr_too_high"]
    assert [f.code for f in d.findings if f.label] == ["CD202"]
    # the same plateau from the first step, without the spike, is a dead network
    train[1] = train[2]
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, val)},
                            hparams={"num_classes": 10}))
    assert d.labels == ["bad_init"]


def test_one_absurd_first_evaluation_does_not_make_a_task_look_solved(rng):
    # the first evaluation of a broken first epoch reads 620, the next 22; after that
    # the run works on a scale of 2 to 0.2 and still falls at the end: a thousandth of
    # 620 is no measure of where this run began
    e = np.arange(0, 26)
    val = falling(e, 3.0, 0.05, 12) * (1 + 0.15 * rng.standard_normal(len(e)))
    val[:2] = [620.0, 22.0]
    val[-1] = 0.6 * val[:-1].min()  # a new best at the last epoch
    train = falling(e, 3.0, 0.05, 10)
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))
    assert "keep_training" in d.labels


def test_a_training_loss_that_ends_climbing_for_epochs_diverged():
    # a volatility regression: both losses fall from 2.6 to 0.06 by epoch 12, then the
    # training loss itself climbs every epoch to 0.55: it diverged, though 0.55 is a fifth
    # of where it began
    e = epochs(19, 0)
    train = np.concatenate([np.geomspace(2.6, 0.06, 13), [0.067, 0.11, 0.2, 0.33, 0.46, 0.55]])
    val = train * 1.1
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "lr_too_high" in d.labels
    # the same climb that turns back down before the end is a bump, not this
    bump = train.copy()
    bump[-2:] = [0.2, 0.08]
    assert "lr_too_high" not in diagnose(tagged_run({"train_loss": (e, bump),
                                                     "val_loss": (e, bump * 1.1)})).labels


def test_ten_noisy_epochs_still_falling_beside_a_falling_training_loss_call_for_more():
    # ten epochs: validation wobbles on its way down (its fall through the last half is no
    # surer than p = 0.1 on five evaluations), training falls steadily beside it: stopped
    # while learning
    e = epochs(10)
    wobble = np.array([0, 0, 0.05, 0.02, 0.1, 0.145, 0.148, 0.034, 0.068, 0.039])
    val = 0.28 + 1.2 * np.exp(-(e - 1) / 1.3) + wobble
    train = 0.5 + 5.3 * np.exp(-(e - 1) / 1.2) + 0.04 * (10 - e)
    run = tagged_run({"TrainLoss": (e, train), "ValLoss": (e, val)})
    assert "keep_training" in diagnose(run).labels
    # the same validation beside a training loss that has stopped falling: not enough
    flat = np.concatenate([train[:6], [0.80, 0.82, 0.79, 0.81]])
    run = tagged_run({"TrainLoss": (e, flat), "ValLoss": (e, val)})
    assert "keep_training" not in diagnose(run).labels


def _yolo_rates(e, bias_start):
    # Ultralytics: three warm-up epochs, then a linear decay to a hundredth; the bias
    # group (pg0 in older versions) is warmed *down* from bias_start to the rate
    warm = np.clip(e / 3, 0, 1)
    rate = 0.01 * np.where(e < 3, warm, 1 - 0.99 * (e - 3) / (e[-1] - 3))
    bias = np.where(e < 3, bias_start + (0.01 - bias_start) * warm, rate)
    return {"lr/pg0": (e, bias), "lr/pg1": (e, rate), "lr/pg2": (e, rate)}


def test_a_bias_group_warmed_down_while_the_weights_warm_up_is_no_lr_cut():
    e = np.arange(0, 25)
    box = 1.0 + 0.6 * np.exp(-e / 1.5) - 0.004 * e  # a fast first fall, then a creep
    logs = {"train/box_loss": (e, box), "val/box_loss": (e, box + 0.1)}
    assert "decayed_too_early" not in diagnose(tagged_run(logs | _yolo_rates(e, 0.1))).labels
    # every group cut to a hundredth at epoch 2, the loss flat from there: a real cut
    cut = np.where(e < 2, 0.01, 1e-4)
    flat = np.where(e < 2, 1.6 - 0.2 * e, 1.2)
    cut_logs = {"train/box_loss": (e, flat), "val/box_loss": (e, flat + 0.1)}
    cut_logs |= {f"lr/pg{g}": (e, cut) for g in range(3)}
    assert "decayed_too_early" in diagnose(tagged_run(cut_logs)).labels


def test_an_lr_cut_to_near_zero_early_is_decayed_too_early_even_if_the_loss_barely_fell():
    s = np.arange(0, 3000, 10)
    lr = np.where(s < 300, 1e-3, 1e-9)
    train = np.where(s < 300, 2.3 - 0.2 * s / 300, 2.1)
    d = diagnose(tagged_run({"train_loss": (s, train), "lr": (s, lr)}))
    assert "decayed_too_early" in d.labels


def test_seven_epochs_falling_in_a_straight_line_call_for_more_training():
    # a slow rate: validation falls ~1.5% every epoch, the last two epochs a third of all
    # it gained; no single epoch gained 3%, but the curve is nowhere near levelling off
    e = epochs(7)
    val = 2.08 - 0.028 * (e - 1)
    d = diagnose(tagged_run({"train_loss": (e, val + 0.02), "val_loss": (e, val)},
                            hparams={"num_classes": 8}))
    assert "keep_training" in d.labels
    # the same seven epochs levelling off (each gain a third of the one before) are done
    done = 0.17 + 0.33 * 0.33 ** (e - 1)
    d = diagnose(tagged_run({"train_loss": (e, done - 0.01), "val_loss": (e, done)},
                            hparams={"num_classes": 8}))
    assert "keep_training" not in d.labels


def test_a_slow_steady_fall_near_chance_under_a_live_rate_calls_for_more_training(rng):
    # a linear probe (HF trainer): cross-entropy near ln(4), validation still falling
    # steadily by under 2% of its level over the tail, the linear schedule not yet at zero
    s = np.arange(10, 2130, 10)
    vs = np.arange(200, 2001, 200)
    train = falling(s, 1.65, 1.30, 900) + 0.02 * np.random.default_rng(3).standard_normal(
        len(s))
    val = falling(vs, 1.55, 1.33, 900)
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, val),
                             "eval_accuracy": (vs, 0.79 + 0.07 * (1 - np.exp(-vs / 900))),
                             "learning_rate": (s, 2e-5 * (1 - s / 2130))}))
    assert d.labels == ["keep_training"]


def test_a_short_log_reports_its_slope_per_step():
    # seven evaluations 100 steps apart, validation falling 0.028 each: 0.00028 a step
    e = epochs(7) * 100
    val = 2.08 - 0.028 * (e / 100 - 1)
    d = diagnose(tagged_run({"train_loss": (e, val + 0.02), "val_loss": (e, val)},
                            hparams={"num_classes": 8}))
    kt = next(f for f in d.findings if f.code == "CD401")
    assert kt.evidence.numbers["slope"] == pytest.approx(-0.00028)


def test_an_evaluation_after_training_is_not_the_curve_s_last_point(rng):
    # Lightning: five epochs of validation levelling off, then validate() after fit()
    # logs one more row a step later, on another set, far lower; the run is done
    s = np.arange(1, 8600, 50)
    train = falling(s, 0.5, 0.01, 800) * (1 + 0.3 * rng.standard_normal(len(s)))
    ve = np.array([1718, 3437, 5156, 6875, 8594])
    val = np.array([0.071, 0.046, 0.044, 0.045, 0.043])
    run = tagged_run({"train_loss": (s, np.abs(train)),
                      "val_loss": (np.append(ve, 8595), np.append(val, 0.014))})
    assert "keep_training" not in diagnose(run).labels
    assert Curves.of(run).val.x[-1] == 8594


def test_ten_epochs_whose_last_two_each_improved_call_for_more_training():
    # ten epochs: the last 30% holds three evaluations, too few for a trend test, and one
    # bump before them; the last two epochs each improved 4-8%: still learning
    e = epochs(10)
    val = np.array([1.25, 1.30, 1.28, 1.24, 1.11, 1.03, 1.03, 1.05, 0.97, 0.93])
    train = np.linspace(1.5, 1.0, 10)
    d = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val)}))
    assert "keep_training" in d.labels


def test_seven_epochs_recovering_from_a_bump_above_their_best_are_not_keep_training():
    # validation at 0.99 accuracy from the first epoch, loss near 0.03: best at epoch 2,
    # a bump at epoch 5, and the last two epochs back down, still above that best
    e = epochs(7)
    val = np.array([0.033, 0.026, 0.028, 0.030, 0.038, 0.034, 0.030])
    train = np.array([0.31, 0.073, 0.052, 0.033, 0.037, 0.023, 0.031])
    d = diagnose(tagged_run({"train_loss": (e, train), "validation_loss": (e, val)}))
    assert "keep_training" not in d.labels


def test_seven_epochs_each_a_little_lower_are_not_a_plateau():
    # a cautious rate: both losses fall 1-2% every epoch, still near ln(8); too few points
    # for a trend test, but each epoch improved on the last: creeping down, not plateaued
    e = epochs(7)
    train = np.array([2.11, 2.061, 2.03, 2.004, 1.974, 1.947, 1.919])
    val = np.array([2.085, 2.046, 2.016, 1.991, 1.965, 1.939, 1.911])
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val)},
                            hparams={"num_classes": 8}))
    assert "underfitting" not in d.labels


def _loss_plateau_beside_validation_accuracy(val_acc):
    # mmpretrain: a training loss that barely moved (0.97 -> 0.75) and a validation
    # accuracy in percent, evaluated each of 25 epochs
    e = np.arange(1, 26)
    loss = 0.75 + 0.22 * np.exp(-e / 5)
    return diagnose(tagged_run({"loss": (e * 79, loss), "accuracy/top1": (e * 79, val_acc)}))


def test_a_loss_plateau_beside_a_flat_validation_accuracy_says_validation_was_logged():
    d = _loss_plateau_beside_validation_accuracy(np.full(25, 62.0))
    found = [f for f in d.findings if f.code == "CD601"]
    assert found and "no validation metric logged" not in found[0].message
    assert "accuracy/top1" in found[0].message


def test_a_bare_training_loss_that_barely_moved_is_no_poor_plateau_without_validation(rng):
    # an MNIST run logs only its training loss, from step 49 on (it had learned already):
    # 0.062 -> 0.045, no ln(C), no accuracy, no validation: nothing says 0.045 is poor
    s = np.arange(49, 1000, 50)
    train = (0.045 + 0.017 * np.exp(-s / 150)) * (1 + 0.03 * rng.standard_normal(len(s)))
    assert "underfitting" not in diagnose(tagged_run({"train_loss": (s, train)})).labels
    # a validation loss close beside it is the evidence the rule needs
    vs = s[9::10]
    d = diagnose(tagged_run({"train_loss": (s, train), "val_loss": (vs, train[9::10] * 1.05)}))
    assert "underfitting" in d.labels


def test_a_detector_whose_loss_levels_at_half_its_start_beside_its_map_is_no_poor_plateau():
    # mmdet: a training loss (detection losses never go near zero) at 55% of its start,
    # and COCO mAP as the only validation metric, at 0.38: a fine detector; mAP is no
    # accuracy with a ceiling of 1 to fall short of
    it = np.arange(50, 5001, 50)
    loss = 0.85 + 0.7 * np.exp(-it / 600)
    ev = np.arange(500, 5001, 500)
    m = 0.38 * (1 - np.exp(-ev / 600))
    d = diagnose(tagged_run({"loss": (it, loss), "coco/bbox_mAP": (ev, m)}))
    assert not any(f.code == "CD601" for f in d.findings)  # not even a possible one


def test_a_plateau_that_fits_its_training_set_is_not_underfitting(rng):
    e = epochs(60)
    train = falling(e, 1.2, 0.6, 5) * (1 + 0.01 * rng.standard_normal(60))
    val = train * 1.05
    acc = 1 - falling(e, 0.6, 0.05, 5)  # 95% training accuracy: a hard task, well fit
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val),
                             "train_acc": (e, acc), "val_acc": (e, acc - 0.01)}))
    assert "underfitting" not in d.labels


# 6. keep training when both still fall, not when validation is noise-flat ---------------

def test_both_still_falling_at_the_last_epoch_is_keep_training(rng):
    e = epochs(10)
    train = falling(e, 0.9, 0.0, 6)
    val = falling(e, 0.8, 0.05, 6)
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))
    assert d.labels == ["keep_training"]


def _slow_fall_together(rng, lr):
    # 7 classes, 50 epochs: training and validation side by side, both still falling a
    # few percent over the last 30% of the run, evaluation after evaluation
    e = epochs(50)
    val = (0.95 + 0.85 * np.exp(-e / 9) - 0.0025 * e) * (1 + 0.002 * rng.standard_normal(50))
    train = val + 0.03
    return diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val), "lr": (e, lr)}))


def test_training_and_validation_still_falling_together_is_keep_training(rng):
    assert "keep_training" in _slow_fall_together(rng, np.full(50, 1e-3)).labels


def test_a_slow_fall_together_under_a_rate_cut_to_near_nothing_is_not(rng):
    lr = np.where(epochs(50) < 8, 1e-3, 1e-6)
    assert "keep_training" not in _slow_fall_together(rng, lr).labels


def test_a_run_that_ended_during_its_lr_warm_up_is_keep_training():
    # detectron2: 300 iterations logged every 20, the rate still rising linearly to its
    # last row; the loss halves over the last stretch, too bumpy there for a trend test
    it = np.arange(19, 300, 20)
    loss = np.array([2.2, 1.9, 1.55, 1.45, 1.35, 1.1, 1.0, 0.9, 0.78, 0.6,
                     0.46, 0.41, 0.47, 0.33, 0.36])
    lr = 2.5e-4 * (it + 1) / 300
    d = diagnose(tagged_run({"total_loss": (it, loss), "lr": (it, lr)}))
    kt = [f for f in d.findings if f.code == "CD401"]
    assert "keep_training" in d.labels and "warming up" in kt[0].message
    # the same loss under a rate that warmed up and then held: no reason given by the rate
    held = np.minimum(lr, 5e-5)
    d = diagnose(tagged_run({"total_loss": (it, loss), "lr": (it, held)}))
    assert not any("warming up" in f.message for f in d.findings)


def test_a_loss_on_a_high_floor_still_falling_in_its_warm_up_is_keep_training(rng):
    # MAE pre-training, 16 epochs logged, the rate still warming up at the last one: the
    # reconstruction loss sits on a high floor and falls a little every epoch (1% of its
    # level over the last stretch, a sixth of all it fell): the schedule had not begun
    e = epochs(16, 0)
    loss = 0.42 + 0.06 * np.exp(-e / 5) + 0.0002 * rng.standard_normal(16)
    lr = 1.5e-5 * (e + 0.5) / 16
    d = diagnose(tagged_run({"train_loss": (e, loss), "train_lr": (e, lr)}))
    assert "keep_training" in d.labels
    # the same loss at a constant rate: a flattening curve, no schedule left unrun
    d = diagnose(tagged_run({"train_loss": (e, loss), "train_lr": (e, np.full(16, 1.5e-5))}))
    assert "keep_training" not in d.labels


def _cut_short_after_warm_up(rng, climbing):
    # DeiT, 71 epochs of a 300-epoch cosine schedule (5 of warm-up): the rate has only
    # come down to 88% of its peak; the test accuracy ``climbing`` or flat at the end
    e = epochs(71, 0)
    lr = np.where(e < 5, 5e-4 * (e + 1) / 5, 5e-4 * np.cos(np.pi * (e - 5) / 600) ** 2)
    acc = 0.32 + 0.26 * (1 - np.exp(-e / (30 if climbing else 8)))
    acc = acc + 0.004 * rng.standard_normal(71)
    loss = 3.55 + 0.65 * np.exp(-e / 25) + 0.01 * rng.standard_normal(71)
    return diagnose(tagged_run({"train_loss": (e, loss), "test_acc1": (e, acc),
                                "train_lr": (e, lr)}))


def test_an_accuracy_still_climbing_early_in_its_schedule_is_keep_training(rng):
    # it gained 6% of its level over the tail, short of 8%: a run stopped a small way into
    # its schedule needs only a significant climb
    d = _cut_short_after_warm_up(rng, climbing=True)
    assert "keep_training" in d.labels
    assert "a small way into its schedule" in next(
        f.message for f in d.findings if f.code == "CD401")


def test_an_accuracy_flat_early_in_its_schedule_is_not(rng):
    assert "keep_training" not in _cut_short_after_warm_up(rng, climbing=False).labels


def test_a_new_best_at_the_last_evaluation_counts_though_a_rolling_median_hides_it():
    # ConvNeXt on ImageNet, stopped at epoch 53 of 300, the rate at 97% of its peak: the
    # test loss zigzags over its last 20 epochs and ends on its best, 0.02 below every earlier
    # one (a rolling median over the last points does not reach that low)
    e = epochs(54, 0)
    lr = np.where(e < 20, 4e-3 * (e + 1) / 20, 4e-3 * np.cos(np.pi * (e - 20) / 560) ** 2)
    val = 1.3 + 5.4 * np.exp(-e / 5) + 0.25 * np.exp(-e / 40)
    val[-20:] = np.r_[np.tile([1.36, 1.34, 1.37, 1.33], 4), 1.37, 1.34, 1.38, 1.31]
    train = 3.9 + 3.0 * np.exp(-e / 8) + 0.15 * np.exp(-e / 60)
    d = diagnose(tagged_run({"train_loss": (e, train), "test_loss": (e, val),
                             "train_lr": (e, lr)}))
    assert "keep_training" in d.labels


def _noisy_validation_beside(train):
    # a Keras CNN, 75 epochs, a small validation set: the validation loss scatters by a
    # quarter of its level around a falling trend and ends on its best; over the last 30%
    # Kendall and the t-test give p between 0.05 and 0.1
    e = epochs(75, 0)
    val = (0.7 + 3.3 * np.exp(-e / 35)) * np.exp(0.25 * np.random.default_rng(9)
                                                  .standard_normal(75))
    val[-1] = 0.99 * val.min()
    tail = e >= 74 - 0.3 * 74
    assert 0.05 < strong_trend(e[tail], val[tail]).p_value < 0.1
    return diagnose(tagged_run({"loss": (e, train(e)), "val_loss": (e, val)}))


def test_a_noisy_validation_fall_seconded_by_training_is_keep_training():
    # the training loss still falls 30% over the tail on a strong trend: it seconds a
    # validation fall a little short of p=0.05
    d = _noisy_validation_beside(lambda e: 0.5 + 3.3 * np.exp(-e / 35))
    assert "keep_training" in d.labels


def test_a_noisy_validation_fall_beside_a_flat_training_loss_is_not_seconded():
    d = _noisy_validation_beside(lambda e: 0.9 + 0.001 * np.sin(e))
    assert "keep_training" not in d.labels


def _bumpy_new_best(last_val):
    # a Keras CNN, 10 epochs at a constant rate: training falls in a straight line; the
    # validation loss jumps about (a bump at epoch 6) and its last value is given
    e = epochs(10, 0)
    train = 2.42 - 0.117 * e
    val = np.array([3.1, 3.2, 2.3, 1.95, 1.75, 1.64, 1.96, 1.46, 1.48, last_val])
    return diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val),
                                "lr": (e, np.full(10, 5e-5))}))


def test_a_noisy_validation_ending_on_a_clear_new_best_while_training_falls_is_keep_training():
    d = _bumpy_new_best(1.26)
    kt = [f for f in d.findings if f.code == "CD401"]
    assert "keep_training" in d.labels and "ended on its best" in kt[0].message
    assert "now 1.26" in kt[0].message  # the new best itself, not the smoothed curve


def test_a_noisy_validation_ending_a_hair_below_its_best_is_no_new_best():
    d = _bumpy_new_best(1.45)
    assert not any("ended on its best" in f.message for f in d.findings)


def test_a_few_percent_of_a_level_near_the_floor_after_a_long_descent_is_not_keep_training():
    # validation fell 25-fold to 0.07 and still creeps down 9% over the last 30% of the
    # run: on the log scale it is plotted on, a converged curve's last crumbs
    e = epochs(50)
    val = 0.064 + 1.7 * np.exp(-e / 4) + 0.0004 * (50 - e)
    train = val * 0.9
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "keep_training" not in d.labels


def test_a_loss_below_zero_still_falling_straight_is_keep_training():
    # a graph autoencoder's negative bound (Lightning, five epochs): validation falls by ~64
    # every epoch, -18 -> -273, training beside it. Below zero no level is "a sliver of
    # where it began": the run is far from solved, and every epoch broke new ground
    e = epochs(5)
    val = np.array([-18.5, -82.1, -145.7, -209.4, -273.1])
    train = np.array([16.7, -48.1, -112.7, -176.7, -241.2])
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val)}))
    assert "keep_training" in d.labels
    # trained on alone, falling in a straight line below zero over 40 points, it goes on
    s = np.arange(10, 410, 10)
    d = diagnose(tagged_run({"loss": (s, 5.0 - 0.8 * s / 10)}))
    assert "keep_training" in d.labels
    # and the same epochs levelling off below zero are done
    flat = np.array([-18.5, -250.0, -270.0, -272.0, -272.5])
    d = diagnose(tagged_run({"train_loss_epoch": (e, flat + 30), "val_loss": (e, flat)}))
    assert "keep_training" not in d.labels


def test_a_slow_loss_on_a_high_floor_that_has_not_begun_to_level_off_is_keep_training(rng):
    # an Ultralytics detector cut short at 30 epochs: after a fast first drop the validation
    # box loss falls only ~4% of its level over the last 30% (a floor near 1.6), a few
    # percent of all it gained, but on a strong trend and at the pace of the stretch
    # before; training falls beside it
    e = epochs(30)
    noise = 1 + 0.002 * rng.standard_normal((2, 30))
    val = (2.5 * np.exp(-e / 2.5) + 1.9 - 0.008 * e) * noise[0]
    train = (2.5 * np.exp(-e / 2.5) + 1.8 - 0.012 * e) * noise[1]
    run = tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val)})
    kt = [f for f in diagnose(run).findings if f.code == "CD401"]
    assert kt and "not begun to level off" in kt[0].message
    # the same floor reached on a curve that levelled off (its tail at a fifth of the pace
    # of the stretch before) is done
    val = (2.5 * np.exp(-e / 2.5) + 1.66 + 0.25 * np.exp(-e / 6)) * noise[0]
    train = (2.5 * np.exp(-e / 2.5) + 1.45 + 0.35 * np.exp(-e / 6)) * noise[1]
    done = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val)}))
    assert "keep_training" not in done.labels


def test_a_run_stopped_a_small_way_into_its_decaying_schedule_is_keep_training():
    # Ultralytics segmentation stopped at epoch 7 of a linear schedule: the rate warmed up,
    # then decayed 1% an epoch, ending at 96% of its peak; validation is noisy but ended
    # on its best, training a little lower at every stretch
    e = epochs(7)
    val = np.array([2.164, 2.256, 2.095, 2.055, 2.023, 2.130, 2.000])
    train = np.array([1.940, 1.907, 1.927, 1.904, 1.842, 1.848, 1.817])
    lr = np.array([0.000368, 0.000731, 0.001087, 0.001078, 0.001067, 0.001056, 0.001045])
    d = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val),
                             "lr/pg0": (e, lr)}))
    kt = [f for f in d.findings if f.code == "CD401"]
    assert kt and "a small way into its schedule" in kt[0].message
    # the same curves at the end of their schedule (the rate down to 5% of its peak) are
    # what the run was given: nothing says it was cut short
    lr = np.array([0.000368, 0.000731, 0.001087, 0.0008, 0.0005, 0.0002, 0.00005])
    d = diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val),
                             "lr/pg0": (e, lr)}))
    assert "keep_training" not in d.labels


def test_a_training_loss_fit_to_near_zero_with_no_validation_is_not_keep_training():
    # one epoch of a fine-tune, no evaluation: the loss falls from 0.4 to 0.005 and still
    # creeps down; training alone cannot say more steps would help
    s = np.arange(10, 410, 10)
    train = 0.4 * np.exp(-s / 30) + 0.004 * np.exp(-s / 300)
    d = diagnose(tagged_run({"loss": (s, train)}))
    assert "keep_training" not in d.labels
    # the same run still at a fifth of its start is far from fit: train on
    d = diagnose(tagged_run({"loss": (s, 0.3 * np.exp(-s / 300) + 0.1)}))
    assert "keep_training" in d.labels


def test_a_training_loss_still_falling_by_decades_at_the_end_is_keep_training(rng):
    # a small GPT memorising its data, no evaluation: the loss crawls from 8.5 to 4, then
    # falls faster and faster, to 1.5% of its start and still dropping steeply on the log
    # scale it is plotted on: down to 3% of its start, yet far from done
    s = np.arange(10, 4580, 10)
    train = (8.5 - 4.5 * s / 3000) * np.exp(-np.maximum(s - 2800, 0) / 500)
    train = np.maximum(train, 0.05) * (1 + 0.03 * rng.standard_normal(len(s)))
    d = diagnose(tagged_run({"loss": (s, train)}))
    kt = [f for f in d.findings if f.code == "CD401"]
    assert "keep_training" in d.labels and "-fold" in kt[0].message


def test_a_single_validation_point_leaves_training_to_judge_keep_training():
    # Lightning, 9 epochs at lr 1e-5, validated once (at epoch 5): the training loss
    # falls faster and faster to the end; one evaluation shows no trend, training does
    e = np.arange(16, 160, 17)
    train = 2.2 - 0.025 * (e / 17) ** 2
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": ([84], [1.98])}))
    kt = [f for f in d.findings if f.code == "CD401"]
    assert "keep_training" in d.labels and "validation logged only 1x" in kt[0].message


def test_noise_flat_validation_is_not_keep_training(rng):
    e = epochs(80)
    train = falling(e, 1.0, 0.4, 10)
    val = 0.45 * (1 + 0.05 * rng.standard_normal(80))
    val[:10] = falling(e[:10], 1.0, 0.45, 3)
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))
    assert "keep_training" not in d.labels


def test_a_loss_that_fell_by_decades_and_crawls_on_is_converged(rng):
    # a segmentation loss down 50-fold, still creeping 16% over the last 30% of 300 epochs:
    # 4% of its fall on the log scale it is plotted on; that crawl buys nothing
    e = epochs(300)
    train = 0.002 + 0.4 * np.exp(-e / 25) + 0.004 * np.exp(-e / 100)
    val = (0.017 + 0.9 * np.exp(-e / 30) + 0.03 * np.exp(-e / 120)) * (
        1 + 0.005 * rng.standard_normal(300))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "keep_training" not in d.labels
    # one still falling in a straight line on that scale has far to go
    val = np.exp(np.log(0.9) - e / 60) * (1 + 0.005 * rng.standard_normal(300))
    d = diagnose(tagged_run({"train_loss": (e, 0.5 * val), "val_loss": (e, val)}))
    assert "keep_training" in d.labels


def test_validation_falling_beside_a_training_loss_summed_over_batches_goes_on():
    # a ViT on CIFAR-10 whose training loss is the epoch's sum (800 -> 430) beside a
    # validation loss near 1 (1.45 -> 0.69): both still fall together, validation on a
    # trend with p = 0.02. The sum is no measure of where validation began: nothing solved
    e = epochs(50, 0)
    rng = np.random.default_rng(7)
    val = (0.85 + 0.6 * np.exp(-e / 6) - 0.0035 * e) * (1 + 0.025 * rng.standard_normal(50))
    train = (500 + 300 * np.exp(-e / 4) - 1.5 * e) * (1 + 0.002 * rng.standard_normal(50))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "keep_training" in d.labels


def test_an_eval_loss_first_logged_after_training_learned_is_solved_from_trainings_start():
    # an HF fine-tune: training falls from 1.7 to 3e-4 over 1,200 steps, the first eval
    # (step 150) is already 0.0085 and every eval example is right; the eval loss still
    # shrinks to 0.0014. Measured from where training began, the task is solved
    s = np.arange(1, 1201)
    train = 1.7 * np.exp(-s / 15) + 3e-4
    vs = np.arange(150, 1201, 150)
    val = 0.0013 + 0.0072 * np.exp(-(vs - 150) / 250)
    d = diagnose(tagged_run({"train/loss": (s, train), "eval/loss": (vs, val),
                             "eval/accuracy": (vs, np.ones(len(vs)))}))
    assert "keep_training" not in d.labels


def test_a_tail_that_only_wins_back_a_bump_is_no_keep_training(rng):
    # YOLOv8-cls on an easy set: validation reached 2e-4 by epoch 12, a bump took it to
    # 8e-3, and the last 30% falls steeply back to 9e-4, never below the earlier best: it
    # recovers what it lost, it breaks no new ground
    e = epochs(50)
    val = np.interp(e, [1, 3, 12, 22, 34, 50], [0.2, 1e-3, 2e-4, 8e-3, 5e-3, 9e-4])
    val = val * np.exp(0.15 * rng.standard_normal(50))
    train = (0.005 + 0.5 * np.exp(-e / 3)) * (1 + 0.3 * np.abs(rng.standard_normal(50)))
    d = diagnose(tagged_run({"train/loss": (e, train), "val/loss": (e, val)}))
    assert "keep_training" not in d.labels
    # the same tail reaching below everything before it is new ground: train on
    val = np.interp(e, [1, 3, 12, 22, 34, 50], [0.2, 1e-2, 6e-3, 8e-3, 5e-3, 9e-4])
    d = diagnose(tagged_run({"train/loss": (e, train), "val/loss": (e, val)}))
    assert "keep_training" in d.labels


def test_a_rate_cut_at_plateau_after_plateau_to_nothing_ends_a_run_converged(rng):
    # Keras ReduceLROnPlateau, 100 epochs: the rate halved six times, each after validation
    # stalled, down to 3% of its start; the noisy validation loss still drifts down a
    # little on its log scale. The scheduler judged the run done: no keep_training
    e = epochs(100, 0)
    train = 3.0 * np.exp(-e / 18) + 0.02
    val = (2.5 * np.exp(-e / 20) + 0.06) * np.exp(0.35 * rng.standard_normal(100))
    val[:8] = [2.3, 2.8, 3.0, 3.8, 2.9, 2.7, 2.5, 2.4]
    lr = 0.001 * 0.5 ** np.searchsorted([8, 40, 55, 62, 70, 80], e, side="right")
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val), "learning_rate": (e, lr)}))
    assert "keep_training" not in d.labels
    # the same curves at a constant rate have not been judged done by anything
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val),
                             "learning_rate": (e, np.full(100, 0.001))}))
    assert "keep_training" in d.labels


# 7. a score is never called a loss -------------------------------------------------------

def _whisper(wer):
    """A Whisper fine-tune (HF Trainer): the training loss falls from 0.75 to ~0.01 over
    15,000 steps, the teacher-forced eval loss wobbles flat around 0.21-0.27 from the
    first evaluation, beside the eval word error rate ``wer`` (percent, 15 evaluations)."""
    s = np.arange(100, 15001, 100)
    train = falling(s, 0.75, 0.01, 2500) * (1 + 0.3 * np.random.default_rng(5).standard_normal(
        len(s)) ** 2)
    vs = np.arange(1000, 15001, 1000)
    val = np.array([0.272, 0.260, 0.239, 0.241, 0.239, 0.253, 0.227, 0.243, 0.223, 0.262,
                    0.219, 0.209, 0.216, 0.249, 0.239])
    return tagged_run({"loss": (s, train), "eval_loss": (vs, val), "eval_wer": (vs, wer),
                       "learning_rate": (s, 1e-5 * (1 - s / 15100))})


def test_a_word_error_rate_still_falling_beside_a_flat_eval_loss_is_no_gap():
    # the recogniser still gets better at every stretch of the run (WER 14.3 -> 9.6%) while
    # the eval loss sits flat: the stalled loss measures confidence, not the transcripts
    wer = np.array([14.31, 12.47, 12.36, 11.52, 11.17, 10.56, 10.73, 10.44, 10.18, 9.97,
                    9.92, 9.86, 9.77, 9.75, 9.62])
    run = _whisper(wer)
    c = Curves.of(run)
    assert c.get("val_acc").tag == "eval_wer" and c.get("val_acc").error_rate
    assert c.get("val_acc").value_of(float(c.get("val_acc").y[-1])) == pytest.approx(9.62)
    assert c.num_classes[0] is None  # an error rate at the start says no class count
    assert "overfitting" not in diagnose(run).labels
    # the same run whose WER stopped improving after its first third overfits
    flat = np.concatenate([wer[:5], 11.2 + 0.05 * np.sin(np.arange(10))])
    assert "overfitting" in diagnose(_whisper(flat)).labels
    # and a WER that never moved names no class the model gives every input
    frozen = diagnose(_whisper(np.full(15, 37.5)))
    assert "CD602" not in {f.code for f in frozen.findings}


def test_a_score_of_its_own_is_never_set_beside_a_training_loss(rng):
    # a translation model: a cross-entropy falling to 1.0 beside a validation BLEU rising
    # to 30; the two are not on one scale: no "validation better than training by 2569%"
    e = epochs(30)
    run = tagged_run({"train_loss": (e, 3 * np.exp(-e / 8) + 1.0),
                      "val_bleu": (e, 30 - 20 * np.exp(-e / 8))})
    assert "CD903" not in {f.code for f in diagnose(run).findings}
    # a validation loss below the training loss on one scale still is
    run = tagged_run({"train_loss": (e, 3 * np.exp(-e / 8) + 1.0),
                      "val_loss": (e, 2.4 * np.exp(-e / 8) + 0.8)})
    assert "CD903" in {f.code for f in diagnose(run).findings}


def test_a_score_outside_zero_one_is_named_as_logged_and_never_a_loss():
    e = epochs(40)
    bleu = 30 * (1 - np.exp(-e / 30))  # BLEU x 100, still rising at the end
    train = falling(e, 4.0, 1.0, 25)
    d = diagnose(tagged_run({"train_loss": (e, train), "val_bleu": (e, bleu)}))
    assert "keep_training" in d.labels
    for f in d.findings:
        assert "validation loss" not in f.message
    kt = next(f for f in d.findings if f.label == "keep_training")
    assert "bleu" in kt.message


def test_a_falling_reward_is_reported_as_falling_not_rising():
    e = epochs(60)
    reward = np.where(e < 20, 100 + 10 * e, 300 - 4 * (e - 20))  # best at 20, then worse
    train = falling(e, 3.0, 0.1, 10)
    d = diagnose(tagged_run({"train_loss": (e, train), "eval/reward": (e, reward)}))
    over = [f for f in d.findings if f.code == "CD501"]
    assert over and "fell" in over[0].message and "reward" in over[0].message


def test_validation_against_epochs_beside_training_against_steps_is_named_not_misread():
    s = np.arange(0, 30000, 100)
    e = np.arange(0, 30)
    train = falling(s, 2.3, 0.05, 5000)
    val = falling(e, 2.3, 0.4, 5)  # a sound run: validation levels off as it converges
    d = diagnose(tagged_run({"Loss/train": (s, train), "Loss/val": (e, val)}))
    assert "CD906" in {f.code for f in d.findings}
    assert "overfitting" not in d.labels  # no gap judged from mismatched steps


def test_a_loss_bouncing_at_chance_after_a_high_start_is_lr_too_high(rng):
    # 50 classes: the loss starts above chance, comes down to ln(50) and bounces there
    e = epochs(60)
    chance = np.log(50)
    train = np.where(e < 5, 6.0, chance) * (1 + 0.08 * rng.standard_normal(60))
    val = np.full(60, chance * 1.02) * (1 + 0.02 * rng.standard_normal(60))
    d = diagnose(tagged_run({"train_loss": (e, np.abs(train)), "val_loss": (e, val)},
                            hparams={"num_classes": 50}))
    assert "lr_too_high" in d.labels and "underfitting" not in d.labels


def test_a_training_loss_that_gives_back_40pc_of_what_it_learned_is_lr_too_high(rng):
    # lr = 1 on ten classes: down from 2.3 to 0.8, then back up to 1.4 (40% of what it
    # learned) and bouncing; a sure lr_too_high, not a "possible" one
    s = np.arange(0, 300, 5)
    train = np.where(s < 100, 2.3 - 1.5 * s / 100, 0.8 + 0.6 * np.minimum((s - 100) / 100, 1))
    train = train * (1 + 0.05 * rng.standard_normal(len(s)))
    d = diagnose(tagged_run({"train/loss": (s, train)}, hparams={"num_classes": 10}))
    assert "lr_too_high" in d.labels


def test_a_rising_validation_loss_is_told_once_not_again_as_a_gap(rng):
    e = epochs(60)
    train = falling(e, 2.0, 0.01, 6)
    val = np.where(e < 10, falling(e, 2.1, 0.3, 3), 0.3 + 0.05 * (e - 10))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    codes = [f.code for f in d.findings if f.label == "overfitting"]
    assert codes == ["CD501"]


def test_an_lr_cut_in_the_first_epochs_with_a_slow_tail_is_decayed_too_early():
    # a per-epoch log: the LR is cut 100x after epoch 2, while the loss fell fast; after it
    # the loss creeps down (still improving, but far slower than before)
    e = epochs(40)
    lr = np.where(e <= 2, 0.02, 0.0002)
    train = np.where(e <= 2, 2.3 - 0.5 * (e - 1), 1.8 - 0.004 * (e - 3))
    val = train + 0.05
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val), "lr": (e, lr)}))
    assert "decayed_too_early" in d.labels


def test_an_lr_cut_to_near_zero_before_the_second_log_point_is_decayed_too_early():
    # a step schedule copied with milestones (1, 2): the LR is 1% of its peak from the
    # third epoch on; the first training point is already the first epoch's average, so
    # nothing before the cut shows how fast the loss fell; after it the loss creeps
    e = epochs(40)
    lr = 0.01 * 0.1 ** np.minimum(e - 1, 2)
    train = np.where(e == 1, 1.2, 0.68 - 0.2 * (1 - np.exp(-(e - 2) / 15)))
    val = train * 0.98 + 0.01
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val), "lr": (e, lr)}))
    assert "decayed_too_early" in d.labels


def test_a_crawl_after_an_early_lr_cut_is_not_a_reason_to_keep_training():
    # cut 20x after epoch 3; afterwards validation creeps down 1.5% over the last 30% of
    # the run: a large share of a small progress, no gain worth more epochs
    e = epochs(40)
    lr = np.where(e <= 3, 0.02, 0.001)
    train = np.where(e <= 3, 0.6 - 0.1 * (e - 1), 0.29 + 0.03 * np.exp(-(e - 3) / 25))
    val = 0.3 + 0.045 * np.exp(-(e - 1) / 25)
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val), "lr": (e, lr)},
                            hparams={"num_classes": 2}))
    assert "decayed_too_early" in d.labels and "keep_training" not in d.labels


def test_an_early_cut_after_which_the_loss_crawls_down_a_long_way_is_decayed_too_early():
    # cut 20x at 8% of the run while the loss fell fast; it then keeps falling, 47% over
    # the long tail, but at ~1/100 of the rate before: slowed to a crawl, not left to fall
    s = np.arange(0, 2000, 5)
    lr = np.where(s < 150, 0.02, 0.001)
    train = np.where(s < 150, 2.3 * np.exp(-s / 120),
                     2.3 * np.exp(-150 / 120) * np.exp(-(s - 150) / 2500))
    vs = s[s % 100 == 0]
    d = diagnose(tagged_run({"train_loss": (s, train),
                             "val_loss": (vs, np.interp(vs, s, train) + 0.05),
                             "lr": (s, lr)}))
    assert "decayed_too_early" in d.labels


def test_a_staircase_whose_later_cuts_still_drop_the_loss_is_not_decayed_too_early():
    # a 30/60/95/125-epoch step schedule: the loss carries an excess the step size holds
    # up, so each cut (the later ones too) drops it at once; the first cut was not premature
    e = epochs(160)
    lr = 0.05 * 0.1 ** np.searchsorted([30, 60, 95, 125], e, side="right")
    excess = np.zeros(len(e))
    x = 30 * lr[0]
    for i in range(len(e)):
        x += 0.6 * (30 * lr[i] - x)
        excess[i] = x
    train = 0.4 + 3.6 * np.exp(-e / 12) + excess
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, train + 0.1),
                             "lr": (e, lr)}))
    assert "decayed_too_early" not in d.labels


def test_worse_from_the_first_evaluation_beside_a_jumping_training_loss_is_no_overfit(rng):
    # SGD far too fast: the training loss jumps up 40% in the first tenth, then wanders
    # back down; validation is never better than its first evaluation
    s = np.arange(0, 1100, 4)
    train = np.where(s < 100, 4.0 + 0.016 * s, 5.6 - 2.6 * (1 - np.exp(-(s - 100) / 300)))
    train = train * (1 + 0.15 * rng.standard_normal(len(s)))
    vs = np.arange(44, 1100, 44)
    val = 2.6 + 2.5 * (1 - np.exp(-(vs - 44) / 150)) + 0.1 * rng.standard_normal(len(vs))
    d = diagnose(tagged_run({"train/loss": (s, train), "val/loss": (vs, val)},
                            hparams={"num_classes": 50}))
    assert "overfitting" not in d.labels


def test_a_fine_tune_whose_best_epoch_is_its_first_still_overfits():
    e = epochs(12)
    train = falling(e, 0.5, 0.01, 2.5)
    val = 0.30 + 0.02 * (e - 1) ** 1.2
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert d.labels == ["overfitting"]


def test_an_accuracy_of_one_example_per_step_says_nothing_of_how_poor(rng):
    # Lightning logs train_acc_step of a batch of one: every value 0 or 1. The loss fell
    # from 5.2 to a noisy 0.6-0.8: nothing says that level is poor
    s = np.arange(49, 750, 50)
    loss = np.r_[5.17, 3.9, 1.17, 1.1, 0.66, 0.88, 0.61, 0.71, 0.82, 1.18, 1.3, 1.34, 0.55,
                 0.61, 0.85]
    acc = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0], dtype=float)
    d = diagnose(tagged_run({"train_loss_step": (s, loss), "train_acc_step": (s, acc)}))
    assert "underfitting" not in d.labels
    assert Curves.of(tagged_run({"train_acc_step": (s, acc)})).get("train_acc").one_example
    # an accuracy of a batch is a level: stuck at 0.45 it is poor
    batch = 0.45 + 0.02 * rng.standard_normal(15)
    d = diagnose(tagged_run({"train_loss_step": (s, loss), "train_acc_step": (s, batch)}))
    assert "underfitting" in d.labels


def test_a_short_log_that_gives_back_all_validation_gained_overfits():
    # five epochs of a many-class classifier: validation best at epoch 2 (3.24), then
    # 3.26, 3.29, 3.32, above its first evaluation (3.29), while training falls 3.59 ->
    # 2.79. A rise of 3% of its level, but every evaluation after the best worse than the
    # last, and all that validation gained given back
    e = epochs(5)
    train = np.array([3.587, 3.049, 2.905, 2.832, 2.787])
    d = diagnose(tagged_run({"train_loss": (e, train),
                             "val_loss": (e, np.array([3.294, 3.236, 3.261, 3.294, 3.323]))}))
    assert "overfitting" in d.labels
    # the same small wobble that stays below where validation began is noise
    d = diagnose(tagged_run({"train_loss": (e, train),
                             "val_loss": (e, np.array([3.40, 3.236, 3.261, 3.27, 3.28]))}))
    assert "overfitting" not in d.labels


def test_validation_zigzagging_beside_a_training_loss_that_climbs_back_is_lr_too_high(rng):
    # SGD at a rate far too high on a per-step log: validation (every 40 steps) jumps
    # between 0.2 and 0.45; training climbs back from 0.15 to 0.8 for 400 steps (no
    # explosion) and falls again; not overfitting
    s = np.arange(0, 2000, 5)
    train = np.where((s >= 800) & (s < 1200), 0.8, falling(s, 1.8, 0.15, 150))
    vs = np.arange(40, 2000, 40)
    val = falling(vs, 0.6, 0.2, 150) * np.where((vs // 80) % 2 == 1, 2.2, 1.0)
    d = diagnose(tagged_run({"train/loss": (s, train * (1 + 0.05 * rng.standard_normal(len(s)))),
                             "val/loss": (vs, val)}, hparams={"num_classes": 10}))
    assert d.labels == ["lr_too_high"]


def test_test_loss_spikes_beside_a_training_loss_knocked_onto_a_plateau_are_lr_too_high(rng):
    # a binary CNN, 150 epochs: the test loss spikes to twice its level again and again;
    # at epoch 94 a blow-up knocks training from 0.29 up to a flat 0.41 for 14 epochs
    # (a fifth of all it learned) before it recovers
    e = epochs(150)
    train = 0.17 + 0.53 * np.exp(-e / 60)
    train = np.where((e >= 94) & (e < 108), 0.41, train) * (1 + 0.01 * rng.standard_normal(150))
    val = (0.15 + 0.55 * np.exp(-e / 55)) * np.where(rng.random(150) < 0.15, 2.0, 1.0)
    d = diagnose(tagged_run({"loss": (e, train), "test_loss": (e, val)}))
    assert "lr_too_high" in d.labels
    # the same test loss beside a training loss falling steadily: a small, noisy test set
    d = diagnose(tagged_run({"loss": (e, 0.17 + 0.53 * np.exp(-e / 60)), "test_loss": (e, val)}))
    assert "lr_too_high" not in d.labels


def test_validation_zigzagging_beside_training_spikes_on_a_floor_near_zero_is_not(rng):
    # a long fine-tune: training falls to ~0.01 with spikes to 0.1 near its floor;
    # validation of a small set zigzags and rises: overfitting, not a rate too high
    e = epochs(300)
    train = falling(e, 1.7, 0.01, 15) + np.where(e % 37 == 0, 0.1, 0.0)
    val = (0.6 + 0.004 * e) * np.where(e % 2 == 0, 1.0, 1.5)
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val)}))
    assert "lr_too_high" not in d.labels


def test_a_fine_tune_thrown_off_by_its_warm_up_is_lr_too_high(rng):
    # YOLO classify from pre-trained weights: epoch 1 is the best; as the warm-up brings
    # the rate to 0.01 both losses jump (training 0.57 -> 1.3, validation 0.42 -> 1.6) and
    # accuracy falls to chance; 90 epochs climb slowly back and are still creeping down
    # at the end - no hockey-stick start, and not a run to train longer
    e = epochs(100)
    lr = np.where(e <= 3, 0.0033 * e, 0.0096 * (1 - (e - 3) / 100))
    train = np.where(e == 1, 0.57, np.where(e == 2, 1.28, 0.75 - 0.0036 * (e - 3)))
    val = np.where(e == 1, 0.42, np.where(e == 2, 1.57, 0.68 - 0.0038 * (e - 3)))
    train = train * (1 + 0.01 * rng.standard_normal(100))
    val = val * (1 + 0.02 * rng.standard_normal(100))
    acc = np.clip(1.1 - val, 0.5, 0.9)
    d = diagnose(tagged_run({"train/loss": (e, train), "val/loss": (e, val),
                             "metrics/accuracy_top1": (e, acc), "lr/pg0": (e, lr)}))
    assert d.labels == ["lr_too_high"]
    (f,) = [f for f in d.findings if f.label == "lr_too_high"]
    assert f.code == "CD206" and f.evidence.start_step == 1


def test_a_training_loss_near_zero_that_doubles_beside_a_rising_validation_is_no_overshoot():
    # a long run that memorises: training at 0.01 doubles on a noisy epoch while the
    # validation loss has climbed to 2.5x its best - the overfitting rules' business
    e = epochs(60)
    train = falling(e, 0.7, 0.01, 5) * np.where(e == 30, 2.2, 1.0)
    val = np.where(e <= 8, falling(e, 0.7, 0.3, 2), 0.3 + 0.03 * (e - 8))
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "lr_too_high" not in d.labels and "overfitting" in d.labels


# a log appended to by a later run is judged on its last attempt --------------------------

def _open_one(folder):
    from curvedoc.ingest import open_root

    cat = open_root(str(folder), cache=False)
    (run,) = cat.runs.values()
    return run, cat.config


def test_a_keras_log_appended_by_a_second_run_is_judged_on_the_second(tmp_path):
    # CSVLogger(append=True): a first attempt at a rate far too high climbs to 40, a second
    # from scratch converges; the epoch column starts again at 0
    rows = ["epoch,loss,val_loss"]
    e = np.arange(20)
    rows += [f"{i},{1.5 + 2 * i:.4f},{1.6 + 2 * i:.4f}" for i in e]
    good = falling(e, 1.5, 0.3, 4)
    rows += [f"{i},{t:.4f},{t + 0.05:.4f}" for i, t in zip(e, good, strict=True)]
    (tmp_path / "training.log").write_text("\n".join(rows) + "\n")
    run, config = _open_one(tmp_path)
    d = diagnose(run, config)
    assert d.labels == []
    assert "CD904" in {f.code for f in d.findings}  # the overlap is still reported
    assert len(run.series("loss")) == 20  # the last attempt
    assert (run.scalars["tag"] == "loss").sum() == 40  # the frame keeps every row as logged


def test_an_ultralytics_log_appended_after_a_one_epoch_attempt_is_not_at_init(tmp_path):
    # old YOLO-cls: three attempts in one results.csv (epochs 1..10, 1, 1..10), the
    # validation loss NaN in every row (never computed), top-1 accuracy 0.3 -> 0.4 at 100
    # classes: no bad init from ln(1/0.3), no NaN divergence, and still learning
    head = "epoch,train/loss,metrics/accuracy_top1,metrics/accuracy_top5,val/loss,lr/pg0"
    rows = [head]
    for n, (l0, a0) in ((10, (2.36, 0.30)), (1, (2.3, 0.35)), (10, (2.17, 0.37))):
        for i in range(1, n + 1):
            rows.append(f"{i},{l0 - 0.016 * i:.4f},{a0 + 0.003 * i:.4f},0.8,nan,0.0006")
    (tmp_path / "results.csv").write_text("\n".join(rows) + "\n")
    run, config = _open_one(tmp_path)
    labels = diagnose(run, config).labels
    assert "bad_init" not in labels and "lr_too_high" not in labels


def test_the_last_attempt_keeps_what_a_resumed_run_did_not_log_again():
    from curvedoc.ingest.model import last_attempt_rows

    # resumed from a checkpoint at step 800 after logging up to 1000: TensorBoard's purge
    steps = np.r_[np.arange(0, 1001, 100), np.arange(800, 2001, 100)]
    values = np.r_[np.zeros(11), np.ones(13)]
    keep = last_attempt_rows(steps)
    assert steps[keep].tolist() == list(range(0, 2001, 100))
    assert values[keep].tolist() == [0.0] * 8 + [1.0] * 13
    # a step logged again right after itself is no restart: a last evaluation at the step
    # of the one before (for _without_final_extra), several rows per step
    assert last_attempt_rows(np.array([1, 2, 3, 3])).all()
    assert last_attempt_rows(np.array([0, 0, 0, 1, 1, 1])).all()


def test_a_resumed_fit_appended_to_a_keras_log_is_read_after_the_attempt_it_continued(tmp_path):
    # CSVLogger(append=True) and a second model.fit(): its epochs count from 0 again,
    # its first loss where the first fit ended. One run of 13 epochs, not the last 4
    rows = ["epoch,loss,val_loss"]
    rows += [f"{e},{2.76 - 0.08 * e:.3f},{2.79 - 0.01 * e:.3f}" for e in range(9)]
    rows += [f"{e},{2.10 - 0.004 * e:.3f},{2.70 - 0.002 * e:.3f}" for e in range(4)]
    (tmp_path / "training.log").write_text("\n".join(rows) + "\n")
    run, _ = _open_one(tmp_path)
    assert run.series("train_loss")["step"].tolist() == list(range(13))
    assert Curves.of(run).train.n == 13
    # the runs grid, the run page and check's summary say the run's last step is 12
    assert run.last_step() == 12 and tables.run_row(run, diagnose(run))["steps"] == 12
    assert summaries.summarize(run, {}).steps == 12
    overlap = next(f for f in diagnose(run).findings if f.code == "CD904")
    assert "continuation" in overlap.message
    assert overlap.evidence.start_step is None  # no span of the curve as it is drawn
    # a fit from scratch appended (its loss back at the start) still replaces the first
    rows[10:] = [f"{e},{2.80 - 0.1 * e:.3f},{2.80 - 0.02 * e:.3f}" for e in range(4)]
    (tmp_path / "training.log").write_text("\n".join(rows) + "\n")
    run, _ = _open_one(tmp_path)
    assert run.series("train_loss")["value"].tolist()[-4:] == [2.8, 2.7, 2.6, 2.5]
    assert Curves.of(run).train.n == 4 and run.last_step() == 3
    # a run resumed from its checkpoint at step 800 after logging to 1,000 continues its
    # values too, but rewinds to the checkpoint's step: purged, as TensorBoard does
    steps = np.r_[np.arange(0, 1001, 100), np.arange(800, 2001, 100)]
    rewound = tagged_run({"loss": (steps, 2.0 * np.exp(-steps / 700))})
    assert rewound.series("loss")["step"].tolist() == list(range(0, 2001, 100))


def test_a_gap_in_the_loss_beside_a_validation_accuracy_of_99_percent_is_no_overfit():
    # old YOLOv8-cls: its val/loss sits near 2.3 whatever the model does, while top-1
    # reaches 0.99 by epoch 4; the training loss falls on. Every validation image is
    # right: nothing is lost to the gap
    e = epochs(15)
    train = np.r_[1.81, 0.34 * np.exp(-(e[1:] - 2) / 6.5)]
    val = np.r_[2.37, 2.30, np.full(4, 2.27), np.full(9, 2.26)]
    top1 = np.r_[0.955, 0.97, 0.985, np.full(12, 0.992)]
    d = diagnose(tagged_run({"train/loss": (e, train), "val/loss": (e, val),
                             "metrics/accuracy_top1": (e, top1)}))
    assert "overfitting" not in d.labels


def _yolo_cls(val_loss, top1, train):
    e = epochs(len(val_loss))
    return tagged_run({"train/loss": (e, train), "val/loss": (e, val_loss),
                       "metrics/accuracy_top1": (e, top1)})


def test_a_noisy_validation_flat_since_early_on_beside_a_falling_training_loss_overfits(rng):
    # 50 epochs: validation flat near 0.96 (noise 0.004) from epoch 4 on, drifting down
    # by 0.005 so that its lowest point is the last; top-1 peaks at 0.79 early then drifts
    # to 0.77; training 0.95 -> 0.22, most of it by epoch 35
    e = epochs(50)
    val = np.r_[1.05, 0.99, 0.97, np.linspace(0.963, 0.958, 47)] + 0.002 * rng.standard_normal(50)
    top1 = np.r_[0.74, 0.76, 0.78, np.linspace(0.79, 0.77, 47)]
    train = 0.2 + 0.75 * np.exp(-(e - 1) / 10)
    d = diagnose(_yolo_cls(val, top1, train))
    assert d.labels == ["overfitting"]
    (f,) = [f for f in d.findings if f.label == "overfitting"]
    assert f.evidence.best_step <= 15  # where it went flat, not its lowest point


def test_a_flat_validation_loss_beside_an_accuracy_still_climbing_is_no_overfit(rng):
    # old YOLOv8-cls: val/loss hardly moves (3.3 -> 2.8) while top-1 climbs 0.82 -> 0.91
    e = epochs(20)
    val = np.r_[3.26, 2.99, 2.93, 2.88, np.linspace(2.84, 2.78, 16)]
    top1 = np.r_[0.66, 0.76, 0.81, np.linspace(0.82, 0.915, 17)]
    train = 0.15 + 2.8 * np.exp(-(e - 1) / 3)
    assert "overfitting" not in diagnose(_yolo_cls(val, top1, train)).labels


def test_a_training_loss_at_zero_in_every_row_gives_way_to_a_term_that_moves():
    # YOLO detect on labels that match no box: train/box_loss and dfl_loss are 0 in every
    # row while the class loss falls 113 -> 0.03 and the validation class loss climbs
    # 3.4 -> 6.2 (val/box_loss flat at 3.5): overfitting, read on the class terms
    e = epochs(50)
    zeros = np.zeros(50)
    cls = 0.03 + 113 * np.exp(-(e - 1) / 3)
    val_cls = np.where(e <= 6, 3.6 - 0.03 * e, 3.45 + 0.06 * (e - 6))
    d = diagnose(tagged_run({"train/box_loss": (e, zeros), "train/cls_loss": (e, cls),
                             "train/dfl_loss": (e, zeros), "val/box_loss": (e, 3.5 + 0 * e),
                             "val/cls_loss": (e, val_cls), "val/dfl_loss": (e, 4.2 + 0 * e)}))
    assert "overfitting" in d.labels
    (f,) = [f for f in d.findings if f.label == "overfitting"]
    assert "val/cls_loss" in f.evidence.tags


def test_a_plateau_with_validation_a_fifth_above_training_is_no_underfit():
    # a 50-class task, converged under a cosine schedule: training at 1.99 (half of ln 50),
    # validation 22% above it at 2.42, accuracies 0.61 and 0.44 - the two are not "close"
    # (a gap of this size is the model fitting its training set, not failing to)
    e = epochs(19)
    train = 1.99 + 1.9 * np.exp(-(e - 1) / 4)
    val = 2.42 + 1.37 * np.exp(-(e - 1) / 4.5)
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val),
                             "train_acc": (e, 0.61 - 0.58 * np.exp(-(e - 1) / 4)),
                             "val_acc": (e, 0.44 - 0.37 * np.exp(-(e - 1) / 4.5))},
                            hparams={"num_classes": 50}))
    assert "underfitting" not in d.labels


def _detector_that_never_finds_a_box(rng, with_val_loss: bool):
    # YOLO detect at a peak LR of 3e-5: mAP, precision and recall exactly 0 at all 60
    # evaluations; the noisy training box loss drifts down while val/box_loss sits still
    e = epochs(60)
    series = {"train/box_loss": (e, 3.3 - 0.006 * e + 0.25 * rng.standard_normal(60)),
              "train/cls_loss": (e, 5.8 + 0.1 * rng.standard_normal(60)),
              "metrics/precision(B)": (e, np.zeros(60)),
              "metrics/recall(B)": (e, np.zeros(60)),
              "metrics/mAP50(B)": (e, np.zeros(60))}
    if with_val_loss:
        series |= {"val/box_loss": (e, 3.22 - 0.0002 * e), "val/cls_loss": (e, 5.83 + 0 * e)}
    return tagged_run(series)


def test_a_score_of_zero_at_every_evaluation_that_ran_is_a_model_that_learned_nothing(rng):
    d = diagnose(_detector_that_never_finds_a_box(rng, with_val_loss=True))
    assert "underfitting" in d.labels
    (f,) = [f for f in d.findings if f.code == "CD602"]
    assert "not one prediction was right" in f.message
    assert any("labels' format" in a for a in f.advice)  # not "balance the classes"


def test_a_score_of_zero_without_any_validation_loss_is_a_metric_never_filled_in(rng):
    d = diagnose(_detector_that_never_finds_a_box(rng, with_val_loss=False))
    assert "CD602" not in {f.code for f in d.findings}


def test_a_plateau_creeping_down_by_a_sliver_of_what_it_learned_is_still_a_plateau(rng):
    # Lightning segmentation with a Dice loss, 70 epochs: the epoch loss falls 0.78 -> 0.58
    # in the first epochs, then creeps 0.55 -> 0.52 for the rest, validation flat at 0.62
    # and the F1 of both stuck near 0.5. The tail's creep is small beside the first drop
    e = epochs(70)
    train = 0.52 + 0.06 * np.exp(-(e - 2) / 25) + 0.2 * (e == 1) + 0.006 * rng.standard_normal(70)
    val = 0.62 + 0.05 * np.exp(-(e - 1) / 3) + 0.008 * rng.standard_normal(70)
    f1 = 0.50 - 0.04 * np.exp(-(e - 1) / 10) + 0.008 * rng.standard_normal(70)
    d = diagnose(tagged_run({"train_loss_epoch": (e, train), "val_loss": (e, val),
                             "train_f1_epoch": (e, f1 - 0.01), "val_f1": (e, f1)}))
    assert "underfitting" in d.labels


def test_a_regression_that_learned_a_quarter_of_its_start_is_not_called_poor():
    # a Keras regression, 12 epochs, MSE 0.213 -> 0.162 with validation settled at 0.165:
    # without a chance level or an accuracy nothing says 0.16 is poor for this task
    e = epochs(12, start=0)
    train = 0.16 + 0.053 * np.exp(-e / 1.5) + 0.004 * np.exp(-e / 12)
    val = 0.164 + 0.011 * np.exp(-e / 1.5)
    assert "underfitting" not in diagnose(tagged_run({"loss": (e, train),
                                                      "val_loss": (e, val)})).labels



def _short_fine_tune(seed: int, train_acc_end: float, cosine: bool = False):
    # a Keras fine-tune logged for 15 epochs: validation falls through the whole second
    # half (0.31 -> 0.25), but the last 30% holds five noisy points, too few for a trend
    # test to see the fall on its own
    e = epochs(15, start=15)
    noise = 0.015 * np.random.default_rng(seed).standard_normal(15)
    val = 0.2 + 0.42 * np.exp(-(e - 15) / 6) + noise
    train = 0.3 + 0.55 * np.exp(-(e - 15) / 7)
    acc = train_acc_end - (train_acc_end - 0.7) * np.exp(-(e - 15) / 3)
    series = {"loss": (e, train), "val_loss": (e, val), "accuracy": (e, acc)}
    if cosine:
        series["lr"] = (e, 1e-3 * 0.5 * (1 + np.cos(np.pi * (e - 15) / 14)))
    return tagged_run(series)


def _keep_training_findings(train_acc_end: float, cosine: bool = False):
    return [[f for f in diagnose(_short_fine_tune(seed, train_acc_end, cosine)).findings
             if f.label == "keep_training"] for seed in range(20)]


def test_a_short_tail_still_falling_through_the_last_half_is_keep_training():
    found = _keep_training_findings(train_acc_end=0.88)
    # on most noise draws, many of them only through the fall over the last half
    assert sum(bool(f) for f in found) >= 12
    assert any("on a fall through its last 50%" in f[0].message for f in found if f)


def test_a_short_noisy_tail_beside_a_training_set_already_fit_is_not_keep_training():
    # the same validation beside a training accuracy of 99.5%: the model has fit what it
    # is shown; the weaker evidence of the last half's fall does not count
    found = _keep_training_findings(train_acc_end=0.995)
    assert not any("on a fall through its last" in f[0].message for f in found if f)


def _seq2seq(train_falls: bool):
    # a 10-epoch translation model: the validation cross-entropy (near 4.7, a large
    # vocabulary) is best at epoch 2, then climbs 0.1 epoch after epoch, 2% of its level
    # but half of all it had gained
    e = epochs(10)
    val = np.r_[4.89, 4.71, 4.72, 4.73, 4.745, 4.755, 4.765, 4.78, 4.80, 4.81]
    train = 4.0 + 1.9 * np.exp(-(e - 1) / 2.5) if train_falls else 4.7 + 0 * e
    return tagged_run({"train_loss": (e, train), "val_loss": (e, val)})


def test_a_small_steady_climb_of_validation_under_a_falling_training_loss_is_overfitting():
    d = diagnose(_seq2seq(train_falls=True))
    assert "overfitting" in d.labels
    (f,) = [f for f in d.findings if f.code == "CD501"]
    assert f.evidence.best_step == 2


def test_a_small_steady_climb_beside_a_training_loss_that_stopped_is_no_overfitting():
    assert "overfitting" not in diagnose(_seq2seq(train_falls=False)).labels



def _reduce_on_plateau(rng, factor: float, patience: int):
    # Keras ReduceLROnPlateau: validation stalls from epoch 5, so the rate is cut by
    # ``factor`` each time ``patience`` epochs pass without a new best; the training loss
    # still falls slowly through the first cuts
    e = epochs(50, start=0)
    val = 0.47 + 0.3 * np.exp(-e / 1.5) + 0.01 * rng.standard_normal(50)
    train = 0.5 + 0.3 * np.exp(-e / 1.5) + 0.3 * np.exp(-e / 8)
    lr, rate, best, since = [], 1e-3, np.inf, 0
    for value in val:
        lr.append(rate)
        best, since = (value, 0) if value < best else (best, since + 1)
        if since >= patience:
            rate, since = rate * factor, 0
    return tagged_run({"loss": (e, train), "val_loss": (e, val), "lr": (e, np.array(lr))})


@pytest.mark.parametrize(("factor", "patience"), [(0.5, 2), (0.1, 3)])
def test_a_rate_cut_each_time_validation_stalled_is_not_decayed_too_early(rng, factor,
                                                                         patience):
    d = diagnose(_reduce_on_plateau(rng, factor, patience))
    assert "decayed_too_early" not in d.labels


def test_two_early_cuts_while_validation_still_made_new_bests_are_decayed_too_early(rng):
    # MultiStepLR at epochs 6 and 12 of 60, each 10x, while both losses still fell fast:
    # cut again and again, but not in answer to a plateau
    e = epochs(60, start=0)
    lr = np.where(e < 6, 1e-2, np.where(e < 12, 1e-3, 1e-4))
    progress = np.cumsum(lr / 1e-2)
    train = 0.1 + 2.0 * np.exp(-progress / 12) + 0.005 * rng.standard_normal(60)
    val = 0.15 + 2.0 * np.exp(-progress / 12) + 0.005 * rng.standard_normal(60)
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val), "lr": (e, lr)}))
    assert "decayed_too_early" in d.labels



@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_loss_climbing_through_its_tail_is_no_plateau(seed):
    # a BERT fine-tune that logged one loss with its evaluation scores: the loss is best at
    # epoch 2 (0.52), holds, then climbs to 0.9 while accuracy holds at 0.87. However high
    # it ends against its start, a loss getting worse has not plateaued at a poor level
    rng = np.random.default_rng(seed)
    e = epochs(11, start=0)
    loss = np.r_[0.7, 0.6, 0.52, np.full(3, 0.62), 0.74 + 0.04 * np.arange(5)]
    loss = loss + 0.008 * rng.standard_normal(11)
    acc = np.r_[0.59, 0.85, np.full(9, 0.87)] + 0.005 * rng.standard_normal(11)
    d = diagnose(tagged_run({"loss": (e, loss), "accuracy": (e, acc), "f1": (e, acc)}))
    assert "underfitting" not in d.labels


@pytest.mark.parametrize("seed", range(8))
def test_a_noisy_fine_tune_loss_that_sags_by_a_third_is_no_hockey_stick(seed):
    # an HF image-classifier fine-tune logged every 100 steps: the pre-trained model starts
    # near its floor (0.11), the noisy loss holds for 2,000 steps, then sags to 0.075 under
    # a linear decay. A third off an already low loss is no network learning at last
    rng = np.random.default_rng(seed)
    s = np.arange(100, 6601, 100)
    sag = 0.035 * (1 - np.exp(-np.clip(s - 2000, 0, None) / 800))
    loss = 0.11 - sag + 0.01 * rng.standard_normal(len(s))
    d = diagnose(tagged_run({"loss": (s, loss), "learning_rate": (s, 2e-4 * (1 - s / 6700)),
                             "eval_loss": (np.array([3000, 6000]), np.array([0.126, 0.08]))}))
    assert "bad_init" not in d.labels


def _stuck_keras(rng, acc_end: float):
    # Keras, 3 classes, 20 epochs: the epoch-0 mean is 10.9 (a blow-up in the first
    # batches), then train and validation sit at 1.02 while the training accuracy goes
    # from 0.57 to ``acc_end``
    e = epochs(20, start=0)
    train = np.r_[10.9, 1.02 + 0.1 * np.exp(-np.arange(19) / 1.5)]
    val = 1.02 + 0.3 * np.exp(-e / 1.5) + 0.005 * rng.standard_normal(20)
    acc = 0.57 + (acc_end - 0.57) * (1 - np.exp(-e / 4)) + 0.004 * rng.standard_normal(20)
    return tagged_run({"loss": (e, train), "val_loss": (e, val), "accuracy": (e, acc),
                       "val_accuracy": (e, acc - 0.02)})


def test_an_accuracy_that_never_moved_from_its_first_epoch_is_underfitting(rng):
    assert "underfitting" in diagnose(_stuck_keras(rng, acc_end=0.6)).labels


def test_an_accuracy_that_climbed_after_its_first_epoch_is_no_stuck_model(rng):
    assert "underfitting" not in diagnose(_stuck_keras(rng, acc_end=0.8)).labels


def test_a_training_set_never_learned_is_underfitting_beside_an_erratic_validation(rng):
    # 7-class emotions: the training loss sits at 2.0 with accuracy ~0.11 for 21 epochs;
    # validation loss jumps between 3 and 8.7. Not close to training, but a model that
    # learned nothing at all has not fit its task, whatever validation does above it
    e = epochs(21, start=0)
    train = 2.01 - 0.0015 * e + 0.01 * rng.standard_normal(21)
    acc = 0.115 - 0.0005 * e + 0.01 * rng.standard_normal(21)
    val = rng.uniform(3.0, 8.7, 21)
    d = diagnose(tagged_run({"loss": (e, train), "accuracy": (e, acc), "val_loss": (e, val),
                             "val_accuracy": (e, 0.14 + 0.01 * rng.standard_normal(21))}))
    assert "underfitting" in d.labels


def test_validation_rising_beside_a_training_loss_that_never_fell_is_no_overfit(rng):
    # the training loss sits at ln(7) for 30 epochs (it fell 1%); validation drifts up
    # 25% from its best: nothing was learned that could be fit too well
    e = epochs(30)
    train = 1.95 - 0.0007 * e + 0.005 * rng.standard_normal(30)
    val = 2.0 + 0.02 * np.clip(e - 5, 0, None) + 0.01 * rng.standard_normal(30)
    d = diagnose(tagged_run({"loss": (e, train), "val_loss": (e, val)}))
    assert "overfitting" not in d.labels


def test_a_validation_loss_shrinking_beside_every_example_right_is_no_keep_training(rng):
    # YOLOv8-cls, 70 epochs, two classes: top-1 is 1.0 from epoch 25 while the validation
    # loss goes on shrinking, 0.58 -> 1e-4, down by more than three decades. What it
    # still gains moves no prediction: the task is solved
    e = epochs(70)
    val = 0.58 * np.exp(-(e - 1) / 7) * np.exp(0.2 * rng.standard_normal(70))
    train = 0.02 + 0.65 * np.exp(-(e - 1) / 5) + 0.01 * np.abs(rng.standard_normal(70))
    top1 = np.minimum(1.0, 0.78 + 0.01 * (e - 1))
    d = diagnose(tagged_run({"train/loss": (e, train), "val/loss": (e, val),
                             "metrics/accuracy_top1": (e, top1)}))
    assert "keep_training" not in d.labels


def test_an_eval_loss_down_three_decades_is_solved_with_no_accuracy_logged():
    # an HF speech fine-tune evaluated 7 times: the eval loss fell 0.70 -> 0.0004 (its
    # WER reached 0); each of the last evaluations still gained a little, which moves no
    # transcript. Only the loss is a role: the fall itself says the task is solved
    s = np.arange(10, 360, 10)
    train = 0.1 + 7.9 * np.exp(-(s - 10) / 40)
    vs = np.arange(50, 400, 50)
    val = np.array([0.696, 0.0815, 0.0387, 0.0912, 0.000665, 0.000498, 0.000409])
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, val)}))
    assert "keep_training" not in d.labels
    # the same run ending 35-fold down, still gaining every evaluation, goes on
    val = np.array([0.696, 0.3, 0.15, 0.09, 0.05, 0.03, 0.02])
    d = diagnose(tagged_run({"loss": (s, train), "eval_loss": (vs, val)}))
    assert "keep_training" in d.labels



def test_a_short_tail_under_a_schedule_decayed_to_nothing_is_not_keep_training():
    # the fine-tune above, its cosine schedule run down to zero at the last epoch
    found = _keep_training_findings(train_acc_end=0.88, cosine=True)
    assert not any("on a fall through its last" in f[0].message for f in found if f)


def _hf_three_epochs(eval_loss):
    # an HF fine-tune evaluated once per epoch, the training loss logged at the same steps
    s = np.array([898, 1796, 2694])
    return tagged_run({"loss": (s, np.array([0.29, 0.12, 0.07])),
                       "eval_loss": (s, np.asarray(eval_loss, float)),
                       "learning_rate": (s, np.array([3.6e-5, 1.8e-5, 2e-8]))})


def test_an_eval_loss_worse_at_every_epoch_after_the_first_is_overfitting():
    d = diagnose(_hf_three_epochs([0.157, 0.165, 0.192]))
    assert "overfitting" in d.labels
    (f,) = [f for f in d.findings if f.label == "overfitting"]
    assert f.evidence.best_step == 898


def test_an_eval_loss_that_rose_once_and_came_back_is_no_overfit_on_three_epochs():
    assert "overfitting" not in diagnose(_hf_three_epochs([0.157, 0.19, 0.17])).labels


def _cls_near_zero(rng, top1_end: float):
    # YOLOv8-cls, 35 epochs: validation loss from 0.41 down to ~0.004 by epoch 12, then
    # wobbling up to ~0.012 while the training loss keeps falling
    e = epochs(35)
    val = np.where(e <= 12, 0.41 * np.exp(-(e - 1) / 2.2), 0.004 + 0.0004 * (e - 12))
    val = val * np.exp(0.15 * rng.standard_normal(35))
    train = 0.004 + 0.66 * np.exp(-(e - 1) / 4)
    top1 = np.minimum(top1_end, 0.82 + 0.03 * (e - 1))
    return tagged_run({"train/loss": (e, train), "val/loss": (e, val),
                       "metrics/accuracy_top1": (e, top1)})


def test_a_validation_loss_wobbling_near_zero_beside_every_example_right_is_no_overfit(rng):
    assert "overfitting" not in diagnose(_cls_near_zero(rng, top1_end=1.0)).labels


def test_the_same_wobble_beside_an_accuracy_short_of_perfect_is_overfitting(rng):
    assert "overfitting" in diagnose(_cls_near_zero(rng, top1_end=0.95)).labels


def test_a_gap_read_off_four_training_points_is_no_evidence():
    # an HF ViT fine-tune: the training loss logged every 500 steps (four points, 3.6 ->
    # 0.04), ten evaluations with the eval loss settled at 0.10 from the seventh. Read at
    # every evaluation, the training loss is a line drawn between four points
    s = np.arange(195, 1951, 195)
    d = diagnose(tagged_run({
        "loss": (np.array([1, 500, 1000, 1500]), np.array([3.62, 0.84, 0.128, 0.04])),
        "eval_loss": (s, 0.1 + 0.35 * np.exp(-(s - 195) / 300)),
        "eval_accuracy": (s, 0.969 - 0.1 * np.exp(-(s - 195) / 300))}))
    assert "CD503" not in {f.code for f in d.findings}
    assert "training points" in d.skipped["CD503"]


def _confident_gap(rng, val_acc_end, train_acc_end=0.96):
    # a small classifier: training loss falls far below a validation loss flat since epoch
    # 40; training accuracy ends at ``train_acc_end``, validation accuracy at ``val_acc_end``
    e = epochs(150)
    train = falling(e, 1.1, 0.02, 40) * (1 + 0.02 * rng.standard_normal(150))
    val = np.where(e < 40, falling(e, 1.1, 0.3, 12), 0.3) * (1 + 0.02 * rng.standard_normal(150))
    acc = train_acc_end - 0.6 * np.exp(-e / 10)
    return diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val),
                                "train_acc": (e, acc),
                                "val_acc": (e, acc - train_acc_end + val_acc_end)}))


def test_a_loss_gap_beside_a_validation_accuracy_as_high_as_training_is_no_overfit(rng):
    assert "CD503" not in {f.code for f in _confident_gap(rng, val_acc_end=0.97).findings}


def test_a_loss_gap_beside_a_validation_accuracy_below_training_is_overfitting(rng):
    assert "CD503" in {f.code for f in _confident_gap(rng, val_acc_end=0.90).findings}


def test_a_loss_gap_beside_accuracies_two_points_apart_is_no_overfit(rng):
    # a converged classifier: 96% on the examples it fitted, 94% on held-out ones; the
    # validation loss flat while training's still falls is confidence, not memory
    assert "CD503" not in {f.code for f in _confident_gap(rng, val_acc_end=0.94).findings}


def test_a_loss_gap_beside_a_training_set_fitted_whole_is_overfitting(rng):
    # every training example right (100%), held-out ones at 98%: two points apart, but an
    # error many times training's: the training set is memorised
    d = _confident_gap(rng, val_acc_end=0.98, train_acc_end=1.0)
    assert "CD503" in {f.code for f in d.findings}


def _slow_box_loss(rng, map_end):
    # a detector's first seven epochs: the box loss (no chance level, no accuracy) barely
    # moves, 1.94 -> 1.82, validation close beside it; its mAP50 ends at ``map_end``
    e = epochs(7)
    train = np.array([1.94, 1.91, 1.93, 1.90, 1.84, 1.85, 1.82])
    val = train * 1.1 * (1 + 0.01 * rng.standard_normal(7))
    score = np.linspace(0.32, map_end, 7)
    return diagnose(tagged_run({"train/box_loss": (e, train), "val/box_loss": (e, val),
                                "metrics/mAP50(B)": (e, score)}))


def test_a_loss_that_barely_moved_beside_a_score_that_learned_is_no_underfit(rng):
    assert "underfitting" not in _slow_box_loss(rng, map_end=0.60).labels


def test_a_loss_that_barely_moved_beside_a_score_that_barely_moved_is_underfitting(rng):
    assert "underfitting" in _slow_box_loss(rng, map_end=0.36).labels


def test_a_validation_zigzag_is_judged_alike_with_or_without_an_evaluation_before_training(rng):
    # SGD at a rate too high on digits: validation every 20 steps bounces between 0.3 and
    # 0.6 on a level near 0.4, the per-step training loss climbing back to 0.8 twice.
    # Logging an evaluation before the first update (2.3, ln(10)) adds a drop every run
    # has; it must not make the bounces look small beside "all the curve learned"
    s = np.arange(1, 401)
    train = np.clip(0.25 + 0.05 * rng.standard_normal(400), 0.05, None)
    train[:20] = np.linspace(2.3, 0.5, 20)
    train[(s > 120) & (s <= 150) | (s > 260) & (s <= 290)] = 0.8
    vs = np.arange(20, 401, 20)
    val = np.array([0.69, 0.33, 0.62, 0.37, 0.58, 0.31, 0.36, 0.41, 0.46, 0.53,
                    0.43, 0.59, 0.50, 0.29, 0.56, 0.23, 0.29, 0.36, 0.33, 0.35])
    without = tagged_run({"train/loss": (s, train), "val/loss": (vs, val)},
                         hparams={"num_classes": 10})
    with_init = tagged_run({"train/loss": (np.r_[0, s], np.r_[2.3, train]),
                            "val/loss": (np.r_[0, vs], np.r_[2.3, val])},
                           hparams={"num_classes": 10})
    codes = [{f.code for f in diagnose(r).findings} for r in (without, with_init)]
    assert "CD204" in codes[0] and "CD204" in codes[1]


def _creeping_to_the_end(lr):
    # a fine-tune of 60 epochs: both losses fell fast, then crept down to the end, gaining
    # 16% of their level over the last 30% of the run but a few percent of all they gained
    e = epochs(60)
    val = 0.9 * np.exp(-e / 6) + 0.25 - 0.0015 * e
    train = 0.95 * np.exp(-e / 6) + 0.22 - 0.0017 * e
    return diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val),
                                "lr": (e, lr(e))}))


def test_a_creep_at_the_end_of_a_schedule_decayed_to_zero_is_no_unfinished_run():
    # a cosine schedule run to its end: the last crumbs are its anneal's, not a run cut short
    d = _creeping_to_the_end(lambda e: 0.05 * (1 + np.cos(np.pi * e / e[-1])))
    assert "keep_training" not in d.labels


def test_the_same_creep_under_a_constant_rate_is_keep_training():
    d = _creeping_to_the_end(lambda e: np.full(len(e), 0.1))
    assert "keep_training" in d.labels


def _short_poor_plateau(tail):
    # nine epochs of a classifier that learned in its first and no more: training loss at
    # 4.9 (ln(1000) is 6.9), accuracy 0.28, validation close beside it; ``tail``: its last
    # four training losses
    e = epochs(9)
    train = np.array([6.81, 4.95, 4.96, 4.94, 4.85, *tail])
    acc = np.array([0.12, 0.26, 0.27, 0.27, 0.28, 0.27, 0.28, 0.27, 0.28])
    return diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, train * 1.06),
                                "train_acc": (e, acc), "val_acc": (e, acc - 0.01)}))


def test_a_short_plateau_whose_last_point_dips_below_a_spike_is_underfitting():
    # the last epoch is 3.6% below the one before, a noise spike; it is no new best
    assert "underfitting" in _short_poor_plateau([4.94, 4.79, 5.11, 4.93]).labels


def test_a_short_plateau_falling_by_its_last_decimals_is_underfitting():
    # each of the last four epochs a hair lower: 0.3% over them is no creeping down
    assert "underfitting" in _short_poor_plateau([4.945, 4.941, 4.935, 4.93]).labels


def test_a_short_log_still_falling_to_a_new_best_is_no_plateau():
    assert "underfitting" not in _short_poor_plateau([4.7, 4.5, 4.3, 4.1]).labels


def _appended(steps_after):
    # ``python train.py >> train.log``: a 15-epoch run, then a second one appended
    e = np.concatenate([epochs(15), steps_after])
    loss = np.concatenate([falling(epochs(15), 1.2, 0.01, 3), np.full(len(steps_after), 1.1)])
    return diagnose(tagged_run({"train_loss": (e, loss), "val_loss": (e, loss * 1.2)}))


def test_a_short_run_appended_to_a_log_says_what_it_hides():
    d = _appended(np.array([1]))
    overlap = next(f for f in d.findings if f.code == "CD904")
    assert "starts over at step 1 after reaching step 15" in overlap.message
    assert "15 points logged before it are hidden" in overlap.message
    assert any("log file of its own" in a for a in overlap.advice)


def test_one_step_logged_again_mid_run_is_no_restart():
    # a summary line naming the best epoch after the last: no run started over
    assert "CD904" not in {f.code for f in _appended(np.array([7])).findings}


def _plateau_beside_eval_accuracy(acc_end):
    # an HF Trainer run: a loss logged every 10 steps, evaluations every 100 with their
    # accuracy, no training accuracy; the loss fell from 0.67 to 0.37 in its first steps
    # and sat there, the eval loss beside it
    s = np.arange(10, 1010, 10)
    loss = 0.37 + 0.3 * np.exp(-s / 30) + 0.01 * np.sin(s)
    es = np.arange(100, 1100, 100)
    return diagnose(tagged_run({"loss": (s, loss), "eval_loss": (es, np.full(10, 0.385)),
                                "eval_accuracy": (es, np.full(10, acc_end) + 0.001 * (es % 3))}))


def test_a_plateau_beside_a_poor_eval_accuracy_is_underfitting():
    # no training accuracy: validation's is the yardstick of how poor the plateau is
    assert "underfitting" in _plateau_beside_eval_accuracy(0.85).labels


def test_a_plateau_beside_a_good_eval_accuracy_is_no_underfit():
    assert "underfitting" not in _plateau_beside_eval_accuracy(0.96).labels


def _thrown_to_chance(first_epoch_mean):
    # a Lightning CNN on a 10-class task at SGD lr=2: its first epoch's mean loss is
    # ``first_epoch_mean``, then it sits at ln(10) = 2.30 with a little noise
    e = np.arange(0, 280, 20)
    rest = 2.36 + 0.015 * np.sin(e[1:])
    loss = np.concatenate([[first_epoch_mean], rest])
    return diagnose(tagged_run({"train_loss_epoch": (e, loss), "val_loss": (e, loss + 0.01)},
                               hparams={"num_classes": 10}))


def test_a_first_epoch_thrown_far_above_chance_then_stuck_there_is_lr_too_high():
    d = _thrown_to_chance(3.98)  # 1.7x ln(10): the loss blew up within the first epoch
    assert "lr_too_high" in d.labels and "underfitting" not in d.labels
    assert "first epoch" in next(f for f in d.findings if f.code == "CD202").message


def test_a_first_epoch_near_chance_then_stuck_there_is_no_lr_too_high():
    assert "lr_too_high" not in _thrown_to_chance(2.5).labels


def test_a_gap_opening_under_a_validation_loss_that_all_but_stopped_is_overfitting():
    # a segmentation net: training cross-entropy still falls 0.36 -> 0.28 (23%) over the
    # last 30% of the run, validation creeps 0.543 -> 0.535 (1.5%) beside it: the gap grows
    e = epochs(50)
    train = 2.2 * np.exp(-e / 3) + 0.55 - 0.0055 * e
    val = 1.3 * np.exp(-e / 4) + 0.56 - 0.0005 * e
    d = diagnose(tagged_run({"train_loss": (e, train), "val_loss": (e, val)}))
    assert "CD503" in {f.code for f in d.findings}
