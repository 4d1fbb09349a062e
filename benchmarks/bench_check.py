"""Benchmark: ``curvedoc check`` on 1,000 runs x 10k points (DESIGN.md target: < 10 s).

Builds ``benchmarks/_data/check_<runs>x<points>/`` once: TensorBoard event files written
the way ``SummaryWriter.add_scalar`` writes them (one event per scalar), with the labelled
synthetic curves of ``curvedoc.diagnostics.synthetic`` (all six faults and healthy runs,
family "varied"), about ``--points`` scalars per run over its tags (train/val loss and
accuracy, LR, gradient norm as each run logs them). Then it times the whole command in a
fresh process, as a user runs it:

- cold: an empty cache folder, every event file parsed, every run diagnosed, the cache
  (parsed files and per-run summaries) written;
- warm: the second ``check`` of the folder: the cache answers for every file, and the
  stored summaries for every run (nothing is diagnosed again);
- rules changed: a warm cache of the files, but other thresholds (every run diagnosed).

    python benchmarks/bench_check.py [--runs 1000] [--points 10000] [--jobs N]

It also prints how the printed labels compare with the labels the runs were made with.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _tfrecord import build_folder, write_scalars

HERE = Path(__file__).resolve().parent
WALL0 = 1_700_000_000.0


def write_run(args) -> str:
    """One labelled run as one event file; returns its true label."""
    from curvedoc.diagnostics.synthetic import KINDS, make_run

    folder, index, n_points = args
    kind = KINDS[index % len(KINDS)]
    probe = make_run(kind, index, "varied", n_points=n_points)
    per_step = max(1, sum(probe.scalars["tag"].value_counts() > n_points // 2))
    run = make_run(kind, index, "varied", n_points=max(8, n_points // per_step))
    folder = Path(folder) / kind / f"run_{index:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    frame = run.scalars.sort_values(["step", "tag"], kind="stable")
    write_scalars(folder / f"events.out.tfevents.{int(WALL0)}.bench.{index}.0", frame, WALL0)
    return kind


def build(folder: Path, n_runs: int, n_points: int) -> None:
    build_folder(folder, n_runs, n_points, write_run, chunksize=20, every=100)


def check_once(folder: Path, extra: list[str], env: dict | None = None
               ) -> tuple[float, float, dict, int]:
    """(wall s, CPU s of the check process and its workers, JSON output, exit code)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "curvedoc.dashboard.cli", "check", str(folder),
                          "--format", "json", "--no-progress", *extra],
                         capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if out.returncode not in (0, 1):
        sys.exit(f"check failed ({out.returncode}): {out.stderr[-2000:]}")
    return elapsed, cpu, json.loads(out.stdout), out.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10_000, help="scalars per run")
    ap.add_argument("--jobs", type=int, default=None, help="check --jobs (default: CPUs)")
    args = ap.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="curvedoc-bench-cache-"))
    env = {**os.environ, "CURVEDOC_CACHE_DIR": str(cache)}
    folder = HERE / "_data" / f"check_{args.runs}x{args.points}"
    print(f"folder: {folder}")
    build(folder, args.runs, args.points)
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work makes wall times longer)")
    try:
        cold, cold_cpu, cold_data, code = check_once(folder, extra, env)
        warm, warm_cpu, data, code = check_once(folder, extra, env)
        # the same files under other rules: a threshold nobody sets, at another value
        (folder / "curvedoc.toml").write_text("[rules.val-loss-rises]\nalpha = 0.0501\n")
        other, other_cpu, _, _ = check_once(folder, extra, env)
    finally:
        (folder / "curvedoc.toml").unlink(missing_ok=True)
        shutil.rmtree(cache, ignore_errors=True)
    if data != cold_data:
        sys.exit("warm check printed something else than the cold one")
    runs = data["runs"]
    print(f"runs: {len(runs)}; exit code {code}")
    print(f"curvedoc check, cold (empty cache, every file parsed): {cold:.2f} s wall, "
          f"{cold_cpu:.2f} s CPU")
    print(f"curvedoc check, warm (files and summaries cached):    {warm:.2f} s wall, "
          f"{warm_cpu:.2f} s CPU (same output as cold)")
    print(f"curvedoc check, other thresholds (files cached):     {other:.2f} s wall, "
          f"{other_cpu:.2f} s CPU")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    right = sum(r["labels"] == ([] if r["run"].split("/")[0] == "healthy"
                                else [r["run"].split("/")[0]]) for r in runs)
    print(f"runs whose labels equal the label they were made with: {right} of {len(runs)} "
          "(no hparams in these files, so ln(C) is often unknown)")


if __name__ == "__main__":
    main()
