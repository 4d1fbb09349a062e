"""Which run each log file belongs to: the one place run identity is decided.

Formats only say what they see in one folder (:class:`~curvedoc.ingest.formats.base.Found`);
discovery hands that here, and these rules make the runs a user thinks of:

- **One folder, one training.** When several formats find a run for the same folder (an
  Ultralytics folder's event file and ``results.csv``; a Lightning ``version_N`` with
  ``metrics.csv`` and event files; a Hugging Face output folder with event files beside
  ``trainer_state.json``; an MLflow run with event files in it or under ``artifacts/``),
  they are one run whose ``parts`` are read each by its own reader; reading then takes the
  fuller source per tag (see :func:`curvedoc.ingest.merge.merge_parts`).
- **A loose log stands for its folder** when it is the folder's only one (a Keras
  ``training.log`` in ``exp1/`` is run ``exp1``); several loose logs are one run each, named
  by their file, except copies of one log (mmengine's ``<time>.json`` and ``scalars.json``).
- **A side file joins its folder's run** (Lightning's ``hparams.yaml``) and is no run alone.
- **Two runs never share an id.** A run whose id another already holds (a folder named like
  ``mlflow.db#<run id>`` beside that store) is listed under ``"<id> (<format>)"``, with a
  warning that says so: every log file's rows end up on some run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from curvedoc.ingest import fs
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import RunSource

#: How much of two loose logs is compared to tell a copy.
HEAD_BYTES = 4096


@dataclass
class FolderFinds:
    """What every format found in one folder, in the order they were asked."""

    rel: str  # the folder's id ("." for the root)
    name: str  # the folder's display name
    finds: list[Found] = field(default_factory=list)


def folder_runs(found: FolderFinds) -> list[RunSource]:
    """The runs of one folder: the folder's own run (its formats merged) first."""
    loose = [s for f in found.finds if f.loose and not f.extends for s in f.runs]
    sides = [s for f in found.finds if f.extends for s in f.runs]
    runs = [s for f in found.finds if not f.loose and not f.extends for s in f.runs]
    loose = [merge(group, [], group[0].name) for group in copies(loose)]
    if len(loose) == 1:
        runs.append(replace(loose[0], id=found.rel, name=found.name, key=None))
    else:
        runs.extend(loose)
    own = [s for s in runs if is_folder_run(s, found.rel)]
    rest = [s for s in runs if not is_folder_run(s, found.rel)]
    if not own:
        return rest
    side = [s for s in sides if s.id == found.rel]
    return [merge(own, side, found.name), *rest]


def copies(loose: list[RunSource]) -> list[list[RunSource]]:
    """Loose logs grouped so that copies of one log are one group, in their order.

    mmengine writes every row to ``vis_data/<time>.json`` and to ``vis_data/scalars.json``:
    two files, one log. Two loose logs are copies when their first 4 KiB are the same
    bytes, or, for smaller files, when their whole content is (and holds a header and two
    rows at least: two runs of a sweep may well start with the same first row).
    """
    if len(loose) < 2:
        return [[s] for s in loose]
    # runs that share one file (a run-key column's values) are never copies of each other
    heads = [_head(s.files[0]) if len(s.files) == 1 and s.key is None else b"" for s in loose]
    groups: list[list[int]] = []
    for i, head in enumerate(heads):
        for group in groups:
            other = heads[group[0]]
            if _same_log(head, other):
                group.append(i)
                break
        else:
            groups.append([i])
    return [[loose[i] for i in group] for group in groups]


def _same_log(a: bytes, b: bytes) -> bool:
    return a == b and (len(a) == HEAD_BYTES or a.count(b"\n") >= 3)


def _head(path: str) -> bytes:
    try:
        return fs.read_bytes(path, 0, HEAD_BYTES)
    except OSError:
        return b""


def is_folder_run(source: RunSource, rel: str) -> bool:
    return source.id == rel and source.key is None


def merge(main: list[RunSource], side: list[RunSource], folder_name: str) -> RunSource:
    """One run of the same training seen by several sources (each may already be merged)."""
    flat = [p for s in main for p in (s.parts or (s,))]
    if len(flat) == 1 and not side:
        return main[0]
    sides = [p for s in side for p in (s.parts or (s,))]
    parts = (*sides, *flat)  # side files first: the main sources' hparams win over theirs
    # a name the user gave (an MLflow run name) beats the folder's
    name = next((p.name for p in flat if p.name and p.name != folder_name), flat[0].name)
    files = tuple(dict.fromkeys(f for p in parts for f in p.files))
    notes = tuple(dict.fromkeys(n for p in (*main, *side) for n in p.notes))
    return RunSource(
        id=main[0].id,
        name=name,
        format="+".join(dict.fromkeys(p.format for p in flat)),
        root=main[0].root,
        files=files,
        parts=parts,
        notes=notes,
    )


def attach(owner: RunSource, found: list[RunSource]) -> RunSource:
    """The owner run with the runs found in its attached folders (MLflow ``artifacts/``)."""
    if not found:
        return owner
    parts = [p for s in found for p in (s.parts or (s,))]
    # the parts keep their own ids; the merged run is the owner's, with its name
    return replace(merge([owner, *parts], [], owner.name), name=owner.name)


def unique_ids(sources: list[RunSource]) -> list[RunSource]:
    """The sources with no id shared: the first holder keeps it, later ones are renamed.

    A run stored inside a file (an MLflow store's ``<db>#<run id>``) holds its id before a
    folder or a file that happens to be named like it.
    """
    order = sorted(range(len(sources)), key=lambda i: (sources[i].key is None, i))
    taken: set[str] = set()
    out = list(sources)
    for i in order:
        source = sources[i]
        if source.id in taken:
            new = f"{source.id} ({source.format})"
            count = 2
            while new in taken:
                new, count = f"{source.id} ({source.format} {count})", count + 1
            note = (f"{', '.join(source.files[:3])}: another run already has the id "
                    f"{source.id!r}; this one is listed as {new!r}")
            # the parts keep the real id: readers find the run's folder from it
            source = replace(source, id=new, parts=source.parts or (source,),
                             notes=(*source.notes, note))
        taken.add(source.id)
        out[i] = source
    return out
