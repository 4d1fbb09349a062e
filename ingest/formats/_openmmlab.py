"""OpenMMLab JSON logs put their evaluation rows on another axis: put them on the run's.

Two shapes, both JSON lines read by the JSON-lines reader:

- mmcv 1.x ``<time>.log.json`` (mmdet 2, mmseg 0.x): ``{"mode": "train", "epoch": 2,
  "iter": 50, ...}`` where ``iter`` counts from 1 again in every epoch, and
  ``{"mode": "val", "epoch": 2, "iter": 625, "bbox_mAP": ...}`` where ``iter`` is the number
  of evaluation batches. A train row's step becomes ``iter`` plus the iterations of the
  epochs before it (when ``iter`` restarts; an iteration-based runner's global ``iter`` is
  kept); an evaluation row's step is the last train row's.
- mmengine ``vis_data/scalars.json`` (mmdet 3, mmpretrain, mmseg 1.x): train rows carry
  ``epoch`` and ``step`` (the iteration; mmdet adds ``iter``); evaluation rows carry
  ``step`` but no ``epoch``, and their ``step`` is the *epoch* for an epoch-based loop. An
  evaluation row is put at the last train row's step (for an iteration-based loop, whose
  evaluation ``step`` is the iteration, that is the same place).

Keys an evaluation row shares with the train rows (``loss`` of a validation workflow)
become ``val/<key>`` (``test/<key>``), so the two never mix in one tag; ``lr``, ``memory``,
``time`` and ``data_time`` of an evaluation row are bookkeeping and are dropped.
Detectron2's ``metrics.json`` (one ``iteration`` axis for both) needs none of this.

The reader keeps what this needs to go on with appended rows in its state (``MMState``,
JSON-able, so the cache can hold it).
"""

from __future__ import annotations

from typing import Any

MODES = ("train", "val", "test")
#: Keys of an evaluation row that only repeat the train rows' settings.
REPEATED = frozenset({"lr", "memory", "epoch", "iter", "mode", "step", "time", "data_time"})


def align(records: list[dict[str, Any]], state: dict[str, Any] | None
          ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The records with OpenMMLab evaluation rows moved onto the train axis, and the new state.

    Returns the records unchanged (and ``state``) when the file is not an OpenMMLab log.
    """
    st = dict(state) if state else None
    out = []
    for rec in records:
        kind = _kind(rec, st)
        if kind is None:
            out.append(rec)
            continue
        if st is None:
            st = {"train_keys": [], "last_step": 0, "ends": {}, "offsets": {}, "shape": kind[0]}
        out.append(_train(rec, st, kind[0]) if kind[1] == "train" else _eval(rec, st, kind[1]))
    return out, st


def _kind(rec: dict[str, Any], st: dict[str, Any] | None) -> tuple[str, str] | None:
    """("mmcv" | "mmengine", "train" | "val" | "test"), or None for a row of neither."""
    mode = rec.get("mode")
    if isinstance(mode, str) and mode in MODES and "epoch" in rec and "iter" in rec:
        return "mmcv", mode
    if "epoch" in rec and "step" in rec:
        return "mmengine", "train"
    if st is not None and st["shape"] == "mmengine" and "step" in rec:
        return "mmengine", "val"
    return None


def _train(rec: dict[str, Any], st: dict[str, Any], shape: str) -> dict[str, Any]:
    st["train_keys"] = sorted(set(st["train_keys"]) | set(rec))
    if shape == "mmengine":
        step = _int(rec.get("step"))
    else:
        epoch, it = str(_int(rec.get("epoch"))), _int(rec.get("iter"))
        ends, offsets = st["ends"], st["offsets"]
        if epoch not in offsets:
            before = max(ends.values(), default=0) if ends else 0
            previous = sum(ends.values())
            # iter restarted in this epoch: add the earlier epochs' iterations
            offsets[epoch] = previous if ends and it <= before else 0
        ends[epoch] = max(ends.get(epoch, 0), it)
        step = offsets[epoch] + it
    st["last_step"] = max(int(st["last_step"]), step)
    return {**rec, "step": step}


def _eval(rec: dict[str, Any], st: dict[str, Any], mode: str) -> dict[str, Any]:
    train = set(st["train_keys"])
    out: dict[str, Any] = {"step": int(st["last_step"])}
    for key, value in rec.items():
        if key in REPEATED:
            continue
        out[f"{mode}/{key}" if key in train else key] = value
    return out


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0
