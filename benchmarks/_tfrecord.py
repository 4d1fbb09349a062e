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
