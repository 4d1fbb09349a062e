"""Bad TensorBoard input: every case gives a clear message naming the file, never a crash."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2

from curvedoc.ingest import tfrecord
from curvedoc.ingest.formats import tensorboard as tb
from curvedoc.ingest.formats.tensorboard import read_event_file

# every test here reads with the compiled pass and with the numpy path
pytestmark = pytest.mark.usefixtures("tb_kernel")

_spec = importlib.util.spec_from_file_location(
    "tb_samples_bad", Path(__file__).parent / "samples" / "tensorboard.py"
)
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)

MODES = ["all", "on_error"]


def scalar_file(folder: Path, n: int = 200) -> tuple[Path, bytes, tfrecord.Framing]:
    path = S.write_events(folder, [S.scalar_event("loss", s, s / 4) for s in range(n)])
    data = path.read_bytes()
    return path, data, tfrecord.frame(data)


def corrupt(path: Path, data: bytes, at: int) -> None:
    buf = bytearray(data)
    buf[at] ^= 0xFF
    path.write_bytes(bytes(buf))


@pytest.mark.parametrize("n", [10, 200])  # protobuf path and vectorised path
def test_corrupt_data_in_the_middle_skips_that_record(tmp_path, n):
    path, data, framing = scalar_file(tmp_path, n)
    bad = n // 2  # record index; record 0 is the file version, so step bad - 1
    corrupt(path, data, int(framing.starts[bad]) + int(framing.lengths[bad]) - 2)

    got = read_event_file(str(path), verify="all")

    assert got.errors == []
    assert got.scalars["step"].tolist() == [s for s in range(n) if s != bad - 1]
    offset = int(framing.starts[bad]) - tfrecord.HEADER
    assert len(got.warnings) == 1
    assert str(path) in got.warnings[0] and f"byte {offset}" in got.warnings[0]
    assert "checksum" in got.warnings[0] and "copy it again" in got.warnings[0]


@pytest.mark.parametrize("mode", MODES)
def test_corrupt_header_in_the_middle_resynchronises(tmp_path, mode):
    path, data, framing = scalar_file(tmp_path)
    corrupt(path, data, int(framing.starts[100]) - tfrecord.HEADER + 2)  # its length

    got = read_event_file(str(path), verify=mode)

    offset = int(framing.starts[100]) - tfrecord.HEADER
    assert got.errors == []
    assert got.scalars["step"].tolist() == [s for s in range(200) if s != 99]
    assert len(got.warnings) == 1
    assert got.warnings[0].startswith(f"{path}: corrupt record at byte {offset}")
    assert "Records before it are kept" in got.warnings[0]


def test_truncated_last_record_keeps_complete_records(tmp_path):
    path, data, framing = scalar_file(tmp_path, 50)
    path.write_bytes(data[:-3])

    got = read_event_file(str(path))

    assert got.errors == []
    assert got.scalars["step"].tolist() == list(range(49))
    start = int(framing.starts[-1]) - tfrecord.HEADER
    assert got.warnings[0].startswith(f"{path}: truncated last record at byte {start}")
    assert got.state["offset"] == start


def test_empty_file_is_a_warning_not_a_crash(tmp_path):
    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    path.write_bytes(b"")

    got = read_event_file(str(path))

    assert got.errors == [] and len(got.scalars) == 0
    assert got.warnings == [f"{path}: empty event file (no events yet): if training is running "
                            "it fills up and is read on the next refresh; otherwise delete it."]


@pytest.mark.parametrize("size", [7, 5000, 2_000_000])
def test_random_bytes_named_like_an_event_file(tmp_path, size):
    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    path.write_bytes(np.random.default_rng(size).integers(0, 256, size, np.uint8).tobytes())

    got = read_event_file(str(path))

    assert len(got.scalars) == 0
    problems = got.errors + got.warnings
    assert problems and all(p.startswith(f"{path}: ") for p in problems)
    if size > 12:
        assert got.errors == [
            f"{path}: not a TensorBoard event file: no valid record in its {size} bytes, though "
            "it is named like one (*tfevents*). Remove or rename it, or copy it again if it was "
            "damaged."
        ]


def test_zero_filled_tail_is_reported_and_rescanned_quietly(tmp_path):
    path, data, _ = scalar_file(tmp_path, 30)
    path.write_bytes(data + bytes(4096))

    first = read_event_file(str(path))
    second = read_event_file(str(path), first.state)

    assert first.scalars["step"].tolist() == list(range(30))
    assert len(first.warnings) == 1 and f"corrupt record at byte {len(data)}" in first.warnings[0]
    assert second.warnings == [] and len(second.scalars) == 0


def _odd_tag_records(n: int) -> list[bytes]:
    records = []
    for step in range(n):
        value = summary_pb2.Summary.Value(tag="lossX", simple_value=float(step))
        summary = summary_pb2.Summary(value=[value])
        ev = event_pb2.Event(wall_time=S.WALL, step=step, summary=summary)
        records.append(ev.SerializeToString().replace(b"lossX", b"loss\xff"))
    return records


@pytest.mark.parametrize("verify", ["all", "on_error"])
@pytest.mark.parametrize("n", [3, 100])  # lenient wire-level path and vectorised path
def test_odd_bytes_in_a_tag_name(tmp_path, n, verify):
    path = S.write_records(tmp_path / "events.out.tfevents.1700000000.h.1.0", _odd_tag_records(n))

    got = read_event_file(str(path), verify=verify)

    assert got.errors == []
    assert got.scalars["tag"].astype(str).unique().tolist() == ["loss\ufffd"]
    assert got.scalars["value"].tolist() == [float(s) for s in range(n)]
    assert len(got.warnings) == 1
    assert got.warnings[0].startswith(f"{path}: tag 'loss\ufffd' (at byte ")
    assert "is not valid UTF-8" in got.warnings[0]


def test_git_lfs_pointer(tmp_path):
    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n")

    got = read_event_file(str(path))

    assert len(got.scalars) == 0
    assert got.errors == [f"{path}: a Git LFS pointer, not the event file itself; run "
                          "`git lfs pull` to fetch it."]


def test_file_that_disappeared(tmp_path):
    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"

    got = read_event_file(str(path))

    assert len(got.scalars) == 0
    assert got.errors == [f"{path}: the file disappeared while reading; refresh to re-scan."]


def test_undecodable_event_with_a_good_checksum(tmp_path):
    good = S.scalar_event("loss", 1, 1.0).SerializeToString()
    path = S.write_records(tmp_path / "events.out.tfevents.1.h", [b"\x2a\x05\x0a\x03", good])

    got = read_event_file(str(path), verify="on_error")

    assert got.scalars["step"].tolist() == [1]
    assert len(got.warnings) == 1
    assert got.warnings[0].startswith(f"{path}: event at byte 0 could not be decoded")


def test_many_problems_are_summarised(tmp_path, tb_kernel):
    path, data, framing = scalar_file(tmp_path, 12)
    buf = bytearray(data)
    for k in range(1, 12):  # damage the data of 11 small records
        buf[int(framing.starts[k]) + 1] ^= 0xFF
    path.write_bytes(bytes(buf))

    got = read_event_file(str(path), verify="all")

    assert len(got.scalars) == 1
    if tb_kernel == "numpy":  # too few records to vectorise: protobuf names each, then counts
        assert len(got.warnings) == tb.MAX_MESSAGES + 1
        assert got.warnings[-1] == f"{path}: {11 - tb.MAX_MESSAGES} more checksum problems"
    else:  # the compiled pass checked them all at once: one message with count and place
        first = int(framing.starts[1]) - tfrecord.HEADER
        assert got.warnings == [f"{path}: 11 record(s) failed their checksum and were skipped "
                                f"(first at byte {first}); the file is damaged: copy it again "
                                "if you can."]


@pytest.mark.parametrize("n", [3, 100])
def test_a_flip_that_makes_a_tag_odd_is_damage_even_when_checking_only_on_error(tmp_path, n):
    """With ``on_error`` a tag that is not UTF-8 is a decoding failure: its record's checksum
    is checked, so a bit flipped inside a tag drops that record, never gives a new tag."""
    records = [event_pb2.Event(wall_time=S.WALL, step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="loss", simple_value=float(step))]))
        .SerializeToString() for step in range(n)]
    path = S.write_records(tmp_path / "events.out.tfevents.1700000000.h.1.0", records)
    data = bytearray(path.read_bytes())
    at = data.index(b"loss", 16 * 2 + sum(len(r) for r in records[:2]))  # record 2's tag
    data[at + 1] ^= 0x80  # "l\xefss": not UTF-8
    path.write_bytes(bytes(data))

    got = read_event_file(str(path), verify="on_error")

    assert got.scalars["tag"].astype(str).unique().tolist() == ["loss"]
    assert got.scalars["step"].tolist() == [s for s in range(n) if s != 2]
    assert len(got.warnings) == 1 and "checksum" in got.warnings[0]
