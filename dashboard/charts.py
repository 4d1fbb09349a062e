"""Plotly figures built from Run objects: run panels with evidence, compare, groups, sweep.

Every builder is a pure function (runs and options in, a figure out). Text that comes
from logs (run names, tags) is HTML-escaped before it reaches plotly, whose labels
understand a few HTML tags.

Evidence labels sit in rows above the plot area, one row each, so they never cover
each other, the curve, NaN markers or the LR line. Log axes get their own ticks (1-2-5
per decade, or decades only) in one number format, so 0.2 never reads as "2".
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from curvedoc.dashboard.colors import LABEL_COLORS, PALETTE, distinct_colors
from curvedoc.dashboard.components import words
from curvedoc.dashboard.downsample import DEFAULT_POINTS, downsample_indices
from curvedoc.dashboard.names import plural
from curvedoc.dashboard.smoothing import debiased_ema
from curvedoc.ingest.model import Run

#: Above this many drawn points in one figure, traces use WebGL (Scattergl).
WEBGL_POINTS = 5000

#: Height of one row of evidence labels above a run chart (pixels).
LABEL_ROW_PX = 18

#: Panels of the run page: title, roles drawn together.
PANELS = (
    ("Loss", ("train_loss", "val_loss")),
    ("Accuracy", ("train_acc", "val_acc")),
    ("Learning rate", ("lr",)),
    ("Gradient norm", ("grad_norm",)),
)



def esc(text: Any) -> str:
    """Text from logs made safe for plotly labels (which parse some HTML)."""
    return html.escape(str(text), quote=True)


#: plotly_white's layout only: its per-trace part makes every figure cost 0.2 s to build.
TEMPLATE = "curvedoc_white"


def new_figure() -> go.Figure:
    """An empty figure in our light template (registered with plotly on first use)."""
    import plotly.io as pio

    if TEMPLATE not in pio.templates:
        pio.templates[TEMPLATE] = go.layout.Template(layout=pio.templates["plotly_white"].layout)
    return go.Figure(layout_template=TEMPLATE)


def _layout(fig: go.Figure, title: str | None = None, height: int = 320) -> go.Figure:
    fig.update_layout(
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


# --------------------------------------------------------------------------- axes
def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick values and texts for a log axis from ``lo`` to ``hi`` (both > 0).

    Decades only when the range spans two or more (every other one past eight), else
    1-2-5 per decade, else 1-9; texts share one format: plain decimals, or ``1e-5``
    style for every tick when any would need an exponent.
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks: list[float] = []
    for mults in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [float(f"{m * 10.0 ** k:.12g}") for k in range(k0, k1 + 1) for m in mults
                 if lo * (1 - 1e-9) <= m * 10.0 ** k <= hi * (1 + 1e-9)]
        if len(ticks) >= 3 or (mults == (1,) and len(ticks) >= 2 and k1 - k0 >= 3):
            break
    if len(ticks) > 9:
        ticks = ticks[::2]
    if len(ticks) < 2:  # a narrow range inside one decade: round values, evenly spaced
        ticks = nice_ticks(lo, hi)
    return ticks, tick_texts(ticks)


def nice_ticks(lo: float, hi: float, least: int = 3) -> list[float]:
    """Evenly spaced round values (a step of 1, 2 or 5 times a power of ten) in [lo, hi]:
    the widest step that still gives ``least`` ticks."""
    power = 10.0 ** math.ceil(math.log10(hi - lo))
    for step in (m * power / 10 ** k for k in range(0, 4) for m in (1, 0.5, 0.2)):
        first = math.ceil(lo / step - 1e-9) * step
        ticks = [float(f"{first + i * step:.12g}")
                 for i in range(int((hi - first) / step + 1e-9) + 1)]
        if len(ticks) >= least:
            return ticks
    return [float(f"{lo:.3g}"), float(f"{hi:.3g}")]


def tick_texts(ticks: Sequence[float]) -> list[str]:
    """One number format for all ticks of an axis."""
    if any(t != 0 and (abs(t) < 1e-3 or abs(t) >= 1e5) for t in ticks):
        return [_sci(t) for t in ticks]
    return [f"{t:g}" for t in ticks]


def _sci(v: float) -> str:
    mantissa, exp = f"{v:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exp)}"


def log_axis(values: Any) -> dict[str, Any]:
    """Layout of a log y axis fitted to ``values`` (their finite positive part)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return {"type": "log"}
    lo, hi = float(v.min()), float(v.max())
    if hi / lo < 1.0001:  # a constant: a band of ±30% around it
        lo, hi = lo / 1.3, hi * 1.3
    ticks, texts = log_ticks(lo, hi)
    pad = (math.log10(hi) - math.log10(lo)) * 0.05
    return {"type": "log", "tickvals": ticks, "ticktext": texts,
            "range": [math.log10(lo) - pad, math.log10(hi) + pad]}


# --------------------------------------------------------------------------- run page
@dataclass(frozen=True)
class Panel:
    """One chart of a run page: its title, the tags drawn on it, its section."""

    title: str
    tags: tuple[str, ...]
    section: str
    role: bool = False  # a role chart (loss, accuracy, LR, gradient norm)

    @property
    def is_lr(self) -> bool:
        return self.role and self.title == "Learning rate"


def tag_prefix(tag: str) -> str:
    """The section of a tag: the part before its first "/" (TensorBoard's grouping)."""
    return tag.split("/", 1)[0] if "/" in tag else ""


def by_prefix(tags: Sequence[str]) -> dict[str, list[str]]:
    """Tags in sections by prefix, in natural order; tags without one go last."""
    from curvedoc.dashboard.names import natural_key

    out: dict[str, list[str]] = {}
    for tag in sorted(tags, key=natural_key):
        out.setdefault(tag_prefix(tag), []).append(tag)
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == "", natural_key(kv[0]))))


def run_sections(run: Run) -> list[Panel]:
    """Every chart of a run page: the role charts first (loss, accuracy, LR, gradient
    norm), then every other scalar the run logged, one chart per tag, by tag prefix."""
    tags_present = [str(t) for t in run.scalars["tag"].unique()]
    present = set(tags_present)
    panels = []
    used: set[str] = set()
    for title, roles in PANELS:
        tags = [run.roles[r] for r in roles if r in run.roles and run.roles[r] in present]
        if tags:
            panels.append(Panel(title, tuple(tags), "Diagnosed curves", role=True))
            used.update(tags)
    for prefix, tags in by_prefix([t for t in tags_present if t not in used]).items():
        section = f"{prefix}/" if prefix else "Other scalars"
        panels += [Panel(t, (t,), section) for t in tags]
    return panels


def run_panels(run: Run) -> list[tuple[str, list[str]]]:
    """(title, tags) of every chart of a run page (see :func:`run_sections`)."""
    return [(p.title, list(p.tags)) for p in run_sections(run)]


def _role_of(run: Run, tag: str) -> str:
    for role, t in run.roles.items():
        if t == tag:
            return role
    return tag


def _finding_applies(finding: Any, tags: Sequence[str], first_panel: bool, run: Run) -> bool:
    ev_tags = set(finding.evidence.tags)
    ev_roles = {run.roles.get(t, t) for t in ev_tags}
    if ev_tags & set(tags) or ev_roles & set(tags):
        return True
    return first_panel and not (ev_tags & set(map(str, run.scalars["tag"].unique())))


def finding_words(finding: Any) -> str:
    """The finding in words for a chart: its label ("possible overfitting"), else its
    rule's name ("val loss better"), never a bare code."""
    if finding.label:
        text = words(finding.label)
        return f"possible {text}" if getattr(finding, "possible", False) else text
    try:
        from curvedoc.diagnostics import RULES

        rule = RULES.get(finding.code)
    except ImportError:  # pragma: no cover
        rule = None
    return str(rule.name).replace("-", " ") if rule else str(finding.code)


@dataclass
class _Mark:
    x: float
    text: str
    colour: str


def add_evidence(fig: go.Figure, finding: Any, *, is_lr_panel: bool = False,
                 to_x: Any = None) -> list[_Mark]:
    """Draw one finding's evidence (span shaded, best step, LR cut, forecast band); the
    labels to put above the plot. Info-level findings (noise, no validation) draw
    nothing: they are not places on the curve."""
    if getattr(finding, "severity", "") == "info":
        return []
    to_x = to_x or (lambda s: s)
    ev = finding.evidence
    colour = LABEL_COLORS.get(finding.label or "", "#6c757d")
    name = finding_words(finding)
    marks: list[_Mark] = []
    if ev.start_step is not None and ev.end_step is not None and not is_lr_panel:
        x0, x1 = float(to_x(ev.start_step)), float(to_x(ev.end_step))
        fig.add_vrect(x0=x0, x1=x1, fillcolor=colour,
                      opacity=0.07 if getattr(finding, "possible", False) else 0.12,
                      line_width=0, layer="below")
        marks.append(_Mark(x0, esc(name), colour))
    if ev.best_step is not None and not is_lr_panel:
        x = float(to_x(ev.best_step))
        fig.add_vline(x=x, line_dash="dash", line_color=colour, line_width=1.5)
        marks.append(_Mark(x, f"best step {ev.best_step:,}", colour))
    if ev.lr_cut_step is not None:
        x = float(to_x(ev.lr_cut_step))
        fig.add_vline(x=x, line_dash="dot", line_color=colour, line_width=1.5)
        marks.append(_Mark(x, f"LR cut at step {ev.lr_cut_step:,} ({esc(name)})", colour))
    fc = ev.forecast
    if fc is not None and not is_lr_panel and fc.steps:
        steps = [float(to_x(s)) for s in fc.steps]
        if fc.low and fc.high:
            fig.add_trace(go.Scatter(
                x=steps + steps[::-1], y=list(fc.high) + list(fc.low)[::-1],
                fill="toself", fillcolor="rgba(13,110,253,0.15)", line={"width": 0},
                name="forecast range", hoverinfo="skip"))
        if fc.mean:
            fig.add_trace(go.Scatter(
                x=steps, y=list(fc.mean), mode="lines", name="forecast",
                line={"dash": "dash", "color": "#0d6efd"},
                hovertemplate="forecast %{y:.4g} at %{x}<extra></extra>"))
    return marks


def place_marks(fig: go.Figure, marks: Sequence[_Mark], x_range: tuple[float, float]) -> int:
    """Put each evidence label in its own row above the plot area (so labels never
    cover each other or the curves); the rows used."""
    seen: set[str] = set()
    rows = 0
    lo, hi = x_range
    for m in marks:
        if m.text in seen:
            continue
        seen.add(m.text)
        right = hi > lo and (m.x - lo) / (hi - lo) > 0.6
        fig.add_annotation(x=m.x, xref="x", y=1, yref="paper", yanchor="bottom",
                           xanchor="right" if right else "left", showarrow=False,
                           yshift=3 + rows * LABEL_ROW_PX, text=m.text,
                           font={"color": m.colour, "size": 12}, bgcolor="white",
                           name="evidence")
        rows += 1
    return rows


def lr_cuts(steps: np.ndarray, values: np.ndarray, drop: float = 0.2,
            flat: float = 0.01) -> list[int]:
    """Indices where a step schedule cut the LR: a drop by more than ``drop`` from a
    value that held (or to one that holds) within ``flat``; smooth decays have none."""
    v = np.asarray(values, dtype=np.float64)
    out = []
    for i in range(1, v.size):
        a, b = v[i - 1], v[i]
        if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b >= a * (1 - drop):
            continue
        held_before = i >= 2 and abs(v[i - 2] - a) <= flat * a
        holds_after = i + 1 < v.size and abs(v[i + 1] - b) <= flat * max(b, 1e-300)
        if held_before or holds_after or v.size <= 3:
            out.append(i)
    return out


def step_to_x(run: Run, mode: str, time_scale: float = 1.0) -> Any:
    """A function from steps to the x of ``mode`` (for evidence drawn on epoch or time)."""
    if mode == "epoch" and epoch_of_steps(run, np.array([0.0])) is not None:
        return lambda s: float(epoch_of_steps(run, np.array([float(s)]))[0])
    if mode == "time":
        frame = run.scalars[np.isfinite(run.scalars["wall_time"].to_numpy(np.float64))]
        if len(frame):
            frame = frame.sort_values("step")
            st = frame["step"].to_numpy(np.float64)
            wt = frame["wall_time"].to_numpy(np.float64)
            w0 = float(wt.min())
            return lambda s: float(np.interp(float(s), st, wt) - w0) / time_scale
    return lambda s: s


def hover_customdata(steps: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Per point: step and raw value (a float array: plotly serialises it fast)."""
    return np.stack([np.asarray(steps, dtype=np.float64), np.asarray(raw, dtype=np.float64)],
                    axis=-1)


def wall_text(wall: np.ndarray) -> np.ndarray:
    """Per point: its wall time as 'YYYY-MM-DD HH:MM:SS' (UTC), '' where unknown."""
    wall = np.asarray(wall, dtype=np.float64)
    ok = np.isfinite(wall)
    out = np.full(wall.shape, "", dtype="<U19")
    if ok.any():
        stamps = (wall[ok] * 1e3).astype("datetime64[ms]")
        out[ok] = np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ")
    return out


def hover_template(name: str, run_id: str | None, smoothed: bool) -> str:
    """Tooltip: the run (its full id too), smoothed and raw value, step, wall time; values
    to 4 significant digits. ``name`` is already escaped."""
    who = f"<b>{name}</b>" + (f" ({esc(run_id)})" if run_id and run_id != name else "")
    value = ("%{y:.4g} smoothed, %{customdata[1]:.4g} raw" if smoothed
             else "%{customdata[1]:.4g}")
    return f"{who}: {value} · step %{{customdata[0]}} · %{{text}}<extra></extra>"


def run_figure(run: Run, title: str, tags: Sequence[str], findings: Sequence[Any] = (),
               *, first_panel: bool = False, n_out: int = DEFAULT_POINTS,
               smoothing: float = 0.0, x_mode: str = "step", is_lr: bool | None = None,
               height: int = 320) -> go.Figure:
    """One chart of the run page: its tags' curves and the evidence of matching findings.

    Smoothing (TensorBoard's debiased EMA) draws the raw curve faintly; ``x_mode`` is
    step, epoch or time; an LR chart is drawn as steps with every cut marked; a series
    of one point is a marker.
    """
    fig = new_figure()
    is_lr = (title == "Learning rate") if is_lr is None else is_lr
    series = [(tag, run.series(tag)) for tag in tags]
    total = sum(min(len(s), n_out) for _, s in series)
    webgl = total > WEBGL_POINTS
    scale, unit = time_unit([run]) if x_mode == "time" else (1.0, "")
    fell_back = False
    x_all: list[np.ndarray] = []
    for i, (tag, s) in enumerate(series):
        steps, y = s["step"].to_numpy(), s["value"].to_numpy(np.float64)
        x, ok = x_values(run, s, x_mode, scale)
        fell_back |= not ok
        x_all.append(np.asarray(x, dtype=np.float64))
        idx = downsample_indices(steps, y, n_out)
        role = _role_of(run, tag)
        name = esc(f"{role} ({tag})" if role != tag else tag)
        colour = PALETTE[i % len(PALETTE)]
        smooth = debiased_ema(y, smoothing) if smoothing > 0 and len(y) > 2 and not is_lr else None
        custom = hover_customdata(steps[idx], y[idx])
        walls = wall_text(s["wall_time"].to_numpy()[idx])
        mode = "lines" if len(y) > 1 else "markers"
        shape = {"shape": "hv"} if is_lr else {}
        if smooth is not None:
            fig.add_trace(_scatter(webgl, x=x[idx], y=y[idx], mode=mode, name=name,
                                   legendgroup=name, showlegend=False, hoverinfo="skip",
                                   opacity=0.3, line={"color": colour, "width": 1}))
        fig.add_trace(_scatter(
            webgl, x=x[idx], y=(y if smooth is None else smooth)[idx], mode=mode, name=name,
            legendgroup=name, customdata=custom, text=walls,
            marker={"size": 9, "color": colour},
            hovertemplate=hover_template(name, None, smooth is not None),
            line={"color": colour, "width": 2, **shape}))
        bx, by, text = nonfinite_marker_xy(np.asarray(x), y)
        if len(bx):
            fig.add_trace(go.Scatter(x=bx, y=by, mode="markers", name=esc(f"{tag}: NaN/inf"),
                                     text=text, marker={"symbol": "x", "size": 10,
                                                        "color": "#dc3545"},
                                     hovertemplate="%{text} at %{x}<extra></extra>"))
        if is_lr:
            cuts = lr_cuts(steps, y)
            if cuts:
                fig.add_trace(go.Scatter(
                    x=np.asarray(x)[cuts], y=y[cuts], mode="markers", name="LR cut",
                    marker={"symbol": "triangle-down", "size": 10, "color": "#fd7e14"},
                    customdata=np.stack([steps[cuts], y[np.array(cuts) - 1]], axis=-1),
                    hovertemplate="LR cut at step %{customdata[0]}: %{customdata[1]:.4g} → "
                                  "%{y:.4g}<extra></extra>"))
    to_x = step_to_x(run, x_mode, scale) if x_mode != "step" and not fell_back else None
    marks: list[_Mark] = []
    for f in findings:
        if _finding_applies(f, tags, first_panel, run) or (
            is_lr and f.evidence.lr_cut_step is not None
        ):
            marks += add_evidence(fig, f, is_lr_panel=is_lr, to_x=to_x)
    xs = np.concatenate(x_all) if x_all else np.array([0.0])
    xs = xs[np.isfinite(xs)]
    x_range = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
    rows = place_marks(fig, marks, x_range)
    values = np.concatenate([s["value"].to_numpy(np.float64) for _, s in series] or [[]])
    span = positive_span(values)
    if (is_lr and span > 0) or span > 1e3:  # LR always reads best on a log axis
        fig.update_yaxes(**log_axis(values))
    elif (flat := constant_range(values)) is not None:  # plotly would pad it by ±1
        fig.update_yaxes(range=flat)
    x_title = {"step": "step", "epoch": "epoch", "time": f"relative time ({unit})"}.get(
        x_mode, "step") if not fell_back else "step"
    fig.update_xaxes(title_text=x_title)
    _layout(fig, esc(title), height=height + rows * LABEL_ROW_PX)
    # The legend sits at the very bottom, in pixels, under the x axis title at any height.
    fig.update_layout(margin={"t": 40 + rows * LABEL_ROW_PX, "b": 78},
                      title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 10}},
                      legend={"yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                      hovermode="closest")
    return fig


def _positive_span(run: Run, tags: list[str]) -> float:
    vals = np.concatenate([run.series(t)["value"].to_numpy(np.float64) for t in tags] or [[]])
    return positive_span(vals)


def constant_range(values: Any) -> list[float] | None:
    """The y range for a series that is one value throughout (None otherwise): a band of
    ±50% around it, or 0 to 1 around a constant 0 (a score that never left 0 reads as
    one, not as a line in the middle of -1 to 1)."""
    vals = np.asarray(values, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0 or vals.min() != vals.max():
        return None
    v = float(vals[0])
    return [-0.05, 1.05] if v == 0 else [v - abs(v) * 0.5, v + abs(v) * 0.5]


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
    steps = s["step"].to_numpy()
    y = s["value"].to_numpy(np.float64)
    smooth = debiased_ema(y, smoothing) if smoothing > 0 else None
    idx = downsample_indices(steps, y, n_out)
    bx, by, text = nonfinite_marker_xy(x, y)
    return {"x": x[idx], "y": y[idx], "smooth": None if smooth is None else smooth[idx],
            "custom": hover_customdata(steps[idx], y[idx]),
            "wall": wall_text(s["wall_time"].to_numpy()[idx]),
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


@dataclass(frozen=True)
class Look:
    """How one run is drawn: its short name, full id and session colour."""

    name: str
    run_id: str
    colour: str


def default_looks(runs: Sequence[Run]) -> dict[str, Look]:
    """Looks for runs drawn outside a dashboard: short names, palette colours in order."""
    from curvedoc.dashboard.names import short_names

    names = short_names({r.id: r.name for r in runs})
    return {r.id: Look(names[r.id], r.id, PALETTE[i % len(PALETTE)])
            for i, r in enumerate(runs)}


def _curve_traces(c: dict[str, Any], look: Look, webgl: bool, showlegend: bool = True,
                  axes: tuple[str, str] = ("x", "y")) -> list[dict]:
    kind = "scattergl" if webgl else "scatter"
    where = {"xaxis": axes[0], "yaxis": axes[1]}
    name = esc(look.name)
    single = len(c["x"]) == 1
    mode = "markers" if single else "lines"
    traces = []
    if c["smooth"] is not None and not single:
        traces.append({"type": kind, "x": c["x"], "y": c["y"], "mode": "lines", "name": name,
                       "legendgroup": look.run_id, "showlegend": False, "hoverinfo": "skip",
                       "opacity": 0.25, "line": {"color": look.colour, "width": 1}, **where})
    smoothed = c["smooth"] is not None and not single
    traces.append({"type": kind, "x": c["x"], "y": c["smooth"] if smoothed else c["y"],
                   "mode": mode, "name": name, "legendgroup": look.run_id,
                   "showlegend": showlegend, "customdata": c["custom"], "text": c["wall"],
                   "hovertemplate": hover_template(name, look.run_id, smoothed),
                   "marker": {"size": 9, "color": look.colour},
                   "line": {"color": look.colour, "width": 2}, **where})
    bx, by, text = c["bad"]
    if len(bx):
        traces.append({"type": "scatter", "x": bx, "y": by, "mode": "markers", "text": text,
                       "legendgroup": look.run_id, "showlegend": False,
                       "name": name + " NaN/inf", "hovertemplate": f"{name}: %{{text}}"
                       "<extra></extra>",
                       "marker": {"symbol": "x", "size": 9, "color": look.colour}, **where})
    return traces


def _base_layout(title: str | None, height: int) -> dict[str, Any]:
    return {
        "template": _template(),
        "title": {"text": title, "x": 0.01, "font": {"size": 15}} if title else None,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 44 if title else 36, "b": 44},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hovermode": "closest",
        "uirevision": "keep",
    }


def _webgl(data: dict[str, Any]) -> bool:
    return sum(len(c["x"]) for c in data["curves"].values() if c) > WEBGL_POINTS


def _y_values(data: dict[str, Any]) -> np.ndarray:
    parts = [np.asarray(c["y"], dtype=np.float64) for c in data["curves"].values() if c]
    return np.concatenate(parts) if parts else np.array([])


def compare_figure(runs: Sequence[Run], metric: str, *, x_mode: str = "step",
                   smoothing: float = 0.0, log_y: bool = False,
                   n_out: int = DEFAULT_POINTS, data: dict[str, Any] | None = None,
                   looks: dict[str, Look] | None = None, title: str | None = None,
                   height: int = 420, showlegend: bool = True) -> dict:
    """The selected runs' ``metric`` overlaid on one chart (a plotly figure dict)."""
    data = data or compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing, n_out=n_out)
    looks = looks or default_looks(runs)
    webgl = _webgl(data)
    traces: list[dict] = []
    for run in runs:
        c = data["curves"].get(run.id)
        if c is not None:
            traces += _curve_traces(c, looks[run.id], webgl, showlegend=showlegend)
    text = title if title is not None else f"{esc(metric)}: {plural(len(runs), 'run')} overlaid"
    layout = _base_layout(text, height)
    layout["showlegend"] = showlegend
    layout["xaxis"] = {"title": {"text": data["x_title"]}}
    layout["yaxis"] = ({**log_axis(_y_values(data))} if log_y else {"type": "linear"})
    layout["yaxis"]["title"] = {"text": esc(metric)}
    return {"data": traces, "layout": layout}


def small_multiples(runs: Sequence[Run], metric: str, *, x_mode: str = "step",
                    smoothing: float = 0.0, log_y: bool = False, n_out: int = DEFAULT_POINTS,
                    data: dict[str, Any] | None = None, cols: int = 3,
                    looks: dict[str, Look] | None = None) -> dict:
    """One small chart per run (same metric), as a plotly figure dict."""
    data = data or compare_curves(runs, metric, x_mode=x_mode, smoothing=smoothing, n_out=n_out)
    looks = looks or default_looks(runs)
    n = max(len(runs), 1)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    height = max(260, 230 * rows)
    hgap, vgap = 0.05, min(0.14, 70 / height)
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
        c = data["curves"].get(run.id)
        layout[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}"}
        yaxis = log_axis(c["y"]) if (log_y and c is not None) else {
            "type": "log" if log_y else "linear"}
        layout[f"yaxis{suffix}"] = {**yaxis, "domain": [max(y1 - tall, 0), y1],
                                    "anchor": f"x{suffix}"}
        look = looks[run.id]
        layout["annotations"].append({
            "text": esc(look.name), "x": x0 + width / 2, "y": y1, "xref": "paper",
            "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
            "hovertext": esc(run.id), "font": {"size": 13, "color": look.colour}})
        if c is not None:
            traces += _curve_traces(c, look, webgl, showlegend=False,
                                    axes=(f"x{suffix}", f"y{suffix}"))
    return {"data": traces, "layout": layout}


# --------------------------------------------------------------------------- groups
def group_figure(bands: dict[str, Any], metric: str, band: str = "std",
                 log_y: bool = False, x_title: str = "step",
                 title: str | None = None) -> go.Figure:
    """Each group's mean curve with a ±std or min–max band (``bands`` from grouping).

    On a log axis the mean and std are those of log10(value) (a geometric mean and a
    multiplicative band), so the band never reaches down to the bottom of the chart.
    Every group gets its own colour, however many groups there are.
    """
    fig = new_figure()
    colours = distinct_colors(len(bands))
    values: list[np.ndarray] = []
    for c, (name, b) in zip(colours, bands.items(), strict=True):
        if b is None or len(b) == 0:
            continue
        x = b["step"].to_numpy()
        if log_y and "lmean" in b:
            mean = 10 ** b["lmean"].to_numpy()
            lo, hi = 10 ** (b["lmean"] - b["lstd"]).to_numpy(), 10 ** (b["lmean"]
                                                                       + b["lstd"]).to_numpy()
        else:
            mean = b["mean"].to_numpy()
            lo, hi = (b["mean"] - b["std"]).to_numpy(), (b["mean"] + b["std"]).to_numpy()
        if band == "minmax":
            lo, hi = b["min"].to_numpy(), b["max"].to_numpy()
        values += [mean, lo, hi]
        label = esc(f"{name} (n={int(b['n'].max())})")
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                                 fill="toself", fillcolor=c, opacity=0.18, line={"width": 0},
                                 legendgroup=label, showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=x, y=mean, mode="lines" if len(x) > 1 else "markers", name=label,
            legendgroup=label, line={"color": c, "width": 2}, marker={"color": c, "size": 9},
            customdata=np.stack([b["n"].to_numpy(), lo, hi], axis=-1),
            hovertemplate=f"<b>{label}</b>: mean %{{y:.4g}} (%{{customdata[1]:.4g}} – "
                          f"%{{customdata[2]:.4g}}) of %{{customdata[0]}} runs at {x_title} "
                          "%{x}<extra></extra>"))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=esc(metric))
    if log_y:
        fig.update_yaxes(**log_axis(np.concatenate(values) if values else []))
    what = "min–max" if band == "minmax" else ("±1 std (of log10)" if log_y else "±1 std")
    _layout(fig, title or f"{esc(metric)}: group mean with {what} band", height=420)
    fig.update_layout(hovermode="closest")
    return fig


def sweep_figure(points: Any, param: str, metric: str, suggestion: dict[str, Any] | None,
                 log_x: bool = True) -> go.Figure:
    """Best validation metric of each run against a hyper-parameter, with the next range.

    Dots are coloured by diagnosis, one legend entry per diagnosis; the "best" label sits
    at its line (annotations on a log axis take log10 coordinates).
    """
    fig = new_figure()
    if points is not None and len(points):
        kinds = [lbl.split(" ")[0] if lbl else "healthy" for lbl in points["labels"]]
        for kind in dict.fromkeys(kinds):
            rows = [i for i, k in enumerate(kinds) if k == kind]
            sub = points.iloc[rows]
            text = [esc(f"{n} — {lbl or 'healthy'}")
                    for n, lbl in zip(sub["name"], sub["labels"], strict=True)]
            fig.add_trace(go.Scatter(
                x=sub["value"], y=sub["score"], mode="markers", name=esc(words(kind, kind)),
                text=text, hovertemplate="%{text}<br>" + esc(param)
                + "=%{x:.4g}<br>best=%{y:.4g}<extra></extra>",
                marker={"size": 11, "color": LABEL_COLORS.get(kind, "#6c757d"),
                        "line": {"width": 1, "color": "white"}}))
    if suggestion:
        fig.add_vrect(x0=suggestion["low"], x1=suggestion["high"], fillcolor="#198754",
                      opacity=0.12, line_width=0, layer="below")
        fig.add_vline(x=suggestion["best"], line_dash="dash", line_color="#198754")
        at = (lambda v: math.log10(v)) if log_x else (lambda v: v)
        fig.add_annotation(x=at(suggestion["best"]), xref="x", y=1, yref="paper",
                           yanchor="bottom", xanchor="center", showarrow=False,
                           text=f"best {suggestion['best']:.3g}", name="best",
                           font={"color": "#198754"})
        fig.add_annotation(x=at(suggestion["low"]), xref="x", y=1, yref="paper",
                           yanchor="bottom", xanchor="left", showarrow=False, yshift=18,
                           text="next, finer search", name="next",
                           font={"color": "#198754"})
    fig.update_xaxes(title_text=esc(param), type="log" if log_x else "linear")
    if log_x and points is not None and len(points):
        xs = list(points["value"]) + ([suggestion["low"], suggestion["high"]] if suggestion
                                      else [])
        ticks, texts = log_ticks(min(xs), max(xs))
        fig.update_xaxes(tickvals=ticks, ticktext=texts)
    fig.update_yaxes(title_text=f"best {esc(metric)}")
    _layout(fig, f"Sweep: best {esc(metric)} vs {esc(param)}", height=420)
    fig.update_layout(hovermode="closest", margin={"t": 80, "r": 170},
                      legend={"title": {"text": "diagnosis"}, "orientation": "v",
                              "x": 1.02, "y": 1, "xanchor": "left", "yanchor": "top"})
    return fig


#: The colour of a comparison's verdict (the baseline's own in blue).
VERDICT_COLORS = {"baseline": "#0d6efd", "better": "#198754", "worse": "#dc3545",
                  "no_difference": "#6c757d", "cannot_tell": "#d39e00"}


def comparison_figure(report: Any) -> go.Figure:
    """Each run's score by group (dots) with the group mean and its 95% interval, the
    baseline's mean and interval as a band across: a group outside the band by more than
    its own interval moved the metric. ``report`` is a ``compare_groups.BaselineReport``."""
    fig = new_figure()
    groups = [(report.baseline, "baseline")] + [(c.group, c.verdict)
                                                for c in report.comparisons]
    labels = [esc(g.name) for g, _ in groups]
    for (g, verdict), label in zip(groups, labels, strict=True):
        colour = VERDICT_COLORS[verdict]
        vals = [s.value for s in g.scores if s.excluded is None]
        ids = [esc(s.run_id) for s in g.scores if s.excluded is None]
        # the runs as dots beside (left of) their group's mean: an invisible box's points
        fig.add_trace(go.Box(
            x=[label] * len(vals), y=vals, name=label, showlegend=False, boxpoints="all",
            jitter=0.25, pointpos=-1.6, fillcolor="rgba(0,0,0,0)", line={"width": 0},
            hoveron="points", text=ids, hovertemplate="%{text}<br>%{y:.4g}<extra></extra>",
            marker={"size": 8, "color": colour, "opacity": 0.7,
                    "line": {"width": 1, "color": "white"}}))
        sp = g.spread
        if sp.mean is None:
            continue
        err = ({"type": "data", "symmetric": False, "array": [sp.high - sp.mean],
                "arrayminus": [sp.mean - sp.low], "color": colour, "thickness": 2,
                "width": 10} if sp.low is not None else None)
        fig.add_trace(go.Scatter(
            x=[label], y=[sp.mean], mode="markers", showlegend=False, name=label,
            error_y=err, hovertemplate=f"{label}<br>mean %{{y:.4g}} of "
            f"{plural(sp.n, 'run')}<extra></extra>",
            marker={"size": 14, "symbol": "diamond", "color": colour}))
    b = report.baseline.spread
    if b.mean is not None:
        if b.low is not None:
            fig.add_hrect(y0=b.low, y1=b.high, fillcolor=VERDICT_COLORS["baseline"],
                          opacity=0.08, line_width=0, layer="below")
        fig.add_hline(y=b.mean, line_dash="dash", line_color=VERDICT_COLORS["baseline"],
                      line_width=1)
    metric = esc(report.metric or "metric")
    better = "higher" if report.higher_is_better else "lower"
    fig.update_yaxes(title_text=f"{report.statistic} {metric}")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    _layout(fig, f"{report.statistic.capitalize()} {metric} per run, mean and 95% CI by "
                 f"group ({better} is better)", height=360)
    fig.update_layout(hovermode="closest")
    return fig
