"""The frame builders a cold open uses per run (pandas' block internals, for speed) give
exactly the frames the public constructors give, and share columns copy-on-write: writing
to a run's frame never changes the file's frame the cache writes, nor the other way."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from curvedoc.ingest import catalog, frames


def _file_frame(n: int = 6) -> pd.DataFrame:
    tag = frames.categorical(np.arange(n, dtype=np.int8) % 2, ["loss", "acc"])
    return frames.file_frame(tag, np.arange(n, dtype=np.int64), np.linspace(0, 1, n),
                             np.linspace(10, 11, n))


def test_file_frame_is_what_the_constructor_builds():
    got = _file_frame()
    want = pd.DataFrame({c: got[c].to_numpy() for c in ("step", "value", "wall_time")})
    want.insert(0, "tag", pd.Categorical(["loss", "acc"] * 3,
                                         categories=pd.Index(["loss", "acc"], dtype=object)))
    want.columns = frames.FILE_COLUMNS
    pd.testing.assert_frame_equal(got, want)
    assert got["tag"].cat.categories.dtype == object


def test_with_run_is_what_insert_builds():
    file = _file_frame()
    want = file.copy()
    want.insert(0, "run", pd.Categorical(["a/b"] * len(file)))
    got = frames.with_run(file, "a/b")
    pd.testing.assert_frame_equal(got, want, check_categorical=False)
    assert list(got.columns) == ["run", "tag", "step", "value", "wall_time"]
    assert got["run"].cat.categories.tolist() == ["a/b"]


def test_a_run_frame_and_its_file_frame_never_write_through_to_each_other():
    file = _file_frame()
    run = frames.with_run(file, "r")
    run.loc[0, "value"] = 99.0
    run.loc[1, "step"] = -5
    run.loc[2, "tag"] = "acc"
    assert file["value"].iloc[0] == 0.0 and file["step"].iloc[1] == 1
    assert file["tag"].iloc[2] == "loss"
    again = frames.with_run(file, "r")
    before = again["wall_time"].iloc[3]
    file.loc[3, "wall_time"] = -1.0
    assert again["wall_time"].iloc[3] == before != -1.0


def test_with_run_keeps_a_frame_s_own_index():
    file = _file_frame()
    part = file[file["step"] >= 2]
    got = frames.with_run(part, "r")
    assert got.index.equals(part.index)
    pd.testing.assert_frame_equal(got.drop(columns="run"), part)


def test_categories_of_run_ids_are_plain_strings_and_unique():
    dtype = frames.categories(("sweep/run_7",))
    assert dtype.categories.dtype == object and list(dtype.categories) == ["sweep/run_7"]
    assert dtype == pd.CategoricalDtype(pd.Index(["sweep/run_7"], dtype=object))


def test_tag_counts_leave_missing_tags_out():
    file = _file_frame()
    file.loc[0, "tag"] = np.nan
    assert frames.tag_counts(file) == {"loss": 2, "acc": 3}


def test_reading_pauses_the_garbage_collector_and_restores_it():
    assert gc.isenabled()
    with catalog._collection_paused():
        with catalog._collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with catalog._collection_paused():
            pass
        assert not gc.isenabled()  # as it was before
    finally:
        gc.enable()
