"""Colours: one per run for the whole session, one per diagnosis label, distinct group colours.

A run keeps the colour it got first (runs are coloured in natural order of their ids
when the dashboard starts; runs that appear later take the next free colour), so the
same run has the same colour on every page and chart, and in the runs grid's swatch.
"""

from __future__ import annotations

import colorsys
import threading
from collections.abc import Iterable

from plotly.colors import qualitative

from curvedoc.dashboard.names import natural_sorted


def golden_colors(n: int, start: int = 0) -> list[str]:
    """``n`` colours stepping round the hue circle by the golden angle (each new hue far
    from the ones before; none repeats), three lightness levels, all readable on white."""
    out = []
    for i in range(start, start + n):
        hue = (0.13 + i * 0.6180339887) % 1.0
        lightness = (0.42, 0.30, 0.55)[i % 3]
        r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.78)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


#: Distinct colours, the most distinct first: D3's ten, then golden-angle hues.
PALETTE = [c.lower() for c in qualitative.D3] + golden_colors(50)

#: One colour per label (badges, evidence spans); "healthy" when a run has none.
LABEL_COLORS = {
    "bad_init": "#6f42c1",
    "lr_too_high": "#dc3545",
    "decayed_too_early": "#fd7e14",
    "keep_training": "#0d6efd",
    "overfitting": "#d63384",
    "underfitting": "#6c757d",
    "healthy": "#198754",
    "pending": "#adb5bd",
}
NEUTRAL = "#6c757d"


def label_color(label: str | None) -> str:
    return LABEL_COLORS.get(label or "", NEUTRAL)


def distinct_colors(n: int) -> list[str]:
    """``n`` colours, no two alike: the palette, then more golden-angle hues."""
    if n <= len(PALETTE):
        return PALETTE[:n]
    return PALETTE + golden_colors(n - len(PALETTE), start=50)


class RunColors:
    """Run id -> colour, fixed for the life of the object (a dashboard session)."""

    def __init__(self, run_ids: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._colors: dict[str, str] = {}
        self.add(run_ids)

    def add(self, run_ids: Iterable[str]) -> None:
        with self._lock:
            for rid in natural_sorted(r for r in run_ids if r not in self._colors):
                self._colors[rid] = PALETTE[len(self._colors) % len(PALETTE)]

    def __call__(self, run_id: str) -> str:
        found = self._colors.get(run_id)
        if found is None:
            self.add([run_id])
            found = self._colors[run_id]
        return found
