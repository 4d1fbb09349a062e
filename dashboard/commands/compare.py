"""``curvedoc check ROOT --compare BASELINE_GROUP``: every group beside a baseline against it.

Groups are made the way the groups page makes them (:func:`curvedoc.dashboard.grouping.
comparison_groups`): by the folder that holds each run (``--group-by folder``, the default), a
folder level (``folder:N``) or a hyper-parameter's value (``hparam:NAME``). Grouped by
folder, the baseline is compared with the groups in the same parent folder (all groups
when none is beside it); otherwise with every group under ROOT. The statistics are
:mod:`curvedoc.diagnostics.compare_groups`'; this module only picks the groups and writes
the text, markdown and JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from curvedoc.diagnostics.compare_groups import BaselineReport, Comparison, Statistic
    from curvedoc.diagnostics.findings import Diagnosis
    from curvedoc.ingest.model import Run

VERDICT_WORDS = {"better": "better", "worse": "worse", "no_difference": "no difference",
                 "cannot_tell": "can't tell"}


def group_by_option(ctx, param, value: str) -> str:
    """``folder``, ``folder:N`` (N >= 1) or ``hparam:NAME``."""
    kind, _, arg = value.partition(":")
    ok = (value == "folder" or (kind == "folder" and arg.isdigit() and int(arg) >= 1)
          or (kind == "hparam" and arg))
    if not ok:
        raise click.BadParameter(f"{value!r}: use folder, folder:N or hparam:NAME",
                                 ctx=ctx, param=param)
    return value


def compared_groups(runs: Mapping[str, Run], baseline: str, by: str = "folder"
                    ) -> dict[str, list[Run]]:
    """The baseline's group first, then the groups it is compared with (name -> runs).

    Raises ``click.UsageError`` naming the groups that exist when ``baseline`` is none.
    """
    from curvedoc.dashboard.grouping import comparison_groups, group_runs

    name = baseline.strip().removeprefix("./").rstrip("/") or "."
    try:
        return comparison_groups(list(runs.values()), name, by)
    except KeyError:
        listed = ", ".join(group_runs(list(runs.values()), by))
        raise click.UsageError(
            f"--compare: no group {baseline!r} (grouped by {by}); the groups are: "
            f"{listed}") from None


def build(runs: Mapping[str, Run], diagnoses: Mapping[str, Diagnosis], baseline: str,
          by: str = "folder", statistic: Statistic = "best",
          summaries: Mapping[str, Any] | None = None) -> BaselineReport:
    """The report; ``summaries`` (run id -> the cache's ``RunSummary``) give the scores of
    the runs an unchanged cache let ``check`` skip reading."""
    from curvedoc.diagnostics.compare_groups import KnownScore, compare_with_baseline

    known = {rid: KnownScore(s.metric, s.best, s.last) for rid, s in (summaries or {}).items()}
    groups = compared_groups(runs, baseline, by)
    return compare_with_baseline(groups, next(iter(groups)), diagnoses, statistic=statistic,
                                 known=known)


def swept_param(report: BaselineReport) -> str | None:
    """The one hyper-parameter every compared group changes (and nothing else), when all
    its values are numbers: the groups are then a sweep of it."""
    keys = {tuple(d.key for d in c.differ) for c in report.comparisons}
    if len(keys) != 1 or len(next(iter(keys))) != 1:
        return None
    (param,) = next(iter(keys))
    values = [_number(d.baseline) for c in report.comparisons for d in c.differ]
    values += [_number(d.other) for c in report.comparisons for d in c.differ]
    return param if all(v is not None for v in values) else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def sweep(report: BaselineReport) -> dict[str, Any] | None:
    """The groups page's coarse-to-fine suggestion for a sweep, on the usable runs only
    (diverged ones left out and counted), or None when the groups are not a sweep."""
    from curvedoc.dashboard.grouping import suggest_next_range

    param = swept_param(report)
    if param is None:
        return None
    first = report.comparisons[0].differ[0]
    points = [(float(first.baseline), v) for v in report.baseline.values]
    for c in report.comparisons:
        points += [(float(c.differ[0].other), v) for v in c.group.values]
    suggestion = suggest_next_range([p for p, _ in points], [v for _, v in points],
                                    report.higher_is_better)
    if suggestion is None:
        return None
    left = sum(len(g.excluded) for g in [report.baseline] + [c.group
                                                             for c in report.comparisons])
    note = (f" {left} run{'s' * (left != 1)} with an unusable metric left out of it."
            if left else "")
    return {"param": param, **suggestion, "left_out": left,
            "sentence": f"Sweep of {param}: {suggestion['sentence']}{note}"}


def from_summaries(summaries: Mapping[str, Any], baseline: str, by: str = "folder",
                   statistic: Statistic = "best") -> BaselineReport:
    """The report from a cluster check's summaries (``diagnostics.summary.RunSummary``):
    their hparams, roles, diagnoses and judged-metric figures; no curve is read."""
    from curvedoc.ingest.model import Run

    runs = {rid: Run(s.id, s.name, s.format, list(s.sources), dict(s.hparams),
                     dict(s.roles), list(s.errors), list(s.warnings))
            for rid, s in summaries.items()}
    return build(runs, {rid: s.diagnosis() for rid, s in summaries.items()}, baseline, by,
                 statistic, summaries)


def echo(report: BaselineReport | None, fmt: str, by: str) -> None:
    """Print the report after the runs (text or markdown; JSON goes in ``to_json``)."""
    if report is None or fmt == "json":
        return
    click.echo("\n" + (render_markdown(report) if fmt == "markdown" else render_text(report)))


def to_json(report: BaselineReport, by: str) -> dict[str, Any]:
    """The ``compare`` key of ``check --format json``."""
    return {"group_by": by, **report.to_dict(), "sweep": sweep(report)}


def _heading(report: BaselineReport) -> str:
    n = len(report.comparisons)
    name = report.baseline.name
    return (f'compared with the baseline group "{name}" ({report.statistic} '
            f"{report.metric or 'metric'} per run, {n} group{'s' * (n != 1)})")


def render_text(report: BaselineReport) -> str:
    lines = [_heading(report) + ":", f"  {report.seed_noise}"]
    for c in report.comparisons:
        lines.append(f"  [{VERDICT_WORDS[c.verdict]}] {c.group.name}: {c.sentence}")
        lines.append(f"      {hparam_line(c)}")
        lines += [f"      warning: {w}" for w in c.warnings]
    if report.excluded_sentence:
        lines.append(f"  {report.excluded_sentence}")
    swept = sweep(report) if report.comparisons else None
    if swept:
        lines.append(f"  {swept['sentence']}")
    if not report.comparisons:
        lines.append("  no other group to compare with")
    return "\n".join(lines)


def hparam_line(c: Comparison, most: int = 8) -> str:
    """'differs: lr 0.01 -> 0.03; equal: activation=relu, ... (+12 more)'."""
    differ = "; ".join(f"{d.key} {d.baseline} -> {d.other}" for d in c.differ) or "nothing"
    equal = ", ".join(c.equal[:most]) + (f" (+{len(c.equal) - most} more)"
                                         if len(c.equal) > most else "")
    return f"differs: {differ}; equal: {equal or 'nothing'}"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _cell(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def render_markdown(report: BaselineReport) -> str:
    b = report.baseline.spread
    heading = _heading(report)
    out = [f"#### {_md(heading[0].upper() + heading[1:])}", "",
           _md(report.seed_noise), "",
           "| group | seeds | mean | sd | vs baseline | 95% CI | p (Welch) | p (Mann-Whitney) "
           "| verdict |", "|---|---|---|---|---|---|---|---|---|",
           f"| `{_md(report.baseline.name)}` (baseline) | {b.n} | {_cell(b.mean)} | "
           f"{_cell(b.sd)} | | | | | |"]
    for c in report.comparisons:
        s, t = c.group.spread, c.test
        ci = ("" if c.improvement_low is None
              else f"{_cell(c.improvement_low)} – {_cell(c.improvement_high)}")
        out.append(f"| `{_md(c.group.name)}` | {s.n} | {_cell(s.mean)} | {_cell(s.sd)} | "
                   f"{_cell(c.improvement)} | {ci} | {_cell(t.welch_p if t else None)} | "
                   f"{_cell(t.mw_p if t else None)} | {VERDICT_WORDS[c.verdict]} |")
    out += ["", "“vs baseline” is the improvement (positive: better than the baseline).", ""]
    for c in report.comparisons:
        out.append(f"- **{_md(c.group.name)}**: {_md(c.sentence)}")
        out.append(f"  - {_md(hparam_line(c, most=len(c.equal)))}")
        out += [f"  - ⚠ {_md(w)}" for w in c.warnings]
    if report.excluded_sentence:
        out += ["", _md(report.excluded_sentence)]
    swept = sweep(report) if report.comparisons else None
    if swept:
        out += ["", _md(swept["sentence"])]
    return "\n".join(out)
