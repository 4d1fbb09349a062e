"""Runs page: every run with its group, format, steps, validation metric and diagnosis badges.

Filter by a regex on names, by label, by group; sort any column; tick runs to
compare or download. The grid is Dash AG Grid (virtualised rows), so 1,000
runs stay fast; filtering runs on the server over pre-built rows.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.components import selection_download
from curvedoc.dashboard.messages import no_runs_message
from curvedoc.dashboard.names import natural_sorted, plural
from curvedoc.dashboard.tables import (
    LABELS,
    all_hparams,
    filter_rows,
    run_rows,
    varying_hparams,
)

#: A number to 4 significant digits; NaN / inf as logged (the row's ``<field>_note``).
NUMBER = {"function": "params.value == null ? ((params.data && params.data[params.colDef.field"
                      " + '_note']) || '') : d3.format('.4~g')(params.value)"}
#: Natural order: version_2 before version_16.
NATURAL = {"function": "(a, b) => String(a == null ? '' : a).localeCompare("
                       "String(b == null ? '' : b), undefined, {numeric: true})"}

#: Pixels per character of the grid's font, and a cell's padding (widths from content).
CHAR_PX, PAD_PX, HEADER_PAD_PX = 8.0, 34, 60


def _fit(rows: list[dict], field: str, header: str, lo: int, hi: int) -> int:
    """A column width that shows the longest text of ``field`` (and its header) whole."""
    longest = max((len(str(r.get(field) or "")) for r in rows), default=0)
    want = max(longest * CHAR_PX + PAD_PX, len(header) * CHAR_PX + HEADER_PAD_PX)
    return int(min(max(want, lo), hi))


def columns(rows: list[dict], hparams: list[str]) -> list[dict]:
    """Column definitions sized to the rows' contents, so no cell is cut at 1440 px; what
    a user reads first (run, diagnosis, top finding, validation metric) comes first; one
    column per chosen hyper-parameter (field ``hp<i>``, header its name)."""
    name_w = _fit(rows, "name", "Run", 200, 460) + 70  # swatch and "live" badge
    cols = [
        {"field": "name", "headerName": "Run", "cellRenderer": "RunLink", "minWidth": name_w,
         "comparator": NATURAL, "tooltipField": "id"},
        {"field": "labels", "headerName": "Diagnosis", "cellRenderer": "LabelBadges",
         "cellDataType": False, "valueFormatter": {"function": "(params.value || []).join(' ')"},
         "width": _fit(rows, "label_text", "Diagnosis", 150, 360) + 20,
         "comparator": {"function": "(a, b) => String(a).localeCompare(String(b))"},
         "tooltipField": "label_text"},
        {"field": "top", "headerName": "Top finding", "minWidth": 280, "flex": 1,
         "tooltipField": "top"},
        {"field": "metric", "headerName": "Val metric",
         "width": _fit(rows, "metric", "Val metric", 120, 300), "tooltipField": "metric"},
        {"field": "best", "headerName": "Best", "width": 96, "type": "numericColumn",
         "valueFormatter": NUMBER},
        {"field": "last", "headerName": "Last", "width": 96, "type": "numericColumn",
         "valueFormatter": NUMBER},
        {"field": "steps", "headerName": "Steps", "width": 100, "type": "numericColumn"},
    ]
    for i, name in enumerate(hparams):
        numeric = all(isinstance(r.get(f"hp{i}"), (int, float)) or r.get(f"hp{i}") is None
                      for r in rows)
        cols.append({"field": f"hp{i}", "headerName": name, "headerTooltip": name,
                     "width": _fit(rows, f"hp{i}", name, 80, 240),
                     **({"type": "numericColumn", "valueFormatter": NUMBER} if numeric
                        else {"comparator": NATURAL})})
    cols += [
        {"field": "group", "headerName": "Group", "width": _fit(rows, "group", "Group", 110, 420),
         "tooltipField": "group", "comparator": NATURAL},
        {"field": "format", "headerName": "Format",
         "width": _fit(rows, "format", "Format", 100, 220)},
        {"field": "findings", "headerName": "Findings", "width": 104, "type": "numericColumn"},
    ]
    if any(r.get("problems") for r in rows):
        cols.append({"field": "problems", "headerName": "Read problems", "minWidth": 180,
                     "flex": 1, "tooltipField": "problems"})
    return cols


def layout(**_query: Any) -> html.Div:
    state = current_state()
    groups = natural_sorted({r.group for r in state.runs.values()})
    runs = list(state.runs.values())
    return html.Div([
        html.Div([
            html.H1("Runs", className="h4 mb-0 me-3"),
            html.Span(id=ids.RUNS_SUMMARY, className="text-muted small"),
        ], className="d-flex align-items-baseline mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Filter run names by regular expression",
                               html_for=ids.RUNS_NAME_REGEX, className="visually-hidden"),
                     dbc.Input(id=ids.RUNS_NAME_REGEX, type="search", debounce=0.3,
                               placeholder="Filter names (regex)…")], md=3),
            dbc.Col(dcc.Dropdown(id=ids.RUNS_LABELS, multi=True, placeholder="Diagnosis…",
                                 options=[{"label": lbl, "value": lbl}
                                          for lbl in (*LABELS, "healthy")]), md=2),
            dbc.Col(dcc.Dropdown(id=ids.RUNS_GROUPS, multi=True, placeholder="Group…",
                                 options=[{"label": g, "value": g} for g in groups]), md=2),
            dbc.Col(dcc.Dropdown(id=ids.RUNS_HPARAMS, multi=True,
                                 placeholder="Hyper-parameter columns…",
                                 value=varying_hparams(runs, limit=3),
                                 options=[{"label": h, "value": h} for h in all_hparams(runs)]),
                    md=2),
            dbc.Col(html.Div([
                dbc.Button("Compare selected", id=ids.RUNS_COMPARE_BTN, href="/compare",
                           color="primary", size="sm", className="me-2"),
                dbc.Button("Clear", id=ids.RUNS_CLEAR_BTN, color="secondary", outline=True,
                           size="sm", className="me-2"),
                dbc.Button("Download CSV", id=ids.RUNS_DOWNLOAD_BTN, color="secondary",
                           outline=True, size="sm"),
                dcc.Download(id=ids.RUNS_DOWNLOAD),
            ], className="d-flex justify-content-md-end"), md=3),
        ], className="g-2 mb-2 align-items-center"),
        *root_problems(state),
        *([] if state.runs else [dbc.Alert(no_runs_message(state.root), color="danger",
                                           className="cd-no-runs")]),
        html.Div(id=ids.RUNS_FILTER_MSG, className="text-danger small mb-1", role="alert"),
        dag.AgGrid(
            id=ids.RUNS_GRID,
            columnDefs=columns([], []),
            rowData=[],
            getRowId="params.data.id",
            defaultColDef={"sortable": True, "resizable": True, "filter": True},
            dashGridOptions={
                "rowSelection": {"mode": "multiRow", "checkboxes": True,
                                 "headerCheckbox": True, "enableClickSelection": False,
                                 "selectAll": "filtered"},
                "animateRows": False, "tooltipShowDelay": 300, "rowHeight": 36,
                "enableCellTextSelection": True, "ensureDomOrder": True,
                "suppressColumnVirtualisation": True,
            },
            eventListeners={"cellKeyDown": ["curvedocOpenRun(params)"]},
            style={"height": "calc(100vh - 210px)", "minHeight": "360px"},
        ),
    ])


def root_problems(state: Any) -> list[Any]:
    """Problems that belong to no run (config, cache, unreadable folders), if any."""
    problems = list(getattr(state.catalog, "warnings", []) or [])
    if not problems:
        return []
    return [html.Details([
        html.Summary(f"{len(problems)} problem(s) reading the folder"),
        html.Ul([html.Li(p) for p in problems], className="small mb-0"),
    ], className="alert alert-warning py-1 mb-2")]


def rows_view(state: Any, regex: str | None, labels: list[str] | None,
              groups: list[str] | None,
              hparams: list[str] | None = None) -> tuple[list[dict], str, str]:
    """Grid rows after filtering, the filter error (or ""), and the summary line."""
    rows = run_rows(state, hparams)
    shown, message = filter_rows(rows, regex, labels, groups)
    diagnosed = sum(1 for r in rows if r["labels"] not in (["healthy"], ["pending"]))
    summary = (f"{len(shown)} of {plural(len(rows), 'run')} shown · {diagnosed} with a "
               f"diagnosis · root {state.root}")
    if not rows:
        summary = f"No runs found under {state.root}."
    return shown, message or "", summary


def merge_selection(state: Any, stored: list[str] | None, visible: list[dict] | None,
                    selected: list[dict] | None) -> list[str]:
    """The selection after the user ticked rows: hidden selected runs stay selected."""
    visible_ids = {r["id"] for r in visible or []}
    keep = [rid for rid in state.known(stored) if rid not in visible_ids]
    return state.known(keep + [r["id"] for r in selected or []])


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/", name="Runs", title="curvedoc · runs", order=0,
                       layout=layout, nav=True)

    # Rows and their ticks go to the grid together, so it never shows the rows
    # unticked first (and reports that as the user clearing the selection).
    @app.callback(Output(ids.RUNS_GRID, "rowData"), Output(ids.RUNS_GRID, "selectedRows"),
                  Output(ids.RUNS_FILTER_MSG, "children"), Output(ids.RUNS_SUMMARY, "children"),
                  Output(ids.RUNS_GRID, "columnDefs"),
                  Input(ids.RUNS_NAME_REGEX, "value"), Input(ids.RUNS_LABELS, "value"),
                  Input(ids.RUNS_GROUPS, "value"), Input(ids.RUNS_HPARAMS, "value"),
                  Input(ids.VERSION, "data"), State(ids.SELECTION, "data"))
    def _rows(regex, labels, groups, hparams, _version, stored):
        state = current_state()
        chosen = [h for h in hparams or [] if isinstance(h, str)]
        rows, message, summary = rows_view(state, regex, labels, groups, chosen)
        shown = {r["id"] for r in rows}
        ticked = {"ids": [rid for rid in state.known(stored) if rid in shown]}
        return rows, ticked, message, summary, columns(rows, chosen)

    @app.callback(Output(ids.SELECTION, "data", allow_duplicate=True),
                  Input(ids.RUNS_GRID, "selectedRows"), State(ids.SELECTION, "data"),
                  State(ids.RUNS_GRID, "rowData"), prevent_initial_call=True)
    def _select(selected, stored, rows):
        if isinstance(selected, dict):  # our own restore echoing back
            return dash.no_update
        return merge_selection(current_state(), stored, rows, selected)

    @app.callback(Output(ids.SELECTION, "data", allow_duplicate=True),
                  Output(ids.RUNS_GRID, "selectedRows", allow_duplicate=True),
                  Input(ids.RUNS_CLEAR_BTN, "n_clicks"), prevent_initial_call=True)
    def _clear(n):
        if not n:  # mounted, not clicked
            return dash.no_update, dash.no_update
        return [], []

    @app.callback(Output(ids.RUNS_COMPARE_BTN, "href"), Input(ids.SELECTION, "data"))
    def _compare_href(stored):
        from curvedoc.dashboard.app import selection_nav

        return selection_nav(current_state(), stored)[1]

    @app.callback(Output(ids.RUNS_DOWNLOAD, "data"), Input(ids.RUNS_DOWNLOAD_BTN, "n_clicks"),
                  State(ids.SELECTION, "data"), prevent_initial_call=True)
    def _download(n, stored):
        if not n:  # mounted, not clicked
            return dash.no_update
        return selection_download(current_state(), stored)
