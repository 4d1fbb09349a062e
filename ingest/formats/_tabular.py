"""Shared pieces of the non-TensorBoard readers: paths, numbers, long frames, appended lines.

Every reader here turns "rows with a step and some metric columns" into the
canonical long frame (tag, step, value, wall_time) and reads files that grow by
appended lines. These helpers are pure functions; file access goes through
``curvedoc.ingest.fs``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.model import FileRead, RunSource, empty_scalars

#: Column/key names that can carry the step, best first (epoch is the fallback).
STEP_KEYS = ("step", "global_step", "iteration", "iter", "epoch")
#: Column/key names that carry a time rather than a metric.
TIME_KEYS = frozenset(
    {"wall_time", "walltime", "timestamp", "time", "_timestamp", "datetime", "date",
     "created_at", "_runtime", "elapsed", "time_elapsed"}
)
#: Cell texts that mean "not logged in this row" (dropped, unlike a logged NaN).
MISSING_TEXT = frozenset({"", "na", "n/a", "null", "none"})
#: Cell texts that mean a logged NaN (kept as NaN).
NAN_TEXT = frozenset({"nan", "-nan", "+nan"})
#: How many line numbers a warning lists before "and N more".
SHOW_LINES = 5


# -- paths -------------------------------------------------------------------------------


def join(folder: str, *names: str) -> str:
    """Join path parts with "/" (works for local paths and fsspec URLs alike)."""
    return posixpath.join(folder.replace("\\", "/"), *names)


def rel_id(path: str, root: str) -> str:
    """Posix path of ``path`` relative to ``root`` ("." for the root itself)."""
    path = path.replace("\\", "/").rstrip("/")
    root = root.replace("\\", "/").rstrip("/")
    if path == root:
        return "."
    if root and path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return posixpath.relpath(path, root or ".")


def base_name(path: str) -> str:
    """Last component of a path or URL."""
    return posixpath.basename(path.replace("\\", "/").rstrip("/")) or path


def folder_run_name(folder: str, root: str) -> str:
    """A run's display name: its folder's name (the root's own name for ".")."""
    return base_name(folder) or base_name(root)


def folder_run(
    fmt: str, folder: str, root: str, files: tuple[str, ...], name: str | None = None
) -> RunSource:
    """The run that is ``folder`` (id relative to ``root``), named after it unless ``name``."""
    return RunSource(id=rel_id(folder, root), name=name or folder_run_name(folder, root),
                     format=fmt, root=root, files=files)


def show_lines(numbers: Iterable[int]) -> str:
    """"3, 7, 9" or "3, 7, 9, 11, 12 and 4 more" for warnings."""
    numbers = list(numbers)
    text = ", ".join(str(n) for n in numbers[:SHOW_LINES])
    if len(numbers) > SHOW_LINES:
        text += f" and {len(numbers) - SHOW_LINES} more"
    return text


# -- numbers -----------------------------------------------------------------------------


@dataclass
class Numbers:
    """A column of cell texts read as numbers."""

    values: np.ndarray  # float64
    present: np.ndarray  # bool: a value (maybe a logged NaN) is there
    junk: np.ndarray  # bool: text that is neither a number nor "missing"


def parse_numbers(cells: Iterable[object]) -> Numbers:
    """Read cell texts as float64: numbers, nan/inf kept; empty/NA cells are "not present"."""
    text = pd.Series(list(cells), dtype=object).astype(str).str.strip()
    lower = text.str.lower()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    missing = lower.isin(MISSING_TEXT).to_numpy()
    logged_nan = lower.isin(NAN_TEXT).to_numpy()
    numeric = ~np.isnan(values) | logged_nan
    return Numbers(values=values, present=numeric & ~missing, junk=~numeric & ~missing)


def as_steps(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """int64 steps from finite float step cells; True when some had to be cut to whole numbers.

    Cutting (not renumbering by row) keeps steps stable when a file is read in pieces.
    """
    whole = np.floor(values)
    return whole.astype(np.int64), bool(np.any(whole != values))


def to_wall_time(cells: Iterable[object]) -> np.ndarray | None:
    """Seconds since the epoch from a time column (unix s/ms or ISO dates), else None."""
    series = pd.Series(list(cells), dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    finite = numbers[np.isfinite(numbers)]
    if finite.size:
        if finite.min() > 1e11:  # milliseconds
            return numbers / 1000.0
        if finite.min() > 1e8:  # seconds since 1973: a real timestamp, not a duration
            return numbers
        return None
    dates = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
    if dates.notna().any():
        seconds = (dates - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return seconds.to_numpy(dtype=np.float64, na_value=np.nan)
    return None


# -- frames ------------------------------------------------------------------------------


def empty() -> pd.DataFrame:
    """The empty per-file frame: tag, step, value, wall_time."""
    return empty_scalars(with_run=False)


def long_frame(
    steps: np.ndarray,
    columns: Mapping[str, tuple[np.ndarray, np.ndarray]],
    wall_time: np.ndarray | None = None,
) -> pd.DataFrame:
    """Wide rows -> the long frame (tag by tag, rows in file order).

    ``columns`` maps tag -> (values, present mask); cells not present are left out.
    """
    names = list(columns)
    if not names:
        return empty()
    n = len(steps)
    wall = np.full(n, np.nan) if wall_time is None else np.asarray(wall_time, dtype=np.float64)
    codes, step_parts, value_parts, wall_parts = [], [], [], []
    for code, name in enumerate(names):
        values, present = columns[name]
        idx = np.flatnonzero(present)
        codes.append(np.full(idx.size, code, dtype=np.int32))
        step_parts.append(steps[idx])
        value_parts.append(np.asarray(values, dtype=np.float64)[idx])
        wall_parts.append(wall[idx])
    tag = pd.Categorical.from_codes(np.concatenate(codes), categories=names)
    return pd.DataFrame(
        {
            "tag": tag.remove_unused_categories(),
            "step": np.concatenate(step_parts).astype(np.int64),
            "value": np.concatenate(value_parts).astype(np.float64),
            "wall_time": np.concatenate(wall_parts).astype(np.float64),
        }
    )


def failed(path: str, message: str, state: dict | None = None) -> FileRead:
    """A read that produced nothing usable, with one error that names the file."""
    return FileRead(scalars=empty(), errors=[f"{path}: {message}"], state=dict(state or {}))


# -- files that grow by appended lines ---------------------------------------------------


@dataclass
class Chunk:
    """The lines appended to a file since the last read."""

    lines: list[str]  # complete lines (newline removed)
    first_line: int  # 1-based line number of lines[0]
    tail: str  # text after the last newline (may be a line still being written)
    offset: int  # byte offset where ``lines`` start
    end: int  # byte offset just after the last complete line
    size: int
    mtime: float
    reset: bool  # True when the file was rewritten and is read from the start


def unchanged(path: str, state: Mapping | None) -> bool:
    """True when ``state`` is from a read of this very file content (same size and mtime)."""
    if not state:
        return False
    try:
        st = fs.stat(path)
    except OSError:
        return False
    return st.size == state.get("size") and st.mtime == state.get("mtime")


def read_appended(path: str, state: Mapping | None, header: bytes = b"") -> Chunk:
    """Lines appended to ``path`` since ``state`` (all lines without a state).

    The file counts as rewritten (``reset``) when it shrank below the last offset or
    when its first bytes no longer equal ``header``. Raises OSError when unreadable.
    """
    st = fs.stat(path)
    offset = int(state.get("offset", 0)) if state else 0
    line_no = int(state.get("lines", 0)) + 1 if state else 1
    reset = False
    rewritten = st.size < offset or (header and fs.read_bytes(path, 0, len(header)) != header)
    if state and offset and rewritten:
        offset, line_no, reset = 0, 1, True
    data = fs.read_bytes(path, offset) if st.size > offset else b""
    cut = data.rfind(b"\n") + 1
    # NUL bytes dropped; a lone carriage return becomes a space (junk, not a line break)
    text = data[:cut].replace(b"\x00", b"").replace(b"\r\n", b"\n").replace(b"\r", b" ")
    text = text.decode("utf-8", errors="replace")
    if offset == 0 and text.startswith("\ufeff"):
        text = text[1:]
    lines = text[:-1].split("\n") if cut else []
    tail = data[cut:].replace(b"\x00", b"").replace(b"\r", b" ").decode("utf-8", errors="replace")
    if offset == 0 and not lines and tail.startswith("\ufeff"):
        tail = tail[1:]
    return Chunk(
        lines=lines,
        first_line=line_no,
        tail=tail,
        offset=offset,
        end=offset + cut,
        size=st.size,
        mtime=st.mtime,
        reset=reset,
    )


def chunk_state(chunk: Chunk, took_tail: bool, **extra: object) -> dict:
    """The state after reading ``chunk`` (the tail counts as read when ``took_tail``)."""
    lines = chunk.first_line - 1 + len(chunk.lines) + (1 if took_tail else 0)
    end = chunk.size if took_tail else chunk.end
    return {"offset": end, "lines": lines, "size": chunk.size, "mtime": chunk.mtime, **extra}


def list_files(folder: str) -> list[str]:
    """Every file under ``folder``, recursively, sorted ([] when it cannot be listed)."""
    filesystem, inner = fs.filesystem(folder)
    try:
        found = filesystem.find(inner, withdirs=False)
    except OSError:
        return []
    if fs.is_local(folder) and "://" not in folder:
        return sorted(str(path).replace("\\", "/") for path in found)
    return sorted(filesystem.unstrip_protocol(path) for path in found)


def read_text(path: str, limit: int = 1 << 20) -> str | None:
    """A small text file's content (None when it cannot be read)."""
    try:
        return fs.read_bytes(path, 0, limit).decode("utf-8", errors="replace")
    except OSError:
        return None
