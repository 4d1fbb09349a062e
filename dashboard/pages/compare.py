"""Compare page: the selected runs overlaid, every tag in a grid by prefix, small multiples.

Each run keeps its session colour and unambiguous short name (full id in tooltips) and
shows its diagnosis badges. Debiased EMA smoothing (as TensorBoard) is computed on the
full data, with the raw curve drawn faintly; x by step, epoch or relative time; log-y.
Below the chosen metric, every tag the runs logged is drawn, one chart per tag in
sections by tag prefix (TensorBoard's scalars dashboard), filtered by a regex. The URL
carries the choices (``/compare?runs=a&runs=b&metric=val_loss``) so a comparison can be
shared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import (
    Look,
    by_prefix,
    compare_curves,
    compare_figure,
    esc,
    small_multiples,
)
from curvedoc.dashboard.components import (
    diagnosis_badges,
    empty_figure,
    run_chip,
    selection_download,
    smoothing_slider,
    x_axis_choice,
)
from curvedoc.dashboard.names import natural_key, plural
from curvedoc.dashboard.runstyle import run_style
from curvedoc.dashboard.safe_regex import BadPattern, searcher
from curvedoc.ingest.model import ROLES

#: At most this many tag charts at once (the filter narrows them down).
MAX_TAG_CHARTS = 24


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def run_options(state: Any) -> list[dict[str, str]]:
    """Dropdown options: each run's short name, its full id as the tooltip."""
    style = run_style(state)
    return [{"label": style.name(rid), "value": rid, "title": rid}
            for rid in sorted(state.runs, key=natural_key)]


def layout(runs: Any = None, metric: str | None = None, x: str = "step", smooth: Any = 0.6,
           logy: Any = "0", tags: str = "", **_query: Any) -> html.Div:
    state = current_state()
    chosen = state.known(_as_list(runs))
    return html.Div([
        dcc.Store(id=ids.CMP_INIT, data={"runs": chosen, "metric": metric}),
        html.H1("Compare runs", className="h4"),
        dbc.Row([
            dbc.Col([dbc.Label("Runs", html_for=ids.CMP_RUNS),
                     dcc.Dropdown(id=ids.CMP_RUNS, multi=True, value=chosen,
                                  options=run_options(state),
                                  placeholder="Pick runs to compare…")], lg=5),
            dbc.Col([dbc.Label("Metric", html_for=ids.CMP_METRIC),
                     dcc.Dropdown(id=ids.CMP_METRIC, value=metric, clearable=False)], lg=2),
            dbc.Col([dbc.Label("x axis"),
                     x_axis_choice(ids.CMP_X, x)], lg=2),
            dbc.Col([dbc.Label("Smoothing", html_for=ids.CMP_SMOOTH),
                     smoothing_slider(ids.CMP_SMOOTH, smooth, 0.6)], lg=2),
            dbc.Col([dbc.Label("y axis"),
                     dbc.Checklist(id=ids.CMP_LOGY, switch=True,
                                   options=[{"label": "log", "value": "log"}],
                                   value=["log"] if str(logy) in ("1", "true", "log") else [])],
                    lg=1),
        ], className="g-2 mb-2"),
        html.Div(id=ids.CMP_BADGES, className="mb-2 d-flex flex-wrap gap-1 cd-compare-runs"),
        html.Div([
            html.Span(id=ids.CMP_NOTE, className="small text-muted me-3"),
            dbc.Button("Download CSV", id=ids.CMP_DOWNLOAD_BTN, size="sm", outline=True,
                       color="secondary"),
            dcc.Download(id=ids.CMP_DOWNLOAD),
            dcc.Store(id=ids.CMP_SHARE),
            dcc.Store(id=ids.CMP_URL_SINK),
        ], className="mb-2 d-flex align-items-center"),
        dcc.Loading(dcc.Graph(id=ids.CMP_OVERLAY, config={"displaylogo": False}), type="dot"),
        html.Div([
            html.H2("All tags", className="h5 mb-0 me-3"),
            dbc.Label("Filter tags by regular expression", html_for=ids.CMP_TAG_FILTER,
                      className="visually-hidden"),
            dbc.Input(id=ids.CMP_TAG_FILTER, type="search", debounce=0.3, value=tags or "",
                      placeholder="Filter tags (regex)…", size="sm",
                      style={"maxWidth": "22rem"}),
        ], className="d-flex align-items-center mt-3 mb-2"),
        html.Div(id=ids.CMP_TAG_GRID),
        html.H2("Small multiples", className="h5 mt-3"),
        dcc.Graph(id=ids.CMP_MULTIPLES, config={"displaylogo": False}),
    ])


def metric_options(state: Any, run_ids: list[str]) -> list[dict[str, str]]:
    """Roles first (as they mean the same across runs), then every tag, over the runs."""
    runs = [state.run(r) for r in state.known(run_ids)]
    roles = [r for r in ROLES if any(r in run.roles for run in runs)]
    tags = sorted({str(t) for run in runs for t in run.scalars["tag"].unique()}, key=natural_key)
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


def looks_of(state: Any, run_ids: list[str]) -> dict[str, Look]:
    style = run_style(state)
    return {rid: Look(style.name(rid), rid, style.color(rid)) for rid in run_ids}


def run_badges(state: Any, run_ids: list[str] | None) -> list[Any]:
    """Each selected run: swatch, short name (full id on hover), diagnosis badges."""
    style = run_style(state)
    out = []
    for rid in state.known(run_ids):
        out.append(html.Span([run_chip(style.name(rid), rid, style.color(rid)),
                              *diagnosis_badges(state.diagnoses.get(rid),
                                                pending=rid in getattr(state, "pending", ()))],
                             className="cd-compare-run border rounded px-2 py-1 me-1"))
    return out


def compare_view(state: Any, run_ids: list[str] | None, metric: str | None, x_mode: str,
                 smoothing: float, log_y: bool, tags: str = "") -> tuple[Any, Any, str, str]:
    """Overlay figure, small multiples, a note, and the shareable query string."""
    known = state.known(run_ids)
    runs = [state.run(r) for r in known]
    params = {"runs": known, "metric": metric or "", "x": x_mode,
              "smooth": f"{smoothing:g}", "logy": int(bool(log_y))}
    if tags:
        params["tags"] = tags
    query = "?" + urlencode(params, doseq=True)
    if not runs or not metric:
        return (empty_figure("Pick runs and a metric to compare."), {"layout": {"height": 10}},
                "No runs selected.", query)
    looks = looks_of(state, known)
    data = compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing,
                          series_of=lambda run, m: state.series(run.id, m))
    overlay = compare_figure(runs, metric, log_y=log_y, data=data, looks=looks,
                             title=f"{esc(metric)}: {plural(len(runs), 'run')} overlaid")
    multiples = small_multiples(runs, metric, log_y=log_y, data=data, looks=looks)
    missing = [looks[r.id].name for r in runs if data["curves"].get(r.id) is None]
    note = f"{plural(len(runs), 'run')} · smoothing {smoothing:g} (raw shown faintly)"
    if missing:
        note += f" · no {metric} in: {', '.join(missing)}"
    if data["fallback"]:
        note += (f" · no epoch/time data in {plural(len(data['fallback']), 'run')}: "
                 "drawn by step")
    return overlay, multiples, note, query


def tag_grid(state: Any, run_ids: list[str] | None, pattern: str | None, x_mode: str,
             smoothing: float, log_y: bool) -> list[Any]:
    """Every tag of the selected runs, one overlay chart per tag, in sections by prefix;
    ``pattern`` (a regex, case-insensitive) keeps the tags it finds."""
    known = state.known(run_ids)
    if not known:
        return []
    runs = [state.run(r) for r in known]
    tags = sorted({str(t) for run in runs for t in run.scalars["tag"].unique()}, key=natural_key)
    message = None
    if pattern:
        try:
            found = searcher(pattern)  # linear time: a crafted pattern cannot hang the server
        except BadPattern as exc:
            message = f"Not a valid tag filter ({exc.reason}); showing every tag."
        else:
            tags = [t for t in tags if found(t)]
    out: list[Any] = []
    if message:
        out.append(html.Div(message, className="text-danger small", role="alert"))
    if not tags:
        return [*out, html.P("No tag matches the filter.", className="text-muted small")]
    shown = tags[:MAX_TAG_CHARTS]
    looks = looks_of(state, known)
    for prefix, group in by_prefix(shown).items():
        charts = []
        for tag in group:
            data = compare_curves(runs, tag, x_mode=x_mode, smoothing=smoothing,
                                  series_of=lambda run, m: state.series(run.id, m), n_out=1000)
            fig = compare_figure(runs, tag, log_y=log_y, data=data, looks=looks,
                                 title=esc(tag), height=280, showlegend=False)
            charts.append(dcc.Graph(figure=fig, config={"displaylogo": False},
                                    className="cd-tag-chart"))
        name = f"{prefix}/" if prefix else "other tags"
        out.append(html.Details([html.Summary(f"{name} ({len(group)})"),
                                 html.Div(charts, className="cd-tag-grid")],
                                open=True, className="cd-tag-section"))
    if len(tags) > len(shown):
        out.append(html.P(f"Showing {len(shown)} of {len(tags)} tags; filter to see the others.",
                          className="text-muted small"))
    return out


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/compare", name="Compare", title="curvedoc · compare",
                       order=2, layout=layout, nav=True)

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

    @app.callback(Output(ids.CMP_BADGES, "children"), Input(ids.CMP_RUNS, "value"),
                  Input(ids.VERSION, "data"))
    def _badges(run_ids, _version):
        return run_badges(current_state(), run_ids)

    @app.callback(Output(ids.CMP_OVERLAY, "figure"), Output(ids.CMP_MULTIPLES, "figure"),
                  Output(ids.CMP_NOTE, "children"), Output(ids.CMP_SHARE, "data"),
                  Input(ids.CMP_RUNS, "value"), Input(ids.CMP_METRIC, "value"),
                  Input(ids.CMP_X, "value"), Input(ids.CMP_SMOOTH, "value"),
                  Input(ids.CMP_LOGY, "value"), Input(ids.CMP_TAG_FILTER, "value"),
                  Input(ids.VERSION, "data"))
    def _figures(run_ids, metric, x_mode, smoothing, logy, tags, _version):
        return compare_view(current_state(), run_ids, metric, x_mode or "step",
                            float(smoothing or 0.0), "log" in (logy or []), tags or "")

    @app.callback(Output(ids.CMP_TAG_GRID, "children"),
                  Input(ids.CMP_RUNS, "value"), Input(ids.CMP_TAG_FILTER, "value"),
                  Input(ids.CMP_X, "value"), Input(ids.CMP_SMOOTH, "value"),
                  Input(ids.CMP_LOGY, "value"), Input(ids.VERSION, "data"))
    def _tags(run_ids, pattern, x_mode, smoothing, logy, _version):
        return tag_grid(current_state(), run_ids, pattern, x_mode or "step",
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
