"""Growing CSV, JSON-lines and MLflow logs through the catalog: a refresh adds only new points."""

from __future__ import annotations

import json

from curvedoc.ingest import open_root


def points(run, tag):
    rows = run.scalars[run.scalars["tag"] == tag]
    return dict(zip(rows["step"].tolist(), rows["value"].tolist(), strict=True))


def test_growing_logs_refresh_to_exactly_the_logged_points(tmp_path):
    csv_run = tmp_path / "keras"
    csv_run.mkdir()
    (csv_run / "training.log").write_text("epoch,loss,val_loss\n0,1.0,1.1\n")
    jsonl_run = tmp_path / "custom"
    jsonl_run.mkdir()
    (jsonl_run / "log.jsonl").write_text(json.dumps({"step": 0, "loss": 2.0}) + "\n")
    catalog = open_root(str(tmp_path), cache=False)
    assert points(catalog.runs["keras"], "loss") == {0: 1.0}

    with (csv_run / "training.log").open("a") as fh:
        fh.write("1,0.8,0.9\n2,0.7,NA\n")
    with (jsonl_run / "log.jsonl").open("a") as fh:
        fh.write(json.dumps({"step": 1, "loss": 1.5}) + "\nnot json\n")
    changed = catalog.refresh()
    assert changed == {"keras", "custom"}
    assert points(catalog.runs["keras"], "loss") == {0: 1.0, 1: 0.8, 2: 0.7}
    assert points(catalog.runs["keras"], "val_loss") == {0: 1.1, 1: 0.9}
    assert points(catalog.runs["custom"], "loss") == {0: 2.0, 1: 1.5}
    assert any("line 3" in w for w in catalog.runs["custom"].warnings)
    assert catalog.refresh() == set()


def test_a_rewritten_csv_replaces_what_was_read_before(tmp_path):
    run = tmp_path / "fit"
    run.mkdir()
    log = run / "history.csv"
    log.write_text("step,loss,acc\n0,1.0,0.1\n1,0.9,0.2\n")
    catalog = open_root(str(tmp_path), cache=False)
    assert points(catalog.runs["fit"], "loss") == {0: 1.0, 1: 0.9}

    # a new training started in the same folder and wrote a longer file with other columns
    log.write_text("step,loss,top5\n0,2.0,0.5\n1,1.8,0.6\n2,1.6,0.7\n3,1.5,0.8\n")
    assert catalog.refresh() == {"fit"}
    run_now = catalog.runs["fit"]
    assert points(run_now, "loss") == {0: 2.0, 1: 1.8, 2: 1.6, 3: 1.5}
    assert "acc" not in set(run_now.scalars["tag"])


def test_a_half_written_event_is_no_longer_reported_once_a_refresh_completes_it(tmp_path):
    import io

    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    def record(step: int, value: float) -> bytes:
        value_pb = summary_pb2.Summary.Value(tag="train/loss", simple_value=value)
        event = event_pb2.Event(wall_time=1e9 + step, step=step,
                                summary=summary_pb2.Summary(value=[value_pb]))
        buf = io.BytesIO()
        RecordWriter(buf).write(event.SerializeToString())
        return buf.getvalue()

    run = tmp_path / "live"
    run.mkdir()
    log = run / "events.out.tfevents.1.host"
    first, second = record(0, 2.0), record(1, 1.5)
    log.write_bytes(first + second[:7])  # the writer is in the middle of the second event
    catalog = open_root(str(tmp_path), cache=False)
    assert points(catalog.runs["live"], "train/loss") == {0: 2.0}
    assert any("truncated last record" in w for w in catalog.runs["live"].warnings)

    with log.open("ab") as fh:
        fh.write(second[7:])
    assert catalog.refresh() == {"live"}
    assert points(catalog.runs["live"], "train/loss") == {0: 2.0, 1: 1.5}
    assert not any("truncated" in w for w in catalog.runs["live"].warnings)
