"""Text logs are read in blocks: the peak memory of a read stays near the frame it gives.

A 222 MB CSV used to peak at 15x its size (read whole, split into Python strings). Here a
20 MB CSV (and smaller JSON-lines and MLflow files) is read under ``tracemalloc``, which
counts every Python and numpy allocation; the peak must stay within 2x the frame.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from format_calls import read

from curvedoc.ingest.formats.csv_table import FORMAT as CSV
from curvedoc.ingest.formats.jsonl import FORMAT as JSONL
from curvedoc.ingest.formats.mlflow_file import FORMAT as MLFLOW
from curvedoc.ingest.model import RunSource

pytestmark = pytest.mark.slow


def _csv(path: Path, megabytes: float) -> None:
    rng = np.random.default_rng(0)
    step = 0
    with path.open("w") as fh:
        fh.write("step,loss,val_loss,acc,lr\n")
        while fh.tell() < megabytes * 1e6:
            block = rng.random((20_000, 4))
            fh.write("".join(f"{step + i},{a:.6f},{b:.6f},{c:.6f},{d:.3e}\n"
                             for i, (a, b, c, d) in enumerate(block)))
            step += 20_000


def _jsonl(path: Path, megabytes: float) -> None:
    rng = np.random.default_rng(1)
    step = 0
    with path.open("w") as fh:
        while fh.tell() < megabytes * 1e6:
            block = rng.random((20_000, 3)).tolist()
            fh.write("".join(f'{{"step": {step + i}, "loss": {a!r}, "acc": {b!r}, "lr": {c!r}}}\n'
                             for i, (a, b, c) in enumerate(block)))
            step += 20_000


def _mlflow(path: Path, megabytes: float) -> None:
    rng = np.random.default_rng(2)
    step = 0
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        while fh.tell() < megabytes * 1e6:
            values = rng.random(20_000).tolist()
            fh.write("".join(f"{1700000000000 + step + i} {v!r} {step + i}\n"
                             for i, v in enumerate(values)))
            step += 20_000


def _peak_ratio(reader) -> tuple[float, int]:
    tracemalloc.start()
    try:
        result = reader()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.errors == []
    frame_bytes = int(result.scalars.memory_usage(deep=True).sum())
    return peak / frame_bytes, len(result.scalars)


def test_a_20_mb_csv_peaks_within_twice_its_frame(tmp_path):
    path = tmp_path / "log.csv"
    _csv(path, 20)
    ratio, rows = _peak_ratio(lambda: read(CSV, path))
    assert rows > 1_500_000
    assert ratio < 2.0, f"peak {ratio:.2f}x the frame"


def test_a_jsonl_log_peaks_within_twice_its_frame(tmp_path):
    path = tmp_path / "log.jsonl"
    _jsonl(path, 20)
    ratio, rows = _peak_ratio(lambda: read(JSONL, path))
    assert rows > 500_000
    assert ratio < 2.0, f"peak {ratio:.2f}x the frame"


def test_an_mlflow_metric_file_peaks_within_twice_its_frame(tmp_path):
    path = tmp_path / "run" / "metrics" / "loss"
    _mlflow(path, 20)
    source = RunSource(id=".", name="r", format="mlflow_file", root=str(tmp_path / "run"),
                       files=(str(path),))
    ratio, rows = _peak_ratio(lambda: MLFLOW.read(source, str(path), None))
    assert rows > 400_000
    assert ratio < 2.0, f"peak {ratio:.2f}x the frame"
