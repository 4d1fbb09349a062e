"""Reading a delimited log (CSV/TSV) that grows by appended rows, into the long frame.

Used by the Lightning and the generic CSV formats. A header line names the
columns; one column carries the step (step/global_step/iteration/iter, else
epoch); time columns give the wall time when they hold real timestamps; every
other column with numbers is a metric whose tag is the column's own name. Empty
and ``NA`` cells mean "not logged in this row" and are dropped; ``nan``/``inf``
are kept as logged. Ragged rows and junk cells are skipped with a warning.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.model import FileRead

SEPARATORS = (",", "\t", ";")


def guess_separator(header: str, path: str = "") -> str:
    """The separator of a header line: tab for .tsv, else the most frequent of , tab ;."""
    if path.lower().endswith(".tsv") and "\t" in header:
        return "\t"
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def split_header(header: str, sep: str) -> list[str]:
    """Column names of a header line, stripped of padding and quotes."""
    try:
        row = next(csv.reader([header], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        row = header.split(sep)
    return [name.strip() for name in row]


def step_column(names: Sequence[str], prefer: Sequence[str] = tab.STEP_KEYS) -> int | None:
    """Index of the column that carries the step (first of ``prefer`` present), or None."""
    lower = [name.lower() for name in names]
    for key in prefer:
        if key in lower:
            return lower.index(key)
    return None


def looks_like_log_header(header: str, path: str = "") -> bool:
    """A header with a step-like column and at least one other named column."""
    sep = guess_separator(header, path)
    if sep not in header:
        return False
    names = split_header(header, sep)
    return (
        len(names) >= 2
        and all(names)
        and step_column(names) is not None
        and all(len(name) < 200 and name.isprintable() for name in names)
    )


def read_delimited(path: str, state: dict[str, Any] | None) -> FileRead:
    """Read the rows appended to a CSV/TSV log since ``state`` (all rows without one)."""
    if tab.unchanged(path, state):
        return FileRead(scalars=tab.empty(), state=dict(state))
    header_raw = (state or {}).get("header_raw")
    try:
        chunk = tab.read_appended(
            path, state, header=header_raw.encode("latin-1") if header_raw else b""
        )
    except OSError as exc:
        return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
    warnings: list[str] = []
    lines, first_line = chunk.lines, chunk.first_line
    if chunk.offset == 0:  # first read, or the file was rewritten: the first line is the header
        if not lines and not chunk.tail.strip():
            return tab.failed(path, "the file is empty; nothing was logged yet")
        if lines:
            header, lines, first_line = lines[0], lines[1:], first_line + 1
            header_len = len(header.encode("utf-8")) + 1
        else:  # a header without a newline and nothing else
            header, header_len = chunk.tail, len(chunk.tail.encode("utf-8"))
            chunk.tail = ""
        header_raw = tab.fs.read_bytes(path, 0, header_len).decode("latin-1")
        sep = guess_separator(header, path)
        names = split_header(header, sep)
    else:
        sep, names, header = state["sep"], list(state["names"]), state.get("header", "")
    header_line = header

    def done(scalars=None, took_tail=False, errors=()) -> FileRead:
        new_state = tab.chunk_state(chunk, took_tail, header_raw=header_raw, sep=sep, names=names,
                                    header=header_line)
        return FileRead(
            scalars=tab.empty() if scalars is None else scalars,
            warnings=warnings,
            errors=list(errors),
            state=new_state,
            reset=chunk.reset,
        )

    step_at = step_column(names)
    if step_at is None:
        shown = ", ".join(repr(n) for n in names[:8]) or "none"
        return done(errors=[
            f"{path}: no step column (columns: {shown}); a training log needs one of "
            f"{', '.join(tab.STEP_KEYS)} — rename the step column or check that this is a "
            "CSV log (not a binary or another kind of file)"
        ])
    good, numbers, ragged = _good_lines(lines, first_line, sep, len(names), header_line)
    took_tail = False
    if chunk.tail.strip():
        tail, _, _ = _good_lines([chunk.tail], 0, sep, len(names), header_line)
        if tail and _first_cell_is_number(tail[0], sep, step_at):
            good.append(tail[0])
            numbers.append(first_line + len(lines))
            took_tail = True
    if ragged:
        warnings.append(
            f"{path}: skipped {len(ragged)} ragged row(s) at line {tab.show_lines(ragged)} "
            f"(expected {len(names)} fields); fix or remove those lines"
        )
    if not good:
        if chunk.offset == 0 and not ragged:
            return done(errors=[
                f"{path}: only a header, no rows yet; if training has finished, check that "
                "the logger wrote its metrics"
            ])
        return done(took_tail=took_tail)
    table = _fast_table(good, sep, names) or _slow_table(good, sep)
    return done(_table_frame(path, names, step_at, table, np.asarray(numbers), warnings), took_tail)


def _field_count(line: str, sep: str) -> int:
    """Fields in one line (quotes respected); -1 when the csv module cannot split it."""
    if '"' in line:
        try:
            return len(next(csv.reader([line], delimiter=sep), []))
        except csv.Error:
            return -1
    return line.count(sep) + 1


def _good_lines(
    lines: list[str], first_line: int, sep: str, width: int, header: str
) -> tuple[list[str], list[int], list[int]]:
    """Lines with exactly ``width`` fields, their line numbers, and ragged line numbers.

    Blank lines and repeats of the header (a logger that restarted) are left out quietly.
    """
    if not lines:
        return [], [], []
    if any('"' in line for line in lines):
        counts = np.fromiter((_field_count(line, sep) for line in lines), dtype=np.int64)
    else:
        counts = np.fromiter(map(str.count, lines, repeat(sep)), dtype=np.int64) + 1
    numbers = np.arange(first_line, first_line + len(lines))
    ok = counts == width
    as_array = np.array(lines, dtype=object)
    ok &= as_array != header
    bad = np.flatnonzero(counts != width)
    ragged = [int(numbers[i]) for i in bad if lines[i].strip() not in ("", header.strip())]
    if width == 1 or not ok.all():
        ok &= np.array([bool(line.strip()) for line in lines])
    keep = np.flatnonzero(ok)
    return as_array[keep].tolist(), numbers[keep].tolist(), ragged


def _first_cell_is_number(line: str, sep: str, at: int) -> bool:
    """Whether the step cell of a line is a number (an unfinished last line may be read)."""
    row = _split_line(line, sep)
    return at < len(row) and bool(tab.parse_numbers([row[at]]).present.all())


def _split_line(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        return line.split(sep)


class _Table:
    """Parsed cells by column: numbers (with present/junk masks) and raw cells for times."""

    def __init__(self, numbers, raw):
        self.numbers = numbers  # j -> tab.Numbers
        self.raw = raw  # j -> sequence of cells


def _fast_table(lines: list[str], sep: str, names: list[str]) -> _Table | None:
    """All cells as float64 with pandas' C parser; None when a cell is not a plain number.

    Empty/NA cells come back as NaN and a logged "nan" makes the parse fail, so here a NaN
    always means "not logged"; files with logged NaNs, text or quotes take the slow path.
    """
    if any('"' in line for line in lines):
        return None
    width = len(names)
    is_time = [name.lower() in tab.TIME_KEYS for name in names]
    dtypes = {j: (str if is_time[j] else np.float64) for j in range(width)}
    missing = sorted(tab.MISSING_TEXT | {t.upper() for t in tab.MISSING_TEXT} | {"None"})
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(lines)), sep=sep, header=None, names=list(range(width)),
            dtype=dtypes, keep_default_na=False, na_values=missing, skipinitialspace=True,
            engine="c", skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != len(lines):
        return None
    numbers, raw = {}, {}
    for j in range(width):
        if is_time[j]:
            raw[j] = frame[j].to_numpy(dtype=object)
            continue
        values = frame[j].to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        numbers[j] = tab.Numbers(values, present, np.zeros(len(values), dtype=bool))
    return _Table(numbers, raw)


def _slow_table(lines: list[str], sep: str) -> _Table:
    """Cells split by the csv module and read one column at a time (text, nan, junk)."""
    cells = np.array([_split_line(line, sep) for line in lines], dtype=object)
    width = cells.shape[1]
    numbers = {j: tab.parse_numbers(cells[:, j]) for j in range(width)}
    return _Table(numbers, {j: cells[:, j] for j in range(width)})


def _table_frame(
    path: str,
    names: list[str],
    step_at: int,
    table: _Table,
    line_no: np.ndarray,
    warnings: list[str],
):
    """Parsed columns -> the long frame; junk cells and step-less rows are warned about."""
    step = table.numbers[step_at]
    keep = step.present & np.isfinite(step.values)
    if not keep.all():
        warnings.append(
            f"{path}: skipped {int((~keep).sum())} row(s) without a usable "
            f"{names[step_at]!r} at line {tab.show_lines(line_no[~keep])}"
        )
    steps, cut = tab.as_steps(step.values[keep])
    if cut:
        warnings.append(
            f"{path}: {names[step_at]!r} is not a whole number in every row; fractional steps "
            "were cut to whole numbers"
        )
    wall_time = None
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    seen: set[str] = set()
    for j, name in enumerate(names):
        key = name.lower()
        if j == step_at or key in tab.STEP_KEYS:
            continue
        if key in tab.TIME_KEYS:
            if wall_time is None:
                wall_time = tab.to_wall_time(np.asarray(table.raw[j])[keep])
            continue
        if name in seen or not name:
            warnings.append(f"{path}: column {j + 1} ({name!r}) repeats a name; skipped it")
            continue
        seen.add(name)
        parsed = table.numbers[j]
        present, junk = parsed.present[keep], parsed.junk[keep]
        if not present.any():
            continue  # a text column (or never logged): not a metric
        if junk.any():
            warnings.append(
                f"{path}: column {name!r} has text that is not a number at line "
                f"{tab.show_lines(line_no[keep][junk])}; those cells were skipped"
            )
        columns[name] = (parsed.values[keep], present)
    return tab.long_frame(steps, columns, wall_time)
