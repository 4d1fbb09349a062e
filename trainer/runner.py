"""Run several scenarios, in parallel worker processes when asked.

Each run is independent and single-threaded, so a process pool of ``jobs``
workers uses ``jobs`` cores and every run's numbers stay the same whatever the
pool size.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .scenarios import Scenario
from .spec import RunSpec


def effective_spec(scenario: Scenario, *, seed: int | None = None,
                   epochs: int | None = None) -> RunSpec:
    """The scenario's spec with the command-line overrides applied.

    ``seed`` is added to the scenario's own seed, so the members of a seed group
    keep distinct seeds; ``epochs`` replaces the scenario's length.
    """
    spec = scenario.spec
    if seed is not None:
        spec = spec.with_(seed=spec.seed + seed)
    if epochs is not None:
        spec = spec.with_(epochs=epochs)
    return spec


def run_one(spec: RunSpec, out_dir: str, max_steps: int | None = None):
    """Train one spec into ``out_dir`` (a top-level function, so workers can pickle it)."""
    from .loop import train

    return train(spec, out_dir, max_steps=max_steps)


def run_many(scenarios: list[Scenario], out: str | Path, *, jobs: int = 1,
             seed: int | None = None, epochs: int | None = None,
             max_steps: int | None = None,
             executor_factory: Callable | None = None) -> Iterator[tuple[Scenario, object]]:
    """Train ``scenarios`` under ``out``; yield ``(scenario, Summary)`` as each finishes."""
    tasks = [(s, effective_spec(s, seed=seed, epochs=epochs), str(Path(out) / s.path))
             for s in scenarios]
    if jobs <= 1 or len(tasks) == 1:
        for scenario, spec, path in tasks:
            yield scenario, run_one(spec, path, max_steps)
        return
    factory = executor_factory or (lambda n: ProcessPoolExecutor(
        n, mp_context=multiprocessing.get_context("spawn")))
    with factory(min(jobs, len(tasks))) as pool:
        futures = {pool.submit(run_one, spec, path, max_steps): scenario
                   for scenario, spec, path in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
