"""Bad input across formats, in one folder with good runs: the good runs load, the bad ones
carry errors or warnings that name the file, and nothing crashes or hangs."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from curvedoc.ingest import discover, open_root, read_run

SAMPLES = Path(__file__).parent / "samples"
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 1234567\n"


def _tensorboard_sample():
    spec = importlib.util.spec_from_file_location("curvedoc_bad_tb", SAMPLES / "tensorboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _jsonl(folder: Path, n: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "loss": 1 / (1 + s)}) + "\n" for s in range(n)))
    return path


def _csv(folder: Path, n: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "log.csv"
    path.write_text("step,loss,val_loss\n" + "".join(f"{s},{1 / (1 + s)},{2 / (1 + s)}\n"
                                                      for s in range(n)))
    return path


@pytest.fixture
def mixed(tmp_path, monkeypatch):
    """A root with three good runs (TensorBoard, JSON lines, CSV) and bad neighbours."""
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))
    root = tmp_path / "logs"
    _tensorboard_sample().write_sample(root / "good_tb")
    _jsonl(root / "good_jsonl")
    _csv(root / "good_csv")
    (root / "empty_folder").mkdir()
    if hasattr(os, "symlink"):
        os.symlink(root, root / "good_csv" / "loop")
    lfs_tb = root / "lfs_tb"
    lfs_tb.mkdir()
    (lfs_tb / "events.out.tfevents.1700000000.host.1.0").write_text(LFS)
    lfs_csv = root / "lfs_csv"
    lfs_csv.mkdir()
    (lfs_csv / "metrics.csv").write_text(LFS)
    garbage = root / "garbage_tb"
    garbage.mkdir()
    (garbage / "events.out.tfevents.1700000000.host.2.0").write_bytes(os.urandom(3000))
    empty_tb = root / "empty_tb"
    empty_tb.mkdir()
    (empty_tb / "events.out.tfevents.1700000000.host.3.0").write_bytes(b"")
    return root


GOOD = {"good_tb", "good_jsonl", "good_csv"}


def _problems(run) -> str:
    return " ".join(run.errors + run.warnings)


def test_good_runs_load_beside_bad_ones(mixed):
    with open_root(str(mixed)) as catalog:
        assert set(catalog.runs) >= GOOD
        for rid in GOOD:
            run = catalog.runs[rid]
            assert run.errors == [], (rid, run.errors)
            assert len(run.scalars) > 0
            assert "train_loss" in run.roles or "val_loss" in run.roles


def test_a_symlink_loop_does_not_hang_or_duplicate_runs(mixed):
    ids = [s.id for s in discover(str(mixed))]
    assert len(ids) == len(set(ids))
    assert not any("loop" in i for i in ids)


def test_lfs_pointers_say_run_git_lfs_pull(mixed):
    with open_root(str(mixed)) as catalog:
        for rid, name in (("lfs_tb", "tfevents"), ("lfs_csv", "metrics.csv")):
            run = catalog.runs[rid]
            (error,) = run.errors
            assert name in error and "Git LFS pointer" in error and "git lfs pull" in error
            assert len(run.scalars) == 0


def test_garbage_and_empty_event_files_are_named_on_their_runs(mixed):
    with open_root(str(mixed)) as catalog:
        for rid in ("garbage_tb", "empty_tb"):
            run = catalog.runs[rid]
            assert run.errors or run.warnings, rid
            assert "tfevents" in _problems(run)


def test_an_empty_folder_is_not_a_run(mixed):
    with open_root(str(mixed)) as catalog:
        assert "empty_folder" not in catalog.runs


def test_a_file_that_disappears_after_discovery_is_an_error_on_its_run(mixed):
    sources = {s.id: s for s in discover(str(mixed))}
    gone = mixed / "good_jsonl" / "metrics.jsonl"
    gone.unlink()
    run = read_run(sources["good_jsonl"])
    (error,) = run.errors
    assert str(gone) in error and "disappeared" in error
    assert read_run(sources["good_csv"]).errors == []


def test_a_run_folder_deleted_before_refresh_is_dropped(mixed):
    with open_root(str(mixed)) as catalog:
        (mixed / "good_jsonl" / "metrics.jsonl").unlink()
        assert "good_jsonl" in catalog.refresh()
        assert "good_jsonl" not in catalog.runs
        assert {"good_tb", "good_csv"} <= set(catalog.runs)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_an_unreadable_file_is_an_error_naming_it(mixed):
    path = _jsonl(mixed / "locked")
    path.chmod(0)
    try:
        with open_root(str(mixed), cache=False) as catalog:
            run = catalog.runs.get("locked")
            assert run is None or (run.errors and "metrics.jsonl" in run.errors[0])
            assert set(catalog.runs) >= GOOD
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_named_like_a_log_does_not_hang(mixed):
    os.mkfifo(mixed / "good_csv" / "events.out.tfevents.1700000000.host.9.0")
    os.mkfifo(mixed / "pipe.jsonl")
    with open_root(str(mixed), cache=False) as catalog:
        by_file = {os.path.basename(f): r for r in catalog.runs.values() for f in r.sources}
        assert {"good_tb", "good_jsonl"} <= set(catalog.runs)
        assert by_file["log.csv"].errors == [] and len(by_file["log.csv"].scalars) == 40


def test_a_junk_csv_beside_good_runs_names_the_file(mixed):
    folder = mixed / "junk_csv"
    folder.mkdir()
    (folder / "log.csv").write_bytes(b"step,loss\n0,1.0\n1,\xff\xfe\x00junk\n2,0.5,extra,cells\n")
    with open_root(str(mixed), cache=False) as catalog:
        assert set(catalog.runs) >= GOOD
        run = catalog.runs["junk_csv"]
        assert run.errors == []
        # the clean rows are kept (the wider row widens the header, as a logger that adds
        # metrics mid-run does); the junk cell and the widened row are named by line
        assert run.series("loss")["value"].tolist() == [1.0, 0.5]
        assert any("log.csv" in w and "line 3" in w for w in run.warnings)
        assert any("log.csv" in w and "line 4" in w for w in run.warnings)


def test_binary_junk_named_like_a_csv_log_is_an_error_naming_the_file(mixed):
    folder = mixed / "binary_csv"
    folder.mkdir()
    (folder / "metrics.csv").write_bytes(bytes(range(256)) * 8)
    with open_root(str(mixed), cache=False) as catalog:
        assert set(catalog.runs) >= GOOD
        (error,) = catalog.runs["binary_csv"].errors
        assert "metrics.csv" in error and "binary" in error and "copy it again" in error


def test_an_unknown_single_file_warns_and_names_the_known_formats(tmp_path):
    path = tmp_path / "notes.bin"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.warns(UserWarning, match="tensorboard"):
        assert discover(str(path)) == []


def test_a_single_lfs_pointer_file_is_a_run_with_that_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "_cache"))
    path = tmp_path / "results.csv"
    path.write_text(LFS)
    with open_root(str(path)) as catalog:
        (run,) = catalog.runs.values()
        assert "git lfs pull" in run.errors[0]
