"""A folder curvedoc owns, written without ever following a symlink.

Every folder of the cache is created with mode 0700 and opened with ``O_NOFOLLOW``; it is
used only when it is a real directory owned by the current user. Files are written to a new
temporary name inside it (``O_CREAT|O_EXCL|O_NOFOLLOW``) and renamed over the final name
(``os.replace``, which replaces a directory entry, never writes through it). All of this goes
through the folder's file descriptor (``dir_fd``), so a folder swapped for a symlink after it
was checked is not followed either. Where ``dir_fd`` is missing (Windows) the same checks run
on paths.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd and bool(_DIRECTORY)
_counter = itertools.count()


class RefusedFolder(Exception):
    """A cache folder that is a symlink, not a folder, or not the current user's."""


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def _check(st: os.stat_result, path: Path) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise RefusedFolder(f"{path} is a symlink; curvedoc never writes through one")
    if not stat.S_ISDIR(st.st_mode):
        raise RefusedFolder(f"{path} is not a folder")
    if not _owned(st):
        raise RefusedFolder(f"{path} belongs to another user")


class Folder:
    """One checked cache folder: read and write files in it by name.

    Safe to pickle (it opens and checks its path again in the new process).
    """

    def __init__(self, path: Path, fd: int | None):
        self.path = path
        self._fd = fd
        self._lock = threading.Lock()

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def base(cls, path: str | os.PathLike[str]) -> Folder:
        """The top folder of a cache: created (0700) if missing, then checked.

        The folders above it are the user's own business and may be symlinks; the top
        folder itself may not.
        """
        path = Path(os.path.abspath(os.fspath(path)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
        except OSError as exc:
            raise RefusedFolder(f"{path}: cannot create the cache folder ({exc})") from exc
        return cls._open(path, None, str(path))

    def sub(self, name: str) -> Folder:
        """A sub-folder (created 0700 if missing, then checked)."""
        _plain_name(name)
        path = self.path / name
        try:
            if _DIR_FD:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o700, dir_fd=self._fd)
            else:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(path, 0o700)
        except OSError as exc:
            raise RefusedFolder(f"{path}: cannot create the cache folder ({exc})") from exc
        return self._open(path, self._fd, name)

    @classmethod
    def _open(cls, path: Path, parent_fd: int | None, name: str) -> Folder:
        if not _DIR_FD:
            try:
                _check(os.lstat(path), path)
            except OSError as exc:
                raise RefusedFolder(f"{path}: cannot use the cache folder ({exc})") from exc
            return cls(path, None)
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=parent_fd)
        except OSError as exc:
            # ELOOP / ENOTDIR: the name is a symlink or a file; say which
            with contextlib.suppress(OSError):
                _check(os.lstat(path), path)
            raise RefusedFolder(f"{path}: cannot use the cache folder ({exc})") from exc
        try:
            _check(os.fstat(fd), path)
        except RefusedFolder:
            os.close(fd)
            raise
        return cls(path, fd)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None

    def __del__(self) -> None:
        self.close()

    def __getstate__(self) -> dict:
        return {"path": str(self.path)}

    def __setstate__(self, state: dict) -> None:
        again = Folder._reopen(Path(state["path"]))
        self.path, self._fd, self._lock = again.path, again._fd, threading.Lock()
        again._fd = None

    @staticmethod
    def _reopen(path: Path) -> Folder:
        """The folder at an already checked path (in another process): checked again."""
        return Folder._open(path, None, str(path))

    # -- files ----------------------------------------------------------------------------

    def read(self, name: str, max_size: int) -> bytearray | None:
        """The bytes of a regular file in the folder (None when missing, a symlink, not a
        regular file, larger than ``max_size`` or unreadable). One copy, into a writable
        buffer: no memory map, so a file truncated meanwhile cannot crash the process."""
        _plain_name(name)
        flags = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _BINARY
        try:
            fd = (os.open(name, flags, dir_fd=self._fd) if _DIR_FD
                  else _open_checked(self.path / name, flags))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > max_size or not _owned(st):
                return None
            buf = bytearray(st.st_size)
            view = memoryview(buf)
            got = 0
            while got < len(buf):
                n = _read_into(fd, view[got:])
                if n <= 0:
                    return None  # shorter than its size said: changed while read
                got += n
            return buf
        except OSError:
            return None
        finally:
            os.close(fd)

    def write(self, name: str, parts: Sequence[bytes | memoryview]) -> bool:
        """Write a file atomically (a new temporary name, then a rename over ``name``).

        False when it cannot be written; nothing outside the folder is ever touched.
        """
        _plain_name(name)
        tmp = _tmp_name(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        try:
            fd = (os.open(tmp, flags, 0o600, dir_fd=self._fd) if _DIR_FD
                  else os.open(self.path / tmp, flags, 0o600))
        except OSError:
            return False
        try:
            try:
                _write_all(fd, parts)
            finally:
                os.close(fd)
            if _DIR_FD:
                os.replace(tmp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
            else:
                os.replace(self.path / tmp, self.path / name)
            return True
        except OSError:
            self.remove(tmp)
            return False

    @property
    def has_descriptor(self) -> bool:
        """Whether files are written through the folder's descriptor (see :meth:`write_via`)."""
        return _DIR_FD and self._fd is not None

    def write_via(self, name: str, write: Callable[[int, str, str], bool]) -> bool | None:
        """Write ``name`` with ``write(dir_fd, tmp, name)``, which must create ``tmp`` in the
        folder of ``dir_fd`` with ``O_CREAT|O_EXCL|O_NOFOLLOW`` (mode 0600), write it and
        rename it over ``name`` (removing it on failure), as :meth:`write` does: the
        compiled cache writer. None when the folder has no descriptor (the caller then
        uses :meth:`write`)."""
        _plain_name(name)
        fd = self._fd
        if not _DIR_FD or fd is None:
            return None
        return bool(write(fd, _tmp_name(name), name))

    def remove(self, name: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            _plain_name(name)
            if _DIR_FD:
                os.unlink(name, dir_fd=self._fd)
            else:
                os.unlink(self.path / name)


def _tmp_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{threading.get_ident()}.{next(_counter)}.tmp"


def _plain_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")


def _open_checked(path: Path, flags: int) -> int:
    if stat.S_ISLNK(os.lstat(path).st_mode):
        raise OSError(f"{path} is a symlink")
    return os.open(path, flags)


def _read_into(fd: int, view: memoryview) -> int:
    """Read into ``view`` (no copy where ``os.readv`` exists); the bytes read."""
    if hasattr(os, "readv"):
        return os.readv(fd, [view])
    data = os.read(fd, len(view))
    view[:len(data)] = data
    return len(data)


def _write_all(fd: int, parts: Sequence[bytes | memoryview]) -> None:
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    if hasattr(os, "writev"):
        while views:
            n = os.writev(fd, views[:1024])
            while views and n >= len(views[0]):
                n -= len(views[0])
                views.pop(0)
            if views and n:
                views[0] = views[0][n:]
        return
    for view in views:
        while len(view):
            view = view[os.write(fd, view):]
