"""A longer fuzzing campaign against the readers, on demand (the test suite runs a short one).

    python scripts/fuzz.py [--cases 2000] [--seed 0] [--budget-s 20] [--keep DIR]

Every case builds a valid log from first principles (CSV, JSON lines, MLflow metric file,
TensorBoard event file, trainer_state.json, hparams.yaml), then either mutates it (bit
flips, truncation, deletion, insertion, duplication, zeroed bytes, a cut copy followed by
the whole file, deep nesting, huge numbers, YAML alias bombs) or writes it in random
chunks as a live trainer does, reading on from the reader's state after each chunk.

A case fails when a reader raises or reports its own crash ("reader failed"), runs longer
than ``--budget-s`` (a hang), returns a frame without the canonical dtypes, returns a
point that was not written (TensorBoard, all checksums verified), or when a live read
differs from a cold read of the same bytes. Prints the cases tried and the failures found
(kind, format, seed); ``--keep DIR`` saves each failing input there. Exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import struct
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

import crc32c
import numpy as np

from curvedoc.ingest import open_root
from curvedoc.ingest.frames import concat
from curvedoc.ingest.model import RunSource
from curvedoc.ingest.reading import read_file

FORMATS = ("csv", "jsonl", "mlflow", "tensorboard", "hf", "yaml")


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


# -- valid logs, from first principles --------------------------------------------------


def _number(rng: random.Random) -> str:
    x = rng.uniform(-1e3, 1e3)
    return rng.choice([repr(x), f"{x:.6g}", f"{x:.3e}", str(int(x)), "nan", "inf", "", "NA"])


def make_csv(rng: random.Random) -> bytes:
    names = rng.sample(["loss", "val_loss", "acc", "lr"], rng.randint(1, 4))
    lines = [",".join(["step", *names])]
    step = rng.choice([0, 2**53 - 3, 2**63 - 50])
    for _ in range(rng.randint(0, 200)):
        step += rng.choice([0, 1, 1, 5])
        lines.append(",".join([str(step), *(_number(rng) for _ in names)]))
    return ("\n".join(lines) + "\n").encode()


def make_jsonl(rng: random.Random) -> bytes:
    lines = []
    step = rng.choice([0, 2**53 - 3])
    for _ in range(rng.randint(0, 200)):
        step += rng.choice([0, 1, 3])
        body = {"step": step, "loss": rng.uniform(0, 5), "acc": rng.random()}
        if rng.random() < 0.2:
            body = {"step": step, "train": {"loss": rng.uniform(0, 5)}}
        lines.append(json.dumps(body))
    return ("\n".join(lines) + "\n").encode()


def make_mlflow(rng: random.Random) -> bytes:
    lines = [f"{1700000000000 + i} {rng.uniform(-3, 3)!r} {i}" for i in range(rng.randint(0, 300))]
    return ("\n".join(lines) + "\n").encode()


def _masked(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", _masked(head)) + data + struct.pack("<I", _masked(data))


def make_events(rng: random.Random) -> tuple[bytes, set]:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    blobs = [_record(Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())]
    points = set()
    regular = rng.random() < 0.5
    for i in range(rng.randint(1, 400)):
        tag = ("loss", "acc")[i % 2] if regular else rng.choice(["loss", "val/loss", "lr"])
        value = float(np.float32(rng.uniform(-10, 10)))
        ev = Event(wall_time=1.7e9 + i, step=i,
                   summary=Summary(value=[Summary.Value(tag=tag, simple_value=value)]))
        blobs.append(_record(ev.SerializeToString()))
        points.add((tag, i, value))
    return b"".join(blobs), points


def make_hf(rng: random.Random) -> bytes:
    history = [{"step": i, "loss": rng.uniform(0, 3), "learning_rate": 1e-4, "epoch": i / 10}
               for i in range(rng.randint(0, 100))]
    return json.dumps({"global_step": len(history), "log_history": history}).encode()


def make_yaml(rng: random.Random) -> bytes:
    levels = rng.randint(1, 12)
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(rng.choice(["lr: 0.01", "when: 2024-13-45", "x: " + "[" * 2000 + "]" * 2000]))
    return ("\n".join(lines) + "\n").encode()


def mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    if not data:
        return "empty", data
    kind = rng.choice(["flip", "flips", "truncate", "delete", "insert", "duplicate", "zero",
                       "cut_then_full", "deep_json", "huge_int", "crlf"])
    buf = bytearray(data)
    at = rng.randrange(len(buf))
    if kind == "flip":
        buf[at] ^= 1 << rng.randrange(8)
    elif kind == "flips":
        for _ in range(rng.randint(2, 30)):
            buf[rng.randrange(len(buf))] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        del buf[at:]
    elif kind == "delete":
        del buf[at : at + rng.randint(1, 80)]
    elif kind == "insert":
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 80)))
    elif kind == "duplicate":
        end = min(len(buf), at + rng.randint(1, 400))
        buf[end:end] = buf[at:end]
    elif kind == "zero":
        n = min(rng.randint(1, 80), len(buf) - at)
        buf[at : at + n] = bytes(n)
    elif kind == "cut_then_full":
        buf = bytearray(data[:at] + data)
    elif kind == "deep_json":
        buf[at:at] = b'{"step": 1, "x": ' + b"[" * 3000 + b"]" * 3000 + b"}\n"
    elif kind == "huge_int":
        buf[at:at] = b"9" * 400 + b"," + b"1" * 40 + b"\n"
    else:
        buf = bytearray(bytes(buf).replace(b"\n", b"\r\n"))
    return kind, bytes(buf)


# -- one case ---------------------------------------------------------------------------


def _layout(folder: Path, fmt: str) -> tuple[Path, RunSource]:
    if fmt == "csv":
        path = folder / "log.csv"
        source = RunSource(".", "r", "csv_table", str(folder), (str(path),))
    elif fmt == "jsonl":
        path = folder / "log.jsonl"
        source = RunSource(".", "r", "jsonl", str(folder), (str(path),))
    elif fmt == "mlflow":
        (folder / "metrics").mkdir()
        path = folder / "metrics" / "loss"
        source = RunSource(".", "r", "mlflow_file", str(folder), (str(path),))
    elif fmt == "tensorboard":
        path = folder / "events.out.tfevents.1.host"
        source = RunSource(".", "r", "tensorboard", str(folder), (str(path),))
    else:
        path = folder / "trainer_state.json"
        source = RunSource(".", "r", "hf_trainer_state", str(folder), (str(path),))
    return path, source


def _check_frame(read) -> str | None:
    for error in read.errors:
        if "reader failed" in error:
            return f"reader crashed: {error[:300]}"
    frame = read.scalars
    if frame["step"].dtype != np.int64 or frame["value"].dtype != np.float64:
        return f"non-canonical dtypes {dict(frame.dtypes)}"
    return None


def _rows(frame) -> list:
    pairs = zip(frame["tag"].astype(str).tolist(), frame["step"].tolist(),
                frame["value"].tolist(), strict=True)
    return sorted((t, s, v != v, 0.0 if v != v else v) for t, s, v in pairs)


def run_case(rng: random.Random, fmt: str, folder: Path) -> tuple[str, str | None, bytes]:
    """(kind, failure or None, the input) of one case."""
    if fmt == "yaml":
        run = folder / "lightning_logs" / "version_0"
        run.mkdir(parents=True)
        (run / "metrics.csv").write_bytes(make_csv(rng))
        data = make_yaml(rng)
        kind, data = ("bomb", data) if rng.random() < 0.5 else mutate(rng, data)
        (run / "hparams.yaml").write_bytes(data)
        with open_root(str(folder), cache=False) as catalog:
            for r in catalog.runs.values():
                if any("failed" in e for e in r.errors):
                    return kind, f"run errors: {r.errors}", data
        return kind, None, data
    path, source = _layout(folder, fmt)
    points = None
    if fmt == "tensorboard":
        data, points = make_events(rng)
    else:
        data = {"csv": make_csv, "jsonl": make_jsonl, "mlflow": make_mlflow, "hf": make_hf}[
            fmt](rng)
    if fmt != "hf" and rng.random() < 0.3:
        return "live", _live(rng, fmt, path, source, data), data
    kind, data = mutate(rng, data)
    path.write_bytes(data)
    result = read_file(source, str(path))
    problem = _check_frame(result.read)
    if problem is None and points is not None:
        wrong = [(t, s, v) for t, s, _, v in _rows(result.read.scalars)
                 if (t, s, v) not in points]
        if wrong:
            problem = f"{len(wrong)} point(s) never written, e.g. {wrong[0]}"
    return kind, problem, data


def _live(rng, fmt, path: Path, source: RunSource, data: bytes) -> str | None:
    cold_dir = path.parent / "cold"
    cold_dir.mkdir()
    cold_path, cold_source = _layout(cold_dir, fmt)
    cuts = sorted(set(rng.randrange(1, max(2, len(data))) for _ in range(rng.randint(1, 12))))
    path.write_bytes(b"")
    state, frames = None, []
    for end in [*cuts, len(data)]:
        with path.open("ab") as fh:
            fh.write(data[path.stat().st_size : end])
        result = read_file(source, str(path), state)
        problem = _check_frame(result.read)
        if problem:
            return problem
        if result.read.errors:
            state, frames = None, []
            continue
        frames = [result.read.scalars] if result.read.reset else [*frames,
                                                                  result.read.scalars]
        state = result.read.state
        cold_path.write_bytes(data[:end])
        cold = read_file(cold_source, str(cold_path))
        if _rows(concat(frames)) != _rows(cold.read.scalars):
            return f"live read differs from a cold read after {end} of {len(data)} bytes"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-s", type=int, default=20, help="seconds a case may take")
    parser.add_argument("--keep", type=Path, help="save failing inputs in this folder")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    tried: Counter = Counter()
    failures: list[tuple[int, str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="curvedoc-fuzz-"))
    try:
        for case in range(args.cases):
            fmt = FORMATS[case % len(FORMATS)]
            rng = random.Random(args.seed * 1_000_003 + case)
            folder = work / str(case)
            folder.mkdir()
            kind, data = "?", b""
            signal.alarm(args.budget_s)
            try:
                kind, problem, data = run_case(rng, fmt, folder)
            except Hang:
                problem = f"took longer than {args.budget_s} s"
            except Exception as exc:  # a crash is a finding, not the end of the campaign
                problem = f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            finally:
                signal.alarm(0)
            tried[fmt, kind] += 1
            if problem:
                failures.append((case, fmt, kind, problem))
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"case{case}-{fmt}-{kind}.bin").write_bytes(data)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(tried.values())
    print(f"cases tried: {total} (seed {args.seed})")
    for fmt in FORMATS:
        kinds = {k: n for (f, k), n in sorted(tried.items()) if f == fmt}
        print(f"  {fmt:12} {sum(kinds.values()):5}  " +
              ", ".join(f"{k} {n}" for k, n in kinds.items()))
    print(f"failures found: {len(failures)}")
    for case, fmt, kind, problem in failures[:50]:
        print(f"  case {case} ({fmt}, {kind}, seed {args.seed}): {problem.splitlines()[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
