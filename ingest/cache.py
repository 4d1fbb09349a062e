"""A persistent cache of what the readers returned, so a re-opened folder re-parses nothing.

One SQLite file (stdlib ``sqlite3``) per cache folder. A row holds one file's
:class:`~curvedoc.ingest.model.FileRead`, keyed by the file's path, its format (and the run
key and options it was read with), its size and its modification time. The frame is stored
as raw little-endian numpy columns (tag codes, step, value, wall_time) after a JSON header
with the tag names, hparams, warnings, errors and the reader's state; no pickle, so a cache
folder that came with someone else's logs cannot run code.

The cache folder is ``$CURVEDOC_CACHE_DIR`` when set, else ``<root>/.curvedoc-cache/`` when
the root is writable, else a folder per root in the user's cache dir. A cache that is
corrupt, locked or unwritable is discarded or switched off, never fatal.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sqlite3
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.frames import FILE_COLUMNS, categorical
from curvedoc.ingest.model import FileRead, RunSource

#: Name of the cache folder inside a log root (discovery never descends into it).
CACHE_DIRNAME = ".curvedoc-cache"
CACHE_FILENAME = "reads.sqlite"
#: Bump when the stored layout changes; older caches are then emptied.
SCHEMA = 1
_COMMIT_EVERY = 200
_HEADER = struct.Struct("<I")


def cache_dir_for(root: str) -> Path:
    """Where the cache of a log root lives (see the module docstring)."""
    env = os.environ.get("CURVEDOC_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if fs.is_local(root):
        folder = Path(root) if os.path.isdir(root) else Path(root).parent
        own = folder / CACHE_DIRNAME
        if (own.is_dir() and os.access(own, os.W_OK)) or os.access(folder, os.W_OK):
            return own
    return user_cache_dir() / hashlib.sha1(root.encode()).hexdigest()[:16]


def user_cache_dir() -> Path:
    """The per-user cache folder of curvedoc (XDG on Linux, LOCALAPPDATA on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    return (Path(base) if base else Path.home() / ".cache") / "curvedoc"


def file_ident(source: RunSource, path: str, version: str = "") -> str:
    """The cache identity of one file as one run reads it."""
    return json.dumps([path, source.format, source.key, list(source.options), version])


class Cache:
    """The on-disk store of FileReads. Safe to pickle (it reopens in the new process)."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.path = self.folder / CACHE_FILENAME
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self.disabled_reason: str | None = None
        self._open()

    @classmethod
    def for_root(cls, root: str) -> Cache:
        return cls(cache_dir_for(root))

    # -- lifecycle ------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# curvedoc's cache of parsed logs; safe to delete\n*\n")
            self._conn = self._connect()
        except sqlite3.DatabaseError:
            self._discard()
        except OSError as exc:
            self._conn = None
            self.disabled_reason = f"{self.folder}: cannot write the cache here ({exc})"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA page_size=65536")  # large blobs: fewer overflow pages
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS reads ("
            "ident TEXT PRIMARY KEY, size INTEGER, mtime REAL, blob BLOB)"
        )
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != str(SCHEMA):
            conn.execute("DELETE FROM reads")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        conn.commit()
        return conn

    def _discard(self) -> None:
        """Throw a corrupt cache away and start an empty one (or switch the cache off)."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(f"{self.path}{suffix}")
        try:
            self._conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            self._conn = None
            self.disabled_reason = f"{self.path}: cache unusable ({exc}); reading without it"

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def flush(self) -> None:
        """Commit what was stored so far."""
        with self._lock:
            self._commit()

    def _commit(self) -> None:
        if self._conn is None or not self._pending:
            return
        try:
            self._conn.commit()
        except sqlite3.Error:
            self._discard()
        self._pending = 0

    def close(self) -> None:
        with self._lock:
            self._commit()
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
            self._conn = None

    def __getstate__(self) -> dict[str, Any]:
        return {"folder": str(self.folder)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"])

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rows -----------------------------------------------------------------------------

    def get(self, ident: str, size: int, mtime: float) -> FileRead | None:
        """The stored read of a file if its size and mtime still match, else None."""
        with self._lock:
            if self._conn is None:
                return None
            try:
                row = self._conn.execute(
                    "SELECT size, mtime, blob FROM reads WHERE ident=?", (ident,)
                ).fetchone()
            except sqlite3.DatabaseError:
                self._discard()
                return None
        if row is None or row[0] != size or row[1] != mtime:
            return None
        try:
            return decode(row[2])
        except (ValueError, KeyError, TypeError, struct.error):
            self.delete(ident)
            return None

    def put(self, ident: str, size: int, mtime: float, read: FileRead) -> bool:
        """Store one file's read; False when it cannot be stored (the cache stays usable)."""
        if self._conn is None:
            return False
        try:
            blob = encode(read)
        except (TypeError, ValueError, KeyError):
            return False  # a state the JSON header cannot hold exactly: just don't cache
        with self._lock:
            if self._conn is None:
                return False
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO reads VALUES (?, ?, ?, ?)",
                    (ident, size, mtime, blob),
                )
            except sqlite3.DatabaseError:
                self._discard()
                return False
            self._pending += 1
            if self._pending >= _COMMIT_EVERY:
                self._commit()
        return True

    def delete(self, ident: str) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute("DELETE FROM reads WHERE ident=?", (ident,))
                self._pending += 1
            except sqlite3.DatabaseError:
                self._discard()


# -- the blob layout ----------------------------------------------------------------------


def encode(read: FileRead) -> bytes:
    """FileRead -> bytes: u32 header length, JSON header (padded to 8), four raw columns."""
    frame = read.scalars
    tags = frame["tag"]
    cat = tags.array if isinstance(tags.dtype, pd.CategoricalDtype) else pd.Categorical(tags)
    codes = np.asarray(cat.codes)
    steps = np.ascontiguousarray(frame["step"].to_numpy(dtype=np.int64))
    values = np.ascontiguousarray(frame["value"].to_numpy(dtype=np.float64))
    walls = np.ascontiguousarray(frame["wall_time"].to_numpy(dtype=np.float64))
    header = {
        "n": len(frame),
        "tags": [str(c) for c in cat.categories],
        "codes": codes.dtype.str,
        "hparams": _jsonable(read.hparams, exact=False),
        "warnings": [str(w) for w in read.warnings],
        "errors": [str(e) for e in read.errors],
        "state": _jsonable(read.state, exact=True),
        "reset": bool(read.reset),
        "tail_warning": None if read.tail_warning is None else str(read.tail_warning),
    }
    raw = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    raw += b" " * (-(len(raw) + _HEADER.size) % 8)
    parts = [_HEADER.pack(len(raw)), raw]
    for arr in (steps, values, walls, codes):
        parts.append(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    return b"".join(parts)


def decode(blob: bytes) -> FileRead:
    """bytes -> FileRead (columns tag, step, value, wall_time; tag categorical)."""
    (hlen,) = _HEADER.unpack_from(blob, 0)
    header = json.loads(blob[_HEADER.size:_HEADER.size + hlen])
    n = int(header["n"])
    offset = _HEADER.size + hlen
    buf = bytearray(memoryview(blob)[offset:])  # one writable copy; columns are views of it
    need = n * 24 + n * np.dtype(header["codes"]).itemsize
    if len(buf) != need:
        raise ValueError("cache row has the wrong length")
    steps = np.frombuffer(buf, "<i8", n, 0)
    values = np.frombuffer(buf, "<f8", n, n * 8)
    walls = np.frombuffer(buf, "<f8", n, n * 16)
    codes = np.frombuffer(buf, header["codes"], n, n * 24)
    frame = pd.DataFrame(
        {
            "tag": categorical(codes, header["tags"]),
            "step": steps,
            "value": values,
            "wall_time": walls,
        },
        columns=FILE_COLUMNS,
        copy=False,
    )
    return FileRead(
        scalars=frame,
        hparams=header["hparams"],
        warnings=list(header["warnings"]),
        errors=list(header["errors"]),
        state=_restore(header["state"]),
        reset=bool(header.get("reset", False)),
        tail_warning=header.get("tail_warning"),
    )


def _jsonable(obj: Any, *, exact: bool) -> Any:
    """A JSON-safe copy; bytes are tagged. ``exact`` refuses anything it cannot restore."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(obj)).decode()}
    if isinstance(obj, dict):
        if exact and not all(isinstance(k, str) for k in obj):
            raise TypeError("state keys must be strings to be cached")
        return {str(k): _jsonable(v, exact=exact) for k, v in obj.items()}
    if isinstance(obj, list) or (not exact and isinstance(obj, (tuple, set))):
        return [_jsonable(v, exact=exact) for v in obj]
    if exact:
        raise TypeError(f"cannot cache a state holding {type(obj).__name__}")
    return str(obj)


def _restore(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__bytes__"}:
            return base64.b64decode(obj["__bytes__"])
        return {k: _restore(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_restore(v) for v in obj]
    return obj
