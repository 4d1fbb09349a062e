"""The data model every layer shares: the scalar frame, a run, what a reader returns.

See DESIGN.md, "Data model". Nothing here reads files; it only describes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Columns of the canonical long frame, in order.
SCALAR_COLUMNS = ("run", "tag", "step", "value", "wall_time")

#: The roles a tag can play; accuracy stands for any "higher is better" metric.
ROLES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr", "grad_norm")


#: The roles that judge a run, best first, with whether higher is better: the metric a
#: runs list shows and a summary keeps.
JUDGED_ROLES = (("val_loss", False), ("val_acc", True), ("train_loss", False),
                ("train_acc", True))


def best_and_last(values: np.ndarray, higher: bool) -> tuple[float | None, float | None]:
    """The best finite value of a series in step order (NaN when none is finite) and its
    last value as logged; (None, None) for an empty series."""
    if values.size == 0:
        return None, None
    finite = values[np.isfinite(values)]
    best = float(finite.max() if higher else finite.min()) if finite.size else float("nan")
    return best, float(values[-1])


def tag_rows(col: pd.Series) -> Callable[[str], np.ndarray]:
    """A function tag -> row positions, fast on the categorical tag column (a comparison of
    category codes: no frame is built per tag)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        index = {str(c): i for i, c in enumerate(col.cat.categories.tolist())}
        codes = col.cat.codes.to_numpy()

        def rows(tag: str) -> np.ndarray:
            code = index.get(tag)
            return np.flatnonzero(codes == code) if code is not None else np.array([], int)

        return rows
    values = col.astype(str).to_numpy()
    return lambda tag: np.flatnonzero(values == tag)


def last_attempt_rows(steps: np.ndarray) -> np.ndarray:
    """Which points of a series, in the order they were logged, its last attempt left: where
    the step goes back (a run restarted, or a log appended to by a new run), the points
    logged before at that step or later are dropped, as TensorBoard purges orphaned data.
    A step logged again right after itself is kept, as TensorBoard keeps it: several rows
    per step are common (per-batch values logged at the epoch's index, an evaluation after
    training at the last epoch's step). What is kept is in step order."""
    steps = np.asarray(steps)
    keep = np.ones(len(steps), dtype=bool)
    back = np.diff(steps) < 0
    if not back.any():
        return keep
    # a point stays when it lies below the start of every attempt logged after it: below
    # the least of those starts (each attempt purges what came before it from its start on)
    top = np.iinfo(steps.dtype).max if steps.dtype.kind in "iu" else np.inf
    starts = np.full(len(steps), top, dtype=steps.dtype)
    starts[1:][back] = steps[1:][back]
    later = np.minimum.accumulate(starts[::-1])[::-1]
    keep[:-1] = steps[:-1] < later[1:]
    return keep


#: The option that names which of the runs one log holds (one after another) a source reads.
ATTEMPT = "attempt"

#: An attempt whose first value lies this close to where the attempt before it ended, as a
#: share of all that attempt moved, continues it (a resumed fit), rather than starting over.
RESUME_NEAR = 0.25


def _attempt_bounds(steps: np.ndarray) -> list[int]:
    """Where each attempt of a series begins (a step that goes back), and its end."""
    return [0, *(np.flatnonzero(np.diff(steps) < 0) + 1).tolist(), len(steps)]


def continued_attempts(steps: np.ndarray, values: np.ndarray) -> list[bool]:
    """For each place a series' step goes back (a log appended to by another ``fit``),
    whether the attempt starting there continued the one before: its steps start again
    from where that one's did (Keras' ``CSVLogger(append=True)`` numbers a resumed ``fit``'s
    epochs from 0 again; a rewind to a checkpoint's step is a restart, purged as
    TensorBoard does), and its first value lies near where that one ended
    (``RESUME_NEAR`` of all that one moved), not back near its start."""
    bounds = _attempt_bounds(steps)
    out = []
    for k in range(1, len(bounds) - 1):
        # numbered from the start again (a rewind to a checkpoint's step purges instead)
        from_start = steps[bounds[k]] <= steps[bounds[k - 1]]
        out.append(bool(from_start and resumes(values[bounds[k - 1]:bounds[k]],
                                               values[bounds[k]])))
    return out


def resumes(before: np.ndarray, first: float) -> bool:
    """Whether an attempt whose first value is ``first`` continues one that logged
    ``before``: it starts near where that one ended (``RESUME_NEAR`` of all it moved, over
    three finite points or more), not back near its start."""
    before = np.asarray(before, dtype=float)
    before = before[np.isfinite(before)]
    moved = abs(float(before[0] - before[-1])) if len(before) >= 3 else 0.0
    return bool(moved > 0 and np.isfinite(first)
                and abs(float(first) - float(before[-1])) <= RESUME_NEAR * moved)


def resumed_steps(steps: np.ndarray, continued: list[bool]) -> np.ndarray:
    """The steps with every attempt that continued the one before (``continued_attempts``)
    moved on after it, one logging interval later; the other attempts are left as logged
    (their restart purges what came before, ``last_attempt_rows``)."""
    bounds = _attempt_bounds(steps)
    if len(continued) != len(bounds) - 2 or not any(continued):
        return steps
    out = np.array(steps, copy=True)
    for k, goes_on in enumerate(continued, start=1):
        a, b = bounds[k], bounds[k + 1]
        if goes_on:
            gaps = np.diff(out[bounds[k - 1]:a])
            interval = int(np.median(gaps[gaps > 0])) if (gaps > 0).any() else 1
            out[a:b] += out[a - 1] - out[a] + interval
    return out


def empty_scalars(with_run: bool = True) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    cols = SCALAR_COLUMNS if with_run else SCALAR_COLUMNS[1:]
    data: dict[str, Any] = {
        "run": pd.Categorical([]),
        "tag": pd.Categorical([]),
        "step": np.array([], dtype=np.int64),
        "value": np.array([], dtype=np.float64),
        "wall_time": np.array([], dtype=np.float64),
    }
    return pd.DataFrame({c: data[c] for c in cols})


@dataclass(frozen=True)
class RunSource:
    """Where one run lives: found by discovery, handed to its format's reader.

    ``id`` is the posix path of the run folder relative to the root ("." for the
    root itself). A run stored inside one file among others (an MLflow SQLite
    store) has the id ``<relative path of the file>#<inner id>`` and its ``key``
    is the inner id the reader needs.
    """

    id: str
    name: str
    format: str
    root: str
    files: tuple[str, ...]
    key: str | None = None
    #: Extra facts discovery learned that the reader needs (e.g. tag prefixes
    #: per file for a Keras run: {"<file>": "train/"}).
    options: tuple[tuple[str, str], ...] = ()
    #: The same training seen by several formats (an Ultralytics folder's event file and
    #: results.csv): one source per format, each read by its own reader. ``files`` is then
    #: every part's files and ``format`` their names joined by "+".
    parts: tuple[RunSource, ...] = ()
    #: What discovery has to say on the run (its id was taken by another run, ...).
    notes: tuple[str, ...] = ()

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)

    def part_of(self, path: str) -> RunSource:
        """The source whose format reads ``path``: the part holding it, else this source."""
        for part in self.parts:
            if path in part.files:
                return part
        return self


@dataclass
class FileRead:
    """What a format reader returns for one file of a run.

    ``scalars`` has the columns ``tag, step, value, wall_time`` (no ``run``).
    ``state`` is opaque to everyone but the reader: hand it back to read only
    what was appended since (byte offset, partial record, ...). What the caller acts on
    is a typed field, never a state key:

    - ``reset``: the file was read again from its start (it was replaced or rewritten);
      this read replaces, rather than extends, what was read from the file before.
    - ``tail_warning``: the one warning (also listed in ``warnings``) about the file's
      unfinished end (a half-written last record); it holds only until the next read.
    """

    scalars: pd.DataFrame
    hparams: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    reset: bool = False
    tail_warning: str | None = None


@dataclass
class Run:
    """One training run as a user thinks of it, with its scalars."""

    id: str
    name: str
    format: str
    sources: list[str]
    hparams: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scalars: pd.DataFrame = field(default_factory=empty_scalars)

    @property
    def group(self) -> str:
        """The folder that holds the run ("." for a run at the root)."""
        base = self.id.split("#", 1)[0]
        return base.rsplit("/", 1)[0] if "/" in base else "."

    @property
    def judged_role(self) -> tuple[str | None, bool]:
        """The role that judges the run (``JUDGED_ROLES``) and whether higher is better."""
        return next(((r, h) for r, h in JUDGED_ROLES if r in self.roles), (None, False))

    def series(self, role_or_tag: str) -> pd.DataFrame:
        """Rows of one role (or tag) as its last attempt left them (``last_attempt_rows``:
        a restart's earlier values at the steps it logged again are dropped; an attempt
        that resumed the one before, ``resumed()``, is moved on after it), sorted by step:
        columns step, value, wall_time. ``scalars`` keeps every row as logged."""
        tag = self.roles.get(role_or_tag, role_or_tag)
        rows = self.scalars[self.scalars["tag"] == tag]
        steps = rows["step"].to_numpy()
        if len(steps) > 1 and (np.diff(steps) < 0).any():
            rows = rows.assign(step=resumed_steps(steps, self.resumed()))
            rows = rows[last_attempt_rows(rows["step"].to_numpy())]
        return rows[["step", "value", "wall_time"]].sort_values("step", kind="stable")

    def last_step(self) -> int:
        """The highest step of the run as its curves are read (``series``): an attempt that
        resumed the one before, its epochs numbered from 0 again, ends after it; a restart
        ends where it ended, what it logged again purged (0 when nothing is logged)."""
        if not len(self.scalars):
            return 0
        all_steps = self.scalars["step"].to_numpy()
        continued = self.resumed()
        if not continued:  # no role's step goes back: the highest step logged
            return int(all_steps.max())
        rows_of = tag_rows(self.scalars["tag"])
        ends = []
        for tag in dict.fromkeys(self.roles.values()):  # what ``series`` keeps, as steps
            steps = resumed_steps(all_steps[rows_of(tag)], continued)
            if len(steps):
                ends.append(int(steps[last_attempt_rows(steps)].max()))
        return max(ends) if ends else int(all_steps.max())

    def resumed(self) -> list[bool]:
        """For each restart of the run's training loss (else of the first role that has
        one), whether it resumed the attempt before (``continued_attempts``): one decision
        for every tag of the run, so that its curves keep one axis."""
        frame = self.scalars
        if not len(frame):
            return []
        rows_of = tag_rows(frame["tag"])
        all_steps = frame["step"].to_numpy()
        for role in ("train_loss", *self.roles):
            tag = self.roles.get(role)
            if tag is None:
                continue
            rows = rows_of(tag)
            steps = all_steps[rows]
            if len(steps) > 1 and (np.diff(steps) < 0).any():
                values = frame["value"].to_numpy(dtype=np.float64)[rows]
                return continued_attempts(steps, values)
        return []

    def to_dict(self) -> dict[str, Any]:
        """The run's description (no scalars), as the JSON contract lists it."""
        return {
            "run": self.id,
            "name": self.name,
            "format": self.format,
            "roles": dict(self.roles),
            "hparams": dict(self.hparams),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }
