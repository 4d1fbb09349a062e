"""Groups page: runs grouped by folder level or by a hyper-parameter, within a scope.

The runs of one folder (the scope) are grouped, so a hyper-parameter never groups
unrelated runs (other data sets, models) together; grouping by a hyper-parameter starts
in the folder whose runs share every other one. Each group's mean curve (cut where its
shortest run ends) with a ±std (log-space on a log axis) or min–max band; runs logged
per step and per epoch get separate charts. Then the label counts per group ("4 of 6
lr_too_high"), and a sweep chart of the best validation metric against a
hyper-parameter with the next, finer search range. The URL carries the choices.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
from dash import Input, Output, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import group_figure, positive_span, sweep_figure
from curvedoc.dashboard.components import badge
from curvedoc.dashboard.grouping import (
    aggregate_curves,
    ancestor_folders,
    axis_kind,
    best_score,
    group_options,
    group_runs,
    hparam_names,
    label_counts,
    runs_under,
    suggest_next_range,
    sweep_folder,
    sweep_points,
)
from curvedoc.dashboard.names import plural
from curvedoc.dashboard.tables import val_metric
from curvedoc.diagnostics import GroupSummary, summarize_groups
from curvedoc.ingest.model import ROLES


def layout(by: str | None = None, scope: str | None = None, **_query: Any) -> html.Div:
    state = current_state()
    runs = list(state.runs.values())
    options = group_options(runs)
    values = [o["value"] for o in options]
    by = by if by in values else "folder"
    roles = [r for r in ROLES if any(r in run.roles for run in runs)]
    metric = next((m for m in ("val_loss", "val_acc", "train_loss") if m in roles),
                  roles[0] if roles else None)
    sweep_params = hparam_names(runs, numeric_only=True)
    folders = [{"label": "all runs", "value": ""}] + [
        {"label": f, "value": f} for f in ancestor_folders(runs)]
    folder_values = [f["value"] for f in folders]
    scope = scope if scope in folder_values else default_scope(runs, by)
    return html.Div([
        dcc.Store(id=ids.GRP_URL_SINK),
        html.H1("Groups", className="h4"),
        dbc.Row([
            dbc.Col([dbc.Label("Group by", html_for=ids.GRP_BY),
                     dcc.Dropdown(id=ids.GRP_BY, options=options, clearable=False,
                                  value=by)], md=3),
            dbc.Col([dbc.Label("Runs of", html_for=ids.GRP_SCOPE),
                     dcc.Dropdown(id=ids.GRP_SCOPE, clearable=False, options=folders,
                                  value=scope)], md=3),
            dbc.Col([dbc.Label("Metric", html_for=ids.GRP_METRIC),
                     dcc.Dropdown(id=ids.GRP_METRIC, clearable=False, value=metric,
                                  options=[{"label": r, "value": r} for r in roles])], md=2),
            dbc.Col([dbc.Label("Band"),
                     dbc.RadioItems(id=ids.GRP_BAND, inline=True, value="std",
                                    options=[{"label": "± std", "value": "std"},
                                             {"label": "min–max", "value": "minmax"}])], md=2),
            dbc.Col([dbc.Label("y axis"),
                     dbc.Checklist(id=ids.GRP_LOGY, switch=True, value=["auto"],
                                   options=[{"label": "log when it spans decades",
                                             "value": "auto"}])], md=2),
        ], className="g-2 mb-2"),
        html.Div(id=ids.GRP_NOTE, className="small text-muted mb-1"),
        dcc.Loading(html.Div(id=ids.GRP_CURVES), type="dot"),
        html.Div(id=ids.GRP_TABLE, className="mt-2"),
        html.H2("Hyper-parameter sweep", className="h5 mt-3"),
        dbc.Row([
            dbc.Col([dbc.Label("Hyper-parameter", html_for=ids.GRP_SWEEP_PARAM),
                     dcc.Dropdown(id=ids.GRP_SWEEP_PARAM, clearable=False,
                                  options=[{"label": p, "value": p} for p in sweep_params],
                                  value=_default_param(sweep_params),
                                  placeholder="No numeric hyper-parameter logged")], md=3),
            dbc.Col([dbc.Label("Runs of the sweep", html_for=ids.GRP_SWEEP_SCOPE),
                     dcc.Dropdown(id=ids.GRP_SWEEP_SCOPE, clearable=False, options=folders,
                                  value="")], md=3),
            dbc.Col(html.Div(id=ids.GRP_SWEEP_NOTE, className="mt-4"), md=6),
        ], className="g-2 mb-2"),
        dcc.Graph(id=ids.GRP_SWEEP, config={"displaylogo": False}),
    ])


def default_scope(runs: list, by: str) -> str:
    """Where grouping starts: for a hyper-parameter, the folder whose runs share every
    other one (its sweep); else all runs."""
    if by.startswith("hparam:"):
        return sweep_folder(runs, by.split(":", 1)[1])
    return ""


def _default_param(params: list[str]) -> str | None:
    for name in params:
        if name.lower() in ("lr", "learning_rate", "lr0"):
            return name
    return params[0] if params else None


def group_sentence(counts: dict[str, int], n: int) -> str:
    """'4 of 6 runs lr_too_high · 2 of 6 runs healthy' (most frequent first)."""
    parts = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return " · ".join(f"{k} of {n} runs {label}" for label, k in parts)


def summarize(state: Any, by: str, runs: list | None = None) -> list[GroupSummary]:
    """Groups of ``runs`` (default all) with label counts and a sentence: diagnostics'
    summary for folder / hparam, folder levels grouped here."""
    runs = list(state.runs.values()) if runs is None else runs
    if by == "folder":
        return summarize_groups(runs, state.diagnoses, by=None)
    if by.startswith("hparam:"):
        return summarize_groups(runs, state.diagnoses, by=by.split(":", 1)[1])
    out = []
    for name, members in group_runs(runs, by).items():
        counts = {k: v for k, v in label_counts(members, state.diagnoses).items()
                  if k != "healthy"}
        out.append(GroupSummary(name, members, counts, group_sentence(counts, len(members))
                                if counts else f"all {len(members)} runs look healthy"))
    return out


def groups_view(state: Any, by: str, metric: str | None, band: str,
                auto_log: bool = True, scope: str | None = "") -> tuple[list, Any, str]:
    """Group curve figures (one per x axis kind: step, epoch), the table of groups with
    their label counts, and a sentence saying what is grouped."""
    runs = state.runs
    by = by or "folder"
    members = runs_under(list(runs.values()), scope)
    groups = summarize(state, by, members)
    kinds: dict[str, dict[str, list]] = {}
    for g in groups:
        for rid in g.run_ids:
            kind = axis_kind(runs[rid], metric) if metric else "step"
            kinds.setdefault(kind, {}).setdefault(g.name, []).append(runs[rid])
    figures = []
    for kind in sorted(kinds if metric else [], key=lambda k: k != "step"):
        by_group = kinds[kind]
        raw = {name: aggregate_curves(rs, metric, cut=False) for name, rs in by_group.items()}
        means = [b["mean"].to_numpy() for b in raw.values() if len(b)]
        log_y = auto_log and bool(means) and positive_span(np.concatenate(means)) > 100
        bands = {name: aggregate_curves(rs, metric, log=log_y) for name, rs in by_group.items()}
        title = (f"{metric}: group mean with "
                 f"{'min–max' if band == 'minmax' else '±1 std'} band, by {kind}"
                 + (" (runs logged per epoch)" if kind == "epoch" else ""))
        figures.append(group_figure(bands, metric or "", band or "std", log_y=log_y,
                                    x_title=kind, title=title))
    rows = []
    for g in groups:
        rows.append(html.Tr([
            html.Td(g.name, className="cd-group-name"),
            html.Td(len(g.run_ids)),
            html.Td([badge(f"{lbl} {k}/{len(g.run_ids)}", lbl)
                     for lbl, k in g.label_counts.items()] or badge("healthy")),
            html.Td(g.sentence, className="small"),
        ]))
    table = dbc.Table([html.Thead(html.Tr([html.Th("Group"), html.Th("Runs"),
                                           html.Th("Labels"), html.Th("Summary")])),
                       html.Tbody(rows)], size="sm", hover=True, responsive=True,
                      className="cd-groups")
    what = {"folder": "by the folder that holds each run"}.get(by, "")
    if by.startswith("hparam:"):
        what = f"by the value of {by.split(':', 1)[1]}"
    elif by.startswith("folder:"):
        what = f"by folder level {by.split(':', 1)[1]}"
    where = f"under {scope}/" if scope else "in the whole folder"
    note = (f"{plural(len(members), 'run')} {where}, grouped {what}: "
            f"{plural(len(groups), 'group')}. Each mean stops where the group's shortest "
            "run ends; hover a curve for how many runs it averages.")
    if len(kinds) > 1:
        note += " Runs logged per epoch and per step are drawn on separate charts."
    return figures, table, note


def sweep_view(state: Any, param: str | None, metric: str | None,
               folder: str | None = "") -> tuple[Any, Any]:
    """Sweep figure over the runs in ``folder`` and the next, finer search range."""
    runs = runs_under(list(state.runs.values()), folder)
    if not param or not metric:
        return ({"layout": {"height": 80, "xaxis": {"visible": False},
                            "yaxis": {"visible": False}}},
                html.Span("Log a numeric hyper-parameter (e.g. lr) for two or more runs to "
                          "see a sweep.", className="text-muted"))
    if metric not in ("val_loss", "val_acc"):
        metric = next((val_metric(r)[0] for r in runs if val_metric(r)[0]), metric)
    points = sweep_points(runs, state.diagnoses, param, metric)
    higher = best_score(runs[0], metric)[1] if runs else False
    suggestion = suggest_next_range(points["value"], points["score"], higher)
    log_x = bool(len(points)) and bool((points["value"] > 0).all())
    fig = sweep_figure(points, param, metric, suggestion, log_x=log_x)
    if suggestion is None:
        note = html.Span(f"Need two or more distinct values of {param} with a {metric}.",
                         className="text-muted")
    else:
        note = dbc.Alert([html.Strong("Next search: "), suggestion["sentence"]],
                         color="success", className="py-2 mb-0")
    return fig, note


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/groups", name="Groups", title="curvedoc · groups",
                       order=3, layout=layout, nav=True)

    @app.callback(Output(ids.GRP_SCOPE, "value"), Input(ids.GRP_BY, "value"),
                  prevent_initial_call=True)
    def _group_scope(by):
        return default_scope(list(current_state().runs.values()), by or "folder")

    @app.callback(Output(ids.GRP_CURVES, "children"), Output(ids.GRP_TABLE, "children"),
                  Output(ids.GRP_NOTE, "children"),
                  Input(ids.GRP_BY, "value"), Input(ids.GRP_METRIC, "value"),
                  Input(ids.GRP_BAND, "value"), Input(ids.GRP_LOGY, "value"),
                  Input(ids.GRP_SCOPE, "value"), Input(ids.VERSION, "data"))
    def _groups(by, metric, band, logy, scope, _version):
        figures, table, note = groups_view(current_state(), by, metric, band,
                                           "auto" in (logy or []), scope or "")
        graphs = [dcc.Graph(figure=f, config={"displaylogo": False}, className="cd-group-chart")
                  for f in figures]
        return graphs, table, note

    # The URL carries the grouping: rewrite it in place (no navigation, no reload).
    app.clientside_callback(
        """function(by, scope) {
            if (!window.location.pathname.endsWith('/groups')) {
                return window.dash_clientside.no_update;
            }
            const q = new URLSearchParams({by: by || 'folder'});
            if (scope) { q.set('scope', scope); }
            const want = '?' + q.toString();
            if (window.location.search !== want) {
                window.history.replaceState(null, '', window.location.pathname + want);
            }
            return window.dash_clientside.no_update;
        }""",
        Output(ids.GRP_URL_SINK, "data"), Input(ids.GRP_BY, "value"),
        Input(ids.GRP_SCOPE, "value"),
    )

    @app.callback(Output(ids.GRP_SWEEP_SCOPE, "value"), Input(ids.GRP_SWEEP_PARAM, "value"))
    def _scope(param):
        return sweep_folder(list(current_state().runs.values()), param) if param else ""

    @app.callback(Output(ids.GRP_SWEEP, "figure"), Output(ids.GRP_SWEEP_NOTE, "children"),
                  Input(ids.GRP_SWEEP_PARAM, "value"), Input(ids.GRP_METRIC, "value"),
                  Input(ids.GRP_SWEEP_SCOPE, "value"), Input(ids.VERSION, "data"))
    def _sweep(param, metric, folder, _version):
        return sweep_view(current_state(), param, metric, folder)
