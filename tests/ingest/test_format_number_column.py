"""A headerless column of numbers named by its file (np.savetxt); what is not one."""

from __future__ import annotations

from functools import partial

import format_calls

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats.number_column import FORMAT

read = partial(format_calls.read, FORMAT)
series = format_calls.series
write = format_calls.write


def test_np_savetxt_of_a_loss_is_a_run_tagged_by_the_file_name(tmp_path):
    # np.savetxt("loss_history.csv", losses): such files were not found at all
    write(tmp_path / "nb" / "loss_history.csv", "1.028e-01\n3.49e-02\n2.91e-02\nnan\n")
    (source,) = discover(str(tmp_path))
    assert (source.id, source.format) == ("nb", "number_column")
    run = read_run(source)
    assert run.roles["train_loss"] == "loss_history"
    values = run.series("loss_history")["value"].tolist()
    assert values[:3] == [0.1028, 0.0349, 0.0291] and values[3] != values[3]  # NaN kept
    assert any("line i was read as epoch i" in w for w in run.warnings)


def test_torch7_logger_files_of_one_folder_are_one_run_tagged_by_their_headers(tmp_path):
    # optim.Logger: a header naming the metric, a tab after every value; the classic
    # tutorial writes train.log and test.log side by side: one run, a tag each
    write(tmp_path / "mnist" / "train.log", "% mean class accuracy (train set)\t\n"
          " 4.3513e+01\t\n 7.8233e+01\t\n 8.1448e+01\t\n")
    write(tmp_path / "mnist" / "test.log", "% mean class accuracy (test set)\t\n"
          " 7.0910e+01\t\n 8.6070e+01\t\n 8.9710e+01\t\n")
    (source,) = discover(str(tmp_path))
    assert (source.id, source.format, len(source.files)) == ("mnist", "number_column", 2)
    run = read_run(source)
    assert run.roles["train_acc"] == "% mean class accuracy (train set)"
    assert run.roles["val_acc"] == "% mean class accuracy (test set)"
    assert series(run.scalars, "% mean class accuracy (test set)") == {0: 70.91, 1: 86.07,
                                                                       2: 89.71}


def test_files_of_numbers_that_name_no_metric_or_hold_rows_are_no_log(tmp_path):
    others = [write(tmp_path / "ids.txt", "1\n2\n3\n4\n"),
              write(tmp_path / "loss.csv", "0.5,0.6\n0.4,0.5\n0.3,0.4\n"),  # no header
              write(tmp_path / "loss.txt", "epoch 1 loss 0.5\n"),
              write(tmp_path / "val_acc.txt", "0.5\n"),  # too short to tell
              write(tmp_path / "counts.txt", "objects seen\n3\n4\n5\n")]  # names no metric
    for path in others:
        assert not FORMAT.sniff(str(path), path.read_bytes()), path.name
    assert discover(str(tmp_path)) == []


def test_a_line_that_is_not_a_number_is_skipped_and_named(tmp_path):
    path = write(tmp_path / "val_acc.txt", "0.5\n0.6\n0.7\noops\n0.8\n")
    result = read(path)
    assert series(result.scalars, "val_acc") == {0: 0.5, 1: 0.6, 2: 0.7, 3: 0.8}
    assert any("skipped line 4" in w for w in result.warnings)
