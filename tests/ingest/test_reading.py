"""Reading a run: the canonical frame, restarts, hparams.yaml, roles, and problems per run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from format_calls import assert_canonical

from curvedoc.ingest import discover, read_run, read_scalars
from curvedoc.ingest.model import SCALAR_COLUMNS


def _one(root):
    (source,) = discover(str(root))
    return source


def test_the_frame_has_the_canonical_columns_and_dtypes(fake, tmp_path):
    fake.write(tmp_path / "r" / "x.fake", fake.curve("loss", range(5)) + fake.curve("lr", range(5)))
    run = read_run(_one(tmp_path))
    frame = run.scalars
    assert_canonical(frame)
    assert len(frame) == 10
    assert set(frame["run"]) == {"r"}
    assert run.roles == {"train_loss": "loss", "lr": "lr"}
    assert run.errors == [] and run.warnings == []


def test_nan_and_inf_are_kept_as_logged(fake, tmp_path):
    fake.write(tmp_path / "x.fake", [("loss", 0, 1.0, 1), ("loss", 1, float("nan"), 2),
                                     ("loss", 2, float("inf"), 3)])
    values = read_run(_one(tmp_path)).series("train_loss")["value"].to_numpy()
    assert values[0] == 1.0 and np.isnan(values[1]) and np.isposinf(values[2])


def test_a_restart_later_file_wins_for_the_steps_it_relogs(fake, tmp_path):
    # first file: steps 0..9 at wall 1000+; the restart re-logs 5..14 at wall 5000+
    first = [("loss", s, 10.0, 1000 + s) for s in range(10)]
    second = [("loss", s, 1.0, 5000 + s) for s in range(5, 15)]
    fake.write(tmp_path / "r" / "b.fake", first)  # names sort opposite to time order
    fake.write(tmp_path / "r" / "a.fake", second)
    run = read_run(_one(tmp_path))
    series = run.series("loss")
    assert series["step"].tolist() == list(range(15))
    assert series.set_index("step")["value"].loc[5:].eq(1.0).all()
    assert series.set_index("step")["value"].loc[:4].eq(10.0).all()
    (warning,) = run.warnings
    assert "a.fake" in warning and "b.fake" in warning and "5–9" in warning


def test_a_restart_within_one_file_keeps_the_last_attempt_in_the_series(fake, tmp_path):
    # one file that a resumed run appended to: steps 0..9, then 5..14 again (TensorBoard
    # purges the first attempt's 5..9); the frame keeps every row as logged
    rows = [("loss", s, 10.0, 1000 + s) for s in range(10)]
    rows += [("loss", s, 1.0, 5000 + s) for s in range(5, 15)]
    fake.write(tmp_path / "r" / "a.fake", rows)
    run = read_run(_one(tmp_path))
    series = run.series("loss").set_index("step")["value"]
    assert series.index.tolist() == list(range(15))
    assert series.loc[5:].eq(1.0).all() and series.loc[:4].eq(10.0).all()
    assert len(run.scalars) == 20


def test_several_rows_at_one_step_are_no_restart(fake, tmp_path):
    # an old Lightning CSV: the loss of every batch logged at its epoch's index (0,0,0,1,1,
    # ...): TensorBoard keeps them all, and so does the series
    rows = [("loss", epoch, 1.0 / (1 + epoch + b / 10), 1000 + 10 * epoch + b)
            for epoch in range(5) for b in range(10)]
    fake.write(tmp_path / "r" / "a.fake", rows)
    run = read_run(_one(tmp_path))
    assert len(run.series("loss")) == 50


def test_files_without_overlap_merge_without_a_warning(fake, tmp_path):
    fake.write(tmp_path / "a.fake", fake.curve("loss", range(0, 5)))
    fake.write(tmp_path / "b.fake", fake.curve("loss", range(5, 10), wall0=2000))
    run = read_run(_one(tmp_path))
    assert len(run.scalars) == 10 and run.warnings == []


def test_keras_like_run_pairs_train_and_validation(fake, tmp_path):
    fake.write(tmp_path / "k" / "train" / "e.fake", fake.curve("epoch_loss", range(4)))
    fake.write(tmp_path / "k" / "validation" / "e.fake", fake.curve("epoch_loss", range(4)))
    run = read_run(_one(tmp_path))
    assert run.roles["train_loss"] == "train/epoch_loss"
    assert run.roles["val_loss"] == "validation/epoch_loss"


def test_config_roles_override_inference(fake, tmp_path):
    rows = fake.curve("metrics/nll", range(3)) + fake.curve("loss", range(3))
    fake.write(tmp_path / "x.fake", rows)
    run = read_run(_one(tmp_path), config={"roles": {"val_loss": "metrics/nll"}})
    assert run.roles == {"train_loss": "loss", "val_loss": "metrics/nll"}


def test_a_run_without_a_loss_loads_with_a_warning_listing_its_tags(fake, tmp_path):
    fake.write(tmp_path / "x.fake", fake.curve("throughput", range(3)) + fake.curve("lr", range(3)))
    run = read_run(_one(tmp_path))
    assert len(run.scalars) == 6
    (warning,) = run.warnings
    assert "throughput" in warning and "lr" in warning


def test_a_reader_crash_becomes_an_error_naming_the_file(fake, tmp_path):
    fake.write(tmp_path / "r" / "good.fake", fake.curve("loss", range(3)))
    (tmp_path / "r" / "bad.fake").write_text("BOOM\n")
    run = read_run(_one(tmp_path))
    assert len(run.scalars) == 3
    (error,) = run.errors
    assert "bad.fake" in error and "please report" in error and "RuntimeError" in error


def test_a_half_written_last_line_keeps_the_complete_ones(fake, tmp_path):
    path = fake.write(tmp_path / "x.fake", fake.curve("loss", range(3)))
    with open(path, "a") as fh:
        fh.write("loss,3,0.")
    run = read_run(_one(tmp_path))
    assert len(run.scalars) == 3 and any("half-written" in w for w in run.warnings)


def test_read_scalars_of_a_root_a_run_folder_and_a_file(fake, tmp_path):
    fake.write(tmp_path / "a" / "x.fake", fake.curve("loss", range(4)))
    path_b = fake.write(tmp_path / "b" / "x.fake", fake.curve("loss", range(6)))
    everything = read_scalars(str(tmp_path))
    assert tuple(everything.columns) == SCALAR_COLUMNS
    assert everything.groupby("run", observed=True).size().to_dict() == {"a": 4, "b": 6}
    assert isinstance(everything["run"].dtype, pd.CategoricalDtype)
    assert len(read_scalars(str(tmp_path / "a"))) == 4
    one = read_scalars(path_b)
    assert len(one) == 6 and set(one["run"]) == {"x.fake"}


def test_read_scalars_of_an_empty_folder_is_an_empty_canonical_frame(fake, tmp_path):
    frame = read_scalars(str(tmp_path))
    assert tuple(frame.columns) == SCALAR_COLUMNS and len(frame) == 0


def test_memory_stays_within_twice_the_raw_size(fake, tmp_path):
    n = 60_000
    rows = [(f"tag{i % 6}", i // 6, 0.5, 1000.0 + i) for i in range(n)]
    fake.write(tmp_path / "x.fake", rows)
    frame = read_run(_one(tmp_path)).scalars
    assert len(frame) == n
    tag_bytes = sum(len(f"tag{i}") for i in range(6))
    assert frame.memory_usage(deep=True).sum() <= 2 * (n * 24 + tag_bytes)


def test_frames_of_different_tags_stack_with_united_categories():
    from curvedoc.ingest.frames import canonical, concat

    a = canonical(pd.DataFrame({"tag": ["x", "y"], "step": [0, 1], "value": [1.0, 2.0],
                                "wall_time": [0.0, 1.0]}))
    b = canonical(pd.DataFrame({"tag": pd.Categorical(["z", None, "x"]), "step": [2, 3, 4],
                                "value": [3.0, 4.0, 5.0], "wall_time": [2.0, 3.0, 4.0]}))
    both = concat([a, b])
    assert isinstance(both["tag"].dtype, pd.CategoricalDtype)
    assert both["tag"].tolist()[:3] == ["x", "y", "z"]
    assert both["tag"].isna().tolist() == [False, False, False, True, False]
    assert both["tag"].iloc[4] == "x"
    assert both["step"].tolist() == [0, 1, 2, 3, 4]


def test_run_frames_are_ordinary_writable_frames(fake, tmp_path, monkeypatch):
    from curvedoc.ingest import open_root

    fake.write(tmp_path / "r" / "x.fake", fake.curve("loss", range(5)))
    for _ in ("cold", "warm"):
        with open_root(str(tmp_path)) as catalog:
            frame = catalog.runs["r"].scalars
            frame.loc[0, "value"] = 42.0
            assert frame["value"].iloc[0] == 42.0
            assert frame[frame["tag"] == "loss"].shape == (5, 5)
