"""Which loose log files (CSV/TSV tables and JSON lines) a folder holds: one run per file.

The generic CSV and JSON-lines formats share this: each loose log is its own run, with the
file's relative path as id and its stem as name. Discovery (``curvedoc.ingest.identity``)
makes a folder's only loose log the folder's run (a Keras ``training.log`` in ``exp1/`` is
run ``exp1``), merged with what other formats found there.
"""

from __future__ import annotations

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import RunSource

HEAD_BYTES = 4096
CSV_SUFFIXES = (".csv", ".tsv", ".log", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".txt")


#: Names that can only be a text log: a file so named that cannot be read (no permission,
#: not a regular file) is still a run, so that its read names the problem on it.
UNREADABLE_KIND = ((".csv", "csv_table"), (".tsv", "csv_table"), (".jsonl", "jsonl"),
                   (".ndjson", "jsonl"))


def head(path: str, length: int = HEAD_BYTES) -> bytes | None:
    """The first bytes of a file (None when it cannot be read)."""
    try:
        return fs.head(path, length)
    except OSError:
        return None


def runs_of(
    fmt: str, folder: str, files: list[str], subdirs: list[str], root: str,
    suffixes: tuple[str, ...] | None = None, head_bytes: int = HEAD_BYTES,
) -> Found | None:
    """The loose logs of format ``fmt`` among the files no other format took: one run each.
    ``suffixes``: the names its files may have (by default JSON lines' or CSV's);
    ``head_bytes``: how much of each file its sniff is shown.

    Whether the folder's only loose log stands for the folder is discovery's decision
    (``Found.loose``), made on what every format found there.
    """
    from curvedoc.ingest.formats.base import get_format

    if suffixes is None:
        suffixes = JSONL_SUFFIXES if fmt == "jsonl" else CSV_SUFFIXES
    sniff = get_format(fmt).sniff
    mine = []
    for name in files:
        lower = name.lower()
        if lower.endswith(suffixes):
            path = tab.join(folder, name)
            first = head(path, head_bytes)
            if first is None:  # unreadable: still a run when the name says what it is
                if any(lower.endswith(sfx) and kind == fmt for sfx, kind in UNREADABLE_KIND):
                    mine.append(name)
            elif sniff(path, first):
                mine.append(name)
    if not mine:
        return None
    runs = [
        RunSource(
            id=tab.rel_id(tab.join(folder, name), root),
            name=tab.stem(name),
            format=fmt,
            root=root,
            files=(tab.join(folder, name),),
        )
        for name in sorted(mine)
    ]
    return Found(runs=runs, consumed_files=set(mine), loose=True)
