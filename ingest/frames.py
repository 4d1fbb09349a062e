"""Small pure functions on the canonical scalar frame (see ``model.SCALAR_COLUMNS``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from curvedoc.ingest.model import empty_scalars

#: Columns of a reader's frame, as a plain-object index: pandas' default arrow-backed string
#: index costs ~0.3 ms per frame to build and to look up, which adds up over 1,000 runs.
FILE_COLUMNS = pd.Index(["tag", "step", "value", "wall_time"], dtype=object)


def canonical(frame: pd.DataFrame | None) -> pd.DataFrame:
    """A reader's frame with exactly ``tag, step, value, wall_time`` and the canonical dtypes.

    Rows whose step is missing are dropped (a step is needed to place a point); values are
    kept as logged, NaN and inf included.
    """
    if frame is None or len(frame) == 0:
        return empty_scalars(with_run=False)
    missing = {"tag", "step", "value"} - set(frame.columns)
    if missing:
        raise ValueError(f"reader returned a frame without {sorted(missing)}")
    step = frame["step"]
    if step.dtype != np.int64:
        numeric = pd.to_numeric(step, errors="coerce")
        keep = numeric.notna().to_numpy()
        if not keep.all():
            frame, numeric = frame[keep], numeric[keep]
        step = numeric.astype(np.int64)
    tag = as_categorical(frame["tag"])
    wall = frame["wall_time"] if "wall_time" in frame else np.full(len(frame), np.nan)
    return pd.DataFrame(
        {
            "tag": tag,
            "step": np.asarray(step, dtype=np.int64),
            "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(np.float64),
            "wall_time": pd.to_numeric(pd.Series(wall), errors="coerce").to_numpy(np.float64),
        },
        columns=FILE_COLUMNS,
        copy=False,
    )


def as_categorical(column: pd.Series) -> pd.Categorical:
    """A column as a categorical with plain-``object`` string categories (the ingest norm).

    Object categories are cheap to build and to read back (pandas' arrow-backed strings
    cost ~0.3 ms per categorical), which matters when 1,000 runs open at once.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.array
        if cat.categories.dtype == object and all(isinstance(c, str) for c in cat.categories):
            return cat
        codes = np.asarray(cat.codes)
        names = [str(c) for c in cat.categories.tolist()]
        if len(set(names)) == len(names):
            return categorical(codes, names)
        column = column.astype(str)
    uniques, codes = np.unique(column.astype(str).to_numpy(dtype=object), return_inverse=True)
    codes = codes.astype(np.int32 if len(uniques) > 32_000 else np.int16)
    return categorical(codes, uniques.tolist())


def union_tags(frames: Sequence[pd.DataFrame], column: str = "tag") -> pd.Categorical:
    """One categorical column from several frames, categories united (first-seen order)."""
    cats = [as_categorical(f[column]) for f in frames]
    first = cats[0].dtype
    if all(c.dtype is first for c in cats):
        codes = np.concatenate([np.asarray(c.codes) for c in cats])
        return pd.Categorical.from_codes(codes, dtype=first, validate=False)
    names = list(dict.fromkeys(n for c in cats for n in c.categories.tolist()))
    where = {n: i for i, n in enumerate(names)}
    width = np.int8 if len(names) < 127 else np.int16 if len(names) < 32_000 else np.int32
    parts = []
    for c in cats:
        # the extra -1 at the end maps missing values (code -1) to missing
        recode = np.array([where[n] for n in c.categories.tolist()] + [-1], dtype=width)
        parts.append(recode[np.asarray(c.codes)])
    return categorical(np.concatenate(parts), names)


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack frames of the same columns, keeping ``tag`` (and ``run``) categorical."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_scalars(with_run=False)
    if len(frames) == 1:
        return frames[0]
    cols = list(frames[0].columns)
    data = {}
    for col in cols:
        if col in ("tag", "run"):
            data[col] = union_tags(frames, col)
        else:
            data[col] = np.concatenate([f[col].to_numpy() for f in frames])
    return pd.DataFrame(data, columns=pd.Index(cols, dtype=object), copy=False)


Overlap = tuple[int, int, int, int]


def later_wins(frames: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, list[Overlap]]:
    """Merge frames in order; where a later frame has a (tag, step) an earlier one had, the
    later rows win.

    Returns the merged frame and the overlaps as ``(earlier index, later index, first step,
    last step)`` of the rows dropped from the earlier frame.
    """
    sizes = [len(f) for f in frames]
    nonempty = [i for i, n in enumerate(sizes) if n]
    if len(nonempty) <= 1:
        return (frames[nonempty[0]] if nonempty else concat([])), []
    merged = concat([frames[i] for i in nonempty])
    if _steps_increase([frames[i] for i in nonempty]):
        return merged, []
    source = np.repeat(np.asarray(nonempty), [sizes[i] for i in nonempty])
    codes = merged["tag"].cat.codes.to_numpy()
    keys = pd.DataFrame({"tag": codes, "step": merged["step"].to_numpy(), "src": source})
    last = keys.groupby(["tag", "step"], sort=False)["src"].transform("max").to_numpy()
    drop = source < last
    if not drop.any():
        return merged, []
    gone = pd.DataFrame({"src": source[drop], "by": last[drop], "step": keys["step"][drop]})
    spans = gone.groupby(["src", "by"])["step"].agg(["min", "max"])
    overlaps = [(int(s), int(b), int(lo), int(hi)) for (s, b), (lo, hi) in spans.iterrows()]
    kept = merged[~drop].reset_index(drop=True)
    return kept, overlaps


def _steps_increase(frames: Sequence[pd.DataFrame]) -> bool:
    """Whether every frame starts after the last step of all frames before it (no overlap)."""
    high = None
    for frame in frames:
        steps = frame["step"].to_numpy()
        if high is not None and steps.min() <= high:
            return False
        high = steps.max() if high is None else max(high, steps.max())
    return True


def object_index(names: Sequence[str]) -> pd.Index:
    """A plain-``object`` Index of strings (``pd.Index(..., dtype=object)`` costs ~25 us a
    call in pandas 3; a cold open builds one per run)."""
    values = np.empty(len(names), dtype=object)
    values[:] = list(names)
    simple = getattr(pd.Index, "_simple_new", None)
    if simple is not None:
        try:
            return simple(values)
        except Exception:  # pragma: no cover - another pandas
            pass
    return pd.Index(values, dtype=object, copy=False)  # pragma: no cover - another pandas


@lru_cache(maxsize=65536)
def categories(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """A categorical dtype of these names (object strings), built once per set of names.

    Distinct strings are checked here, so pandas need not build a hash table to check them
    again (~0.1 ms a call: a cold open builds one dtype per run for its ``run`` column).
    """
    index = object_index(names)
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if (fast is not None and all(type(n) is str for n in names)
            and len(set(names)) == len(names)):
        try:
            return fast(index, False)
        except Exception:  # pragma: no cover - another pandas
            pass
    return pd.CategoricalDtype(index)


def categorical(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """A categorical from codes (not validated: the caller made them) and names."""
    return pd.Categorical.from_codes(codes, dtype=categories(tuple(names)), validate=False)


def with_run(frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The frame with its ``run`` column in front (categorical, one category).

    The columns are shared with ``frame`` the way ``copy(deep=False)`` shares them
    (copy-on-write: writing to either frame never changes the other), in ~0.01 ms instead
    of ``insert``'s ~0.15 ms a run.
    """
    run = categorical(np.zeros(len(frame), dtype=np.int8), (run_id,))
    if frame.columns.equals(FILE_COLUMNS):
        fast = _prepend_block(frame, run, RUN_COLUMNS)
        if fast is not None:
            return fast
    out = frame.copy(deep=False)
    out.insert(0, "run", run)
    return out


#: The columns of a run's frame (``model.SCALAR_COLUMNS``) as a plain-object index.
RUN_COLUMNS = pd.Index(["run", *FILE_COLUMNS], dtype=object)

# pandas' block internals prepend a run's column to its file frame in ~0.01 ms, sharing
# the other columns copy-on-write, where ``insert`` takes ~0.15 ms (140 ms over a cold
# open of 1,000 runs). The only private path: it falls back to the public one when
# pandas' internals are not the ones this was written for (tests compare both).
try:
    from pandas._libs.internals import BlockPlacement as _Placement
    from pandas.core.internals.blocks import ExtensionBlock as _ExtensionBlock
    from pandas.core.internals.managers import BlockManager as _Manager
except ImportError:  # pragma: no cover - another pandas: the public path
    _Placement = _ExtensionBlock = _Manager = None
_SLOTS = tuple(_Placement(slice(i, i + 1)) for i in range(8)) if _Placement else ()


def _from_manager(blocks: tuple, columns: pd.Index, index: pd.Index) -> pd.DataFrame:
    mgr = _Manager(blocks, [columns, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(mgr, mgr.axes)


def _prepend_block(frame: pd.DataFrame, column: pd.Categorical,
                   columns: pd.Index) -> pd.DataFrame | None:
    """``frame`` with ``column`` in front, its blocks shallow copies (shared with the
    reference tracking of ``copy(deep=False)``); None when pandas' internals are not the
    ones this was written for (the caller then takes the public path)."""
    if _Manager is None:
        return None  # pragma: no cover
    try:
        mgr = frame._mgr
        if not isinstance(mgr, _Manager):
            return None
        blocks = [_ExtensionBlock(column, _SLOTS[0], 2)]
        for blk in mgr.blocks:
            shared = blk.copy(deep=False)
            shared.mgr_locs = blk.mgr_locs.add(1)
            blocks.append(shared)
        return _from_manager(tuple(blocks), columns, mgr.axes[1])
    except Exception:  # pragma: no cover - another pandas
        return None


try:  # pandas >= 2.3: a frame of given blocks, without the constructor's checks
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - older pandas
    _from_blocks = None
_PLACES = tuple(np.array([i]) for i in range(len(FILE_COLUMNS)))


def file_frame(tag: pd.Categorical, step: np.ndarray, value: np.ndarray,
               wall_time: np.ndarray) -> pd.DataFrame:
    """A reader's frame of new arrays that nothing else holds (they are used as they are:
    int64 steps, float64 values and wall times, of one length), in ~0.03 ms instead of the
    constructor's ~0.13 ms, which adds up over 1,000 runs: pandas' public
    ``create_dataframe_from_blocks`` (the block internals would save another ~0.01 ms)."""
    if _from_blocks is None:  # pragma: no cover - older pandas
        return pd.DataFrame({"tag": tag, "step": step, "value": value, "wall_time": wall_time},
                            columns=FILE_COLUMNS, copy=False)
    blocks = [(tag, _PLACES[0])]
    blocks += [(np.asarray(a).reshape(1, -1), _PLACES[i + 1])
               for i, a in enumerate((step, value, wall_time))]
    # a row index of its own: an index's name can be set
    return _from_blocks(blocks, pd.RangeIndex(len(step)), FILE_COLUMNS)


def without_run(frame: pd.DataFrame) -> pd.DataFrame:
    """A run's frame without its ``run`` column (the same arrays, not copies)."""
    cols = pd.Index([c for c in frame.columns if c != "run"], dtype=object)
    return pd.DataFrame({c: frame[c].array for c in cols}, columns=cols, copy=False)


def column(frame: pd.DataFrame, name: str):
    """The array of one column (``frame[name].array`` builds a Series: ~20 us)."""
    getter = getattr(frame, "_get_column_array", None)
    if getter is not None:
        try:
            at = frame.columns.get_loc(name)
            if isinstance(at, int):
                return getter(at)
        except Exception:  # pragma: no cover - another pandas
            pass
    return frame[name].array  # pragma: no cover - another pandas


def column_dtypes(frame: pd.DataFrame) -> list:
    """The dtype of each column, in order (``frame.dtypes`` builds a Series: ~40 us)."""
    mgr = getattr(frame, "_mgr", None)
    getter = getattr(mgr, "get_dtypes", None)
    if getter is not None:
        try:
            return list(getter())
        except Exception:  # pragma: no cover - another pandas
            pass
    return frame.dtypes.tolist()  # pragma: no cover - another pandas


def tag_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Points per tag (tags with none left out)."""
    if not len(frame):
        return {}
    cat = column(frame, "tag")
    codes = np.asarray(cat.codes)
    try:
        counts = np.bincount(codes, minlength=len(cat.categories))
    except ValueError:  # a missing tag (code -1) counts for none
        counts = np.bincount(codes[codes >= 0], minlength=len(cat.categories))
    names = cat.categories.tolist()
    return {str(t): int(c) for t, c in zip(names, counts.tolist(), strict=True) if c}
