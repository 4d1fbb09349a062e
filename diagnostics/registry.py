"""RULES: every rule by code, loaded from the code table in ``rules/__init__.py``."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .rules import CODES

#: The fixed sections of every rule docstring, in order.
SECTIONS = ("What it detects", "Why it matters", "Evidence", "Advice")


@dataclass(frozen=True)
class Rule:
    """One rule: its stable code, name, label (or None), summary, doc and thresholds."""

    code: str
    name: str
    label: str | None
    summary: str
    doc: str
    thresholds: type
    check: Callable
    #: Judged again on every further evaluation set a run logged (rules that read the
    #: validation curves).
    per_eval_set: bool = False
    #: Judged again on every component of the loss logged for training and validation
    #: (a detector's objectness and class losses beside the box loss the roles judge).
    per_component: bool = False


def _load(code: str, module: str) -> Rule:
    mod = importlib.import_module(f"{__package__}.rules.{module}")
    return Rule(code, mod.NAME, mod.LABEL, mod.SUMMARY, inspect.cleandoc(mod.__doc__ or ""),
                mod.Thresholds, mod.check, getattr(mod, "PER_EVAL_SET", False),
                getattr(mod, "PER_COMPONENT", False))


RULES: dict[str, Rule] = {code: _load(code, module) for code, module in CODES.items()}


def find_rule(key: str) -> Rule | None:
    """A rule by code (any case) or by name."""
    key = key.strip()
    if key.upper() in RULES:
        return RULES[key.upper()]
    return next((r for r in RULES.values() if r.name == key), None)


def matches(rule: Rule, patterns) -> bool:
    """Whether a --select/--ignore pattern names the rule: a code or code prefix
    (``CD2`` = all CD2xx), a rule name, or a label."""
    for p in patterns:
        p = p.strip()
        if not p:
            continue
        if rule.code.startswith(p.upper()) or p in (rule.name, rule.label):
            return True
    return False
