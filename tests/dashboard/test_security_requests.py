"""No request makes the server answer 500: crafted callback bodies get a 4xx, page
addresses with parameters a page cannot use get a page or a message, and a run deleted
while a page asks for it changes nothing (issue 12, item 14)."""

from __future__ import annotations

import json
import random

import pytest
from dash_fixtures import memory_run
from security_helpers import CALLBACK_URL, Callbacks

from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.state import RunsCatalog

RUN_IDS = ("sweep/lr_0.1", "sweep/lr_0.01", "seeds/seed_0")

#: Values a crafted request puts where a page expects something else.
ODD_VALUES = [
    None, 0, -1, 1.5, 1e308, True, "", "sweep/lr_0.1", "../../etc/passwd", "(((", "^(a+)+$",
    "?x=a&x=b", "?id=a&id=b", "/compare", "/run", [], ["sweep/lr_0.1"], ["sweep/lr_0.1", 5, None],
    [["a"]], {}, {"runs": "sweep/lr_0.1"}, {"runs": [["x"]], "metric": ["x"]}, {"ids": 5},
    [{"id": "sweep/lr_0.1"}], [{"id": 5}], [{}], "x" * 10_000, [0] * 1_000,
]

#: Page addresses with repeated, unknown or odd parameters.
ODD_SEARCHES = [
    "?x=a&x=b", "?runs=sweep%2Flr_0.1&runs=nope&metric=val_loss&metric=train_loss",
    "?smooth=abc&logy=1&logy=0", "?smooth=nan", "?smooth=1e999", "?id=sweep%2Flr_0.1&id=x",
    "?id=", "?id=..%2F..%2Fetc%2Fpasswd", "?by=a&by=b", "?by=hparam:", "?by=level:99",
    "?by=hparam:lr&by=folder", "?%00=%00", "?runs=%ff%fe", "?" + "&".join(["x=1"] * 500),
]
PATHS = ["/", "/compare", "/run", "/groups", "/no/such/page"]


@pytest.fixture(scope="module")
def app():
    runs = {rid: memory_run(rid, n=60) for rid in RUN_IDS}
    return create_app(runs, poll_s=1)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def calls(client):
    return Callbacks(client)


def post(client, body) -> int:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(CALLBACK_URL, data=raw, content_type="application/json").status_code


def page_content(client, calls, path: str, search: str):
    """What Dash's page router answers for an address: (status, the page's JSON)."""
    body = calls.body(calls.find("_pages_content.children"),
                      {"_pages_location.pathname": path, "_pages_location.search": search})
    resp = client.post(CALLBACK_URL, json=body)
    return resp.status_code, resp.get_data(as_text=True)


def test_a_parameter_given_twice_still_opens_the_page(client, calls):
    status, page = page_content(client, calls, "/compare", "?x=a&x=b")
    assert status == 200 and "compare-runs" in page  # the compare page, x read once
    status, page = page_content(client, calls, "/compare",
                                "?runs=sweep%2Flr_0.1&runs=seeds%2Fseed_0&x=epoch&x=step")
    assert status == 200 and "compare-runs" in page
    status, page = page_content(client, calls, "/groups", "?by=folder&by=folder")
    assert status == 200 and "groups-by" in page


def test_every_odd_address_gets_a_page_or_a_message(client, calls):
    for path in PATHS:
        for search in ODD_SEARCHES:
            status, page = page_content(client, calls, path, search)
            assert status < 500, (path, search)
            assert status == 200 and page, (path, search)
        for search in ODD_SEARCHES[:4]:
            assert client.get(path + search).status_code < 500


def test_a_run_deleted_while_a_page_asks_for_it_is_no_error(client, calls, app):
    state = app.server.config["CURVEDOC_STATE"]

    class Vanishing(dict):
        """The runs of a catalog from which a run disappears right after it was looked up:
        what a refresh does when a folder is deleted between two reads of one request."""

        def __contains__(self, key):
            found = dict.__contains__(self, key)
            if found and key == "sweep/lr_0.1":
                self.pop(key)
            return found

    saved = state.catalog
    try:
        state.catalog = RunsCatalog(dict(saved.runs))
        state.catalog.runs = Vanishing(saved.runs)
        body = calls.body(calls.find("compare-overlay.figure"), {
            "compare-runs.value": ["sweep/lr_0.1", "seeds/seed_0"],
            "compare-metric.value": "train_loss", "compare-x.value": "step",
            "compare-smoothing.value": 0.5, "compare-logy.value": []})
        resp = client.post(CALLBACK_URL, json=body)
        # nothing on the page changes; the next poll shows the folder as it is now
        assert resp.status_code in (200, 204)
        assert not (resp.get_json(silent=True) or {}).get("response")
    finally:
        state.catalog = saved


@pytest.mark.parametrize("body", [
    "{not json", "[]", "null", "5", '"x"', {}, {"output": "nope.children"}, "[" * 100_000,
    '{"output": ' * 50_000,
    {"output": "..selection-count.children...nav-compare-link.href..", "inputs": 5},
    {"output": "selection-count.children", "inputs": [{"id": "x"}]},
    {"output": 5, "inputs": [], "outputs": []},
    {"output": "compare-url-sink.data", "inputs": [], "outputs": {}},  # a clientside one
])
def test_a_malformed_callback_body_gets_a_4xx(client, body):
    assert 400 <= post(client, body) < 500


def test_callback_inputs_of_the_wrong_type_get_a_4xx(client, calls):
    dep = calls.find("compare-overlay.figure")
    body = calls.body(dep, {"compare-runs.value": ["sweep/lr_0.1"],
                            "compare-metric.value": "train_loss",
                            "compare-smoothing.value": "not a number"})
    assert post(client, body) == 400
    body["inputs"][3]["value"] = 0.5
    assert post(client, body) == 200  # the same request, well formed


def mutate(body: dict, rng: random.Random):
    """One random change to a well-formed body: a key dropped, a value swapped for an odd
    one, a list cut or padded, an entry replaced, the whole body replaced."""
    body = json.loads(json.dumps(body))
    roll = rng.random()
    lists = [k for k in ("inputs", "state") if body.get(k)]
    if roll < 0.15:
        body.pop(rng.choice(list(body)))
    elif roll < 0.45 and lists:
        entry = rng.choice(body[rng.choice(lists)])
        entry["value"] = rng.choice(ODD_VALUES)
    elif roll < 0.55 and lists:
        key = rng.choice(lists)
        body[key] = body[key][:-1] if rng.random() < 0.5 else [*body[key], {"id": "x"}]
    elif roll < 0.65 and lists:
        items = body[rng.choice(lists)]
        items[rng.randrange(len(items))] = rng.choice(ODD_VALUES)
    elif roll < 0.75:
        body[rng.choice(list(body))] = rng.choice(ODD_VALUES)
    elif roll < 0.85:
        body["output"] = rng.choice(["nope.x", "..a.b...c.d..", "", "..", body["output"] + "x"])
    elif roll < 0.9:
        return rng.choice(ODD_VALUES)
    else:
        body["changedPropIds"] = rng.choice(ODD_VALUES)
    return body


def test_crafted_callback_requests_never_get_a_5xx(client, calls):
    rng = random.Random(12)
    statuses: dict[int, int] = {}
    for _ in range(1_500):
        dep = rng.choice(calls.deps)
        values = {f"{i['id']}.{i['property']}": rng.choice(ODD_VALUES)
                  for i in dep["inputs"] + dep["state"]}
        body = calls.body(dep, values)
        if rng.random() < 0.6:
            body = mutate(body, rng)
        status = post(client, body)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (dep["output"], json.dumps(body)[:300])
    assert statuses.get(200, 0) > 0 and sum(v for k, v in statuses.items() if k >= 400) > 0


def test_unknown_files_and_odd_paths_get_a_4xx(client):
    for path in ("/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/../x.js",
                 "/_dash-component-suites/dash/dash-renderer/nope.js", "/assets/../../x",
                 "/_curvedoc/vendor/../x", "/_dash-layout/x", "/%ff"):
        assert client.get(path).status_code < 500, path
