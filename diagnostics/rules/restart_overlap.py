"""Steps overlap: the run was restarted and logged the same steps twice.

What it detects
    A tag has the same step logged more than once (a resumed run wrote over
    steps it had already logged), or the reader warned about a restart. One step
    logged again counts where the log started over from its first step (a second run
    appended to the file, ``python train.py >> train.log``): the message then says how
    much of the attempt before is hidden behind the last one.

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
        # (one step logged again is a restart where it is where the curve begins: the log
        # started over from its first step, a new run appended to it)
        counts = len(dup) >= th.min_repeats or (len(dup) > 0
                                                and int(dup[0]) <= int(cur.steps[0]))
        if counts and (worst is None or len(dup) > worst[1]):
            worst = (cur, len(dup), int(dup[0]), int(dup[-1]))
    noted = [w for w in c.run.warnings if "restart" in w.lower() or "overlap" in w.lower()]
    if worst is None and not noted:
        return []
    ev: dict = {"tags": [], "start_step": None, "end_step": None, "reader_warnings": noted}
    advice = [
        "resume from the checkpoint step and log only the steps after it",
        "or write each attempt to its own file or folder (TensorBoard: purge_step)",
    ]
    if worst is not None:
        cur, n, s0, s1 = worst
        resumed = c.run.resumed()
        # read as one continued curve, the overlap is no span of what is drawn
        ev.update(tags=[cur.tag], start_step=None if any(resumed) else s0,
                  end_step=None if any(resumed) else s1, repeated_steps=n)
        how = ("each attempt that began where the one before ended was read as its "
               "continuation" if any(resumed) else "the other rules read the last attempt")
        logged = c.run.scalars["step"][c.run.scalars["tag"] == cur.tag]  # every row, as logged
        kept = len(cur.steps)
        hidden = len(logged) - kept
        if not any(resumed) and s0 <= int(cur.steps[0]) and hidden >= kept:
            # started over from the beginning, and the last attempt is the shorter: most
            # of what the file holds is not judged (a new run appended to the log)
            top = int(logged.max())
            msg = (f"{cur.tag!r} starts over at step {step(s0)} after reaching step "
                   f"{step(top)}: only the last attempt ({_points(kept)}, to step "
                   f"{step(int(cur.steps[-1]))}) is judged, and the {_points(hidden)} "
                   "logged before it are hidden (a new run appended to the same file?)")
            advice = [
                "write each run to a log file of its own (a timestamp in its name) instead "
                "of appending to one",
                "to see the runs already in it, split the file where the step starts over",
            ]
        else:
            msg = (f"{n:,} steps of {cur.tag!r} between {step(s0)} and {step(s1)} were "
                   f"logged more than once: the run was restarted over steps it had "
                   f"already logged (where the step goes back, {how})")
    else:
        msg = f"the reader reports a restart: {noted[0]}"
        span = re.search(r"steps (-?\d+)\s*[–-]\s*(-?\d+)", noted[0])
        if span:
            ev.update(start_step=int(span.group(1)), end_step=int(span.group(2)))
    return [finding("warning", 0.9, msg, advice, ev)]


def _points(n: int) -> str:
    return f"{n:,} point" + ("" if n == 1 else "s")
