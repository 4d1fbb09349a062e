"""The store of per-run summaries: a run's diagnosis and the figures the runs page lists.

A :class:`RunSummary` is kept under a :class:`RunKey`: the run's id, the ident of each of
its files, and a ``rules`` string that changes whenever the result could (the code of
curvedoc's ingest and diagnostics packages, the config with its thresholds and roles, the
rule selection; see :func:`rules_key`). An unchanged run under unchanged rules is then
never read nor diagnosed again.

    store = cache.summaries                       # a SummaryStore (None: cache off)
    key = run_key(source, rules_key(config, select, ignore))
    summary = store.get(key)                      # RunSummary | None
    if summary is None:
        summary = summarize(run, diagnosis.to_dict())
        store.put(key, summary)

One JSON file per (run, rules), named by a hash of both and checksummed; a changed run
replaces its file. Bad, stale or foreign files are misses.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curvedoc.ingest.cache.columnar import jsonable
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.cache.ident import FileIdent, ident_of
from curvedoc.ingest.crc import crc32c
from curvedoc.ingest.model import Run, RunSource, best_and_last

MAGIC = b"CDSUM\r\n\x01"
_HEAD = struct.Struct("<8sIQ")
MAX_SUMMARY = 16 << 20


@dataclass(frozen=True)
class RunKey:
    """What a run's summary depends on."""

    run_id: str
    files: tuple[tuple[str, FileIdent], ...]
    rules: str

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run_id, "rules": self.rules,
                "files": [[p, i.to_json()] for p, i in self.files]}

    def text(self) -> str:
        """The key as one canonical string (what a stored summary is compared with)."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


@dataclass
class RunSummary:
    """A run as ``check`` and the runs page list it, without its scalars."""

    run_id: str
    name: str
    format: str
    group: str
    roles: dict[str, str] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    steps: int = 0  # the highest step as the curves read it (``Run.last_step``)
    points: int = 0
    metric: str = ""  # the tag that judges the run (val loss, else val acc, ...)
    best: float | None = None  # its best finite value
    last: float | None = None  # its last value (None when not finite)
    labels: list[str] = field(default_factory=list)
    #: ``Diagnosis.to_dict()`` of the run; ``Diagnosis.from_dict`` rebuilds it
    diagnosis: dict[str, Any] = field(default_factory=dict)


_SUMMARY_ORDER = tuple(f.name for f in dataclasses.fields(RunSummary))
_SUMMARY_FIELDS = set(_SUMMARY_ORDER)


def summarize(run: Run, diagnosis: dict[str, Any]) -> RunSummary:
    """The summary of a run and its diagnosis (``Diagnosis.to_dict()``)."""
    scalars = run.scalars
    role, higher = run.judged_role
    best = last = None
    if role is not None:
        best, last = best_and_last(_values_by_step(scalars, run.roles[role]), higher)
        best = best if best is not None and math.isfinite(best) else None
        last = last if last is not None and math.isfinite(last) else None
    return RunSummary(
        run_id=run.id, name=run.name, format=run.format, group=run.group,
        roles=dict(run.roles), hparams=jsonable(run.hparams, exact=False, depth=0),
        errors=list(run.errors), warnings=list(run.warnings),
        steps=run.last_step(), points=len(scalars),
        metric=run.roles.get(role, "") if role else "", best=best, last=last,
        labels=list(diagnosis.get("labels", [])), diagnosis=diagnosis,
    )


def _values_by_step(scalars: Any, tag: str) -> np.ndarray:
    """The values of one tag in step order (what ``Run.series`` gives, without a frame)."""
    cat = scalars["tag"].array
    where = cat.categories.get_indexer([tag])[0]
    if where < 0:
        return np.empty(0)
    mask = np.asarray(cat.codes) == where
    steps = scalars["step"].to_numpy()[mask]
    values = scalars["value"].to_numpy(dtype=np.float64)[mask]
    return values[np.argsort(steps, kind="stable")]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the source of curvedoc's ingest and diagnostics packages: any change to a
    reader, the roles or a rule (its code or its default thresholds) makes a new version."""
    digest = hashlib.blake2b(digest_size=16)
    for package in ("curvedoc.ingest", "curvedoc.diagnostics"):
        spec = importlib.util.find_spec(package)
        for top in (spec.submodule_search_locations or []) if spec else []:
            for folder, dirs, names in sorted(os.walk(top)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(n for n in names if n.endswith(".py")):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, top).encode() + b"\0")
                    with open(path, "rb") as fh:
                        digest.update(fh.read())
    return digest.hexdigest()


def rules_key(config: dict[str, Any] | None, select=(), ignore=()) -> str:
    """The ``rules`` part of a RunKey: code version, config (thresholds, roles), selection."""
    text = json.dumps([code_version(), config or {}, list(select), list(ignore)],
                      sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def run_key(source: RunSource, rules: str,
            idents: dict[str, FileIdent] | None = None) -> RunKey | None:
    """The key of a run's summary (None when one of its files cannot be identified).

    The files are the run's logs and, when there is one, the ``hparams.yaml`` beside them
    (its hyper-parameters are part of the run). ``idents``: those already known.
    """
    from curvedoc.ingest.paths import local_run_folder
    from curvedoc.ingest.reading import stat

    paths = list(source.files)
    folder = local_run_folder(source)
    if folder is not None and os.path.isfile(os.path.join(folder, "hparams.yaml")):
        paths.append(os.path.join(folder, "hparams.yaml"))
    files = []
    for path in paths:
        ident = (idents or {}).get(path)
        if ident is None:
            try:
                ident = ident_of(path, stat(path))
            except OSError:
                return None
        if ident is None:
            return None
        files.append((path, ident))
    return RunKey(source.id, tuple(files), rules)


class SummaryStore:
    """get/put RunSummary by RunKey."""

    def __init__(self, folder: Folder):
        self.folder = folder

    @staticmethod
    def name(key: RunKey) -> str:
        text = json.dumps([key.run_id, key.rules])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                               digest_size=16).hexdigest() + ".json"

    def get(self, key: RunKey) -> RunSummary | None:
        """The summary stored for exactly this key, else None."""
        buf = self.folder.read(self.name(key), MAX_SUMMARY)
        if buf is None:
            return None
        try:
            return _decode(buf, key)
        except Exception:  # a summary that is not what we wrote is a miss, never a crash
            return None

    def put(self, key: RunKey, summary: RunSummary) -> bool:
        """Store a summary; False when it cannot be stored."""
        try:
            fields = {name: getattr(summary, name) for name in _SUMMARY_ORDER}  # no deep copy
            body = json.dumps({"key": key.text(), "summary": fields},
                              separators=(",", ":"), allow_nan=True).encode()
        except (TypeError, ValueError, RecursionError):
            return False
        if len(body) > MAX_SUMMARY - _HEAD.size:
            return False
        return self.folder.write(self.name(key),
                                 [_HEAD.pack(MAGIC, crc32c(body), len(body)), body])


def _decode(buf: bytearray, key: RunKey) -> RunSummary | None:
    magic, crc, n = _HEAD.unpack_from(buf, 0)
    body = bytes(buf[_HEAD.size:])
    if magic != MAGIC or n != len(body) or crc32c(body) != crc:
        return None
    data = json.loads(body)  # deep nesting: RecursionError, a miss
    if not isinstance(data, dict) or data.get("key") != key.text():
        return None  # another run, or the same run with other files
    fields = data.get("summary")
    if not isinstance(fields, dict) or set(fields) != _SUMMARY_FIELDS:
        return None
    summary = RunSummary(**fields)
    if not (isinstance(summary.run_id, str) and isinstance(summary.diagnosis, dict)
            and isinstance(summary.labels, list) and isinstance(summary.roles, dict)
            and isinstance(summary.errors, list) and isinstance(summary.warnings, list)):
        return None
    return summary
