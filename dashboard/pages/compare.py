"""Compare page: the selected runs overlaid and as small multiples.

Debiased EMA smoothing (as TensorBoard) is computed on the full data, with the
raw curve drawn faintly; x by step, epoch or relative time; log-y; a metric
picker. The URL carries the choices (``/compare?runs=a&runs=b&metric=val_loss``)
so a comparison can be shared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import X_MODES, compare_curves, compare_figure, small_multiples
from curvedoc.dashboard.pages.runs import selection_download
from curvedoc.ingest.model import ROLES


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _float(value: Any, default: float, lo: float, hi: float) -> float:
    try:
        return min(max(float(value), lo), hi)
    except (TypeError, ValueError):
        return default


def layout(runs: Any = None, metric: str | None = None, x: str = "step", smooth: Any = 0.6,
           logy: Any = "0", **_query: Any) -> html.Div:
    state = current_state()
    chosen = state.known(_as_list(runs))
    return html.Div([
        dcc.Store(id=ids.CMP_INIT, data={"runs": chosen, "metric": metric}),
        html.H1("Compare runs", className="h4"),
        dbc.Row([
            dbc.Col([dbc.Label("Runs", html_for=ids.CMP_RUNS),
                     dcc.Dropdown(id=ids.CMP_RUNS, multi=True, value=chosen,
                                  options=[{"label": r.name + ("" if r.name == rid
                                                               else f" ({rid})"), "value": rid}
                                           for rid, r in state.runs.items()],
                                  placeholder="Pick runs to compare…")], lg=5),
            dbc.Col([dbc.Label("Metric", html_for=ids.CMP_METRIC),
                     dcc.Dropdown(id=ids.CMP_METRIC, value=metric, clearable=False)], lg=2),
            dbc.Col([dbc.Label("x axis"),
                     dbc.RadioItems(id=ids.CMP_X, value=x if x in X_MODES else "step",
                                    inline=True,
                                    options=[{"label": v, "value": k}
                                             for k, v in X_MODES.items()])], lg=2),
            dbc.Col([dbc.Label("Smoothing", html_for=ids.CMP_SMOOTH),
                     dcc.Slider(id=ids.CMP_SMOOTH, min=0, max=0.99, step=0.01,
                                value=_float(smooth, 0.6, 0.0, 0.99),
                                marks={0: "0", 0.6: "0.6", 0.9: "0.9"},
                                tooltip={"placement": "bottom"})], lg=2),
            dbc.Col([dbc.Label("y axis"),
                     dbc.Checklist(id=ids.CMP_LOGY, switch=True,
                                   options=[{"label": "log", "value": "log"}],
                                   value=["log"] if str(logy) in ("1", "true", "log") else [])],
                    lg=1),
        ], className="g-2 mb-2"),
        html.Div([
            html.Span(id=ids.CMP_NOTE, className="small text-muted me-3"),
            dbc.Button("Download CSV", id=ids.CMP_DOWNLOAD_BTN, size="sm", outline=True,
                       color="secondary"),
            dcc.Download(id=ids.CMP_DOWNLOAD),
            dcc.Store(id=ids.CMP_SHARE),
            dcc.Store(id=ids.CMP_URL_SINK),
        ], className="mb-2 d-flex align-items-center"),
        dcc.Loading(dcc.Graph(id=ids.CMP_OVERLAY, config={"displaylogo": False}), type="dot"),
        html.H2("Small multiples", className="h6 mt-3"),
        dcc.Graph(id=ids.CMP_MULTIPLES, config={"displaylogo": False}),
    ])


def metric_options(state: Any, run_ids: list[str]) -> list[dict[str, str]]:
    """Roles first (as they mean the same across runs), then every tag, over the runs."""
    runs = [state.run(r) for r in state.known(run_ids)]
    roles = [r for r in ROLES if any(r in run.roles for run in runs)]
    tags = sorted({str(t) for run in runs for t in run.scalars["tag"].unique()})
    return ([{"label": f"{r} (role)", "value": r} for r in roles]
            + [{"label": t, "value": t} for t in tags if t not in roles])


def default_metric(options: list[dict[str, str]], current: str | None) -> str | None:
    values = [o["value"] for o in options]
    if current in values:
        return current
    for pick in ("val_loss", "train_loss", "val_acc"):
        if pick in values:
            return pick
    return values[0] if values else None


def compare_view(state: Any, run_ids: list[str] | None, metric: str | None, x_mode: str,
                 smoothing: float, log_y: bool) -> tuple[Any, Any, str, str]:
    """Overlay figure, small multiples, a note, and the shareable query string."""
    known = state.known(run_ids)
    runs = [state.run(r) for r in known]
    query = "?" + urlencode({"runs": known, "metric": metric or "", "x": x_mode,
                             "smooth": f"{smoothing:g}", "logy": int(bool(log_y))}, doseq=True)
    if not runs or not metric:
        empty = {"layout": {"height": 120, "xaxis": {"visible": False},
                            "yaxis": {"visible": False},
                            "annotations": [{"text": "Pick runs and a metric to compare.",
                                             "showarrow": False}]}}
        return empty, {"layout": {"height": 10}}, "No runs selected.", query
    data = compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing,
                          series_of=lambda run, m: state.series(run.id, m))
    overlay = compare_figure(runs, metric, log_y=log_y, data=data)
    multiples = small_multiples(runs, metric, log_y=log_y, data=data)
    missing = [r.name for r in runs if data["curves"].get(r.id) is None]
    note = f"{len(runs)} runs · smoothing {smoothing:g} (raw shown faintly)"
    if missing:
        note += f" · no {metric} in: {', '.join(missing)}"
    if data["fallback"]:
        note += f" · no epoch/time data in {len(data['fallback'])} runs: drawn by step"
    return overlay, multiples, note, query


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/compare", name="Compare", title="curvedoc · compare",
                       order=2,
                       layout=layout)

    @app.callback(Output(ids.CMP_RUNS, "value"), Input(ids.CMP_INIT, "data"),
                  State(ids.SELECTION, "data"))
    def _init(from_url, stored):
        state = current_state()
        return state.known((from_url or {}).get("runs")) or state.known(stored)

    @app.callback(Output(ids.CMP_METRIC, "options"), Output(ids.CMP_METRIC, "value"),
                  Input(ids.CMP_RUNS, "value"), State(ids.CMP_METRIC, "value"),
                  State(ids.CMP_INIT, "data"))
    def _metrics(run_ids, current, from_url):
        # The dropdown may drop the URL's metric before its options arrive: fall back to it.
        opts = metric_options(current_state(), run_ids or [])
        return opts, default_metric(opts, current or (from_url or {}).get("metric"))

    @app.callback(Output(ids.SELECTION, "data", allow_duplicate=True),
                  Input(ids.CMP_RUNS, "value"), prevent_initial_call=True)
    def _keep_selection(run_ids):
        return current_state().known(run_ids)

    @app.callback(Output(ids.CMP_OVERLAY, "figure"), Output(ids.CMP_MULTIPLES, "figure"),
                  Output(ids.CMP_NOTE, "children"), Output(ids.CMP_SHARE, "data"),
                  Input(ids.CMP_RUNS, "value"), Input(ids.CMP_METRIC, "value"),
                  Input(ids.CMP_X, "value"), Input(ids.CMP_SMOOTH, "value"),
                  Input(ids.CMP_LOGY, "value"), Input(ids.VERSION, "data"))
    def _figures(run_ids, metric, x_mode, smoothing, logy, _version):
        return compare_view(current_state(), run_ids, metric, x_mode or "step",
                            float(smoothing or 0.0), "log" in (logy or []))

    # The URL carries the comparison: rewrite it in place (no navigation, no reload).
    app.clientside_callback(
        """function(query) {
            if (query && window.location.pathname.endsWith('/compare')
                && window.location.search !== query) {
                window.history.replaceState(null, '', window.location.pathname + query);
            }
            return window.dash_clientside.no_update;
        }""",
        Output(ids.CMP_URL_SINK, "data"), Input(ids.CMP_SHARE, "data"),
    )

    @app.callback(Output(ids.CMP_DOWNLOAD, "data"), Input(ids.CMP_DOWNLOAD_BTN, "n_clicks"),
                  State(ids.CMP_RUNS, "value"), prevent_initial_call=True)
    def _download(n, run_ids):
        if not n:  # mounted, not clicked
            return dash.no_update
        return selection_download(current_state(), run_ids)
