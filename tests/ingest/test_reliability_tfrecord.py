"""TFRecord event files, mutated: a loop of seeded mutations over files built from first
principles (the record framing written here with ``struct`` and ``crc32c``).

Promised for every mutated file: the reader never raises, and every point it returns is
one that was written (a checksum guards every record: damage costs records, never gives
a wrong value). An undamaged file, and a file written in random chunks and read on from
its state after each, give exactly what was written.
"""

from __future__ import annotations

import random
import struct

import crc32c
import numpy as np
import pytest
from reliability_model import check_dtypes
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary

from curvedoc.ingest.formats.tensorboard import read_event_file

# every test here reads with the compiled pass and with the numpy path
pytestmark = pytest.mark.usefixtures("tb_kernel")

TAGS = ("loss", "val/loss", "lr", "acc")


def masked(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked(head)) + data + struct.pack("<I", masked(data))


def event_file(rng: random.Random, n: int) -> tuple[bytes, list[tuple[str, int, float]]]:
    """An event file of ``n`` scalars (after the version record) and its points.

    Half the files are regular (tags in turn, as ``add_scalar`` in a loop writes them: the
    vectorised framing and decoding path), half irregular (the protobuf path).
    """
    blobs = [record(Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())]
    points = []
    step = rng.choice([0, (1 << 53) - 5, (1 << 62)])
    regular = rng.random() < 0.5
    for i in range(n):
        tag = TAGS[i % 2] if regular else rng.choice(TAGS)
        value = float(np.float32(rng.uniform(-10, 10)))
        step += (i % 2) if regular else rng.choice([1, 1, 1, 0, 7])
        ev = Event(wall_time=1.7e9 + step, step=step,
                   summary=Summary(value=[Summary.Value(tag=tag, simple_value=value)]))
        blobs.append(record(ev.SerializeToString()))
        points.append((tag, step, value))
    return b"".join(blobs), points


def mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "flips", "truncate", "delete", "insert", "duplicate", "zero",
                       "truncated_then_full", "swap"])
    buf = bytearray(data)
    at = rng.randrange(len(buf))
    if kind == "flip":
        buf[at] ^= 1 << rng.randrange(8)
    elif kind == "flips":
        for _ in range(rng.randint(2, 20)):
            buf[rng.randrange(len(buf))] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        del buf[at:]
    elif kind == "delete":
        del buf[at : at + rng.randint(1, 64)]
    elif kind == "insert":
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == "duplicate":
        end = min(len(buf), at + rng.randint(1, 300))
        buf[end:end] = buf[at:end]
    elif kind == "zero":
        buf[at : at + rng.randint(1, 64)] = bytes(min(64, len(buf) - at))
    elif kind == "truncated_then_full":  # a copy cut short, then the whole file again
        buf = bytearray(data[:at] + data)
    else:
        other = rng.randrange(len(buf))
        buf[at], buf[other] = buf[other], buf[at]
    return kind, bytes(buf)


def points_of(read) -> list[tuple[str, int, float]]:
    frame = read.scalars
    return list(zip(frame["tag"].astype(str).tolist(), frame["step"].tolist(),
                    frame["value"].tolist(), strict=True))


@pytest.mark.parametrize("mode", ["all", "on_error"])
def test_mutated_event_files_never_give_a_point_that_was_not_written(tmp_path, mode):
    """With every checksum verified (the default) no damage gives a wrong point; with the
    opt-in ``on_error`` mode (checksums checked only where decoding fails) a flipped bit
    inside a well-formed record can pass, so that mode is held only to never raising."""
    rng = random.Random(12)
    path = tmp_path / "events.out.tfevents.1.host"
    tried = 0
    for case in range(150):
        data, points = event_file(rng, rng.choice([5, 40, 300]))
        kind, bad = mutate(rng, data)
        path.write_bytes(bad)
        read = read_event_file(str(path), verify=mode)
        check_dtypes(read.scalars)
        written = set(points)
        got = points_of(read)
        wrong = [p for p in got if p not in written]
        assert mode == "on_error" or not wrong, (case, kind, wrong[:3])
        if kind == "truncated_then_full" and mode == "all":  # the full copy is all there
            assert set(got) == written, (case, kind)
        tried += 1
    assert tried == 150


def test_undamaged_files_read_exactly_live_and_cold(tmp_path):
    rng = random.Random(5)
    for case in range(30):
        data, points = event_file(rng, rng.choice([3, 50, 400]))
        cold = tmp_path / f"cold{case}" / "events.out.tfevents.1.host"
        cold.parent.mkdir()
        cold.write_bytes(data)
        assert points_of(read_event_file(str(cold))) == points
        live = tmp_path / f"live{case}" / "events.out.tfevents.1.host"
        live.parent.mkdir()
        cuts = sorted(rng.sample(range(1, len(data)), k=min(8, len(data) - 1)))
        state, got = None, []
        for end in [*cuts, len(data)]:
            with live.open("ab") as fh:
                fh.write(data[live.stat().st_size : end])
            read = read_event_file(str(live), state)
            assert not read.errors
            got = points_of(read) if read.reset else [*got, *points_of(read)]
            state = read.state
            prefix = tmp_path / f"prefix{case}_{end}" / "events.out.tfevents.1.host"
            prefix.parent.mkdir()
            prefix.write_bytes(data[:end])
            assert sorted(got) == sorted(points_of(read_event_file(str(prefix)))), (case, end)
        assert got == points, case


def test_an_event_file_fifo_or_device_is_an_error_not_a_read(tmp_path):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "events.out.tfevents.1.host"
    os.mkfifo(path)
    read = read_event_file(str(path))
    (error,) = read.errors
    assert "FIFO" in error and str(path) in error


