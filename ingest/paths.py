"""Paths and run ids, for local paths and fsspec URLs alike: the one copy every module uses.

A run's id is the posix path of its folder (or file) relative to the root, "." for the
root itself; paths are joined with "/" (which local paths on POSIX and every fsspec URL
accept).
"""

from __future__ import annotations

import posixpath


def join(folder: str, *names: str) -> str:
    """Join path parts with "/"."""
    return posixpath.join(folder.replace("\\", "/"), *names)


def rel_id(path: str, root: str) -> str:
    """Posix path of ``path`` relative to ``root`` ("." for the root itself)."""
    path = path.replace("\\", "/").rstrip("/")
    root = root.replace("\\", "/").rstrip("/")
    if path == root:
        return "."
    if root and path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return posixpath.relpath(path.split("://", 1)[-1], root.split("://", 1)[-1] or ".")


def base_name(path: str) -> str:
    """Last component of a path or URL."""
    return posixpath.basename(path.replace("\\", "/").rstrip("/")) or path


def stem(path: str) -> str:
    """A file's name without its last suffix: ``losses.csv`` -> ``losses``."""
    return posixpath.splitext(base_name(path))[0]


def folder_name(folder: str, root: str) -> str:
    """A run's display name: its folder's name (the root's own name for the root)."""
    return base_name(folder) or base_name(root)


def local_run_folder(source) -> str | None:
    """The local folder of a run (None for a run inside a file, like an MLflow SQLite store,
    or on a remote root): its id joined to the root, else the folder of its first file."""
    import os

    from curvedoc.ingest import fs

    if "#" in source.id or not fs.is_local(source.root):
        return None
    folder = os.path.normpath(os.path.join(source.root, source.id))
    if os.path.isdir(folder):
        return folder
    return os.path.dirname(source.files[0]) if source.files else None
