"""Per-run summaries: an unchanged run under unchanged rules is not diagnosed again; a
changed file, threshold, selection or hparams.yaml diagnoses it again."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from curvedoc.diagnostics import cached
from curvedoc.diagnostics.findings import Diagnosis, Evidence, Finding
from curvedoc.ingest import open_root
from curvedoc.ingest.cache import rules_key
from curvedoc.ingest.cache.folder import Folder
from curvedoc.ingest.cache.summaries import SummaryStore

STEPS = np.arange(0, 1001, 10)


def _write(folder, scale=1.0):
    folder.mkdir(parents=True, exist_ok=True)
    train = 0.1 + 2.2 * np.exp(-STEPS / 200) * scale
    lines = ["step,train_loss,val_loss"]
    lines += [f"{s},{t!r},{t * 1.2 + 0.05!r}" for s, t in zip(STEPS, train.tolist(), strict=True)]
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def root(tmp_path):
    for name in ("a", "b", "c"):
        _write(tmp_path / "logs" / name)
    return tmp_path / "logs"


@pytest.fixture
def diagnosed(monkeypatch):
    """The run ids each diagnose_all call of `check` got."""
    calls: list[list[str]] = []
    real = cached.diagnose_all

    def spy(runs, *args, **kwargs):
        calls.append(sorted(runs))
        return real(runs, *args, **kwargs)

    monkeypatch.setattr(cached, "diagnose_all", spy)
    return calls


def _check(root, *extra):
    from curvedoc.dashboard.cli import cli

    result = CliRunner().invoke(cli, ["check", str(root), "--format", "json", "--no-progress",
                                      "-j", "1", *map(str, extra)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _diagnosed_ids(calls):
    return [rid for call in calls for rid in call]


def test_an_unchanged_root_is_not_diagnosed_again(root, diagnosed):
    cold = _check(root)
    assert _diagnosed_ids(diagnosed) == ["a", "b", "c"]
    diagnosed.clear()
    warm = _check(root)
    assert diagnosed == []
    assert warm == cold
    assert all(r["roles"].get("val_loss") for r in cold["runs"])


def test_a_warm_check_reads_only_the_changed_runs(root, monkeypatch):
    from curvedoc.ingest import catalog as catalog_module

    looked_up: list[str] = []
    real = catalog_module.cached_reads

    def spy(source, cache):
        looked_up.append(source.id)
        return real(source, cache)

    monkeypatch.setattr(catalog_module, "cached_reads", spy)
    _check(root)
    assert sorted(looked_up) == ["a", "b", "c"]
    looked_up.clear()
    _check(root)
    assert looked_up == []  # every summary held: no cached frame even decoded
    _write(root / "c", scale=2.0)
    _check(root)
    assert looked_up == ["c"]


def test_a_changed_file_diagnoses_its_run_again(root, diagnosed):
    _check(root)
    diagnosed.clear()
    _write(root / "b", scale=3.0)
    _check(root)
    assert _diagnosed_ids(diagnosed) == ["b"]


def test_changed_thresholds_or_selection_diagnose_again(root, diagnosed):
    _check(root)
    diagnosed.clear()
    (root / "curvedoc.toml").write_text("[rules.val-loss-rises]\nmin_rise = 0.5\n")
    _check(root)
    assert _diagnosed_ids(diagnosed) == ["a", "b", "c"]
    diagnosed.clear()
    _check(root, "--ignore", "CD9")
    assert _diagnosed_ids(diagnosed) == ["a", "b", "c"]
    diagnosed.clear()
    _check(root, "--ignore", "CD9")
    assert diagnosed == []


def test_a_changed_hparams_yaml_diagnoses_its_run_again(root, diagnosed):
    (root / "a" / "hparams.yaml").write_text("num_classes: 10\n")
    _check(root)
    diagnosed.clear()
    (root / "a" / "hparams.yaml").write_text("num_classes: 100\n")
    _check(root)
    assert _diagnosed_ids(diagnosed) == ["a"]


def test_no_cache_diagnoses_every_time(root, diagnosed):
    _check(root, "--no-cache")
    _check(root, "--no-cache")
    assert _diagnosed_ids(diagnosed) == ["a", "b", "c"] * 2


def test_a_diagnosis_survives_its_dict():
    d = Diagnosis("r", [Finding("CD201", "overfitting", "warning", 0.8123456, "gap",
                                ["stop earlier"],
                                Evidence(tags=["val"], start_step=1, end_step=2,
                                         numbers={"gap": 0.3}))],
                  {"CD101": "ln(C) unknown"})
    back = Diagnosis.from_dict(cached.exact_dict(d))
    assert back == d
    assert Diagnosis.from_dict(d.to_dict()).to_dict() == d.to_dict()


def test_a_summary_store_round_trip_and_corruption(root, tmp_path):
    with open_root(str(root), cache=tmp_path / "c") as catalog:
        key = catalog.run_key("a", rules_key(catalog.config))
        run = catalog.runs["a"]
    from curvedoc.ingest.cache import summarize

    summary = summarize(run, {"run": "a", "labels": [], "findings": [], "skipped": {}})
    assert summary.points == len(run.scalars) and summary.steps == 1000
    assert summary.metric == run.roles["val_loss"] and summary.best is not None
    from curvedoc.dashboard.tables import best_and_last

    assert (summary.best, summary.last) == best_and_last(run, "val_loss", False)  # as listed
    store = SummaryStore(Folder.base(tmp_path / "s"))
    assert store.put(key, summary)
    assert store.get(key) == summary
    other = type(key)(key.run_id, key.files, "other rules")
    assert store.get(other) is None
    (path,) = (tmp_path / "s").iterdir()
    blob = path.read_bytes()
    for pos in range(0, len(blob), max(1, len(blob) // 300)):
        bad = bytearray(blob)
        bad[pos] ^= 0x04
        path.write_bytes(bytes(bad))
        assert store.get(key) is None
    path.write_bytes(blob[:20])
    assert store.get(key) is None



def test_runs_known_from_summaries_are_read_on_refresh(root, tmp_path):
    from curvedoc.ingest import Catalog

    _check(root, "--cache-dir", tmp_path / "c")
    stored = cached.StoredRuns()
    catalog = Catalog(str(root), cache=tmp_path / "c")
    catalog.load(known=stored.known(catalog))
    assert set(stored.diagnoses) == {"a", "b", "c"}
    assert all(len(r.scalars) == 0 and r.roles for r in catalog.runs.values())
    catalog.refresh()
    assert all(len(r.scalars) == len(STEPS) * 2 for r in catalog.runs.values())
    catalog.close()
