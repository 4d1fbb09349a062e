"""Who a log file is: more than its path, size and mtime.

A file's :class:`FileIdent` is its stat (size, mtime and ctime in ns, inode, device) plus
a hash of its first and last 4 KiB. A log rewritten with the same size and mtime still gets
a new ctime (only root can set it back) and, almost always, other bytes at one end. A file
that only grew keeps its inode and its first bytes, which is what lets a reader continue
from the offset it stopped at (:func:`grew_from`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from typing import Any

from curvedoc.ingest import fs

BLOCK = 4096


@dataclass(frozen=True)
class FileIdent:
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int
    head: str  # blake2b of bytes [0, min(size, BLOCK))
    tail: str  # blake2b of bytes [max(0, size - BLOCK), size)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> FileIdent:
        """Raises TypeError/ValueError for anything but the dict ``to_json`` made."""
        if not isinstance(data, dict) or set(data) != _FIELDS:
            raise ValueError("not a file ident")
        ints = {k: data[k] for k in _INTS}
        if not all(type(v) is int for v in ints.values()):
            raise ValueError("not a file ident")
        if not isinstance(data["head"], str) or not isinstance(data["tail"], str):
            raise ValueError("not a file ident")
        return cls(**data)


_FIELDS = {"size", "mtime_ns", "ctime_ns", "ino", "dev", "head", "tail"}
_INTS = ("size", "mtime_ns", "ctime_ns", "ino", "dev")


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _local(path: str) -> str:
    return path[len("file://"):] if path.startswith("file://") else path


def ident_of(path: str, st: fs.FileStat) -> FileIdent | None:
    """The ident of a file whose stat was just taken, or None when it changed meanwhile
    (the stat after hashing differs) or cannot be read."""
    try:
        if fs.is_local(path):
            return _local_ident(_local(path), st)
        head, tail = _ends(path, st.size)
        return FileIdent(st.size, int(st.mtime * 1e9), 0, 0, 0, _digest(head), _digest(tail))
    except (OSError, ValueError):
        return None


def _ends(path: str, size: int) -> tuple[bytes, bytes]:
    """The first and last BLOCK bytes of the file's first ``size`` bytes; one read when
    they overlap or touch (each read of a remote object is a request)."""
    if size <= 2 * BLOCK:
        data = fs.read_bytes(path, 0, size)
        return data[:BLOCK], data[max(0, size - BLOCK):]
    return fs.read_bytes(path, 0, BLOCK), fs.read_bytes(path, size - BLOCK, BLOCK)


def _local_ident(path: str, st: fs.FileStat) -> FileIdent | None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        now = os.fstat(fd)
        if stat_of(now) != st:
            return None
        head = os.pread(fd, min(now.st_size, BLOCK), 0)
        tail = os.pread(fd, min(now.st_size, BLOCK), max(0, now.st_size - BLOCK))
        if stat_of(os.fstat(fd)) != st:
            return None
    finally:
        os.close(fd)
    return FileIdent(now.st_size, now.st_mtime_ns, now.st_ctime_ns, now.st_ino, now.st_dev,
                     _digest(head), _digest(tail))


def stat_of(st: os.stat_result) -> fs.FileStat:
    """The FileStat of an ``os.stat`` result."""
    return fs.FileStat(st.st_size, st.st_mtime, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                       st.st_dev)


def grew_from(old: FileIdent, path: str, st: fs.FileStat) -> bool:
    """Whether the file at ``path`` (now ``st``) is ``old`` with bytes appended: the same
    inode, larger, and its first and last blocks as they were at ``old.size``."""
    if st.size <= old.size or (old.ino and (st.ino, st.dev) != (old.ino, old.dev)):
        return False
    try:
        head, tail = _ends(path, old.size)
    except (OSError, ValueError):
        return False
    return _digest(head) == old.head and _digest(tail) == old.tail
