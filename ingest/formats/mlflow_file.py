"""MLflow file store: ``mlruns/<experiment_id>/<run_id>/``.

A run folder holds ``meta.yaml``, ``metrics/<key>`` (one line per point:
``<timestamp ms> <value> [<step>]``; keys containing "/" are nested folders),
``params/<key>`` (one value per file -> hparams), ``tags/mlflow.runName`` (the run
name) and ``artifacts/`` (whose logs, event files under ``artifacts/tensorboard/`` say,
discovery reads as part of the run). Each run folder is one run; its id is its path relative
to the root. Deleted runs (``lifecycle_stage: deleted``), ``.trash`` and logged
models (``<experiment>/models/``) are skipped. Metric files only grow, so a
re-read returns the appended lines.
"""

from __future__ import annotations

import io
import posixpath
from typing import Any

import numpy as np
import pandas as pd
import yaml

from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

META = "meta.yaml"
RUN_NAME_TAG = "mlflow.runName"
ARTIFACTS = "artifacts"


def is_run_folder(files: list[str], subdirs: list[str]) -> bool:
    """A folder with ``meta.yaml`` and a ``metrics/`` sub-folder."""
    return META in files and "metrics" in subdirs


def read_meta(folder: str) -> dict[str, Any]:
    """The run's meta.yaml as a dict ({} when missing or unreadable)."""
    text = tab.read_text(tab.join(folder, META))
    try:
        meta = yaml.safe_load(text) if text else {}
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def run_folder_of(source: RunSource) -> str:
    return source.root if source.id == "." else tab.join(source.root, source.id)


def parse_value(text: str) -> Any:
    """A param's text as int or float when it is one, else the text."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_params(folder: str) -> dict[str, Any]:
    """``params/<key>`` files (nested for keys with "/") -> {key: value}."""
    base = tab.join(folder, "params")
    params = {}
    for path in tab.list_files(base):
        text = tab.read_text(path)
        if text is not None:
            params[tab.rel_id(path, base)] = parse_value(text)
    return params


def parse_metric_line(line: str) -> tuple[float, float, int] | None:
    """(timestamp s, value, step) of one metric line, or None when it does not parse."""
    parts = line.split()
    if len(parts) not in (2, 3):
        return None
    try:
        stamp = int(parts[0]) / 1000.0
        value = float(parts[1])
        step = int(parts[2]) if len(parts) == 3 else 0
    except ValueError:
        return None
    return stamp, value, step


def fast_points(lines: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(wall_time s, value, step) of metric lines with pandas' C parser; None if any is odd."""
    if not lines:
        return np.array([]), np.array([]), np.array([], dtype=np.int64)
    if any(" " not in line.strip() for line in lines):
        return None  # a line with one token: the slow path names it
    try:
        table = pd.read_csv(
            io.StringIO("\n".join(lines)), sep=" ", header=None, names=["t", "v", "s"],
            dtype={"t": np.float64, "v": np.float64, "s": np.float64}, engine="c",
            skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    stamp, step = table["t"].to_numpy(), table["s"].fillna(0).to_numpy()
    if len(table) != len(lines) or np.isnan(stamp).any() or np.any(step != np.round(step)):
        return None
    return stamp / 1000.0, table["v"].to_numpy(), step.astype(np.int64)


def slow_points(lines: list[str], first_line: int):
    """Line-by-line parse: ((wall_time, value, step) arrays, numbers of lines that failed)."""
    points, bad = [], []
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            point = parse_metric_line(line)
            if point is None:
                bad.append(number)
            else:
                points.append(point)
    table = np.array(points, dtype=np.float64).reshape(-1, 3)
    return (table[:, 0], table[:, 1], table[:, 2].astype(np.int64)), bad


class MLflowFileStore:
    name = "mlflow_file"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "MLflow file store (mlruns/<experiment>/<run>/metrics/<key>)"

    def sniff(self, path: str, head: bytes) -> bool:
        """A file under ``.../metrics/`` whose first line is ``<ms> <value> [<step>]``."""
        if "/metrics/" not in path.replace("\\", "/"):
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        return parse_metric_line(first) is not None

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if META in files and "models" in subdirs and not is_run_folder(files, subdirs):
            return Found(consumed_dirs={"models"})  # an experiment: skip its logged models
        if not is_run_folder(files, subdirs):
            return None
        consumed = set(subdirs)
        meta = read_meta(folder)
        parent = tab.base_name(posixpath.dirname(folder.rstrip("/")))
        if meta.get("lifecycle_stage") == "deleted" or parent == "models":
            return Found(consumed_dirs=consumed, consumed_files={META})
        name = (tab.read_text(tab.join(folder, "tags", RUN_NAME_TAG)) or "").strip()
        name = name or str(meta.get("run_name") or "")
        metric_files = tab.list_files(tab.join(folder, "metrics"))
        run = tab.folder_run(self.name, folder, root,
                             tuple(metric_files) or (tab.join(folder, META),), name=name)
        # logs the run saved as artifacts (event files, ...) are read as part of this run
        return Found(runs=[run], consumed_dirs=consumed - {ARTIFACTS}, consumed_files={META},
                     attached_dirs={ARTIFACTS} & consumed)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        folder = run_folder_of(source)
        first_file = not source.files or path == source.files[0]
        hparams = read_params(folder) if first_file else {}
        if tab.base_name(path) == META:
            return FileRead(
                scalars=tab.empty(),
                hparams=hparams,
                warnings=[] if state else [f"{folder}: this MLflow run has no metrics logged"],
                state={"meta": True},
            )
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), hparams=hparams, state=dict(state))
        try:
            chunk = tab.read_appended(path, state)
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        tag = tab.rel_id(path, tab.join(folder, "metrics"))
        texts = [line for line in chunk.lines if line.strip()]
        tail = parse_metric_line(chunk.tail) if chunk.tail.strip() else None
        points = fast_points(texts)
        bad: list[int] = []
        if points is None:
            points, bad = slow_points(chunk.lines, chunk.first_line)
        walls, values, steps = points
        if tail is not None:
            walls = np.append(walls, tail[0])
            values = np.append(values, tail[1])
            steps = np.append(steps, tail[2])
        warnings = []
        errors = []
        if bad:
            message = (
                f"{path}: skipped line {tab.show_lines(bad)}: not '<timestamp ms> <value> "
                "[<step>]'; fix or remove those lines"
            )
            (errors if not len(values) and chunk.offset == 0 else warnings).append(message)
        frame = pd.DataFrame({
            "tag": pd.Categorical.from_codes(np.zeros(len(values), dtype=np.int8), [tag]),
            "step": steps.astype(np.int64),
            "value": values.astype(np.float64),
            "wall_time": walls.astype(np.float64),
        })
        return FileRead(
            scalars=frame,
            hparams=hparams,
            warnings=warnings,
            errors=errors,
            state=tab.chunk_state(chunk, tail is not None),
            reset=chunk.reset,
        )


FORMAT = MLflowFileStore()

