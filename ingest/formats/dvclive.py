"""DVCLive: ``dvclive/plots/metrics/**.tsv`` with ``dvclive/params.yaml``.

``Live().log_metric("train/loss", x)`` appends a row ``step<TAB>loss`` (older versions:
``timestamp<TAB>step<TAB>loss``, milliseconds) to ``plots/metrics/train/loss.tsv``; the tag
is the metric's path under ``plots/metrics`` (``train/loss``). ``params.yaml``
(``log_params``) becomes hparams, nested keys flattened with "/"; ``metrics.json`` (the
last values) and ``report.*`` repeat the plots and are not read.

The run is the project folder that holds ``dvclive/`` (``exp1/dvclive`` is run ``exp1``),
or the Live folder itself when it has another name (``Live(dir="results")``). The files
only grow, so a re-read reads the rows appended since.
"""

from __future__ import annotations

import posixpath
from typing import Any

import yaml

from curvedoc.ingest.formats import _delimited
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import flatten
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

LIVE_DIR = "dvclive"
PLOTS = ("plots", "metrics")
PARAMS = "params.yaml"
#: Files DVCLive writes beside its plots that repeat them.
OWN_FILES = frozenset({PARAMS, "metrics.json", "report.html", "report.md"})


def plots_folder(live: str) -> str:
    return tab.join(live, *PLOTS)


def metric_files(live: str) -> list[str]:
    return [p for p in tab.list_files(plots_folder(live)) if p.endswith(".tsv")]


def tag_of(path: str) -> str:
    """The metric's name: its path under ``plots/metrics`` without ``.tsv``."""
    marker = "/" + "/".join(PLOTS) + "/"
    rel = path.replace("\\", "/").rsplit(marker, 1)[-1]
    return rel[: -len(".tsv")] if rel.endswith(".tsv") else rel


def live_folder_of(path: str) -> str:
    marker = "/" + "/".join(PLOTS) + "/"
    return path.replace("\\", "/").rsplit(marker, 1)[0]


def params_of(live: str) -> tuple[dict[str, Any], str | None]:
    path = tab.join(live, PARAMS)
    text = tab.read_text(path)
    if text is None:
        return {}, None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, f"{path}: cannot read the parameters ({first}); fix or remove the file"
    if not isinstance(data, dict):
        return {}, None
    flat = flatten({str(k): v for k, v in data.items()})
    return {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))}, None


class DVCLive:
    name = "dvclive"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "DVCLive (dvclive/plots/metrics/**/*.tsv + params.yaml)"

    def sniff(self, path: str, head: bytes) -> bool:
        """A ``.tsv`` under ``plots/metrics/`` with a ``step`` column."""
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        return (path.endswith(".tsv") and "/plots/metrics/" in path.replace("\\", "/")
                and "step" in first.split("\t"))

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if LIVE_DIR in subdirs:
            paths = metric_files(tab.join(folder, LIVE_DIR))
            if paths:
                run = tab.folder_run(self.name, folder, root, tuple(paths))
                return Found(runs=[run], consumed_dirs={LIVE_DIR},
                             consumed_files={"dvc.yaml"} & set(files))
        if "plots" in subdirs and (PARAMS in files or "metrics.json" in files):
            paths = metric_files(folder)
            if paths:
                run = tab.folder_run(self.name, folder, root, tuple(paths))
                return Found(runs=[run], consumed_dirs={"plots"},
                             consumed_files=OWN_FILES & set(files))
        return None

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        read = _delimited.read_delimited(path, state)
        tag = tag_of(path)
        frame = read.scalars
        if len(frame):
            names = [str(c) for c in frame["tag"].cat.categories]
            renamed = {c: tag if len(names) == 1 else posixpath.join(tag, c) for c in names}
            frame = frame.assign(tag=frame["tag"].cat.rename_categories(renamed))
        read.scalars = frame
        if not state and (not source.files or path == source.files[0]):
            hparams, problem = params_of(live_folder_of(path))
            read.hparams = {**hparams, **read.hparams}
            if problem:
                read.warnings.append(problem)
        return read


FORMAT = DVCLive()
