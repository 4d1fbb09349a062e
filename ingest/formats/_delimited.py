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
from collections.abc import Sequence
from typing import Any

import numpy as np

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
    row = next(csv.reader([header], delimiter=sep, skipinitialspace=True), [])
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
        return FileRead(scalars=tab.empty(), state={**state, "reset": False})
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
        sep, names = state["sep"], list(state["names"])

    def done(scalars=None, took_tail=False, errors=()) -> FileRead:
        new_state = tab.chunk_state(chunk, took_tail, header_raw=header_raw, sep=sep, names=names)
        return FileRead(
            scalars=tab.empty() if scalars is None else scalars,
            warnings=warnings,
            errors=list(errors),
            state=new_state,
        )

    step_at = step_column(names)
    if step_at is None:
        shown = ", ".join(repr(n) for n in names[:8]) or "none"
        return done(errors=[
            f"{path}: no step column (columns: {shown}); a training log needs one of "
            f"{', '.join(tab.STEP_KEYS)} — rename the step column or check that this is a "
            "CSV log (not a binary or another kind of file)"
        ])
    rows, numbers, ragged = _split_rows(lines, first_line, sep, len(names))
    took_tail = False
    if chunk.tail.strip():
        tail_row = _split_rows([chunk.tail], 0, sep, len(names))[0]
        if tail_row and not tab.parse_numbers(tail_row[0]).junk.any():
            rows += tail_row
            numbers.append(first_line + len(lines))
            took_tail = True
    if ragged:
        warnings.append(
            f"{path}: skipped {len(ragged)} ragged row(s) at line {tab.show_lines(ragged)} "
            f"(expected {len(names)} fields); fix or remove those lines"
        )
    if not rows:
        if chunk.offset == 0 and not ragged:
            return done(errors=[
                f"{path}: only a header, no rows yet; if training has finished, check that "
                "the logger wrote its metrics"
            ])
        return done(took_tail=took_tail)
    return done(_rows_frame(path, names, step_at, rows, numbers, warnings), took_tail)


def _split_rows(
    lines: list[str], first_line: int, sep: str, width: int
) -> tuple[list[list[str]], list[int], list[int]]:
    """Rows with exactly ``width`` fields, their line numbers, and ragged line numbers."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    ragged: list[int] = []
    reader = csv.reader(lines, delimiter=sep, skipinitialspace=True)
    for number, row in enumerate(reader, start=first_line):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) == width:
            rows.append(row)
            numbers.append(number)
        else:
            ragged.append(number)
    return rows, numbers, ragged


def _rows_frame(
    path: str,
    names: list[str],
    step_at: int,
    rows: list[list[str]],
    numbers: list[int],
    warnings: list[str],
):
    """Rows of cell texts -> the long frame; junk cells and step-less rows are warned about."""
    cells = np.array(rows, dtype=object)
    line_no = np.asarray(numbers)
    step = tab.parse_numbers(cells[:, step_at])
    keep = step.present & np.isfinite(step.values)
    if not keep.all():
        warnings.append(
            f"{path}: skipped {int((~keep).sum())} row(s) without a usable "
            f"{names[step_at]!r} at line {tab.show_lines(line_no[~keep])}"
        )
        cells, line_no, step_values = cells[keep], line_no[keep], step.values[keep]
    else:
        step_values = step.values
    steps, renumbered = tab.as_steps(step_values, np.ones(len(step_values), dtype=bool))
    if renumbered:
        warnings.append(
            f"{path}: {names[step_at]!r} is not a whole number in every row; steps are the "
            "row numbers instead"
        )
    step_like = {key for key in tab.STEP_KEYS}
    wall_time = None
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    junk_lines: dict[str, list[int]] = {}
    seen: set[str] = set()
    for j, name in enumerate(names):
        key = name.lower()
        if j == step_at or key in step_like:
            continue
        if key in tab.TIME_KEYS:
            if wall_time is None:
                wall_time = tab.to_wall_time(cells[:, j])
            continue
        if name in seen or not name:
            warnings.append(f"{path}: column {j + 1} ({name!r}) repeats a name; skipped it")
            continue
        seen.add(name)
        parsed = tab.parse_numbers(cells[:, j])
        if not parsed.present.any():
            continue  # a text column (or never logged): not a metric
        if parsed.junk.any():
            junk_lines[name] = list(line_no[parsed.junk])
        columns[name] = (parsed.values, parsed.present)
    for name, bad in junk_lines.items():
        warnings.append(
            f"{path}: column {name!r} has text that is not a number at line "
            f"{tab.show_lines(bad)}; those cells were skipped"
        )
    return tab.long_frame(steps, columns, wall_time)
