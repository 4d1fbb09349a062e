"""Reading TensorBoard event files: values, tensor scalars, hparams, incremental reads."""

from __future__ import annotations

import importlib.util
import math
import struct
from pathlib import Path

import numpy as np
import pytest
from crc32c import crc32c
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2
from tensorboard.plugins.hparams import summary_v2

from curvedoc.ingest import tfrecord
from curvedoc.ingest.formats.tensorboard import read_event_file, tensor_scalar

# every test here reads with the compiled pass and with the numpy path
pytestmark = pytest.mark.usefixtures("tb_kernel")

_spec = importlib.util.spec_from_file_location(
    "tb_samples_read", Path(__file__).parent / "samples" / "tensorboard.py"
)
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)

f32 = np.float32


def as_rows(frame):
    return list(zip(frame["tag"].astype(str), frame["step"].tolist(), frame["value"].tolist(),
                    strict=True))


@pytest.mark.parametrize("n_steps", [3, 400])  # 3: protobuf path; 400: vectorised path
def test_simple_values_read_exactly_with_nan_and_inf(tmp_path, n_steps):
    special = {1: math.nan, 2: math.inf, 3: -math.inf}
    expected = []
    events = []
    for step in [*range(n_steps), 20_000, 3_000_000_000]:
        for tag in ("loss", "val/accuracy_top1"):
            v = special.get(step, float(f32(1.0 / (step + 1))))
            events.append(S.scalar_event(tag, step, v))
            expected.append((tag, step, v))
    path = S.write_events(tmp_path, events)

    got = read_event_file(str(path))

    assert got.errors == [] and got.warnings == []
    assert got.scalars.columns.tolist() == ["tag", "step", "value", "wall_time"]
    assert got.scalars["tag"].dtype == "category"
    assert got.scalars["step"].dtype == np.int64
    rows = as_rows(got.scalars)
    assert len(rows) == len(expected)
    for (t1, s1, v1), (t2, s2, v2) in zip(rows, expected, strict=True):
        assert (t1, s1) == (t2, s2)
        assert v1 == v2 or (math.isnan(v1) and math.isnan(v2))
    assert got.scalars["wall_time"].tolist() == [S.WALL + s for _, s, _ in expected]


def test_vectorised_and_protobuf_paths_agree(tmp_path):
    events = [S.scalar_event(f"t{k % 3}", k // 3, float(f32(k * 0.37 - 5))) for k in range(300)]
    path = S.write_events(tmp_path, events)
    buf = path.read_bytes()
    framing = tfrecord.frame(buf)
    data = np.frombuffer(buf, np.uint8)
    block = tfrecord.decode_scalars(data, framing.starts, framing.lengths)

    parsed = [event_pb2.Event.FromString(buf[s : s + n])
              for s, n in zip(framing.starts[block.record], framing.lengths[block.record],
                              strict=True)]
    assert len(block.record) >= 290  # nearly all records take the fast path
    assert block.step.tolist() == [e.step for e in parsed]
    assert block.value.tolist() == [e.summary.value[0].simple_value for e in parsed]
    assert block.wall_time.tolist() == [e.wall_time for e in parsed]
    assert [block.tags[c].decode() for c in block.codes] == [e.summary.value[0].tag
                                                             for e in parsed]


def _tensor(dtype, **fields):
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=S.shape(), **fields)


TENSORS = {
    "float_val": (_tensor(1, float_val=[0.25]), 0.25),
    "float_content": (_tensor(1, tensor_content=np.float32(1.5).tobytes()), 1.5),
    "double_val": (_tensor(2, double_val=[0.1]), 0.1),
    "double_content": (_tensor(2, tensor_content=np.float64(-2.75).tobytes()), -2.75),
    "half_val": (_tensor(19, half_val=[int(np.float16(0.5).view(np.uint16))]), 0.5),
    "half_content": (_tensor(19, tensor_content=np.float16(3.0).tobytes()), 3.0),
    "bfloat16_val": (_tensor(14, half_val=[0x3FC0]), 1.5),
    "int32_val": (_tensor(3, int_val=[7]), 7.0),
    "int8_val": (_tensor(6, int_val=[-3]), -3.0),
    "uint8_content": (_tensor(4, tensor_content=np.uint8(200).tobytes()), 200.0),
    "int64_val": (_tensor(9, int64_val=[2**40]), float(2**40)),
    "int64_content": (_tensor(9, tensor_content=np.int64(-5).tobytes()), -5.0),
    "bool_val": (_tensor(10, bool_val=[True]), 1.0),
    "one_element_1d": (tensor_pb2.TensorProto(dtype=1, tensor_shape=S.shape(1),
                                              float_val=[4.0]), 4.0),
}


@pytest.mark.parametrize("name", sorted(TENSORS))
def test_tensor_scalars_of_each_dtype(tmp_path, name):
    tensor, want = TENSORS[name]
    path = S.write_events(tmp_path, [S.tensor_event("epoch_loss", 3, tensor)])

    got = read_event_file(str(path))

    assert got.errors == [] and got.warnings == []
    assert as_rows(got.scalars) == [("epoch_loss", 3, want)]


def test_tensor_scalar_rejects_non_scalars():
    assert tensor_scalar(tensor_pb2.TensorProto(dtype=1, tensor_shape=S.shape(3),
                                                float_val=[1, 2, 3])) is None
    assert tensor_scalar(_tensor(7, string_val=[b"text"])) is None  # DT_STRING


def test_hparams_from_the_hparams_plugin(tmp_path):
    summary = summary_v2.hparams_pb({"lr": 0.1, "optimizer": "adam", "bn": True, "layers": 4})
    events = [event_pb2.Event(wall_time=S.WALL, summary=summary), S.scalar_event("loss", 0, 1.0)]
    path = S.write_events(tmp_path, events)

    got = read_event_file(str(path))

    assert got.hparams == {"lr": 0.1, "optimizer": "adam", "bn": True, "layers": 4.0}
    assert as_rows(got.scalars) == [("loss", 0, 1.0)]  # the hparams tensor is not a scalar


def test_non_scalar_events_are_skipped(tmp_path):
    histo = summary_pb2.HistogramProto(min=0, max=1, num=2, sum=1, bucket_limit=[1], bucket=[2])
    image = summary_pb2.Summary.Image(height=1, width=1, colorspace=1, encoded_image_string=b"x")
    text = tensor_pb2.TensorProto(dtype=7, tensor_shape=S.shape(), string_val=[b"hello"])
    vector = tensor_pb2.TensorProto(dtype=1, tensor_shape=S.shape(3), float_val=[1, 2, 3])
    events = [
        event_pb2.Event(wall_time=S.WALL, graph_def=b"\x0a\x00" * 50),
        event_pb2.Event(wall_time=S.WALL, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="w", histo=histo)])),
        event_pb2.Event(wall_time=S.WALL, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="img", image=image)])),
        S.tensor_event("notes", 1, text, plugin="text"),
        S.tensor_event("pr", 1, vector, plugin="pr_curves"),
        event_pb2.Event(wall_time=S.WALL, session_log=event_pb2.SessionLog(status=1)),
        event_pb2.Event(wall_time=S.WALL, log_message=event_pb2.LogMessage(message="hi")),
        *[S.scalar_event("loss", s, 1.0 / (s + 1)) for s in range(40)],
    ]
    path = S.write_events(tmp_path, events)

    got = read_event_file(str(path))

    assert got.errors == [] and got.warnings == []
    assert got.scalars["tag"].astype(str).unique().tolist() == ["loss"]
    assert got.scalars["step"].tolist() == list(range(40))


def test_several_values_in_one_summary(tmp_path):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v)
                                         for t, v in [("a", 1.0), ("b", 2.0)]])
    path = S.write_events(tmp_path, [event_pb2.Event(wall_time=S.WALL, step=5, summary=summary)])

    assert as_rows(read_event_file(str(path)).scalars) == [("a", 5, 1.0), ("b", 5, 2.0)]


def test_incremental_read_returns_only_appended_records(tmp_path):
    first = S.write_events(tmp_path, [S.scalar_event("loss", s, float(s)) for s in range(100)])
    head = read_event_file(str(first))
    more = [S.scalar_event("loss", s, float(s)).SerializeToString() for s in range(100, 150)]
    S.write_records(first, more, mode="ab")

    tail = read_event_file(str(first), head.state)
    again = read_event_file(str(first), tail.state)

    assert head.scalars["step"].tolist() == list(range(100))
    assert tail.scalars["step"].tolist() == list(range(100, 150))
    assert tail.warnings == [] and len(again.scalars) == 0
    assert again.state["offset"] == first.stat().st_size


def test_half_written_record_is_picked_up_on_the_next_read(tmp_path):
    full = S.write_events(tmp_path / "full", [S.scalar_event("loss", s, s / 2) for s in range(60)])
    data = full.read_bytes()
    framing = tfrecord.frame(data)
    cut = int(framing.starts[40]) + 5  # inside the 41st record (index 40)
    growing = tmp_path / "run" / full.name
    growing.parent.mkdir()
    growing.write_bytes(data[:cut])

    part = read_event_file(str(growing))
    growing.write_bytes(data)
    rest = read_event_file(str(growing), part.state)

    record_start = int(framing.starts[40]) - tfrecord.HEADER
    assert part.errors == []
    assert part.warnings == [f"{growing}: truncated last record at byte {record_start}: the file "
                             "may still be being written (it is read on the next refresh); if "
                             "training has stopped, the last event was lost."]
    assert part.scalars["step"].tolist() == list(range(39))  # record 0 is the file version
    assert rest.scalars["step"].tolist() == list(range(39, 60)) and rest.warnings == []


def test_vectorised_crc_equals_crc32c():
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, size=(200, 37), dtype=np.uint8)
    rows[:, :10] = rows[0, :10]  # constant columns, as in real records
    assert tfrecord.crc32c_rows(rows).tolist() == [crc32c(r.tobytes()) for r in rows]


def test_framing_of_irregular_lengths_matches_a_plain_walk(tmp_path):
    rng = np.random.default_rng(2)
    payloads = [bytes(rng.integers(0, 256, int(n), dtype=np.uint8))
                for n in np.r_[rng.integers(0, 300, 500), np.full(3000, 33), [0, 70000],
                               np.tile([*[40] * 9, 55], 300), np.tile([30, 31, 32], 700)]]
    path = S.write_records(tmp_path / "events.out.tfevents.1.x", payloads)
    buf = path.read_bytes()

    framing = tfrecord.frame(buf)

    starts, off = [], 0
    while off < len(buf):
        (length,) = struct.unpack_from("<Q", buf, off)
        starts.append(off + 12)
        off += 16 + length
    assert framing.starts.tolist() == starts
    assert framing.lengths.tolist() == [len(p) for p in payloads]
    assert framing.end == len(buf) and framing.corrupt == []


def test_reading_in_small_chunks_gives_the_same_frame(tmp_path, monkeypatch):
    from curvedoc.ingest.formats import tensorboard as tb

    big = event_pb2.Event(wall_time=S.WALL, graph_def=b"g" * 5000)  # larger than a chunk
    events = [S.scalar_event(f"t{k % 3}", k, k / 7) for k in range(300)]
    path = S.write_events(tmp_path, [*events[:150], big, *events[150:]])
    whole = read_event_file(str(path))
    monkeypatch.setattr(tb, "CHUNK_BYTES", 1000)

    chunked = read_event_file(str(path))

    assert chunked.warnings == [] and chunked.errors == []
    assert chunked.scalars["tag"].dtype == "category"
    assert as_rows(chunked.scalars) == as_rows(whole.scalars)
    assert len(whole.scalars) == 300
    assert chunked.state == whole.state


def test_a_replaced_file_is_read_again_from_the_start(tmp_path):
    path = S.write_events(tmp_path, [S.scalar_event("loss", s, 1.0) for s in range(100)])
    before = read_event_file(str(path))
    S.write_records(path, [S.scalar_event("loss", 7, 2.0).SerializeToString()])

    after = read_event_file(str(path), before.state)
    later = read_event_file(str(path), after.state)

    assert after.reset is True
    assert "read again from the start" in after.warnings[0] and str(path) in after.warnings[0]
    assert as_rows(after.scalars) == [("loss", 7, 2.0)]
    assert not later.reset and len(later.scalars) == 0


FAST_TENSORS = {
    "float_content": (1, "tensor_content", np.float32),
    "float_val": (1, "float_val", np.float32),
    "double_content": (2, "tensor_content", np.float64),
    "double_val": (2, "double_val", np.float64),
    "int32_content": (3, "tensor_content", np.int32),
    "int64_content": (9, "tensor_content", np.int64),
}


@pytest.mark.parametrize("plugin", ["scalars", None])
@pytest.mark.parametrize("name", sorted(FAST_TENSORS))
def test_many_tensor_scalars_take_the_vectorised_path(tmp_path, name, plugin):
    dtype, field, np_type = FAST_TENSORS[name]
    values = (np.arange(60) * 3 - 7).astype(np_type)
    events = []
    for step, v in enumerate(values):
        payload = {"tensor_content": v.tobytes()} if field == "tensor_content" else {field: [v]}
        tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=S.shape(), **payload)
        events.append(S.tensor_event("batch_loss", step, tensor, plugin=plugin))
    path = S.write_events(tmp_path, events)
    buf = path.read_bytes()
    framing = tfrecord.frame(buf)

    got = read_event_file(str(path))
    block = tfrecord.decode_scalars(np.frombuffer(buf, np.uint8), framing.starts,
                                           framing.lengths)

    assert got.errors == [] and got.warnings == []
    assert as_rows(got.scalars) == [("batch_loss", s, float(v)) for s, v in enumerate(values)]
    assert len(block.record) >= 55
