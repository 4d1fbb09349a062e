"""Widgets every page uses: label badges, run chips (swatch + name), the navigation bar.

Pages import these, never each other (STYLE.md change 4). Every text that came from a
log is a text child of a component, so it is never read as HTML.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.colors import label_color

#: A label in words, for chart labels and headings.
LABEL_WORDS = {
    "bad_init": "bad initialisation",
    "lr_too_high": "learning rate too high",
    "decayed_too_early": "LR decayed too early",
    "keep_training": "keep training",
    "overfitting": "overfitting",
    "underfitting": "underfitting",
}

SEVERITY_COLORS = {"error": "danger", "warning": "warning", "info": "info"}


#: The x axes a chart can use, by query value.
X_MODES = {"step": "step", "epoch": "epoch", "time": "relative time"}


def query_float(value: Any, default: float, lo: float, hi: float) -> float:
    """A number from a URL query or a control, clipped to [lo, hi]; ``default`` for junk."""
    try:
        return min(max(float(value), lo), hi)
    except (TypeError, ValueError):
        return default


def smoothing_slider(component_id: str, value: Any, default: float) -> dcc.Slider:
    """The EMA smoothing slider (0 to 0.99) the run and compare pages share."""
    return dcc.Slider(id=component_id, min=0, max=0.99, step=0.01,
                      value=query_float(value, default, 0.0, 0.99),
                      marks={0: "0", 0.6: "0.6", 0.9: "0.9"}, tooltip={"placement": "bottom"})


def x_axis_choice(component_id: str, x: Any) -> dbc.RadioItems:
    """The step / epoch / relative time choice of the x axis."""
    return dbc.RadioItems(id=component_id, inline=True, value=x if x in X_MODES else "step",
                          options=[{"label": v, "value": k} for k, v in X_MODES.items()])


def words(label: str | None, fallback: str = "") -> str:
    return LABEL_WORDS.get(label or "", fallback or (label or ""))


def badge(text: str, label: str | None = None) -> dbc.Badge:
    """A pill in the colour of ``label`` (default: the text itself is the label)."""
    label = label or text
    return dbc.Badge(text, pill=True, color=label_color(label),
                     className=f"me-1 cd-badge cd-{label}")


#: A comparison's verdict in words and its Bootstrap colour.
VERDICTS = {"baseline": ("baseline", "primary"), "better": ("better", "success"),
            "worse": ("worse", "danger"), "no_difference": ("no clear difference", "secondary"),
            "cannot_tell": ("can't tell yet", "warning")}


def verdict_badge(verdict: str) -> dbc.Badge:
    """A pill saying how a group compares with the baseline."""
    text, colour = VERDICTS.get(verdict, (verdict, "light"))
    return dbc.Badge(text, pill=True, color=colour, className=f"me-1 cd-verdict cd-{verdict}")


def possible_badge(label: str) -> html.Span:
    """An outlined pill: a label too unsure to count ("possible overfitting")."""
    colour = label_color(label)
    return html.Span(f"possible {label}", title="below the confidence that labels a run",
                     className=f"badge rounded-pill me-1 cd-possible cd-{label}",
                     style={"color": colour, "border": f"1px dashed {colour}",
                            "backgroundColor": "transparent"})


def diagnosis_badges(diagnosis: Any, pending: bool = False) -> list[Any]:
    """The badges of a run: its labels (or healthy), then its possible labels."""
    if pending:
        return [badge("pending")]
    labels = list(getattr(diagnosis, "labels", []) or [])
    possible = list(getattr(diagnosis, "possible_labels", []) or [])
    return [*(badge(lbl) for lbl in labels or ["healthy"]),
            *(possible_badge(lbl) for lbl in possible)]


def swatch(colour: str) -> html.Span:
    return html.Span(className="cd-swatch me-1", style={"backgroundColor": colour})


def run_chip(name: str, run_id: str, colour: str, href: bool = True) -> html.Span:
    """The run's colour swatch and short name, its full id in the tooltip."""
    from urllib.parse import quote

    text: Any = (dash.dcc.Link(name, href=f"/run?id={quote(run_id, safe='')}",
                               className="cd-run-link", title=run_id)
                 if href else html.Span(name, title=run_id))
    return html.Span([swatch(colour), text], className="cd-run-chip me-2")


def navbar() -> dbc.Navbar:
    """The navigation bar, its links taken from ``dash.page_registry`` (pages that asked
    to be in the nav with ``nav=True``, in their ``order``)."""
    links = []
    for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0):
        if not page.get("nav"):
            continue
        path = page["path"]
        extra = {"id": ids.NAV_COMPARE} if path == "/compare" else {}
        links.append(dbc.NavItem(dbc.NavLink(page["name"], href=path,
                                             active="exact" if path == "/" else "partial",
                                             **extra)))
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("curvedoc", href="/", className="fw-bold"),
            dbc.Nav(links, navbar=True, id=ids.NAV),
            html.Span([
                dbc.Badge("0 selected", id=ids.SELECTION_COUNT, color="light",
                          text_color="dark", className="me-2"),
                html.Span(id=ids.LIVE_STATUS, className="small text-white-50"),
            ], className="ms-auto"),
        ], fluid=True),
        color="dark", dark=True, className="mb-3 py-1",
    )


def empty_figure(message: str, height: int = 120) -> dict:
    """A blank chart that says why it is blank."""
    return {"layout": {"height": height, "xaxis": {"visible": False},
                       "yaxis": {"visible": False},
                       "annotations": [{"text": message, "showarrow": False}]}}


def selection_download(state: Any, run_ids: list[str] | None) -> Any:
    """A dcc.Download payload with the scalars of the known runs among ``run_ids`` as CSV."""
    from curvedoc.dashboard.tables import csv_safe
    from curvedoc.ingest.reading import scalars_of

    known = state.known(run_ids)
    if not known:
        return dash.no_update
    frame = csv_safe(scalars_of(state.run(r) for r in known))
    return dash.dcc.send_data_frame(frame.to_csv, "curvedoc_scalars.csv", index=False)
