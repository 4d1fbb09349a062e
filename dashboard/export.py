"""A self-contained HTML report of a folder's diagnoses and charts (plotly.js inlined once).

Light and quick to open: plotly.js is inlined once, gzip-compressed (the browser's
``DecompressionStream`` unpacks it: 2 MB instead of 4.8), the chart template once, every
trace downsampled (min/max and NaN/inf kept), and each chart drawn only when it scrolls
into view. Charts sit in a CSS grid whose cells are never narrower than their
chart, so no chart covers another at any width.

Every string that came from a log is HTML-escaped; the figures' JSON has ``<`` escaped,
so a run named ``<script>`` shows as text.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections import Counter
from typing import Any

from curvedoc.dashboard.charts import finding_words, run_figure, run_sections
from curvedoc.dashboard.colors import LABEL_COLORS
from curvedoc.dashboard.names import natural_key, plural
from curvedoc.dashboard.runstyle import run_style
from curvedoc.dashboard.tables import run_rows

#: Chart height in the report (pixels, plus a row per evidence label); the grid cell
#: reserves it before drawing.
CHART_PX = 320

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529}
header{background:#212529;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#adb5bd;font-size:13px}
main{padding:16px 24px;max-width:1400px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f8f9fa}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;
margin-right:4px}
.possible{background:transparent!important;border:1px dashed currentColor}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px}
section.run{border-top:2px solid #dee2e6;margin-top:18px;padding-top:8px}
.finding{border-left:4px solid #adb5bd;padding:4px 10px;margin:6px 0;background:#f8f9fa}
.muted{color:#6c757d;font-size:13px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr));
gap:12px}
.chart{min-width:0;overflow:hidden}
"""

#: Unpacks plotly.js, then draws each chart when it comes near the screen.
DRAW_JS = """
(async function(){
  var packed = document.getElementById('cd-plotly');
  if (packed && !window.Plotly) {
    try {
      var raw = atob(packed.textContent.trim());
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      var code = await new Response(stream).text();
      var s = document.createElement('script');
      s.textContent = code;
      document.head.appendChild(s);
    } catch (err) {
      document.body.insertAdjacentHTML('afterbegin', '<p style="color:#b02a37;padding:8px">'
        + 'This browser cannot unpack the charts (no DecompressionStream); open the report '
        + 'in a current Chrome, Firefox, Edge or Safari.</p>');
      return;
    }
  }
  var T = JSON.parse(document.getElementById('cd-template').textContent);
  function draw(el){
    if (el.dataset.drawn) { return; }
    el.dataset.drawn = '1';
    var fig = JSON.parse(document.getElementById(el.dataset.fig).textContent);
    fig.layout.template = T;
    Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false});
  }
  var charts = Array.prototype.slice.call(document.querySelectorAll('.chart[data-fig]'));
  if (!('IntersectionObserver' in window)) { charts.forEach(draw); return; }
  var io = new IntersectionObserver(function(entries){
    entries.forEach(function(e){ if (e.isIntersecting) { io.unobserve(e.target);
      draw(e.target); } });
  }, {rootMargin: '400px'});
  charts.forEach(function(el){ io.observe(el); });
})();
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(label: str, possible: bool = False) -> str:
    colour = LABEL_COLORS.get(label, "#6c757d")
    if possible:
        return (f'<span class="badge possible" style="color:{colour}">possible '
                f"{_e(label)}</span>")
    return f'<span class="badge" style="background:{colour}">{_e(label)}</span>'


def _badges(row: dict) -> str:
    return ("".join(_badge(lbl) for lbl in row["labels"])
            + "".join(_badge(lbl, True) for lbl in row.get("possible", [])))


def _finding_html(f: Any) -> str:
    colour = LABEL_COLORS.get(f.label or "", "#adb5bd")
    advice = "".join(f"<li>{_e(a)}</li>" for a in f.advice or [])
    name = (f"possible {f.label}" if getattr(f, "possible", False) else f.label) or \
        finding_words(f)
    return (f'<div class="finding" style="border-left-color:{colour}">'
            f"<strong>{_e(name)}</strong> "
            f'<span class="muted">{_e(f.code)} · {_e(f.severity)} · confidence '
            f"{float(f.confidence):.0%}</span><br>{_e(f.message)}"
            f"<ul>{advice}</ul></div>")


def _json_script(element_id: str, value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=_plain)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _figure_json(fig: Any, digits: int = 6) -> dict:
    """A figure as plain JSON without its template (sent once for all charts), numbers
    rounded to ``digits`` significant digits, NaN as null."""
    import plotly.io as pio

    data = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    data["layout"].pop("template", None)
    data["layout"]["autosize"] = True
    data["layout"].pop("width", None)
    for trace in data["data"]:
        for key in ("x", "y"):
            if isinstance(trace.get(key), list):
                trace[key] = [float(f"{v:.{digits}g}") if isinstance(v, float) else v
                              for v in trace[key]]
    return data


def report_html(state: Any, *, max_points: int = 500, charts: bool = True) -> str:
    """The whole report as one HTML string (plotly.js inlined once)."""
    rows = run_rows(state)
    by_id = {r["id"]: r for r in rows}
    style = run_style(state)
    counts = Counter(lbl for r in rows for lbl in r["labels"])
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>curvedoc report: {_e(state.root)}</title><style>{CSS}</style>",
    ]
    parts.append("</head><body>")
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts.append(f"<header><h1>curvedoc report</h1><p>{_e(state.root)} · "
                 f"{plural(len(rows), 'run')} · {now}</p></header><main>")
    parts.append("<h2>Summary</h2><p>" + " ".join(
        f"{_badge(lbl)} {n}" for lbl, n in sorted(counts.items())) + "</p>")
    parts.append("<table><thead><tr><th>Run</th><th>Group</th><th>Format</th><th>Steps</th>"
                 "<th>Val metric</th><th>Best</th><th>Last</th><th>Diagnosis</th>"
                 "<th>Top finding</th><th>Read problems</th></tr></thead><tbody>")
    order = sorted(state.runs, key=natural_key)
    anchor = {rid: f"run-{i}" for i, rid in enumerate(order)}
    for r in rows:
        best = r["best_note"] if r["best"] is None else f"{r['best']:.4g}"
        last = r["last_note"] if r["last"] is None else f"{r['last']:.4g}"
        parts.append(
            f"<tr><td><span class='swatch' style='background:{r['color']}'></span>"
            f"<a href='#{anchor[r['id']]}' title='{_e(r['id'])}'>{_e(r['name'])}</a></td>"
            f"<td>{_e(r['group'])}</td><td>{_e(r['format'])}</td><td>{r['steps']:,}</td>"
            f"<td>{_e(r['metric'])}</td><td>{_e(best)}</td><td>{_e(last)}</td>"
            f"<td>{_badges(r)}</td><td>{_e(r['top'])}</td><td>{_e(r['problems'])}</td></tr>")
    parts.append("</tbody></table>")
    n_fig = 0
    for rid in order:
        run = state.runs[rid]
        diagnosis = state.diagnoses.get(rid)
        ordered = (diagnosis.ordered() if hasattr(diagnosis, "ordered")
                   else list(getattr(diagnosis, "findings", []) or []))
        parts.append(f"<section class='run' id='{anchor[rid]}'><h3>"
                     f"<span class='swatch' style='background:{style.color(rid)}'></span>"
                     f"{_e(style.name(rid))} {_badges(by_id[rid])}</h3>"
                     f"<p class='muted'>{_e(run.id)} · {_e(run.format)}</p>")
        parts.extend(f"<p class='muted'>error: {_e(e)}</p>" for e in run.errors)
        if getattr(diagnosis, "error", None):
            parts.append(f"<p class='muted'>{_e(diagnosis.error)}</p>")
        parts.extend(_finding_html(f) for f in ordered)
        if not ordered:
            parts.append("<p class='muted'>No finding: healthy by every rule.</p>")
        if charts:
            parts.append("<div class='charts'>")
            for j, panel in enumerate(p for p in run_sections(run) if p.role):
                fig = run_figure(run, panel.title, panel.tags, ordered, first_panel=(j == 0),
                                 n_out=max_points, is_lr=panel.is_lr, height=CHART_PX)
                fid = f"fig-{n_fig}"
                n_fig += 1
                figure = _figure_json(fig)
                height = int(figure["layout"].get("height") or CHART_PX)
                parts.append(f"<div class='chart' data-fig='{fid}' style='height:{height}px'>"
                             "</div>" + _json_script(fid, figure))
            parts.append("</div>")
        parts.append("</section>")
    if charts:
        parts.append(f'<script type="application/octet-stream" id="cd-plotly">'
                     f"{packed_plotly_js()}</script>")
        parts.append(_json_script("cd-template", _template_json()))
        parts.append(f"<script>{DRAW_JS}</script>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _template_json() -> dict:
    import plotly.io as pio

    return json.loads(pio.json.to_json_plotly(pio.templates["plotly_white"].to_plotly_json()))


def packed_plotly_js() -> str:
    """plotly.js itself (so the report needs no network), gzip-compressed, base64."""
    import base64
    import gzip

    from plotly.offline import get_plotlyjs

    return base64.b64encode(gzip.compress(get_plotlyjs().encode("utf-8"), 9,
                                          mtime=0)).decode("ascii")
