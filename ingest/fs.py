"""File access for every reader, through fsspec so that remote roots can work later.

Local paths take fsspec's local file system; ``s3://...`` and the like work once
the matching fsspec package is installed. Readers call these and nothing else.

Only regular files are ever opened for reading. A FIFO named like a log would block
the reader forever, and a symlink to ``/dev/zero`` would feed it without end, so a
local path is opened non-blocking and checked with ``fstat`` on the open descriptor
(no race between the check and the read): anything but a regular file raises
:class:`NotRegularFile`. A reader may also give a size cap (``max_bytes``) that no real
log of its format reaches; a larger file raises :class:`TooLarge` with a message that
says so. Both are ``OSError`` subclasses, so every reader's "cannot be read" path names
the file and the reason.
"""

from __future__ import annotations

import io
import os
import stat as stat_mod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import fsspec


class FileStat(NamedTuple):
    """Size and mtime; local files also carry what tells a rewrite from the same file
    (zero where a file system does not say)."""

    size: int
    mtime: float
    mtime_ns: int = 0
    ctime_ns: int = 0
    ino: int = 0
    dev: int = 0
    #: What tells two versions of a remote object apart (S3's ETag: an object replaced by
    #: one of the same size in the same second is still a change); "" for local files.
    etag: str = ""


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: never read as a log."""


class TooLarge(OSError):
    """The file is larger than any real log of its format."""


def filesystem(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec file system for a path or URL, and the path within it (fsspec is imported
    here, on first use: local paths mostly go through ``os``, and the import costs ~60 ms)."""
    from fsspec.core import url_to_fs

    return url_to_fs(path)


def _local(path: str) -> str | None:
    if path.startswith("file://"):
        return path[len("file://") :]
    return None if "://" in path else path


def _kind(mode: int) -> str:
    for test, name in (
        (stat_mod.S_ISFIFO, "a FIFO (named pipe)"),
        (stat_mod.S_ISCHR, "a character device"),
        (stat_mod.S_ISBLK, "a block device"),
        (stat_mod.S_ISSOCK, "a socket"),
        (stat_mod.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: str, mode: int) -> NotRegularFile:
    return NotRegularFile(
        f"{path} is {_kind(mode)}, not a regular file; curvedoc reads only regular files "
        "(a pipe or device named like a log would never end)"
    )


def too_large(path: str, size: int, max_bytes: int) -> TooLarge:
    return TooLarge(
        f"{path} is {size:,} bytes, more than the {max_bytes:,} bytes no real log of its "
        "format reaches; it was not read (if it is a real log, please report this)"
    )


def open_binary(path: str, offset: int = 0, *, max_bytes: int | None = None) -> IO[bytes]:
    """Open a regular file for reading bytes, positioned at ``offset``.

    Raises :class:`NotRegularFile` for anything but a regular file and :class:`TooLarge`
    when it holds more than ``max_bytes``.
    """
    local = _local(path)
    if local is not None:
        fd = os.open(local, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            info = os.fstat(fd)
            if not stat_mod.S_ISREG(info.st_mode):
                raise not_regular(path, info.st_mode)
            if max_bytes is not None and info.st_size > max_bytes:
                raise too_large(path, info.st_size, max_bytes)
            fh: IO[bytes] = io.FileIO(fd, "rb", closefd=True)
        except BaseException:
            os.close(fd)
            raise
    else:
        filesystem_, inner = filesystem(path)
        info = filesystem_.info(inner)
        if info.get("type") not in (None, "file"):
            raise NotRegularFile(f"{path} is not a regular file; curvedoc reads only files")
        size = int(info.get("size") or 0)
        if max_bytes is not None and size > max_bytes:
            raise too_large(path, size, max_bytes)
        fh = filesystem_.open(inner, "rb")
    if offset:
        fh.seek(offset)
    return fh


def read_bytes(
    path: str, offset: int = 0, length: int | None = None, *, max_bytes: int | None = None
) -> bytes:
    """The bytes of a regular file from ``offset`` (to the end, or ``length`` of them)."""
    with open_binary(path, offset, max_bytes=max_bytes) as fh:
        return fh.read() if length is None else fh.read(length)


#: The heads read while one folder is looked at (``heads_once``): path -> (bytes asked
#: for, bytes read) or the error.
_HEADS: ContextVar[dict[str, tuple[int, bytes] | OSError] | None] = ContextVar(
    "curvedoc_heads", default=None)
#: A head is read at least this long, so that formats asking for more of it than others
#: (a printed log's settings can fill its first 8 KB) still read each file once.
HEAD_READ = 32 << 10


@contextmanager
def heads_once() -> Iterator[None]:
    """Within: each file's head (``head``) is read once, however many formats sniff it."""
    token = _HEADS.set({})
    try:
        yield
    finally:
        _HEADS.reset(token)


def head(path: str, length: int = 4096) -> bytes:
    """A file's first ``length`` bytes (raises OSError); read once within ``heads_once``."""
    cache = _HEADS.get()
    if cache is None:
        return read_bytes(path, 0, length)
    hit = cache.get(path)
    if isinstance(hit, OSError):
        raise hit
    if hit is not None and (length <= hit[0] or len(hit[1]) < hit[0]):
        return hit[1][:length]  # (a file shorter than was asked for is all there)
    asked = max(length, HEAD_READ)
    try:
        data = read_bytes(path, 0, asked)
    except OSError as exc:
        cache[path] = exc
        raise
    cache[path] = (asked, data)
    return data[:length]


def stat(path: str) -> FileStat:
    """Size and modification time; raises FileNotFoundError when the file is gone."""
    fs, inner = filesystem(path)
    info = fs.info(inner)
    mtime = info.get("mtime", info.get("LastModified", 0.0))
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    etag = str(info.get("ETag") or info.get("etag") or "")
    return FileStat(int(info.get("size") or 0), float(mtime or 0.0), etag=etag)


def regular_stat(path: str, max_bytes: int | None = None) -> FileStat:
    """Size and mtime of a regular file no larger than ``max_bytes``.

    Raises :class:`NotRegularFile` (a FIFO, a device, a folder), :class:`TooLarge`, or the
    OSError of the stat itself. Never opens the file, so a FIFO cannot block it.
    """
    local = _local(path)
    if local is not None:
        info = os.stat(local)
        if not stat_mod.S_ISREG(info.st_mode):
            raise not_regular(path, info.st_mode)
        st = FileStat(info.st_size, info.st_mtime)
    else:
        st = stat(path)
    if max_bytes is not None and st.size > max_bytes:
        raise too_large(path, st.size, max_bytes)
    return st


def is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


# -- listing a tree -------------------------------------------------------------------------


class Folder(NamedTuple):
    """One folder as a listing saw it: names sorted, sizes where the listing gave them."""

    files: list[str]
    subdirs: list[str]
    sizes: dict[str, int]
    identity: object  # what tells a folder seen twice (through a symlink) from a new one
    #: entries that are neither folders nor regular files (FIFOs, devices, sockets): never
    #: read, but named, so that a log that is one does not vanish without a word
    specials: tuple[str, ...] = ()


class Listing:
    """The folders of a tree, for a walk: each local folder listed when asked (``scandir``);
    a remote tree listed ONCE, as one recursive ``find`` (on S3 one ListObjectsV2 request per
    1,000 objects, instead of one request per folder and one per file).

    A remote listing is a snapshot: the file system's listing cache under ``top`` is dropped
    first, so a walk after an object was replaced (grown) sees its new size, and the stat
    calls made while reading are then answered from the snapshot without a request.
    """

    def __init__(self, top: str, whole_tree: bool = True):
        """``whole_tree=False``: list remote folders one by one too (to look at one level)."""
        self.top = top
        self._tree: dict[str, list[dict]] | None = None
        if not is_local(top):
            self._fs, inner = filesystem(top)
            _forget(self._fs, inner)
            if whole_tree:
                self._tree = self._snapshot(inner)

    def _snapshot(self, inner: str) -> dict[str, list[dict]] | None:
        try:
            found = self._fs.find(inner, withdirs=True, detail=True)
        except (OSError, ValueError):
            return None  # folder by folder instead; list_dir reports what fails
        tree: dict[str, list[dict]] = {inner.rstrip("/"): []}
        for name, info in found.items():
            name = name.rstrip("/")
            parent = name.rpartition("/")[0]
            tree.setdefault(parent, []).append(info)
            if info.get("type") == "directory":
                tree.setdefault(name, [])
        return tree

    def list_dir(self, folder: str) -> Folder:
        """The files and sub-folders directly in ``folder``; OSError when it can't be read."""
        if is_local(folder):
            return _list_local(folder)
        inner = filesystem(folder)[1].rstrip("/")
        if self._tree is not None and inner in self._tree:
            entries = self._tree[inner]
        else:
            entries = self._fs.ls(inner, detail=True)
        return _folder_of(entries, inner)


def _forget(filesystem: fsspec.AbstractFileSystem, inner: str) -> None:
    """Drop what the file system's listing cache holds about ``inner`` and everything under
    it (``invalidate_cache`` alone keeps the sub-folders, and their stale sizes)."""
    filesystem.invalidate_cache(inner)
    cache = getattr(filesystem, "dircache", None)
    if cache:
        inner = inner.rstrip("/")
        for key in [k for k in list(cache) if k.startswith(inner + "/")]:
            cache.pop(key, None)


def _list_local(folder: str) -> Folder:
    files: list[str] = []
    subdirs: list[str] = []
    specials: list[str] = []
    st = os.stat(folder)
    with os.scandir(folder) as it:
        for entry in it:
            try:
                if entry.is_dir():
                    subdirs.append(entry.name)
                elif entry.is_file():
                    files.append(entry.name)  # sizes: stat-ed later, only if needed
                elif os.path.exists(entry.path):  # not a dangling symlink: a FIFO, a device
                    specials.append(entry.name)
            except OSError:
                continue  # a vanished entry
    files.sort()
    subdirs.sort()
    return Folder(files, subdirs, {}, (st.st_dev, st.st_ino), tuple(sorted(specials)))


def _folder_of(entries: list[dict], inner: str) -> Folder:
    files: list[str] = []
    subdirs: list[str] = []
    sizes: dict[str, int] = {}
    for info in entries:
        name = str(info["name"]).rstrip("/").rpartition("/")[2]
        if info.get("type") == "directory":
            subdirs.append(name)
        elif name:
            files.append(name)
            sizes[name] = int(info.get("size") or 0)
    files.sort()
    subdirs.sort()
    return Folder(files, sorted(set(subdirs)), sizes, inner)
