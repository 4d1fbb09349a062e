"""Discovery walks a tree once and finds each run as a user thinks of it."""

from __future__ import annotations

import os

import pytest

from curvedoc.ingest import discover
from curvedoc.ingest.discover import UNKNOWN, UnknownFormatWarning, walk


def test_runs_are_found_with_posix_ids_relative_to_the_root(fake, tmp_path):
    fake.write(tmp_path / "a" / "x.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "sweep" / "lr0.1" / "seed1" / "x.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "sweep" / "lr0.1" / "seed2" / "x.fake", fake.curve("loss", range(3)))
    ids = [s.id for s in discover(str(tmp_path))]
    assert ids == ["a", "sweep/lr0.1/seed1", "sweep/lr0.1/seed2"]


def test_the_root_itself_is_the_run_dot(fake, tmp_path):
    fake.write(tmp_path / "x.fake", fake.curve("loss", range(3)))
    (source,) = discover(str(tmp_path))
    assert source.id == "."
    assert source.files == (str(tmp_path / "x.fake"),)


def test_several_files_in_one_folder_are_one_run(fake, tmp_path):
    fake.write(tmp_path / "r" / "a.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "r" / "b.fake", fake.curve("loss", range(3, 6)))
    (source,) = discover(str(tmp_path))
    assert len(source.files) == 2


def test_consumed_subfolders_are_not_descended_into(fake, tmp_path):
    run = tmp_path / "keras_run"
    fake.write(run / "train" / "e.fake", fake.curve("epoch_loss", range(3)))
    fake.write(run / "validation" / "e.fake", fake.curve("epoch_loss", range(3)))
    (source,) = discover(str(tmp_path))
    assert source.id == "keras_run"
    assert len(source.files) == 2


def test_hidden_cache_and_vendored_folders_are_skipped(fake, tmp_path):
    for skipped in (".hidden", "__pycache__", "node_modules", ".git", ".curvedoc-cache"):
        fake.write(tmp_path / skipped / "x.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "real" / "x.fake", fake.curve("loss", range(3)))
    assert [s.id for s in discover(str(tmp_path))] == ["real"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_loop_does_not_hang(fake, tmp_path):
    fake.write(tmp_path / "a" / "b" / "x.fake", fake.curve("loss", range(3)))
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")
    os.symlink(tmp_path, tmp_path / "a" / "up")
    ids = [s.id for s in discover(str(tmp_path))]
    assert ids == ["a/b"]


def test_a_missing_root_is_a_clear_error(fake, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        discover(str(tmp_path / "nope"))


def test_a_file_as_root_is_the_run_of_that_file(fake, tmp_path):
    path = fake.write(tmp_path / "one.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "other.fake", fake.curve("loss", range(3)))
    (source,) = discover(path)
    assert source.files == (path,)
    assert source.id == "one.fake"
    assert source.format == "fake"


def test_a_single_unknown_file_warns_with_the_known_formats(fake, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.warns(UnknownFormatWarning, match="Known formats: fake"):
        assert discover(str(path)) == []


def test_a_folder_of_unknown_files_has_no_runs(fake, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.bin").write_bytes(b"\x00\x01")
    assert discover(str(tmp_path)) == []


def test_lfs_pointer_left_over_becomes_a_run_that_says_so(fake, tmp_path):
    pointer = tmp_path / "run1" / "metrics.csv"
    pointer.parent.mkdir()
    pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 12\n")
    (source,) = discover(str(tmp_path))
    assert source.id == "run1"
    assert source.format == UNKNOWN
    assert source.files == (str(pointer),)


def test_lfs_pointer_beside_a_run_joins_that_run(fake, tmp_path):
    fake.write(tmp_path / "r" / "x.fake", fake.curve("loss", range(3)))
    (tmp_path / "r" / "events.out.tfevents.1.host").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 12\n"
    )
    (source,) = discover(str(tmp_path))
    assert source.format == "fake"
    assert any("tfevents" in f for f in source.files)


def test_a_format_that_crashes_on_a_folder_is_reported_not_fatal(fake, tmp_path, monkeypatch):
    fake.write(tmp_path / "good" / "x.fake", fake.curve("loss", range(3)))
    fake.write(tmp_path / "bad" / "y.fake", fake.curve("loss", range(3)))
    real = fake.format.find_runs

    def flaky(folder, files, subdirs, root):
        if folder.endswith("bad"):
            raise RuntimeError("oops")
        return real(folder, files, subdirs, root)

    monkeypatch.setattr(fake.format, "find_runs", flaky)
    found = walk(str(tmp_path))
    assert [s.id for s in found.sources] == ["good"]
    assert any("bad" in w and "please report" in w for w in found.warnings)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_an_unreadable_folder_is_skipped_with_a_warning(fake, tmp_path):
    fake.write(tmp_path / "good" / "x.fake", fake.curve("loss", range(3)))
    locked = tmp_path / "locked"
    fake.write(locked / "x.fake", fake.curve("loss", range(3)))
    locked.chmod(0)
    try:
        found = walk(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert [s.id for s in found.sources] == ["good"]
    assert any("locked" in w and "permission" in w for w in found.warnings)


def test_a_remote_root_is_walked_through_fsspec(no_user_cache):
    import json

    import fsspec

    from curvedoc.ingest import open_root

    mem = fsspec.filesystem("memory")
    lines = "".join(json.dumps({"step": s, "loss": 1 / (1 + s)}) + "\n" for s in range(5))
    mem.pipe("/curvedoc-test-remote/a/metrics.jsonl", lines.encode())
    mem.pipe("/curvedoc-test-remote/b/log.csv", b"step,loss\n0,1\n1,0.5\n")
    try:
        sources = discover("memory://curvedoc-test-remote")
        assert [s.id for s in sources] == ["a", "b"]
        assert sources[0].files == ("memory://curvedoc-test-remote/a/metrics.jsonl",)
        with open_root("memory://curvedoc-test-remote") as catalog:
            assert {rid: len(r.scalars) for rid, r in catalog.runs.items()} == {"a": 5, "b": 2}
            assert all(not r.errors for r in catalog.runs.values())
    finally:
        mem.rm("/curvedoc-test-remote", recursive=True)


def test_each_file_is_read_once_however_many_formats_sniff_it(tmp_path, monkeypatch):
    # a YOLO dataset's labels/: thousands of .txt files that CSV, number-column and
    # printed-log formats each look at; their heads are read once per file, not per format
    from curvedoc.ingest import fs

    labels = tmp_path / "labels"
    labels.mkdir()
    for i in range(20):
        (labels / f"img{i}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    reads = []
    real = fs.read_bytes
    monkeypatch.setattr(fs, "read_bytes", lambda path, *a, **k: reads.append(path) or real(
        path, *a, **k))
    assert discover(str(tmp_path)) == []
    assert len(reads) == len(set(reads)) == 20
