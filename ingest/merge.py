"""One frame from several sources of the same training (a run's ``parts``).

An Ultralytics folder logs each epoch to an event file and to ``results.csv``; a Lightning
run may log to ``metrics.csv`` and event files. Each tag is taken from the source that has
the most points of it (the first source on a tie), and the other sources' tags are kept. A
warning is raised only where two sources disagree on a tag's value at a step they share:
CSV loggers round (Ultralytics writes 5 significant digits) and event files hold float32,
so values within :data:`RTOL` are the same value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from curvedoc.ingest.frames import concat, tag_counts

#: Relative difference under which two sources' values of a tag at a step are the same.
RTOL = 1e-3
ATOL = 1e-8


def merge_parts(
    frames: Sequence[pd.DataFrame], labels: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """(merged frame, warnings) of per-file-shaped frames, one per source, labelled for humans."""
    counts = [tag_counts(f) for f in frames]
    owner: dict[str, int] = {}
    for i, per_tag in enumerate(counts):
        for tag, n in per_tag.items():
            if tag not in owner or n > counts[owner[tag]][tag]:
                owner[tag] = i
    warnings = []
    for i, frame in enumerate(frames):
        for j in range(len(frames)):
            if j == i:
                continue
            shared = [t for t in counts[i] if owner.get(t) == j and t in counts[j]]
            bad = [t for t in shared if _disagree(frame, frames[j], t)]
            if bad:
                shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
                warnings.append(
                    f"{labels[i]} and {labels[j]} log different values for {shown}; "
                    f"the values of {labels[j]} (more points) are shown"
                )
    kept = []
    for i, frame in enumerate(frames):
        mine = [t for t in counts[i] if owner[t] == i]
        if len(mine) == len(counts[i]):
            kept.append(frame)
        elif mine:
            kept.append(frame[frame["tag"].isin(mine).to_numpy()])
    return concat(kept), warnings


def _disagree(a: pd.DataFrame, b: pd.DataFrame, tag: str) -> bool:
    """Whether two sources' values of ``tag`` differ at some step both have."""
    left = _series(a, tag)
    right = _series(b, tag)
    both = left.index.intersection(right.index)
    if not len(both):
        return False
    x = left.loc[both].to_numpy(dtype=np.float64)
    y = right.loc[both].to_numpy(dtype=np.float64)
    return not np.isclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True).all()


def _series(frame: pd.DataFrame, tag: str) -> pd.Series:
    rows = frame[(frame["tag"] == tag).to_numpy()]
    series = pd.Series(rows["value"].to_numpy(), index=rows["step"].to_numpy())
    return series[~series.index.duplicated(keep="last")]
