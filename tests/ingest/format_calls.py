"""How the format tests call a format: as discovery and reading do, on real folders."""

from __future__ import annotations

from pathlib import Path

from curvedoc.ingest.model import RunSource


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


def series(frame, tag) -> dict[int, float]:
    """step -> value of one tag."""
    rows = frame[frame["tag"] == tag]
    return dict(zip(rows["step"].tolist(), rows["value"].tolist(), strict=True))
