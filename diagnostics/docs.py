"""Render docs/rules.md from the rule docstrings.

    python -m curvedoc.diagnostics.docs            # write docs/rules.md
    python -m curvedoc.diagnostics.docs --check    # exit 1 when it is stale
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from .registry import RULES, SECTIONS

#: docs/rules.md of the source tree this module lives in.
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def render() -> str:
    """The whole rules reference as markdown (deterministic)."""
    lines = [
        "# curvedoc rules",
        "",
        "Generated from the rule docstrings by `python -m curvedoc.diagnostics.docs`;",
        "do not edit by hand. Override a threshold in `pyproject.toml`:",
        "",
        "```toml",
        "[tool.curvedoc.rules.val-loss-rises]   # a rule's name or code",
        "min_rise = 0.1",
        "```",
        "",
        "| code | name | label | what it flags |",
        "|---|---|---|---|",
    ]
    for r in RULES.values():
        lines.append(f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.label or '-'} | "
                     f"{r.summary} |")
    for r in RULES.values():
        lines += ["", f"## {r.code}", "", f"**{r.name}** — label: `{r.label or 'none'}`", ""]
        lines.append(rule_text(r, markdown=True))
        fields = dataclasses.fields(r.thresholds)
        if fields:
            lines += ["", "Thresholds:", "", "| name | default |", "|---|---|"]
            lines += [f"| `{f.name}` | {f.default!r} |" for f in fields]
    return "\n".join(lines).rstrip() + "\n"


def rule_text(rule, markdown: bool = False) -> str:
    """A rule's docstring, its fixed sections as headings in markdown."""
    out = []
    for line in rule.doc.splitlines():
        if markdown and line.strip() in SECTIONS:
            out += ["", f"### {line.strip()}", ""]
        elif markdown:
            out.append(line.strip())
        else:
            out.append(line)
    return "\n".join(out).strip()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = DEFAULT_PATH.read_text() if DEFAULT_PATH.exists() else ""
        if current != text:
            print(f"{DEFAULT_PATH} is stale: run python -m curvedoc.diagnostics.docs",
                  file=sys.stderr)
            return 1
        return 0
    DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    DEFAULT_PATH.write_text(text)
    print(f"wrote {DEFAULT_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
