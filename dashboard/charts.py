"""Plotly figures built from Run objects: run panels with evidence, compare, groups, sweep.

Every builder is a pure function (runs and options in, a ``go.Figure`` out).
Text that comes from logs (run names, tags) is HTML-escaped before it reaches
plotly, whose labels understand a few HTML tags.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from curvedoc.dashboard.downsample import DEFAULT_POINTS, downsample_indices
from curvedoc.dashboard.smoothing import debiased_ema
from curvedoc.dashboard.tables import LABEL_COLORS
from curvedoc.ingest.model import Run

#: Above this many drawn points in one figure, traces use WebGL (Scattergl).
WEBGL_POINTS = 5000

PALETTE = list(qualitative.D3) + list(qualitative.Dark24)

#: Panels of the run page: title, roles drawn together.
PANELS = (
    ("Loss", ("train_loss", "val_loss")),
    ("Accuracy", ("train_acc", "val_acc")),
    ("Learning rate", ("lr",)),
    ("Gradient norm", ("grad_norm",)),
)

X_MODES = {"step": "step", "epoch": "epoch", "time": "relative time"}


def esc(text: Any) -> str:
    """Text from logs made safe for plotly labels (which parse some HTML)."""
    return html.escape(str(text), quote=True)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str | None = None, height: int = 320) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "font": {"size": 15}} if title else None,
        height=height,
        margin={"l": 60, "r": 20, "t": 44 if title else 16, "b": 44},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        hovermode="x unified",
        uirevision="keep",
    )
    return fig


def _scatter(webgl: bool, **kwargs: Any) -> go.Scatter | go.Scattergl:
    return (go.Scattergl if webgl else go.Scatter)(**kwargs)


def nonfinite_marker_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Where to draw NaN/inf points: at the last finite value before them (or 0)."""
    bad = ~np.isfinite(y)
    if not bad.any():
        return x[:0], y[:0], []
    finite_y = np.where(np.isfinite(y), y, np.nan)
    # forward-fill the last finite value
    idx = np.where(~np.isnan(finite_y), np.arange(y.size), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = finite_y[idx]
    filled = np.where(np.isnan(filled), 0.0, filled)
    text = [("nan" if math.isnan(v) else ("+inf" if v > 0 else "-inf")) for v in y[bad]]
    return x[bad], filled[bad], text


# --------------------------------------------------------------------------- x axis
def epoch_of_steps(run: Run, steps: np.ndarray) -> np.ndarray | None:
    """Epoch for each step, from an ``epoch`` tag the run logged (None when it has none)."""
    tags = [t for t in run.scalars["tag"].unique() if str(t).lower().rsplit("/", 1)[-1] == "epoch"]
    if not tags:
        return None
    s = run.series(str(tags[0]))
    s = s[np.isfinite(s["value"].to_numpy())]
    if s.empty:
        return None
    return np.interp(steps, s["step"].to_numpy(np.float64), s["value"].to_numpy(np.float64))


def x_values(run: Run, series: Any, mode: str, time_scale: float = 1.0) -> tuple[np.ndarray, bool]:
    """The x of a series in ``mode`` (step / epoch / time) and whether that mode was possible."""
    steps = series["step"].to_numpy()
    if mode == "epoch":
        ep = epoch_of_steps(run, steps.astype(np.float64))
        if ep is not None:
            return ep, True
        return steps, False
    if mode == "time":
        wall = run.scalars["wall_time"].to_numpy(np.float64)
        wall = wall[np.isfinite(wall)]
        if wall.size:
            return (series["wall_time"].to_numpy(np.float64) - wall.min()) / time_scale, True
        return steps, False
    return steps, True


def time_unit(runs: Sequence[Run]) -> tuple[float, str]:
    """Seconds per unit and its name, so the longest run reads naturally."""
    longest = 0.0
    for run in runs:
        w = run.scalars["wall_time"].to_numpy(np.float64)
        w = w[np.isfinite(w)]
        if w.size:
            longest = max(longest, float(w.max() - w.min()))
    if longest < 120:
        return 1.0, "seconds"
    if longest < 7200:
        return 60.0, "minutes"
    return 3600.0, "hours"


# --------------------------------------------------------------------------- run page
def run_panels(run: Run) -> list[tuple[str, list[str]]]:
    """The charts of a run page: (title, tags) per panel that has data.

    One panel per role pair (loss, accuracy, LR, gradient norm); a run without
    recognised roles gets one panel per tag (at most 12).
    """
    tags_present = set(map(str, run.scalars["tag"].unique()))
    panels = []
    for title, roles in PANELS:
        tags = [run.roles[r] for r in roles if r in run.roles and run.roles[r] in tags_present]
        if tags:
            panels.append((title, tags))
    if not panels:
        panels = [(t, [t]) for t in sorted(tags_present)[:12]]
    return panels


def _role_of(run: Run, tag: str) -> str:
    for role, t in run.roles.items():
        if t == tag:
            return role
    return tag


def _finding_applies(finding: Any, tags: list[str], first_panel: bool, run: Run) -> bool:
    ev_tags = set(finding.evidence.tags)
    ev_roles = {run.roles.get(t, t) for t in ev_tags}
    if ev_tags & set(tags) or ev_roles & set(tags):
        return True
    return first_panel and not (ev_tags & set(map(str, run.scalars["tag"].unique())))


def add_evidence(fig: go.Figure, finding: Any, *, is_lr_panel: bool = False,
                 row: int | None = None, col: int | None = None) -> None:
    """Draw one finding's evidence: span shaded, best step, LR cut, forecast band."""
    ev = finding.evidence
    label = finding.label or finding.code
    colour = LABEL_COLORS.get(finding.label or "", "#6c757d")
    where = {"row": row, "col": col} if row is not None else {}
    if ev.start_step is not None and ev.end_step is not None and not is_lr_panel:
        fig.add_vrect(x0=ev.start_step, x1=ev.end_step, fillcolor=colour, opacity=0.10,
                      line_width=0, layer="below", annotation_text=esc(label),
                      annotation_position="top left", annotation_font_color=colour, **where)
    if ev.best_step is not None and not is_lr_panel:
        fig.add_vline(x=ev.best_step, line_dash="dash", line_color=colour, line_width=1.5,
                      annotation_text=f"best step {ev.best_step}",
                      annotation_position="bottom right", **where)
    if ev.lr_cut_step is not None:
        fig.add_vline(x=ev.lr_cut_step, line_dash="dot", line_color=colour, line_width=1.5,
                      annotation_text=f"LR cut @ {ev.lr_cut_step}",
                      annotation_position="bottom right", **where)
    fc = ev.forecast
    if fc is not None and not is_lr_panel and fc.steps:
        steps = list(fc.steps)
        if fc.low and fc.high:
            fig.add_trace(go.Scatter(
                x=steps + steps[::-1], y=list(fc.high) + list(fc.low)[::-1],
                fill="toself", fillcolor="rgba(13,110,253,0.15)", line={"width": 0},
                name="forecast range", hoverinfo="skip"), **where)
        if fc.mean:
            fig.add_trace(go.Scatter(
                x=steps, y=list(fc.mean), mode="lines", name="forecast",
                line={"dash": "dash", "color": "#0d6efd"}), **where)


def run_figure(run: Run, title: str, tags: list[str], findings: Sequence[Any] = (),
               *, first_panel: bool = False, n_out: int = DEFAULT_POINTS) -> go.Figure:
    """One panel of the run page: its tags' curves and the evidence of matching findings."""
    fig = go.Figure()
    series = [(tag, run.series(tag)) for tag in tags]
    total = sum(min(len(s), n_out) for _, s in series)
    webgl = total > WEBGL_POINTS
    for i, (tag, s) in enumerate(series):
        x, y = s["step"].to_numpy(), s["value"].to_numpy(np.float64)
        idx = downsample_indices(x, y, n_out)
        role = _role_of(run, tag)
        fig.add_trace(_scatter(webgl, x=x[idx], y=y[idx], mode="lines", name=esc(f"{role} ({tag})"),
                               line={"color": color(i), "width": 2}))
        bx, by, text = nonfinite_marker_xy(x, y)
        if len(bx):
            fig.add_trace(go.Scatter(x=bx, y=by, mode="markers", name=esc(f"{tag}: NaN/inf"),
                                     text=text, marker={"symbol": "x", "size": 10,
                                                        "color": "#dc3545"}))
    is_lr = title == "Learning rate"
    for f in findings:
        if _finding_applies(f, tags, first_panel, run) or (
            is_lr and f.evidence.lr_cut_step is not None
        ):
            add_evidence(fig, f, is_lr_panel=is_lr)
    span = _positive_span(run, tags)
    if (is_lr and span > 0) or span > 1e3:  # LR always reads best on a log axis
        fig.update_yaxes(type="log")
    elif span == 1.0:  # a constant: plotly would pad it by ±1
        v = float(series[0][1]["value"].iloc[0])
        fig.update_yaxes(range=[v - abs(v) * 0.5, v + abs(v) * 0.5])
    fig.update_xaxes(title_text="step")
    return _layout(fig, title)


def _positive_span(run: Run, tags: list[str]) -> float:
    vals = np.concatenate([run.series(t)["value"].to_numpy(np.float64) for t in tags] or [[]])
    return positive_span(vals)


def positive_span(values: Any) -> float:
    """Ratio of largest to smallest finite value, 0 when any is <= 0 (decides a log y axis)."""
    vals = np.asarray(values, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0 or (vals <= 0).any():
        return 0.0
    return float(vals.max() / vals.min())


# --------------------------------------------------------------------------- compare
# The compare figures are plain dicts (plotly's JSON figure format): building
# go.Figure objects validates every property and costs more than the data.

_TEMPLATE: dict[str, Any] = {}


def _template() -> dict[str, Any]:
    if not _TEMPLATE:
        import plotly.io as pio

        _TEMPLATE.update(pio.templates["plotly_white"].to_plotly_json())
    return _TEMPLATE


def _curve(run: Run, s: Any, x_mode: str, smoothing: float, time_scale: float,
           n_out: int) -> dict[str, Any] | None:
    if s is None or len(s) == 0:
        return None
    x, ok = x_values(run, s, x_mode, time_scale)
    y = s["value"].to_numpy(np.float64)
    smooth = debiased_ema(y, smoothing) if smoothing > 0 else None
    idx = downsample_indices(s["step"].to_numpy(), y, n_out)
    bx, by, text = nonfinite_marker_xy(x, y)
    return {"x": x[idx], "y": y[idx], "smooth": None if smooth is None else smooth[idx],
            "ok": ok, "bad": (bx, by, text)}


def compare_curves(runs: Sequence[Run], metric: str, *, x_mode: str = "step",
                   smoothing: float = 0.0, n_out: int = DEFAULT_POINTS,
                   series_of: Any = None) -> dict[str, Any]:
    """Downsampled (and smoothed on full data) curves of ``metric`` for each run.

    ``series_of(run, metric)`` returns a run's sorted series (default ``run.series``;
    the dashboard passes a cached one).
    """
    series_of = series_of or (lambda run, m: run.series(m))
    scale, unit = time_unit(runs) if x_mode == "time" else (1.0, "")
    curves = {run.id: _curve(run, series_of(run, metric), x_mode, smoothing, scale, n_out)
              for run in runs}
    fallback = [rid for rid, c in curves.items() if c is not None and not c["ok"]]
    title = {"step": "step", "epoch": "epoch", "time": f"relative time ({unit})"}[x_mode]
    return {"curves": curves, "x_title": title, "fallback": fallback}


def _curve_traces(c: dict[str, Any], name: str, colour: str, webgl: bool,
                  showlegend: bool = True, axes: tuple[str, str] = ("x", "y")) -> list[dict]:
    kind = "scattergl" if webgl else "scatter"
    where = {"xaxis": axes[0], "yaxis": axes[1]}
    traces = []
    if c["smooth"] is not None:
        traces.append({"type": kind, "x": c["x"], "y": c["y"], "mode": "lines", "name": name,
                       "legendgroup": name, "showlegend": False, "hoverinfo": "skip",
                       "opacity": 0.25, "line": {"color": colour, "width": 1}, **where})
    traces.append({"type": kind, "x": c["x"], "y": c["y"] if c["smooth"] is None else c["smooth"],
                   "mode": "lines", "name": name, "legendgroup": name, "showlegend": showlegend,
                   "line": {"color": colour, "width": 2}, **where})
    bx, by, text = c["bad"]
    if len(bx):
        traces.append({"type": "scatter", "x": bx, "y": by, "mode": "markers", "text": text,
                       "legendgroup": name, "showlegend": False, "name": name + " NaN/inf",
                       "marker": {"symbol": "x", "size": 9, "color": colour}, **where})
    return traces


def _base_layout(title: str | None, height: int) -> dict[str, Any]:
    return {
        "template": _template(),
        "title": {"text": title, "x": 0.01, "font": {"size": 15}} if title else None,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 44 if title else 36, "b": 44},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hovermode": "x unified",
        "uirevision": "keep",
    }


def _webgl(data: dict[str, Any]) -> bool:
    return sum(len(c["x"]) for c in data["curves"].values() if c) > WEBGL_POINTS


def compare_figure(runs: Sequence[Run], metric: str, *, x_mode: str = "step",
                   smoothing: float = 0.0, log_y: bool = False,
                   n_out: int = DEFAULT_POINTS, data: dict[str, Any] | None = None) -> dict:
    """The selected runs' ``metric`` overlaid on one chart (a plotly figure dict)."""
    data = data or compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing, n_out=n_out)
    webgl = _webgl(data)
    traces: list[dict] = []
    for i, run in enumerate(runs):
        c = data["curves"].get(run.id)
        if c is not None:
            traces += _curve_traces(c, esc(run.name), color(i), webgl)
    layout = _base_layout(f"{esc(metric)}: {len(runs)} runs overlaid", 420)
    layout["xaxis"] = {"title": {"text": data["x_title"]}}
    layout["yaxis"] = {"title": {"text": esc(metric)}, "type": "log" if log_y else "linear"}
    return {"data": traces, "layout": layout}


def small_multiples(runs: Sequence[Run], metric: str, *, x_mode: str = "step",
                    smoothing: float = 0.0, log_y: bool = False, n_out: int = DEFAULT_POINTS,
                    data: dict[str, Any] | None = None, cols: int = 3) -> dict:
    """One small chart per run (same metric), as a plotly figure dict."""
    data = data or compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing, n_out=n_out)
    n = max(len(runs), 1)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    height = max(260, 220 * rows)
    hgap, vgap = 0.05, min(0.12, 60 / height)
    width = (1 - hgap * (cols - 1)) / cols
    tall = (1 - vgap * (rows - 1)) / rows
    webgl = _webgl(data)
    layout = _base_layout(None, height)
    layout.update(hovermode="closest", showlegend=False, annotations=[])
    traces: list[dict] = []
    for i, run in enumerate(runs):
        r, k = divmod(i, cols)
        suffix = "" if i == 0 else str(i + 1)
        x0 = k * (width + hgap)
        y1 = 1 - r * (tall + vgap)
        layout[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"domain": [max(y1 - tall, 0), y1], "anchor": f"x{suffix}",
                                    "type": "log" if log_y else "linear"}
        layout["annotations"].append({
            "text": esc(run.name), "x": x0 + width / 2, "y": y1, "xref": "paper",
            "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 13}})
        c = data["curves"].get(run.id)
        if c is not None:
            traces += _curve_traces(c, esc(run.name), color(i), webgl, showlegend=False,
                                    axes=(f"x{suffix}", f"y{suffix}"))
    return {"data": traces, "layout": layout}


# --------------------------------------------------------------------------- groups
def group_figure(bands: dict[str, Any], metric: str, band: str = "std",
                 log_y: bool = False) -> go.Figure:
    """Each group's mean curve with a ±std or min–max band (``bands`` from grouping)."""
    fig = go.Figure()
    for i, (name, b) in enumerate(bands.items()):
        if b is None or len(b) == 0:
            continue
        c = color(i)
        x = b["step"].to_numpy()
        if band == "minmax":
            lo, hi = b["min"].to_numpy(), b["max"].to_numpy()
        else:
            lo, hi = (b["mean"] - b["std"]).to_numpy(), (b["mean"] + b["std"]).to_numpy()
        label = esc(f"{name} (n={int(b['n'].max())})")
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                                 fill="toself", fillcolor=c, opacity=0.18, line={"width": 0},
                                 legendgroup=label, showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=b["mean"].to_numpy(), mode="lines", name=label,
                                 legendgroup=label, line={"color": c, "width": 2}))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=esc(metric), type="log" if log_y else "linear")
    what = "min–max" if band == "minmax" else "±1 std"
    return _layout(fig, f"{esc(metric)}: group mean with {what} band", height=420)


def sweep_figure(points: Any, param: str, metric: str, suggestion: dict[str, Any] | None,
                 log_x: bool = True) -> go.Figure:
    """Best validation metric of each run against a hyper-parameter, with the next range."""
    fig = go.Figure()
    if points is not None and len(points):
        colours = [LABEL_COLORS.get(lbl.split(" ")[0] if lbl else "healthy", "#6c757d")
                   for lbl in points["labels"]]
        text = [esc(f"{n} — {lbl or 'healthy'}")
                for n, lbl in zip(points["name"], points["labels"], strict=True)]
        fig.add_trace(go.Scatter(
            x=points["value"], y=points["score"], mode="markers", name="runs", text=text,
            hovertemplate="%{text}<br>" + esc(param)
            + "=%{x:.3g}<br>best=%{y:.4g}<extra></extra>",
            marker={"size": 11, "color": colours, "line": {"width": 1, "color": "white"}}))
    if suggestion:
        fig.add_vrect(x0=suggestion["low"], x1=suggestion["high"], fillcolor="#198754",
                      opacity=0.12, line_width=0, layer="below",
                      annotation_text="next, finer search", annotation_position="top left")
        fig.add_vline(x=suggestion["best"], line_dash="dash", line_color="#198754",
                      annotation_text=f"best {suggestion['best']:.3g}",
                      annotation_position="bottom right")
    fig.update_xaxes(title_text=esc(param), type="log" if log_x else "linear")
    fig.update_yaxes(title_text=f"best {esc(metric)}")
    _layout(fig, f"Sweep: best {esc(metric)} vs {esc(param)}", height=420)
    fig.update_layout(hovermode="closest")
    return fig
