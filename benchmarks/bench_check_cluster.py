"""Benchmark: ``curvedoc check`` on 1,000 runs x 10k points, on a LocalCluster of 2 workers.

The LocalCluster half of bench_check.py (issue 10): the same folder
(``benchmarks/_data/check_<runs>x<points>/``, built by bench_check.py's ``build``), checked
in fresh processes, as a user runs it:

- ``check --no-cache``: one machine, every file parsed (the cold check of bench_check.py);
- ``check --cluster local:2``: discovery, reading and diagnosis on 2 worker processes, only
  summaries back to the client (nothing is cached on a cluster, so this is always cold).

For each: wall time, CPU of the whole process tree, the peak RSS of the ``check`` process
itself (the client; its LocalCluster's scheduler lives in it), and whether both printed the
same JSON.

    python benchmarks/bench_check_cluster.py [--runs 1000] [--points 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_check import HERE, build

#: Runs ``check`` in this process and prints its peak RSS on stderr at exit.
_CHILD = """
import atexit, resource, sys
atexit.register(lambda: print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              file=sys.stderr))
from curvedoc.dashboard.cli import main
sys.argv = ["curvedoc", *sys.argv[1:]]
main()
"""


def check_once(folder: Path, extra: list[str]) -> tuple[float, float, float, dict]:
    """(wall s, CPU s of the process tree, client peak MB, JSON output)."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, "check", str(folder), "--format",
                          "json", "--no-progress", *extra], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        sys.exit(f"check failed ({out.returncode}): {out.stderr[-3000:]}")
    peak = [line for line in out.stderr.splitlines() if line.startswith("PEAK_KB")]
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, int(peak[-1].split()[1]) / 1024, json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10_000, help="scalars per run")
    args = ap.parse_args()
    folder = HERE / "_data" / f"check_{args.runs}x{args.points}"
    print(f"folder: {folder}")
    build(folder, args.runs, args.points)
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work makes wall times longer)")
    here = check_once(folder, ["--no-cache"])
    there = check_once(folder, ["--cluster", "local:2"])
    for name, (wall, cpu, peak, _) in (("one machine, cold", here),
                                       ("LocalCluster of 2", there)):
        print(f"curvedoc check, {name:18}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, "
              f"client peak RSS {peak:7.1f} MB")
    same = here[3] == there[3]
    print(f"runs: {len(there[3]['runs'])}; the same JSON from both: {same}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
