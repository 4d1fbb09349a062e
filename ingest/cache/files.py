"""The store of parsed files: one columnar cache file per (source file, how it is read)."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from curvedoc.ingest.cache import columnar
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.cache.ident import FileIdent
from curvedoc.ingest.model import FileRead, RunSource

#: A cache file is never larger than this (a log of ~2.5 billion scalars).
MAX_FILE = 1 << 36


def file_key(source: RunSource, path: str, version: str = "") -> str:
    """What a read of one file depends on besides its bytes: the path, the format and its
    version, the run key and discovery's options."""
    return json.dumps([path, source.format, version, source.key, list(source.options)])


@dataclass
class Entry:
    """A stored read and the ident of the file it was read from."""

    ident: FileIdent
    read: FileRead


class FileCache:
    """get/put FileReads by key, checked against the source file's ident."""

    def __init__(self, folder: Folder):
        self.folder = folder
        self._writer = _Writer()

    @staticmethod
    def name(key: str) -> str:
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"),
                               digest_size=16).hexdigest() + ".cdc"

    def lookup(self, key: str) -> Entry | None:
        """The stored entry of a key, whatever file it was read from (None: no valid entry)."""
        buf = self.folder.read(self.name(key), MAX_FILE)
        if buf is None:
            return None
        try:
            ident, read = columnar.decode(buf, key)
            return Entry(FileIdent.from_json(ident), read)
        except Exception:  # a cache file that is not what we wrote is a miss, never a crash
            return None

    def get(self, key: str, ident: FileIdent) -> FileRead | None:
        """The stored read when it was read from a file with exactly this ident."""
        entry = self.lookup(key)
        return entry.read if entry is not None and entry.ident == ident else None

    def put(self, key: str, ident: FileIdent, read: FileRead, *, later: bool = False) -> bool:
        """Store a read; False when it cannot be stored (the cache stays usable).

        ``later``: encode it now, write it from a background thread (creating a file costs
        more than encoding it); :meth:`flush` waits for such writes, and so does the
        interpreter's exit.
        """
        try:
            parts = columnar.encode(read, key, ident.to_json())
        except (columnar.Unstorable, TypeError, ValueError, KeyError):
            return False
        if later:
            self._writer.submit(self.folder.write, self.name(key), parts)
            return True
        return self.folder.write(self.name(key), parts)

    def flush(self) -> None:
        """Wait until every write handed to the background thread is done."""
        self._writer.flush()

    def delete(self, key: str) -> None:
        self.folder.remove(self.name(key))


class _Writer:
    """One background thread that runs writes in order (started again after a fork)."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._pid = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: no thread here yet
                self._queue = queue.Queue()
                self._pid = os.getpid()
                threading.Thread(target=self._run, args=(self._queue,), daemon=True,
                                 name="curvedoc-cache-writer").start()
                atexit.register(self.flush)
            self._queue.put((fn, args))

    @staticmethod
    def _run(jobs: queue.Queue) -> None:
        while True:
            fn, args = jobs.get()
            try:
                fn(*args)
            except Exception:  # a write that fails is a write not done: the next open reads
                pass
            finally:
                jobs.task_done()

    def flush(self) -> None:
        if self._pid == os.getpid():
            self._queue.join()
