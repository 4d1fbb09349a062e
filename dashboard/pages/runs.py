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
from curvedoc.dashboard.tables import LABELS, csv_safe, filter_rows, run_rows
from curvedoc.ingest.reading import scalars_of

NUMBER = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}

COLUMNS = [
    {"field": "name", "headerName": "Run", "cellRenderer": "RunLink", "minWidth": 220,
     "flex": 2},
    {"field": "group", "headerName": "Group", "flex": 1.5, "minWidth": 180,
     "tooltipField": "group"},
    {"field": "format", "headerName": "Format", "width": 130, "tooltipField": "format"},
    {"field": "steps", "headerName": "Steps", "width": 100, "type": "numericColumn"},
    {"field": "metric", "headerName": "Val metric", "width": 140},
    {"field": "best", "headerName": "Best", "width": 100, "type": "numericColumn",
     "valueFormatter": NUMBER},
    {"field": "last", "headerName": "Last", "width": 100, "type": "numericColumn",
     "valueFormatter": NUMBER},
    {"field": "labels", "headerName": "Diagnosis", "cellRenderer": "LabelBadges", "flex": 2,
     "cellDataType": False, "valueFormatter": {"function": "(params.value || []).join(' ')"},
     "minWidth": 220, "comparator": {"function": "(a, b) => String(a).localeCompare(String(b))"},
     "tooltipField": "label_text"},
    {"field": "findings", "headerName": "Findings", "width": 105, "type": "numericColumn"},
    {"field": "problems", "headerName": "Read problems", "flex": 1, "minWidth": 140,
     "tooltipField": "problems"},
]


def layout(**_query: Any) -> html.Div:
    state = current_state()
    groups = sorted({r.group for r in state.runs.values()})
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
                                          for lbl in (*LABELS, "healthy")]), md=3),
            dbc.Col(dcc.Dropdown(id=ids.RUNS_GROUPS, multi=True, placeholder="Group…",
                                 options=[{"label": g, "value": g} for g in groups]), md=2),
            dbc.Col(html.Div([
                dbc.Button("Compare selected", id=ids.RUNS_COMPARE_BTN, href="/compare",
                           color="primary", size="sm", className="me-2"),
                dbc.Button("Clear", id=ids.RUNS_CLEAR_BTN, color="secondary", outline=True,
                           size="sm", className="me-2"),
                dbc.Button("Download CSV", id=ids.RUNS_DOWNLOAD_BTN, color="secondary",
                           outline=True, size="sm"),
                dcc.Download(id=ids.RUNS_DOWNLOAD),
            ], className="d-flex justify-content-md-end"), md=4),
        ], className="g-2 mb-2 align-items-center"),
        *root_problems(state),
        html.Div(id=ids.RUNS_FILTER_MSG, className="text-danger small mb-1", role="alert"),
        dag.AgGrid(
            id=ids.RUNS_GRID,
            columnDefs=COLUMNS,
            rowData=[],
            getRowId="params.data.id",
            defaultColDef={"sortable": True, "resizable": True, "filter": True},
            dashGridOptions={
                "rowSelection": {"mode": "multiRow", "checkboxes": True,
                                 "headerCheckbox": True, "enableClickSelection": False,
                                 "selectAll": "filtered"},
                "animateRows": False, "tooltipShowDelay": 300, "rowHeight": 36,
                "enableCellTextSelection": True, "ensureDomOrder": True,
            },
            eventListeners={"cellKeyDown": ["curvedocOpenRun(params)"]},
            columnSize="responsiveSizeToFit",
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
              groups: list[str] | None) -> tuple[list[dict], str, str]:
    """Grid rows after filtering, the filter error (or ""), and the summary line."""
    rows = run_rows(state)
    shown, message = filter_rows(rows, regex, labels, groups)
    diagnosed = sum(1 for r in rows if r["labels"] not in (["healthy"], ["pending"]))
    summary = (f"{len(shown)} of {len(rows)} runs shown · {diagnosed} with a diagnosis · "
               f"root {state.root}")
    if not rows:
        summary = (f"No runs found under {state.root}: point curvedoc at a folder of "
                   "TensorBoard event files or CSV / JSON training logs.")
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
                       layout=layout)

    # Rows and their ticks go to the grid together, so it never shows the rows
    # unticked first (and reports that as the user clearing the selection).
    @app.callback(Output(ids.RUNS_GRID, "rowData"), Output(ids.RUNS_GRID, "selectedRows"),
                  Output(ids.RUNS_FILTER_MSG, "children"), Output(ids.RUNS_SUMMARY, "children"),
                  Input(ids.RUNS_NAME_REGEX, "value"), Input(ids.RUNS_LABELS, "value"),
                  Input(ids.RUNS_GROUPS, "value"), Input(ids.VERSION, "data"),
                  State(ids.SELECTION, "data"))
    def _rows(regex, labels, groups, _version, stored):
        state = current_state()
        rows, message, summary = rows_view(state, regex, labels, groups)
        shown = {r["id"] for r in rows}
        ticked = {"ids": [rid for rid in state.known(stored) if rid in shown]}
        return rows, ticked, message, summary

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


def selection_download(state: Any, run_ids: list[str] | None) -> Any:
    """A dcc.Download payload with the scalars of the known runs among ``run_ids`` as CSV."""
    known = state.known(run_ids)
    if not known:
        return dash.no_update
    frame = csv_safe(scalars_of(state.run(r) for r in known))
    return dcc.send_data_frame(frame.to_csv, "curvedoc_scalars.csv", index=False)
