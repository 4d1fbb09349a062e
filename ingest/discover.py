"""Find the runs under a root: walk the tree once and ask every format about every folder.

For each folder, the formats are asked in registry order (``formats()``); the files and
sub-folders one format consumes are not offered to the next, and consumed sub-folders are
not descended into. What the formats found is made into runs by
:mod:`curvedoc.ingest.identity` (one folder's formats merged, ids unique). Hidden
folders, ``__pycache__``, ``node_modules`` and the cache folder are skipped; a symlink
loop is cut by remembering the real identity of every folder seen.

Problems that belong to no run (an unreadable folder, a format that failed on a folder) are
returned as ``Discovery.warnings`` instead of being printed.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from curvedoc.ingest import fs, identity, paths
from curvedoc.ingest.formats.base import Found, formats, unavailable
from curvedoc.ingest.model import ATTEMPT, RunSource
from curvedoc.ingest.paths import join as _join
from curvedoc.ingest.sniff import (  # re-exported: the names discovery has always offered
    POINTER_MAX,
    is_binary,
    is_lfs_pointer,
)

#: Folder names never descended into.
SKIP_DIRS = frozenset({"__pycache__", "node_modules", ".git", ".curvedoc-cache"})
#: The format name of a run discovery made up for log files no format can read
#: (Git LFS pointers, binary junk named like a CSV or JSON-lines log).
UNKNOWN = "unknown"
#: Names that look like a log, so an LFS pointer in their place is worth reporting.
_LOG_LIKE = re.compile(r"tfevents|\.(?:csv|tsv|jsonl?|ndjson|log|db|sqlite)$|^metrics$", re.I)
#: Names that say "a text log of rows", so binary bytes in them are worth reporting.
_TEXT_LOG = re.compile(r"\.(?:csv|tsv|jsonl|ndjson)$", re.I)
_HEAD = 4096


class UnknownFormatWarning(UserWarning):
    """The user pointed at a single file that no format recognises."""


@dataclass
class Discovery:
    """What a walk found: the runs, and problems that belong to no run."""

    sources: list[RunSource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def discover(root: str) -> list[RunSource]:
    """The runs under ``root`` (a folder, or one log file), sorted by id.

    Raises FileNotFoundError, naming the path, when ``root`` does not exist.
    """
    return walk(root).sources


def walk(root: str) -> Discovery:
    """Like :func:`discover`, and also report problems that belong to no run."""
    root = normalize_root(root)
    kind = _kind(root)
    if kind is None:
        raise FileNotFoundError(
            f"{root}: no such file or folder; give the folder that holds your training logs"
        )
    found = _discover_file(root) if kind == "file" else _discover_tree(root)[0]
    found.sources.sort(key=lambda s: s.id)
    return found


def normalize_root(root: str) -> str:
    """An absolute local path (``~`` expanded), or a URL left as it is."""
    root = os.fspath(root)
    if fs.is_local(root):
        root = root[len("file://"):] if root.startswith("file://") else root
        return os.path.abspath(os.path.expanduser(root))
    return root.rstrip("/")


# -- walking ------------------------------------------------------------------------------


def _kind(path: str) -> str | None:
    if fs.is_local(path):
        if os.path.isdir(path):
            return "dir"
        return "file" if os.path.exists(path) else None
    filesystem, inner = fs.filesystem(path)
    try:
        info = filesystem.info(inner)
    except FileNotFoundError:
        return None
    return "dir" if info.get("type") == "directory" else "file"




def _skip_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIP_DIRS


def walk_top(
    root: str, folder: str | None = None, rel: str = ".", above: tuple = ()
) -> tuple[Discovery, list[tuple[str, str]], tuple]:
    """The runs of the root folder alone (or of its sub-folder ``folder``, id ``rel``), the
    (folder, id) sub-folders left to walk, and ``above`` plus this folder's identity.

    With :func:`walk_below` for each of those, the walk of a huge root can be spread over
    many machines (``curvedoc.diagnostics.distributed``); together they find what
    :func:`walk` finds. ``above`` (the identities of the folders above) cuts a symlink
    back to one of them; a symlink between two sub-folders is walked twice.
    """
    root = normalize_root(root)
    if folder is None and _kind(root) != "dir":
        return walk(root), [], above
    start = None if folder is None else (folder, rel)
    found, left, seen = _discover_tree(root, start, descend=False, above=above)
    found.sources.sort(key=lambda s: s.id)
    return found, left, (*above, *(i for i in seen if i not in above))


def walk_below(root: str, folder: str, rel: str, above: tuple = ()) -> Discovery:
    """The runs under one sub-folder ``folder`` of ``root`` (its id ``rel``), sorted by id."""
    found, _, _ = _discover_tree(normalize_root(root), (folder, rel), above=above)
    found.sources.sort(key=lambda s: s.id)
    return found


def _discover_tree(
    root: str, start: tuple[str, str] | None = None, descend: bool = True, above: tuple = ()
) -> tuple[Discovery, list[tuple[str, str]], set[object]]:
    """Walk from ``start`` (the root); the runs, the folders left when not ``descend``, and
    the identities seen (with ``above``, those of the folders above ``start``)."""
    out = Discovery()
    registry = formats()
    if start is None:
        _note_unavailable(out)  # once per walk, not once per sub-tree of a spread walk
    seen: set[object] = set(above)
    # (folder, its id, the id of the run it is attached to, if any)
    stack: list[tuple[str, str, str | None]] = [(*(start or (root, ".")), None)]
    left: list[tuple[str, str]] = []  # sub-folders not walked here (not ``descend``)
    attached: dict[str, list[RunSource]] = {}
    listing = fs.Listing(stack[0][0], whole_tree=descend)
    while stack:
        folder, rel, owner = stack.pop()
        try:
            files, subdirs, sizes, ident, specials = listing.list_dir(folder)
        except PermissionError:
            out.warnings.append(f"{folder}: cannot read this folder (permission denied); skipped")
            continue
        except OSError as exc:
            out.warnings.append(f"{folder}: cannot read this folder ({exc}); skipped")
            continue
        if ident in seen:
            continue  # a symlink back to a folder already walked (or a loop)
        seen.add(ident)
        for name in specials:
            out.warnings.append(
                f"{paths.join(folder, name)}: not a regular file (a FIFO, device or socket), "
                "so it is never read; if it should be a log, copy the log there instead")
        subdirs = [d for d in subdirs if not _skip_dir(d)]
        finds, left_files, left_dirs, attach_dirs = _ask_formats(
            registry, folder, files, subdirs, root, out
        )
        runs = identity.folder_runs(identity.FolderFinds(rel, _folder_name(folder, rel), finds))
        runs = by_attempt(runs, registry)
        runs = _add_unreadable_logs(folder, rel, left_files, sizes, runs, root)
        if owner is not None:
            attached.setdefault(owner, []).extend(runs)
        else:
            out.sources.extend(runs)
        for name in reversed(left_dirs):
            child = name if rel == "." else f"{rel}/{name}"
            child_owner = owner if owner is not None else (rel if name in attach_dirs else None)
            if descend or child_owner is not None:
                # a run's attached folders are walked with it, so the run is whole here
                stack.append((_join(folder, name), child, child_owner))
            else:
                left.append((_join(folder, name), child))
    out.sources = [
        identity.attach(s, attached.pop(s.id)) if s.id in attached else s for s in out.sources
    ]
    out.sources = identity.unique_ids(out.sources)
    return out, left[::-1], seen


def _note_unavailable(out: Discovery) -> None:
    for name, why in unavailable().items():
        out.warnings.append(f"the {name} format is not available: {why}")


def _folder_name(folder: str, rel: str) -> str:
    return PurePosixPath(rel).name if rel != "." else os.path.basename(folder.rstrip("/"))


def _ask_formats(
    registry: dict, folder: str, files: list[str], subdirs: list[str], root: str, out: Discovery
) -> tuple[list[Found], list[str], list[str], set[str]]:
    """What each format finds in a folder: each is offered what earlier ones left.

    Returns the finds, the files and sub-folders nobody took, and the sub-folders whose
    runs belong to this folder's run.
    """
    finds: list[Found] = []
    attach_dirs: set[str] = set()
    with fs.heads_once():  # the formats that sniff a file read its head once
        for name, fmt in registry.items():
            if not files and not subdirs:
                break
            found = _find(name, fmt, folder, files, subdirs, root, out)
            if not found:
                continue
            finds.append(found)
            attach_dirs |= found.attached_dirs
            files = [f for f in files if f not in found.consumed_files]
            subdirs = [d for d in subdirs if d not in found.consumed_dirs]
    return finds, files, subdirs, attach_dirs


def _find(name: str, fmt, folder: str, files: list[str], subdirs: list[str], root: str,
          out: Discovery) -> Found | None:
    """One format's runs in a folder; a format that fails is a warning, not a stop."""
    try:
        return fmt.find_runs(folder, list(files), list(subdirs), root)
    except Exception as exc:  # a format's bug must not stop the walk
        out.warnings.append(
            f"{folder}: the {name} format failed while looking for runs "
            f"({type(exc).__name__}: {exc}); please report this"
        )
        return None


def _add_unreadable_logs(
    folder: str,
    rel: str,
    files: list[str],
    sizes: dict[str, int],
    runs: list[RunSource],
    root: str,
) -> list[RunSource]:
    """Report log-like files no format took: Git LFS pointers, binary junk named like a log.

    They join the folder's run (or make one of format ``unknown``), where reading names
    each of them and says what to do, instead of vanishing from the listing.
    """
    pointers = []
    for name in files:
        if not _LOG_LIKE.search(name):
            continue
        path = _join(folder, name)
        size = sizes.get(name)
        if size is None:
            try:
                size = os.stat(path).st_size
            except OSError:
                continue
        head = _head(path) if size else b""
        pointer = size < POINTER_MAX and is_lfs_pointer(head)
        if pointer or (_TEXT_LOG.search(name) and is_binary(head)):
            pointers.append(path)
    if not pointers:
        return runs
    for i, source in enumerate(runs):
        if source.id == rel:
            runs[i] = replace(source, files=(*source.files, *pointers))
            return runs
    name = _folder_name(folder, rel)
    runs.append(RunSource(id=rel, name=name, format=UNKNOWN, root=root, files=tuple(pointers)))
    return runs


def _head(path: str) -> bytes:
    try:
        return fs.read_bytes(path, 0, _HEAD)
    except OSError:
        return b""


def by_attempt(runs: list[RunSource], registry) -> list[RunSource]:
    """Each run of one log file whose format can tell the runs it holds one after another
    (an optional ``attempts(source)``: ``python train.py >> train.log`` appends a second
    run to the first) as one run per attempt. The first keeps the run's id, so a run
    appended later never renames it; the others are ``<id>#attempt=K``, K from 2. A
    format's reader reads the one its source names (``option("attempt")``)."""
    out: list[RunSource] = []
    for source in runs:
        count = getattr(registry.get(source.format), "attempts", None)
        n = count(source) if count is not None and len(source.files) == 1 else 1
        if n < 2:
            out.append(source)
            continue
        out.append(replace(source, options=(*source.options, (ATTEMPT, "1"))))
        out.extend(replace(source, id=f"{source.id}#{ATTEMPT}={k}",
                           name=f"{source.name} ({ATTEMPT} {k})",
                           options=(*source.options, (ATTEMPT, str(k))))
                   for k in range(2, n + 1))
    return out


# -- a single file as root ----------------------------------------------------------------


def _discover_file(path: str) -> Discovery:
    out = Discovery()
    folder, name = _split(path)
    registry = formats()
    _note_unavailable(out)
    finds, _, _, _ = _ask_formats(registry, folder, [name], [], folder, out)
    runs = identity.folder_runs(identity.FolderFinds(".", _stem(name), finds))
    if runs:
        out.sources = by_attempt([_as_file_run(s, name) for s in runs], registry)
        return out
    head = _head(path)
    if is_lfs_pointer(head):
        out.sources = [
            RunSource(id=name, name=_stem(name), format=UNKNOWN, root=folder, files=(path,))
        ]
        return out
    for fmt_name, fmt in registry.items():
        try:
            if fmt.sniff(path, head):
                out.sources = [
                    RunSource(
                        id=name, name=_stem(name), format=fmt_name, root=folder, files=(path,)
                    )
                ]
                return out
        except Exception:  # a format's bug must not stop the others
            continue
    known = "; ".join(f"{n}: {getattr(f, 'summary', n)}" for n, f in registry.items())
    message = f"{path}: not a training log curvedoc can read. Known formats: {known}"
    out.warnings.append(message)
    warnings.warn(message, UnknownFormatWarning, stacklevel=3)
    return out


def _as_file_run(source: RunSource, name: str) -> RunSource:
    """A run found in the file's folder, renamed after the file when it is the folder's."""
    if source.id == ".":
        return replace(source, id=name, name=source.name or _stem(name))
    return source


def _split(path: str) -> tuple[str, str]:
    if fs.is_local(path):
        return os.path.dirname(path), os.path.basename(path)
    head, _, tail = path.rpartition("/")
    return head, tail


def _stem(name: str) -> str:
    return name.split(".", 1)[0] or name

