"""The compiled TensorBoard pass (``curvedoc.ingest._tfscan``) against protobuf and the numpy
path, on random event files: unicode tags, NaN/inf and -0.0, int64 steps, simple values and
tensor scalars of each dtype, several values per event, other events, a cut tail, flipped
bits in data and headers."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from crc32c import crc32c
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

from curvedoc.ingest import tfrecord, tfscan
from curvedoc.ingest.formats import tensorboard as tb

pytestmark = pytest.mark.skipif(tfscan._tfscan is None,
                                reason="curvedoc.ingest._tfscan is not built")

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _masked(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", _masked(head)) + data + struct.pack("<I", _masked(data))


tags = st.text(min_size=0, max_size=40)  # unicode, the empty tag included
f32 = st.floats(width=32, allow_nan=True, allow_infinity=True)
f64 = st.floats(allow_nan=True, allow_infinity=True)
steps = st.one_of(st.integers(0, 300), st.integers(-(2**63), 2**63 - 1))


@st.composite
def values(draw):
    """One Summary.Value: a simple value or a scalar tensor (some as TF2 writes them)."""
    tag = draw(tags)
    kind = draw(st.sampled_from(["simple", "simple", "f32", "f32_val", "f64", "f64_val",
                                 "i32", "i64", "vector"]))
    if kind == "simple":
        return summary_pb2.Summary.Value(tag=tag, simple_value=draw(f32))
    t = tensor_pb2.TensorProto()
    if kind == "f32":
        t.dtype, t.tensor_content = 1, np.float32(draw(f32)).tobytes()
    elif kind == "f32_val":
        t.dtype = 1
        t.float_val.append(draw(f32))
    elif kind == "f64":
        t.dtype, t.tensor_content = 2, np.float64(draw(f64)).tobytes()
    elif kind == "f64_val":
        t.dtype = 2
        t.double_val.append(draw(f64))
    elif kind == "i32":
        t.dtype, t.tensor_content = 3, np.int32(draw(st.integers(-(2**31), 2**31 - 1))).tobytes()
    elif kind == "i64":
        t.dtype, t.tensor_content = 9, np.int64(draw(st.integers(-(2**63), 2**63 - 1))).tobytes()
    else:  # a two-element vector is no scalar
        t.dtype = 1
        t.float_val.extend([1.0, 2.0])
        t.tensor_shape.dim.add(size=2)
    t.tensor_shape.SetInParent()
    value = summary_pb2.Summary.Value(tag=tag, tensor=t)
    plugin = draw(st.sampled_from(["scalars", "scalars", None, "images"]))
    if plugin is not None:
        value.metadata.plugin_data.plugin_name = plugin
    return value


@st.composite
def events(draw):
    if draw(st.integers(0, 9)) == 0:  # no summary: the file version, a log message
        return event_pb2.Event(wall_time=draw(f64), file_version="brain.Event:2")
    n = draw(st.sampled_from([1, 1, 1, 2, 3]))
    summary = summary_pb2.Summary(value=[draw(values()) for _ in range(n)])
    return event_pb2.Event(wall_time=draw(f64), step=draw(steps), summary=summary)


def event_file(draw) -> tuple[bytes, list[event_pb2.Event]]:
    """Random events; often many of a few tags in turn, as a training loop logs them."""
    if draw(st.booleans()):
        base = draw(st.lists(events(), min_size=1, max_size=4))
        evs = [base[i % len(base)] for i in range(draw(st.integers(1, 80)))]
        evs = [event_pb2.Event(wall_time=e.wall_time + i, step=i, summary=e.summary)
               if e.HasField("summary") else e for i, e in enumerate(evs)]
    else:
        evs = draw(st.lists(events(), min_size=0, max_size=30))
    return b"".join(record(e.SerializeToString()) for e in evs), evs


def read(buf: bytes, compiled: bool, verify: str = "all"):
    """decode_buffer with one path or the other: (frame, warnings)."""
    saved = tfscan.AVAILABLE
    tfscan.AVAILABLE = compiled
    try:
        report = tb._Report("f")
        frame, _, state = tb.decode_buffer(buf, 0, report, verify=verify, final=True)
        report.finish()
        return frame, report.warnings, state
    finally:
        tfscan.AVAILABLE = saved


def protobuf_rows(evs: list[event_pb2.Event]) -> list[tuple]:
    """What TensorBoard's protobuf path gives for every event (the reference)."""
    rows = []
    for ev in evs:
        got, _ = tb._parse_event(ev.SerializeToString(), event_pb2.Event)
        rows.extend(got)
    return rows


def as_tuples(frame) -> list[tuple]:
    bits = lambda col: frame[col].to_numpy(np.float64).view(np.uint64).tolist()  # noqa: E731
    return list(zip(frame["tag"].astype(str).tolist(), frame["step"].tolist(), bits("value"),
                    bits("wall_time"), strict=True))


def _bits(rows: list[tuple]) -> list[tuple]:
    return [(t, s, np.float64(v).view(np.uint64).item(), np.float64(w).view(np.uint64).item())
            for t, s, v, w in rows]


@SETTINGS
@given(st.data())
def test_compiled_pass_reads_what_protobuf_reads(data):
    buf, evs = event_file(data.draw)

    frame, warnings, state = read(buf, compiled=True)

    assert as_tuples(frame) == _bits(protobuf_rows(evs))  # values bit for bit, NaN payloads
    assert warnings == [] and state == {"offset": len(buf), "scan": False}


@SETTINGS
@given(st.data())
def test_compiled_and_numpy_paths_agree_on_damaged_files(data):
    buf, _ = event_file(data.draw)
    buf = bytearray(buf)
    for _ in range(data.draw(st.integers(0, 3))):  # flipped bits anywhere (data, headers)
        if buf:
            at = data.draw(st.integers(0, len(buf) - 1))
            buf[at] ^= 1 << data.draw(st.integers(0, 7))
    cut = data.draw(st.integers(0, len(buf)))  # a cut tail: a record half written
    buf = bytes(buf[:cut]) if data.draw(st.booleans()) else bytes(buf)

    for verify in ("all", "on_error"):
        fast, fast_warn, fast_state = read(buf, compiled=True, verify=verify)
        slow, slow_warn, slow_state = read(buf, compiled=False, verify=verify)

        assert as_tuples(fast) == as_tuples(slow)
        assert fast_state == slow_state
        # the same damage named (a checksum failure may be one message or one per record)
        kinds = lambda ws: {k for w in ws for k in ("checksum", "corrupt", "truncated",  # noqa: E731
                                                     "decoded", "not a TensorBoard")
                            if k in w}
        assert kinds(fast_warn) == kinds(slow_warn)


def test_a_damaged_record_is_named_and_its_neighbours_kept():
    evs = [event_pb2.Event(wall_time=1.0 + i, step=i, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="loss", simple_value=float(i))]))
        for i in range(100)]
    recs = [record(e.SerializeToString()) for e in evs]
    buf = bytearray(b"".join(recs))
    at = sum(len(r) for r in recs[:40]) + 12 + 3  # data of record 40
    buf[at] ^= 0x10

    frame, warnings, _ = read(bytes(buf), compiled=True)

    _, block = tfscan.frame_and_decode(bytes(buf))
    assert len(block.record) == 99 and block.bad_crc.tolist() == [40]  # the compiled pass
    assert frame["step"].tolist() == [i for i in range(100) if i != 40]
    assert len(warnings) == 1 and "1 record(s) failed their checksum" in warnings[0]
    assert f"first at byte {sum(len(r) for r in recs[:40])}" in warnings[0]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_never_crash_the_compiled_pass(junk, verify):
    framing, block = tfscan.frame_and_decode(junk, verify=verify)

    assert framing.end <= len(junk)
    assert len(block.record) + len(block.bad_crc) <= len(framing.starts)
    ref = tfrecord.frame(junk)
    assert framing.starts.tolist() == ref.starts.tolist() and framing.end == ref.end
    assert framing.corrupt == ref.corrupt and framing.truncated_at == ref.truncated_at


def test_the_kernel_checksum_is_crc32c():
    from curvedoc.ingest import _tfscan

    for n in (0, 1, 7, 8, 9, 63, 64, 1000):
        data = bytes(range(256)) * 4
        assert _tfscan.crc32c(data[:n]) == crc32c(data[:n])


def test_the_kernel_checksum_continues_from_a_value():
    from curvedoc.ingest import _tfscan

    data = bytes(range(256)) * 4
    for cut in (0, 1, 9, 500, len(data)):
        assert _tfscan.crc32c(data[cut:], _tfscan.crc32c(data[:cut])) == crc32c(data)


def test_crc32c_without_the_extension_gives_the_same_values():
    from curvedoc.ingest import crc

    data = bytes(range(256)) * 3
    for cut in (0, 5, 300):
        start = crc.crc32c(data[:cut])
        assert crc._package(data[cut:], start) == crc.crc32c(data[cut:], start) == crc32c(data)


def test_tags_alike_at_both_ends_keep_their_own_codes():
    """The kernel's tag table hashes a tag's length and its first and last 8 bytes: tags
    that differ only in the middle share a hash and must still be told apart."""
    names = [f"metrics/{i:04d}/value_loss" for i in range(300)] + ["a", "ab", "b", ""]
    evs = [event_pb2.Event(wall_time=1.0, step=i, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=names[i % len(names)], simple_value=float(i))]))
        for i in range(3 * len(names))]
    buf = b"".join(record(e.SerializeToString()) for e in evs)

    frame, warnings, _ = read(buf, compiled=True)

    assert frame["tag"].astype(str).tolist() == [names[i % len(names)] for i in range(len(evs))]
    assert frame["value"].tolist() == [float(i) for i in range(len(evs))]
    assert warnings == []


def test_more_tags_than_the_kernel_codes_go_to_protobuf():
    evs = [event_pb2.Event(wall_time=1.0, step=i, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=f"t{i}", simple_value=1.0)]))
        for i in range(tfscan.MAX_TAGS + 10)]
    buf = b"".join(record(e.SerializeToString()) for e in evs)

    frame, warnings, _ = read(buf, compiled=True)

    assert frame["tag"].astype(str).tolist() == [f"t{i}" for i in range(len(evs))]
    assert warnings == []
