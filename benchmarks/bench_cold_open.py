"""Benchmark: a cold open of 1,000 runs x 10k points, curvedoc against TensorBoard's Rust
data server and tbparse, each in a fresh process, measured in one run.

The folder is bench_warm_open's (``benchmarks/_data/warm_open_<runs>x<points>/``, built once:
TensorBoard event files, one event per scalar as ``SummaryWriter.add_scalar`` writes them).
Each round runs, in alternating order:

- ``rust``: ``tensorboard_data_server``'s ``server --logdir DIR --reload once
  --samples-per-plugin scalars=all --checksum -v``, timed from its start until it logs
  "Finished load cycle" (every scalar loaded, every record's CRC checked);
- ``curvedoc pool``: a new Python process runs ``open_root(DIR, executor=ProcessPool(CPUs))``
  with an empty cache folder (the files are read and the cache written by the workers; every
  CRC checked), timed from its start until ``open_root`` has returned (imports included);
- ``curvedoc serial``: the same without the pool (the cache written by a background thread);
- ``curvedoc no cache``: ``open_root(DIR, cache=False)``, serial.

``exit`` is when the process has ended (background cache writes finished). Then tbparse
reads ``--tbparse-runs`` runs in a fresh process, curvedoc reads the same runs, and their
tags, steps and values are compared (tbparse is too slow for the whole folder).

    python benchmarks/bench_cold_open.py [--runs 1000] [--points 10000] [--rounds 3]

Wall times on a shared machine are noisy: compare the ratios of one round, and the CPU
seconds (user + system of the process and its workers), which other work disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_warm_open import HERE, build

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
from concurrent.futures import ProcessPoolExecutor
from curvedoc.ingest import open_root
root, mode = sys.argv[1], sys.argv[2]
if mode == "pool":
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        catalog = open_root(root, executor=pool)
else:
    catalog = open_root(root, cache=mode != "nocache")
elapsed = time.perf_counter() - t0
n = sum(len(r.scalars) for r in catalog.runs.values())
bad = sum(bool(r.errors) for r in catalog.runs.values())
print(json.dumps({"open_s": elapsed, "scalars": n, "runs": len(catalog.runs), "bad": bad}),
      flush=True)
"""


def rust_binary() -> Path:
    import tensorboard_data_server

    path = Path(tensorboard_data_server.__file__).parent / "bin" / "server"
    if not path.is_file():
        sys.exit(f"no Rust data server at {path}")
    return path


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_rust(folder: Path, timeout: float = 600) -> tuple[float, float]:
    """(seconds from the server's start until it has loaded every scalar once, its CPU
    seconds until then)."""
    cmd = [str(rust_binary()), "--logdir", str(folder), "--reload", "once",
           "--samples-per-plugin", "scalars=all", "--checksum", "-v", "--port", "0",
           "--host", "127.0.0.1"]
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = None
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    sys.exit(f"the Rust server exited ({proc.returncode})")
                continue
            line = proc.stderr.readline()
            if "Finished load cycle" in line:
                done = time.perf_counter() - t0
                break
            if not line and proc.poll() is not None:
                sys.exit(f"the Rust server exited ({proc.returncode})")
        else:
            sys.exit("the Rust server did not finish its load cycle in time")
    finally:
        proc.kill()
        proc.wait()
    return done, _children_cpu() - c0


def time_curvedoc(folder: Path, mode: str, cache_dir: Path) -> dict:
    """Run CHILD in a fresh process with an empty cache; times from the start."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    env = {**os.environ, "CURVEDOC_CACHE_DIR": str(cache_dir)}
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    answered = time.perf_counter() - t0
    _, err = proc.communicate()
    ended = time.perf_counter() - t0
    if proc.returncode or not line:
        sys.exit(f"curvedoc {mode} failed ({proc.returncode}): {err[-2000:]}")
    out = json.loads(line)
    if out["bad"]:
        sys.exit(f"curvedoc {mode}: {out['bad']} runs with errors")
    return {**out, "wall_s": answered, "exit_s": ended, "cpu_s": _children_cpu() - c0}


def compare_with_tbparse(folder: Path, n_runs: int) -> tuple[float, float]:
    """(tbparse s, curvedoc s) on the first n runs, fresh processes; values must agree."""
    sub = Path(tempfile.mkdtemp(prefix="curvedoc-bench-"))
    try:
        runs = sorted(p.parent for p in folder.rglob("*tfevents*"))[:n_runs]
        for run in runs:
            shutil.copytree(run, sub / run.relative_to(folder))
        code_tb = ("import sys, time; t0 = time.perf_counter(); from tbparse import SummaryReader;"
                   "df = SummaryReader(sys.argv[1], extra_columns={'dir_name'}).scalars;"
                   "print(time.perf_counter() - t0); df.to_pickle(sys.argv[2])")
        code_cd = ("import sys, time; t0 = time.perf_counter();"
                   "from curvedoc.ingest import read_scalars; df = read_scalars(sys.argv[1]);"
                   "print(time.perf_counter() - t0); df.to_pickle(sys.argv[2])")
        cache = sub.with_name(sub.name + "-cache")
        env = {**os.environ, "CURVEDOC_CACHE_DIR": str(cache)}
        times = []
        for code, out in ((code_tb, "tb.pkl"), (code_cd, "cd.pkl")):
            res = subprocess.run([sys.executable, "-c", code, str(sub), str(sub / out)],
                                 capture_output=True, text=True, env=env)
            if res.returncode:
                sys.exit(f"subset read failed: {res.stderr[-2000:]}")
            times.append(float(res.stdout.strip().splitlines()[-1]))
        _same_values(sub / "tb.pkl", sub / "cd.pkl")
        shutil.rmtree(cache, ignore_errors=True)
        return times[0], times[1]
    finally:
        shutil.rmtree(sub, ignore_errors=True)


def _same_values(tb_path: Path, cd_path: Path) -> None:
    import pandas as pd

    tb, cd = pd.read_pickle(tb_path), pd.read_pickle(cd_path)
    tb = pd.DataFrame({"run": tb["dir_name"].astype(str), "tag": tb["tag"].astype(str),
                       "step": tb["step"].astype(np.int64),
                       "value": tb["value"].astype(np.float32)})
    cd = pd.DataFrame({"run": cd["run"].astype(str), "tag": cd["tag"].astype(str),
                       "step": cd["step"].astype(np.int64),
                       "value": cd["value"].astype(np.float32)})  # simple_value is a float32
    keys = ["run", "tag", "step"]
    tb = tb.sort_values(keys, kind="stable").reset_index(drop=True)
    cd = cd.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(tb, cd, check_exact=True)
    print(f"values identical to tbparse: {len(cd):,} scalars (run, tag, step, value)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10_000, help="scalars per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tbparse-runs", type=int, default=20)
    ap.add_argument("--modes", default="rust,pool,serial,nocache")
    args = ap.parse_args()
    folder = HERE / "_data" / f"warm_open_{args.runs}x{args.points}"
    print(f"folder: {folder}")
    build(folder, args.runs, args.points)
    cache_dir = Path(tempfile.mkdtemp(prefix="curvedoc-bench-cache-"))
    modes = args.modes.split(",")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          "(a shared machine: other work makes wall times longer; compare within a round)")
    results: dict[str, list[float]] = {m: [] for m in modes}
    cpus: dict[str, list[float]] = {m: [] for m in modes}
    try:
        for rnd in range(args.rounds):
            order = modes if rnd % 2 == 0 else modes[::-1]
            line = []
            for mode in order:
                if mode == "rust":
                    t, cpu = time_rust(folder)
                    line.append(f"rust {t:.2f} s (CPU {cpu:.2f} s)")
                else:
                    got = time_curvedoc(folder, mode, cache_dir)
                    t, cpu = got["wall_s"], got["cpu_s"]
                    line.append(f"{mode} {t:.2f} s (exit {got['exit_s']:.2f}, CPU {cpu:.2f} s "
                                f"to exit, {got['scalars']:,} scalars)")
                results[mode].append(t)
                cpus[mode].append(cpu)
            print(f"round {rnd + 1}: " + "; ".join(line))
            if "rust" in modes:
                ratios = ", ".join(f"{m} {results['rust'][-1] / results[m][-1]:.2f}x"
                                   for m in modes if m != "rust")
                print(f"  rust time / curvedoc time this round: {ratios}")
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print("medians: " + ", ".join(f"{m} {np.median(v):.2f} s (CPU {np.median(cpus[m]):.2f} s)"
                                  for m, v in results.items()))
    if args.tbparse_runs:
        tb, cd = compare_with_tbparse(folder, args.tbparse_runs)
        print(f"{args.tbparse_runs} runs, fresh processes: tbparse {tb:.2f} s, curvedoc "
              f"read_scalars (cache written) {cd:.2f} s: {tb / cd:.1f}x")


if __name__ == "__main__":
    main()
