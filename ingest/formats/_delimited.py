"""Reading a delimited log (CSV/TSV) that grows by appended rows, into the long frame.

Used by the Lightning and the generic CSV formats. A header line names the
columns; one column carries the step (step/global_step/iteration/iter, else
epoch). A table of metrics with no such column (Keras' ``history`` saved with pandas,
with or without its unnamed index) has one row per epoch: the row's place (0, 1, 2, ...)
is its epoch, and the reader says so in a warning. Time columns give the wall time when
they hold real timestamps; every other column with numbers is a metric whose tag is the
column's own name. Empty and ``NA`` cells mean "not logged in this row" and are
dropped; ``nan``/``inf`` are kept as logged.

What the reader promises (tests/ingest/test_reliability_text.py checks each):

- A row counts only once its newline is there; the file is read in blocks, so memory
  stays bounded, and reading it in pieces (while a trainer appends) gives exactly
  what one read of the same bytes gives.
- Values are kept exactly as written (float64 of the text); steps are read as exact
  integers (never through a float); a step beyond int64 is named and skipped.
- One bad line never costs another: a row with fewer fields than the header is
  skipped and named by its line number. A row with more fields widens the header
  (a logger that added metrics mid-run): its extra columns are read as
  ``column_<n>``; a new header line later in the file (a logger that wrote one when
  it added metrics) names the columns from there on.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest import roles
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.model import FileRead

SEPARATORS = (",", "\t", ";")
#: Names an index column written by pandas has (``to_csv`` leaves it unnamed).
INDEX_NAMES = frozenset({"", "unnamed: 0"})
_NUMBER_START = frozenset("0123456789+-.")


def guess_separator(header: str, path: str = "") -> str:
    """The separator of a header line: tab for .tsv, else the most frequent of , tab ;."""
    if path.lower().endswith(".tsv") and "\t" in header:
        return "\t"
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def split_line(line: str, sep: str) -> list[str]:
    """The cells of one line (quotes respected, a space after the separator ignored).

    The one splitting rule of the reader: field counts and cells always agree.
    """
    if '"' not in line:
        return line.split(sep)
    try:
        return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        return line.split(sep)


def split_header(header: str, sep: str) -> list[str]:
    """Column names of a header line, stripped of padding and quotes."""
    return [name.strip().strip('"').strip() for name in split_line(header, sep)]


def step_column(names: Sequence[str], prefer: Sequence[str] = tab.STEP_KEYS) -> int | None:
    """Index of the column that carries the step (first of ``prefer`` present), or None."""
    lower = [name.lower() for name in names]
    for key in prefer:
        if key in lower:
            return lower.index(key)
    return None


#: Columns that set up a training rather than measure it: a table with one of them is a
#: sweep's summary (one row per run), not one run's metrics per epoch.
SETTING_NAMES = frozenset({"epochs", "num_epochs", "n_epochs", "batch_size", "batchsize", "bs",
                           "seed", "dropout", "weight_decay", "wd", "hidden_size", "hidden_dim",
                           "num_layers", "n_layers", "layers", "fold", "trial", "run",
                           "experiment", "model", "optimizer", "config"})


#: Columns that say which run a row belongs to, best first: a log that several runs were
#: written to (``model,epoch,loss,val_loss`` with a block of rows per model) holds one run
#: per value.
RUN_KEYS = ("model", "model_name", "arch", "architecture", "backbone", "run", "run_name",
            "run_id", "experiment", "experiment_name", "exp", "exp_name", "variant", "config",
            "fold", "trial", "seed")
#: The largest log whose run-key column discovery reads whole (a bigger one is one run).
KEYS_MAX_BYTES = 64 << 20


def run_key_column(names: Sequence[str]) -> int | None:
    """Index of the column that says which run a row belongs to, or None."""
    return step_column(names, RUN_KEYS)


def run_keys(path: str) -> tuple[str, list[str]] | None:
    """The run-key column of a log that several runs were written to and its values, in the
    order they first appear (cells stripped); None when the header names no such column or
    it holds one value throughout (the one run's name, nothing to split)."""
    from curvedoc.ingest import fs

    try:  # the header first: only a log that names a run-key column is read whole
        head = fs.head(path).decode("utf-8", errors="replace").lstrip("\ufeff")
        first = [line.rstrip("\r") for line in head.split("\n")]
        top = header_index(first, path) or 0
        header = first[top]
        sep = guess_separator(header, path)
        names = split_header(header, sep)
        at = run_key_column(names)
        if at is None or step_column(names) is None:
            return None
        text = fs.read_bytes(path, max_bytes=KEYS_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = text.lstrip("\ufeff").splitlines()
    values: dict[str, None] = {}
    for line in lines[top + 1:]:
        cells = split_line(line, sep)
        if len(cells) > at and cells[at].strip() and cells[at].strip() != names[at]:
            values[cells[at].strip()] = None
    return (names[at], list(values)) if len(values) >= 2 else None


def epoch_rows(names: Sequence[str]) -> bool:
    """Whether a header without a step column names a table of metrics, one row per epoch:
    at least two metric columns (after pandas' unnamed index, if any), one of them a loss
    or a score by name, and no column that sets a training up (a sweep's summary table of
    ``lr, batch_size, val_acc`` has one row per run)."""
    rest = list(names[1:] if names and names[0].lower() in INDEX_NAMES else names)
    return (step_column(names) is None and len(rest) >= 2 and all(rest)
            and any(roles.direction(name) for name in rest)
            and not any(name.strip().lower() in SETTING_NAMES for name in rest))


def trimmed(cells: list[str]) -> list[str]:
    """Cells without the empty ones a separator at the end of the line leaves."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def looks_like_log_header(header: str, path: str = "", row: str | None = None) -> bool:
    """A header with a step-like column and at least one other named column; or, without a
    step column, a header of metrics (:func:`epoch_rows`) whose first ``row`` is all
    numbers. A separator that ends every line (``loss,acc,``) names no column."""
    sep = guess_separator(header, path)
    if sep not in header:
        return False
    names = trimmed(split_header(header, sep))
    if len(names) < 2 or not all(len(name) < 200 and name.isprintable() for name in names):
        return False
    if step_column(names) is not None:
        # every column named, but for pandas' unnamed index before them
        return all(names[1:] if names[0].lower() in INDEX_NAMES else names)
    if row is None or not epoch_rows(names):
        return False
    cells = trimmed(split_line(row, sep))
    return len(cells) == len(names) and all(tab.cell_number(c) is not None for c in cells)


#: Lines of text a table may have above its header: a title (``model_history_log``) or a
#: blank line, without a separator.
MAX_TITLE_LINES = 2


def header_index(lines: Sequence[str], path: str = "") -> int | None:
    """Which of a file's first ``lines`` is its table's header (:func:`looks_like_log_header`,
    the line after it its first row): the first line, or one after up to ``MAX_TITLE_LINES``
    lines of a title above it; None when no header is there."""
    for at, line in enumerate(lines[:MAX_TITLE_LINES + 1]):
        row = lines[at + 1] if at + 2 < len(lines) else None  # a row only when whole
        if looks_like_log_header(line, path, row):
            return at
        if any(sep in line for sep in SEPARATORS) or tab.cell_number(line) is not None:
            return None  # a row of cells, or a number: no title
    return None


@dataclass
class _Layout:
    """The columns rows are read with: the last header line, widened by wider rows."""

    sep: str
    names: list[str]
    header: str  # the header line as written (its repeats are skipped quietly)
    base: int  # fields of the header line itself: a row with fewer is ragged
    #: where no column carries the step, the rows are the epochs: how many were seen so far
    #: (None when a column carries the step)
    rows: int | None = None
    #: a step column that starts again whenever the epoch column advances counts within the
    #: epoch: what is added to make it run on (see :func:`_within_epochs`), and the last
    #: raw step and epoch read, for the rows a later read appends
    step_offset: int = 0
    last_step: int | None = None
    last_epoch: float | None = None
    within_epoch: bool = False

    @classmethod
    def of_header(cls, header: str, path: str) -> _Layout:
        """The layout a header line gives; pandas' unnamed index of a table of metrics per
        epoch is its epoch column, and without one the rows count the epochs."""
        sep = guess_separator(header, path)
        names = split_header(header, sep)
        rows = None
        if epoch_rows(trimmed(names)):
            if names[0].lower() in INDEX_NAMES:
                names[0] = "epoch"
            else:
                rows = 0
        return cls(sep, names, header, len(names), rows)

    @property
    def has_steps(self) -> bool:
        return self.rows is not None or step_column(self.names) is not None

    def to_state(self) -> dict[str, Any]:
        return {"sep": self.sep, "names": list(self.names), "header": self.header,
                "base": self.base, "rows": self.rows, "step_offset": self.step_offset,
                "last_step": self.last_step, "last_epoch": self.last_epoch,
                "within_epoch": self.within_epoch}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Layout:
        names = list(state["names"])
        return cls(state["sep"], names, state.get("header", ""), int(state.get("base", len(names))),
                   state.get("rows"), int(state.get("step_offset", 0)), state.get("last_step"),
                   state.get("last_epoch"), bool(state.get("within_epoch", False)))


@dataclass
class _Problems:
    """Line numbers of each kind of problem, across blocks; one warning per kind at the end."""

    ragged: list[int] = field(default_factory=list)
    widened: list[tuple[int, int, int]] = field(default_factory=list)  # line, from, to
    no_step: dict[str, list[int]] = field(default_factory=dict)
    huge_step: list[int] = field(default_factory=list)
    fractional: set[str] = field(default_factory=set)
    junk: dict[str, list[int]] = field(default_factory=dict)
    repeated: dict[str, int] = field(default_factory=dict)
    epoch_rows: bool = False  # rows read as epochs (no step column)

    def messages(self, path: str) -> list[str]:
        out = []
        if self.epoch_rows:
            out.append(f"{path}: no step or epoch column; each row was read as one epoch "
                       "(0, 1, 2, ...); add an epoch column to the log to say otherwise")
        if self.ragged:
            out.append(f"{path}: skipped {len(self.ragged)} ragged row(s) at line "
                       f"{tab.show_lines(self.ragged)} (fewer fields than the header); fix or "
                       "remove those lines")
        for line, old, new in self.widened[: tab.SHOW_LINES]:
            read_as = (f"the extra column is read as column_{new}" if new == old + 1 else
                       f"the extra columns are read as column_{old + 1}..column_{new}")
            out.append(f"{path}: line {line} has {new} fields where the header names {old}; "
                       f"the header was widened and {read_as} (name them in the header)")
        for name, lines in self.no_step.items():
            out.append(f"{path}: skipped {len(lines)} row(s) without a usable {name!r} at "
                       f"line {tab.show_lines(lines)}")
        if self.huge_step:
            out.append(tab.out_of_range_warning(path, "step", self.huge_step))
        for name in sorted(self.fractional):
            out.append(f"{path}: {name!r} is not a whole number in every row; fractional "
                       "steps were cut to whole numbers")
        for name, j in self.repeated.items():
            out.append(f"{path}: column {j + 1} ({name!r}) repeats a name; skipped it")
        for name, lines in self.junk.items():
            out.append(f"{path}: column {name!r} has text that is not a number at line "
                       f"{tab.show_lines(lines)}; those cells were skipped")
        return out


def read_delimited(path: str, state: dict[str, Any] | None,
                   only: tuple[str, str] | None = None) -> FileRead:
    """Read the rows appended to a CSV/TSV log since ``state`` (all rows without one);
    with ``only`` = (column, value), only the rows of one run in a log that several runs
    were written to (:func:`run_keys`)."""
    if tab.unchanged(path, state):
        return FileRead(scalars=tab.empty(), state=dict(state))
    header_raw = (state or {}).get("header_raw")
    try:
        chunk = tab.read_appended(
            path, state, header=header_raw.encode("latin-1") if header_raw else b""
        )
    except OSError as exc:
        return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
    layout = None if chunk.offset == 0 else _Layout.from_state(state)
    problems = _Problems()
    parts = tab.Parts()
    rows = 0
    try:
        for block in chunk.blocks():
            lines, first = block.lines, block.first_line
            if layout is None:  # first read, or the file was rewritten: the header first
                header_raw = chunk.first_raw.decode("latin-1")
                at = header_index(lines, path) or 0  # below a title, where there is one
                layout = _Layout.of_header(lines[at], path)
                lines, first = lines[at + 1:], first + at + 1
                if not layout.has_steps:
                    break
            problems.epoch_rows = layout.rows is not None
            for segment in _segments(lines, first, layout, problems, block.quoted):
                rows += len(segment.lines)
                parts.add(_segment_frame(path, segment, problems, layout, only))
    except OSError as exc:
        return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")

    def done(errors=()) -> FileRead:
        extra = {"header_raw": header_raw, **(layout.to_state() if layout else {})}
        return FileRead(
            scalars=parts.frame(),
            warnings=[] if errors else [*problems.messages(path), *_tail(chunk)],
            errors=list(errors),
            state=tab.chunk_state(chunk, **extra),
            reset=chunk.reset,
            tail_warning=None if errors else tab.tail_warning(chunk),
        )

    if layout is None:
        if not chunk.tail.strip():
            return tab.failed(path, "the file is empty; nothing was logged yet")
        return tab.failed(path, "only a header, no rows yet (the header line has no newline "
                                "yet); if training has finished, check that the logger wrote "
                                "its metrics")
    if not layout.has_steps:
        shown = ", ".join(repr(n) for n in layout.names[:8]) or "none"
        return done(errors=[
            f"{path}: no step column (columns: {shown}); a training log needs one of "
            f"{', '.join(tab.STEP_KEYS)} — rename the step column or check that this is a "
            "CSV log (not a binary or another kind of file)"
        ])
    if not rows and chunk.offset == 0 and not problems.ragged and not chunk.tail.strip():
        return done(errors=[
            f"{path}: only a header, no rows yet; if training has finished, check that "
            "the logger wrote its metrics"
        ])
    return done()


def _tail(chunk: tab.Chunk) -> list[str]:
    warning = tab.tail_warning(chunk)
    return [warning] if warning else []


@dataclass
class _Segment:
    """Consecutive good rows read with one set of column names."""

    names: list[str]
    sep: str
    lines: list[str]
    numbers: np.ndarray  # line numbers
    quoted: bool = True  # some line may hold a double quote
    epochs: np.ndarray | None = None  # each row's epoch, where the rows are the epochs


def _field_counts(lines: list[str], sep: str, quoted: bool) -> np.ndarray:
    if quoted and any('"' in line for line in lines):
        return np.fromiter((len(split_line(line, sep)) for line in lines), dtype=np.int64,
                           count=len(lines))
    return np.fromiter(map(str.count, lines, repeat(sep)), dtype=np.int64,
                       count=len(lines)) + 1


def _segments(
    lines: list[str], first: int, layout: _Layout, problems: _Problems, quoted: bool = True
) -> list[_Segment]:
    """Good rows in runs of one layout; the layout changes at a new header or a wider row.

    Blank lines and repeats of the header (a logger that restarted) are left out quietly.
    """
    if not lines:
        return []
    counts = _field_counts(lines, layout.sep, quoted)
    width = len(layout.names)
    header = layout.header.strip()
    if (counts == width).all() and layout.header not in lines and (
        width > 1 or all(line.strip() for line in lines)
    ):
        epochs = None
        if layout.rows is not None:
            epochs = np.arange(layout.rows, layout.rows + len(lines), dtype=np.int64)
            layout.rows += len(lines)
        return [_Segment(list(layout.names), layout.sep, lines,
                         np.arange(first, first + len(lines)), quoted, epochs)]
    out: list[_Segment] = []
    keep: list[str] = []
    numbers: list[int] = []
    epochs: list[int] = []

    def close() -> None:
        if keep:
            out.append(_Segment(list(layout.names), layout.sep, list(keep), np.asarray(numbers),
                                quoted, np.asarray(epochs, dtype=np.int64)
                                if layout.rows is not None else None))
            keep.clear()
            numbers.clear()
            epochs.clear()

    for i, line in enumerate(lines):
        number = first + i
        stripped = line.strip()
        if not stripped or stripped == header:
            continue
        count = int(counts[i])
        if _is_new_header(line, layout):
            close()
            names = split_header(line, layout.sep)
            layout.names, layout.header, layout.base = names, line, len(names)
            header = line.strip()
            continue
        epoch = layout.rows  # where the rows are the epochs, a ragged one is one too
        if epoch is not None:
            layout.rows = epoch + 1
        if count < layout.base:
            problems.ragged.append(number)
            continue
        if count > len(layout.names):
            close()
            old = len(layout.names)
            layout.names = [*layout.names, *(f"column_{k}" for k in range(old + 1, count + 1))]
            problems.widened.append((number, old, count))
        keep.append(line)
        numbers.append(number)
        if epoch is not None:
            epochs.append(epoch)
    close()
    return out


def _is_new_header(line: str, layout: _Layout) -> bool:
    """A line that names columns (a step-like name where the step is) instead of values."""
    if line.lstrip()[:1] in _NUMBER_START:
        return False  # the cheap answer for almost every row
    names = split_header(line, layout.sep)
    at = step_column(names)
    return (
        at is not None
        and len(names) >= 2
        and all(names)
        and tab.cell_step(names[at]) is None
        and all(tab.cell_number(n) is None for n in names)
    )


class _Table:
    """Parsed cells by column: numbers (with present/junk masks) and raw cells for times."""

    def __init__(self, numbers, raw, steps=None):
        self.numbers = numbers  # j -> tab.Numbers
        self.raw = raw  # j -> sequence of cells
        self.steps = steps  # tab.Steps of the step column


def _fast_table(
    lines: list[str], sep: str, names: list[str], step_at: int | None, quoted: bool = True,
    text_at: int | None = None,
) -> _Table | None:
    """All cells with pandas' C parser; None when a cell is not a plain number.

    Empty/NA cells come back as NaN and a logged "nan" makes the parse fail, so here a NaN
    always means "not logged"; files with logged NaNs, text or quotes take the slow path.
    pandas reads float64 exactly as Python does; the step column is read as int64 (exact),
    else as text and parsed by :func:`tab.parse_steps`.
    """
    if quoted and any('"' in line for line in lines):
        return None
    width = len(names)
    # time columns and the run-key column are kept as text
    is_time = [name.lower() in tab.TIME_KEYS or j == text_at for j, name in enumerate(names)]
    missing = sorted(tab.MISSING_TEXT | {t.upper() for t in tab.MISSING_TEXT} | {"None"})
    text = "\n".join(lines)
    frame = None
    for step_dtype in (np.int64, object):
        dtypes: dict[int, Any] = {j: (object if is_time[j] else np.float64) for j in range(width)}
        if step_at is not None:
            dtypes[step_at] = step_dtype
        try:
            with warnings.catch_warnings():  # a step too large for int64: the next try
                warnings.simplefilter("ignore", RuntimeWarning)
                frame = pd.read_csv(
                    io.StringIO(text), sep=sep, header=None, names=list(range(width)),
                    dtype=dtypes, keep_default_na=False, na_values=missing,
                    skipinitialspace=True, engine="c", skip_blank_lines=False,
                )
            break
        except (ValueError, OverflowError, TypeError, pd.errors.ParserError):
            frame = None
            if step_dtype is object:
                return None
    if frame is None or len(frame) != len(lines):
        return None
    numbers, raw = {}, {}
    steps = None
    for j in range(width):
        column = frame[j]
        if j == step_at:
            if column.dtype == np.int64:
                values = column.to_numpy(dtype=np.int64)
                ok = np.ones(len(values), dtype=bool)
                steps = tab.Steps(values, ok, np.zeros(len(values), dtype=bool), False)
            else:
                cells = column.to_numpy(dtype=object)
                steps = tab.parse_steps("" if c is None or c != c else str(c) for c in cells)
            continue
        if is_time[j]:
            raw[j] = column.to_numpy(dtype=object)
            continue
        values = column.to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        numbers[j] = tab.Numbers(values, present, np.zeros(len(values), dtype=bool))
    return _Table(numbers, raw, steps)


def _slow_table(lines: list[str], sep: str, width: int, step_at: int | None) -> _Table:
    """Cells split by :func:`split_line` and read one column at a time (text, nan, junk)."""
    rows = [split_line(line, sep) for line in lines]
    cells = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        cells[i, : len(row)] = row[:width]
    numbers = {j: tab.parse_numbers(cells[:, j]) for j in range(width) if j != step_at}
    steps = tab.parse_steps(cells[:, step_at]) if step_at is not None else None
    return _Table(numbers, {j: cells[:, j] for j in range(width)}, steps)


def _within_epochs(steps: tab.Steps, epochs: tab.Numbers, layout: _Layout) -> tab.Steps:
    """Steps counted within each epoch made to run on: where the step column starts again
    at a row whose epoch column advanced, and only there (a step that goes back in the same
    epoch, or with the epoch, is a restart, for the curves to purge), every later step gets
    what the epochs before reached added, plus one logging interval. Decided once per file
    (``layout.within_epoch``), carried across appended reads."""
    ok = steps.ok & epochs.present
    raw, ep = steps.values[ok], epochs.values[ok]
    if not len(raw):
        return steps
    prev_step = np.r_[layout.last_step if layout.last_step is not None else raw[0], raw[:-1]]
    prev_epoch = np.r_[layout.last_epoch if layout.last_epoch is not None else ep[0], ep[:-1]]
    back = raw < prev_step
    if back.any() and not layout.within_epoch:
        layout.within_epoch = bool(np.all(ep[back] > prev_epoch[back]))
    layout.last_step, layout.last_epoch = int(raw[-1]), float(ep[-1])
    if not layout.within_epoch:
        return steps
    gaps = np.diff(raw)
    interval = int(np.median(gaps[gaps > 0])) if (gaps > 0).any() else 1
    starts = back & (ep > prev_epoch)
    jump = np.where(starts, prev_step - raw + interval, 0)
    offset = layout.step_offset + np.cumsum(jump)
    layout.step_offset = int(offset[-1])
    values = steps.values.copy()
    values[ok] = raw + offset
    return tab.Steps(values, steps.ok, steps.out_of_range, steps.fractional)


def _segment_frame(path: str, segment: _Segment, problems: _Problems,
                   layout: _Layout, only: tuple[str, str] | None = None) -> pd.DataFrame:
    """One segment's rows -> the long frame; problems are noted with their line numbers.
    With ``only`` = (column, value), the rows whose ``column`` holds another value are
    another run's and left out."""
    names, line_no = segment.names, segment.numbers
    step_at = step_column(names)
    key_at = names.index(only[0]) if only and only[0] in names else None
    width = len(names)
    table = _fast_table(segment.lines, segment.sep, names, step_at, segment.quoted,
                        key_at) or _slow_table(segment.lines, segment.sep, width, step_at)
    steps = table.steps
    if steps is None:  # no step column: the rows are the epochs
        ok = np.ones(len(segment.epochs), dtype=bool)
        steps = tab.Steps(segment.epochs, ok, ~ok, False)
    if only is not None:
        mine = (np.array([str(c).strip() == only[1] for c in table.raw[key_at]], dtype=bool)
                if key_at is not None else np.zeros(len(segment.lines), dtype=bool))
        steps = tab.Steps(steps.values, steps.ok & mine, steps.out_of_range & mine,
                          steps.fractional)
        line_no = np.where(mine, line_no, -1)
    if table.steps is not None:
        epoch_at = step_column(names, ("epoch",))
        if epoch_at is not None and epoch_at != step_at:
            steps = _within_epochs(steps, table.numbers[epoch_at], layout)
    keep = steps.ok
    if steps.out_of_range.any():
        problems.huge_step.extend(line_no[steps.out_of_range].tolist())
    lost = ~keep & ~steps.out_of_range & (line_no >= 0)
    if lost.any():
        problems.no_step.setdefault(names[step_at], []).extend(line_no[lost].tolist())
    if steps.fractional:
        problems.fractional.add(names[step_at])
    wall_time = None
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    seen: set[str] = set()
    phases = _phase_cells(table, names, keep)
    for j, name in enumerate(names):
        key = name.lower()
        if j == step_at or key in tab.STEP_KEYS:
            continue
        if key in tab.TIME_KEYS:
            if wall_time is None:
                wall_time = tab.to_wall_time(np.asarray(table.raw[j])[keep])
            continue
        if j == 0 and key in INDEX_NAMES:
            continue  # pandas' unnamed index beside a step column: the row's number
        if j == key_at:
            continue  # which run the row is of
        if not name and not table.numbers[j].present[keep].any():
            continue  # the empty cell a separator at the end of every row leaves
        if name in seen or not name:
            problems.repeated.setdefault(name, j)
            continue
        seen.add(name)
        tag = tab.phase_named(name, path)
        parsed = table.numbers[j]
        present, junk = parsed.present[keep], parsed.junk[keep]
        if not present.any():
            continue  # a text column (or never logged): not a metric
        if junk.any():
            problems.junk.setdefault(name, []).extend(line_no[keep][junk].tolist())
        columns[tag] = (parsed.values[keep], present)
    if phases is not None:
        columns = _by_phase(columns, phases)
    return tab.long_frame(steps.values[keep], columns, wall_time)


def _phase_cells(table: _Table, names: list[str], keep: np.ndarray) -> np.ndarray | None:
    """The phase each kept row names, where one text column names a phase in every row (a
    long table: ``epoch,phase,loss,acc`` with a ``train`` and a ``val`` row per epoch); else
    None. Its cells are stripped, as written otherwise."""
    for j, cells in table.raw.items():
        if j not in table.numbers or table.numbers[j].present.any():
            continue
        texts = np.array([str(cell).strip() for cell in np.asarray(cells)[keep]], dtype=object)
        if len(texts) and all(text.lower() in tab.PHASE_WORDS for text in set(texts)):
            return texts
    return None


def _by_phase(columns: dict[str, tuple[np.ndarray, np.ndarray]], phases: np.ndarray
              ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each metric column split into one per phase, named ``<phase>_<column>``
    (``val_loss``), so a train row and a validation row of one epoch never share a tag."""
    order = list(dict.fromkeys(phases.tolist()))
    return {f"{phase}_{name}": (values, present & (phases == phase))
            for name, (values, present) in columns.items() for phase in order}
