"""``curvedoc check PATH``: diagnose every run under PATH, like a linter.

Exit 0 when no run has a label, 1 when some run has one (or one of the labels
given with ``--fail-on``), 2 on a usage error, a missing PATH, or a PATH that holds no
run (the message names the formats looked for, so a CI job pointed at the wrong folder
fails). The diagnostics (scipy) are imported only once the arguments parsed, so a usage
error answers at once. On a terminal the text output is coloured (not in a pipe, nor
with ``NO_COLOR`` set) and fitted to the terminal's width.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from curvedoc.dashboard.commands._cache import cache_options, cache_value, open_catalog
from curvedoc.dashboard.commands.check_cluster import check_on_cluster, root_argument
from curvedoc.dashboard.commands.compare import group_by_option

if TYPE_CHECKING:
    from curvedoc.diagnostics.findings import Diagnosis


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _patterns(ctx, param, value):
    pats = _split(value)
    if pats:
        from curvedoc.diagnostics import RULES
        from curvedoc.diagnostics.registry import matches
    for p in pats:
        if not any(matches(r, [p]) for r in RULES.values()):
            raise click.BadParameter(
                f"{p!r} matches no rule code, code prefix, name or label; "
                "see `curvedoc rules`", ctx=ctx, param=param)
    return pats


def _labels(ctx, param, value):
    labels = _split(value)
    if not labels:
        return labels
    from curvedoc.diagnostics import LABELS

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
@cache_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes for diagnosing (default: one per CPU).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Find, read and diagnose the runs on a Dask cluster: a scheduler address "
                   "(tcp://host:8786), or local[:N] for N worker processes here. Only "
                   "findings come back. Needs curvedoc[cluster].")
@click.option("--compare", "baseline", metavar="BASELINE_GROUP", default=None,
              help="Compare every group beside BASELINE_GROUP (a folder of runs, e.g. "
                   "experiments/baseline) with it: the hyper-parameters that differ, each "
                   "group's best validation metric (mean, sd, 95% CI), Welch's t and "
                   "Mann-Whitney tests, and whether the change beat the seed noise.")
@click.option("--group-by", "group_by", default="folder", show_default=True,
              callback=group_by_option, metavar="folder|folder:N|hparam:NAME",
              help="With --compare: how runs form groups, as on the groups page.")
@click.option("--compare-on", "statistic", type=click.Choice(["best", "last"]),
              default="best", show_default=True,
              help="With --compare: score each run by the best or the last value of its "
                   "metric.")
@click.option("--timeout", "idle_timeout", type=click.FloatRange(min=1), default=600,
              show_default=True, metavar="SECONDS",
              help="With --cluster: list the runs still out with an error when the cluster "
                   "finishes nothing for this long.")
def check(path, fmt, select, ignore, fail_on, cache_dir, no_cache, jobs, progress, cluster,
          baseline, group_by, statistic, idle_timeout):
    """Diagnose every run under PATH and print the findings.

    \b
    curvedoc check runs/
    curvedoc check runs/ --format json > diagnoses.json
    curvedoc check runs/ --format markdown --fail-on lr_too_high,overfitting
    curvedoc check runs/ --ignore CD9 --select CD2,overfitting
    curvedoc check s3://bucket/runs --cluster tcp://scheduler:8786
    curvedoc check runs/ --compare experiments/baseline --format markdown

    Thresholds come from [tool.curvedoc.rules.<rule>] in PATH's pyproject.toml or
    curvedoc.toml. Exit status: 0 no run has a diagnosis, 1 some run has one (or one
    of --fail-on), 2 usage error or PATH missing.
    """
    from curvedoc.diagnostics import RULES, RuleConfigError
    from curvedoc.diagnostics.cached import StoredRuns
    from curvedoc.diagnostics.thresholds import check_tables

    show = sys.stderr.isatty() if progress is None else progress
    if cluster:
        sys.exit(check_on_cluster(path, cluster, fmt=fmt, select=select, ignore=ignore,
                                  fail_on=fail_on, idle_timeout=idle_timeout, show=show,
                                  compare_with=(baseline, group_by, statistic)))
    stored = StoredRuns(select, ignore)  # runs whose diagnosis the cache still holds
    catalog = open_catalog(path, cache_value(cache_dir, no_cache), show, jobs, stored.known)
    for w in catalog.warnings:
        click.echo(f"warning: {w}", err=True)
    if not catalog.runs:
        from curvedoc.dashboard.messages import no_runs_message

        if fmt == "json":
            click.echo(json.dumps({"runs": []}))
        click.secho(no_runs_message(str(catalog.root)), err=True,
                    fg="red" if _color(sys.stderr) else None)
        sys.exit(2)
    try:
        check_tables(catalog.config, RULES)
    except RuleConfigError as exc:
        raise click.UsageError(f"{catalog.root}: {exc}") from exc
    if baseline is not None:
        from curvedoc.dashboard.commands import compare

        compare.compared_groups(catalog.runs, baseline, group_by)  # an unknown group: exit 2
    bar = _bar(len(catalog.runs), show)
    diagnoses = stored.diagnose(catalog, jobs=jobs, on_done=bar.update if bar else None)
    if bar:
        bar.close()
    rows = [_row(run, diagnoses[rid]) for rid, run in catalog.runs.items()]
    report = (compare.build(catalog.runs, diagnoses, baseline, group_by, statistic,
                            stored.summaries) if baseline is not None else None)
    code = emit(rows, catalog.root, _group_lines(catalog.runs, diagnoses), fmt, report,
                group_by, fail_on)
    catalog.close()  # waits for cache writes still running
    sys.exit(code)


def emit(rows: list[dict], root: str, groups: list[str], fmt: str, report, group_by: str,
         fail_on) -> int:
    """Print the check's rows (and the comparison, when one was asked for) in ``fmt``;
    the exit status: 1 when a run has a label ``fail_on`` names (all labels by default)."""
    from curvedoc.dashboard.commands import compare
    from curvedoc.diagnostics import LABELS

    if fmt == "json":
        out = {"runs": rows}
        if report is not None:
            out["compare"] = compare.to_json(report, group_by)
        click.echo(json.dumps(out, indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(render_markdown(rows, root, groups))
    else:
        color = _color(sys.stdout)
        click.echo(render_text(rows, groups, width=_width(sys.stdout), color=color),
                   color=color)
    if report is not None:
        compare.echo(report, fmt, group_by)
    failing = set(fail_on) if fail_on else set(LABELS)
    return 1 if any(failing & set(r["labels"]) for r in rows) else 0


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
        "findings": [f.to_dict() for f in d.ordered()],
        "errors": base["errors"], "warnings": base["warnings"],
    }


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
        return f"{f['code']} {'possible: ' if f.get('possible') else ''}{f['message']}"
    if r["errors"]:
        return "error: " + r["errors"][0]
    return "no findings"


def _color(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def _width(stream) -> int | None:
    """The terminal's width; None (one line per run, nothing wrapped) in a pipe."""
    if not getattr(stream, "isatty", lambda: False)():
        return None
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


#: The colour of each label in the terminal (as the dashboard's badges).
LABEL_STYLES = {
    "bad_init": "magenta", "lr_too_high": "bold red", "decayed_too_early": "dark_orange",
    "keep_training": "blue", "overfitting": "bright_magenta", "underfitting": "yellow",
    "healthy": "green", "unreadable": "bold red",
}


def _labels_cell(r: dict):
    from rich.text import Text

    text = Text()
    labels = r["labels"] or ["unreadable" if r["errors"] and not r["roles"] else "healthy"]
    for i, lab in enumerate(labels):
        text.append(", " if i else "")
        text.append(lab, style=LABEL_STYLES.get(lab, ""))
    possible = sorted({f["label"] for f in r["findings"] if f.get("possible")} - set(r["labels"]))
    if possible:
        text.append(f" (possible: {', '.join(possible)})", style="dim italic")
    return text


def _finding_cell(r: dict):
    from rich.text import Text

    text = Text()
    if r["findings"]:
        f = r["findings"][0]
        text.append(f["code"] + " ", style="dim")
        if f.get("possible"):
            text.append("possible: ", style="italic")
        text.append(" ".join(str(f["message"]).split()))
    elif r["errors"]:
        text.append("error: " + r["errors"][0], style="red")
    else:
        text.append("no findings", style="dim")
    for w in r["warnings"][:2]:
        text.append(f"\nwarning: {w}", style="yellow")
    return text


def render_text(rows: list[dict], groups: list[str] | None = None, *,
                width: int | None = None, color: bool = False) -> str:
    """A table (run id, labels, the top finding) and a summary line.

    Runs are named by their full id, never cut. Without ``width`` (a pipe, a CI log)
    every run is one line; with it the output fits: a table whose last column wraps, or,
    when the ids and labels leave too little room, each run's id and labels on a line
    and its top finding wrapped below, indented.
    """
    import io

    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    if not rows:
        return "no runs found"
    out = io.StringIO()
    console = Console(file=out, width=width or 100_000, color_system="standard" if color
                      else None, force_terminal=color, no_color=not color, highlight=False,
                      emoji=False, markup=False, soft_wrap=False)
    bold = "bold" if color else ""
    cells = [(r["run"], _labels_cell(r), _finding_cell(r)) for r in rows]
    run_w = max(len(c[0]) for c in cells)
    lab_w = max(c[1].cell_len for c in cells)
    if width is None or run_w + lab_w + 4 <= width * 0.6:
        table = Table(box=None, show_edge=False, pad_edge=False, expand=False,
                      header_style=bold, padding=(0, 2, 0, 0))
        table.add_column("run", no_wrap=True, min_width=run_w, style=bold)
        table.add_column("labels", no_wrap=True, min_width=lab_w)
        table.add_column("top finding", overflow="fold", no_wrap=width is None,
                         ratio=1 if width else None)
        for run, labels, finding in cells:
            table.add_row(run, labels, finding)
        console.print(table)
    else:
        for run, labels, finding in cells:
            console.print(Text.assemble((run, bold), "  ", labels), overflow="fold")
            console.print(Padding(finding, (0, 0, 0, 4)))
    if groups:
        console.print("")
        console.print("groups:", style=bold)
        for g in groups:
            console.print(f"  {g}")
    console.print("")
    console.print(summary(rows), style=bold)
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())


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
                       f"{f['confidence']:.0%}): {_md(f['message'])}")
            out += [f"  - {_md(a)}" for a in f["advice"]]
        out += [f"- error: {_md(e)}" for e in r["errors"]]
        out += ["", "</details>"]
    return "\n".join(out)
