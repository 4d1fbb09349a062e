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
