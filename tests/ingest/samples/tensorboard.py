"""TensorBoard samples written with TensorBoard's own writer and protos (no torch).

``write_sample(folder)`` is what the shared reader suite calls; the other helpers build
the events the TensorBoard reader tests need.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.summary.writer.record_writer import RecordWriter

WALL = 1_700_000_000.0


def scalar_event(tag: str, step: int, value: float, wall: float = WALL) -> event_pb2.Event:
    """An event as ``SummaryWriter.add_scalar`` writes it (one simple value)."""
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(wall_time=wall + step, step=step, summary=summary)


def tensor_event(tag: str, step: int, tensor: tensor_pb2.TensorProto,
                 plugin: str | None = "scalars", wall: float = WALL) -> event_pb2.Event:
    """An event as TF2/Keras ``tf.summary.scalar`` writes it (a tensor with a plugin)."""
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin is not None:
        value.metadata.plugin_data.plugin_name = plugin
    return event_pb2.Event(wall_time=wall + step, step=step,
                           summary=summary_pb2.Summary(value=[value]))


def shape(*dims: int) -> tensor_shape_pb2.TensorShapeProto:
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims]
    )


def write_events(folder: Path, events, suffix: str = "") -> Path:
    """Write events with TensorBoard's EventFileWriter; returns the file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.glob("*tfevents*"))
    writer = EventFileWriter(str(folder), max_queue_size=1_000_000, filename_suffix=suffix)
    for ev in events:
        writer.add_event(ev)
    writer.close()
    (path,) = set(folder.glob("*tfevents*")) - before
    return path


def write_records(path: Path, records: list[bytes], mode: str = "wb") -> Path:
    """Write raw record payloads with TensorBoard's own TFRecord framing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode) as fh:
        writer = RecordWriter(fh)
        for data in records:
            writer.write(data)
    return path


def curves(n_steps: int = 40) -> dict[str, list[tuple[int, float]]]:
    """Deterministic train/val curves, with float32-exact values."""
    steps = np.arange(n_steps)
    train = np.float32(2.3) * np.exp(-steps / 15).astype(np.float32) + np.float32(0.1)
    val = train + np.float32(0.05) * (steps / n_steps).astype(np.float32)
    return {
        "train/loss": [(int(s), float(v)) for s, v in zip(steps, train, strict=True)],
        "val/loss": [(int(s), float(v)) for s, v in zip(steps, val, strict=True)],
    }


def write_sample(folder: Path) -> dict:
    """A small valid TensorBoard run in ``folder``: two tags of 40 steps each."""
    data = curves()
    events = [scalar_event(tag, step, v) for tag, pts in data.items() for step, v in pts]
    write_events(Path(folder), sorted(events, key=lambda e: e.step))
    n = sum(len(v) for v in data.values())
    return {"path": Path(folder), "tags": {t: len(v) for t, v in data.items()}, "n": n}
