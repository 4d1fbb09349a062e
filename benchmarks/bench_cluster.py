"""Benchmark: ``check`` on a LocalCluster of 2 workers, 1k and 10k small runs (issue 10, goal 3).

Builds ``benchmarks/_data/cluster_<runs>x<points>/`` once: ``--runs`` TensorBoard runs of
about ``--points`` scalars each (the labelled synthetic curves of
``curvedoc.diagnostics.synthetic``), 100 runs per top-level folder so that discovery is
spread over the workers. Then, each in a fresh process, on a ``LocalCluster`` of 2 worker
processes (threads_per_worker=1, 127.0.0.1):

- ``summaries``: ``check_root`` (what ``curvedoc check --cluster``) does: discover, read and
  diagnose on the workers, one small RunSummary per run back;
- ``summaries-apart`` (not run by default): the same with the LocalCluster, scheduler
  included, in a process of its own, as ``--cluster tcp://...`` runs: the client alone;
- ``frames``: today's path, ``open_root(root, executor=client)`` (every run's frame comes
  back to the client) followed by ``diagnose_all`` on the client.

For each it prints the wall time and the client process's peak RSS (``ru_maxrss``; the
LocalCluster's scheduler lives in the client process, so its memory is counted too), and
the growth per run from the smaller to the larger folder: the figure that predicts 100k.
With ``--points-too`` it also measures 1k runs with 20x the points, to show what grows
with the points and what doesn't.

    python benchmarks/bench_cluster.py [--runs 1000,10000] [--points 100] [--points-too]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _tfrecord import build_folder, write_scalars

HERE = Path(__file__).resolve().parent
WALL0 = 1_700_000_000.0
PER_FOLDER = 100


def write_run(args) -> None:
    """One labelled run as one event file, in ``group_<i // 100>/<kind>_<i>/``."""

    from curvedoc.diagnostics.synthetic import KINDS, make_run

    folder, index, n_points = args
    kind = KINDS[index % len(KINDS)]
    run = make_run(kind, index, "varied", n_points=max(8, n_points // 2))
    folder = Path(folder) / f"group_{index // PER_FOLDER:04d}" / f"{kind}_{index:05d}"
    folder.mkdir(parents=True, exist_ok=True)
    frame = run.scalars.sort_values(["step", "tag"], kind="stable")
    write_scalars(folder / f"events.out.tfevents.{int(WALL0)}.bench.{index}.0", frame, WALL0)


def build(folder: Path, n_runs: int, n_points: int) -> None:
    build_folder(folder, n_runs, n_points, write_run, workers=2, chunksize=50, every=2000)


# -- one measurement, in its own process ----------------------------------------------------


#: A LocalCluster in a process of its own (scheduler included), for the "-apart" modes:
#: it prints its address, and stops when its stdin closes.
_CLUSTER = """
import sys
from distributed import LocalCluster
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                  scheduler_port=0, dashboard_address=None) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
"""


def measure(root: str, mode: str) -> dict:
    import contextlib

    import psutil

    from curvedoc.diagnostics.distributed import check_root, connect

    apart = None
    address = "local:2"
    if mode.endswith("-apart"):  # the client alone: the scheduler lives elsewhere
        apart = subprocess.Popen([sys.executable, "-c", _CLUSTER], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        address = apart.stdout.readline().strip()
        mode = mode.removesuffix("-apart")
    before = psutil.Process().memory_info().rss
    with contextlib.ExitStack() as stack:
        if apart is not None:
            stack.callback(apart.wait, 60)
            stack.callback(apart.stdin.close)
        client = stack.enter_context(connect(address))
        started = psutil.Process().memory_info().rss
        t0 = time.perf_counter()
        if mode == "summaries":
            found = check_root(root, client, {})
            n, points = len(found.summaries), sum(s.n_points for s in found.summaries.values())
            labelled = sum(bool(s.labels) for s in found.summaries.values())
        else:
            from curvedoc.diagnostics.batch import diagnose_all
            from curvedoc.ingest import open_root

            catalog = open_root(root, cache=False, executor=client)
            diagnoses = diagnose_all(catalog.runs, catalog.config, jobs=1)
            n, points = len(catalog.runs), sum(len(r.scalars) for r in catalog.runs.values())
            labelled = sum(bool(d.labels) for d in diagnoses.values())
        wall = time.perf_counter() - t0
        stack.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"mode": mode + ("-apart" if apart else ""), "runs": n, "points": points,
            "labelled": labelled, "wall_s": wall, "rss_before_mb": before / 2**20,
            "rss_cluster_up_mb": started / 2**20,
            "peak_mb": peak / 2**20}


def run_measure(root: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(root), mode],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{mode} on {root} failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="1000,10000", help="comma-separated run counts")
    ap.add_argument("--points", type=int, default=100, help="scalars per run")
    ap.add_argument("--modes", default="summaries,frames")
    ap.add_argument("--points-too", action="store_true",
                    help="also 1k runs with 20x the points")
    ap.add_argument("--measure", nargs=2, metavar=("ROOT", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    sizes = [int(x) for x in args.runs.split(",")]
    modes = args.modes.split(",")
    plan = [(n, args.points) for n in sizes]
    if args.points_too:
        plan.append((sizes[0], args.points * 20))
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (other work makes wall times longer)")
    results: dict[tuple[int, int, str], dict] = {}
    for n, points in plan:
        folder = HERE / "_data" / f"cluster_{n}x{points}"
        build(folder, n, points)
        for mode in modes:
            r = results[(n, points, mode)] = run_measure(folder, mode)
            print(f"{mode:9} {r['runs']:>6} runs, {r['points']:>10,} points: "
                  f"{r['wall_s']:7.1f} s wall, client peak RSS {r['peak_mb']:7.1f} MB "
                  f"(cluster up: {r['rss_cluster_up_mb']:.0f} MB; {r['labelled']} labelled)",
                  flush=True)
    lo, hi = sizes[0], sizes[-1]
    for mode in modes:
        a, b = results.get((lo, args.points, mode)), results.get((hi, args.points, mode))
        if a and b and hi > lo:
            per_run = (b["peak_mb"] - a["peak_mb"]) * 2**20 / (hi - lo)
            wall = (b["wall_s"] - a["wall_s"]) / (hi - lo) * 1000
            at_100k = b["peak_mb"] + per_run * (100_000 - hi) / 2**20
            print(f"{mode:9} growth {lo:,} -> {hi:,} runs: {per_run / 1024:.2f} KB and "
                  f"{wall:.2f} ms per run; at 100k runs: ~{at_100k:,.0f} MB peak")
        c = results.get((lo, args.points * 20, mode))
        if a and c:
            extra = c["points"] - a["points"]
            print(f"{mode:9} growth with points ({a['points']:,} -> {c['points']:,}): "
                  f"{(c['peak_mb'] - a['peak_mb']) * 2**20 / extra:.2f} bytes per point")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
