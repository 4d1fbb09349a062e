"""Every code has a case that must fire it and one that must stay quiet (as pylint keeps a
bad and a good example per message): ``cases/<code>_<rule name>.py`` defines ``fires()``
and ``quiet()``, each returning a Run. A code without its file fails here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from curvedoc.diagnostics import RULES, diagnose

CASES = Path(__file__).parent / "cases"


def _case_module(code: str):
    rule = RULES[code]
    path = CASES / f"{code}_{rule.name.replace('-', '_')}.py"
    assert path.exists(), f"{code} ({rule.name}) has no case file {path.name}"
    sys.path.insert(0, str(CASES))
    try:
        spec = importlib.util.spec_from_file_location(f"case_{code}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(CASES))
    return mod


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_code_fires_on_its_case(code):
    d = diagnose(_case_module(code).fires())
    assert code in {f.code for f in d.findings}, (code, [f.code for f in d.findings],
                                                  d.skipped.get(code))


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_code_stays_quiet_on_its_other_case(code):
    d = diagnose(_case_module(code).quiet())
    assert code not in {f.code for f in d.findings}, [f.message for f in d.findings]


def test_every_case_file_belongs_to_a_code():
    names = {f"{c}_{r.name.replace('-', '_')}.py" for c, r in RULES.items()}
    files = {p.name for p in CASES.glob("CD*.py")}
    assert files == names
