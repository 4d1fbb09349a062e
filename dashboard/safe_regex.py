"""Regular expressions typed into the dashboard, matched in linear time.

Python's ``re`` backtracks: ``^(a+)+$`` against a 30-character run name takes
minutes and holds a server thread the whole time. RE2 (``google-re2``) matches
in time linear in the text and rejects what it cannot do that way
(backreferences, look-arounds); its memory per pattern is capped, and so is the
pattern's length. Anything refused is a :class:`BadPattern` whose message says
"invalid or too complex pattern".
"""

from __future__ import annotations

from collections.abc import Callable

import re2

#: Longest pattern accepted (a filter box, not a program).
MAX_PATTERN = 1_000

#: RE2's memory budget per compiled pattern, in bytes.
MAX_MEMORY = 1 << 20


class BadPattern(ValueError):
    """A pattern that is invalid or too complex to match in linear time and little memory."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"invalid or too complex pattern ({reason})")
        self.pattern = pattern
        self.reason = reason


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.max_mem = MAX_MEMORY
    options.log_errors = False  # the caller shows the reason; RE2 would print to stderr
    return options


def searcher(pattern: str, *, ignore_case: bool = True) -> Callable[[str], bool]:
    """A function telling whether ``pattern`` occurs in a text (like ``re.search``).

    Raises :class:`BadPattern` for a pattern that is not a string, too long, invalid
    RE2 syntax, or needs more than :data:`MAX_MEMORY` to compile.
    """
    if not isinstance(pattern, str):
        raise BadPattern(str(pattern), "not text")
    if len(pattern) > MAX_PATTERN:
        raise BadPattern(pattern, f"longer than {MAX_PATTERN:,} characters")
    try:
        compiled = re2.compile(pattern, _options(ignore_case))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not accepted"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise BadPattern(pattern, str(reason)) from None

    def found(text: str) -> bool:
        return compiled.search(text) is not None

    return found
