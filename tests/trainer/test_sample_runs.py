"""The committed sample_runs/ folder: complete, small, and documented (no torch needed)."""

from __future__ import annotations

from pathlib import Path

import curvedoc.sample_runs
from curvedoc.trainer import SCENARIOS
from curvedoc.trainer.readme import render

SAMPLES = Path(curvedoc.sample_runs.__file__).parent


def test_every_scenario_has_its_logs_in_sample_runs():
    for scenario in SCENARIOS.values():
        folder = SAMPLES / scenario.path
        if scenario.spec.logger == "lightning_csv":
            assert (folder / "version_0" / "metrics.csv").is_file(), scenario.path
            assert (folder / "version_0" / "hparams.yaml").is_file(), scenario.path
        else:
            events = list(folder.glob("events.out.tfevents.*"))
            assert len(events) == 1, scenario.path  # one run, one file: no leftovers
            assert (folder / "hparams.yaml").is_file(), scenario.path


def test_sample_runs_stay_under_10_mb():
    # what ships: not a cache `curvedoc check` may have left, not bytecode
    shipped = [f for f in SAMPLES.rglob("*") if f.is_file()
               and not {".curvedoc-cache", "__pycache__"} & set(f.relative_to(SAMPLES).parts)]
    total = sum(f.stat().st_size for f in shipped)
    assert total < 10 * 2**20, f"sample_runs/ is {total / 2**20:.1f} MB"


def test_readme_is_current_and_names_every_run_and_command():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    hint = "regenerate: python -m curvedoc.trainer.readme > sample_runs/README.md"
    assert readme == render(), hint
    assert "curvedoc train --all --out sample_runs" in readme
    for scenario in SCENARIOS.values():
        assert f"`{scenario.path}`" in readme, scenario.path
