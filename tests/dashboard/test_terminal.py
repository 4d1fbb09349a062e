"""The terminal: a quick --help, coloured and fitted `check` output, no-runs exit 2."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from click.testing import CliRunner

from curvedoc.dashboard.cli import cli
from curvedoc.dashboard.commands.check import _color, render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEAVY = ("scipy", "pandas", "dash", "plotly", "curvedoc.diagnostics")


def _modules_after(*args: str) -> set[str]:
    """The heavy modules imported by running ``curvedoc ARGS`` in a fresh interpreter."""
    code = ("import sys\nfrom curvedoc.dashboard.cli import cli\n"
            f"try:\n    cli({list(args)!r}, prog_name='curvedoc')\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip().splitlines()[-1]
    return set(eval(out))  # a printed list of names


def test_help_and_usage_errors_import_nothing_heavy():
    assert _modules_after("--help") == set()
    assert _modules_after("check") == set()  # missing PATH: a usage error, answered at once
    assert _modules_after("check", "--help") == set()


def test_rule_help_line_is_a_whole_sentence():
    listing = CliRunner().invoke(cli, ["--help"]).output
    line = next(ln for ln in listing.splitlines() if ln.strip().startswith("rule "))
    assert line.rstrip().endswith(".") and not line.rstrip().endswith("e.g.")


def _rows():
    finding = {"code": "CD201", "label": "lr_too_high", "possible": False,
               "message": "training loss became NaN at step 75 " * 4, "severity": "error",
               "confidence": 0.9, "advice": []}
    maybe = {**finding, "code": "CD501", "label": "overfitting", "possible": True,
             "message": "validation loss rose a little"}
    long_id = "sweeps/lr/lr_0.01/seed_0/a_rather_long_run_folder_name"
    return [
        {"run": long_id, "labels": ["lr_too_high"], "findings": [finding], "errors": [],
         "warnings": [], "roles": {"train_loss": "loss"}},
        {"run": "sweeps/lr/lr_0.1/seed_0", "labels": [], "findings": [maybe], "errors": [],
         "warnings": [], "roles": {"train_loss": "loss"}},
    ]


def test_check_text_names_runs_whole_and_fits_the_width():
    rows = _rows()
    text = render_text(rows, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    for r in rows:  # the full id on one line, never cut to its last 40 characters
        assert any(r["run"] in line for line in text.splitlines())
    assert "possible: overfitting" in text
    piped = render_text(rows)  # no width: one line per run, for grep and CI logs
    assert sum(1 for line in piped.splitlines() if line.startswith("sweeps/")) == 2


def test_check_text_is_coloured_only_when_asked():
    rows = _rows()
    assert ANSI.search(render_text(rows, width=100, color=True))
    assert not ANSI.search(render_text(rows, width=100, color=False))

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert _color(Tty()) and not _color(io.StringIO())


def test_no_color_turns_colour_off(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not _color(Tty())


def test_check_on_a_folder_without_runs_exits_2_naming_the_formats(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--no-cache", "--no-progress"])
    assert result.exit_code == 2
    assert "No runs found" in result.stderr
    assert "TensorBoard event files" in result.stderr and "Lightning" in result.stderr
    as_json = CliRunner().invoke(cli, ["check", str(tmp_path), "--format", "json",
                                       "--no-cache", "--no-progress"])
    assert as_json.exit_code == 2 and as_json.stdout.strip() == '{"runs": []}'
