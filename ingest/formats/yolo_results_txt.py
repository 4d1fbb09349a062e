"""YOLOv5's and Ultralytics YOLOv3's ``results.txt``: a line per epoch, no header.

Before ``results.csv`` (YOLOv5 6.0, 2021), ``train.py`` appended to ``results.txt`` one
line per epoch of fifteen columns between spaces: ``epoch/last`` (``12/299``), the GPU
memory (``3.41G``), the training box, objectness and classification losses and their sum,
the last batch's target count and image size, then precision, recall, mAP@0.5,
mAP@0.5:0.95 (YOLOv3: F1) and the validation box, objectness and classification losses.
The tags are the names YOLOv5's ``results.csv`` gives the same columns
(``train/box_loss``, ``metrics/mAP_0.5``, ``val/box_loss``), so both are judged alike; the
column YOLOv3 filled with F1 is named ``metrics/F1`` where it is above mAP@0.5 on some
line (mAP@0.5:0.95 never is). The sum, the target count and the image size measure
nothing learned and are left out. A file is this format when it is named
``results*.txt`` and every complete line of its head has this shape; it is read whole,
and again when it changes.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

MAX_BYTES = 16 << 20
#: Lines the head must hold to be taken for such a file.
MIN_LINES = 2
_NUMBER = tab.NUMBER_TEXT.pattern + "|nan"
#: ``  12/299     3.41G   0.04517   0.02987  0.007834   0.08287        97       640 ...``
_LINE = re.compile(rf"\s*(?P<epoch>\d+)/\d+\s+(?:[0-9.]+[KMG]?)\s+(?P<rest>(?:(?:{_NUMBER})"
                   rf"\s+){{12,}}(?:{_NUMBER}))\s*", re.IGNORECASE)
#: The columns after the memory, by position; None: left out.
COLUMNS = ("train/box_loss", "train/obj_loss", "train/cls_loss", None, None, None,
           "metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95",
           "val/box_loss", "val/obj_loss", "val/cls_loss")
_MAP50, _MAP_WIDE = COLUMNS.index("metrics/mAP_0.5"), COLUMNS.index("metrics/mAP_0.5:0.95")


def _parse(text: str) -> tuple[list[int], list[list[float]], list[int]]:
    """The epochs and the first 13 numbers after the memory of every line of this shape,
    and the numbers of the other lines that hold text."""
    epochs, rows, other = [], [], []
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.fullmatch(line)
        if match is None:
            if line.strip():
                other.append(number)
            continue
        epochs.append(int(match.group("epoch")))
        rows.append([float(v) for v in match.group("rest").split()[:len(COLUMNS)]])
    return epochs, rows, other


class YoloResultsTxt:
    name = "yolo_results_txt"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "YOLOv5's and YOLOv3's results.txt (a line per epoch, no header)"

    def sniff(self, path: str, head: bytes) -> bool:
        """Named ``results*.txt``; every complete line of the head an epoch's line."""
        name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if not (name.startswith("results") and name.endswith(".txt")) or b"\x00" in head:
            return False
        text = head.decode("utf-8", errors="replace")
        complete = text.rsplit("\n", 1)[0] if "\n" in text else text
        epochs, _, other = _parse(complete)
        return len(epochs) >= MIN_LINES and not other

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root, (".txt",))

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        epochs, rows, other = _parse(whole.raw.decode("utf-8", errors="replace"))
        if not rows:
            return tab.failed(path, "holds no epoch line (like '12/299  3.41G  0.045 ...', "
                                    "as YOLOv5 wrote results.txt); is this a YOLO log?")
        table = np.asarray(rows, dtype=np.float64)
        names = list(COLUMNS)
        if np.any(table[:, _MAP_WIDE] > table[:, _MAP50]):
            names[_MAP_WIDE] = "metrics/F1"  # YOLOv3's column: mAP@0.5:0.95 never is
        present = np.ones(len(rows), dtype=bool)
        frame = tab.long_frame(np.asarray(epochs, dtype=np.int64),
                               {name: (table[:, i], present)
                                for i, name in enumerate(names) if name is not None})
        warnings = ([f"{path}: skipped line {tab.show_lines(other)}: not an epoch's line"]
                    if other else [])
        return FileRead(scalars=frame, warnings=warnings, state=whole.state,
                        reset=bool(state))


FORMAT = YoloResultsTxt()
