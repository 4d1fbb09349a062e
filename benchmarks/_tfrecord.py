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
