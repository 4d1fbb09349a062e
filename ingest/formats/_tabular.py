"""Shared pieces of the non-TensorBoard readers: paths, numbers, long frames, appended lines.

Every reader here turns "rows with a step and some metric columns" into the
canonical long frame (tag, step, value, wall_time) and reads files that grow by
appended lines. These helpers are pure functions; file access goes through
``curvedoc.ingest.fs``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from curvedoc.ingest import fs, roles
from curvedoc.ingest.frames import categorical
from curvedoc.ingest.model import FileRead, RunSource, empty_scalars
from curvedoc.ingest.paths import (  # noqa: F401  (shared)
    base_name,
    folder_name,
    join,
    rel_id,
    stem,
)

#: Column/key names that can carry the step, best first (epoch is the fallback).
STEP_KEYS = ("step", "global_step", "iteration", "iter", "epoch", "ep")
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
#: Names of a phase alone: a phase column's cells (a table with a row per phase), or a
#: column or key named only by its phase in a file named by its metric (``losses.csv``).
PHASE_WORDS = roles.TRAIN | roles.VAL | roles.TEST


# -- paths -------------------------------------------------------------------------------


folder_run_name = folder_name  # the run's display name: its folder's name


def folder_run(
    fmt: str, folder: str, root: str, files: tuple[str, ...], name: str | None = None
) -> RunSource:
    """The run that is ``folder`` (id relative to ``root``), named after it unless ``name``."""
    return RunSource(id=rel_id(folder, root), name=name or folder_run_name(folder, root),
                     format=fmt, root=root, files=files)


def phase_named(name: str, path: str) -> str:
    """A column or key named only by a phase (``train``, ``valid``) in a file named by its
    metric (``losses.csv``, ``losses.json``) is that metric of that phase: ``train_losses``;
    other names stay."""
    metric = stem(path)
    if name.strip().lower() in PHASE_WORDS and roles.direction(metric) is not None:
        return f"{name}_{metric}"
    return name


def show_lines(numbers: Iterable[int]) -> str:
    """"3, 7, 9" or "3, 7, 9, 11, 12 and 4 more" for warnings."""
    numbers = list(numbers)
    text = ", ".join(str(n) for n in numbers[:SHOW_LINES])
    if len(numbers) > SHOW_LINES:
        text += f" and {len(numbers) - SHOW_LINES} more"
    return text


# -- numbers -----------------------------------------------------------------------------

#: A number as a cell may write it (ASCII digits only, no "_" separators), or inf/infinity.
NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|inf|infinity)",
    re.ASCII | re.IGNORECASE,
)
#: A whole number as written: read exactly (not through a float).
INT_TEXT = re.compile(r"[+-]?[0-9]+", re.ASCII)
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def cell_number(text: str) -> float | None:
    """A cell's number (nan/inf kept), or None for text that is not one (or is missing)."""
    text = text.strip()
    if NUMBER_TEXT.fullmatch(text):
        return float(text)
    return math.nan if text.lower() in NAN_TEXT else None


def cell_step(text: str) -> int | float | None:
    """A step cell: an exact int for whole numbers (any size), a float, or None if not one."""
    text = text.strip()
    if INT_TEXT.fullmatch(text):
        return int(text)
    if NUMBER_TEXT.fullmatch(text):
        return float(text)
    return None


@dataclass
class Steps:
    """Step cells read as int64, exactly: whole numbers are never read through a float."""

    values: np.ndarray  # int64 (0 where not ``ok``)
    ok: np.ndarray  # bool: a usable step
    out_of_range: np.ndarray  # bool: a number beyond int64
    fractional: bool  # some float steps were cut to whole numbers


def parse_steps(cells: Iterable[object]) -> Steps:
    """Step cells (text, ints or floats) -> exact int64 steps.

    A whole number is kept exactly however large (2^53 + 1 stays itself); one beyond int64
    is marked ``out_of_range`` (the caller names and skips it); a fractional step is cut to
    a whole number; nan/inf/missing/text are not usable.
    """
    items = list(cells)
    values = np.zeros(len(items), dtype=np.int64)
    ok = np.zeros(len(items), dtype=bool)
    out = np.zeros(len(items), dtype=bool)
    fractional = False
    for i, cell in enumerate(items):
        number = cell_step(cell) if isinstance(cell, str) else cell
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            continue
        if isinstance(number, float):
            if not math.isfinite(number):
                continue
            whole = math.floor(number)
            fractional = fractional or whole != number
            number = whole
        if INT64_MIN <= number <= INT64_MAX:
            values[i] = number
            ok[i] = True
        else:
            out[i] = True
    return Steps(values, ok, out, fractional)


def out_of_range_warning(path: str, what: str, lines: Iterable[int]) -> str:
    return (
        f"{path}: skipped line {show_lines(lines)}: the {what} is beyond the 64-bit range "
        f"({INT64_MIN}..{INT64_MAX}) no real step reaches; fix or remove those lines"
    )


@dataclass
class Numbers:
    """A column of cell texts read as numbers."""

    values: np.ndarray  # float64
    present: np.ndarray  # bool: a value (maybe a logged NaN) is there
    junk: np.ndarray  # bool: text that is neither a number nor "missing"


def parse_numbers(cells: Iterable[object]) -> Numbers:
    """Read cell texts as float64 exactly as written: numbers, nan/inf kept; empty/NA cells
    are "not present"; anything else is junk."""
    texts = ["" if c is None else str(c) for c in cells]
    values = np.full(len(texts), np.nan)
    present = np.zeros(len(texts), dtype=bool)
    junk = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        number = cell_number(text)
        if number is not None:
            values[i] = number
            present[i] = True
        elif text.strip().lower() not in MISSING_TEXT:
            junk[i] = True
    return Numbers(values=values, present=present, junk=junk)


def as_steps(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """int64 steps from finite float step cells; True when some had to be cut to whole numbers.

    Cutting (not renumbering by row) keeps steps stable when a file is read in pieces.
    """
    whole = np.floor(values)
    return whole.astype(np.int64), bool(np.any(whole != values))


def to_wall_time(cells: Iterable[object]) -> np.ndarray | None:
    """Seconds since the epoch from a time column (unix s/ms or ISO dates), else None.

    Decided cell by cell (a number above 1e11 is milliseconds, above 1e8 seconds, smaller
    ones are durations, not times), so a file read in pieces gives what a whole read gives.
    """
    series = pd.Series(list(cells), dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    seconds = np.where(numbers > 1e8, numbers, np.nan)
    seconds = np.where(numbers > 1e11, numbers / 1000.0, seconds)
    text = np.isnan(numbers)
    if text.any():
        dates = pd.to_datetime(series[text], errors="coerce", utc=True, format="ISO8601")
        if dates.notna().any():
            since = (dates - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
            seconds[text] = since.to_numpy(dtype=np.float64, na_value=np.nan)
    return None if np.isnan(seconds).all() else seconds


# -- frames ------------------------------------------------------------------------------


def empty() -> pd.DataFrame:
    """The empty per-file frame: tag, step, value, wall_time."""
    return empty_scalars(with_run=False)


def sparse_columns(cells: Mapping[str, Mapping[int, float]], n: int
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-row cells (tag -> {row index: value}) -> the (values, present mask) columns of
    :func:`long_frame`, for logs whose rows each carry only some tags."""
    wide = {}
    for tag, by_row in cells.items():
        values = np.full(n, np.nan)
        present = np.zeros(n, dtype=bool)
        idx = np.fromiter(by_row, dtype=np.int64, count=len(by_row))
        values[idx] = np.fromiter(by_row.values(), dtype=np.float64, count=len(by_row))
        present[idx] = True
        wide[tag] = (values, present)
    return wide


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
    codes, step_parts, value_parts, wall_parts, used = [], [], [], [], []
    for name in names:
        values, present = columns[name]
        idx = np.flatnonzero(present)
        if not idx.size:
            continue
        codes.append(np.full(idx.size, len(used), dtype=np.int32))
        used.append(name)
        step_parts.append(steps[idx])
        value_parts.append(np.asarray(values, dtype=np.float64)[idx])
        wall_parts.append(wall[idx])
    if not used:
        return empty()
    return pd.DataFrame(
        {
            "tag": categorical(np.concatenate(codes), used),
            "step": np.concatenate(step_parts).astype(np.int64),
            "value": np.concatenate(value_parts).astype(np.float64),
            "wall_time": np.concatenate(wall_parts).astype(np.float64),
        }
    )


class Parts:
    """Per-block frames of one file, joined into one frame at the end with little memory.

    Each block's columns are kept as plain arrays; :meth:`frame` joins them one column at
    a time and lets go of the pieces as it goes, so the peak is the final frame plus one
    column, not twice the frame (as concatenating whole frames would be).
    """

    def __init__(self) -> None:
        self._names: dict[str, int] = {}
        self._columns: dict[str, list[np.ndarray]] = {"tag": [], "step": [], "value": [],
                                                      "wall_time": []}

    def add(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        cat = frame["tag"].array
        where = np.array([self._names.setdefault(str(n), len(self._names))
                          for n in cat.categories.tolist()], dtype=np.int32)
        width = np.int16 if len(self._names) < 32_000 else np.int32
        self._columns["tag"].append(where[np.asarray(cat.codes)].astype(width))
        for name in ("step", "value", "wall_time"):
            # an own copy of each column: a view would keep pandas' 2-D block of the
            # block's frame alive until the last column sharing it was joined
            self._columns[name].append(np.array(frame[name].to_numpy(), copy=True))

    def frame(self) -> pd.DataFrame:
        if not self._columns["tag"]:
            return empty()
        data = {}
        names = list(self._names)
        width = np.int8 if len(names) < 127 else np.int16 if len(names) < 32_000 else np.int32
        for name in ("step", "value", "wall_time", "tag"):
            pieces = self._columns[name]
            kind = width if name == "tag" else pieces[0].dtype
            data[name] = np.concatenate(pieces, dtype=kind) if len(pieces) > 1 else (
                pieces[0].astype(kind, copy=False))
            pieces.clear()
        data["tag"] = categorical(data["tag"], names)
        return pd.DataFrame({c: data[c] for c in ("tag", "step", "value", "wall_time")},
                            copy=False)


def failed(path: str, message: str, state: dict | None = None) -> FileRead:
    """A read that produced nothing usable, with one error that names the file."""
    return FileRead(scalars=empty(), errors=[f"{path}: {message}"], state=dict(state or {}))


# -- files read whole, again whenever they change ----------------------------------------


@dataclass(frozen=True)
class Whole:
    """A file read whole: its bytes, and the state that tells the next read it is unchanged."""

    raw: bytes
    state: dict


def read_whole(path: str, state: Mapping | None, max_bytes: int) -> Whole | FileRead:
    """The bytes of a file that a format reads whole (a JSON document, a printed log), or
    the FileRead to return at once: nothing new when ``state`` is of this very content, an
    error naming the file when it cannot be read."""
    if unchanged(path, state):
        return FileRead(scalars=empty(), state=dict(state))
    try:
        st = fs.regular_stat(path, max_bytes)
        raw = fs.read_bytes(path, max_bytes=max_bytes)
    except OSError as exc:
        return failed(path, f"cannot be read ({exc}); check that it exists and is readable")
    return Whole(raw, {"size": st.size, "mtime": st.mtime})


# -- files that grow by appended lines ---------------------------------------------------

#: Size caps no real log of a kind reaches (a larger file is named, not read).
MAX_TEXT_LOG = 64 << 30  # CSV/JSON lines/MLflow metric files: read in blocks, never whole
MAX_SMALL_TEXT = 1 << 20  # params, tags, meta.yaml, hparams.yaml
#: How many bytes of a text log are parsed at once: small next to the frame they give, so
#: the peak memory of a read stays near the frame's own size.
BLOCK_BYTES = 1 << 20


@dataclass
class Block:
    """Complete lines of a file (newline removed), the first one numbered ``first_line``."""

    first_line: int
    lines: list[str]
    quoted: bool = True  # some line holds a double quote (False: none does, for sure)


@dataclass
class Chunk:
    """The complete lines appended to a file since the last read, given block by block.

    A line counts only once its newline is there: the bytes after the last newline (a line
    still being written) are never parsed, so no value is ever read from a half-written
    line. :meth:`blocks` reads the file in blocks of ``BLOCK_BYTES`` (memory stays
    bounded whatever the file's size); after it, ``end`` is the byte just after the last
    complete line, ``last_line`` its number and ``tail`` the unfinished text after it.
    """

    path: str
    offset: int  # byte offset where the appended lines start
    first_line: int  # 1-based number of the first appended line
    size: int  # the file's size when the read started (nothing beyond it is read)
    mtime: float
    reset: bool  # True when the file was rewritten and is read from the start
    end: int = 0
    last_line: int = 0
    tail: str = ""
    #: the raw bytes of the file's first line, newline included (read from offset 0 only)
    first_raw: bytes = b""

    def __post_init__(self) -> None:
        self.end, self.last_line = self.offset, self.first_line - 1

    def blocks(self, block_bytes: int | None = None) -> Iterator[Block]:
        """The complete lines between ``offset`` and ``size``, in blocks."""
        step = block_bytes or BLOCK_BYTES
        left = self.size - self.offset
        if left <= 0:
            return
        carry = b""
        with fs.open_binary(self.path, self.offset) as fh:
            while left > 0:
                data = fh.read(min(step, left))
                if not data:
                    break  # the file shrank while it was read: the next read resets
                left -= len(data)
                data = carry + data if carry else data
                cut = data.rfind(b"\n") + 1
                if not cut:
                    carry = data  # one line longer than a block: read on
                    continue
                carry = data[cut:]
                if self.end == 0:
                    self.first_raw = data[: data.find(b"\n") + 1]
                text = _decode(data[:cut], at_start=self.end == 0)
                lines = text[:-1].split("\n")
                block = Block(self.last_line + 1, lines, quoted='"' in text)
                del text
                self.end += cut
                self.last_line += len(lines)
                yield block
        self.tail = _decode(carry, at_start=self.end == 0)


def _decode(data: bytes, at_start: bool) -> str:
    """Bytes of a text log as text: NULs dropped, CRLF as LF, a lone CR as a space."""
    text = data.replace(b"\x00", b"").replace(b"\r\n", b"\n").replace(b"\r", b" ")
    decoded = text.decode("utf-8", errors="replace")
    return decoded[1:] if at_start and decoded.startswith("\ufeff") else decoded


def unchanged(path: str, state: Mapping | None) -> bool:
    """True when ``state`` is from a read of this very file content (same size and mtime)."""
    if not state:
        return False
    try:
        st = fs.regular_stat(path)
    except OSError:
        return False
    return st.size == state.get("size") and st.mtime == state.get("mtime")


def read_appended(
    path: str, state: Mapping | None, header: bytes = b"", max_bytes: int = MAX_TEXT_LOG
) -> Chunk:
    """The complete lines appended to ``path`` since ``state`` (all of them without one).

    The file counts as rewritten (``reset``) when it shrank below the last offset or
    when its first bytes no longer equal ``header``. Raises OSError when unreadable, not a
    regular file, or larger than ``max_bytes``. Lines are read by :meth:`Chunk.blocks`.
    """
    st = fs.regular_stat(path, max_bytes)
    offset = int(state.get("offset", 0)) if state else 0
    line_no = int(state.get("lines", 0)) + 1 if state else 1
    reset = False
    rewritten = st.size < offset or (header and fs.read_bytes(path, 0, len(header)) != header)
    if state and offset and rewritten:
        offset, line_no, reset = 0, 1, True
    return Chunk(path=path, offset=offset, first_line=line_no, size=st.size, mtime=st.mtime,
                 reset=reset)


def chunk_state(chunk: Chunk, **extra: object) -> dict:
    """The state after reading ``chunk``'s blocks: the next read starts at its first
    unfinished line."""
    return {"offset": chunk.end, "lines": chunk.last_line, "size": chunk.size,
            "mtime": chunk.mtime, **extra}


def tail_warning(chunk: Chunk) -> str | None:
    """The warning about a last line still without its newline (None when there is none)."""
    if not chunk.tail.strip():
        return None
    return (
        f"{chunk.path}: line {chunk.last_line + 1} has no newline yet (still being written, "
        "or the file was cut short); it is read once its newline is there"
    )


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


def read_text(path: str, limit: int = MAX_SMALL_TEXT) -> str | None:
    """A small regular text file's content (None when it cannot be read or is larger than
    ``limit``: a params file or meta.yaml that big is not one MLflow wrote)."""
    try:
        return fs.read_bytes(path, max_bytes=limit).decode("utf-8", errors="replace")
    except OSError:
        return None
