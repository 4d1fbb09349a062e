"""Diagnose learning curves: rules -> findings (code, label, evidence, advice), forecasts.

    from curvedoc.diagnostics import diagnose, RULES, LABELS
    diagnosis = diagnose(run, config)      # a curvedoc.ingest.model.Run
    diagnosis.labels, diagnosis.findings

Nothing here prints, plots or knows Dash.
"""

from .engine import diagnose
from .findings import LABELS, Diagnosis, Finding
from .groups import GroupSummary, summarize_groups
from .registry import RULES, Rule, find_rule
from .thresholds import RuleConfigError

__all__ = [
    "LABELS",
    "RULES",
    "Diagnosis",
    "Finding",
    "GroupSummary",
    "Rule",
    "RuleConfigError",
    "diagnose",
    "find_rule",
    "summarize_groups",
]
