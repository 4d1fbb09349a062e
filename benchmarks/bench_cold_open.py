"""Benchmark: a cold open of 1,000 runs x 10k points, curvedoc against TensorBoard's Rust
data server and tbparse, each in a fresh process, measured in one run.

The folder is bench_warm_open's (``benchmarks/_data/warm_open_<runs>x<points>/``, built once:
TensorBoard event files, one event per scalar as ``SummaryWriter.add_scalar`` writes them).
Each round runs, in alternating order:

- ``rust``: ``tensorboard_data_server``'s ``server --logdir DIR --reload once
  --samples-per-plugin scalars=all --checksum -v``, timed from its start until it logs
  "Finished load cycle" (every scalar loaded, every record's CRC checked);
- ``default``: a new Python process runs ``open_root(DIR)`` with an empty cache folder, as a
  user's call does and as ``check`` and ``serve`` do (a thread per CPU reads the files and
  writes the cache; every CRC checked), timed from its start until ``open_root`` has
  returned (imports included);
- ``pool``: the same with ``executor=ProcessPoolExecutor(CPUs)`` (the files read, the cache
  written and the runs assembled in worker processes);
- ``nocache``: ``open_root(DIR, cache=False)``.

``exit`` is when the process has ended (every cache write finished). Each curvedoc run gets a
new, empty cache folder (see ``fresh_cache``; ``--delete-cache-first`` empties one folder
right before each run instead, which ext4 makes slower). The ratios of the Rust server's time
to curvedoc's are printed per round, to the answer and to the exit, with their min / median /
max. Then (``--tbparse-runs``)
tbparse reads a subset of runs in a fresh process, curvedoc reads the same runs, and their
tags, steps and values are compared (tbparse is too slow for the whole folder); and
(``--file``) one event file of 500k scalars (bench_tensorboard's) is read cold by tbparse,
by ``read_scalars`` (cache written) and by the Rust server, alternating, each in a fresh
process, values compared.

    python benchmarks/bench_cold_open.py [--runs 1000] [--points 10000] [--rounds 3]

Wall times on a shared machine are noisy: compare the ratios of one round, and the CPU
seconds (user + system of the process and its workers), which other work disturbs less.
curvedoc's sources are byte-compiled first (as ``pip install`` does): with
``PYTHONDONTWRITEBYTECODE`` set, an editable install would otherwise compile them in every
process.
"""

from __future__ import annotations

import argparse
import itertools
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


_runs = itertools.count()


def fresh_cache(base: Path, delete_first: bool) -> Path:
    """An empty cache folder for one run: a new one under ``base`` (all deleted at the end),
    or with ``delete_first`` the same folder emptied right before the run.

    Not emptied by default: ext4 is slow to hand out inodes of files deleted seconds ago
    (``recently_deleted``/``find_inode_bit`` in the kernel), so creating a cold open's
    1,000 cache files right after deleting the last run's 1,000 cost 0.5-1.3 s of kernel
    time here, more than everything else the cache does; a user's first open follows no
    such delete. ``--delete-cache-first`` measures that case."""
    if delete_first:
        shutil.rmtree(base / "cache", ignore_errors=True)
        return base / "cache"
    return base / f"run{next(_runs)}"


def time_curvedoc(folder: Path, mode: str, cache_dir: Path) -> dict:
    """Run CHILD in a fresh process with an empty cache folder; times from the start."""
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


FILE_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
if sys.argv[3] == "tbparse":
    from tbparse import SummaryReader
    t1 = time.perf_counter()
    df = SummaryReader(sys.argv[1]).scalars
else:
    from curvedoc.ingest import read_scalars
    t1 = time.perf_counter()
    df = read_scalars(sys.argv[1])  # the cache written (closing the catalog waits for it)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": len(df)}), flush=True)
df.to_pickle(sys.argv[2])
"""


def time_file_reader(path: Path, reader: str, out: Path, cache_dir: Path) -> dict:
    """One reader on one event file in a fresh process: its read call, and the whole
    process from its start until the answer (interpreter and imports included)."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    env = {**os.environ, "CURVEDOC_CACHE_DIR": str(cache_dir)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", FILE_CHILD, str(path), str(out), reader],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    whole = time.perf_counter() - t0
    _, err = proc.communicate()
    if proc.returncode or not line:
        sys.exit(f"{reader} failed on {path} ({proc.returncode}): {err[-2000:]}")
    return {**json.loads(line), "process_s": whole}


def bench_file(rounds: int, cache_dir: Path) -> None:
    """The 500k-scalar file of bench_tensorboard: tbparse, curvedoc and the Rust server."""
    from bench_tensorboard import write_data

    folder = HERE / "_data" / "tb_5x100000"
    if not folder.exists():
        print(f"writing 500,000 scalars with torch's SummaryWriter into {folder} ...")
        write_data(folder, 5, 100_000)
    (path,) = sorted(folder.glob("*tfevents*"))
    print(f"one file: {path.name} ({path.stat().st_size / 1e6:.1f} MB, 500,000 scalars)")
    work = Path(tempfile.mkdtemp(prefix="curvedoc-bench-file-"))
    got: dict[str, list[dict]] = {"tbparse": [], "curvedoc": [], "rust": []}
    try:
        for rnd in range(rounds):
            order = ["curvedoc", "tbparse", "rust"]
            for reader in order if rnd % 2 == 0 else order[::-1]:
                if reader == "rust":
                    t, _ = time_rust(folder)
                    got["rust"].append({"process_s": t, "read_s": t})
                else:
                    got[reader].append(time_file_reader(path, reader, work / f"{reader}.pkl",
                                                        cache_dir))
            cd, tb, rust = got["curvedoc"][-1], got["tbparse"][-1], got["rust"][-1]
            print(f"  file round {rnd + 1}: curvedoc read_scalars {cd['read_s']:.3f} s "
                  f"(process {cd['process_s']:.2f} s); tbparse {tb['read_s']:.2f} s (process "
                  f"{tb['process_s']:.2f} s); rust {rust['process_s']:.2f} s | tbparse / "
                  f"curvedoc: {tb['read_s'] / cd['read_s']:.1f}x the read call, "
                  f"{tb['process_s'] / cd['process_s']:.1f}x whole processes; rust / "
                  f"curvedoc process: {rust['process_s'] / cd['process_s']:.2f}x")
        _same_file_values(work / "tbparse.pkl", work / "curvedoc.pkl")
        med = {k: (float(np.median([r["read_s"] for r in v])),
                   float(np.median([r["process_s"] for r in v]))) for k, v in got.items()}
        print(f"  file medians: curvedoc {med['curvedoc'][0]:.3f} s read "
              f"({med['curvedoc'][1]:.2f} s process), tbparse {med['tbparse'][0]:.2f} s "
              f"({med['tbparse'][1]:.2f} s), rust {med['rust'][1]:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _same_file_values(tb_path: Path, cd_path: Path) -> None:
    import pandas as pd

    frames = []
    for p in (tb_path, cd_path):
        df = pd.read_pickle(p)
        frames.append(pd.DataFrame({"tag": df["tag"].astype(str),
                                    "step": df["step"].astype(np.int64),
                                    "value": df["value"].astype(np.float32)})
                      .sort_values(["tag", "step"], kind="stable").reset_index(drop=True))
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    print(f"  values identical to tbparse: {len(frames[1]):,} scalars (tag, step, value)")


def print_ratios(results: dict[str, list[float]], exits: dict[str, list[float]],
                 modes: list[str]) -> None:
    """The Rust server's time over curvedoc's, per round, to the answer and to the end of
    curvedoc's process (every cache file written), with their min / median / max."""
    rust = np.asarray(results["rust"])
    for m in modes:
        if m == "rust":
            continue
        for what, times in (("answer", results[m]), ("exit", exits[m])):
            r = rust / np.asarray(times)
            rounds = " ".join(f"{x:.2f}" for x in r)
            print(f"  {m:8s} rust / curvedoc to the {what:6s}: min {r.min():.2f}x, median "
                  f"{np.median(r):.2f}x, max {r.max():.2f}x  (rounds: {rounds})")


def compile_sources() -> None:
    """Byte-compile curvedoc as ``pip install`` does (an editable install in an environment
    with PYTHONDONTWRITEBYTECODE would compile its sources in every process)."""
    import compileall

    import curvedoc.ingest

    top = Path(curvedoc.ingest.__file__).resolve().parent.parent
    for sub in ("ingest", "diagnostics", "dashboard"):
        if (top / sub).is_dir():
            compileall.compile_dir(str(top / sub), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10_000, help="scalars per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tbparse-runs", type=int, default=20)
    ap.add_argument("--modes", default="rust,default,pool,nocache")
    ap.add_argument("--file", action=argparse.BooleanOptionalAction, default=True,
                    help="also the one 500k-scalar file against tbparse and the Rust server")
    ap.add_argument("--file-rounds", type=int, default=3)
    ap.add_argument("--delete-cache-first", action="store_true",
                    help="empty one cache folder right before each run (see fresh_cache)")
    args = ap.parse_args()
    folder = HERE / "_data" / f"warm_open_{args.runs}x{args.points}"
    compile_sources()
    print(f"folder: {folder}")
    build(folder, args.runs, args.points)
    cache_dir = Path(tempfile.mkdtemp(prefix="curvedoc-bench-cache-"))
    modes = args.modes.split(",")
    from curvedoc.ingest import tfscan

    print("TensorBoard reader: " + ("the compiled pass (curvedoc.ingest._tfscan)"
                                    if tfscan.AVAILABLE else "the numpy path (no _tfscan)"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          "(a shared machine: other work makes wall times longer; compare within a round)")
    results: dict[str, list[float]] = {m: [] for m in modes}
    exits: dict[str, list[float]] = {m: [] for m in modes}
    cpus: dict[str, list[float]] = {m: [] for m in modes}
    try:
        for rnd in range(args.rounds):
            order = modes if rnd % 2 == 0 else modes[::-1]
            line = []
            for mode in order:
                if mode == "rust":
                    t, cpu = time_rust(folder)
                    exits[mode].append(t)
                    line.append(f"rust {t:.2f} s (CPU {cpu:.2f} s)")
                else:
                    got = time_curvedoc(folder, mode,
                                        fresh_cache(cache_dir, args.delete_cache_first))
                    t, cpu = got["wall_s"], got["cpu_s"]
                    exits[mode].append(got["exit_s"])
                    line.append(f"{mode} {t:.2f} s (exit {got['exit_s']:.2f}, CPU {cpu:.2f} s "
                                f"to exit, {got['scalars']:,} scalars)")
                results[mode].append(t)
                cpus[mode].append(cpu)
            print(f"round {rnd + 1} (load {os.getloadavg()[0]:.1f}): " + "; ".join(line))
            if "rust" in modes:
                ratios = ", ".join(f"{m} {results['rust'][-1] / results[m][-1]:.2f}x"
                                   for m in modes if m != "rust")
                print(f"  rust time / curvedoc time this round: {ratios}")
                ratios = ", ".join(f"{m} {results['rust'][-1] / exits[m][-1]:.2f}x"
                                   for m in modes if m != "rust")
                print(f"  the same until curvedoc's process ended (cache written): {ratios}")
        print("medians: " + ", ".join(
            f"{m} {np.median(v):.2f} s (CPU {np.median(cpus[m]):.2f} s)"
            for m, v in results.items()))
        if "rust" in modes:
            print_ratios(results, exits, modes)
        if args.tbparse_runs:
            tb, cd = compare_with_tbparse(folder, args.tbparse_runs)
            print(f"{args.tbparse_runs} runs, fresh processes: tbparse {tb:.2f} s, curvedoc "
                  f"read_scalars (cache written) {cd:.2f} s: {tb / cd:.1f}x")
        if args.file:
            bench_file(args.file_rounds, cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
