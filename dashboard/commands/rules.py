"""``curvedoc rules`` lists the diagnosis rules; ``curvedoc rule CODE`` explains one."""

from __future__ import annotations

import dataclasses

import click

from curvedoc.diagnostics import RULES, find_rule


@click.command()
@click.option("--label", default=None, help="Only the rules of this label.")
def rules(label):
    """List every rule: code, name, label, and what it flags.

    \b
    curvedoc rules
    curvedoc rules --label lr_too_high
    curvedoc rule CD201        the full documentation of one rule
    """
    for r in RULES.values():
        if label and r.label != label:
            continue
        click.echo(f"{r.code}  {r.name:32} {(r.label or '-'):18} {r.summary}")


@click.command()
@click.argument("code")
def rule(code):
    """Print the documentation of one rule (by code, e.g. CD201, or by name).

    \b
    The sections are always: What it detects / Why it matters / Evidence / Advice,
    followed by the thresholds and their defaults, which can be overridden in
    [tool.curvedoc.rules.<name or code>].
    """
    r = find_rule(code)
    if r is None:
        of_label = [x for x in RULES.values() if x.label == code]
        hint = (f"{code} is a label; its rules are "
                + ", ".join(f"{x.code} ({x.name})" for x in of_label)) if of_label else (
            "`curvedoc rules` lists them")
        raise click.BadParameter(f"no rule {code!r}; {hint}", param_hint="CODE")
    click.echo(f"{r.code} {r.name} (label: {r.label or 'none'})\n")
    click.echo(r.doc)
    fields = dataclasses.fields(r.thresholds)
    if fields:
        click.echo("\nThresholds ([tool.curvedoc.rules." + r.name + "]):")
        for f in fields:
            click.echo(f"  {f.name} = {f.default!r}")
