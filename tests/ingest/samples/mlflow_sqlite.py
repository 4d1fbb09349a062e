"""A small MLflow SQLite store (mlflow.db) with one run, built with sqlite3 (no mlflow)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

RUN_UUID = "9b8a7c6d5e4f30211a2b3c4d5e6f7a8b"

#: The parts of MLflow's schema the reader uses (MLflow's own tables have more columns).
SCHEMA = """
CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT,
    artifact_location TEXT, lifecycle_stage TEXT);
CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, name TEXT, status TEXT, start_time INTEGER,
    end_time INTEGER, lifecycle_stage TEXT, experiment_id INTEGER);
CREATE TABLE metrics (key TEXT, value FLOAT, timestamp INTEGER, run_uuid TEXT,
    step INTEGER, is_nan BOOLEAN,
    PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT, PRIMARY KEY (key, run_uuid));
CREATE TABLE tags (key TEXT, value TEXT, run_uuid TEXT, PRIMARY KEY (key, run_uuid));
"""


def build_store(path: Path, runs: dict[str, list[tuple]], names: dict[str, str]) -> None:
    """Write a store: runs maps run_uuid -> [(key, value, timestamp ms, step, is_nan)]."""
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        conn.execute("INSERT INTO experiments VALUES (0, 'Default', 'mlruns/0', 'active')")
        for uuid, rows in runs.items():
            conn.execute(
                "INSERT INTO runs VALUES (?, ?, 'FINISHED', 1700000000000, NULL, 'active', 0)",
                (uuid, names.get(uuid)),
            )
            conn.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                [(k, v, t, uuid, s, nan) for k, v, t, s, nan in rows],
            )
            conn.execute("INSERT INTO params VALUES ('lr', '0.01', ?)", (uuid,))
    conn.close()


def write_sample(folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        ("loss", 2.3, 1700000000000, 0, 0),
        ("loss", 1.5, 1700000001000, 1, 0),
        ("loss", 1.1, 1700000002000, 2, 0),
        ("val_loss", 1.7, 1700000001500, 1, 0),
        ("val_loss", 1.3, 1700000002500, 2, 0),
    ]
    path = folder / "mlflow.db"
    build_store(path, {RUN_UUID: rows}, {RUN_UUID: "calm-owl-3"})
    return {"path": path, "tags": {"loss": 3, "val_loss": 2}, "n": 5}
