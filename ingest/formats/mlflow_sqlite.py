"""MLflow SQLite store (``mlflow.db``, MLflow's default tracking backend).

Any ``*.db``/``*.sqlite`` file whose tables include ``runs``, ``metrics``,
``params`` and ``experiments`` is a store; each MLflow run in it is one run with
the id ``<relative path of the db>#<run_uuid>`` (``RunSource.key`` = run_uuid),
named by ``runs.name`` or the ``mlflow.runName`` tag; its params become hparams.
Deleted runs are skipped. The file is opened read-only (``mode=ro`` URI) with a
short timeout, so a live store still reads and a locked one never hangs.

MLflow stores a NaN as 0 with ``is_nan`` set and ±inf as ±max float; both are
given back as logged (NaN, ±inf). Timestamps are milliseconds. A re-read returns
the rows added since (by rowid).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

SQLITE_MAGIC = b"SQLite format 3\x00"
SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT_NAME = "mlflow.db"
REQUIRED_TABLES = frozenset({"runs", "metrics", "params", "experiments"})
TIMEOUT_S = 1.0
#: No MLflow cell (a key, a param value, a tag) comes near this; a larger one is an error.
MAX_VALUE_BYTES = 1 << 20
#: A statement of ours over one store never takes this long unless the file is crafted.
QUERY_BUDGET_S = 30.0
MAX_FLOAT = sys.float_info.max


def connect(path: str) -> sqlite3.Connection:
    """A read-only connection that a crafted store cannot turn against the reader.

    Opened ``mode=ro``; ``trusted_schema=OFF`` (functions with side effects in views,
    triggers and generated columns of the file refuse to run); no string or blob larger
    than ``MAX_VALUE_BYTES`` (a generated 400 MB zeroblob is an error, not 400 MB); and a
    time budget per statement (``QUERY_BUDGET_S``). Raises sqlite3.Error / OSError.
    """
    if not fs.is_local(path):
        raise OSError("SQLite stores are read from a local disk only")
    local = path[len("file://") :] if path.startswith("file://") else path
    fs.regular_stat(path)  # never hand SQLite a FIFO or a device
    conn = sqlite3.connect(f"file:{quote(local)}?mode=ro", uri=True, timeout=TIMEOUT_S)
    try:
        conn.execute("PRAGMA trusted_schema=OFF")
        if hasattr(conn, "setlimit"):  # Python 3.11+
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        _budget(conn, QUERY_BUDGET_S)
    except BaseException:
        conn.close()
        raise
    conn.text_factory = _text  # odd bytes in a text cell must not stop the read
    return conn


def _budget(conn: sqlite3.Connection, seconds: float) -> None:
    """Interrupt any statement running longer than ``seconds`` (checked every 10k steps)."""
    deadline = [0.0]

    def over() -> int:
        now = time.monotonic()
        if not deadline[0]:
            deadline[0] = now + seconds
        return 1 if now > deadline[0] else 0

    conn.set_progress_handler(over, 10_000)
    conn.set_trace_callback(lambda _sql: deadline.__setitem__(0, 0.0))  # a new statement


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}


def list_runs(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(run_uuid, name) of every run that is not deleted, in start order."""
    run_cols = columns(conn, "runs")
    name_col = "name" if "name" in run_cols else "NULL"
    where = "WHERE lifecycle_stage IS NULL OR lifecycle_stage != 'deleted'" if (
        "lifecycle_stage" in run_cols
    ) else ""
    order = "ORDER BY start_time, run_uuid" if "start_time" in run_cols else "ORDER BY run_uuid"
    rows = conn.execute(f"SELECT run_uuid, {name_col} FROM runs {where} {order}").fetchall()
    names = {}
    if "tags" in tables(conn):
        names = dict(
            conn.execute("SELECT run_uuid, value FROM tags WHERE key = 'mlflow.runName'").fetchall()
        )
    return [(uuid, name or names.get(uuid) or uuid) for uuid, name in rows]


def is_sqlite(path: str) -> bool:
    try:
        return fs.read_bytes(path, 0, len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def metrics_query(conn: sqlite3.Connection, run_filter: str) -> str:
    cols = columns(conn, "metrics")
    step = "step" if "step" in cols else "0"
    is_nan = "is_nan" if "is_nan" in cols else "0"
    return (
        f"SELECT rowid, run_uuid, key, value, timestamp, {step} AS step, {is_nan} AS is_nan "
        f"FROM metrics {run_filter}"
    )


def to_frame(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[int], list[int]]:
    """Metric rows of one run -> (the long frame, rowids of steps beyond int64, rowids of
    values that are not numbers). NaN and ±inf are restored as logged."""
    if rows.empty:
        return tab.empty(), [], []
    rowid = rows["rowid"].to_numpy()
    steps = tab.parse_steps(0 if s is None else s for s in rows["step"].tolist())
    numeric = np.array([isinstance(v, (int, float)) and not isinstance(v, bool)
                        for v in rows["value"].tolist()], dtype=bool)
    keep = steps.ok & numeric
    huge = rowid[steps.out_of_range].tolist()
    junk = rowid[~numeric].tolist()
    kept = rows[keep]
    value = np.array([float(v) for v in kept["value"].tolist()], dtype=np.float64)
    value[kept["is_nan"].fillna(0).to_numpy(dtype=bool)] = np.nan
    value[value >= MAX_FLOAT] = np.inf
    value[value <= -MAX_FLOAT] = -np.inf
    wall = pd.to_numeric(kept["timestamp"], errors="coerce").to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "tag": pd.Categorical(kept["key"].astype(str)),
            "step": steps.values[keep],
            "value": value,
            "wall_time": wall / 1000.0,
        }
    )
    return frame, huge, junk


def run_metrics(conn: sqlite3.Connection, run_uuid: str, since_rowid: int) -> pd.DataFrame:
    """Metric rows of one run added after ``since_rowid`` (all rows for 0), in rowid order."""
    query = metrics_query(conn, "WHERE run_uuid = ? AND rowid > ? ORDER BY rowid")
    rows = conn.execute(query, (run_uuid, since_rowid)).fetchall()
    names = ["rowid", "run_uuid", "key", "value", "timestamp", "step", "is_nan"]
    # object columns: a float among the steps must not turn 2^53 + 1 into a float
    return pd.DataFrame(rows, columns=names, dtype=object)


def read_params(conn: sqlite3.Connection, run_uuid: str) -> dict[str, Any]:
    from curvedoc.ingest.formats.mlflow_file import parse_value

    rows = conn.execute("SELECT key, value FROM params WHERE run_uuid = ?", (run_uuid,))
    return {key: parse_value(str(value)) for key, value in rows.fetchall()}


class MLflowSQLite:
    name = "mlflow_sqlite"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "MLflow SQLite store (mlflow.db: runs, metrics, params, experiments)"

    def sniff(self, path: str, head: bytes) -> bool:
        """A SQLite file named *.db/*.sqlite whose tables are MLflow's."""
        if not path.lower().endswith(SUFFIXES) or not head.startswith(SQLITE_MAGIC):
            return False
        try:
            conn = connect(path)
            try:
                return tables(conn) >= REQUIRED_TABLES
            finally:
                conn.close()
        except (sqlite3.Error, OSError, ValueError):
            return False

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        runs: list[RunSource] = []
        consumed: set[str] = set()
        for name in files:
            if not name.lower().endswith(SUFFIXES):
                continue
            path = tab.join(folder, name)
            db_id = tab.rel_id(path, root)
            if not is_sqlite(path):
                if name == DEFAULT_NAME:  # named like a store but not one: say so on a run
                    runs.append(self._source(db_id, name, root, path))
                    consumed.add(name)
                continue
            try:
                conn = connect(path)
                try:
                    if not tables(conn) >= REQUIRED_TABLES:
                        continue
                    found = list_runs(conn)
                finally:
                    conn.close()
            except (sqlite3.Error, OSError, ValueError):
                runs.append(self._source(db_id, name, root, path))  # read() names the problem
                consumed.add(name)
                continue
            consumed.add(name)
            runs.extend(
                self._source(f"{db_id}#{uuid}", str(run_name), root, path, key=uuid)
                for uuid, run_name in found
            )
        return Found(runs=runs, consumed_files=consumed) if consumed else None

    def _source(
        self, run_id: str, name: str, root: str, path: str, key: str | None = None
    ) -> RunSource:
        return RunSource(id=run_id, name=name, format=self.name, root=root, files=(path,), key=key)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if not is_sqlite(path):
            return tab.failed(
                path,
                "is not a SQLite database; point MLflow's tracking URI at the real store or "
                "remove the file",
            )
        try:
            st = fs.regular_stat(path)
            conn = connect(path)
            try:
                missing = REQUIRED_TABLES - tables(conn)
                if missing:
                    return tab.failed(
                        path, f"is not an MLflow store (no table {', '.join(sorted(missing))})"
                    )
                if source.key is None:
                    return tab.failed(path, "names no MLflow run; re-scan the folder")
                hparams = read_params(conn, source.key)
                since = int((state or {}).get("rowid", 0))
                rows = run_metrics(conn, source.key, since)
                frame, huge, junk = to_frame(rows)
            finally:
                conn.close()
        except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
            return tab.failed(
                path,
                f"cannot be read as an SQLite database ({exc}); if MLflow is writing it, "
                "refresh later; otherwise check that the file is a complete copy",
                state,
            )
        last = since if rows.empty else int(rows["rowid"].max())
        warnings = []
        if huge:
            warnings.append(
                f"{path}: skipped metric rows (rowid {tab.show_lines(huge)}) of run "
                f"{source.key}: their step is beyond the 64-bit range MLflow allows"
            )
        if junk:
            warnings.append(
                f"{path}: skipped metric rows (rowid {tab.show_lines(junk)}) of run "
                f"{source.key}: their value is not a number"
            )
        return FileRead(
            scalars=frame, hparams=hparams, warnings=warnings,
            state={"rowid": last, "size": st.size},
        )


FORMAT = MLflowSQLite()
