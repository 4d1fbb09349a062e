"""A progress bar on stderr for reading many runs, shown only when reading takes a moment."""

from __future__ import annotations

import sys
from typing import Any

#: Seconds of reading before the bar appears (a quick open shows nothing).
DELAY_S = 0.5


class _Silent:
    """What :func:`bar` gives when it is off: tqdm's interface, doing nothing (tqdm is
    imported only for a bar that may show: its import costs ~30 ms a process)."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def bar(total: int, enabled: bool, desc: str = "reading runs") -> Any:
    """A tqdm bar on stderr; a silent no-op when ``enabled`` is False."""
    if not enabled:
        return _Silent()
    from tqdm import tqdm

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

