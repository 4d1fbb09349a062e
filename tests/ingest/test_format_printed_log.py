"""Training logs printed as text: the ways loops and loggers print them; what is no log."""

from __future__ import annotations

from functools import partial

import format_calls
import pytest

from curvedoc.ingest import discover, open_root, read_run
from curvedoc.ingest.formats.printed_log import FORMAT

read = partial(format_calls.read, FORMAT)
series = format_calls.series
write = format_calls.write


@pytest.mark.parametrize("text, tag, values", [
    ("Epoch 1/10 | Loss: 0.6924\nEpoch 2/10 | Loss: 0.5995\n", "Loss", {1: 0.6924, 2: 0.5995}),
    ("Epoch [1/10] Loss: 0.6276, Accuracy: 82.44%\nEpoch [2/10] Loss: 0.2610, Accuracy: 92.13%\n",
     "Accuracy", {1: 82.44, 2: 92.13}),
    ("Epoch:0, mask loss is 0.1411 \nEpoch:1, mask loss is 0.0967 \n", "mask loss",
     {0: 0.1411, 1: 0.0967}),
    ("Step     1, Loss: 10.988944, LR: 0.000001\nStep    50, Loss: 7.627681, LR: 0.000075\n",
     "LR", {1: 1e-06, 50: 7.5e-05}),
    ("epoch 1: train_loss=1.5984, val_loss=1.3220\nepoch 2: train_loss=1.5051, val_loss=1.3134\n",
     "val_loss", {1: 1.322, 2: 1.3134}),
    # names and values with only spaces between; the first name's phase is the others'
    ("2026-09-11 23:12:31,442 Epoch 1/5  train loss 0.3837 acc 0.9137 | val loss 0.0672 acc "
     "0.9805 | 401s\n2026-09-11 23:17:30,347 Epoch 2/5  train loss 0.0606 acc 0.9831 | val loss "
     "0.0532 acc 0.9822 | 299s\n", "val acc", {1: 0.9805, 2: 0.9822}),
    ("iter   250 | train loss 2.4694 | val loss 2.4669 | 169s elapsed\n"
     "iter   500 | train loss 2.3046 | val loss 2.3116 | 333s elapsed\n", "val loss",
     {250: 2.4669, 500: 2.3116}),
    # name=value pairs with only spaces between; the finer step printed after the epoch
    ("2026-03-03 02:13:09 | \nepoch=1 step=200 train_loss=0.3574 val_loss=0.3097\n"
     "2026-03-03 02:15:28 | \nepoch=1 step=400 train_loss=0.3009 val_loss=0.1506\n"
     "epoch=2 step=600 train_loss=0.2727 val_loss=0.1806\n", "val_loss",
     {200: 0.3097, 400: 0.1506, 600: 0.1806}),
    ("INFO | Epoch [001/30] TrainLoss=1.8695 TrainAcc=48.54% | ValLoss=1.3028 | LR=1.00e-04 | "
     "Time=480.3s\nINFO | Epoch [002/30] TrainLoss=1.5289 TrainAcc=54.79% | ValLoss=1.1843 | "
     "LR=1.00e-04 | Time=571.2s\n", "TrainAcc", {1: 48.54, 2: 54.79}),
    # name: value pairs with only spaces between
    ("Vocabulary size: 228\nEpoch [1/10] Train Loss: 3.9622 Val Loss: 2.8424\nMdel saved.\n"
     "Epoch [2/10] Train Loss: 2.4839 Val Loss: 2.2564\n", "Val Loss", {1: 2.8424, 2: 2.2564}),
    # a phase named before the step names the line's metrics
    ("- Train Summary | Epoch 1 | Loss=0.2019 | Reco=0.1994\n"
     "- Valid Summary | Epoch 1 | Loss=0.2223 | Nsdr=2.727\n"
     "- Train Summary | Epoch 2 | Loss=0.1751 | Reco=0.1728\n"
     "- Valid Summary | Epoch 2 | Loss=0.2016 | Nsdr=3.261\n", "Valid Loss",
     {1: 0.2223, 2: 0.2016}),
])


def test_each_way_a_loop_prints_its_metrics_is_read(tmp_path, text, tag, values):
    path = write(tmp_path / "train.log", text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    assert series(read(path).scalars, tag) == values


def test_a_phase_before_the_step_keeps_train_and_validation_apart(tmp_path):
    text = ("[Train] Epoch 1 loss: 0.9 acc: 0.6\n[Val] Epoch 1 loss: 1.0 acc: 0.55\n"
            "[Train] Epoch 2 loss: 0.7 acc: 0.7\n[Val] Epoch 2 loss: 0.8 train_loss: 0.71\n")
    result = read(write(tmp_path / "train.log", text))
    assert series(result.scalars, "Train loss") == {1: 0.9, 2: 0.7}
    assert series(result.scalars, "Val loss") == {1: 1.0, 2: 0.8}
    assert series(result.scalars, "train_loss") == {2: 0.71}  # named its own phase


def test_a_line_that_starts_with_an_evaluation_metric_is_the_evaluations_line(tmp_path):
    # the validation line prints its loss as a bare "loss", like the training line: it is
    # the validation loss, never a second training loss at the same epoch
    text = ("17:46:38 [Epoch: 01] Train acc: 0.0821 | loss: 2.6612\n"
            "17:50:04 [Epoch: 02] Train acc: 0.1398 | loss: 2.4842 | lr: 0.001\n"
            "18:02:35 [Epoch: 02] Valid acc: 0.2988 | loss: 2.0462 | lr: 0.001\n"
            "18:06:23 [Epoch: 03] val_acc: 0.31 | loss: 1.9\n")
    frame = read(write(tmp_path / "train_log.txt", text)).scalars
    assert series(frame, "loss") == {1: 2.6612, 2: 2.4842}
    assert series(frame, "Valid loss") == {2: 2.0462}
    assert series(frame, "val_loss") == {3: 1.9}
    assert series(frame, "lr") == {2: 0.001}  # no loss nor score: no phase to take


def test_a_phase_after_the_step_names_the_lines_metrics(tmp_path):
    text = ("INFO - Epoch 1, Batch 0/8, Loss: 2.5535\n"
            "INFO - Epoch 1 Training - Loss: 1.2084, Mod Acc: 0.8061\n"
            "INFO - Epoch 1 Validation - Loss: 18.4914, Mod Acc: 0.0000\n"
            "INFO - Epoch 2 Training - Loss: 0.1862, Mod Acc: 0.9731\n"
            "INFO - Epoch 2 Validation - Loss: 38.2941, Mod Acc: 0.0000\n")
    frame = read(write(tmp_path / "training.log", text)).scalars
    assert series(frame, "Validation Loss") == {1: 18.4914, 2: 38.2941}
    assert series(frame, "Training Loss") == {1: 1.2084, 2: 0.1862}


def test_metrics_on_lines_of_their_own_below_each_epoch_belong_to_it(tmp_path):
    # LibRecommender prints the epoch, then the training loss and each evaluation metric
    # on a line of its own; a test score printed once after the last epoch is no curve
    blocks = "".join(f"Epoch {e} elapsed: 84.2s\ntrain_loss: {0.002 / e:.4f}\n"
                     f"eval_pred: 100%|####| 34/34\neval rmse: {0.035 + e / 1000:.4f}\n"
                     "==============================\n" for e in range(1, 4))
    frame = read(write(tmp_path / "train.log", blocks + "test accuracy: 0.91\n")).scalars
    assert series(frame, "eval rmse") == {1: 0.036, 2: 0.037, 3: 0.038}
    assert series(frame, "train_loss") == {1: 0.002, 2: 0.001, 3: 0.0007}
    assert "test accuracy" not in set(frame["tag"]) and "eval_pred" not in set(frame["tag"])


def test_a_callbacks_prose_is_no_metric_and_hides_no_epoch(tmp_path):
    # Keras' ModelCheckpoint prints a sentence with a number under each epoch: the metrics
    # line after it is still that epoch's, and the sentence makes no tag
    text = "".join(f"Epoch {e}/3\n\nEpoch {e}: val_accuracy did not improve from 0.14602\n"
                   f"52/52 - 9s - loss: {1 / e:.4f} - val_loss: {1.5 / e:.4f}\n"
                   for e in range(1, 4))
    text += "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.0005.\n"
    frame = read(write(tmp_path / "training.log", text)).scalars
    assert series(frame, "val_loss") == {1: 1.5, 2: 0.75, 3: 0.5}
    assert set(frame["tag"]) == {"loss", "val_loss"}


def test_a_note_after_a_printed_table_rows_last_value_keeps_the_row(tmp_path):
    text = ("Starting training - 50 epochs, batch=256\n\n"
            " Epoch | TrainLoss |  ValLoss |  ValAcc |   Time\n"
            "--------------------------------------------------\n"
            "     1 |    1.0164 |   0.8634 |  60.67% |  19.6s  \u2190 best\n"
            "     2 |    0.8442 |   1.1590 |  31.25% |  19.4s\n"
            "     3 |    0.7801 |   0.7055 |  70.02% |  19.4s  \u2190 best\n")
    path = write(tmp_path / "train.log", text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    frame = read(path).scalars
    assert series(frame, "ValLoss") == {1: 0.8634, 2: 1.159, 3: 0.7055}
    gaps = "epoch  train_loss  val_loss\n1  0.90  1.00\n2  0.61  0.72  * best\n3  0.51  0.70\n"
    assert series(read(write(tmp_path / "b" / "log.txt", gaps)).scalars, "val_loss") == {
        1: 1.0, 2: 0.72, 3: 0.7}


def test_console_output_pasted_into_markdown_is_a_log_and_a_readme_is_not(tmp_path):
    lines = "".join(f"Epoch [{e}/20], Train Loss: {1 / e:.4f}, Test Loss: {1.2 / e:.4f}\n"
                    for e in range(1, 7))
    out = write(tmp_path / "train_output.md", "```\n" + lines + "```\n")
    assert FORMAT.sniff(str(out), out.read_bytes())
    assert series(read(out).scalars, "Test Loss")[6] == 0.2
    readme = write(tmp_path / "README.md", "# Model\nTrained 20 epochs:\n\n"
                   + "".join(lines.splitlines(True)[-2:]) + "\nSee the notebook.\n")
    assert not FORMAT.sniff(str(readme), readme.read_bytes())


def test_the_count_of_steps_after_the_step_is_no_metric(tmp_path):
    text = "Epoch 5 of 10, loss: 0.3\nEpoch 6 of 10, loss: 0.25\nStep 700 of 2000 | loss 0.2\n"
    result = read(write(tmp_path / "train.log", text))
    assert set(result.scalars["tag"]) == {"loss"}  # no tag "of"
    assert series(result.scalars, "loss") == {5: 0.3, 6: 0.25, 700: 0.2}


def test_a_step_counted_again_each_epoch_is_counted_on_through_the_epochs(tmp_path):
    # no count per epoch printed: the largest step seen is the epoch's size
    text = ("epoch=1 step=100 loss=0.5\nepoch=1 step=200 loss=0.4\n"
            "epoch=2 step=100 loss=0.3\nepoch=2 step=200 loss=0.25\n")
    result = read(write(tmp_path / "train.log", text))
    assert set(result.scalars["tag"]) == {"loss"}
    assert series(result.scalars, "loss") == {100: 0.5, 200: 0.4, 300: 0.3, 400: 0.25}


def test_an_epoch_printed_as_ep_with_its_batch_is_one_axis(tmp_path):
    # a language model's loop: "ep" for the epoch, the batch counted again in each
    text = ("ep: 0, batch: 20, time: 9.17, ntokens: 485.20/513, loss: 10.98\n"
            "ep: 0, batch: 40, time: 8.38, ntokens: 431.70/513, loss: 10.31\n"
            "ep: 1, batch: 20, time: 8.35, ntokens: 428.90/513, loss: 9.60\n")
    path = write(tmp_path / "train.log", text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert set(result.scalars["tag"]) == {"loss"}
    assert series(result.scalars, "loss") == {20: 10.98, 40: 10.31, 60: 9.60}


def test_a_global_step_beside_lines_without_one_leaves_every_record_at_its_epoch(tmp_path):
    # the finer step never goes back (a global step) but the validation lines name none:
    # they have no place on that count, so the run stays on its epochs, as it was
    text = ("epoch=1 step=200 loss=0.5\nepoch=1 step=400 loss=0.4\nepoch=1 val_loss=0.45\n"
            "epoch=2 step=600 loss=0.3\nepoch=2 step=800 loss=0.25\nepoch=2 val_loss=0.35\n")
    result = read(write(tmp_path / "train.log", text))
    assert series(result.scalars, "val_loss") == {1: 0.45, 2: 0.35}


def test_the_pytorch_tutorial_s_epoch_and_step_are_one_axis(tmp_path):
    # "Epoch [e/5], Step [s/600]": the step counts batches within the epoch, its count
    # printed; a validation line naming only the epoch sits at the end of that epoch
    text = ("Epoch [1/5], Step [100/600], Loss: 2.17\nEpoch [1/5], Step [600/600], Loss: 1.21\n"
            "Epoch [1/5], Val Loss: 1.30\n"
            "Epoch [2/5], Step [100/600], Loss: 1.10\nEpoch [2/5], Step [600/600], Loss: 0.64\n"
            "Epoch [2/5], Val Loss: 0.81\n")
    result = read(write(tmp_path / "train.log", text))
    assert series(result.scalars, "Loss") == {100: 2.17, 600: 1.21, 700: 1.10, 1200: 0.64}
    assert series(result.scalars, "Val Loss") == {600: 1.30, 1200: 0.81}


def test_records_after_a_long_preamble_are_found(tmp_path):
    # settings, a banner and a model summary: 80 lines before the first epoch's record
    preamble = "".join(f"2026-05-08 22:39:24 | INFO |   Setting {i:<8}: value {i}\n"
                       for i in range(80))
    text = preamble + "".join(f"2026-05-08 22:49:56 | INFO | Epoch [{e:03d}/30] "
                              f"TrainLoss={2 - e / 10:.4f} | ValLoss={2.1 - e / 10:.4f}\n"
                              for e in range(1, 4))
    (source,) = discover(str(write(tmp_path / "exp" / "training.log", text).parent.parent))
    assert source.format == "printed_log"
    assert series(read_run(source).scalars, "ValLoss") == {1: 2.0, 2: 1.9, 3: 1.8}


def test_keras_progress_output_puts_each_metrics_line_at_its_epoch(tmp_path):
    text = ("Epoch 1/2\n32/32 [==============================] - 1s 20ms/step - loss: 0.9000 - "
            "accuracy: 0.6000 - val_loss: 0.8000 - val_accuracy: 0.6500\nEpoch 2/2\n32/32 "
            "[==============================] - 0s 9ms/step - loss: 0.7000 - accuracy: 0.7000 "
            "- val_loss: 0.7500 - val_accuracy: 0.7000\n")
    (source,) = discover(str(write(tmp_path / "exp" / "train.log", text).parent.parent))
    run = read_run(source)
    assert (source.id, source.format) == ("exp", "printed_log")
    assert run.roles["val_loss"] == "val_loss" and run.roles["train_acc"] == "accuracy"
    assert run.series("val_loss")["value"].tolist() == [0.8, 0.75]
    assert run.series("loss")["step"].tolist() == [1, 2]


def test_settings_before_and_a_summary_after_the_records_are_left_out(tmp_path):
    text = ("train: 15263\nclasses: 20\nnum decayed parameter tensors: 26, with 10,690,944 "
            "parameters\nEpoch 1/2 | Loss: 0.69\nEpoch 2/2 | Loss: 0.50\n"
            "Accuracy : 0.748\nPrecision: 0.729\n")
    result = read(write(tmp_path / "training.log", text))
    assert set(result.scalars["tag"]) == {"Loss"}
    # the settings printed first are the run's hparams (a class count among them); words
    # before a number there are no setting ("with 10")
    assert result.hparams == {"train": 15263, "classes": 20, "num decayed parameter tensors": 26}


def test_text_that_is_no_training_log_is_not_read_as_one(tmp_path):
    others = [write(tmp_path / "notes.txt", "Step 1: install the package.\nStep 2: run it.\n"),
              write(tmp_path / "server.log", "INFO started\nINFO epoch time: 3s\n"),
              write(tmp_path / "steps.txt", "Step 1 loss of data took 5 minutes\n"
                                            "Step 2 loss of data took 10 minutes\n"),
              write(tmp_path / "one.log", "Epoch 1/10 | Loss: 0.69\n")]  # one record: unsure
    for path in others:
        assert not FORMAT.sniff(str(path), path.read_bytes()), path.name
    assert discover(str(tmp_path)) == []


def test_a_note_after_a_value_is_left_out_and_a_bare_phase_is_its_loss(tmp_path):
    # an autoencoder's loop: the teacher-forcing ratio in brackets, a patience count and a
    # tick after the validation value; "Train:"/"Val:" with no metric name are the losses
    text = "".join(f"Epoch {e}/50 [TF=0.3] - Train: {t}, Val: {v} {note}\n" for e, t, v, note in [
        (1, 4.79, 5.10, "✓"), (2, 4.07, 4.80, "✓"), (3, 3.07, 5.57, "(patience: 1/10)"),
        (4, 1.98, 4.64, "<-- best"), (5, 1.59, 4.19, "*")])
    path = write(tmp_path / "results.md", "Training RAE: hidden=64, Train: 50000\n" + text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    got = read(path)
    assert series(got.scalars, "Val loss") == {1: 5.10, 2: 4.80, 3: 5.57, 4: 4.64, 5: 4.19}
    assert series(got.scalars, "Train loss")[5] == 1.59
    assert "patience" not in " ".join(got.scalars.columns)
    assert got.hparams["Train"] == 50000  # a setting before the records keeps its name


def test_a_percentage_under_a_bare_phase_is_no_loss(tmp_path):
    path = write(tmp_path / "train.log", "Epoch 1 | Loss: 0.9 | Val: 61.5%\n"
                                         "Epoch 2 | Loss: 0.7 | Val: 70.2%\n")
    assert series(read(path).scalars, "Val") == {1: 61.5, 2: 70.2}


@pytest.mark.parametrize("text, tag, values", [
    # dots between the step and its metric, "name = value"
    ("EPOCH 1 ... Validation Accuracy = 0.241\n\n100%|####| 46/46 [00:02<00:00, 18.13it/s]\n"
     "EPOCH 2 ... Validation Accuracy = 0.370\n", "Validation Accuracy", {1: 0.241, 2: 0.370}),
    # a logger's lines, metrics between runs of dashes, a space before the colon
    ("2022-10-17 20:16:36,492 - train.py[line:123] - INFO: Train Epoch 1 --- train loss : "
     "0.628 --- train accuracy:0.838\n2022-10-17 20:16:37,746 - train.py[line:145] - INFO: "
     "Test Epoch 1 --- test loss : 0.357 --- test accuracy:0.9032\n2022-10-17 20:17:50,512 - "
     "train.py[line:123] - INFO: Train Epoch 2 --- train loss : 0.335 --- train accuracy:0.908\n",
     "test loss", {1: 0.357}),
    # a value printed before its name, a clock time before it
    ("Epoch 0 @ 10:27 PM : 0.9816 C.E. Loss, 94.28% Accuracy\n"
     "Epoch 1 @ 10:48 PM : 0.9731 C.E. Loss, 94.78% Accuracy\n", "C.E. Loss",
     {0: 0.9816, 1: 0.9731}),
])
def test_more_ways_a_loop_prints_its_metrics(tmp_path, text, tag, values):
    result = read(write(tmp_path / "train.log", text))
    assert series(result.scalars, tag) == values


def test_a_table_printed_after_a_preamble_is_read_by_its_header(tmp_path):
    # a loop that prints its settings and model, then a bar-separated table with a rule
    # under its header; the epoch column is the step, a duration is no metric
    text = ("device=cuda  args={'epochs': 100, 'lr': 0.02}\nLUTNet(\n  (0): Thermometer()\n)\n\n"
            "epoch | tr_loss | tr_acc | va_loss | va_acc | time\n"
            "----------------------------------------------------\n"
            "    1 |   1.540 |  47.36 |   1.638 |  42.68 |   61s\n"
            "    2 |   1.352 |  54.99 |   1.534 |  47.30 |  123s\n"
            "    3 |   1.235 |  60.58 |   1.474 |  48.60 |  186s\n"
            "best val acc 48.60 at epoch 3\n")
    path = write(tmp_path / "train.log", text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert set(result.scalars["tag"]) == {"tr_loss", "tr_acc", "va_loss", "va_acc"}
    assert series(result.scalars, "va_loss") == {1: 1.638, 2: 1.534, 3: 1.474}
    found = discover(str(tmp_path))
    run = read_run(found[0])
    assert run.roles["val_loss"] == "va_loss" and run.roles["train_acc"] == "tr_acc"


def test_a_table_without_a_step_column_counts_its_rows(tmp_path):
    # a summary table printed with spaces: one row per epoch, a name of two words
    text = ("HYPERPARAMETERS:\nnb_epoches =3\nTraining Summary:\n"
            "train acc    va_acc  train_loss  val_loss\n"
            " 0.509317  0.458333    1.257679  1.458333\n"
            " 0.792443  0.525000    0.570601  1.325000\n"
            " 0.846273  0.545833    0.406814  1.345833\n")
    result = read(write(tmp_path / "train.log", text))
    assert series(result.scalars, "train acc") == {1: 0.509317, 2: 0.792443, 3: 0.846273}
    assert series(result.scalars, "val_loss") == {1: 1.458333, 2: 1.325, 3: 1.345833}


def test_a_count_printed_before_a_word_that_names_no_metric_is_no_value(tmp_path):
    text = "Epoch 1 | 10 samples, loss: 0.5\nEpoch 2 | 3 workers, loss: 0.4\n"
    assert set(read(write(tmp_path / "train.log", text)).scalars["tag"]) == {"loss"}


def test_a_line_naming_a_step_between_bars_is_no_table_header(tmp_path):
    text = "Epoch 5 of 10, loss: 0.3\nStep 700 of 2000 | loss 0.2\nStep 800 of 2000 | loss 0.1\n"
    assert series(read(write(tmp_path / "train.log", text)).scalars, "loss") == {
        5: 0.3, 700: 0.2, 800: 0.1}


def _epochs(first, losses):
    return "".join(f"Epoch {first + i}/{len(losses)} | loss: {v} | val_loss: {v + 0.1}\n"
                   for i, v in enumerate(losses))


def test_runs_appended_one_after_another_to_a_log_are_a_run_each(tmp_path):
    # ``python train.py >> train.log`` twice: a 5-epoch run, then a 2-epoch one
    run = tmp_path / "exp"
    run.mkdir()
    write(run / "train.log", _epochs(1, [1.0, 0.8, 0.6, 0.5, 0.4]) + "Starting over\n"
          + _epochs(1, [1.1, 0.95]))
    catalog = open_root(str(tmp_path), cache=False)
    assert sorted(catalog.runs) == ["exp", "exp#attempt=2"]
    assert series(catalog.runs["exp"].scalars, "loss") == {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.5,
                                                           5: 0.4}
    assert series(catalog.runs["exp#attempt=2"].scalars, "loss") == {1: 1.1, 2: 0.95}


def test_a_fit_resumed_with_its_epochs_numbered_from_one_again_stays_one_run(tmp_path):
    # the second fit starts where the first ended (0.4 -> 0.38): a resume, not a new run
    write(tmp_path / "train.log", _epochs(1, [1.0, 0.8, 0.6, 0.5, 0.4])
          + _epochs(1, [0.38, 0.36]))
    assert [s.id for s in discover(str(tmp_path))] == ["."]


def test_a_run_appended_while_the_log_is_watched_keeps_the_first_one_as_it_was(tmp_path):
    log = write(tmp_path / "train.log", _epochs(1, [1.0, 0.8, 0.6]))
    catalog = open_root(str(tmp_path), cache=False)
    assert sorted(catalog.runs) == ["."]
    with log.open("a") as fh:
        fh.write(_epochs(1, [1.2]))
    catalog.refresh()
    assert sorted(catalog.runs) == [".", ".#attempt=2"]
    assert series(catalog.runs["."].scalars, "loss") == {1: 1.0, 2: 0.8, 3: 0.6}
    assert series(catalog.runs[".#attempt=2"].scalars, "loss") == {1: 1.2}
