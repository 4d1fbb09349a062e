"""TFRecord framing for the benchmarks that write many event files quickly.

TensorBoard's own RecordWriter computes its checksums in pure Python, which would make
building the 1,000-run folders take many minutes; this uses the hardware ``crc32c``
package instead. The bytes are the same (the readers' tests check them against
TensorBoard's writer).
"""

from __future__ import annotations

import struct

import crc32c


def masked_crc(data: bytes) -> int:
    """The masked CRC32C that TFRecord stores."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord: length, its checksum, the data, its checksum."""
    header = struct.pack("<Q", len(data))
    return b"".join((header, struct.pack("<I", masked_crc(header)), data,
                     struct.pack("<I", masked_crc(data))))


def write_scalars(path, frame, wall0: float) -> None:
    """An event file at ``path`` holding ``frame``'s (tag, step, value) rows, one event per
    scalar as ``SummaryWriter.add_scalar`` writes them (wall time ``wall0 + step / 10``)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    ev = event_pb2.Event(wall_time=wall0, file_version="brain.Event:2")
    parts = [record(ev.SerializeToString())]
    ev = event_pb2.Event(summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value()]))
    value = ev.summary.value[0]
    for tag, step, val in zip(frame["tag"].astype(str).tolist(), frame["step"].tolist(),
                              frame["value"].tolist(), strict=True):
        ev.step = step
        ev.wall_time = wall0 + step * 0.1
        value.tag = tag
        value.simple_value = val
        parts.append(record(ev.SerializeToString()))
    path.write_bytes(b"".join(parts))


def build_folder(folder, n_runs: int, n_points: int, write_run, *, workers: int | None = None,
                 chunksize: int = 20, every: int = 100) -> None:
    """Write a benchmark folder of ``n_runs`` runs, ``write_run((folder, index, n_points))``
    each, on a process pool; skipped when a complete one exists (its ``.complete`` mark)."""
    import shutil
    import sys
    import time
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    folder = Path(folder)
    if (folder / ".complete").exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        jobs = [(str(folder), i, n_points) for i in range(n_runs)]
        for i, _ in enumerate(pool.map(write_run, jobs, chunksize=chunksize), 1):
            if i % every == 0:
                print(f"  wrote {i}/{n_runs} runs ({time.perf_counter() - t0:.0f} s)",
                      file=sys.stderr)
    (folder / ".complete").write_text("ok\n")
