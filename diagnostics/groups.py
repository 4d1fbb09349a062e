"""Group summaries: count diagnoses per folder or per value of a swept hparam."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from curvedoc.ingest.model import Run

from .findings import LABELS, Diagnosis

#: How a sentence says that a run has a label.
PHRASES = {
    "bad_init": "started from a bad initialisation",
    "lr_too_high": "had a learning rate too high",
    "decayed_too_early": "decayed the learning rate too early",
    "keep_training": "were still improving",
    "overfitting": "overfit",
    "underfitting": "underfit",
}


@dataclass
class GroupSummary:
    """One group: its runs, how many have each label, and a sentence saying it."""

    name: str
    run_ids: list[str]
    label_counts: dict[str, int] = field(default_factory=dict)
    sentence: str = ""


def summarize_groups(
    runs: Iterable[Run] | dict[str, Run],
    diagnoses: dict[str, Diagnosis],
    by: str | None = None,
) -> list[GroupSummary]:
    """Count labels per group.

    ``by=None`` groups by folder (``run.group``); ``by="<hparam>"`` by that
    hparam's value ("lr=0.1"); ``by="auto"`` picks the hparam that varies
    across runs while the others stay fixed within each group, falling back
    to folders.
    """
    runs = list(runs.values()) if isinstance(runs, dict) else list(runs)
    key = _auto_key(runs) if by == "auto" else by
    groups: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if key is None:
            groups[run.group].append(run)
        else:
            groups[f"{key}={run.hparams.get(key, '?')}"].append(run)
    out = []
    for name in sorted(groups, key=_natural):
        members = groups[name]
        counts = Counter()
        for run in members:
            d = diagnoses.get(run.id)
            counts.update(d.labels if d is not None else [])
        label_counts = {lab: counts[lab] for lab in LABELS if counts[lab]}
        out.append(GroupSummary(name, [r.id for r in members], label_counts,
                                _sentence(name, len(members), label_counts, key is not None)))
    return out


def _sentence(name: str, n: int, counts: dict[str, int], by_hparam: bool) -> str:
    where = f"with {name}" if by_hparam else f"in {name}"
    runs = "run" if n == 1 else "runs"
    if not counts:
        return f"all {n} {runs} {where} look healthy" if n > 1 else f"the run {where} looks healthy"
    parts = [f"{k} of {n} {runs} {where} {PHRASES[lab]}" for lab, k in
             sorted(counts.items(), key=lambda kv: (-kv[1], LABELS.index(kv[0])))]
    return "; ".join(parts)


def _auto_key(runs: list[Run]) -> str | None:
    """The hparam with several values whose change alone separates the runs."""
    values: dict[str, set] = defaultdict(set)
    for run in runs:
        for k, v in (run.hparams or {}).items():
            values[k].add(repr(v))
    varying = [k for k, vs in values.items() if 1 < len(vs) < max(len(runs), 2)]
    if not varying:
        return None
    if len(varying) == 1:
        return varying[0]
    # prefer the key whose groups hold runs that agree on every other varying key
    # except seeds (several runs per value = repeats of one setting)
    def spread(k):
        return sum(len({repr(r.hparams.get(o)) for r in runs if repr(r.hparams.get(k)) == v})
                   for v in values[k] for o in varying if o != k)
    return min(varying, key=lambda k: (spread(k), -len(values[k]), k))


def _natural(name: str):
    head, _, tail = name.partition("=")
    try:
        return (head, 0, float(tail), "")
    except ValueError:
        return (head, 1, 0.0, tail)
