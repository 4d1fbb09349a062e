"""Benchmark: discovery over a folder full of small text files that are no logs.

A YOLO dataset committed beside its runs holds thousands of ``labels/*.txt`` files. Every
format that reads text by its content (CSV tables, a number column, a printed log) sniffs
each of them; discovery must still walk such a folder quickly, reading each file's head
once. The folder is built once in ``benchmarks/_data/discover_<n>/`` (``--files`` label files
and one Keras log), then ``curvedoc.ingest.discover`` is timed in a fresh process, as a
user's first call meets it (imports excluded).

    python benchmarks/bench_discover.py [--files 5000] [--rounds 3] [--against PYTHON]

``--against`` names another interpreter with curvedoc installed (the code before a change,
say, from a git worktree's venv); the two are timed in alternating rounds and the ratio
printed, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from _against import timed

HERE = Path(__file__).resolve().parent

TIMER = """
import sys, time
from curvedoc.ingest import discover
t = time.perf_counter()
runs = discover(sys.argv[1])
print(len(runs), time.perf_counter() - t)
"""


def build(folder: Path, files: int) -> Path:
    """A dataset's label files and one Keras log (the one run to find)."""
    labels = folder / "dataset" / "labels"
    if labels.is_dir() and len(os.listdir(labels)) == files:
        return folder
    labels.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (labels / f"img{i:05d}.txt").write_text("0 0.5 0.5 0.1 0.1\n1 0.3 0.3 0.2 0.2\n")
    run = folder / "runs" / "exp1"
    run.mkdir(parents=True, exist_ok=True)
    rows = ["epoch,loss,val_loss"] + [f"{e},{1 / (e + 1):.4f},{1.1 / (e + 1):.4f}"
                                      for e in range(20)]
    (run / "training.log").write_text("\n".join(rows) + "\n")
    return folder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--against", help="another interpreter with curvedoc installed")
    args = ap.parse_args()
    folder = build(HERE / "_data" / f"discover_{args.files}", args.files)
    print(f"{args.files:,} label files and one log; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    mine, theirs = [], []
    for k in range(args.rounds):
        runs, t = timed(sys.executable, TIMER, folder)
        mine.append(t)
        line = f"round {k + 1}: this code {t:.3f} s ({runs} run)"
        if args.against:
            runs_b, tb = timed(args.against, TIMER, folder)
            theirs.append(tb)
            line += f"; --against {tb:.3f} s ({runs_b} run): {t / tb:.2f}x its time"
        print(line)
    summary = f"median: this code {statistics.median(mine):.3f} s"
    if theirs:
        summary += (f", --against {statistics.median(theirs):.3f} s "
                    f"({statistics.median(mine) / statistics.median(theirs):.2f}x its time)")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
