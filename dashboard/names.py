"""Run names a person can tell apart: the shortest path suffix that is unique in the folder.

Readers name a run by its last folder, so ``sweeps/lr/lr_0.01/seed_0`` and
``sweeps/lr/lr_0.1/seed_0`` are both ``seed_0``. TensorBoard shows the relative path;
we show as little of it as tells the runs apart (``lr_0.01/seed_0``, ``lr_0.1/seed_0``),
and the full id wherever there is room for a tooltip.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from natsort import natsort_keygen, ns

#: Sort key that puts ``version_2`` before ``version_16`` (case-insensitive).
natural_key = natsort_keygen(alg=ns.IGNORECASE)


def _parts(run_id: str, name: str) -> list[str]:
    """The id's folders, ending in the run's own name (an MLflow run keeps its name)."""
    base = run_id.split("#", 1)[0]
    folders = [p for p in base.split("/")[:-1] if p not in ("", ".")]
    inner = run_id.split("#", 1)[1] if "#" in run_id else None
    last = name or (inner or base.rsplit("/", 1)[-1])
    return [*folders, last]


def short_names(runs: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Run id -> the shortest suffix of its path that no other run shares.

    ``runs`` maps each id to the run's own name (its last folder, or the name an
    MLflow store gives it). Runs whose whole path is alike keep their full id.
    """
    items = list(runs.items()) if isinstance(runs, Mapping) else list(runs)
    parts = {rid: _parts(rid, name) for rid, name in items}
    depth = dict.fromkeys(parts, 1)

    def name_of(rid: str) -> str:
        return "/".join(parts[rid][-depth[rid]:])

    while True:
        by_name: dict[str, list[str]] = defaultdict(list)
        for rid in parts:
            by_name[name_of(rid)].append(rid)
        grow = [rid for same in by_name.values() if len(same) > 1 for rid in same
                if depth[rid] < len(parts[rid])]
        if not grow:
            break
        for rid in grow:
            depth[rid] += 1
    out = {rid: name_of(rid) for rid in parts}
    counts: dict[str, int] = defaultdict(int)
    for n in out.values():
        counts[n] += 1
    return {rid: (n if counts[n] == 1 else rid) for rid, n in out.items()}


def natural_sorted(values: Iterable[Any]) -> list[Any]:
    """``values`` in natural order (numbers inside names compare as numbers)."""
    return sorted(values, key=lambda v: natural_key(str(v)))


_SPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Text with every run of white space (line breaks too) made one space."""
    return _SPACE.sub(" ", str(text)).strip()


def plural(n: int, noun: str) -> str:
    """'1 run', '2 runs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
