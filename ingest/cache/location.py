"""Where the cache of a log root lives: the user's cache folder, never the log folder.

The base folder is, in order: the folder given by the caller (``cache=PATH``,
``--cache-dir``), ``$CURVEDOC_CACHE_DIR``, ``platformdirs.user_cache_dir("curvedoc")``
(``~/.cache/curvedoc`` on Linux). Inside it each root has its own folder,
``roots/<key>/``, where ``key`` is a hash of the root's file-system protocol and real path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from curvedoc.ingest import fs

ENV = "CURVEDOC_CACHE_DIR"
_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
        b"# This file is a cache directory tag created by curvedoc (bford.info/cachedir).\n")


def base_folder(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The top cache folder (see the module docstring)."""
    if explicit is not None:
        return Path(os.path.expanduser(os.fspath(explicit)))
    env = os.environ.get(ENV)
    if env:
        return Path(os.path.expanduser(env))
    return user_cache_dir()


def user_cache_dir() -> Path:
    """curvedoc's folder in the user cache folder (XDG on Linux, Library/Caches on macOS,
    LOCALAPPDATA on Windows)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("curvedoc", appauthor=False))


def root_key(root: str) -> str:
    """A stable name for a root: a hash of its protocol and real path (links resolved)."""
    if fs.is_local(root):
        path = root[len("file://"):] if root.startswith("file://") else root
        ident = "file\0" + os.path.realpath(path)
    else:
        filesystem, inner = fs.filesystem(root)
        protocol = filesystem.protocol
        protocol = protocol[0] if isinstance(protocol, (tuple, list)) else protocol
        ident = f"{protocol}\0{inner.rstrip('/')}"
    return hashlib.blake2b(ident.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def root_folder(root: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder of one root (not created)."""
    return base_folder(explicit) / "roots" / root_key(root)


def cachedir_tag() -> bytes:
    """The CACHEDIR.TAG that tells backup tools to skip the cache."""
    return _TAG
