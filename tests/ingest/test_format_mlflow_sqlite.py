"""MLflow SQLite-store reader: one run per MLflow run, NaN/inf, deleted runs, bad files."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import format_calls
import numpy as np

from curvedoc.ingest.formats.mlflow_sqlite import FORMAT

series = format_calls.series

SCHEMA = """
CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT, lifecycle_stage TEXT);
CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, name TEXT, start_time INTEGER,
    lifecycle_stage TEXT, experiment_id INTEGER);
CREATE TABLE metrics (key TEXT, value FLOAT, timestamp INTEGER, run_uuid TEXT, step INTEGER,
    is_nan BOOLEAN, PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);
CREATE TABLE tags (key TEXT, value TEXT, run_uuid TEXT);
INSERT INTO experiments VALUES (0, 'Default', 'active');
"""
T0 = 1_700_000_000_000


def store(path: Path, runs, metrics=(), params=(), tags=()) -> Path:
    """runs: (uuid, name, start, stage); metrics: (uuid, key, value, step, is_nan)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, 0)", runs)
        conn.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
            [(k, v, T0 + 1000 * s, u, s, nan) for u, k, v, s, nan in metrics],
        )
        conn.executemany("INSERT INTO params VALUES (?, ?, ?)", params)
        conn.executemany("INSERT INTO tags VALUES (?, ?, ?)", tags)
    conn.close()
    return path


def find(folder: Path, root: Path):
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    return FORMAT.find_runs(str(folder), files, [], str(root))


def test_every_mlflow_run_is_a_run_named_from_the_store(tmp_path):
    store(tmp_path / "exp" / "mlflow.db",
          runs=[("u1", "first", 1, "active"), ("u2", None, 2, "active"),
                ("u3", "old", 3, "deleted")],
          tags=[("mlflow.runName", "from-tag", "u2")])
    found = find(tmp_path / "exp", tmp_path)
    assert [(s.id, s.name, s.key) for s in found.runs] == [
        ("exp/mlflow.db#u1", "first", "u1"),
        ("exp/mlflow.db#u2", "from-tag", "u2"),
    ]
    assert found.consumed_files == {"mlflow.db"}


def test_metrics_nan_inf_timestamps_and_params(tmp_path):
    big = sys.float_info.max
    path = store(tmp_path / "mlflow.db", runs=[("u1", "a", 1, "active"), ("u2", "b", 2, "active")],
                 metrics=[("u1", "loss", 2.0, 0, 0), ("u1", "loss", 0.0, 1, 1),
                          ("u1", "loss", big, 2, 0), ("u1", "gn", -big, 0, 0),
                          ("u2", "loss", 9.0, 0, 0)],
                 params=[("lr", "0.001", "u1"), ("opt", "adam", "u1"), ("lr", "1", "u2")])
    source = next(s for s in find(tmp_path, tmp_path).runs if s.key == "u1")
    result = FORMAT.read(source, str(path), None)
    loss = series(result.scalars, "loss")
    assert loss[0] == 2.0 and np.isnan(loss[1]) and loss[2] == np.inf
    assert series(result.scalars, "gn") == {0: -np.inf}
    assert result.scalars["wall_time"].min() == T0 / 1000
    assert result.hparams == {"lr": 0.001, "opt": "adam"}


def test_a_second_read_returns_the_rows_added_since(tmp_path):
    path = store(tmp_path / "mlflow.db", runs=[("u1", "a", 1, "active")],
                 metrics=[("u1", "loss", 2.0, 0, 0)])
    [source] = find(tmp_path, tmp_path).runs
    first = FORMAT.read(source, str(path), None)
    assert len(FORMAT.read(source, str(path), first.state).scalars) == 0
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO metrics VALUES ('loss', 1.0, ?, 'u1', 1, 0)", (T0 + 1000,))
    conn.close()
    second = FORMAT.read(source, str(path), first.state)
    assert series(second.scalars, "loss") == {1: 1.0}


def test_a_file_that_is_not_a_database_is_an_error_on_a_run(tmp_path):
    path = tmp_path / "mlflow.db"
    path.write_bytes(b"this is not sqlite" * 100)
    [source] = find(tmp_path, tmp_path).runs
    result = FORMAT.read(source, str(path), None)
    assert len(result.scalars) == 0
    assert result.errors and "mlflow.db" in result.errors[0]
    assert "not a SQLite database" in result.errors[0]


def test_a_corrupt_database_is_an_error_not_a_crash(tmp_path):
    path = store(tmp_path / "mlflow.db", runs=[("u1", "a", 1, "active")],
                 metrics=[("u1", "loss", 2.0, 0, 0)])
    [source] = find(tmp_path, tmp_path).runs
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    result = FORMAT.read(source, str(path), None)
    assert result.errors and "mlflow.db" in result.errors[0]


def test_other_sqlite_files_are_not_claimed(tmp_path):
    conn = sqlite3.connect(tmp_path / "cache.db")
    conn.execute("CREATE TABLE items (x INTEGER)")
    conn.close()
    (tmp_path / "notes.db").write_bytes(b"plain bytes")
    assert find(tmp_path, tmp_path) is None
    assert not FORMAT.sniff(str(tmp_path / "cache.db"), (tmp_path / "cache.db").read_bytes())
