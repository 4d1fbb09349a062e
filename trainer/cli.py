"""``curvedoc train`` / ``python -m curvedoc.trainer``: make runs that show each problem.

This module imports neither torch nor scikit-learn until a run starts, so
``--help`` and ``--list`` work without the ``trainer`` extra, and a missing
extra gets a message that says how to install it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time

import click

from .scenarios import GROUPS, SCENARIOS, select

INSTALL_HINT = (
    'curvedoc train needs PyTorch and scikit-learn (the "trainer" extra):\n'
    '    pip install "curvedoc[trainer]"\n'
    "A CPU-only PyTorch is a much smaller download:\n"
    "    pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
    '    pip install "curvedoc[trainer]"'
)


def missing_trainer_modules() -> list[str]:
    """The modules of the ``trainer`` extra that cannot be imported."""
    missing = []
    try:
        importlib.import_module("torch")
    except ImportError:
        missing.append("torch")
    if importlib.util.find_spec("sklearn") is None:
        missing.append("scikit-learn")
    return missing


def require_trainer_extra() -> None:
    """Exit with status 2 and the install hint when torch or scikit-learn is missing."""
    missing = missing_trainer_modules()
    if missing:
        click.echo(f"error: cannot import {', '.join(missing)}.\n{INSTALL_HINT}", err=True)
        sys.exit(2)


def _list_scenarios() -> None:
    for group in GROUPS:
        click.echo(click.style(group, bold=True))
        for scenario in SCENARIOS.values():
            if scenario.group == group:
                click.echo(f"  {scenario.name:48s} -> {scenario.path}")
                click.echo(f"      {scenario.summary}")


def _format_metrics(metrics: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--scenario", "-s", "names", multiple=True, metavar="NAME",
              help="A scenario (e.g. overfitting/moons_small_subset), a label "
                   "(e.g. overfitting: all its variants) or a group "
                   "(lr_sweep, seed_group, lr_range_test). Repeatable.")
@click.option("--all", "run_all", is_flag=True,
              help="Make every scenario, group and the LR range test (the sample_runs set).")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit.")
@click.option("--out", "-o", type=click.Path(file_okay=False), metavar="DIR",
              help="Root folder; each run goes into DIR/<its path> (see --list). Log files "
                   "an earlier run left in that exact folder are replaced.")
@click.option("--seed", type=int, default=None,
              help="Added to each run's own seed (default: the scenario's seeds, 0, 1, ...).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Train every selected run for this many epochs instead of its own.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (one CPU thread each). Default: up to 2, one per core.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, hidden=True,
              help="Stop every run after this many optimiser steps (smoke tests).")
def train(names: tuple[str, ...], run_all: bool, list_only: bool, out: str | None,
          seed: int | None, epochs: int | None, jobs: int | None,
          max_steps: int | None) -> None:
    """Train small PyTorch models on the CPU that show each learning-curve problem.

    Real training on data that ships with scikit-learn (digits, breast cancer,
    wine, diabetes) or is generated (two moons): healthy runs, and runs with a
    bad init, a learning rate that is too high, a schedule that decays too
    early, a run stopped too soon, overfitting and underfitting, plus an LR
    sweep, a seed group and an LR range test. Logs are TensorBoard event files (one run also
    writes a Lightning-style metrics.csv), each with its hparams. Runs are
    deterministic given the seed.

    \b
    curvedoc train --list
    curvedoc train --scenario overfitting --out runs/
    curvedoc train --all --out sample_runs
    """
    if list_only:
        _list_scenarios()
        return
    if not names and not run_all:
        raise click.UsageError("say what to train: --scenario NAME, --all, or --list")
    if not out:
        raise click.UsageError("--out DIR is required (the folder the runs are written into)")
    try:
        chosen = select("all") if run_all else [s for n in names for s in select(n)]
    except KeyError as exc:
        raise click.UsageError(exc.args[0]) from None
    chosen = list(dict.fromkeys(chosen))
    require_trainer_extra()

    from .runner import run_many

    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    started = time.perf_counter()
    click.echo(f"training {len(chosen)} run(s) into {out} with {jobs} worker(s)")
    try:
        for scenario, summary in run_many(chosen, out, jobs=jobs, seed=seed, epochs=epochs,
                                          max_steps=max_steps):
            note = f" (stopped: {summary.stopped})" if summary.stopped else ""
            click.echo(f"  {scenario.path}: {summary.steps} steps, "
                       f"{_format_metrics(summary.metrics)}, {summary.seconds:.1f}s{note}")
    except OSError as exc:
        raise click.ClickException(
            f"cannot write the runs into {out}: {exc}. Pick a folder you can write to."
        ) from None
    click.echo(f"done in {time.perf_counter() - started:.1f}s")


def main() -> None:
    """Entry point of ``python -m curvedoc.trainer``."""
    train(prog_name="python -m curvedoc.trainer")
