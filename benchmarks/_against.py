"""Timing a script in another interpreter (``--against PYTHON``: the code before a change,
from a git worktree's venv), so that two versions alternate rounds on one machine load."""

from __future__ import annotations

import subprocess
from pathlib import Path


def timed(python: str, script: str, folder: Path) -> tuple[int, float]:
    """Run ``script`` in ``python`` on ``folder``; it prints a count and a time in seconds."""
    out = subprocess.run([python, "-c", script, str(folder)], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), float(out[1])
