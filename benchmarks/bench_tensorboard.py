"""Benchmark: curvedoc's TensorBoard reader against tbparse and TensorBoard's own loader.

Writes 500k scalars (5 tags x 100k steps) with torch's SummaryWriter.add_scalar into
benchmarks/_data/tensorboard (reused if present), then in ONE run times tbparse's
SummaryReader, TensorBoard's EventAccumulator and curvedoc, checks that tags, steps and
values are identical, and prints the times, the ratios and the frame's memory. Finally
it appends events and times an incremental refresh.

    python benchmarks/bench_tensorboard.py [--tags 5] [--steps 100000] [--skip-tbparse]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TAGS = ("train/loss", "val/loss", "train/acc", "lr", "grad_norm", "val/acc", "epoch", "misc/x")


def write_data(folder: Path, n_tags: int, n_steps: int) -> None:
    """One event per scalar, as SummaryWriter.add_scalar writes them (torch needed)."""
    from torch.utils.tensorboard import SummaryWriter

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    rng = np.random.default_rng(0)
    values = rng.standard_normal((n_steps, n_tags)).cumsum(axis=0).tolist()
    writer = SummaryWriter(log_dir=str(tmp), max_queue=1000, flush_secs=3600)
    tags = [TAGS[i % len(TAGS)] + ("" if i < len(TAGS) else f"_{i}") for i in range(n_tags)]
    for step in range(n_steps):
        row = values[step]
        for i, tag in enumerate(tags):
            writer.add_scalar(tag, row[i], step)
    writer.close()
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if "tfevents" in p.name)


def timed(fn, repeat: int = 1) -> tuple[float, float, object]:
    """(first time, median time, result of the last call)."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times[0], float(np.median(times)), result


def read_curvedoc(folder: Path, verify: str = "all") -> pd.DataFrame:
    from curvedoc.ingest.formats.tensorboard import read_event_file

    frames = []
    for path in event_files(folder):
        got = read_event_file(str(path), verify=verify)
        if got.errors or got.warnings:
            raise SystemExit(f"curvedoc reported problems: {got.errors + got.warnings}")
        frames.append(got.scalars)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def read_tbparse(folder: Path) -> pd.DataFrame:
    from tbparse import SummaryReader

    return SummaryReader(str(folder)).scalars


def read_tensorboard(folder: Path) -> pd.DataFrame:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    acc.Reload()
    rows = [(tag, e.step, e.value) for tag in acc.Tags()["scalars"] for e in acc.Scalars(tag)]
    return pd.DataFrame(rows, columns=["tag", "step", "value"])


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"tag": frame["tag"].astype(str), "step": frame["step"].astype(np.int64),
                        "value": frame["value"].astype(np.float64)})
    return out.sort_values(["tag", "step"], kind="stable").reset_index(drop=True)


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    a, b = canonical(a), canonical(b)
    if len(a) != len(b) or not (a["tag"].to_numpy() == b["tag"].to_numpy()).all():
        return False
    va, vb = a["value"].to_numpy(), b["value"].to_numpy()
    return bool((a["step"].to_numpy() == b["step"].to_numpy()).all()
                and ((va == vb) | (np.isnan(va) & np.isnan(vb))).all())


def bench_refresh(folder: Path, n_append: int) -> tuple[float, int, int]:
    """Copy the data, read it, append events, time the refresh; (seconds, rows, bytes)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    from curvedoc.ingest.formats.tensorboard import read_event_file

    src = event_files(folder)[-1]
    work = HERE / "_data" / "refresh"
    work.mkdir(parents=True, exist_ok=True)
    dst = work / src.name
    shutil.copyfile(src, dst)
    state = read_event_file(str(dst)).state
    size = dst.stat().st_size
    with open(dst, "ab") as fh:
        writer = RecordWriter(fh)
        for i in range(n_append):
            value = summary_pb2.Summary.Value(tag="train/loss", simple_value=float(i))
            ev = event_pb2.Event(wall_time=time.time(), step=10**7 + i,
                                 summary=summary_pb2.Summary(value=[value]))
            writer.write(ev.SerializeToString())
    t0 = time.perf_counter()
    got = read_event_file(str(dst), state)
    seconds = time.perf_counter() - t0
    appended = dst.stat().st_size - size
    shutil.rmtree(work)
    return seconds, len(got.scalars), appended


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tags", type=int, default=5)
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5, help="curvedoc reads (median is used)")
    ap.add_argument("--skip-tbparse", action="store_true")
    ap.add_argument("--skip-tensorboard", action="store_true")
    args = ap.parse_args(argv)

    n = args.tags * args.steps
    folder = HERE / "_data" / f"tb_{args.tags}x{args.steps}"
    if not folder.exists():
        print(f"writing {n:,} scalars with torch's SummaryWriter into {folder} ...", flush=True)
        t0 = time.perf_counter()
        write_data(folder, args.tags, args.steps)
        print(f"  written in {time.perf_counter() - t0:.1f} s")
    size = sum(p.stat().st_size for p in event_files(folder))
    print(f"data: {folder} ({size / 1e6:.1f} MB, {n:,} scalars, {args.tags} tags)")

    first, _, frame = timed(lambda: read_curvedoc(folder))  # includes imports, warm-up
    all_times, fast_times = [], []
    for _ in range(args.repeat):  # interleaved, so that load on the machine hits both alike
        all_times.append(timed(lambda: read_curvedoc(folder))[0])
        t, _, frame_fast = timed(lambda: read_curvedoc(folder, "on_error"))
        fast_times.append(t)
    ours, ours_fast = float(np.median(all_times)), float(np.median(fast_times))
    print(f"curvedoc {ours:.3f} s (median of {args.repeat}, min {min(all_times):.3f} s; "
          f"first read in this process {first:.3f} s; every checksum verified)")
    print(f"curvedoc {ours_fast:.3f} s with CURVEDOC_TB_VERIFY=on_error "
          f"(min {min(fast_times):.3f} s)")
    if len(frame) != n or not same(frame, frame_fast):
        print(f"MISMATCH: curvedoc read {len(frame):,} rows, expected {n:,}")
        return 1

    ok = True
    for name, reader, skip in (("tbparse", read_tbparse, args.skip_tbparse),
                               ("tensorboard", read_tensorboard, args.skip_tensorboard)):
        if skip:
            continue
        _, theirs, other = timed(lambda r=reader: r(folder))
        identical = same(frame, other)
        ok &= identical
        print(f"curvedoc {ours:.2f} s | {name} {theirs:.1f} s | {theirs / ours:.1f}x "
              f"(on_error: {theirs / ours_fast:.1f}x) | tags/steps/values identical: {identical}")

    used = int(frame.memory_usage(deep=True).sum())
    print(f"memory: frame {used / 1e6:.1f} MB = {used / (n * 24):.2f} x N*24 bytes "
          f"({n * 24 / 1e6:.1f} MB)")
    seconds, rows, appended = bench_refresh(folder, 1000)
    print(f"refresh after appending {rows:,} events ({appended / 1e3:.0f} kB) to a "
          f"{size / 1e6:.1f} MB file: {seconds * 1e3:.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
