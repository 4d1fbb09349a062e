"""The format contract as the ingest core relies on it: typed results, declared attributes.

What a caller acts on (a file read again from its start, a warning about an unfinished
end) is a typed field of ``FileRead``, never a key of the reader's opaque state.
"""

from __future__ import annotations

import struct
from pathlib import Path

import crc32c

from curvedoc.ingest.formats import base
from curvedoc.ingest.formats.base import formats
from curvedoc.ingest.formats.lightning_csv import FORMAT as LIGHTNING
from curvedoc.ingest.formats.tensorboard import read_event_file
from curvedoc.ingest.model import FileRead, RunSource


def test_every_registered_format_declares_what_the_registry_uses():
    declared = [name for name in base.Format.__annotations__ if not name.startswith("_")]
    assert {"name", "summary", "version"} <= set(declared)
    for name, fmt in formats().items():
        assert fmt.name == name
        for attr in declared:
            assert isinstance(getattr(fmt, attr), str) and getattr(fmt, attr), (name, attr)
        for method in ("sniff", "find_runs", "read"):
            assert callable(getattr(fmt, method)), (name, method)


def test_a_fresh_read_is_neither_reset_nor_warned_about_its_tail():
    read = FileRead(scalars=None)
    assert read.reset is False and read.tail_warning is None


def _source(path: Path) -> RunSource:
    return RunSource(id=".", name="r", format="lightning_csv", root=str(path.parent),
                     files=(str(path),))


def test_a_rewritten_csv_says_so_on_the_result_not_in_its_state(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("step,loss\n1,0.5\n2,0.4\n")
    first = LIGHTNING.read(_source(path), str(path), None)
    path.write_text("step,acc,loss\n1,0.1,0.5\n")  # Lightning rewrites on a new metric
    second = LIGHTNING.read(_source(path), str(path), first.state)
    assert first.reset is False and second.reset is True
    assert "reset" not in second.state and "reset" not in first.state


def test_an_event_file_cut_mid_record_names_its_tail_on_the_result(tmp_path):
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    def record(data: bytes) -> bytes:
        def masked(b: bytes) -> int:
            c = crc32c.crc32c(b)
            return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

        head = struct.pack("<Q", len(data))
        return head + struct.pack("<I", masked(head)) + data + struct.pack("<I", masked(data))

    events = [Event(wall_time=1.0, step=s, summary=Summary(
        value=[Summary.Value(tag="loss", simple_value=1.0 / (s + 1))])) for s in range(3)]
    blob = b"".join(record(e.SerializeToString()) for e in events)
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(blob[:-5])
    read = read_event_file(str(path))
    assert read.tail_warning is not None and read.tail_warning in read.warnings
    assert "tail_warning" not in read.state and "reset" not in read.state
    assert read.reset is False
