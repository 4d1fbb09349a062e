"""Run page: one chart per role with each finding's evidence drawn, advice cards, hparams.

The run is named by its id in the query (``/run?id=sweep/lr_0.1``); an id the
server does not know shows a message, never a file.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.app import current_state
from curvedoc.dashboard.charts import run_figure, run_panels
from curvedoc.dashboard.state import UnknownRun
from curvedoc.dashboard.tables import LABEL_COLORS, run_row

SEVERITY_COLORS = {"error": "danger", "warning": "warning", "info": "info"}


def layout(id: str | None = None, **_query: Any) -> html.Div:
    return html.Div([
        dcc.Store(id=ids.RUN_ID, data=id),
        html.Div(id=ids.RUN_HEADER),
        dbc.Row([
            dbc.Col(dcc.Loading(html.Div(id=ids.RUN_CHARTS), type="dot"), lg=8),
            dbc.Col([html.H2("Diagnosis and advice", className="h5"),
                     html.Div(id=ids.RUN_ADVICE),
                     html.H2("Hyper-parameters", className="h5 mt-3"),
                     html.Div(id=ids.RUN_HPARAMS)], lg=4),
        ]),
    ])


def badge(text: str, label: str | None = None) -> dbc.Badge:
    """A pill in the colour of ``label`` (default: the text itself is the label)."""
    label = label or text
    return dbc.Badge(text, pill=True, color=LABEL_COLORS.get(label, "#6c757d"),
                     className=f"me-1 cd-badge cd-{label}")


def rule_doc(code: str) -> str | None:
    """The rule's explanation from the diagnostics rule table (None if unknown)."""
    try:
        from curvedoc.diagnostics import RULES
    except ImportError:
        return None
    rule = RULES.get(code)
    return getattr(rule, "doc", None) if rule else None


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
                                  html.Pre(doc, className="cd-doc small mt-2")]))
    return dbc.Card([
        dbc.CardHeader([
            badge(label) if finding.label else dbc.Badge(label, color="secondary",
                                                         className="me-1"),
            dbc.Badge(finding.severity, color=SEVERITY_COLORS.get(finding.severity, "secondary"),
                      className="me-1"),
            html.Span(f"confidence {finding.confidence:.0%}", className="small text-muted"),
        ]),
        dbc.CardBody(body),
    ], className="mb-2 cd-finding", style={"borderLeft": "4px solid "
                                           + LABEL_COLORS.get(finding.label or "", "#adb5bd")})


def run_view(state: Any, run_id: Any) -> tuple[Any, Any, Any, Any]:
    """Header, charts, advice and hparams of a run page (a message for an unknown id)."""
    try:
        run = state.run(run_id)
    except UnknownRun as exc:
        msg = dbc.Alert([f"No such run: {exc}. ", dcc.Link("Back to all runs", href="/")],
                        color="warning")
        return msg, None, None, None
    diagnosis = state.diagnoses.get(run.id)
    row = run_row(run, diagnosis, state.is_live(run.id))
    header = html.Div([
        html.H1(run.name, className="h4 mb-1"),
        html.Div([
            *[badge(lbl) for lbl in row["labels"]],
            dbc.Badge("live", color="success", className="ms-1") if row["live"] else None,
            html.Span(f"{run.id} · group {run.group} · {run.format} · {row['steps']} steps",
                      className="text-muted small ms-2"),
        ], className="mb-2"),
        *[dbc.Alert(f"Could not read part of this run: {e}", color="danger", className="py-1")
          for e in run.errors],
        *[dbc.Alert(w, color="warning", className="py-1") for w in run.warnings],
        dbc.Alert(diagnosis.error, color="danger", className="py-1")
        if getattr(diagnosis, "error", None) else None,
    ])
    findings = list(getattr(diagnosis, "findings", []) or [])
    panels = run_panels(run)
    charts = [dcc.Graph(figure=run_figure(run, title, tags, findings, first_panel=(i == 0)),
                        config={"displaylogo": False}, className="mb-2")
              for i, (title, tags) in enumerate(panels)]
    if not charts:
        charts = [dbc.Alert("This run has no scalars to draw.", color="secondary")]
    ordered = sorted(findings, key=lambda f: (f.label is None, -f.confidence))
    advice = [advice_card(f) for f in ordered] or [dbc.Alert(
        "No finding: the curves look healthy by every rule.", color="success")]
    hp = run.hparams
    hparams = dbc.Table([html.Tbody([html.Tr([html.Th(str(k)), html.Td(hparam_text(v))])
                                     for k, v in sorted(hp.items(), key=lambda kv: str(kv[0]))])],
                        size="sm", striped=True, className="cd-hparams") if hp else html.P(
        "No hyper-parameters logged.", className="text-muted small")
    return header, charts, advice, hparams


def hparam_text(value: Any) -> str:
    """A hyper-parameter as the user wrote it: TensorBoard's hparams plugin stores every
    number as a float, so a batch size of 16 comes back as 16.0 and is shown as 16."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def register(app: dash.Dash) -> None:
    """Register this page (must run after the app exists) and attach its callbacks."""
    dash.register_page(__name__, path="/run", name="Run", title="curvedoc · run", order=1,
                       layout=layout)

    @app.callback(Output(ids.RUN_HEADER, "children"), Output(ids.RUN_CHARTS, "children"),
                  Output(ids.RUN_ADVICE, "children"), Output(ids.RUN_HPARAMS, "children"),
                  Input(ids.RUN_ID, "data"), Input(ids.VERSION, "data"))
    def _view(run_id, _version):
        return run_view(current_state(), run_id)
