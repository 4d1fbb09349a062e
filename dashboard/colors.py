"""Colours: one per run for the whole session, one per diagnosis label, distinct group colours.

A run keeps the colour it got first (runs are coloured in natural order of their ids
when the dashboard starts; runs that appear later take the next free colour), so the
same run has the same colour on every page and chart, and in the runs grid's swatch.
"""

from __future__ import annotations

import colorsys
import math
import threading
from collections.abc import Iterable

from plotly.colors import qualitative

from curvedoc.dashboard.names import natural_sorted


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* of an sRGB colour (D65), to measure how far apart two colours look."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _candidates() -> list[str]:
    """Saturated colours of every hue, dark to mid (all readable on white)."""
    out = []
    for h in range(0, 360, 6):
        for lightness in (0.28, 0.40, 0.52):
            r, g, b = colorsys.hls_to_rgb(h / 360, lightness, 0.8)
            out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


def farthest_colors(start: list[str], n: int) -> list[str]:
    """``start`` and ``n`` more colours, each the candidate farthest (in L*a*b*) from
    every colour before it, so a new colour never looks like an earlier one."""
    chosen = list(start)
    labs = [_lab(c) for c in chosen]
    pool = {c: _lab(c) for c in _candidates()}
    for _ in range(n):
        best = max(pool, key=lambda c: min(math.dist(pool[c], q) for q in labs))
        chosen.append(best)
        labs.append(pool.pop(best))
    return chosen


#: Distinct colours, the most distinct first: D3's ten, then each next colour as far
#: from all before it as it can be.
PALETTE = farthest_colors([c.lower() for c in qualitative.D3], 50)


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
    """``n`` colours, no two alike: the palette, then more of the farthest colours, then
    (past a few hundred groups) evenly spaced hues."""
    if n <= len(PALETTE):
        return PALETTE[:n]
    out = list(dict.fromkeys(farthest_colors(PALETTE, min(n - len(PALETTE), 150))))
    i = 0
    while len(out) < n:
        r, g, b = colorsys.hls_to_rgb((i * 0.6180339887) % 1, 0.25 + (i % 7) * 0.05, 0.7)
        colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if colour not in out:
            out.append(colour)
        i += 1
    return out[:n]


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
