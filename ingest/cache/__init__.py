"""curvedoc's own cache: parsed files and per-run summaries, in the user's cache folder.

Where (:mod:`.location`): ``platformdirs.user_cache_dir("curvedoc")`` (``~/.cache/curvedoc``
on Linux), or ``$CURVEDOC_CACHE_DIR``, or the folder given as ``cache=PATH`` /
``--cache-dir``; inside it one folder per root, ``roots/<hash of the root's protocol and
real path>/``. Nothing is ever written inside a log folder, and a ``.curvedoc-cache/``
folder that arrived with someone's logs is neither read nor written (discovery skips it).
``cache=False`` / ``--no-cache`` turn the cache off.

How (:mod:`.folder`): every folder is created 0700 and used only when it is a real
directory owned by the current user; files are written under a fresh temporary name with
``O_NOFOLLOW|O_CREAT|O_EXCL`` and renamed into place. A cache folder that is a symlink or
someone else's is refused: the cache is off for that run, with one warning.

What:

- ``files/`` (:mod:`.files`, :mod:`.columnar`): one file per source file as one run reads
  it, written once per read: a small JSON header (tag names, hparams, warnings, errors,
  the reader's state, the source file's ident) and raw little-endian numpy columns, with a
  CRC32C over all of it. No pickle. A stored read is used only when the source file's
  ident (:mod:`.ident`: size, mtime and ctime in ns, inode, device, a hash of its first and
  last 4 KiB) is unchanged, and it was read with the same format version, run key and
  options. A file that only grew is read on from the stored reader state.
- ``summaries/`` (:mod:`.summaries`): each run's diagnosis and the small figures the runs
  page lists, keyed by its files' idents, the rules' code and the thresholds.

Anything wrong with a cache file (a flipped bit, a short file, bad JSON, absurd lengths,
deep nesting) is a miss: the log is read again. The cache is never fatal and never changes
a value.
"""

from __future__ import annotations

import os
from typing import Any

from curvedoc.ingest.cache.files import FileCache, file_key
from curvedoc.ingest.cache.folder import Folder, RefusedFolder
from curvedoc.ingest.cache.ident import FileIdent, grew_from, ident_of
from curvedoc.ingest.cache.location import (
    ENV,
    base_folder,
    cachedir_tag,
    root_folder,
    root_key,
)
from curvedoc.ingest.cache.summaries import (
    RunKey,
    RunSummary,
    SummaryStore,
    rules_key,
    run_key,
    summarize,
)

__all__ = [
    "ENV",
    "Cache",
    "FileCache",
    "FileIdent",
    "RefusedFolder",
    "RunKey",
    "RunSummary",
    "SummaryStore",
    "base_folder",
    "file_key",
    "grew_from",
    "ident_of",
    "root_folder",
    "rules_key",
    "run_key",
    "summarize",
]


class Cache:
    """The cache of one root: ``files`` (FileCache) and ``summaries`` (SummaryStore).

    ``base``: the top cache folder (default: ``$CURVEDOC_CACHE_DIR`` or the user cache
    folder). When the folder cannot be used, ``enabled`` is False, ``files`` and
    ``summaries`` are None and ``disabled_reason`` says why. Safe to pickle (it opens and
    checks its folders again in the new process).
    """

    def __init__(self, root: str, base: str | os.PathLike[str] | None = None):
        self.root = root
        self.base = None if base is None else os.fspath(base)
        self.folder = root_folder(root, self.base)
        self.files: FileCache | None = None
        self.summaries: SummaryStore | None = None
        self.disabled_reason: str | None = None
        self._open()

    def _open(self) -> None:
        try:
            top = Folder.base(base_folder(self.base))
            if top.read("CACHEDIR.TAG", 4096) is None:
                top.write("CACHEDIR.TAG", [cachedir_tag()])
            mine = top.sub("roots").sub(root_key(self.root))
            if mine.read("root.txt", 1 << 16) is None:
                mine.write("root.txt", [f"{self.root}\n".encode("utf-8", "replace")])
            self.files = FileCache(mine.sub("files"))
            self.summaries = SummaryStore(mine.sub("summaries"))
        except (RefusedFolder, OSError, ValueError) as exc:
            self.files = self.summaries = None
            self.disabled_reason = f"{exc}; the cache is off for this run (see --cache-dir)"

    @property
    def enabled(self) -> bool:
        return self.files is not None

    def flush(self) -> None:
        """Wait for the writes still running in the background."""
        if self.files is not None:
            self.files.flush()

    def close(self) -> None:
        self.flush()
        for store in (self.files, self.summaries):
            if store is not None:
                store.folder.close()

    def __reduce__(self) -> tuple[Any, tuple[str, str | None]]:
        return _reopened, (self.root, self.base)

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REOPENED: dict[tuple[str, str | None, int], Cache] = {}


def _reopened(root: str, base: str | None) -> Cache:
    """The Cache of a root in this process, opened once (a worker gets it with every job)."""
    key = (root, base, os.getpid())
    cache = _REOPENED.get(key)
    if cache is None:
        cache = _REOPENED[key] = Cache(root, base)
    return cache
