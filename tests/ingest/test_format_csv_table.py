"""Generic CSV/TSV reader: Keras CSVLogger, fastai, Ultralytics, generic tables, bad input."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import format_calls
import numpy as np

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats.csv_table import FORMAT

find = partial(format_calls.find, FORMAT)
read = partial(format_calls.read, FORMAT)
series = format_calls.series

KERAS = "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.3,0.55,1.2\n1,0.7,0.9,NA,NA\n"
FASTAI = ("epoch,train_loss,valid_loss,accuracy,time\n"
          "0,1.20,1.10,0.61,00:12\n1,0.80,0.90,0.70,00:11\n")
ULTRALYTICS = (
    "                  epoch,         train/box_loss,      metrics/mAP50(B),"
    "           val/box_loss,                 lr/pg0\n"
    "                      1,                 1.4123,               0.10234,"
    "                 1.5012,               0.070297\n"
    "                      2,                  1.301,               0.21345,"
    "                  1.402,               0.040297\n"
)


write = format_calls.write


def test_keras_training_log_is_recognised_by_content_and_na_is_not_a_point(tmp_path):
    path = write(tmp_path / "run" / "training.log", KERAS)
    assert FORMAT.sniff(str(path), path.read_bytes())
    found = discover(str(tmp_path))  # the folder's only loose log is the folder's run
    assert [(s.id, s.name, s.format) for s in found] == [("run", "run", "csv_table")]
    frame = read(path).scalars
    assert series(frame, "loss") == {0: 1.3, 1: 0.9}
    assert series(frame, "val_loss") == {0: 1.2}
    assert "epoch" not in set(frame["tag"])


def test_fastai_history_ignores_the_mm_ss_time_column(tmp_path):
    path = write(tmp_path / "history.csv", FASTAI)
    result = read(path)
    assert set(result.scalars["tag"]) == {"train_loss", "valid_loss", "accuracy"}
    assert series(result.scalars, "valid_loss") == {0: 1.1, 1: 0.9}
    assert not result.warnings


def test_ultralytics_padded_names_are_stripped(tmp_path):
    path = write(tmp_path / "train3" / "results.csv", ULTRALYTICS)
    assert FORMAT.sniff(str(path), path.read_bytes())
    frame = read(path).scalars
    assert set(frame["tag"]) == {"train/box_loss", "metrics/mAP50(B)", "val/box_loss", "lr/pg0"}
    assert series(frame, "metrics/mAP50(B)") == {1: 0.10234, 2: 0.21345}


def test_generic_tsv_prefers_the_step_column_and_reads_timestamps(tmp_path):
    text = ("epoch\tglobal_step\ttimestamp\tloss\tphase\n"
            "0\t100\t1700000000\t0.9\ttrain\n0\t200\t1700000060\t0.7\ttrain\n")
    path = write(tmp_path / "log.tsv", text)
    frame = read(path).scalars
    assert set(frame["tag"]) == {"train_loss"}  # the phase column names the rows' phase
    assert series(frame, "train_loss") == {100: 0.9, 200: 0.7}
    assert frame["wall_time"].tolist() == [1700000000.0, 1700000060.0]


def test_millisecond_timestamps_become_seconds(tmp_path):
    path = write(tmp_path / "log.csv", "step,time,loss\n1,1700000000500,0.5\n")
    assert read(path).scalars["wall_time"].tolist() == [1700000000.5]


def test_several_tables_in_one_folder_are_one_run_each(tmp_path):
    write(tmp_path / "sweep" / "lr_0.1.csv", "step,loss\n0,1.0\n")
    write(tmp_path / "sweep" / "lr_0.01.csv", "step,loss\n0,2.0\n")
    write(tmp_path / "sweep" / "notes.txt", "just some notes, nothing else\n")
    found = find(tmp_path / "sweep", tmp_path)
    assert sorted((s.id, s.name) for s in found.runs) == [
        ("sweep/lr_0.01.csv", "lr_0.01"),
        ("sweep/lr_0.1.csv", "lr_0.1"),
    ]
    assert found.consumed_files == {"lr_0.1.csv", "lr_0.01.csv"}


def test_a_table_beside_event_files_gets_its_own_id(tmp_path):
    write(tmp_path / "run" / "events.out.tfevents.1.host", b"")
    write(tmp_path / "run" / "training.log", KERAS)
    found = find(tmp_path / "run", tmp_path)
    assert [s.id for s in found.runs] == ["run/training.log"]


def test_sniff_rejects_tables_without_a_step_and_plain_text_logs(tmp_path):
    no_step = write(tmp_path / "a.csv", "name,score\nx,1\n")
    text_log = write(tmp_path / "train.log", "Epoch 1/10 - loss: 0.5 - acc: 0.8\n")
    binary = write(tmp_path / "b.csv", bytes(range(256)))
    for path in (no_step, text_log, binary):
        assert not FORMAT.sniff(str(path), path.read_bytes())
    assert find(tmp_path, tmp_path) is None


def test_a_title_line_above_the_header_is_skipped(tmp_path):
    # a Keras log written with separator=";" under a line that names it, CRLF endings
    text = ("model_history_log\r\nepoch;accuracy;loss;val_accuracy;val_loss\r\n"
            "0;0.41;1.58;0.80;0.65\r\n1;0.87;0.40;0.91;0.30\r\n")
    path = write(tmp_path / "run" / "model_history_log.csv", text)
    assert FORMAT.sniff(str(path), path.read_bytes())
    assert [s.format for s in discover(str(tmp_path))] == ["csv_table"]
    result = read(path)
    assert series(result.scalars, "val_loss") == {0: 0.65, 1: 0.30}
    assert set(result.scalars["tag"]) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert not result.warnings and not result.errors


def test_a_title_is_no_header_of_its_own_and_prose_above_rows_is_no_table(tmp_path):
    three_titles = write(tmp_path / "a.csv", "a\nb\nc\nepoch,loss\n0,1.0\n1,0.5\n")
    prose = write(tmp_path / "b.log", "training started\nEpoch 1/10 - loss: 0.5\n")
    for path in (three_titles, prose):
        assert not FORMAT.sniff(str(path), path.read_bytes())


def test_fractional_epochs_are_cut_to_whole_steps_with_a_warning(tmp_path):
    path = write(tmp_path / "log.csv", "epoch,loss\n0.5,1.0\n2.0,0.8\n")
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 2: 0.8}
    assert any("whole number" in w for w in result.warnings)


def test_junk_bytes_are_skipped_with_a_warning_and_the_rest_kept(tmp_path):
    path = write(tmp_path / "log.csv", b"step,loss\n0,1.0\n1,\xff\xfe\x00garbage\n2,0.5\n")
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 2: 0.5}
    assert any("log.csv" in w and "line 3" in w for w in result.warnings)


def test_a_binary_file_given_as_csv_is_an_error_not_a_crash(tmp_path):
    path = write(tmp_path / "log.csv", bytes(range(256)) * 4)
    result = read(path)
    assert len(result.scalars) == 0
    assert result.errors and "log.csv" in result.errors[0] and "step column" in result.errors[0]


def test_ragged_rows_and_rows_without_a_step_are_reported(tmp_path):
    path = write(tmp_path / "log.csv", "step,loss,acc\n0,1.0,0.1\n1,0.9\n,0.8,0.3\n3,0.7,0.4\n")
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 3: 0.7}
    text = " ".join(result.warnings)
    assert "ragged" in text and "line 3" in text and "line 4" in text


def test_header_only_is_an_error_then_rows_appended_are_read(tmp_path):
    path = write(tmp_path / "log.csv", "step,loss\n")
    first = read(path)
    assert first.errors and "log.csv" in first.errors[0]
    with path.open("a") as fh:
        fh.write("0,1.0\n1,nan\n")
    second = read(path, first.state)
    values = series(second.scalars, "loss")
    assert values[0] == 1.0 and np.isnan(values[1])


def test_an_unfinished_last_line_waits_for_the_next_read(tmp_path):
    path = write(tmp_path / "log.csv", "step,loss,acc\n0,1.0,0.1\n1,0.9")
    first = read(path)
    assert series(first.scalars, "loss") == {0: 1.0}
    with path.open("a") as fh:
        fh.write(",0.2\n")
    second = read(path, first.state)
    assert series(second.scalars, "acc") == {1: 0.2}
    assert not second.warnings


def test_stray_quotes_and_carriage_returns_do_not_break_the_read(tmp_path):
    path = write(tmp_path / "log.csv", b'step,loss\r\n0,1.0\r\n1,"0.9\r7\n2,0.5\r\n')
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 2: 0.5}
    assert result.warnings and "log.csv" in result.warnings[0]


# a table of metrics without a step column: one row per epoch ------------------------------

KERAS_HISTORY = ("loss,accuracy,val_loss,val_accuracy\n"
                 "1.2,0.5,1.1,0.55\n0.9,0.7,1.0,0.6\n0.7,0.8,1.05,0.6\n")
PANDAS_DUMP = ",loss,val_loss\n0,1.2,1.1\n1,0.9,1.0\n2,0.7,1.05\n"


def test_keras_history_saved_by_pandas_without_an_index_is_one_epoch_per_row(tmp_path):
    path = write(tmp_path / "exp" / "training_history.csv", KERAS_HISTORY)
    assert FORMAT.sniff(str(path), path.read_bytes())
    found = discover(str(tmp_path))
    assert [(s.id, s.format) for s in found] == [("exp", "csv_table")]
    result = read(path)
    assert series(result.scalars, "val_loss") == {0: 1.1, 1: 1.0, 2: 1.05}
    assert set(result.scalars["tag"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert any("training_history.csv" in w and "one epoch" in w for w in result.warnings)


def test_pandas_unnamed_index_is_the_epoch(tmp_path):
    path = write(tmp_path / "history.csv", PANDAS_DUMP)
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.2, 1: 0.9, 2: 0.7}
    assert set(result.scalars["tag"]) == {"loss", "val_loss"}
    assert not result.warnings  # the index says which epoch each row is


def test_pandas_unnamed_index_beside_an_epoch_column_is_dropped_quietly(tmp_path):
    # pd.DataFrame(history.history).assign(epoch=...).to_csv(...): an unnamed index first,
    # an epoch column last; the file is found, read on its epochs, the index is no tag
    path = write(tmp_path / "exp" / "train_history.csv",
                 ",loss,accuracy,val_loss,val_accuracy,epoch\n"
                 "0,3.34,0.09,3.26,0.06,0\n1,2.95,0.16,3.29,0.04,1\n2,2.70,0.26,3.22,0.07,2\n")
    assert FORMAT.sniff(str(path), path.read_bytes())
    assert [(s.id, s.format) for s in discover(str(tmp_path))] == [("exp", "csv_table")]
    result = read(path)
    assert set(result.scalars["tag"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert series(result.scalars, "val_loss") == {0: 3.26, 1: 3.29, 2: 3.22}
    assert not result.warnings


def test_epoch_rows_count_on_across_appended_reads_blank_and_ragged_lines(tmp_path):
    path = write(tmp_path / "log.csv", "train_loss,val_loss\n1.0,1.1\n\n0.8\n")
    first = read(path)
    assert series(first.scalars, "train_loss") == {0: 1.0}
    assert any("ragged" in w and "line 4" in w for w in first.warnings)
    with path.open("a") as fh:  # the trainer goes on: the third epoch is epoch 2
        fh.write("0.6,0.9\n")
    second = read(path, first.state)
    assert series(second.scalars, "val_loss") == {2: 0.9}
    whole = read(path)  # one read of the same bytes gives the same epochs
    assert series(whole.scalars, "train_loss") == {0: 1.0, 2: 0.6}


def test_a_data_table_without_a_step_is_still_no_log(tmp_path):
    tables = [write(tmp_path / "iris.csv", "sepal_length,sepal_width,label\n5.1,3.5,0\n"),
              write(tmp_path / "models.csv", "model,loss,accuracy\nresnet,0.3,0.9\n"),
              write(tmp_path / "one.csv", "loss\n0.3\n"),
              write(tmp_path / "sweep.csv",  # one row per run of a sweep, not per epoch
                    "lr,batch_size,val_loss,val_acc\n0.1,32,0.5,0.81\n0.01,64,0.4,0.86\n")]
    for path in tables:
        assert not FORMAT.sniff(str(path), path.read_bytes()), path.name


def test_a_step_counted_within_each_epoch_is_made_to_run_on(tmp_path):
    # a hand-written loop logging ``epoch, step, loss`` with the batch index as the step:
    # it starts at 0 again in every epoch, so the steps run on from the epoch before
    path = write(tmp_path / "train_log.csv",
                 "epoch,step,loss\n1,0,2.0\n1,100,1.5\n1,200,1.2\n2,0,1.0\n2,100,0.9\n")
    first = read(path)
    assert series(first.scalars, "loss") == {0: 2.0, 100: 1.5, 200: 1.2, 300: 1.0, 400: 0.9}
    with path.open("a") as fh:  # the next epoch, appended while training runs
        fh.write("3,0,0.8\n3,100,0.7\n")
    second = read(path, first.state)
    assert series(second.scalars, "loss") == {500: 0.8, 600: 0.7}


def test_a_step_that_goes_back_with_the_epoch_is_a_restart_left_as_logged(tmp_path):
    # a log appended to by a second run: epoch and step both start again
    path = write(tmp_path / "train_log.csv",
                 "epoch,step,loss\n1,0,2.0\n1,100,1.5\n2,200,1.2\n1,0,2.1\n1,100,1.6\n")
    steps = [s for s, _ in sorted(
        zip(read(path).scalars["step"], read(path).scalars["value"], strict=True))]
    assert sorted(set(steps)) == [0, 100, 200]


def test_a_long_table_with_a_row_per_phase_gets_a_tag_per_phase(tmp_path):
    # ``epoch,phase,loss,acc`` with a train and a val row per epoch: read as one tag, the
    # two phases zigzagged through one "loss" curve
    path = write(tmp_path / "log.csv", "epoch,phase,loss,acc\n1,train,1.0,0.5\n1,val,1.2,0.4\n"
                                       "2,train,0.8,0.6\n2, val ,1.1,0.5\n")
    frame = read(path).scalars
    assert set(frame["tag"]) == {"train_loss", "val_loss", "train_acc", "val_acc"}
    assert series(frame, "train_loss") == {1: 1.0, 2: 0.8}
    assert series(frame, "val_loss") == {1: 1.2, 2: 1.1}
    runs = discover(str(tmp_path))
    assert len(runs) == 1
    assert read_run(runs[0]).roles["val_loss"] == "val_loss"


def _keyed_log(tmp_path, key="model", values=("resnet", "vgg")) -> Path:
    rows = [f"{key},epoch,train_loss,val_loss"]
    for k, value in enumerate(values):
        rows += [f"{value},{e},{1 / e + k:.3f},{1 / e + k + 0.5:.3f}" for e in range(1, 4)]
    return write(tmp_path / "exp" / "results.csv", "\n".join(rows) + "\n")


def test_a_log_written_by_several_runs_is_one_run_per_key(tmp_path):
    # one CSV holding a block of rows per model: each model is its own run, read alone
    # (before, the steps that start again made the last model the only one judged)
    _keyed_log(tmp_path)
    runs = {s.id: s for s in discover(str(tmp_path))}
    assert sorted(runs) == ["exp/results.csv#model=resnet", "exp/results.csv#model=vgg"]
    assert runs["exp/results.csv#model=vgg"].name == "results model=vgg"
    vgg = read_run(runs["exp/results.csv#model=vgg"])
    assert vgg.series("train_loss")["value"].tolist() == [2.0, 1.5, 1.333]
    assert "model" not in set(vgg.scalars["tag"]) and not vgg.warnings
    assert vgg.hparams["model"] == "vgg"  # so the groups page can group the runs by it
    resnet = read_run(runs["exp/results.csv#model=resnet"])
    assert resnet.series("val_loss")["value"].tolist() == [1.5, 1.0, 0.833]


def test_a_run_key_column_anywhere_splits_the_log_under_a_title_too(tmp_path):
    # the key column last, one row per run and epoch, the table under a title line
    for folder, title in (("plain", ""), ("titled", "results of the sweep\n")):
        write(tmp_path / folder / "results.csv",
              title + "epoch,loss,acc,lr,model\n0,1.0,0.5,0.1,a\n0,2.0,0.4,0.1,b\n"
              "1,0.5,0.7,0.1,a\n1,1.5,0.5,0.1,b\n")
        runs = {s.id: s for s in discover(str(tmp_path / folder))}
        assert sorted(runs) == ["results.csv#model=a", "results.csv#model=b"], folder
        assert read_run(runs["results.csv#model=b"]).series("loss")["value"].tolist() == [
            2.0, 1.5]


def test_a_numeric_fold_column_splits_too_and_appended_rows_go_to_their_run(tmp_path):
    path = _keyed_log(tmp_path, "fold", ("0", "1"))
    runs = {s.id: s for s in discover(str(tmp_path))}
    assert sorted(runs) == ["exp/results.csv#fold=0", "exp/results.csv#fold=1"]
    fold1 = runs["exp/results.csv#fold=1"]
    first = FORMAT.read(fold1, str(path), None)
    assert series(first.scalars, "train_loss") == {1: 2.0, 2: 1.5, 3: 1.333}
    with path.open("a") as fh:  # fold 1 goes on while training runs; fold 2 starts
        fh.write("1,4,1.2,1.7\n2,1,3.0,3.5\n")
    more = FORMAT.read(fold1, str(path), first.state)
    assert series(more.scalars, "train_loss") == {4: 1.2}
    assert sorted(s.id for s in discover(str(tmp_path)))[-1] == "exp/results.csv#fold=2"


def test_a_run_key_column_with_one_value_is_just_the_run(tmp_path):
    _keyed_log(tmp_path, values=("resnet",))
    assert [s.id for s in discover(str(tmp_path))] == ["exp"]


def test_a_separator_ending_every_line_names_no_column(tmp_path):
    # a hand-written log that ends each line with a comma, header included; it was no log
    path = write(tmp_path / "epoch_log.csv", "Percent Good,Mean Squared Error,\n"
                                             "0,0.98,\n0.04,0.97,\n0.11,0.96,\n")
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert series(result.scalars, "Mean Squared Error") == {0: 0.98, 1: 0.97, 2: 0.96}
    assert set(result.scalars["tag"]) == {"Percent Good", "Mean Squared Error"}
    assert not any("repeats a name" in w for w in result.warnings)


def test_ultralytics_settings_beside_results_are_the_runs_hparams(tmp_path):
    run_dir = tmp_path / "runs" / "detect" / "train"
    write(run_dir / "results.csv", ULTRALYTICS)
    write(run_dir / "args.yaml", "task: detect\nepochs: 50\nclose_mosaic: 10\nlr0: 0.01\n")
    (source,) = discover(str(tmp_path))
    assert source.id == "runs/detect/train"
    run = read_run(source)
    assert run.hparams["close_mosaic"] == 10 and run.hparams["epochs"] == 50
    assert run.roles["val_loss"] == "val/box_loss" and not run.warnings
    write(run_dir / "args.yaml", "epochs: [50\n")  # a broken settings file costs no metric
    run = read_run(discover(str(tmp_path))[0])
    assert len(run.scalars) and any("args.yaml" in w for w in run.warnings)


def test_columns_named_only_by_a_phase_take_the_metric_from_the_file_name(tmp_path):
    # losses.csv written by pandas: ",ep,train,valid,total": the epoch abbreviated, the
    # losses named by their phase alone. Such a file was not found at all
    path = write(tmp_path / "losses.csv", ",ep,train,valid,total\n0,1,54.9,16.3,71.2\n"
                                          "1,2,54.2,16.2,70.4\n2,3,53.9,16.2,70.1\n")
    assert FORMAT.sniff(str(path), path.read_bytes())
    frame = read(path).scalars
    assert set(frame["tag"]) == {"train_losses", "valid_losses", "total"}
    assert series(frame, "valid_losses") == {1: 16.3, 2: 16.2, 3: 16.2}
    run = read_run(discover(str(tmp_path))[0])
    assert run.roles["train_loss"] == "train_losses" and run.roles["val_loss"] == "valid_losses"
    # in a file not named by a metric, a phase alone names nothing more
    other = write(tmp_path / "other" / "log.csv", "epoch,train,valid\n1,0.5,0.6\n")
    assert set(read(other).scalars["tag"]) == {"train", "valid"}
