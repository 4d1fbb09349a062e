"""Benchmark: cold and warm ``open_root`` of a folder of 1,000 runs x 10k points.

Builds the folder once in ``benchmarks/_data/warm_open_<runs>x<points>/`` (TensorBoard event
files, one event per scalar as ``SummaryWriter.add_scalar`` writes them, 4 tags per run),
then times:

- cold: an empty cache folder (a temporary one), so every file is parsed and the cache written;
- warm: the same folder opened again in this process (the cache answers, nothing is parsed);
- warm, fresh process: a new Python process that imports curvedoc and opens the folder.

    python benchmarks/bench_warm_open.py [--runs 1000] [--points 10000] [--repeat 3]

The target (DESIGN.md) is a warm open under 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _tfrecord import record

HERE = Path(__file__).resolve().parent
TAGS = ("train/loss", "val/loss", "train/acc", "lr")
WALL0 = 1_700_000_000.0


def write_run(folder: Path, n_points: int, seed: int) -> None:
    """One event file of ``n_points`` scalars over the tags, one event per scalar."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    steps = n_points // len(TAGS)
    decay = np.exp(-np.arange(steps) / (steps / 3))
    curves = {
        "train/loss": 2.3 * decay + 0.05 * rng.standard_normal(steps),
        "val/loss": 2.4 * decay + 0.2 + 0.03 * rng.standard_normal(steps),
        "train/acc": 1 - decay * 0.9,
        "lr": np.full(steps, 0.1),
    }
    ev = event_pb2.Event(wall_time=WALL0, file_version="brain.Event:2")
    parts = [record(ev.SerializeToString())]
    ev = event_pb2.Event(summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value()]))
    value = ev.summary.value[0]
    lists = {tag: curves[tag].tolist() for tag in TAGS}
    for step in range(steps):
        ev.step = step
        ev.wall_time = WALL0 + step * 0.1
        for tag in TAGS:
            value.tag = tag
            value.simple_value = lists[tag][step]
            parts.append(record(ev.SerializeToString()))
    name = f"events.out.tfevents.{int(WALL0)}.bench.{seed}.0"
    (folder / name).write_bytes(b"".join(parts))


def build(folder: Path, n_runs: int, n_points: int) -> None:
    """Write the benchmark folder (skipped when a complete one exists)."""
    done = folder / ".complete"
    if done.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    for i in range(n_runs):
        group = f"sweep_{i // 100:02d}"
        write_run(folder / group / f"run_{i:04d}", n_points, seed=i)
        if (i + 1) % 100 == 0:
            print(f"  wrote {i + 1}/{n_runs} runs ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr)
    done.write_text("ok\n")


def open_once(folder: Path) -> tuple[float, float, int, int, float]:
    """(wall s, CPU s of this process, runs, scalars, s more until every cache file was
    written: open_root answers first, its cache files follow) of one open_root."""
    from curvedoc.ingest import open_root

    t0, c0 = time.perf_counter(), time.process_time()
    catalog = open_root(str(folder))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    points = sum(len(r.scalars) for r in catalog.runs.values())
    n_runs = len(catalog.runs)
    problems = sum(bool(r.errors) for r in catalog.runs.values())
    t1 = time.perf_counter()
    catalog.close()
    written = time.perf_counter() - t1
    if problems:
        print(f"  warning: {problems} runs have errors", file=sys.stderr)
    return elapsed, cpu, n_runs, points, written


def fresh_process(folder: Path) -> float:
    code = (
        "import time; t0 = time.perf_counter(); from curvedoc.ingest import open_root; "
        f"c = open_root({str(folder)!r}); print(time.perf_counter() - t0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10_000, help="scalars per run")
    ap.add_argument("--repeat", type=int, default=3, help="warm opens (the median is shown)")
    args = ap.parse_args()

    cache = tempfile.mkdtemp(prefix="curvedoc-bench-cache-")
    os.environ["CURVEDOC_CACHE_DIR"] = cache  # this process and the fresh one below
    folder = HERE / "_data" / f"warm_open_{args.runs}x{args.points}"
    print(f"folder: {folder}")
    build(folder, args.runs, args.points)

    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work makes wall times longer)")
    cold, cold_cpu, n_runs, points, written = open_once(folder)
    print(f"runs: {n_runs}, scalars: {points:,}")
    print(f"cold open (parse every file): {cold:.2f} s (CPU {cold_cpu:.2f} s); its cache "
          f"files written {written:.2f} s later")
    warm = sorted(open_once(folder)[:2] for _ in range(args.repeat))
    wall, cpu = warm[len(warm) // 2]
    print(f"warm open (cache, same process), median of {args.repeat}: "
          f"{wall:.2f} s (CPU {cpu:.2f} s)  [min {warm[0][0]:.2f} s]")
    fresh = fresh_process(folder)
    print(f"warm open in a fresh process (imports included): {fresh:.2f} s")
    print(f"target warm open < 2 s: {'OK' if wall < 2.0 else 'MISSED'}")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
