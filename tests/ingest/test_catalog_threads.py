"""open_root reads many runs on a thread per CPU by default (the TensorBoard reader's
compiled pass, file reads and cache writes release the GIL): the same runs, the same
frames, the same cache as one thread."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pandas as pd
import pytest

from curvedoc.ingest import catalog as catalog_mod
from curvedoc.ingest import open_root, reading, tfscan

_spec = importlib.util.spec_from_file_location(
    "tb_samples_threads", Path(__file__).parent / "samples" / "tensorboard.py")
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)

pytestmark = pytest.mark.skipif(tfscan._tfscan is None,
                                reason="curvedoc.ingest._tfscan is not built")


def _folder(root: Path, n_runs: int) -> None:
    for r in range(n_runs):
        events = [S.scalar_event(tag, step, float(r * 1000 + step))
                  for step in range(50) for tag in ("loss", "val/loss")]
        S.write_events(root / f"sweep/run_{r:02d}", events)


def _frames(cat) -> dict[str, pd.DataFrame]:
    return {rid: run.scalars for rid, run in cat.runs.items()}


def _thread_names(monkeypatch, name: str) -> set[str]:
    """The names of the threads that call ``catalog.<name>`` from now on (filled in as
    they call it)."""
    names: set[str] = set()
    real = getattr(reading, name)

    def spy(*args):
        names.add(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(catalog_mod, name, spy)
    return names


def test_many_runs_are_read_on_threads_with_the_same_result(tmp_path, monkeypatch,
                                                             no_user_cache):
    n_runs = catalog_mod.THREADS_FROM + 4
    _folder(tmp_path / "logs", n_runs)
    names = _thread_names(monkeypatch, "read_whole_run")
    with open_root(str(tmp_path / "logs"), cache=tmp_path / "c1") as threaded:
        got = _frames(threaded)
    monkeypatch.setattr(catalog_mod, "THREADS_FROM", 10**9)  # one thread
    with open_root(str(tmp_path / "logs"), cache=tmp_path / "c2") as serial:
        want = _frames(serial)
    with open_root(str(tmp_path / "logs"), cache=tmp_path / "c1") as warm:  # threads' cache
        cached = _frames(warm)

    assert names and all(n.startswith("curvedoc-read") for n in names)
    assert got.keys() == want.keys() == cached.keys()
    assert len(got) == n_runs
    for rid in want:
        pd.testing.assert_frame_equal(got[rid], want[rid])
        pd.testing.assert_frame_equal(cached[rid], want[rid])


def test_few_runs_or_no_compiled_pass_read_in_the_calling_thread(tmp_path, monkeypatch,
                                                                  no_user_cache):
    _folder(tmp_path / "logs", catalog_mod.THREADS_FROM + 1)
    names = _thread_names(monkeypatch, "read_files")
    monkeypatch.setattr(tfscan, "AVAILABLE", False)  # numpy holds the GIL: no threads
    with open_root(str(tmp_path / "logs"), cache=False) as cat:
        assert len(cat.runs) == catalog_mod.THREADS_FROM + 1
    assert names == {threading.current_thread().name}
