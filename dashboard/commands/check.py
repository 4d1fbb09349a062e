"""``curvedoc check PATH``: diagnose every run under PATH, like a linter.

Exit 0 when no run has a label, 1 when some run has one (or one of the labels
given with ``--fail-on``), 2 on a usage error or a missing PATH.
"""

from __future__ import annotations

import json
import sys

import click

from curvedoc.dashboard.commands.check_cluster import check_on_cluster, root_argument
from curvedoc.diagnostics import LABELS, RULES, RuleConfigError
from curvedoc.diagnostics.batch import diagnose_all
from curvedoc.diagnostics.findings import Diagnosis
from curvedoc.diagnostics.registry import matches
from curvedoc.diagnostics.thresholds import check_tables


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _patterns(ctx, param, value):
    pats = _split(value)
    for p in pats:
        if not any(matches(r, [p]) for r in RULES.values()):
            raise click.BadParameter(
                f"{p!r} matches no rule code, code prefix, name or label; "
                "see `curvedoc rules`", ctx=ctx, param=param)
    return pats


def _labels(ctx, param, value):
    labels = _split(value)
    unknown = [lab for lab in labels if lab not in LABELS]
    if unknown:
        raise click.BadParameter(
            f"unknown label(s) {', '.join(unknown)}; choose from {', '.join(LABELS)}",
            ctx=ctx, param=param)
    return labels


@click.command()
@click.argument("path", callback=root_argument)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@click.option("--select", callback=_patterns, default="", metavar="CODES",
              help="Only these rules: codes, code prefixes (CD2), names or labels; "
                   "comma-separated.")
@click.option("--ignore", callback=_patterns, default="", metavar="CODES",
              help="Skip these rules (same forms as --select).")
@click.option("--fail-on", callback=_labels, default="", metavar="LABELS",
              help="Exit 1 only for these labels (comma-separated); default: any label.")
@click.option("--no-cache", is_flag=True, help="Read every file again; don't use the cache.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes for diagnosing (default: one per CPU).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Find, read and diagnose the runs on a Dask cluster: a scheduler address "
                   "(tcp://host:8786), or local[:N] for N worker processes here. Only "
                   "findings come back. Needs curvedoc[cluster].")
@click.option("--timeout", "idle_timeout", type=click.FloatRange(min=1), default=600,
              show_default=True, metavar="SECONDS",
              help="With --cluster: list the runs still out with an error when the cluster "
                   "finishes nothing for this long.")
def check(path, fmt, select, ignore, fail_on, no_cache, jobs, progress, cluster, idle_timeout):
    """Diagnose every run under PATH and print the findings.

    \b
    curvedoc check runs/
    curvedoc check runs/ --format json > diagnoses.json
    curvedoc check runs/ --format markdown --fail-on lr_too_high,overfitting
    curvedoc check runs/ --ignore CD9 --select CD2,overfitting
    curvedoc check s3://bucket/runs --cluster tcp://scheduler:8786

    Thresholds come from [tool.curvedoc.rules.<rule>] in PATH's pyproject.toml or
    curvedoc.toml. Exit status: 0 no run has a diagnosis, 1 some run has one (or one
    of --fail-on), 2 usage error or PATH missing.
    """
    show = sys.stderr.isatty() if progress is None else progress
    if cluster:
        sys.exit(check_on_cluster(path, cluster, fmt=fmt, select=select, ignore=ignore,
                                  fail_on=fail_on, idle_timeout=idle_timeout, show=show))
    catalog = _open(path, not no_cache, show, jobs)
    for w in catalog.warnings:
        click.echo(f"warning: {w}", err=True)
    try:
        check_tables(catalog.config, RULES)
    except RuleConfigError as exc:
        raise click.UsageError(f"{catalog.root}: {exc}") from exc
    bar = _bar(len(catalog.runs), show)
    diagnoses = diagnose_all(catalog.runs, catalog.config, select=select, ignore=ignore,
                             jobs=jobs, on_done=bar.update if bar else None)
    if bar:
        bar.close()
    rows = [_row(run, diagnoses[rid]) for rid, run in catalog.runs.items()]
    groups = _group_lines(catalog.runs, diagnoses)
    if fmt == "json":
        click.echo(json.dumps({"runs": rows}, indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(render_markdown(rows, catalog.root, groups))
    else:
        click.echo(render_text(rows, groups))
    failing = set(fail_on) if fail_on else set(LABELS)
    sys.exit(1 if any(failing & set(r["labels"]) for r in rows) else 0)


def _open(path: str, cache: bool, show: bool, jobs: int | None):
    """open_root, reading files on a process pool when there are several CPUs.

    The catalog's own warnings are printed by the caller, so Python's copy of the
    "unknown format" warning is not shown a second time.
    """
    import os
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    from curvedoc.ingest import open_root
    from curvedoc.ingest.discover import UnknownFormatWarning

    workers = jobs or os.cpu_count() or 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFormatWarning)
        if workers <= 1:
            return open_root(path, cache=cache, progress=show)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return open_root(path, cache=cache, progress=show, executor=pool)


def _group_lines(runs, diagnoses) -> list[str]:
    """One sentence per folder that holds several runs, some of them diagnosed."""
    from curvedoc.diagnostics import summarize_groups

    groups = summarize_groups(runs, diagnoses)
    if len(groups) < 2:
        return []
    return [g.sentence for g in groups if g.label_counts and len(g.run_ids) > 1]


def _bar(total: int, show: bool):
    if not show or total < 20:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="diagnosing", unit="run", file=sys.stderr, leave=False)


def _row(run, d: Diagnosis) -> dict:
    base = run.to_dict()
    return {
        "run": base["run"], "name": base["name"], "format": base["format"],
        "roles": base["roles"], "labels": d.labels,
        "findings": [f.to_dict() for f in _ordered(d)],
        "errors": base["errors"], "warnings": base["warnings"],
    }


def _ordered(d: Diagnosis):
    top = d.top
    return ([top] if top else []) + [f for f in d.findings if f is not top]


def summary(rows: list[dict]) -> str:
    """'12 runs: 4 with a diagnosis (2 overfitting, ...), 1 unreadable'."""
    from collections import Counter

    counts = Counter(lab for r in rows for lab in r["labels"])
    flagged = sum(bool(r["labels"]) for r in rows)
    broken = sum(bool(r["errors"]) and not r["roles"] for r in rows)
    text = f"{len(rows)} run{'s' * (len(rows) != 1)}: {flagged} with a diagnosis"
    if counts:
        text += " (" + ", ".join(f"{n} {lab}" for lab, n in counts.most_common()) + ")"
    if broken:
        text += f", {broken} unreadable"
    return text


def _top_message(r: dict) -> str:
    if r["findings"]:
        f = r["findings"][0]
        return f"{f['code']} {f['message']}"
    if r["errors"]:
        return "error: " + r["errors"][0]
    return "no findings"


def render_text(rows: list[dict], groups: list[str] | None = None) -> str:
    """A readable table: run, labels, the top finding's message; then a summary line."""
    if not rows:
        return "no runs found (curvedoc reads TensorBoard, CSV, JSONL, MLflow, HF Trainer logs)"
    width = min(max(len(r["run"]) for r in rows), 40)
    lw = min(max(len(", ".join(r["labels"]) or "unreadable") for r in rows), 34)
    lines = [f"{'run':{width}}  {'labels':{lw}}  top finding", "-" * (width + lw + 16)]
    for r in rows:
        labels = ", ".join(r["labels"]) or ("unreadable" if r["errors"] and not r["roles"]
                                             else "healthy")
        lines.append(f"{_cut(r['run'], width):{width}}  {labels:{lw}}  {_top_message(r)}")
        for w in r["warnings"][:2]:
            lines.append(f"{'':{width}}  {'':{lw}}  warning: {w}")
    if groups:
        lines += ["", "groups:"] + [f"  {g}" for g in groups]
    lines += ["", summary(rows)]
    return "\n".join(lines)


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else "…" + s[-(n - 1):]


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[dict], root: str, groups: list[str] | None = None) -> str:
    """A PR-comment-sized report: a summary, a table, and details per flagged run."""
    out = [f"### curvedoc check: `{_md(root)}`", "", summary(rows), ""]
    if groups:
        out += [f"- {_md(g)}" for g in groups] + [""]
    out += ["| run | labels | top finding |", "|---|---|---|"]
    for r in rows:
        labels = ", ".join(f"`{lab}`" for lab in r["labels"]) or "healthy"
        out.append(f"| `{_md(r['run'])}` | {labels} | {_md(_top_message(r))} |")
    for r in rows:
        labelled = [f for f in r["findings"] if f["label"]]
        if not labelled and not r["errors"]:
            continue
        out += ["", "<details><summary><code>" + _md(r["run"]) + "</code></summary>", ""]
        for f in labelled:
            out.append(f"- **{f['code']} {f['label']}** ({f['severity']}, confidence "
                       f"{f['confidence']:.2f}): {_md(f['message'])}")
            out += [f"  - {_md(a)}" for a in f["advice"]]
        out += [f"- error: {_md(e)}" for e in r["errors"]]
        out += ["", "</details>"]
    return "\n".join(out)
