"""File access for every reader, through fsspec so that remote roots can work later.

Local paths take fsspec's local file system; ``s3://...`` and the like work once
the matching fsspec package is installed. Readers call these and nothing else.
"""

from __future__ import annotations

from typing import IO, NamedTuple

import fsspec
from fsspec.core import url_to_fs


class FileStat(NamedTuple):
    """Size and mtime; local files also carry what tells a rewrite from the same file
    (zero where a file system does not say)."""

    size: int
    mtime: float
    mtime_ns: int = 0
    ctime_ns: int = 0
    ino: int = 0
    dev: int = 0


def filesystem(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec file system for a path or URL, and the path within it."""
    return url_to_fs(path)


def open_binary(path: str, offset: int = 0) -> IO[bytes]:
    """Open a file for reading bytes, positioned at ``offset``."""
    fs, inner = filesystem(path)
    fh = fs.open(inner, "rb")
    if offset:
        fh.seek(offset)
    return fh


def read_bytes(path: str, offset: int = 0, length: int | None = None) -> bytes:
    """The bytes of a file from ``offset`` (to the end, or ``length`` of them)."""
    with open_binary(path, offset) as fh:
        return fh.read() if length is None else fh.read(length)


def stat(path: str) -> FileStat:
    """Size and modification time; raises FileNotFoundError when the file is gone."""
    fs, inner = filesystem(path)
    info = fs.info(inner)
    mtime = info.get("mtime", info.get("LastModified", 0.0))
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    return FileStat(int(info.get("size") or 0), float(mtime or 0.0))


def is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")
