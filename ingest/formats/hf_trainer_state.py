"""Hugging Face ``Trainer``: ``trainer_state.json`` and its ``log_history``.

``log_history`` holds training entries (``loss``, ``learning_rate``,
``grad_norm``, ``epoch``, ``step``), evaluation entries (``eval_*``) and, at the
end, one summary entry (``train_runtime``, ``train_loss`` averaged over the run,
``total_flos``...) that is not a point on any curve and is skipped. Tags keep
HF's own keys (``loss``, ``eval_loss``, ``learning_rate``); the step is ``step``.

The run is the output folder; the event files the Trainer's TensorBoard callback writes
under its default ``runs/<date>_<host>/`` join it. It may hold a ``trainer_state.json`` of
its own and several ``checkpoint-N/`` copies: the most complete history (the largest file,
then the latest checkpoint) is the one read. Other top-level numbers of the
state (batch size, epochs, best metric...) become hparams.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

import numpy as np

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import records_to_frame
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

STATE_FILE = "trainer_state.json"
#: No real trainer_state.json comes near this (100k log entries are ~20 MB); it is read whole.
MAX_BYTES = 512 << 20
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
LOGGING_DIR = "runs"
#: Keys of a log_history entry that mark the end-of-training summary.
SUMMARY_KEYS = ("train_runtime", "total_flos")
#: Top-level keys of the state that are not hyper-parameters.
NOT_HPARAMS = frozenset(
    {"log_history", "stateful_callbacks", "global_step", "epoch", "total_flos",
     "is_local_process_zero", "is_world_process_zero", "is_hyper_param_search"}
)


def candidates(folder: str, files: list[str], subdirs: list[str]) -> list[tuple[str, int]]:
    """(path, checkpoint number or a large number for the folder's own) of each state file."""
    found = []
    if STATE_FILE in files:
        found.append((tab.join(folder, STATE_FILE), 1 << 62))
    for sub in subdirs:
        match = CHECKPOINT.match(sub)
        if match:
            path = tab.join(folder, sub, STATE_FILE)
            try:
                fs.stat(path)
            except OSError:
                continue
            found.append((path, int(match.group(1))))
    return found


def most_complete(found: list[tuple[str, int]]) -> str:
    """The state file with the most history: the largest, then the latest checkpoint."""

    def key(item: tuple[str, int]) -> tuple[int, int]:
        path, number = item
        try:
            size = fs.stat(path).size
        except OSError:
            size = -1
        return size, number

    return max(found, key=key)[0]


def hparams_of(state: dict[str, Any]) -> dict[str, Any]:
    """Top-level settings of a trainer state (and its trial_params) as hparams."""
    params = {
        key: value
        for key, value in state.items()
        if key not in NOT_HPARAMS and isinstance(value, (int, float, str, bool))
    }
    trial = state.get("trial_params")
    if isinstance(trial, dict):
        simple = (int, float, str, bool)
        params.update({key: value for key, value in trial.items() if isinstance(value, simple)})
    return params


def entries_frame(entries: list[Any], nan_logged: bool = True):
    """Training and eval entries -> the long frame; (frame, number of entries without step).

    The end-of-training summary entry is left out; ``epoch`` is a coordinate, not a tag.
    """
    records = [
        {key: value for key, value in entry.items() if key != "epoch"}
        for entry in entries
        if isinstance(entry, dict) and not any(key in entry for key in SUMMARY_KEYS)
    ]
    with_step = [r for r in records if _is_step(r.get("step"))]
    numbers = np.arange(len(with_step))
    result = records_to_frame(with_step, numbers, nan_logged)
    return result.frame, len(records) - len(with_step) + len(result.huge_step)


def _is_step(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fingerprint(entry: Any) -> str:
    try:
        text = json.dumps(entry, sort_keys=True)
    except (ValueError, TypeError, RecursionError):
        text = repr(type(entry))
    return hashlib.sha1(text.encode()).hexdigest()


class HFTrainerState:
    name = "hf_trainer_state"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "Hugging Face Trainer trainer_state.json (log_history; checkpoint-N copies)"

    def sniff(self, path: str, head: bytes) -> bool:
        """``trainer_state.json``, or a ``.json`` whose head mentions ``log_history``."""
        name = tab.base_name(path)
        return name == STATE_FILE or (name.endswith(".json") and b'"log_history"' in head)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if STATE_FILE not in files and not any(CHECKPOINT.match(sub) for sub in subdirs):
            return None
        found = candidates(folder, files, subdirs)
        if not found:
            return None
        run = tab.folder_run(self.name, folder, root, (most_complete(found),))
        consumed = {sub for sub in subdirs if CHECKPOINT.match(sub)}
        return Found(
            runs=[run],
            consumed_dirs=consumed,
            consumed_files={STATE_FILE} if STATE_FILE in files else set(),
            # the Trainer's default logging_dir: <output_dir>/runs/<date>_<host>/ event files
            attached_dirs={LOGGING_DIR} & set(subdirs),
        )

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        raw = whole.raw
        if not raw.strip():
            return tab.failed(path, "the file is empty; the Trainer has not saved its state yet")
        try:
            doc = json.loads(raw.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError, OverflowError) as exc:
            return tab.failed(
                path,
                f"is not valid JSON ({exc}); it may have been cut short while saving — "
                "read a checkpoint-N/trainer_state.json copy or save the state again",
            )
        history = doc.get("log_history") if isinstance(doc, dict) else None
        if not isinstance(history, list):
            return tab.failed(
                path, "has no log_history list; is this a Hugging Face trainer_state.json?"
            )
        seen = int((state or {}).get("entries", 0))
        first = _fingerprint(history[0]) if history else ""
        reset = bool(state) and (len(history) < seen or (seen and state.get("first") != first))
        start = 0 if reset or not state else seen
        frame, stepless = entries_frame(history[start:], b"nan" in raw.lower())
        warnings = []
        if stepless:
            warnings.append(f"{path}: skipped {stepless} log_history entries without a step "
                            "(or with a step beyond the 64-bit range)")
        if not state and not history:
            warnings.append(f"{path}: log_history is empty; nothing was logged yet")
        return FileRead(
            scalars=frame,
            hparams=hparams_of(doc),
            warnings=warnings,
            state={**whole.state, "entries": len(history), "first": first},
            reset=reset,
        )


FORMAT = HFTrainerState()
