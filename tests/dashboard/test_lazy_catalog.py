"""The dashboard over run summaries (``serve --cluster``): the runs grid without reading a
curve, a run's curves read when a page asks, and only a few runs' curves kept in memory.

The summaries are made here with the function the cluster's workers run (no Dask needed).
"""

from __future__ import annotations

import pandas as pd
import pytest

from curvedoc.dashboard.lazy_catalog import SummaryCatalog, read_curves
from curvedoc.dashboard.state import DashboardState
from curvedoc.dashboard.tables import run_rows
from curvedoc.diagnostics.distributed import check_batch
from curvedoc.ingest import open_root
from curvedoc.ingest.discover import walk


class CountingLoader:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, source, config):
        self.calls.append(source.id)
        return read_curves(source, config)


def no_diagnosis(run, config):
    raise AssertionError("a summary-backed state must not diagnose again")


@pytest.fixture(scope="module")
def summaries(sample_root):
    sources = walk(str(sample_root)).sources
    return {s.id: s for s in check_batch(sources, {})}, {s.id: s for s in sources}


def lazy_state(sample_root, summaries, loader, keep=64):
    by_id, sources = summaries
    catalog = SummaryCatalog(str(sample_root), by_id, sources, loader=loader, keep_loaded=keep)
    return DashboardState(catalog, diagnose=no_diagnosis)


def test_the_runs_grid_comes_from_the_summaries_without_reading_a_curve(sample_root, summaries):
    loader = CountingLoader()
    lazy = lazy_state(sample_root, summaries, loader)
    read = DashboardState(open_root(str(sample_root), cache=False))

    def still(rows):  # the sample was written a moment ago: live in the read catalog
        return [{k: v for k, v in row.items() if k != "live"} for row in rows]

    assert still(run_rows(lazy)) == still(run_rows(read))
    assert loader.calls == []
    assert {rid: d.labels for rid, d in lazy.diagnoses.items()} == {
        rid: d.labels for rid, d in read.diagnoses.items()}


def test_a_page_reads_a_run_once_when_it_needs_its_curves(sample_root, summaries):
    loader = CountingLoader()
    lazy = lazy_state(sample_root, summaries, loader)
    read = DashboardState(open_root(str(sample_root), cache=False))
    rid = next(iter(lazy.runs))

    got = lazy.series(rid, "val_loss")
    lazy.run(rid).scalars  # noqa: B018 - the run page reads the frame again

    assert loader.calls == [rid]
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  read.series(rid, "val_loss").reset_index(drop=True))


def test_only_a_few_runs_keep_their_curves(sample_root, summaries):
    loader = CountingLoader()
    lazy = lazy_state(sample_root, summaries, loader, keep=2)
    first, second, third = list(lazy.runs)[:3]

    for rid in (first, second, third):
        assert len(lazy.run(rid).scalars)

    assert [lazy.run(r).loaded for r in (first, second, third)] == [False, True, True]
    lazy.run(first).scalars  # noqa: B018 - read again when asked again
    assert loader.calls == [first, second, third, first]


def test_an_unknown_id_is_still_refused(sample_root, summaries):
    from curvedoc.dashboard.state import UnknownRun

    lazy = lazy_state(sample_root, summaries, CountingLoader())
    with pytest.raises(UnknownRun):
        lazy.run("../../etc/passwd")


def test_the_groups_comparison_reads_no_curve_and_agrees_with_a_read_root(sample_root,
                                                                          summaries):
    from curvedoc.dashboard.pages import groups

    loader = CountingLoader()
    lazy = lazy_state(sample_root, summaries, loader)
    read = DashboardState(open_root(str(sample_root), cache=False))

    got = groups.comparison_report(lazy, "hparam:lr", "", "lr=0.001")
    want = groups.comparison_report(read, "hparam:lr", "", "lr=0.001")

    assert loader.calls == []
    assert got.to_dict() == want.to_dict()
