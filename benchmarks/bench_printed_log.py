"""Benchmark: reading a long printed training log (``printed_log``), what a user's default
call does with it (the whole file read, parsed, and turned into the scalars frame).

Builds ``benchmarks/_data/printed_<lines>/{mixed,tutorial}/train.log`` once: a loop's
output in three common shapes, a line each (a logger's prefix and bars, names and values
with only spaces between, ``name=value`` pairs), and a second log in the PyTorch tutorial's shape
(``Epoch [e/N], Step [s/600], Loss: ...``). Times ``read_run`` on each in a fresh process
(imports excluded; the ingest cache is off, so every call parses).

    python benchmarks/bench_printed_log.py [--lines 20000] [--rounds 5] [--against PYTHON]

No other tool reads printed logs, so there is no peer to run beside it; ``--against``
names another interpreter with curvedoc installed (the code before a change, from a git
worktree's venv): the two are timed in alternating rounds and the ratio printed, so both
see the same machine load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from _against import timed

HERE = Path(__file__).resolve().parent

TIMER = """
import sys, time
from curvedoc.ingest import discover, read_run
source = discover(sys.argv[1])[0]
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    run = read_run(source, cache=None)
    best = min(best, time.perf_counter() - t)
print(len(run.scalars), best)
"""


def build(lines: int) -> tuple[Path, Path]:
    """The two logs (written once): the mixed shapes, and the tutorial's."""
    folder = HERE / "_data" / f"printed_{lines}"
    mixed, tutorial = folder / "mixed" / "train.log", folder / "tutorial" / "train.log"
    if mixed.exists() and tutorial.exists():
        return mixed.parent, tutorial.parent
    mixed.parent.mkdir(parents=True, exist_ok=True)
    tutorial.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for e in range(1, lines + 1):
        loss = 2.3 / (1 + e / 500)
        if e % 3 == 0:
            out.append(f"2025-06-04 17:39:02,341 - INFO - Epoch {e}/{lines} | Train Loss: "
                       f"{loss:.4f} | Train Acc: 82.44% | Val Loss: {loss + 0.1:.4f}, "
                       "Val Acc: 80.1%")
        elif e % 3 == 1:
            out.append(f"Epoch {e}/{lines}  train loss {loss:.4f} acc 0.9137 | val loss "
                       f"{loss + 0.1:.4f} acc 0.9805 | 401s")
        else:
            out.append(f"Epoch [{e}/{lines}] loss={loss:.4f} val_loss={loss + 0.1:.4f} lr=0.001")
    mixed.write_text("\n".join(out) + "\n")
    epochs = max(1, lines // 6)
    tutorial.write_text("".join(
        f"Epoch [{e}/{epochs}], Step [{s}/600], Loss: {2.3 / (1 + (e * 600 + s) / 3000):.4f}\n"
        for e in range(1, epochs + 1) for s in range(100, 601, 100)))
    return mixed.parent, tutorial.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20000, help="lines of each log")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    ap.add_argument("--against", help="another interpreter with curvedoc installed")
    args = ap.parse_args(argv)
    for name, folder in zip(("mixed shapes", "tutorial"), build(args.lines), strict=True):
        ours, theirs = [], []
        for _ in range(args.rounds):
            rows, t = timed(sys.executable, TIMER, folder)
            ours.append(t)
            if args.against:
                rows_b, tb = timed(args.against, TIMER, folder)
                theirs.append(tb)
        line = f"{name}: read_run {min(ours):.3f} s best, {statistics.median(ours):.3f} s median"
        line += f" ({rows:,} scalars)"
        if args.against:
            line += (f"; --against {min(theirs):.3f} s best, {statistics.median(theirs):.3f} s "
                     f"median ({rows_b:,} scalars): {min(ours) / min(theirs):.2f}x its time")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
