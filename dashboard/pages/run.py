"""Run page: every scalar the run logged, the evidence drawn on it, advice cards, hparams.

The role charts (loss, accuracy, LR, gradient norm) come first, then every other tag,
one chart per tag in sections by tag prefix. Smoothing and the x axis (step / epoch /
time) apply to every chart, and zooming one chart zooms them all. The run is named by
its id in the query (``/run?id=sweep/lr_0.1``); an id the server does not know shows
one message and a link back, never a file.
"""

from __future__ import annotations

import textwrap
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import run_figure, run_sections
from curvedoc.dashboard.colors import label_color
from curvedoc.dashboard.components import (
    SEVERITY_COLORS,
    X_MODES,
    badge,
    diagnosis_badges,
    possible_badge,
    query_float,
    smoothing_slider,
    swatch,
    x_axis_choice,
)
from curvedoc.dashboard.names import one_line
from curvedoc.dashboard.runstyle import run_style
from curvedoc.dashboard.state import UnknownRun
from curvedoc.dashboard.tables import run_row

#: At most this many charts on one run page (a run can log thousands of tags).
MAX_CHARTS = 60


def layout(id: str | None = None, smooth: Any = 0.0, x: str = "step",
           **_query: Any) -> html.Div:
    return html.Div([
        dcc.Store(id=ids.RUN_ID, data=id),
        dcc.Store(id=ids.RUN_ZOOM_SINK),
        html.Div(id=ids.RUN_HEADER),
        html.Div(id=ids.RUN_BODY, children=[
            dbc.Row([
                dbc.Col([dbc.Label("Smoothing", html_for=ids.RUN_SMOOTH),
                         smoothing_slider(ids.RUN_SMOOTH, smooth, 0.0)], md=4),
                dbc.Col([dbc.Label("x axis"), x_axis_choice(ids.RUN_X, x)], md=5),
            ], className="g-2 mb-1"),
            dbc.Row([
                dbc.Col(dcc.Loading(html.Div(id=ids.RUN_CHARTS), type="dot"), lg=8),
                dbc.Col([html.Div(id=ids.RUN_ADVICE), html.Div(id=ids.RUN_HPARAMS)], lg=4),
            ]),
        ]),
    ])


def rule_doc(code: str) -> str | None:
    """The rule's explanation from the diagnostics rule table (None if unknown)."""
    try:
        from curvedoc.diagnostics import RULES
    except ImportError:
        return None
    rule = RULES.get(code)
    return getattr(rule, "doc", None) if rule else None


def doc_blocks(doc: str) -> list[tuple[str | None, str]]:
    """A rule docstring as (heading, paragraph) pairs: the line breaks of the source
    joined, an indented block under a heading line ("What it detects") its text."""
    blocks: list[tuple[str | None, str]] = []
    for chunk in textwrap.dedent(doc).strip().split("\n\n"):
        lines = chunk.splitlines()
        if len(lines) > 1 and not lines[0].startswith(" ") and lines[1].startswith(" "):
            blocks.append((lines[0].strip().rstrip(":"), one_line(" ".join(lines[1:]))))
        else:
            blocks.append((None, one_line(chunk)))
    return blocks


def _doc_view(doc: str) -> list[Any]:
    out: list[Any] = []
    for heading, text in doc_blocks(doc):
        if heading:
            out.append(html.H3(heading))
        out.append(html.P(text))
    return out


def advice_card(finding: Any) -> dbc.Card:
    """One finding: label, severity, confidence, message, actions, the rule's explanation."""
    label = finding.label or finding.code
    doc = rule_doc(finding.code)
    body = [
        html.P(finding.message, className="mb-2"),
        html.Ul([html.Li(a) for a in finding.advice or []], className="mb-2 ps-3"),
    ]
    if doc:
        body.append(html.Details([html.Summary(f"Why: rule {finding.code}"),
                                  html.Div(_doc_view(doc), className="cd-doc small mt-2")]))
    possible = bool(getattr(finding, "possible", False))
    if finding.label:
        tag = possible_badge(finding.label) if possible else badge(label)
    else:
        tag = dbc.Badge(label, color="secondary", className="me-1")
    return dbc.Card([
        dbc.CardHeader([
            tag,
            dbc.Badge(finding.severity, color=SEVERITY_COLORS.get(finding.severity, "secondary"),
                      className="me-1"),
            html.Span(f"confidence {finding.confidence:.0%}", className="small text-muted"),
        ]),
        dbc.CardBody(body),
    ], className="mb-2 cd-finding" + (" cd-finding-possible" if possible else ""),
        style={"borderLeft": ("4px dashed " if possible else "4px solid ")
               + (label_color(finding.label) if finding.label else "#adb5bd")})


def ordered_findings(diagnosis: Any) -> list[Any]:
    """The top finding (the top label's) first, then the others as the rules found them."""
    if hasattr(diagnosis, "ordered"):
        return list(diagnosis.ordered())
    findings = list(getattr(diagnosis, "findings", []) or [])
    return sorted(findings, key=lambda f: (f.label is None, -f.confidence))


def _chart(run: Any, panel: Any, findings: list, index: int, smoothing: float,
           x_mode: str, height: int) -> dcc.Graph:
    fig = run_figure(run, panel.title, panel.tags, findings, first_panel=(index == 0),
                     smoothing=smoothing, x_mode=x_mode, is_lr=panel.is_lr, height=height)
    return dcc.Graph(id={"type": ids.RUN_GRAPH, "index": index}, figure=fig,
                     config={"displaylogo": False}, className="mb-2 cd-run-chart")


def run_charts(run: Any, findings: list, smoothing: float = 0.0,
               x_mode: str = "step") -> list[Any]:
    """The role charts, then a section per tag prefix with one chart per tag."""
    panels = run_sections(run)
    shown = panels[:MAX_CHARTS]
    out: list[Any] = []
    sections: dict[str, list[Any]] = {}
    for i, panel in enumerate(shown):
        if panel.role:
            out.append(_chart(run, panel, findings, i, smoothing, x_mode, 300))
        else:
            sections.setdefault(panel.section, []).append(
                _chart(run, panel, findings, i, smoothing, x_mode, 260))
    for name, charts in sections.items():
        out.append(html.Details([html.Summary(f"{name} ({len(charts)})"),
                                 html.Div(charts, className="cd-tag-grid")],
                                open=True, className="cd-tag-section"))
    if len(panels) > len(shown):
        out.append(dbc.Alert(f"Showing {len(shown)} of {len(panels)} charts; the compare "
                             "page's tag filter finds the others.", color="secondary"))
    return out


def run_view(state: Any, run_id: Any, smoothing: float = 0.0,
             x_mode: str = "step") -> tuple[Any, Any, Any, Any]:
    """Header, charts, advice and hparams of a run page (one message for an unknown id:
    the other three are None)."""
    try:
        run = state.run(run_id)
    except UnknownRun as exc:
        msg = dbc.Alert([html.H1("No such run", className="h5"),
                         html.P(f"This dashboard has no run with the id {str(exc.args[0])!r}; "
                                "it may have been moved or deleted."),
                         dcc.Link("Back to all runs", href="/", className="alert-link")],
                        color="warning", className="cd-unknown-run")
        return msg, None, None, None
    diagnosis = state.diagnoses.get(run.id)
    row = run_row(run, diagnosis, state.is_live(run.id))
    style = run_style(state)
    header = html.Div([
        html.H1([swatch(style.color(run.id)), style.name(run.id)], className="h4 mb-1",
                title=run.id),
        html.Div([
            *diagnosis_badges(diagnosis, pending=run.id in getattr(state, "pending", ())),
            dbc.Badge("live", color="info", text_color="dark", className="ms-1 cd-live")
            if row["live"] else None,
            html.Span(f"{run.id} · group {run.group} · {run.format} · last step "
                      f"{row['steps']:,}", className="text-muted small ms-2"),
        ], className="mb-2"),
        *[dbc.Alert(f"Could not read part of this run: {e}", color="danger", className="py-1")
          for e in run.errors],
        *[dbc.Alert(w, color="warning", className="py-1") for w in run.warnings],
        dbc.Alert(diagnosis.error, color="danger", className="py-1")
        if getattr(diagnosis, "error", None) else None,
    ])
    findings = ordered_findings(diagnosis)
    charts = run_charts(run, findings, smoothing, x_mode) or [
        dbc.Alert("This run has no scalars to draw.", color="secondary")]
    advice = [html.H2("Diagnosis and advice", className="h5"),
              *([advice_card(f) for f in findings] or [dbc.Alert(
                  "No finding: the curves look healthy by every rule.", color="success")])]
    hp = run.hparams
    table = dbc.Table([html.Tbody([html.Tr([html.Th(str(k)), html.Td(hparam_text(v))])
                                   for k, v in sorted(hp.items(), key=lambda kv: str(kv[0]))])],
                      size="sm", striped=True, className="cd-hparams") if hp else html.P(
        "No hyper-parameters logged.", className="text-muted small")
    if len(hp) > HPARAMS_SHOWN:  # a trainer's every setting (Ultralytics writes ~100): scroll
        table = html.Div(table, className="cd-hparams-scroll",
                         style={"maxHeight": "32rem", "overflowY": "auto"})
    title = f"Hyper-parameters ({len(hp)})" if len(hp) > HPARAMS_SHOWN else "Hyper-parameters"
    hparams = [html.H2(title, className="h5 mt-3"), table]
    return header, charts, advice, hparams


#: More hyper-parameters than this scroll in a box of their own beside the charts.
HPARAMS_SHOWN = 20


def hparam_text(value: Any) -> str:
    """A hyper-parameter as the user wrote it: TensorBoard's hparams plugin stores every
    number as a float, so a batch size of 16 comes back as 16.0 and is shown as 16."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


#: Zooming one chart zooms the others (the same x range); skipping charts that already
#: show it ends the echo of each relayout.
SYNC_ZOOM = """function(relayouts) {
    const ctx = window.dash_clientside.callback_context;
    const none = window.dash_clientside.no_update;
    if (!ctx.triggered || !ctx.triggered.length || !window.Plotly) { return none; }
    const ev = ctx.triggered[0].value || {};
    let range = null, auto = false;
    if ('xaxis.range[0]' in ev) { range = [ev['xaxis.range[0]'], ev['xaxis.range[1]']]; }
    else if (Array.isArray(ev['xaxis.range'])) { range = ev['xaxis.range']; }
    else if (ev['xaxis.autorange']) { auto = true; }
    else { return none; }
    document.querySelectorAll('.cd-run-chart .js-plotly-plot').forEach(function(gd) {
        const ax = (gd.layout && gd.layout.xaxis) || {};
        if (auto) {
            if (!ax.autorange) { Plotly.relayout(gd, {'xaxis.autorange': true}); }
        } else {
            const r = ax.range || [];
            const near = (a, b) => Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b));
            if (!(r.length === 2 && near(r[0], range[0]) && near(r[1], range[1]))) {
                Plotly.relayout(gd, {'xaxis.range': range.slice()});
            }
        }
    });
    return none;
}"""


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/run", name="Run", title="curvedoc · run", order=1,
                       layout=layout, nav=False)

    @app.callback(Output(ids.RUN_HEADER, "children"), Output(ids.RUN_CHARTS, "children"),
                  Output(ids.RUN_ADVICE, "children"), Output(ids.RUN_HPARAMS, "children"),
                  Output(ids.RUN_BODY, "style"),
                  Input(ids.RUN_ID, "data"), Input(ids.VERSION, "data"),
                  Input(ids.RUN_SMOOTH, "value"), Input(ids.RUN_X, "value"))
    def _view(run_id, _version, smoothing, x_mode):
        view = run_view(current_state(), run_id, query_float(smoothing, 0.0, 0.0, 0.99),
                        x_mode if x_mode in X_MODES else "step")
        return (*view, {"display": "none"} if view[1] is None else {})

    app.clientside_callback(SYNC_ZOOM, Output(ids.RUN_ZOOM_SINK, "data"),
                            Input({"type": ids.RUN_GRAPH, "index": ALL}, "relayoutData"),
                            prevent_initial_call=True)
