"""What a request can cost the server: a typed regex never backtracks, and every cache
keyed by what requests name stays within its cap (issue 12, items 12 and 13)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from dash_fixtures import memory_run
from security_helpers import CALLBACK_URL, Callbacks

from curvedoc.dashboard import safe_regex
from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.lru import LRU
from curvedoc.dashboard.state import SERIES_CACHE_ITEMS, DashboardState, RunsCatalog
from curvedoc.dashboard.tables import filter_rows
from curvedoc.ingest.model import Run

EVIL = r"^(a+)+$"  # backtracks 2^n times in Python's re on "aaa…ab"


def rows(*names: str) -> list[dict]:
    return [{"id": f"g/{n}", "name": n, "labels": ["healthy"], "group": "g"} for n in names]


# Python's re needs about 2^40 steps for this: without a linear-time engine the test
# never returns, and the timeout fails it instead of the whole run hanging.
@pytest.mark.timeout(60)
def test_a_backtracking_pattern_answers_at_once_with_the_right_rows():
    long_name = "a" * 40 + "!"
    shown, message = filter_rows(rows(long_name, "aaaa", "b" * 5000 + "a" * 5000), EVIL)
    assert [r["name"] for r in shown] == ["aaaa"] and message is None
    assert safe_regex.searcher(EVIL)("a" * 100_000 + "!") is False


@pytest.mark.timeout(60)
def test_the_runs_filter_callback_answers_a_backtracking_pattern():
    evil_run = memory_run("x/" + "a" * 40 + "!", n=20)
    app = create_app({evil_run.id: evil_run, "aaa": memory_run("aaa", n=20)}, poll_s=0)
    client = app.server.test_client()
    calls = Callbacks(client)
    body = calls.body(calls.find("runs-grid.rowData"), {"runs-name-regex.value": EVIL})
    resp = client.post(CALLBACK_URL, json=body)
    assert resp.status_code == 200
    data = resp.get_json()["response"]
    assert [r["id"] for r in data["runs-grid"]["rowData"]] == ["aaa"]


@pytest.mark.parametrize("pattern, why", [
    ("(", "missing )"),
    (r"(a)\1", "backreference"),
    (r"(?=a)b", "look-ahead"),
    ("a" * (safe_regex.MAX_PATTERN + 1), "longer than"),
    ("(((a{100}){100}){100})", "repeat"),
    (r"\pL{1000}", "too large for RE2's memory budget"),
])
def test_an_invalid_or_too_complex_pattern_says_so_and_filters_nothing(pattern, why):
    shown, message = filter_rows(rows("a", "b"), pattern)
    assert len(shown) == 2, why
    assert message is not None and "invalid or too complex pattern" in message, why


def test_the_regex_filter_still_matches_like_before():
    names = ["lr_0.001", "lr_0.01", "LR_0.1", "seed_0"]
    assert [r["name"] for r in filter_rows(rows(*names), r"lr_0\.0+1$")[0]] == names[:2]
    assert [r["name"] for r in filter_rows(rows(*names), "^lr")[0]] == names[:3]  # any case
    assert [r["name"] for r in filter_rows(rows(*names), "g/seed")[0]] == ["seed_0"]  # the id


# --------------------------------------------------------------------------- caches
def many_tags_run(n_tags: int, points: int = 3) -> Run:
    tags = [f"metric_{i}" for i in range(n_tags)]
    frame = pd.DataFrame({
        "run": "wide",
        "tag": np.repeat(tags, points),
        "step": np.tile(np.arange(points, dtype=np.int64), n_tags),
        "value": np.linspace(1.0, 2.0, n_tags * points),
        "wall_time": np.zeros(n_tags * points),
    }).astype({"run": "category", "tag": "category"})
    return Run(id="wide", name="wide", format="memory", sources=[], scalars=frame,
               roles={"train_loss": "metric_0"})


def test_10000_requests_for_new_metric_names_keep_the_series_cache_at_its_cap():
    state = create_app({"a": memory_run("a", n=200)}, poll_s=0).server.config[
        "CURVEDOC_STATE"]
    assert state.series_cache.max_items == SERIES_CACHE_ITEMS
    assert len(state.series("a", "train_loss")) == 200
    tracemalloc.start()
    try:
        for i in range(200):  # warm up: interpreter caches, first frames
            state.series("a", f"made_up_{i}")
        before = tracemalloc.get_traced_memory()[0]
        for i in range(10_000):  # names no run has: nothing to keep
            assert state.series("a", f"no_such_metric_{i}").empty
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(state.series_cache) == 1  # train_loss only
    assert grown < 2 * 2**20, f"memory grew by {grown / 2**20:.1f} MB"


def test_series_of_more_real_tags_than_the_cap_keep_the_most_recently_used():
    run = many_tags_run(300)
    state = DashboardState(RunsCatalog({run.id: run}), diagnose=lambda run, config: None,
                           series_cache=LRU(100))
    for i in range(300):
        assert len(state.series("wide", f"metric_{i}")) == 3
    assert len(state.series_cache) == 100
    assert state.series_cache.get(("wide", "metric_299")) is not None
    assert state.series_cache.get(("wide", "metric_0")) is None


def test_compare_requests_with_new_metric_names_do_not_grow_the_server():
    app = create_app({"a": memory_run("a", n=50)}, poll_s=0)
    state = app.server.config["CURVEDOC_STATE"]
    client = app.server.test_client()
    calls = Callbacks(client)
    dep = calls.find("compare-overlay.figure")

    def ask(metric: str) -> int:
        return client.post(CALLBACK_URL, json=calls.body(dep, {
            "compare-runs.value": ["a"], "compare-metric.value": metric,
            "compare-x.value": "step", "compare-smoothing.value": 0.6})).status_code

    assert ask("train_loss") == 200
    for i in range(30):
        ask(f"warm_{i}")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert all(ask(f"crafted_{i}") == 200 for i in range(300))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(state.series_cache) == 1  # only the real metric's series
    assert grown < 1 * 2**20, f"memory grew by {grown / 2**10:.0f} KB over 300 requests"


def test_lru_keeps_the_recently_used_within_both_caps():
    cache: LRU[str, bytes] = LRU(3, max_weight=10, weigh=len)
    for key in "abc":
        cache.put(key, b"xx")
    assert cache.get("a") == b"xx"  # a is now the most recently used
    cache.put("d", b"xx")
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 3
    cache.put("e", b"x" * 8)  # weight 2+2+2+8 > 10: the oldest go until it fits
    assert cache.weight <= 10 and cache.get("e") is not None
    cache.put("huge", b"x" * 11)  # heavier than the cap alone: not kept
    assert cache.get("huge") is None and cache.weight <= 10
    cache.discard_where(lambda k: k == "e")
    assert cache.get("e") is None and cache.weight == sum(
        len(cache.get(k) or b"") for k in "abcd")
