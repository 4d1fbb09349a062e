"""Groups page: runs grouped by folder level or by a hyper-parameter, within a scope.

The runs of one folder (the scope) are grouped, so a hyper-parameter never groups
unrelated runs (other data sets, models) together; grouping by a hyper-parameter starts
in the folder whose runs share every other one. Each group's mean curve (cut where its
shortest run ends) with a ±std (log-space on a log axis) or min–max band; runs logged
per step and per epoch get separate charts. Then the label counts per group ("4 of 6
lr_too_high"); each group compared with a baseline group the user picks (what differs,
whether the change beat the seed noise: :mod:`curvedoc.diagnostics.compare_groups`); and
a sweep chart of the best validation metric against a hyper-parameter with the next,
finer search range (runs whose metric diverged left out, and said so). The URL carries
the choices.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
from dash import Input, Output, State, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import (
    comparison_figure,
    group_figure,
    positive_span,
    sweep_figure,
)
from curvedoc.dashboard.components import badge, verdict_badge
from curvedoc.dashboard.grouping import (
    aggregate_curves,
    ancestor_folders,
    axis_kind,
    best_score,
    comparison_groups,
    default_baseline,
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
from curvedoc.diagnostics.compare_groups import (
    SHOWN_DIFFS,
    BaselineReport,
    Comparison,
    KnownScore,
    RunScore,
    compare_with_baseline,
    decimals,
    excluded_sentence,
    num,
    num_range,
    p_text,
)
from curvedoc.ingest.model import ROLES


def layout(by: str | None = None, scope: str | None = None, baseline: str | None = None,
           **_query: Any) -> html.Div:
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
    names = list(group_runs(runs_under(runs, scope), by))
    baseline = baseline if baseline in names else default_baseline(names)
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
        html.H2("Compare with a baseline", className="h5 mt-3"),
        html.P("Each group against the baseline: the hyper-parameters that differ, each "
               "run's validation metric, and whether the change beat the seed-to-seed "
               "spread (Welch's t-test; Mann-Whitney beside it).",
               className="small text-muted mb-1"),
        dbc.Row([
            dbc.Col([dbc.Label("Baseline group", html_for=ids.GRP_BASELINE),
                     dcc.Dropdown(id=ids.GRP_BASELINE, clearable=False, value=baseline,
                                  options=[{"label": n, "value": n} for n in names])], md=4),
            dbc.Col([dbc.Label("Score each run by"),
                     dbc.RadioItems(id=ids.GRP_COMPARE_ON, inline=True, value="best",
                                    options=[{"label": "best value", "value": "best"},
                                             {"label": "last value", "value": "last"}])],
                    md=3),
        ], className="g-2 mb-2"),
        dcc.Loading(html.Div(id=ids.GRP_COMPARE), type="dot"),
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
    return " · ".join(f"{k} of {plural(n, 'run')} {label}" for label, k in parts)


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
                                if counts else (f"all {plural(len(members), 'run')} look healthy"
                                                if len(members) > 1 else "the run looks healthy")))
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


def baseline_choice(state: Any, by: str, scope: str | None,
                    current: str | None) -> tuple[list[dict[str, str]], str | None]:
    """The groups a baseline can be picked from, and the one picked (kept while it
    exists)."""
    names = list(group_runs(runs_under(list(state.runs.values()), scope), by or "folder"))
    value = current if current in names else default_baseline(names)
    return [{"label": n, "value": n} for n in names], value


def comparison_report(state: Any, by: str, scope: str | None, baseline: str | None,
                      statistic: str = "best") -> BaselineReport | None:
    """Every group beside ``baseline`` (in ``scope``, grouped ``by``) against it."""
    members = runs_under(list(state.runs.values()), scope)
    try:
        groups = comparison_groups(members, baseline or "", by or "folder")
    except KeyError:
        return None
    # a run known from its summary (serve --cluster) is scored by it, never read for it
    known = {r.id: KnownScore(r.summary.metric, r.summary.best, r.summary.last)
             for rs in groups.values() for r in rs if getattr(r, "summary", None) is not None}
    return compare_with_baseline(groups, baseline or "", state.diagnoses,
                                 statistic="last" if statistic == "last" else "best",
                                 known=known)


def _cell(x: float | None, d: int) -> str:
    return "–" if x is None else num(x, d)


def _p_cell(t: Any) -> str:
    if t is None or t.welch_p is None:
        return "–"
    return f"{p_text(t.welch_p)} / {p_text(t.mw_p)}".replace("p=", "").replace("p<", "<")


def _compare_row(c: Comparison | None, report: BaselineReport, d: int) -> html.Tr:
    g = report.baseline if c is None else c.group
    s = g.spread
    mean = "–" if s.mean is None else num(s.mean, d) + (
        f" ± {s.sd:.2g}" if s.sd is not None else "")  # the sd to 2 digits, however small
    if c is None:
        differ: Any = html.Span("the yardstick", className="text-muted")
        cells = ["", "", ""]
        verdict = verdict_badge("baseline")
    else:
        shown = [f"{x.key} {x.baseline} → {x.other}" for x in c.differ[:SHOWN_DIFFS]]
        more = len(c.differ) - SHOWN_DIFFS
        differ = ("; ".join(shown) + (f"; and {more} more" if more > 0 else "")
                  or "nothing (seeds aside)")
        ci = ("" if c.improvement_low is None
              else f" ({num_range(c.improvement_low, c.improvement_high or 0, d)})")
        cells = [_cell(c.improvement, d) + ci, _p_cell(c.test), _cell(c.effect_size, 2)]
        verdict = verdict_badge(c.verdict)
    same = "equal: " + ", ".join(c.equal) if c is not None and c.equal else None
    return html.Tr([html.Td(g.name, className="cd-group-name"),
                    html.Td(differ, className="small", title=same),
                    html.Td(s.n), html.Td(mean, className="cd-num"),
                    *(html.Td(x, className="cd-num") for x in cells), html.Td(verdict)])


def compare_view(state: Any, by: str, scope: str | None, baseline: str | None,
                 statistic: str = "best") -> list[Any]:
    """The comparison section: the baseline's seed noise, a table of every group against
    it, each comparison in words (with its warnings), and the chart of the runs' scores."""
    report = comparison_report(state, by, scope, baseline, statistic)
    if report is None:
        return [html.Span("Pick a baseline group to compare the others with.",
                          className="text-muted")]
    if not report.comparisons:
        return [html.Span(f"No other group beside {report.baseline.name} to compare with.",
                          className="text-muted")]
    metric = report.metric or "metric"
    head = html.Thead(html.Tr([html.Th(h) for h in (
        "Group", "What differs", "Seeds", f"{report.statistic} {metric} (mean ± sd)",
        "Better by (95% CI)", "p: Welch / Mann-Whitney", "Cohen's d", "Verdict")]))
    d = decimals(report.baseline.spread.sd, None)
    rows = [_compare_row(None, report, d)] + [_compare_row(c, report, d)
                                              for c in report.comparisons]
    table = dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, responsive=True,
                      className="cd-compare mb-2")
    said = []
    for c in report.comparisons:
        said.append(html.Li([verdict_badge(c.verdict), html.Span(c.sentence),
                             *(html.Div(f"⚠ {w}", className="small text-warning-emphasis")
                               for w in c.warnings)], className="mb-1 cd-compare-sentence"))
    common = set.intersection(*(set(c.equal) for c in report.comparisons))
    equal = html.P("Equal in every group (seeds aside): " + (", ".join(sorted(common))
                                                           or "nothing"),
                   className="small text-muted mb-1 cd-compare-equal")
    out: list[Any] = [html.P(report.seed_noise, className="small mb-1 cd-seed-noise"), table,
                      equal,
                      html.Ul(said, className="list-unstyled mb-2")]
    if report.excluded_sentence:
        out.append(dbc.Alert(report.excluded_sentence, color="warning",
                             className="py-1 small cd-compare-excluded"))
    out.append(dcc.Graph(figure=comparison_figure(report), config={"displaylogo": False},
                         className="cd-compare-chart"))
    return out


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
    usable = points[points["excluded"] == ""]
    suggestion = suggest_next_range(usable["value"], usable["score"], higher)
    log_x = bool(len(points)) and bool((points["value"] > 0).all())
    fig = sweep_figure(points, param, metric, suggestion, log_x=log_x)
    left_out = excluded_sentence([RunScore(r.id, None, r.excluded)
                                  for r in points.itertuples() if r.excluded],
                                 "of the suggestion")
    if suggestion is None:
        note = html.Span(f"Need two or more distinct values of {param} with a usable "
                         f"{metric}. {left_out}".strip(), className="text-muted")
    else:
        note = dbc.Alert([html.Strong("Next search: "), suggestion["sentence"],
                          *([html.Div(left_out, className="small mt-1", id=ids.GRP_SWEEP_LEFT)]
                            if left_out else [])],
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

    @app.callback(Output(ids.GRP_BASELINE, "options"), Output(ids.GRP_BASELINE, "value"),
                  Input(ids.GRP_BY, "value"), Input(ids.GRP_SCOPE, "value"),
                  Input(ids.VERSION, "data"), State(ids.GRP_BASELINE, "value"),
                  prevent_initial_call=True)
    def _baselines(by, scope, _version, current):
        return baseline_choice(current_state(), by or "folder", scope or "", current)

    @app.callback(Output(ids.GRP_COMPARE, "children"),
                  Input(ids.GRP_BASELINE, "value"), Input(ids.GRP_COMPARE_ON, "value"),
                  Input(ids.GRP_BY, "value"), Input(ids.GRP_SCOPE, "value"),
                  Input(ids.VERSION, "data"))
    def _compare(baseline, statistic, by, scope, _version):
        return compare_view(current_state(), by or "folder", scope or "", baseline,
                            statistic or "best")

    # The URL carries the grouping: rewrite it in place (no navigation, no reload).
    app.clientside_callback(
        """function(by, scope, baseline) {
            if (!window.location.pathname.endsWith('/groups')) {
                return window.dash_clientside.no_update;
            }
            const q = new URLSearchParams({by: by || 'folder'});
            if (scope) { q.set('scope', scope); }
            if (baseline) { q.set('baseline', baseline); }
            const want = '?' + q.toString();
            if (window.location.search !== want) {
                window.history.replaceState(null, '', window.location.pathname + want);
            }
            return window.dash_clientside.no_update;
        }""",
        Output(ids.GRP_URL_SINK, "data"), Input(ids.GRP_BY, "value"),
        Input(ids.GRP_SCOPE, "value"), Input(ids.GRP_BASELINE, "value"),
    )

    @app.callback(Output(ids.GRP_SWEEP_SCOPE, "value"), Input(ids.GRP_SWEEP_PARAM, "value"))
    def _scope(param):
        return sweep_folder(list(current_state().runs.values()), param) if param else ""

    @app.callback(Output(ids.GRP_SWEEP, "figure"), Output(ids.GRP_SWEEP_NOTE, "children"),
                  Input(ids.GRP_SWEEP_PARAM, "value"), Input(ids.GRP_METRIC, "value"),
                  Input(ids.GRP_SWEEP_SCOPE, "value"), Input(ids.VERSION, "data"))
    def _sweep(param, metric, folder, _version):
        return sweep_view(current_state(), param, metric, folder)
