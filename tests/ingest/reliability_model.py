"""Reference models for the reliability tests: what a text log holds, written from first
principles (Python's own ``float``/``int``, no curvedoc code), and frame comparison.

A case is a list of lines and, for each line, the points a reader must return for it
(``(tag, step, value)``), so the expected frame of any prefix of the file is known: the
points of the lines whose newline is inside the prefix.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Point = tuple[str, int, float]

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


@dataclass
class TextCase:
    """A text log: its lines (no newlines), the points each line gives, the line ending."""

    lines: list[str]
    points: list[list[Point]]
    newline: str = "\n"
    header_lines: int = 0  # leading lines that give no points (a CSV header)
    final_newline: bool = True
    notes: list[str] = field(default_factory=list)

    def data(self) -> bytes:
        text = self.newline.join(self.lines)
        if self.final_newline and self.lines:
            text += self.newline
        return text.encode("utf-8")

    def expected(self, prefix: bytes) -> list[Point]:
        """The points of the lines complete (newline included) within ``prefix``."""
        complete = prefix.count(b"\n")
        out: list[Point] = []
        for points in self.points[:complete]:
            out.extend(points)
        return out


def rows_of(frame: pd.DataFrame) -> list[tuple[str, int, int]]:
    """A frame's points as (tag, step, bits of the value), stable-sorted by tag.

    Within a tag the file order is kept (a re-logged step keeps both rows, in order);
    values compare by their bits, so -0.0, NaN and every last digit count.
    """
    tags = [str(t) for t in frame["tag"].tolist()]
    steps = [int(s) for s in frame["step"].tolist()]
    values = [_bits(v) for v in frame["value"].tolist()]
    order = sorted(range(len(tags)), key=lambda i: tags[i])
    return [(tags[i], steps[i], values[i]) for i in order]


def expected_rows(points: list[Point]) -> list[tuple[str, int, int]]:
    order = sorted(range(len(points)), key=lambda i: points[i][0])
    return [(points[i][0], points[i][1], _bits(points[i][2])) for i in order]


def _bits(value: float) -> int:
    if math.isnan(value):
        return -1  # every NaN is the same logged NaN
    return struct.unpack("<q", struct.pack("<d", value))[0]


def check_dtypes(frame: pd.DataFrame) -> None:
    assert list(frame.columns)[-3:] == ["step", "value", "wall_time"]
    assert frame["step"].dtype == np.int64
    assert frame["value"].dtype == np.float64
