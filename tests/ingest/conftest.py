"""Fixtures for the ingest core tests: a tiny text format registered in place of the real ones.

The fake format ("fake") reads ``*.fake`` files whose lines are ``tag,step,value,wall_time``.
A folder with ``*.fake`` files is one run; a folder whose ``train/`` and ``validation/``
sub-folders hold ``*.fake`` files is one run too (like a Keras run), with tags prefixed by
the sub-folder. It reads appended bytes from its state, like a real reader, and raises on a
file starting with ``BOOM`` (a reader bug the core must contain).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from curvedoc.ingest.formats import base
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

# helper modules beside the tests (format_calls) import by name, with pytest's assert messages
sys.path.insert(0, str(Path(__file__).parent))
pytest.register_assert_rewrite("format_calls")


def _rel(folder: str, root: str) -> str:
    rel = os.path.relpath(folder, root).replace(os.sep, "/")
    return "." if rel in ("", ".") else rel


class FakeFormat:
    name = "fake"
    version = "1"
    summary = "test lines tag,step,value,wall_time (*.fake)"

    def sniff(self, path: str, head: bytes) -> bool:
        return path.endswith(".fake")

    def find_runs(self, folder, files, subdirs, root):
        mine = [f for f in files if f.endswith(".fake")]
        pair = [d for d in ("train", "validation") if d in subdirs]
        if len(pair) == 2 and all(
            any(n.endswith(".fake") for n in os.listdir(os.path.join(folder, d))) for d in pair
        ):
            paths = tuple(
                os.path.join(folder, d, n)
                for d in pair
                for n in sorted(os.listdir(os.path.join(folder, d)))
                if n.endswith(".fake")
            )
            run = RunSource(
                id=_rel(folder, root),
                name=os.path.basename(folder),
                format=self.name,
                root=root,
                files=paths,
                options=tuple((p, os.path.basename(os.path.dirname(p)) + "/") for p in paths),
            )
            return Found(runs=[run], consumed_dirs=set(pair), consumed_files=set(mine))
        if not mine:
            return None
        run = RunSource(
            id=_rel(folder, root),
            name=os.path.basename(folder),
            format=self.name,
            root=root,
            files=tuple(os.path.join(folder, f) for f in mine),
        )
        return Found(runs=[run], consumed_files=set(mine))

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        offset = int((state or {}).get("offset", 0))
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
        if offset == 0 and data.startswith(b"BOOM"):
            raise RuntimeError("the fake reader broke")
        end = data.rfind(b"\n") + 1
        prefix = source.option(path, "")
        rows = [line.split(",") for line in data[:end].decode().splitlines() if line]
        warnings = [f"{path}: skipped a half-written last line"] if end < len(data) else []
        frame = pd.DataFrame(
            {
                "tag": pd.Categorical([prefix + r[0] for r in rows]),
                "step": np.array([int(r[1]) for r in rows], dtype=np.int64),
                "value": np.array([float(r[2]) for r in rows], dtype=np.float64),
                "wall_time": np.array([float(r[3]) for r in rows], dtype=np.float64),
            }
        )
        return FileRead(scalars=frame, warnings=warnings, state={"offset": offset + end})


def write_fake(path, rows, mode: str = "w") -> str:
    """Write rows ``(tag, step, value, wall_time)`` to a .fake file; returns its path."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, mode) as fh:
        for tag, step, value, wall in rows:
            fh.write(f"{tag},{step},{value},{wall}\n")
    return str(path)


def curve(tag: str, steps, wall0: float = 1000.0, scale: float = 1.0):
    """Rows of a falling curve: value = scale / (1 + step)."""
    return [(tag, s, scale / (1 + s), wall0 + s) for s in steps]


class FakeKit:
    """What tests get from the ``fake`` fixture: the format and its writers."""

    format = FakeFormat()
    write = staticmethod(write_fake)
    curve = staticmethod(curve)


@pytest.fixture
def fake(no_user_cache):
    """Register only the fake format for the duration of a test."""
    with base.only_formats(fake=FakeKit.format):
        yield FakeKit


@pytest.fixture
def no_user_cache(monkeypatch, tmp_path):
    """Keep every cache of a test inside its tmp folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "_xdg"))
    monkeypatch.delenv("CURVEDOC_CACHE_DIR", raising=False)


@pytest.fixture(params=["compiled", "numpy"])
def tb_kernel(request, monkeypatch) -> str:
    """Run a TensorBoard test with the compiled pass (``_tfscan``) and with the numpy path:
    both must read the same values and report the same damage."""
    from curvedoc.ingest import tfscan

    if request.param == "compiled" and tfscan._tfscan is None:
        pytest.skip("curvedoc.ingest._tfscan is not built (no C compiler at install time)")
    monkeypatch.setattr(tfscan, "AVAILABLE", request.param == "compiled")
    return request.param
