"""Finding TensorBoard runs: plain folders, several files, the Keras train/validation layout."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from tensorboard.compat.proto import tensor_pb2

from curvedoc.ingest.formats.base import get_format
from curvedoc.ingest.formats.tensorboard import FORMAT

_spec = importlib.util.spec_from_file_location(
    "tb_samples_runs", Path(__file__).parent / "samples" / "tensorboard.py"
)
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)


def listing(folder: Path) -> tuple[list[str], list[str]]:
    entries = sorted(os.listdir(folder))
    return ([e for e in entries if (folder / e).is_file()],
            [e for e in entries if (folder / e).is_dir()])


def find(folder: Path, root: Path):
    files, subdirs = listing(folder)
    return FORMAT.find_runs(str(folder), files, subdirs, str(root))


def test_format_is_registered_and_sniffs_by_name():
    assert get_format("tensorboard") is FORMAT
    assert FORMAT.sniff("/x/events.out.tfevents.1700000000.host.1.0", b"")
    assert FORMAT.sniff("/x/events.out.tfevents.1700000000.host.1.0.v2", b"")
    assert not FORMAT.sniff("/x/events.out.tfevents.1700000000.host.profile-empty", b"")
    assert not FORMAT.sniff("/x/metrics.csv", b"step,loss\n")


def test_folder_with_several_files_is_one_run_in_time_order(tmp_path):
    run = tmp_path / "exp" / "seed1"
    later = S.write_records(run / "events.out.tfevents.1700000500.host.2.0",
                            [S.scalar_event("loss", 5, 0.5).SerializeToString()])
    earlier = S.write_records(run / "events.out.tfevents.1700000000.host.1.0",
                              [S.scalar_event("loss", 0, 1.0).SerializeToString()])
    placeholder = run / "events.out.tfevents.1700000001.host.profile-empty"
    placeholder.write_bytes(b"")
    (run / "notes.txt").write_text("not a log")

    found = find(run, tmp_path)

    (source,) = found.runs
    assert (source.id, source.name, source.format) == ("exp/seed1", "seed1", "tensorboard")
    assert source.files == (str(earlier), str(later))  # the placeholder is not read
    assert found.consumed_files == {earlier.name, later.name, placeholder.name}
    assert found.consumed_dirs == set()


def test_folder_without_event_files_is_not_a_run(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "metrics.csv").write_text("step,loss\n0,1\n")
    assert find(tmp_path, tmp_path) is None


def test_keras_train_and_validation_folders_are_one_run(tmp_path):
    run = tmp_path / "logs" / "fit" / "20240101-120000"
    loss = tensor_pb2.TensorProto(dtype=1, tensor_shape=S.shape(), float_val=[0.5])
    for sub, value in (("train", 0.5), ("validation", 0.75)):
        tensor = tensor_pb2.TensorProto(dtype=1, tensor_shape=S.shape(), float_val=[value])
        S.write_events(run / sub, [S.tensor_event("epoch_loss", e, tensor) for e in range(3)],
                       suffix=".v2")
    S.write_events(run / "train" / "plugins", [S.tensor_event("x", 0, loss)])

    found = find(run, tmp_path)

    (source,) = found.runs
    assert (source.id, source.name) == ("logs/fit/20240101-120000", "20240101-120000")
    assert found.consumed_dirs == {"train", "validation"}
    assert len(source.files) == 2
    frames = [FORMAT.read(source, path, None) for path in source.files]
    tags = sorted({t for f in frames for t in f.scalars["tag"].astype(str)})
    assert tags == ["train/epoch_loss", "validation/epoch_loss"]
    values = {str(f.scalars["tag"].iloc[0]): f.scalars["value"].tolist() for f in frames}
    assert values == {"train/epoch_loss": [0.5] * 3, "validation/epoch_loss": [0.75] * 3}


def test_keras_layout_at_the_root_has_id_dot_and_the_root_name(tmp_path):
    root = tmp_path / "my_run"
    for sub in ("train", "validation"):
        S.write_events(root / sub, [S.scalar_event("epoch_acc", 0, 0.5)])

    (source,) = find(root, root).runs

    assert (source.id, source.name) == (".", "my_run")
    frames = [FORMAT.read(source, path, None) for path in source.files]
    assert sorted(str(f.scalars["tag"].iloc[0]) for f in frames) == [
        "train/epoch_acc", "validation/epoch_acc"]


def test_train_folder_alone_is_not_a_keras_run(tmp_path):
    S.write_events(tmp_path / "run" / "train", [S.scalar_event("epoch_loss", 0, 1.0)])
    (tmp_path / "run" / "validation").mkdir()

    assert find(tmp_path / "run", tmp_path) is None
    (source,) = find(tmp_path / "run" / "train", tmp_path).runs
    assert source.id == "run/train"
    assert str(FORMAT.read(source, source.files[0], None).scalars["tag"].iloc[0]) == "epoch_loss"


def test_write_sample_matches_what_it_promises(tmp_path):
    info = S.write_sample(tmp_path / "sample")
    (source,) = find(info["path"], tmp_path).runs

    frame = FORMAT.read(source, source.files[0], None).scalars

    assert len(frame) == info["n"]
    assert frame["tag"].astype(str).value_counts().to_dict() == info["tags"]
