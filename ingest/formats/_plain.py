"""Which loose log files (CSV/TSV tables and JSON lines) a folder holds, and their run ids.

The generic CSV and JSON-lines formats share one rule: when a folder holds exactly
one such log and no other format claims the folder, the folder is the run (a
Keras ``training.log`` in ``exp1/`` is run ``exp1``); otherwise each file is its
own run, with the file's relative path as id and its stem as name.
"""

from __future__ import annotations

import functools
import os
import posixpath

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import RunSource

HEAD_BYTES = 4096
CSV_SUFFIXES = (".csv", ".tsv", ".log", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".txt")
#: Files other formats own even when their content would look like a table or JSON lines.
OTHER_FORMAT_FILES = frozenset({"trainer_state.json", "meta.yaml", "hparams.yaml"})


#: Names that can only be a text log: a file so named that cannot be read (no permission,
#: not a regular file) is still a run, so that its read names the problem on it.
UNREADABLE_KIND = ((".csv", "csv_table"), (".tsv", "csv_table"), (".jsonl", "jsonl"),
                   (".ndjson", "jsonl"))


def head(path: str) -> bytes | None:
    """The first bytes of a file (None when it cannot be read)."""
    try:
        return fs.read_bytes(path, 0, HEAD_BYTES)
    except OSError:
        return None


def signature(folder: str, files: tuple[str, ...]) -> tuple:
    """(name, size, mtime) of the log-like files of a folder: what sniffing depends on.

    Part of the key of :func:`plain_logs`' cache, so a file empty at one scan is sniffed
    again once it is written.
    """
    suffixes = CSV_SUFFIXES + JSONL_SUFFIXES
    out = []
    for name in files:
        if name.lower().endswith(suffixes):
            out.append((name, _stat_key(tab.join(folder, name))))
    return tuple(out)


def _stat_key(path: str) -> tuple | None:
    try:
        if fs.is_local(path) and "://" not in path:
            info = os.stat(path)
            return info.st_size, info.st_mtime_ns
        return tuple(fs.stat(path))
    except OSError:
        return None


def claimed_by_other_format(folder: str, files: list[str], subdirs: list[str]) -> bool:
    """Whether another format makes this folder a run of its own (ids would collide)."""
    from curvedoc.ingest.formats import lightning_csv

    names = set(files)
    return (
        any("tfevents" in name for name in files)
        or {"train", "validation"} <= set(subdirs)
        or "trainer_state.json" in names
        or any(name.startswith("checkpoint-") for name in subdirs)
        or ("meta.yaml" in names and "metrics" in subdirs)
        or lightning_csv.is_lightning_folder(folder, files)
    )


@functools.lru_cache(maxsize=2)
def plain_logs(
    folder: str, files: tuple[str, ...], subdirs: tuple[str, ...], stats: tuple = ()
) -> dict[str, str]:
    """file name -> "csv_table" or "jsonl" for the loose logs in one folder.

    Cached for the last two folders only: discovery asks csv_table and then jsonl
    about the same folder, and a later walk must see files that changed since (``stats``,
    from :func:`signature`, is part of the key for that).
    """
    from curvedoc.ingest.formats import csv_table, jsonl, lightning_csv

    found: dict[str, str] = {}
    skip_metrics = lightning_csv.is_lightning_folder(folder, list(files))
    for name in files:
        lower = name.lower()
        if name in OTHER_FORMAT_FILES or (skip_metrics and name == "metrics.csv"):
            continue
        if lower.endswith(CSV_SUFFIXES) or lower.endswith(JSONL_SUFFIXES):
            path = tab.join(folder, name)
            first = head(path)
            if first is None:
                kind = next((k for suffix, k in UNREADABLE_KIND if lower.endswith(suffix)), None)
                if kind is not None:
                    found[name] = kind
                continue
            if lower.endswith(JSONL_SUFFIXES) and jsonl.FORMAT.sniff(path, first):
                found[name] = "jsonl"
            elif lower.endswith(CSV_SUFFIXES) and csv_table.FORMAT.sniff(path, first):
                found[name] = "csv_table"
    return found


def listing(folder: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(file names, sub-folder names) of a folder, sorted; ((), ()) when it cannot be listed.

    The folder is listed again here because discovery hands each format only the files
    earlier formats left over, and the one-log-per-folder rule must see them all.
    """
    try:
        if fs.is_local(folder) and "://" not in folder:
            with os.scandir(folder) as entries:
                found = [(e.name, e.is_dir()) for e in entries]
        else:
            filesystem, inner = fs.filesystem(folder)
            found = [
                (tab.base_name(e["name"]), e["type"] == "directory")
                for e in filesystem.ls(inner, detail=True)
            ]
    except OSError:
        return (), ()
    files = tuple(sorted(name for name, is_dir in found if not is_dir))
    dirs = tuple(sorted(name for name, is_dir in found if is_dir))
    return files, dirs


def runs_of(
    fmt: str, folder: str, files: list[str], subdirs: list[str], root: str
) -> Found | None:
    """The runs of format ``fmt`` among ``files`` of a folder, with the file names they consume.

    Whether the folder or each file is a run is decided on the folder's full listing, so
    that the answer does not depend on which files other formats took first.
    """
    suffixes = CSV_SUFFIXES + JSONL_SUFFIXES
    if not any(name.lower().endswith(suffixes) for name in files):
        return None
    all_files, all_dirs = listing(folder)
    if not all_files:  # not listable (a single file given as root): what we were given
        all_files, all_dirs = tuple(sorted(files)), tuple(sorted(subdirs))
    logs = plain_logs(folder, all_files, all_dirs, signature(folder, all_files))
    mine = sorted(name for name, kind in logs.items() if kind == fmt and name in files)
    if not mine:
        return None
    path_of = {name: tab.join(folder, name) for name in mine}
    if len(logs) == 1 and not claimed_by_other_format(folder, list(all_files), list(all_dirs)):
        name = mine[0]
        return Found(runs=[tab.folder_run(fmt, folder, root, (path_of[name],))],
                     consumed_files={name})
    runs = [
        RunSource(
            id=tab.rel_id(path_of[name], root),
            name=posixpath.splitext(name)[0],
            format=fmt,
            root=root,
            files=(path_of[name],),
        )
        for name in mine
    ]
    return Found(runs=runs, consumed_files=set(mine))
