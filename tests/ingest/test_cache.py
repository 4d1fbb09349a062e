"""The on-disk cache: a re-opened folder re-parses nothing; a broken cache is never fatal."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from curvedoc.ingest import open_root
from curvedoc.ingest.cache import (
    CACHE_DIRNAME,
    CACHE_FILENAME,
    Cache,
    cache_dir_for,
    decode,
    encode,
)
from curvedoc.ingest.frames import canonical
from curvedoc.ingest.model import FileRead


@pytest.fixture
def counted(fake, monkeypatch):
    """The fake format, counting the files it parses."""
    calls: list[str] = []
    real = type(fake.format).read

    def read(source, path, state):
        calls.append(path)
        return real(fake.format, source, path, state)

    monkeypatch.setattr(fake.format, "read", read)
    return calls


def _runs(tmp_path, fake, n=3):
    for i in range(n):
        fake.write(tmp_path / f"run{i}" / "x.fake", fake.curve("loss", range(10 + i)))


def test_a_warm_open_parses_no_file(fake, counted, tmp_path):
    _runs(tmp_path, fake)
    with open_root(str(tmp_path)) as cold:
        cold_frames = {rid: r.scalars for rid, r in cold.runs.items()}
    assert len(counted) == 3
    counted.clear()
    with open_root(str(tmp_path)) as warm:
        assert counted == []
        for rid, run in warm.runs.items():
            pd.testing.assert_frame_equal(run.scalars, cold_frames[rid])
    assert (tmp_path / CACHE_DIRNAME / CACHE_FILENAME).is_file()


def test_a_changed_file_is_parsed_again(fake, counted, tmp_path):
    _runs(tmp_path, fake)
    open_root(str(tmp_path)).close()
    counted.clear()
    fake.write(tmp_path / "run1" / "x.fake", fake.curve("loss", range(100, 102)), mode="a")
    with open_root(str(tmp_path)) as warm:
        assert counted == [str(tmp_path / "run1" / "x.fake")]
        assert len(warm.runs["run1"].scalars) == 13


def test_without_cache_nothing_is_written(fake, tmp_path):
    _runs(tmp_path, fake, 1)
    open_root(str(tmp_path), cache=False).close()
    assert not (tmp_path / CACHE_DIRNAME).exists()


def test_a_corrupt_cache_is_discarded_not_fatal(fake, counted, tmp_path):
    _runs(tmp_path, fake)
    folder = tmp_path / CACHE_DIRNAME
    folder.mkdir()
    (folder / CACHE_FILENAME).write_bytes(b"this is not a database" * 100)
    with open_root(str(tmp_path)) as catalog:
        assert len(catalog.runs) == 3
        assert all(not r.errors for r in catalog.runs.values())
    counted.clear()
    with open_root(str(tmp_path)) as again:  # the rebuilt cache works
        assert counted == [] and len(again.runs) == 3


def test_a_corrupt_row_is_a_miss(fake, counted, tmp_path):
    _runs(tmp_path, fake, 1)
    open_root(str(tmp_path)).close()
    import sqlite3

    with sqlite3.connect(tmp_path / CACHE_DIRNAME / CACHE_FILENAME) as conn:
        conn.execute("UPDATE reads SET blob = ?", (b"\x05\x00\x00\x00{bad}",))
    conn.close()
    counted.clear()
    with open_root(str(tmp_path)) as catalog:
        assert len(counted) == 1 and len(catalog.runs["run0"].scalars) == 10


def test_the_cache_dir_follows_the_environment(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "elsewhere"))
    _runs(tmp_path / "logs", fake, 1)
    open_root(str(tmp_path / "logs")).close()
    assert (tmp_path / "elsewhere" / CACHE_FILENAME).is_file()
    assert not (tmp_path / "logs" / CACHE_DIRNAME).exists()


def test_the_cache_dir_defaults_to_the_root(tmp_path, monkeypatch):
    monkeypatch.delenv("CURVEDOC_CACHE_DIR", raising=False)
    assert cache_dir_for(str(tmp_path)) == tmp_path / CACHE_DIRNAME


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_a_read_only_root_caches_in_the_user_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CURVEDOC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o555)
    try:
        assert cache_dir_for(str(logs)).is_relative_to(tmp_path / "xdg" / "curvedoc")
    finally:
        logs.chmod(0o755)


def test_an_unwritable_cache_folder_switches_the_cache_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker / "cache")
    assert not cache.enabled and "cannot write the cache" in cache.disabled_reason
    assert cache.get("x", 1, 1.0) is None
    assert cache.put("x", 1, 1.0, FileRead(scalars=pd.DataFrame())) is False


def test_a_blob_keeps_values_dtypes_and_state_exactly():
    frame = canonical(pd.DataFrame(
        {
            "tag": pd.Categorical(["a/loss", "b", "a/loss"]),
            "step": np.array([0, 5, 2**40], dtype=np.int64),
            "value": np.array([np.nan, np.inf, -0.0]),
            "wall_time": np.array([1.5, 2.5, 3.5]),
        }
    ))
    read = FileRead(
        scalars=frame,
        hparams={"lr": 0.1, "layers": (1, 2)},
        warnings=["w"],
        state={"offset": 12, "tail": b"\x00\xff", "nested": {"n": [1, 2]}},
    )
    back = decode(encode(read))
    pd.testing.assert_frame_equal(back.scalars, frame)
    assert back.state == read.state
    assert back.hparams == {"lr": 0.1, "layers": [1, 2]}
    assert back.warnings == ["w"]
    back.scalars.loc[0, "value"] = 1.0  # frames from the cache are ordinary, writable frames


def test_a_state_json_cannot_hold_is_not_cached(tmp_path):
    read = FileRead(scalars=pd.DataFrame({"tag": [], "step": [], "value": [], "wall_time": []}),
                    state={"obj": object()})
    with Cache(tmp_path / "c") as cache:
        assert cache.put("x", 1, 1.0, read) is False
        assert cache.get("x", 1, 1.0) is None


def test_read_run_takes_a_cache_folder(fake, counted, tmp_path):
    from curvedoc.ingest import discover, read_run

    _runs(tmp_path / "logs", fake, 1)
    (source,) = discover(str(tmp_path / "logs"))
    first = read_run(source, cache=str(tmp_path / "c"))
    counted.clear()
    again = read_run(source, cache=str(tmp_path / "c"))
    assert counted == []
    pd.testing.assert_frame_equal(again.scalars, first.scalars)
