"""Helpers of the ingest tests: call a format as discovery and reading do, on real
folders, and check that a frame is the canonical one of DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from curvedoc.ingest.model import SCALAR_COLUMNS, RunSource


def find(fmt, folder: Path, root: Path):
    """The format's find_runs on a folder's real listing."""
    entries = sorted(folder.iterdir())
    files = [p.name for p in entries if p.is_file()]
    dirs = [p.name for p in entries if p.is_dir()]
    return fmt.find_runs(str(folder), files, dirs, str(root))


def read(fmt, path: Path, state=None):
    """The format's read of one file, as the only file of a run."""
    source = RunSource(id=".", name="r", format=fmt.name, root=str(path.parent),
                       files=(str(path),))
    return fmt.read(source, str(path), state)


def write(path: Path, text: str | bytes) -> Path:
    """A file with its folders made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def series(frame, tag) -> dict[int, float]:
    """step -> value of one tag."""
    rows = frame[frame["tag"] == tag]
    return dict(zip(rows["step"].tolist(), rows["value"].tolist(), strict=True))


def assert_canonical(frame: pd.DataFrame) -> None:
    """The canonical long frame: its columns in order, run and tag categorical, numeric dtypes."""
    assert tuple(frame.columns) == SCALAR_COLUMNS
    assert isinstance(frame["run"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["tag"].dtype, pd.CategoricalDtype)
    assert frame["step"].dtype == np.int64
    assert frame["value"].dtype == np.float64
    assert frame["wall_time"].dtype == np.float64
