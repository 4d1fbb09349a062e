"""Steps overlap: the run was restarted and logged the same steps twice.

What it detects
    A tag has the same step logged more than once (a resumed run wrote over
    steps it had already logged), or the reader warned about a restart.

Why it matters
    Two curves are interleaved at the overlap: a plot zig-zags, and what was
    measured depends on which attempt one reads. The later attempt is usually
    the one that counts: the other rules read the curve as it left it (from
    each restart on, what was logged before at those steps is dropped, as
    TensorBoard purges orphaned data). An attempt whose first value lies where
    the one before it ended is a resumed fit (Keras numbers its epochs from 0
    again): it is read after that one instead, and the message says so.

Evidence
    The overlapping step span and the number of repeated steps.

Advice
    Resume from the checkpoint step and log only later steps; or keep the
    attempts in separate folders; TensorBoard's purge_step drops the stale ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..curves import Curves
from ..evidence import finding, step

LABEL = None
NAME = "restart-overlap"
SUMMARY = "the same steps were logged twice after a restart"


@dataclass(frozen=True)
class Thresholds:
    #: This many repeated steps make an overlap (one repeat can be a final log line).
    min_repeats: int = 2


def check(c: Curves, th: Thresholds):
    worst = None
    for cur in c.curves.values():
        dup = c.repeats.get(cur.tag, ())  # as logged: the curve keeps the last attempt
        if len(dup) and (worst is None or len(dup) > worst[1]):
            worst = (cur, len(dup), int(dup[0]), int(dup[-1]))
    noted = [w for w in c.run.warnings if "restart" in w.lower() or "overlap" in w.lower()]
    if (worst is None or worst[1] < th.min_repeats) and not noted:
        return []
    ev: dict = {"tags": [], "start_step": None, "end_step": None, "reader_warnings": noted}
    if worst is not None and worst[1] >= th.min_repeats:
        cur, n, s0, s1 = worst
        resumed = c.run.resumed()
        # read as one continued curve, the overlap is no span of what is drawn
        ev.update(tags=[cur.tag], start_step=None if any(resumed) else s0,
                  end_step=None if any(resumed) else s1, repeated_steps=n)
        how = ("each attempt that began where the one before ended was read as its "
               "continuation" if any(resumed) else "the other rules read the last attempt")
        msg = (f"{n:,} steps of {cur.tag!r} between {step(s0)} and {step(s1)} were logged "
               f"more than once: the run was restarted over steps it had already logged "
               f"(where the step goes back, {how})")
    else:
        msg = f"the reader reports a restart: {noted[0]}"
        span = re.search(r"steps (-?\d+)\s*[–-]\s*(-?\d+)", noted[0])
        if span:
            ev.update(start_step=int(span.group(1)), end_step=int(span.group(2)))
    return [finding(
        "warning", 0.9, msg,
        [
            "resume from the checkpoint step and log only the steps after it",
            "or write each attempt to its own folder (TensorBoard: purge_step)",
        ],
        ev,
    )]
