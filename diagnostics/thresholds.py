"""Thresholds: one dataclass per rule, overridable from config by rule name or code."""

from __future__ import annotations

import dataclasses
from typing import Any


class RuleConfigError(ValueError):
    """A ``[tool.curvedoc.rules.<rule>]`` table names an unknown rule or threshold."""


def resolve(rule, config: dict[str, Any] | None):
    """The rule's thresholds with overrides from ``config["rules"][name or code]``."""
    base = rule.thresholds()
    tables = (config or {}).get("rules", {}) or {}
    if not isinstance(tables, dict):
        raise RuleConfigError("[tool.curvedoc.rules] must be a table of rule tables")
    override: dict[str, Any] = {}
    for key in (rule.name, rule.code):
        table = tables.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise RuleConfigError(f"[tool.curvedoc.rules.{key}] must be a table")
        override.update(table)
    if not override:
        return base
    known = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(override) - known)
    if unknown:
        raise RuleConfigError(
            f"[tool.curvedoc.rules.{rule.name}] has unknown threshold(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return dataclasses.replace(base, **override)


def check_tables(config: dict[str, Any] | None, rules: dict) -> None:
    """Fail early, with the key's name, on a rule table that matches no rule."""
    tables = (config or {}).get("rules", {}) or {}
    names = {r.name for r in rules.values()} | set(rules)
    for key in tables:
        if key not in names:
            of_label = sorted(f"{r.name} ({r.code})" for r in rules.values() if r.label == key)
            hint = (f"{key} is a label, not a rule; name one of its rules: {', '.join(of_label)}"
                    if of_label else "see `curvedoc rules` for names")
            raise RuleConfigError(f"[tool.curvedoc.rules.{key}] matches no rule; {hint}")
    for rule in rules.values():
        resolve(rule, config)
