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

from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats import _yaml
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
    meta, _ = _yaml.load(text) if text else ({}, None)
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
    """(timestamp s, value, step) of one metric line, or None when MLflow would reject it.

    As MLflow's own file store reads a line: stripped, split on single spaces, 2 or 3
    fields (``<timestamp ms> <value> [<step>]``), an integer timestamp and step. A 4th field
    is rejected, never read as shifted columns. A step beyond int64 is rejected too.
    """
    point = _parse(line)
    return point if isinstance(point, tuple) else None


def _parse(line: str) -> tuple[float, float, int] | str:
    """The point of a line, or why it is rejected ("fields", "step range")."""
    parts = line.strip().split(" ")
    if len(parts) not in (2, 3):
        return "fields"
    stamp, value = parts[0], tab.cell_number(parts[1])
    if not tab.INT_TEXT.fullmatch(stamp) or value is None:
        return "fields"
    step = 0
    if len(parts) == 3:
        if not tab.INT_TEXT.fullmatch(parts[2]):
            return "fields"
        step = int(parts[2])
        if not tab.INT64_MIN <= step <= tab.INT64_MAX:
            return "step range"
    return int(stamp) / 1000.0, value, step


def fast_points(lines: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(wall_time s, value, step) of metric lines with pandas' C parser; None if any is odd.

    Taken only when every line has exactly three single-space-separated fields, so the
    answer is the one :func:`parse_metric_line` gives line by line.
    """
    if not lines:
        return np.array([]), np.array([]), np.array([], dtype=np.int64)
    stripped = [line.strip() for line in lines]
    if any(line.count(" ") != 2 or "  " in line or "\t" in line for line in stripped):
        return None
    try:
        table = pd.read_csv(
            io.StringIO("\n".join(stripped)), sep=" ", header=None, names=["t", "v", "s"],
            dtype={"t": np.int64, "v": np.float64, "s": np.int64}, engine="c",
            keep_default_na=False, na_values=[], skip_blank_lines=False,
        )
    except (ValueError, OverflowError, TypeError, pd.errors.ParserError):
        return None
    if len(table) != len(lines):
        return None
    stamp = table["t"].to_numpy()
    return stamp / 1000.0, table["v"].to_numpy(dtype=np.float64), table["s"].to_numpy()


def slow_points(lines: list[str], first_line: int):
    """Line-by-line parse: ((wall_time, value, step) arrays, bad line numbers, line numbers
    of steps beyond int64)."""
    walls, values, steps, bad, huge = [], [], [], [], []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        point = _parse(line)
        if point == "step range":
            huge.append(number)
        elif isinstance(point, str):
            bad.append(number)
        else:
            walls.append(point[0])
            values.append(point[1])
            steps.append(point[2])
    arrays = (np.array(walls, dtype=np.float64), np.array(values, dtype=np.float64),
              np.array(steps, dtype=np.int64))
    return arrays, bad, huge


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
        tag = tab.rel_id(path, tab.join(folder, "metrics"))
        parts, bad, huge = tab.Parts(), [], []
        try:
            chunk = tab.read_appended(path, state)
            for block in chunk.blocks():
                texts = [line for line in block.lines if line.strip()]
                points = fast_points(texts)
                if points is None:
                    points, block_bad, block_huge = slow_points(block.lines, block.first_line)
                    bad.extend(block_bad)
                    huge.extend(block_huge)
                parts.add(_frame(tag, *points))
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        frame = parts.frame()
        warnings = []
        errors = []
        if bad:
            message = (
                f"{path}: skipped line {tab.show_lines(bad)}: not '<timestamp ms> <value> "
                "[<step>]' (MLflow rejects such lines too); fix or remove those lines"
            )
            (errors if not len(frame) and chunk.offset == 0 else warnings).append(message)
        if huge:
            warnings.append(tab.out_of_range_warning(path, "step", huge))
        tail = None if errors else tab.tail_warning(chunk)
        return FileRead(
            scalars=frame,
            hparams=hparams,
            warnings=[*warnings, *([tail] if tail else [])],
            errors=errors,
            state=tab.chunk_state(chunk),
            reset=chunk.reset,
            tail_warning=tail,
        )


def _frame(tag: str, walls: np.ndarray, values: np.ndarray, steps: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "tag": pd.Categorical.from_codes(np.zeros(len(values), dtype=np.int8), [tag]),
        "step": steps.astype(np.int64),
        "value": values.astype(np.float64),
        "wall_time": walls.astype(np.float64),
    })


FORMAT = MLflowFileStore()

