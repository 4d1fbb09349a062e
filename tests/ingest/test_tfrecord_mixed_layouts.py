"""The header scan and one-pass decoder on irregular layouts (per-step loss between
per-epoch validation, lr and gradient norm), checked against a plain walk and protobuf."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest
from crc32c import crc32c
from tensorboard.compat.proto import event_pb2

from curvedoc.ingest import tfrecord
from curvedoc.ingest.formats.tensorboard import read_event_file

# every test here reads with the compiled pass and with the numpy path
pytestmark = pytest.mark.usefixtures("tb_kernel")

_spec = importlib.util.spec_from_file_location(
    "tb_samples", Path(__file__).parent / "samples" / "tensorboard.py")
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)


def _mixed_events(n_steps: int = 3000):
    """Events the way a training loop logs them: lengths change with tags and step widths."""
    rng = np.random.default_rng(3)
    events = []
    for step in range(n_steps):
        events.append(S.scalar_event("train/loss", step, float(np.float32(rng.random()))))
        if step % 7 == 0:
            events.append(S.scalar_event("grad_norm", step, float(np.float32(rng.random()))))
        if step % 50 == 0:
            events.append(S.scalar_event("lr", step, 0.1))
        if step % 97 == 0:
            events.append(S.scalar_event("validation/loss", step, float("nan")))
    return events


def _plain_walk(buf: bytes) -> list[int]:
    starts, off = [], 0
    while off + 12 <= len(buf):
        (length,) = struct.unpack_from("<Q", buf, off)
        if off + 16 + length > len(buf):
            break
        starts.append(off + 12)
        off += 16 + length
    return starts


def test_irregular_layout_frames_and_decodes_like_protobuf(tmp_path):
    events = _mixed_events()
    buf = S.write_events(tmp_path, events).read_bytes()

    framing = tfrecord.frame(buf)
    block = tfrecord.decode_scalars(np.frombuffer(buf, np.uint8), framing.starts,
                                    framing.lengths)

    assert framing.starts.tolist() == _plain_walk(buf) and framing.end == len(buf)
    parsed = [event_pb2.Event.FromString(buf[s : s + n])
              for s, n in zip(framing.starts.tolist(), framing.lengths.tolist(), strict=True)]
    scalars = [i for i, e in enumerate(parsed) if e.HasField("summary")]
    assert block.record.tolist() == scalars  # every scalar record took the fast path
    assert block.step.tolist() == [parsed[i].step for i in scalars]
    assert [block.tags[c].decode() for c in block.codes] == [parsed[i].summary.value[0].tag
                                                             for i in scalars]
    assert len(block.bad_crc) == 0


def test_irregular_layout_with_a_cut_tail_and_a_damaged_record(tmp_path):
    buf = bytearray(S.write_events(tmp_path, _mixed_events(2000)).read_bytes())
    starts = _plain_walk(bytes(buf))
    buf[starts[1500] + 3] ^= 0x40  # data of record 1500: its checksum fails
    cut = bytes(buf[: starts[-1] + 5])  # the last record half written
    path = tmp_path / "cut" / "events.out.tfevents.1.x"
    path.parent.mkdir()
    path.write_bytes(cut)

    got = read_event_file(str(path))

    assert len(got.scalars) == len(starts) - 1 - 2  # the file version, the cut, the damaged
    assert any("failed their checksum" in w and str(starts[1500] - 12) in w
               for w in got.warnings)
    assert any("truncated last record" in w for w in got.warnings)
    assert got.state["offset"] == starts[-1] - 12


def test_crc_of_records_of_any_lengths_at_once():
    rng = np.random.default_rng(4)
    payloads = [bytes(rng.integers(0, 256, int(n), dtype=np.uint8))
                for n in rng.integers(1, 160, 400)]
    buf = b"".join(p + struct.pack("<I", tfrecord.masked_crc32c(p)) for p in payloads)
    data = bytearray(buf)
    data[len(payloads[0]) + 4 + 2] ^= 1  # damage the second record
    lengths = np.asarray([len(p) for p in payloads], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths + 4)[:-1]])

    ok = tfrecord.crc_ok(np.frombuffer(bytes(data), np.uint8), starts, lengths)

    assert ok.tolist() == [i != 1 for i in range(len(payloads))]
    assert crc32c(payloads[0]) != 0  # the hardware crc32c agrees (sanity)


def test_zero_filled_large_records_are_walked(tmp_path):
    sizes = [30, 31, 50_000, 120_000, 33] * 40
    path = S.write_records(tmp_path / "events.out.tfevents.1.z", [bytes(n) for n in sizes])
    framing = tfrecord.frame(path.read_bytes())
    assert framing.lengths.tolist() == sizes and framing.corrupt == []
