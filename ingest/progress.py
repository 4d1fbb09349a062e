"""A progress bar on stderr for reading many runs, shown only when reading takes a moment."""

from __future__ import annotations

import sys

from tqdm import tqdm

#: Seconds of reading before the bar appears (a quick open shows nothing).
DELAY_S = 0.5


def bar(total: int, enabled: bool, desc: str = "reading runs") -> tqdm:
    """A tqdm bar on stderr; a silent no-op when ``enabled`` is False."""
    return tqdm(
        total=total,
        desc=desc,
        unit="run",
        file=sys.stderr,
        delay=DELAY_S,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )
