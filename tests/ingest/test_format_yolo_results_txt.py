"""YOLOv5's and YOLOv3's headerless results.txt: its columns by position, named as
YOLOv5's results.csv names them; other text files named results*.txt are no such log."""

from __future__ import annotations

from functools import partial

import format_calls

from curvedoc.diagnostics import diagnose
from curvedoc.ingest import open_root
from curvedoc.ingest.formats.yolo_results_txt import FORMAT

read = partial(format_calls.read, FORMAT)
series = format_calls.series
write = format_calls.write


def _line(epoch, last, box, m50, wide, val_box):
    return (f"{epoch:>6}/{last}     3.41G {box:9.4g}   0.03042   0.02818    0.1567        97"
            f"       640    0.4101   0.3432 {m50:9.4g} {wide:9.4g} {val_box:9.4g}   0.02951"
            "   0.02687\n")


def test_columns_are_named_as_yolov5s_results_csv_names_them(tmp_path):
    path = write(tmp_path / "results.txt", _line(0, 99, 0.098, 0.02, 0.005, 0.079)
                 + _line(1, 99, 0.076, 0.14, 0.05, 0.066))
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert series(result.scalars, "train/box_loss") == {0: 0.098, 1: 0.076}
    assert series(result.scalars, "val/box_loss") == {0: 0.079, 1: 0.066}
    assert series(result.scalars, "metrics/mAP_0.5:0.95") == {0: 0.005, 1: 0.05}
    assert "train/total" not in set(result.scalars["tag"])  # the sum, targets, size: left out


def test_yolov3s_f1_column_is_named_f1(tmp_path):
    path = write(tmp_path / "results.txt", _line(0, 99, 0.098, 0.02, 0.09, 0.079)
                 + _line(1, 99, 0.076, 0.14, 0.30, 0.066))
    assert series(read(path).scalars, "metrics/F1") == {0: 0.09, 1: 0.30}


def test_a_results_txt_of_other_text_or_another_name_is_no_such_log(tmp_path):
    prose = write(tmp_path / "results.txt", "accuracy 0.91\nf1 0.88\n")
    assert not FORMAT.sniff(str(prose), prose.read_bytes())
    lines = _line(0, 99, 0.098, 0.02, 0.005, 0.079) + _line(1, 99, 0.076, 0.14, 0.05, 0.066)
    other = write(tmp_path / "train.txt", lines)
    assert not FORMAT.sniff(str(other), other.read_bytes())


def test_a_detector_still_learning_is_judged_on_its_validation_losses(tmp_path):
    epochs = range(30)
    text = "".join(_line(e, 29, 0.1 * 0.95 ** e, 0.5 - 0.4 * 0.93 ** e, 0.3 - 0.25 * 0.93 ** e,
                         0.08 * 0.96 ** e + 0.02) for e in epochs)
    write(tmp_path / "exp" / "results.txt", text)
    with open_root(str(tmp_path), cache=False) as catalog:
        (run,) = catalog.runs.values()
    assert run.roles["val_loss"] == "val/box_loss"
    assert "keep_training" in diagnose(run).labels
