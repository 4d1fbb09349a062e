"""The catalog: every run under a root, refreshed while training writes."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest

from curvedoc.ingest import Catalog, open_root
from curvedoc.ingest import progress as progress_mod


@pytest.fixture
def states(fake, monkeypatch):
    """The fake format, recording the state each read started from."""
    seen: list[tuple[str, dict | None]] = []
    real = type(fake.format).read

    def read(source, path, state):
        seen.append((os.path.basename(os.path.dirname(path)), state))
        return real(fake.format, source, path, state)

    monkeypatch.setattr(fake.format, "read", read)
    return seen


def _runs(root, fake, names=("b", "a", "c/d")):
    for name in names:
        fake.write(root / name / "x.fake", fake.curve("loss", range(10)))


def test_runs_are_sorted_by_id(fake, tmp_path):
    _runs(tmp_path, fake)
    with open_root(str(tmp_path)) as catalog:
        assert isinstance(catalog, Catalog)
        assert list(catalog.runs) == ["a", "b", "c/d"]
        assert catalog.root == str(tmp_path)
        assert len(catalog.scalars()) == 30


def test_config_is_loaded_and_applied(fake, tmp_path):
    rows = fake.curve("loss", range(3)) + fake.curve("nll", range(3))
    fake.write(tmp_path / "r" / "x.fake", rows)
    (tmp_path / "curvedoc.toml").write_text('[roles]\nval_loss = "nll"\n')
    with open_root(str(tmp_path)) as catalog:
        assert catalog.config["roles"] == {"val_loss": "nll"}
        assert catalog.runs["r"].roles["val_loss"] == "nll"


def test_a_broken_config_is_a_catalog_warning(fake, tmp_path):
    _runs(tmp_path, fake, ["r"])
    (tmp_path / "curvedoc.toml").write_text("roles = [\n")
    with open_root(str(tmp_path)) as catalog:
        assert len(catalog.runs) == 1
        assert any("curvedoc.toml" in w for w in catalog.warnings)


def test_refresh_reads_only_appended_bytes(fake, states, tmp_path):
    _runs(tmp_path, fake)
    with open_root(str(tmp_path), cache=False) as catalog:
        states.clear()
        path = tmp_path / "a" / "x.fake"
        size = path.stat().st_size
        fake.write(path, fake.curve("loss", range(10, 15)), mode="a")
        assert catalog.refresh() == {"a"}
        assert states == [("a", {"offset": size})]
        series = catalog.runs["a"].series("train_loss")
        assert series["step"].tolist() == list(range(15))
        assert list(catalog.runs) == ["a", "b", "c/d"]


def test_a_half_written_line_is_picked_up_on_the_next_refresh(fake, tmp_path):
    path = fake.write(tmp_path / "x.fake", fake.curve("loss", range(3)))
    with open(path, "a") as fh:
        fh.write("loss,3,0.2")
    with open_root(str(tmp_path), cache=False) as catalog:
        assert len(catalog.runs["."].scalars) == 3
        with open(path, "a") as fh:
            fh.write("5,1003\n")
        assert catalog.refresh() == {"."}
        series = catalog.runs["."].series("loss")
        assert series["step"].tolist() == [0, 1, 2, 3]
        assert series["value"].iloc[-1] == pytest.approx(0.25)


def test_refresh_picks_up_new_runs_and_drops_vanished_ones(fake, tmp_path):
    _runs(tmp_path, fake, ["a", "b"])
    with open_root(str(tmp_path)) as catalog:
        fake.write(tmp_path / "new" / "x.fake", fake.curve("loss", range(4)))
        os.remove(tmp_path / "b" / "x.fake")
        assert catalog.refresh() == {"new", "b"}
        assert list(catalog.runs) == ["a", "new"]
        assert catalog.refresh() == set()


def test_a_rewritten_file_is_read_again_from_the_start(fake, states, tmp_path):
    _runs(tmp_path, fake, ["a"])
    with open_root(str(tmp_path), cache=False) as catalog:
        states.clear()
        fake.write(tmp_path / "a" / "x.fake", fake.curve("loss", range(3), scale=9.0))
        assert catalog.refresh() == {"a"}
        assert states == [("a", None)]
        assert catalog.runs["a"].series("loss")["value"].iloc[0] == 9.0


def test_is_live_follows_the_newest_file(fake, tmp_path):
    _runs(tmp_path, fake, ["a", "b"])
    old = time.time() - 3600
    os.utime(tmp_path / "b" / "x.fake", (old, old))
    with open_root(str(tmp_path)) as catalog:
        assert catalog.is_live("a")
        assert not catalog.is_live("b")
        assert catalog.is_live("b", within_s=7200)
        assert not catalog.is_live("no-such-run")


def test_a_thread_pool_reads_the_same_runs(fake, tmp_path):
    _runs(tmp_path, fake)
    with open_root(str(tmp_path), cache=False) as inline:
        expected = inline.scalars()
    with ThreadPoolExecutor(2) as pool, open_root(
        str(tmp_path), cache=False, executor=pool
    ) as pooled:
        pd.testing.assert_frame_equal(pooled.scalars(), expected)


def test_a_process_pool_reads_real_formats(tmp_path, no_user_cache):
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        lines = [json.dumps({"step": s, "loss": 1 / (1 + s)}) for s in range(20)]
        (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    with ProcessPoolExecutor(1) as pool, open_root(str(tmp_path), executor=pool) as catalog:
        assert list(catalog.runs) == ["a", "b"]
        assert all(len(r.scalars) == 20 and not r.errors for r in catalog.runs.values())


def test_progress_goes_to_stderr_only(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress_mod, "DELAY_S", 0)
    _runs(tmp_path, fake)
    open_root(str(tmp_path), cache=False, progress=True).close()
    out, err = capsys.readouterr()
    assert out == ""
    assert "reading runs" in err


def test_no_progress_by_default(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress_mod, "DELAY_S", 0)
    _runs(tmp_path, fake)
    open_root(str(tmp_path), cache=False).close()
    assert capsys.readouterr() == ("", "")


def test_a_failing_executor_falls_back_to_reading_here(fake, tmp_path):
    _runs(tmp_path, fake)
    with open_root(str(tmp_path), cache=False, executor=_Broken()) as catalog:
        assert list(catalog.runs) == ["a", "b", "c/d"]
        assert all(len(r.scalars) == 10 and not r.errors for r in catalog.runs.values())


class _Broken:
    """An executor whose every future fails, like a process pool whose worker died."""

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        future: Future = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future
