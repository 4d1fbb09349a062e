"""Training logs printed as text: ``print(f"Epoch {e}/{n} | Loss: {loss:.4f}, Acc: {acc:.2%}")``.

A ``.log``/``.txt``/``.out`` (or a ``.csv`` that is no table, or a ``.md`` a console's
output was pasted into) whose lines name a step and
then metrics, however a training loop printed them and a logger prefixed them:

- ``Epoch 3/10 | Loss: 0.5123, Accuracy: 82.44%``, ``Epoch [3/10] loss=0.51 val_loss=0.62``
- ``2025-06-04 17:39:02,341 - INFO - Epoch 1/35, Train Loss: 1.6279, Test Acc: 59.86%``
- ``Step    50, Loss: 7.627681, LR: 0.000075``, ``Epoch:0, mask loss is 0.1411``
- ``Epoch 1/5  train loss 0.3837 acc 0.9137 | val loss 0.0672 acc 0.9805 | 401s``: names
  and values with only spaces between; the phase of a chunk's first name is its others'
  (``val acc``)
- ``Epoch 3/50 [TF=0.3] - Train: 1.98, Val: 4.64 (patience: 1/10) ✓``: a note after a
  value is left out; a number under a phase's name alone is its loss (``Train loss``)
- Keras' progress output: ``Epoch 3/10`` on a line of its own, its metrics on the next
  (``... - loss: 0.51 - accuracy: 0.83 - val_loss: 0.62``): the first line of metrics after
  a line that named a step and nothing else belongs to that step.
- a table printed with a header (``epoch | tr_loss | va_acc | time``, or names two spaces
  apart) and a row of numbers per line under it: the tags are the header's names, the step
  its ``epoch``/``step``/``iter`` column, else the row's place (from 1); a duration
  (``61s``) is no metric, a rule (``-----``) under the header is skipped, a note after a
  row's last value (``19.6s  <- best``, ``* best``) is left out
- ``EPOCH 1 ... Validation Accuracy = 0.241``, ``Train Epoch 1 --- train loss : 0.63``
- ``Epoch 1 Validation - Loss: 18.49, Acc: 0.29``: a phase between the step and the first
  metric names the line's metrics, as one before the step does (``[Val] Epoch 1 loss: 1.0``)
- ``[Epoch: 05] Valid acc: 0.2988 | loss: 2.0462``: a line whose first metric names an
  evaluation phase is that evaluation's, its bare ``loss`` the ``Valid loss``
- ``Epoch 3 @ 11:29 PM : 0.9722 C.E. Loss, 96.29% Accuracy``: a value before its name,
  where the name is a loss or a score by its words

Numbers printed as ``name: value`` before the first record (``classes: 20``, ``lr: 0.001``)
are the run's hparams. The step is the number after the first ``epoch`` (or ``ep``),
``step``, ``iter`` or ``iteration`` of a line (``3`` of ``3/10`` or ``3 of 10``). Where every
line names an epoch and then a finer step that never goes back (``epoch=1 step=200
train_loss=0.36``), the step is that one, the epoch kept as a field; where the finer step
starts again in each epoch (``Epoch [2/5], Step [100/600]``, ``Batch 0100/0469``), it is
counted on through the epochs (epoch 2's step 100 is step 700: the count per epoch as
printed, else the largest step seen), a line naming the epoch alone (its validation) at the
epoch's end. Metrics are ``name: value``, ``name=value`` or ``name is value`` between commas,
bars, semicolons, `` - `` (or ``---``) or spaces before a ``name=``; the tag is the name as
printed (``Train Loss``); a value keeps its unit (``82.44%`` is 82.44). A summary printed
after the last record and lines without a metric are left out. A file is this format when
at least two of the lines in its first 32 KB are such records (five in a ``.md``), one with a
loss or a score by name. It is read whole and again when it changes.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
from typing import Any

import numpy as np

from curvedoc.ingest import fs, roles
from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import records_to_frame
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import ATTEMPT, FileRead, RunSource, resumes

SUFFIXES = (".log", ".txt", ".out", ".csv", ".md")
#: Markdown is mostly prose: a console output pasted into one (``train_output.md``) is
#: taken for a log at this many records, a README quoting a line or two of one is not.
MIN_RECORDS_MARKDOWN = 5
MAX_BYTES = 64 << 20
#: Records the head must hold to be taken for a printed log...
MIN_RECORDS = 2
#: ...in this many first bytes: a loop prints its settings, a model summary and warnings
#: first (80 lines of them before the first epoch is nothing rare).
HEAD_BYTES = 32 << 10
_STEP = re.compile(r"\b(?:epoch|ep|step|iteration|iter)\b\s*[:=#\[(]?\s*(\d+)"
                   r"(?:\s*(?:/|\bof\b)\s*\d+)?\s*[\])]?", re.IGNORECASE)
_ANY_STEP = re.compile(rb"epoch|step|iter|\bep\b", re.IGNORECASE)
_CHUNKS = re.compile(r"[,|;]|\s--?-?\s|\s+(?=[A-Za-z][\w./@-]*=)")  # (or a space before name=)
#: What may stand between a step and its metrics: ``Epoch 3: ...``, ``EPOCH 1 ... Acc = 0.2``.
_AFTER_STEP = " :=-|,;]).\u2026"
#: A step finer than an epoch printed after it, with the epoch's count where printed:
#: ``Epoch [1/5], Step [100/600], Loss: 0.31``, ``Epoch 2 Batch 40/157 loss 0.5``.
_FINER_STEP = re.compile(r"\b(?:step|batch|iteration|iter)\b\s*[:=#\[(]?\s*(\d+)"
                         r"(?:\s*(?:/|\bof\b)\s*(\d+))?\s*[\])]?", re.IGNORECASE)
#: The keys of a step finer than an epoch, printed after it (``epoch=1 step=200 ...``).
_FINER_STEPS = frozenset({"step", "global_step", "iteration", "iter", "it"})
_NUMBER = rf"{tab.NUMBER_TEXT.pattern}|nan"  # a number as a CSV cell writes it, or nan
_METRIC = re.compile(rf"^\s*(?P<name>[A-Za-z][\w ./()@-]*?)\s*(?:[:=]|\s+is)\s*"
                     rf"(?P<value>{_NUMBER})\s*%?\s*$", re.IGNORECASE)
#: ``Train Loss: 3.96 Val Loss: 2.84``: ``name: value`` pairs with only spaces between.
_NAMED_PAIR = (rf"(?P<name>[A-Za-z][\w ./()@-]*?)\s*[:=]\s*(?P<value>{_NUMBER})\s*%?"
               rf"(?=\s|$)")
_NAMED = re.compile(_NAMED_PAIR, re.IGNORECASE)
_NAMED_CHUNK = re.compile(rf"\s*(?:{_NAMED_PAIR.replace('?P<name>', '').replace('?P<value>', '')}"
                          rf"\s*)+", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
#: A word printed after the step and before the first metric's name (``Epoch 1 Validation -
#: Loss: 18.49``): a phase there names the line's metrics, as one before the step does.
_LEAD_PHASE = re.compile(r"\s*([A-Za-z]+)\s*(?:-{1,3}|:|\|)\s*(?=[A-Za-z])")
#: ``name value``: words, then a number standing alone (``401s`` is a duration, no value).
_SPACED_PAIR = (rf"(?P<name>[A-Za-z][\w./@-]*(?:\s+[A-Za-z][\w./@-]*)*?)\s+"
                rf"(?P<value>{_NUMBER})\s*%?(?=\s|$)")
_SPACED = re.compile(_SPACED_PAIR, re.IGNORECASE)
_UNNAMED_PAIR = _SPACED_PAIR.replace("?P<name>", "").replace("?P<value>", "")
#: ``0.9816 C.E. Loss``: a value, then the words of its name, to the chunk's end.
_VALUE_FIRST = re.compile(rf"(?<![\w.:])(?P<value>{_NUMBER})\s*%?\s+"
                          rf"(?P<name>[A-Za-z][\w.]*(?:\s+[A-Za-z][\w.]*)*)\s*$", re.IGNORECASE)
_SPACED_CHUNK = re.compile(rf"\s*(?:{_UNNAMED_PAIR}\s*)+", re.IGNORECASE)
#: A note printed after a value: ``(patience: 3/10)``, ``(best)``, ``✓``, ``*``, ``<-- best``
#: (an opened parenthesis whose close a comma split off, too).
_NOTE = re.compile(r"(?<=[\d%])\s*(?:\([^)]*\)?|[^\w\s.%()\[\]+-][^\d]*)$")
_VALUE_ENDS = frozenset("0123456789%")
#: A table printed in a log: its cells, its header's names, a value with its unit, a rule.
_PIPES = re.compile(r"\s*\|\s*")
_GAPS = re.compile(r"\s{2,}|\t")
_HEADER_CELL = re.compile(r"[A-Za-z][\w./()@-]*(?: [A-Za-z][\w./()@-]*)*")  # words, no number
_VALUE_CELL = re.compile(rf"(?P<value>{_NUMBER})\s*(?P<unit>%|[A-Za-z]{{0,3}})", re.IGNORECASE)
_RULE = re.compile(r"[\s|:+=-]*-{3,}[\s|:+=-]*")
#: A note a loop prints after a table row's last value (``<- best``, ``*``, ``(saved)``).
_ROW_NOTE = re.compile(r"(?:^|\s+)(?:[^\w\s.%+-]|<-|\()\D*$")
#: A table's column that counts its rows.
_TABLE_STEPS = frozenset({"epoch", "ep", "step", "iter", "iteration", "it"})
#: A name that ends on one of these is prose around a number, no metric: ``val_accuracy
#: improved from 0.146 to 0.447``, ``reducing learning rate to 0.0005``.
_PROSE_ENDS = frozenset({"from", "to", "at", "of", "by", "than", "as"})
#: Names a training loop prints beside its metrics that measure nothing learned.
_NOT_METRICS = frozenset({"time", "eta", "elapsed", "lr_scale", "data", "batch", "samples",
                          "device", "seed", "memory", "mem"})


def _pairs(text: str, record: bool = True) -> dict[str, float]:
    """The ``name: value`` pairs of a line's chunks and, on a ``record``'s line (one that
    named a step), its ``name value`` pairs and a phase's loss; a setting printed before
    is ``name: value`` as printed (``Train: 50000`` counts samples; "with 4,992
    parameters" names none)."""
    fields = {}
    for chunk in _CHUNKS.split(text):
        if "(" in chunk or chunk.rstrip()[-1:] not in _VALUE_ENDS:  # (most end on a value)
            chunk = _NOTE.sub("", chunk)
        metric = _METRIC.match(chunk)
        pairs = ([(metric.group("name"), metric.group("value"))] if metric
                 else [(m.group("name"), m.group("value")) for m in _NAMED.finditer(chunk)]
                 if _NAMED_CHUNK.fullmatch(chunk)
                 else (_spaced_pairs(chunk) or _value_first(chunk)) if record else [])
        for name, value in pairs:
            name = name.strip()
            low = name.lower()
            if low.endswith(" is"):  # ``loss is: 0.51``: the "is" is no part of the name
                name, low = name[:-3].rstrip(), low[:-3].rstrip()
            if low not in _NOT_METRICS and low.rpartition(" ")[2] not in _PROSE_ENDS:
                fields[_named(name, chunk) if record else name] = float(value)
    return fields


def _named(name: str, chunk: str) -> str:
    """``Train: 4.79, Val: 5.10``: a number printed under a phase's name alone is that
    phase's loss (``Train loss``); a percentage (``Val: 93.1%``) stays as printed."""
    if name.lower() in tab.PHASE_WORDS and not chunk.rstrip().endswith("%"):
        return f"{name} loss"
    return name


def _spaced_pairs(chunk: str) -> list[tuple[str, str]]:
    """``train loss 0.3837 acc 0.9137``: names and values with only spaces between, the
    whole chunk made of them; a phase that names the first pair names the others too
    (``train acc``)."""
    if not _SPACED_CHUNK.fullmatch(chunk):
        return []
    pairs = [(m.group("name"), m.group("value")) for m in _SPACED.finditer(chunk)]
    phase = pairs[0][0].split()[0]
    if phase.lower() not in tab.PHASE_WORDS or len(pairs[0][0].split()) < 2:
        return pairs
    return pairs[:1] + [(name if name.split()[0].lower() in tab.PHASE_WORDS
                         else f"{phase} {name}", value) for name, value in pairs[1:]]


def _value_first(chunk: str) -> list[tuple[str, str]]:
    """``0.9816 C.E. Loss``, ``94.28% Accuracy``: a value printed before its name, at the
    chunk's end, taken only where the name is a loss or a score by its words (``10
    samples`` or ``3 workers`` is no metric)."""
    m = _VALUE_FIRST.search(chunk)
    if m is None or roles.direction(m.group("name")) is None:
        return []
    return [(m.group("name"), m.group("value"))]


def _in_phase(fields: dict[str, float], before_step: str) -> dict[str, float]:
    """``Valid | Epoch 3 | Loss 0.21``: a phase named before the step (or right after it,
    before the first metric) names the line's metrics that name none (``Valid Loss``)."""
    phases = [w for w in _WORD.findall(before_step) if w.lower() in tab.PHASE_WORDS]
    if not phases:
        return fields
    return {name if _names_phase(name) else f"{phases[-1]} {name}": value
            for name, value in fields.items()}


def _names_phase(name: str) -> bool:
    """Whether a metric's name starts with a phase (``Val Loss``, ``val_loss``)."""
    return name.replace("_", " ").split()[0].lower() in tab.PHASE_WORDS


_EVAL_INITIALS = frozenset(w[0] for w in roles.VAL | roles.TEST) | frozenset(
    w[0].upper() for w in roles.VAL | roles.TEST)


def _evaluated(fields: dict[str, float]) -> dict[str, float]:
    """``[Epoch: 05] Valid acc: 0.2988 | loss: 2.0462``: a line whose first metric names an
    evaluation phase (val, test, ...) is that evaluation's, so a loss or a score after it
    that names no phase is the evaluation's too (``Valid loss``), not training's."""
    first = next(iter(fields), "")
    if first[:1] not in _EVAL_INITIALS:  # (most lines start with a training metric)
        return fields
    words = first.replace("_", " ").split()
    if len(words) < 2 or words[0].lower() not in roles.VAL | roles.TEST:
        return fields
    sep = first[len(words[0])]  # "Valid acc" -> "Valid loss", "val_acc" -> "val_loss"
    return {name if _names_phase(name) or roles.direction(name) is None
            else f"{words[0]}{sep}{name}": value for name, value in fields.items()}


def _cells(line: str) -> list[str]:
    """A table line's cells: split at bars where it has them (``1 | 1.540 | 47.36``), else
    at runs of two spaces or more or tabs (``train acc    va_acc  train_loss``)."""
    text = line.strip().strip("|")
    return [c.strip() for c in (_PIPES if "|" in text else _GAPS).split(text)]


def _table_header(line: str) -> list[str] | None:
    """The column names of a table printed in a log (``epoch | tr_loss | va_acc | time``),
    when every cell is a name and one names a loss or a score; else None."""
    cells = _cells(line)
    if len(cells) < 2 or not all(_HEADER_CELL.fullmatch(c) for c in cells):
        return None
    return cells if any(roles.direction(c) for c in cells) else None


def _table_row(line: str, header: list[str]) -> dict[str, float] | None:
    """One row under ``header``: a number in every cell (a duration, ``61s``, is no metric);
    None when the line is no such row (the table ended)."""
    cells = _cells(line)
    if cells:  # a note after the last value: ``19.6s  <- best``, ``0.71 *``, ``(best)``
        cells[-1] = _ROW_NOTE.sub("", cells[-1])
        if len(cells) == len(header) + 1 and not cells[-1]:
            cells.pop()
    if len(cells) != len(header):
        return None
    row = {}
    for name, cell in zip(header, cells, strict=True):
        m = _VALUE_CELL.fullmatch(cell)
        if m is None:
            return None
        if not m.group("unit").isalpha() and name.lower() not in _NOT_METRICS:
            row[name] = float(m.group("value"))
    return row


def _table_records(header: list[str], row: dict[str, float], index: int) -> dict[str, Any]:
    """A row as a record: at the step its step column names, else at its place (from 1)."""
    key = next((n for n in header if n.lower() in _TABLE_STEPS and n in row), None)
    if key is None:
        return {"step": index, **row}
    step = row.pop(key)
    return {"step": int(step) if step.is_integer() else step, **row}


def parse(text: str) -> tuple[list[dict[str, Any]], list[int], dict[str, float]]:
    """The records a printed log holds ({"step": n, tag: value, ...}), their line numbers,
    and the settings printed before the first record (``classes: 20``, ``lr: 0.001``)."""
    records, numbers, settings = [], [], {}
    finer: list[float | None] = []  # each record's finer step, where its line printed one
    sizes: list[int | None] = []  # ...and the count of them in an epoch, where printed
    pending: int | None = None  # a step printed on a line of its own (Keras' "Epoch 3/10")
    block: tuple[int, float | None] | None = None  # the last step (and finer step) printed
    extra: list[int] = []  # the records of lines below a step's line that named none
    header: list[str] | None = None  # the columns of a table being printed, and its rows
    rows = 0
    low = text.lower()  # (most logs name no finer step: one cheap look over the whole text)
    finer_named = "step" in low or "batch" in low or "iter" in low
    for number, line in enumerate(text.splitlines(), 1):
        if header is not None:
            if _RULE.fullmatch(line):
                continue  # ------ under a header, |---|---| in markdown
            row = _table_row(line, header)
            if row is not None:
                rows += 1
                records.append(_table_records(header, row, rows))
                finer.append(None)
                sizes.append(None)
                numbers.append(number)
                continue
            header = None
        match = _STEP.search(line)
        if match is None and ("  " in line or "|" in line or "\t" in line):
            header = _table_header(line)  # (a header names no step number)
            rows = 0
            if header is not None:
                continue
        per_epoch = None  # the count of finer steps in an epoch, where the line printed it
        inner = None
        if match:
            step, rest = int(match.group(1)), line[match.end():].lstrip(_AFTER_STEP)
            if (finer_named and match.group(0)[:1] in "Ee"
                    and (inner := _FINER_STEP.search(rest))):
                per_epoch = int(inner.group(2)) if inner.group(2) else None
                rest = (rest[:inner.start()] + rest[inner.end():]).lstrip(_AFTER_STEP)
        elif pending is not None:
            step, rest = pending, line
        elif block is not None:
            # a loss or a score on a line of its own below the step's line is that step's
            # (``eval rmse: 0.0353``), where each step's lines print it (:func:`_recurring`)
            fields = {k: v for k, v in _evaluated(_pairs(line)).items()
                      if roles.direction(k) is not None}
            if fields:
                extra.append(len(records))
                records.append({"step": block[0], **fields})
                finer.append(block[1])
                sizes.append(None)
                numbers.append(number)
            continue
        else:  # settings before the first step
            settings.update(_pairs(line, record=False))
            continue
        fields = _evaluated(_pairs(rest))
        if match:
            lead = _LEAD_PHASE.match(rest)  # ``Epoch 1 Validation - Loss: 18.49``
            fields = _in_phase(fields, line[:match.start()] + (f" {lead[1]}" if lead else ""))
        # a finer step printed after the epoch (``epoch=1 step=200``) is no metric
        fine = [fields.pop(k) for k in list(fields) if k.lower() in _FINER_STEPS]
        if inner is not None and not fine:
            fine = [float(inner.group(1))]
        pending = step if match and not fields else None
        if match:
            block = (step, fine[0] if fine else None)
        if fields:
            records.append({"step": step, **fields})
            finer.append(fine[0] if fine else None)
            sizes.append(per_epoch)
            numbers.append(number)
    keep = _recurring(records, extra)
    records, finer, sizes, numbers = ([x for i, x in enumerate(xs) if keep[i]]
                                      for xs in (records, finer, sizes, numbers))
    return _at_finer_steps(records, finer, sizes), numbers, settings


def _recurring(records: list[dict[str, Any]], extra: list[int]) -> list[bool]:
    """Which records to keep, the ``extra`` ones (lines below a step's line) left with only
    the names printed so below two steps or more: a metric every epoch prints on a line of
    its own, not a summary printed once after the last epoch (``Test accuracy: 0.91``)."""
    keep = [True] * len(records)
    if not extra:
        return keep
    steps: dict[str, set[int]] = {}
    for i in extra:
        for name in records[i]:
            steps.setdefault(name, set()).add(records[i]["step"])
    for i in extra:
        records[i] = {k: v for k, v in records[i].items() if k == "step" or len(steps[k]) >= 2}
        keep[i] = len(records[i]) > 1
    return keep


def _at_finer_steps(records: list[dict[str, Any]], finer: list[float | None],
                    sizes: list[int | None]) -> list[dict[str, Any]]:
    """Records whose lines named an epoch and then a finer step are put at that step, the
    epoch kept as a field: as printed where every record has one and they never go back
    (where some line has none, every record stays at its epoch); counted on through the
    epochs where it starts again in each (``Step [100/600]``: epoch e's step s at (e -
    first) x 600 + s, the epoch's count as printed, else the largest step seen), a line
    without one (a validation) at the end of its epoch."""
    if not records or not any(f is not None for f in finer):
        return records
    if any(f is not None and not float(f).is_integer() for f in finer):
        return records
    epochs = [r["step"] for r in records]
    printed = [f for f in finer if f is not None]
    if all(b >= a for a, b in itertools.pairwise(printed)):  # one count through the run
        if len(printed) < len(finer):
            return records  # (a line without one has no place on it: all stay at epochs)
        steps = [int(f) for f in printed]  # (all whole numbers, checked above)
    else:
        size = _epoch_size(finer, sizes)
        if size is None or any(b < a for a, b in itertools.pairwise(epochs)):
            return records
        first = epochs[0]
        steps = [(e - first) * size + (size if f is None else int(f))
                 for e, f in zip(epochs, finer, strict=True)]
        if any(b < a for a, b in itertools.pairwise(steps)):
            return records
    return [{"step": at, "epoch": r["step"], **{k: v for k, v in r.items() if k != "step"}}
            for r, at in zip(records, steps, strict=True)]


def _epoch_size(finer: list[float | None], sizes: list[int | None]) -> int | None:
    """How many finer steps an epoch holds: the count every line printed (``/600``), else
    the largest finer step printed; None where a finer step exceeds it."""
    printed = {n for n in sizes if n is not None}
    seen = [int(f) for f in finer if f is not None]
    size = printed.pop() if len(printed) == 1 else max(seen)
    return size if size > 0 and max(seen) <= size else None


class PrintedLog:
    name = "printed_log"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "18"
    summary = "training logs printed as text (Epoch 3/10 | loss: 0.51, val_loss: 0.62)"

    def sniff(self, path: str, head: bytes) -> bool:
        """Two records or more in the head's complete lines, one naming a loss or a score."""
        if (not path.lower().endswith(SUFFIXES) or b"\x00" in head
                or not _ANY_STEP.search(head)):
            return False  # (the cheap answer for a folder of dataset labels)
        text = head.decode("utf-8", errors="replace")
        records, _, _ = parse(text.rsplit("\n", 1)[0] if "\n" in text else text)
        least = MIN_RECORDS_MARKDOWN if path.lower().endswith(".md") else MIN_RECORDS
        return len(records) >= least and any(
            roles.direction(key) for r in records for key in r if key != "step")

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root, SUFFIXES, HEAD_BYTES)

    def attempts(self, source: RunSource) -> int:
        """How many runs the log holds one after another (``python train.py >> train.log``:
        each starts its steps over), for discovery to make one run of each."""
        path = source.files[0]
        try:
            st = fs.regular_stat(path, MAX_BYTES)
        except OSError:
            return 1
        return _attempts_of(path, st.size, st.mtime)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        raw = whole.raw
        records, numbers, settings = parse(raw.decode("utf-8", errors="replace"))
        attempt = source.option(ATTEMPT)
        if attempt is not None and records:
            # one of the runs the log holds one after another: its own records only
            k = int(attempt) - 1
            bounds = [*attempt_starts(records), len(records)]
            lo, hi = (bounds[k], bounds[k + 1]) if k + 1 < len(bounds) else (0, 0)
            records, numbers = records[lo:hi], numbers[lo:hi]
        if not records:
            return tab.failed(path, "holds no line with a step and a metric (like 'Epoch 3/10 "
                                    "| loss: 0.51'); is this a training log?")
        frame = records_to_frame(records, np.asarray(numbers), b"nan" in raw.lower()).frame
        hparams = {k: int(v) if v.is_integer() else v for k, v in settings.items()}
        return FileRead(scalars=frame, hparams=hparams,
                        state=whole.state, reset=bool(state))


@functools.lru_cache(maxsize=256)
def _attempts_of(path: str, size: int, mtime: float) -> int:
    """``attempt_starts`` counted for the file as it is (size and mtime key the answer, so
    a discovery that walks again reads only the logs that changed)."""
    try:
        raw = fs.read_bytes(path, max_bytes=MAX_BYTES)
    except OSError:
        return 1
    text = raw.decode("utf-8", errors="replace")
    if not _may_start_over(text):
        return 1
    records, _, _ = parse(text)
    return len(attempt_starts(records)) if records else 1


def _may_start_over(text: str) -> bool:
    """Whether the log's first step marker (``Epoch 1/10``) is printed again after a later
    step's: the cheap look that spares the whole parse the logs holding one run."""
    found = _STEP.finditer(text)
    first = next(found, None)
    if first is None:
        return False
    marker = text[first.start():first.end(1)]  # ``Epoch 1``, ``Epoch [1``, ``step=1``
    word = marker[:3].lower()
    later = next((m for m in found if m.group(0)[:3].lower() == word
                  and m.group(1) != first.group(1)), None)
    if later is None:
        return False
    return re.compile(re.escape(marker) + r"(?!\d)").search(text, later.end()) is not None


def attempt_starts(records: list[dict[str, Any]]) -> list[int]:
    """Where each run a log holds begins (the index of its first record; 0 first): a run
    appended after another starts its steps over, back to where that one's began or
    before, after they had gone beyond it. A start whose first loss lies where the run
    before it ended (``model.resumes``) resumed it, numbered
    from the start again (a fit continued from its checkpoint): no run of its own."""
    starts = [0]
    first = top = records[0]["step"]
    for i, record in enumerate(records[1:], 1):
        s = record["step"]
        if s < top and s <= first:
            starts.append(i)
            first = top = s
        else:
            top = max(top, s)
    if len(starts) < 2:
        return starts
    # (judged on the loss the log prints most often)
    counts = collections.Counter(k for r in records for k in r
                                 if k != "step" and roles.direction(k) == "lower")
    key = counts.most_common(1)[0][0] if counts else None
    kept = [0]
    for b, c in zip(starts[1:], [*starts[2:], len(records)], strict=True):
        before = [r[key] for r in records[kept[-1]:b] if key in r] if key else []
        after = [r[key] for r in records[b:c] if key in r] if key else []
        if before and after and resumes(np.asarray(before), after[0]):
            continue  # (resumed: read as the run it continues, as curves read it)
        kept.append(b)
    return kept


FORMAT = PrintedLog()
