"""Sacred ``FileStorageObserver``: ``<base dir>/<run id>/metrics.json`` + config + run info.

Each run folder (``1/``, ``2/``...) holds ``run.json`` (experiment name, status, times;
repositories often commit a run without it: a ``metrics.json`` of Sacred's shape will do),
``config.json`` (the run's configuration: hparams, nested keys flattened with "/") and,
once the run logged a metric with ``_run.log_scalar``, ``metrics.json``: one object per
metric name, ``{"steps": [...], "values": [...], "timestamps": [...]}`` (UTC ISO times).
Tags are the metric names as logged (``train.loss``). The run is the folder, named
``<experiment> <run id>``; the base folder holding the runs is their group.

Sacred rewrites ``metrics.json`` whole on every heartbeat, so a changed file is read again
from the start (``reset``). A run whose ``status`` is ``FAILED`` or ``INTERRUPTED`` says so
in a warning.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import as_number, flatten
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

METRICS = "metrics.json"
RUN = "run.json"
CONFIG = "config.json"
#: Files Sacred writes into every run folder besides the metrics.
OWN_FILES = frozenset({RUN, CONFIG, "cout.txt", "info.json"})
ENDED_BADLY = frozenset({"FAILED", "INTERRUPTED", "TIMEOUT"})


def read_json(path: str) -> Any:
    """A JSON file's content (None when missing or not JSON)."""
    text = tab.read_text(path, limit=64 << 20)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


#: ``{"train.loss": {"steps": [...``: the shape only Sacred gives a metrics.json.
_METRICS_SHAPE = re.compile(
    r'\s*\{\s*"[^"]*"\s*:\s*\{\s*"(?:steps|timestamps|values)"\s*:\s*\[')


def is_run_folder(folder: str, files: list[str]) -> bool:
    """``run.json`` and ``config.json``, and ``run.json`` describes a Sacred experiment; or
    a ``metrics.json`` of Sacred's shape (a repository often commits it and the config
    without ``run.json``, which names the host)."""
    if RUN in files and CONFIG in files:
        head = tab.read_text(tab.join(folder, RUN), limit=4096) or ""
        if '"experiment"' in head or '"heartbeat"' in head:
            return True
    if METRICS not in files:
        return False
    try:
        head = fs.head(tab.join(folder, METRICS), 4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return _METRICS_SHAPE.match(head) is not None


def metrics_frame(doc: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """metrics.json -> (long frame, names of metrics that were not steps/values lists)."""
    parts, odd = [], []
    for name, series in doc.items():
        if not isinstance(series, dict):
            odd.append(str(name))
            continue
        steps, values = series.get("steps"), series.get("values")
        if not isinstance(steps, list) or not isinstance(values, list) or (
            len(steps) != len(values)
        ):
            odd.append(str(name))
            continue
        numbers = [as_number(v) for v in values]
        keep = [i for i, (s, v) in enumerate(zip(steps, numbers, strict=True))
                if v is not None and as_number(s) is not None]
        stamps = series.get("timestamps")
        walls = _wall_times(stamps, len(steps)) if isinstance(stamps, list) else None
        parts.append(pd.DataFrame({
            "tag": str(name),
            "step": np.array([int(float(steps[i])) for i in keep], dtype=np.int64),
            "value": np.array([numbers[i] for i in keep], dtype=np.float64),
            "wall_time": (np.full(len(keep), np.nan) if walls is None else walls[keep]),
        }))
    if not parts:
        return tab.empty(), odd
    return pd.concat(parts, ignore_index=True), odd


def _wall_times(stamps: list[Any], n: int) -> np.ndarray | None:
    if len(stamps) != n:
        return None
    times = pd.to_datetime(pd.Series(stamps, dtype=object), errors="coerce", utc=True,
                           format="ISO8601")
    seconds = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan)


class SacredFileStorage:
    name = "sacred"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "2"
    summary = "Sacred FileStorageObserver runs (<run id>/metrics.json, config.json, run.json)"

    def sniff(self, path: str, head: bytes) -> bool:
        """``metrics.json`` whose first metric has ``steps`` and ``values`` lists."""
        if tab.base_name(path) != METRICS:
            return False
        text = head.decode("utf-8", errors="replace")
        return text.lstrip().startswith("{") and '"steps"' in text and '"values"' in text

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if not is_run_folder(folder, files):
            return None
        info = read_json(tab.join(folder, RUN))
        experiment = (info or {}).get("experiment") if isinstance(info, dict) else None
        label = experiment.get("name") if isinstance(experiment, dict) else None
        run_id = tab.base_name(folder)
        main = METRICS if METRICS in files else RUN
        run = tab.folder_run(self.name, folder, root, (tab.join(folder, main),),
                             name=f"{label} {run_id}" if label else run_id)
        return Found(runs=[run], consumed_files={METRICS} | (OWN_FILES & set(files)))

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), state=dict(state or {}))
        folder = posixpath.dirname(path)
        hparams, warnings = self._run_info(folder)
        try:
            st = fs.stat(path)
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        new_state = {"size": st.size, "mtime": st.mtime}
        if tab.base_name(path) == RUN:
            warnings.append(f"{folder}: this Sacred run has logged no metrics (no {METRICS})")
            return FileRead(scalars=tab.empty(), hparams=hparams, warnings=warnings,
                            state=new_state)
        doc = read_json(path)
        if not isinstance(doc, dict):
            return tab.failed(path, "is not a JSON object of metrics; Sacred may have been "
                                    "writing it: refresh, or copy the run folder again",
                              state)
        frame, odd = metrics_frame(doc)
        if odd:
            warnings.append(f"{path}: skipped {', '.join(odd[:5])}: not steps/values lists")
        return FileRead(scalars=frame, hparams=hparams, warnings=warnings, state=new_state,
                        reset=bool(state))

    def _run_info(self, folder: str) -> tuple[dict[str, Any], list[str]]:
        config = read_json(tab.join(folder, CONFIG))
        hparams = flatten(config) if isinstance(config, dict) else {}
        hparams = {k: v for k, v in hparams.items() if isinstance(v, (int, float, str, bool))}
        info = read_json(tab.join(folder, RUN))
        status = info.get("status") if isinstance(info, dict) else None
        warnings = []
        if status in ENDED_BADLY:
            warnings.append(f"{tab.join(folder, RUN)}: Sacred says this run ended {status}; "
                            "its curves stop where it did")
        return hparams, warnings


FORMAT = SacredFileStorage()
