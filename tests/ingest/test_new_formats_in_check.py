"""Every format added for issue 13 shows in `curvedoc check --format json`, roles inferred,
and the check writes nothing into the log folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from curvedoc.dashboard.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def test_check_lists_wandb_sacred_ray_tune_and_dvclive_runs_with_their_roles(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setenv("CURVEDOC_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "logs"
    shutil.copytree(FIXTURES / "wandb", root / "wandb",
                    ignore=shutil.ignore_patterns("*.py", "*.md"))
    shutil.copytree(FIXTURES / "sacred" / "sacred_runs", root / "sacred_runs")
    shutil.copytree(FIXTURES / "ray_tune" / "lr_sweep", root / "lr_sweep")
    shutil.copytree(FIXTURES / "dvclive" / "project", root / "dvc_exp")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    result = CliRunner().invoke(cli, ["check", str(root), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    runs = json.loads(result.output)["runs"]

    formats = sorted({r["format"] for r in runs})
    assert formats == ["dvclive", "ray_tune", "sacred", "wandb"]
    for run in runs:
        assert run["errors"] == [], run
        assert {"train_loss", "val_loss"} <= set(run["roles"]), run
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
