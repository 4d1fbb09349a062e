"""A self-contained HTML report of a folder's diagnoses and charts (plotly.js inlined).

Every string that came from a log is HTML-escaped; plotly's JSON escapes ``<``
inside its script blocks, so a run named ``<script>`` shows as text.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections import Counter
from typing import Any

import plotly.io as pio

from curvedoc.dashboard.charts import run_figure, run_panels
from curvedoc.dashboard.tables import LABEL_COLORS, run_rows

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529}
header{background:#212529;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#adb5bd;font-size:13px}
main{padding:16px 24px;max-width:1280px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f8f9fa}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;
margin-right:4px}
section.run{border-top:2px solid #dee2e6;margin-top:18px;padding-top:8px}
.finding{border-left:4px solid #adb5bd;padding:4px 10px;margin:6px 0;background:#f8f9fa}
.muted{color:#6c757d;font-size:13px} .charts{display:flex;flex-wrap:wrap;gap:8px}
.charts>div{flex:1 1 520px;min-width:420px}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(label: str) -> str:
    return (f'<span class="badge" style="background:{LABEL_COLORS.get(label, "#6c757d")}">'
            f"{_e(label)}</span>")


def _finding_html(f: Any) -> str:
    colour = LABEL_COLORS.get(f.label or "", "#adb5bd")
    advice = "".join(f"<li>{_e(a)}</li>" for a in f.advice or [])
    return (f'<div class="finding" style="border-left-color:{colour}">'
            f"<strong>{_e(f.label or f.code)}</strong> "
            f'<span class="muted">{_e(f.code)} · {_e(f.severity)} · confidence '
            f"{float(f.confidence):.0%}</span><br>{_e(f.message)}"
            f"<ul>{advice}</ul></div>")


def report_html(state: Any, *, max_points: int = 1000, charts: bool = True) -> str:
    """The whole report as one HTML string (plotly.js inlined once)."""
    rows = run_rows(state)
    counts = Counter(lbl for r in rows for lbl in r["labels"])
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>curvedoc report: {_e(state.root)}</title><style>{CSS}</style>",
    ]
    parts.append(f"<script>{_plotly_js()}</script></head><body>")
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts.append(f"<header><h1>curvedoc report</h1><p>{_e(state.root)} · {len(rows)} runs · "
                 f"{now}</p></header><main>")
    parts.append("<h2>Summary</h2><p>" + " ".join(
        f"{_badge(lbl)} {n}" for lbl, n in sorted(counts.items())) + "</p>")
    parts.append("<table><thead><tr><th>Run</th><th>Group</th><th>Format</th><th>Steps</th>"
                 "<th>Val metric</th><th>Best</th><th>Last</th><th>Diagnosis</th>"
                 "<th>Read problems</th></tr></thead><tbody>")
    for i, r in enumerate(rows):
        best = "" if r["best"] is None else f"{r['best']:.4g}"
        last = "" if r["last"] is None else f"{r['last']:.4g}"
        parts.append(
            f"<tr><td><a href='#run-{i}'>{_e(r['name'])}</a></td><td>{_e(r['group'])}</td>"
            f"<td>{_e(r['format'])}</td><td>{r['steps']}</td><td>{_e(r['metric'])}</td>"
            f"<td>{best}</td><td>{last}</td>"
            f"<td>{''.join(_badge(lbl) for lbl in r['labels'])}</td>"
            f"<td>{_e(r['problems'])}</td></tr>")
    parts.append("</tbody></table>")
    for i, (rid, run) in enumerate(state.runs.items()):
        diagnosis = state.diagnoses.get(rid)
        findings = list(getattr(diagnosis, "findings", []) or [])
        parts.append(f"<section class='run' id='run-{i}'><h3>{_e(run.name)} "
                     f"{''.join(_badge(lbl) for lbl in rows[i]['labels'])}</h3>"
                     f"<p class='muted'>{_e(run.id)} · {_e(run.format)}</p>")
        parts.extend(f"<p class='muted'>error: {_e(e)}</p>" for e in run.errors)
        if getattr(diagnosis, "error", None):
            parts.append(f"<p class='muted'>{_e(diagnosis.error)}</p>")
        parts.extend(_finding_html(f) for f in findings)
        if not findings:
            parts.append("<p class='muted'>No finding: healthy by every rule.</p>")
        if charts:
            parts.append("<div class='charts'>")
            for j, (title, tags) in enumerate(run_panels(run)):
                fig = run_figure(run, title, tags, findings, first_panel=(j == 0),
                                 n_out=max_points)
                parts.append("<div>" + pio.to_html(fig, include_plotlyjs=False,
                                                   full_html=False,
                                                   config={"displaylogo": False}) + "</div>")
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _plotly_js() -> str:
    """plotly.js itself, so the report needs no network."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
