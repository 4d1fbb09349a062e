"""How a run is shown: its unambiguous short name and its session colour.

``run_style(state)`` is the one place pages ask; it keeps one :class:`RunStyle` per
dashboard state, so every page and chart names and colours a run the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from curvedoc.dashboard.colors import RunColors
from curvedoc.dashboard.names import short_names


@dataclass
class RunStyle:
    """Short names (recomputed when the set of runs changes) and fixed colours."""

    colors: RunColors = field(default_factory=RunColors)
    names: dict[str, str] = field(default_factory=dict)
    _ids: frozenset = frozenset()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, runs: Mapping[str, Any]) -> RunStyle:
        ids = frozenset(runs)
        if ids != self._ids:
            with self._lock:
                self.colors.add(runs)
                self.names = short_names({rid: getattr(run, "name", "") or ""
                                          for rid, run in runs.items()})
                self._ids = ids
        return self

    def name(self, run_id: str) -> str:
        return self.names.get(run_id, run_id)

    def color(self, run_id: str) -> str:
        return self.colors(run_id)


_ATTR = "_curvedoc_run_style"
_LOCK = threading.Lock()


def run_style(holder: Any) -> RunStyle:
    """The style of the runs of ``holder`` (a DashboardState, a catalog: anything with
    ``runs``), kept on it so it lasts as long as the holder does."""
    style = getattr(holder, _ATTR, None)
    if style is None:
        with _LOCK:
            style = getattr(holder, _ATTR, None)
            if style is None:
                style = RunStyle()
                setattr(holder, _ATTR, style)
    return style.update(holder.runs)


def style_of_runs(runs: Mapping[str, Any]) -> RunStyle:
    """A style for runs held in a plain mapping (a report, the terminal)."""
    return RunStyle().update(runs)
