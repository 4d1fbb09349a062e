"""The store of parsed files: one columnar cache file per (source file, how it is read)."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from curvedoc.ingest.cache import columnar
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.cache.ident import FileIdent
from curvedoc.ingest.model import FileRead, RunSource

#: A cache file is never larger than this (a log of ~2.5 billion scalars).
MAX_FILE = 1 << 36
#: Whether cache files are written by the compiled writer when it is built (the same
#: bytes; off: ``CURVEDOC_CACHE_WRITER=python``).
COMPILED = os.environ.get("CURVEDOC_CACHE_WRITER", "c") != "python"


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
        # the compiled writer spends its time in the kernel, not under the GIL: one thread
        # keeps up with a cold open's reading, on a core of its own
        self._writer = _Writer(1 if self.writes_off_the_gil else 4)

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

        ``later``: encode and write it from a background thread, in order, after any
        :meth:`hold` ends (the read must not change meanwhile: readers return new ones);
        :meth:`flush` waits for such writes, and so does the interpreter's exit. True then
        means "queued": a read that cannot be stored is simply not written.
        """
        if later and self.writes_off_the_gil:
            # the small JSON header here, in the reading thread (its frame is at hand), so
            # the writer thread takes the GIL only to call the compiled writer: readers then
            # hand the GIL over far less often
            cols = self._columns(key, ident, read)
            if cols is None:
                return False
            self._writer.submit(key, self._write_columns, key, cols)
            return True
        if later:
            self._writer.submit(key, self._write, key, ident, read)
            return True
        return self._write(key, ident, read)

    @staticmethod
    def _columns(key: str, ident: FileIdent, read: FileRead) -> columnar.Columns | None:
        try:
            return columnar.columns(read, key, ident.to_json())
        except (columnar.Unstorable, TypeError, ValueError, KeyError):
            return None

    def _write(self, key: str, ident: FileIdent, read: FileRead) -> bool:
        cols = self._columns(key, ident, read)
        return False if cols is None else self._write_columns(key, cols)

    def _write_columns(self, key: str, cols: columnar.Columns) -> bool:
        name = self.name(key)
        written = columnar.write_compiled(self.folder, name, cols) if COMPILED else None
        if written is not None:
            return written
        return self.folder.write(name, columnar.layout(cols))

    @property
    def writes_off_the_gil(self) -> bool:
        """Whether this cache's files are written by the compiled writer, which holds the
        GIL only to build a file's small JSON header: its background writes then cost a
        cold open's reading threads next to nothing, and need not wait for the answer."""
        return COMPILED and columnar.compiled_writer_for(self.folder)

    def hold(self):
        """A context in which writes handed to the background thread wait (a cold open's
        answer comes first, its cache files after; ``flush`` ends a hold)."""
        return self._writer.hold()

    def flush(self) -> None:
        """Wait until every write handed to the background thread is done."""
        self._writer.flush()

    def delete(self, key: str) -> None:
        self.folder.remove(self.name(key))


class _Writer:
    """Background threads that run writes, one per CPU up to ``most`` (started again after a
    fork); the writes of one key always go to the same thread, in the order they were
    handed over."""

    def __init__(self, most: int = 4) -> None:
        self._most = most  # threads at most (one per CPU up to this)
        self._queues: list[queue.Queue] = []
        self._pid = 0
        self._lock = threading.Lock()
        self._go = threading.Event()
        self._go.set()
        self._holds = 0

    @contextlib.contextmanager
    def hold(self):
        with self._lock:
            self._holds += 1
            self._go.clear()
        try:
            yield
        finally:
            with self._lock:
                self._holds = max(0, self._holds - 1)
                if not self._holds:
                    self._go.set()

    def submit(self, key: str, fn: Callable[..., object], *args: object) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: no thread here yet
                if self._pid:  # a child forked during a hold never leaves it: start free
                    self._holds = 0
                    self._go = threading.Event()
                    self._go.set()
                self._queues = [queue.Queue()
                                for _ in range(min(self._most, os.cpu_count() or 1))]
                self._pid = os.getpid()
                for i, jobs in enumerate(self._queues):
                    threading.Thread(target=self._run, args=(jobs, self._go), daemon=True,
                                     name=f"curvedoc-cache-writer-{i}").start()
                atexit.register(self.flush)
            shard = zlib.crc32(key.encode("utf-8", "surrogatepass")) % len(self._queues)
            self._queues[shard].put((fn, args))

    @staticmethod
    def _run(jobs: queue.Queue, go: threading.Event) -> None:
        while True:
            fn, args = jobs.get()
            go.wait()
            try:
                fn(*args)
            except Exception:  # a write that fails is a write not done: the next open reads
                pass
            finally:
                jobs.task_done()

    def flush(self) -> None:
        if self._pid == os.getpid():
            self._go.set()  # waiting for writes ends a hold: they must run
            for jobs in self._queues:
                jobs.join()
