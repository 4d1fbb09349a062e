"""Compare experiment groups with a baseline the way the course notes teach: one change
at a time, several seeds per setting, and whether the change beat the seed noise.

For a baseline group and each other group this says which hyper-parameters differ and
which are equal (seeds aside), warns when more than one changed (the comparison is then
confounded), scores every run by the best (or last) value of the metric that judges it
(``Run.judged_role``, ``model.best_and_last``), leaves out the runs whose metric is
unusable (diverged: NaN/inf, or a divergence finding), and tests the difference
(:mod:`.seed_stats`) into one sentence:

    lr=0.03 beats the baseline lr=0.01 by 0.090 val loss (95% CI 0.064–0.115,
    3 vs 3 seeds, p<0.001)

Pure: runs and diagnoses in, frozen dataclasses out; nothing prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from curvedoc.ingest.model import JUDGED_ROLES, Run, best_and_last

from . import seed_stats
from .findings import Diagnosis

Statistic = Literal["best", "last"]
Verdict = Literal["better", "worse", "no_difference", "cannot_tell"]

#: The finding that makes a run's metric unusable: the loss became NaN/inf or exploded.
DIVERGED_CODE = "CD201"


def is_seed_key(key: str) -> bool:
    """A hyper-parameter that names a repeat of one setting, not a setting."""
    return "seed" in key.lower()


@dataclass(frozen=True)
class RunScore:
    """One run's score: the best (or last) value of the metric; ``excluded`` says why
    it is left out (diverged, nothing finite, metric not logged) when it is."""

    run_id: str
    value: float | None
    excluded: str | None = None


@dataclass(frozen=True)
class GroupStats:
    """A group's scores and their spread; ``mixed`` names the hyper-parameters (seeds
    aside) that vary inside it, so it is not the seeds of one config."""

    name: str
    scores: tuple[RunScore, ...]
    spread: seed_stats.Spread
    mixed: tuple[str, ...] = ()

    @property
    def values(self) -> np.ndarray:
        return np.array([s.value for s in self.scores if s.excluded is None], np.float64)

    @property
    def excluded(self) -> tuple[RunScore, ...]:
        return tuple(s for s in self.scores if s.excluded is not None)


@dataclass(frozen=True)
class HparamDiff:
    """A hyper-parameter whose values differ between the baseline and the other group."""

    key: str
    baseline: str
    other: str


@dataclass(frozen=True)
class Comparison:
    """One group against the baseline: what differs, the test, a verdict and a sentence.

    ``improvement`` is the difference in the metric's better direction (positive: the
    group is better) with its 95% interval; ``seeds_needed`` is the seeds per group that
    the seed spread (``noise_sd``) calls for to tell the observed difference apart.
    """

    group: GroupStats
    differ: tuple[HparamDiff, ...]
    equal: tuple[str, ...]
    test: seed_stats.TwoGroupTest | None
    improvement: float | None
    improvement_low: float | None
    improvement_high: float | None
    verdict: Verdict
    noise_sd: float | None
    seeds_needed: int | None
    warnings: tuple[str, ...]
    sentence: str

    @property
    def confounded(self) -> bool:
        return len(self.differ) > 1

    @property
    def effect_size(self) -> float | None:
        """Cohen's d in the metric's better direction (positive: the group is better)."""
        if self.test is None or self.test.cohens_d is None or not self.test.diff:
            return None
        return abs(self.test.cohens_d) * (1.0 if (self.improvement or 0) > 0 else -1.0)


@dataclass(frozen=True)
class BaselineReport:
    """Every group of a folder compared with its baseline on one metric."""

    metric: str | None
    higher_is_better: bool
    statistic: Statistic
    baseline: GroupStats
    comparisons: tuple[Comparison, ...]
    seed_noise: str
    excluded_sentence: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN/inf as null), for ``check --format json``."""
        def group(g: GroupStats) -> dict[str, Any]:
            return {"name": g.name, **asdict(g.spread),
                    "runs": [asdict(s) for s in g.scores], "mixed": list(g.mixed)}

        return _finite({
            "baseline": group(self.baseline), "metric": self.metric,
            "higher_is_better": self.higher_is_better, "statistic": self.statistic,
            "seed_noise": self.seed_noise, "excluded": self.excluded_sentence or None,
            "seeds_formula": seed_stats.SEEDS_FORMULA,
            "comparisons": [{
                "group": group(c.group),
                "differ": [asdict(d) for d in c.differ], "equal": list(c.equal),
                "confounded": c.confounded, "verdict": c.verdict,
                "improvement": c.improvement, "improvement_low": c.improvement_low,
                "improvement_high": c.improvement_high,
                "effect_size": c.effect_size,
                "test": asdict(c.test) if c.test else None, "noise_sd": c.noise_sd,
                "seeds_needed": c.seeds_needed, "warnings": list(c.warnings),
                "sentence": c.sentence,
            } for c in self.comparisons],
        })


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- scores ----------------------------------------------------------------------------------

def choose_metric(runs: Sequence[Run]) -> tuple[str | None, bool]:
    """The judged role (``JUDGED_ROLES``) most runs have, the first of equals; and whether
    higher is better."""
    counts = [(sum(role in r.roles for r in runs), -i, role, higher)
              for i, (role, higher) in enumerate(JUDGED_ROLES)]
    n, _, role, higher = max(counts)
    return (role, higher) if n else (None, False)


@dataclass(frozen=True)
class KnownScore:
    """A run's judged metric as a stored summary kept it, for a run read without its
    scalars: the tag, its best finite value and its last value (None when not finite)."""

    tag: str
    best: float | None
    last: float | None


def run_score(run: Run, diagnosis: Diagnosis | None, metric: str | None, higher: bool,
              statistic: Statistic = "best", known: KnownScore | None = None) -> RunScore:
    """The run's best (or last) value of ``metric``, or why it cannot be used. ``known``
    (a stored summary's figures) stands in for the run's scalars when it is of the same
    tag; a NaN/inf it shows only in its last value, or through a divergence finding."""
    tag = run.roles.get(metric or "", metric)
    if known is not None and tag and known.tag == tag:  # never reads a lazy run's curves
        best, last, finite = known.best, known.last, known.last is not None
        best = float("nan") if best is None else best
    elif metric is None or (metric not in run.roles and not _has_tag(run, metric)):
        return RunScore(run.id, None, f"no {metric or 'metric'} logged")
    else:
        values = run.series(metric)["value"].to_numpy(np.float64)
        if values.size == 0:
            return RunScore(run.id, None, f"no {metric} logged")
        best, last = best_and_last(values, higher)
        finite = bool(np.isfinite(values).all())
    diverged = next((f for f in (getattr(diagnosis, "findings", None) or [])
                     if getattr(f, "code", None) == DIVERGED_CODE
                     and not getattr(f, "possible", False)), None)
    if best is None or not math.isfinite(best):
        return RunScore(run.id, None, f"no finite {metric}")
    if not finite:
        return RunScore(run.id, None, f"diverged: {metric} has NaN/inf values")
    if diverged is not None:
        return RunScore(run.id, None, f"diverged ({DIVERGED_CODE})")
    return RunScore(run.id, best if statistic == "best" else last)


def _has_tag(run: Run, tag: str) -> bool:
    return bool((run.scalars["tag"] == tag).any())


def group_stats(name: str, runs: Sequence[Run], diagnoses: Mapping[str, Diagnosis],
                metric: str | None, higher: bool, statistic: Statistic = "best",
                known: Mapping[str, KnownScore] | None = None) -> GroupStats:
    known = known or {}
    scores = tuple(run_score(r, diagnoses.get(r.id), metric, higher, statistic,
                             known.get(r.id)) for r in runs)
    values = [s.value for s in scores if s.excluded is None]
    mixed = tuple(k for k, vs in _values(runs).items() if len(vs) > 1 and not is_seed_key(k))
    return GroupStats(name, scores, seed_stats.spread(np.array(values, np.float64)), mixed)


# -- hyper-parameters ------------------------------------------------------------------------

def _values(runs: Sequence[Run]) -> dict[str, tuple[str, ...]]:
    """Each hyper-parameter (any run has) -> the sorted distinct values the runs give it."""
    keys = sorted({str(k) for r in runs for k in r.hparams})
    return {k: tuple(sorted({_text(r.hparams[k]) if k in r.hparams else "not set"
                             for r in runs})) for k in keys}


def _text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def hparam_diff(baseline: Sequence[Run], other: Sequence[Run]
                ) -> tuple[tuple[HparamDiff, ...], tuple[str, ...]]:
    """The hyper-parameters that differ (baseline's and other's values) and the ones that
    are equal ("key=value"), seeds aside."""
    a, b = _values(baseline), _values(other)
    differ, equal = [], []
    for key in sorted(set(a) | set(b)):
        if is_seed_key(key):
            continue
        va, vb = a.get(key, ("not set",)), b.get(key, ("not set",))
        if va == vb:
            equal.append(f"{key}={'|'.join(va)}")
        else:
            differ.append(HparamDiff(key, "|".join(va), "|".join(vb)))
    return tuple(differ), tuple(equal)


#: How many differing hyper-parameters a sentence names before "and N more".
SHOWN_DIFFS = 6


def confounded_warning(differ: Sequence[HparamDiff]) -> str | None:
    """'lr and batch_size both differ: the comparison is confounded' (None for one)."""
    if len(differ) < 2:
        return None
    names = [d.key for d in differ]
    if len(names) == 2:
        return f"{names[0]} and {names[1]} both differ: the comparison is confounded"
    if len(names) > SHOWN_DIFFS:  # a trainer's every setting (Ultralytics' args.yaml)
        return f"{names_text(names)} all differ: the comparison is confounded"
    return (f"{', '.join(names[:-1])} and {names[-1]} all differ: the comparison is "
            "confounded")


def names_text(names: Sequence[str]) -> str:
    """Hyper-parameter names for a sentence: all of them, or ``SHOWN_DIFFS`` and a count."""
    if len(names) > SHOWN_DIFFS:
        return f"{', '.join(names[:SHOWN_DIFFS])} and {len(names) - SHOWN_DIFFS} more"
    return ", ".join(names)


# -- comparisons -----------------------------------------------------------------------------

def compare_with_baseline(groups: Mapping[str, Sequence[Run]], baseline: str,
                          diagnoses: Mapping[str, Diagnosis], *, metric: str | None = None,
                          statistic: Statistic = "best",
                          known: Mapping[str, KnownScore] | None = None) -> BaselineReport:
    """Compare every group in ``groups`` but ``baseline`` with it (KeyError if absent).

    The metric is the judged role most of the baseline's runs have unless given (a role
    or a tag, its direction from the role table). The seed spread of the baseline is the
    yardstick of every comparison; without two usable baseline seeds, the pooled spread
    of the groups that have them. ``known``: stored scores of runs read without scalars.
    """
    base_runs = groups[baseline]
    if metric is None:
        metric, higher = choose_metric(base_runs)
    else:
        higher = _higher(metric)
    stats = {name: group_stats(name, runs, diagnoses, metric, higher, statistic, known)
             for name, runs in groups.items()}
    base = stats[baseline]
    noise = base.spread.sd or seed_stats.pooled_sd(*(g.values for g in stats.values()))
    comparisons = tuple(
        _compare(base, stats[name], base_runs, runs, metric, higher, noise)
        for name, runs in groups.items() if name != baseline)
    return BaselineReport(metric, higher, statistic, base, comparisons,
                          seed_noise_sentence(base, metric, statistic),
                          excluded_sentence([s for g in stats.values() for s in g.scores]))


def _higher(metric: str) -> bool:
    roles = dict(JUDGED_ROLES)
    if metric in roles:
        return roles[metric]
    from curvedoc.ingest.roles import direction

    return direction(metric) == "higher"


def _compare(base: GroupStats, other: GroupStats, base_runs: Sequence[Run],
             other_runs: Sequence[Run], metric: str | None, higher: bool,
             noise: float | None) -> Comparison:
    differ, equal = hparam_diff(base_runs, other_runs)
    warnings = [w for w in [confounded_warning(differ)] if w]
    if not differ:
        warnings.append("no hyper-parameter differs (seeds aside): the runs may be the same "
                        "config, or their hparams were not logged")
    for g in (base, other):
        if g.mixed:
            warnings.append(f"the runs of {g.name} differ in {names_text(g.mixed)}: not the "
                            "seeds of one config")
    a, b = base.values, other.values
    sign = 1.0 if higher else -1.0
    if a.size == 0 or b.size == 0:
        empty = base.name if a.size == 0 else other.name
        sentence = f"{other.name}: nothing to compare, {empty} has no usable {metric}."
        return Comparison(other, differ, equal, None, None, None, None, "cannot_tell", noise,
                          None, tuple(warnings), sentence)
    test = seed_stats.compare(a, b)
    improvement = sign * test.diff
    lo = hi = None
    if test.low is not None and test.high is not None:
        lo, hi = sorted((sign * test.low, sign * test.high))
    if test.welch_p is None:
        verdict: Verdict = "cannot_tell"
    elif test.welch_p < seed_stats.ALPHA and improvement != 0:
        verdict = "better" if improvement > 0 else "worse"
    else:
        verdict = "no_difference"
    # the spread both groups show when they can, else the baseline's seed noise
    noise = seed_stats.pooled_sd(a, b) if a.size > 1 and b.size > 1 else noise
    needed = (seed_stats.seeds_needed(noise, test.diff)
              if verdict in ("cannot_tell", "no_difference") and noise else None)
    needed = max(needed, seed_stats.MIN_SEEDS) if needed is not None else None
    cmp = Comparison(other, differ, equal, test, improvement, lo, hi, verdict, noise, needed,
                     tuple(warnings), "")
    return replace(cmp, sentence=sentence_of(cmp, base, metric))


# -- words -----------------------------------------------------------------------------------

def metric_words(metric: str | None) -> str:
    """'val_loss' -> 'val loss'."""
    return (metric or "metric").replace("_", " ")


def decimals(noise: float | None, amount: float | None) -> int:
    """Decimals for two significant digits of the seed noise (or of a tenth of the
    amount, when that is larger): 0.012 -> 3, so 0.090 and 0.064–0.115."""
    scales = [abs(s) for s in (noise, (amount or 0) / 10) if s and math.isfinite(s)]
    if not scales:
        return 3
    return int(min(6, max(0, 1 - math.floor(math.log10(max(scales))))))


def num(x: float, d: int) -> str:
    return f"{x:.{d}f}"


def num_range(lo: float, hi: float, d: int) -> str:
    """'0.064–0.115', or '-0.031 to 0.021' when a bound is negative."""
    return f"{num(lo, d)}{' to ' if lo < 0 or hi < 0 else '–'}{num(hi, d)}"


def p_text(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def _seeds(n: int) -> str:
    return f"{n} seed{'s' * (n != 1)}"


def names(c: Comparison, base: GroupStats) -> tuple[str, str]:
    """How the sentence names the group and the baseline: by the hyper-parameters that
    differ ("lr=0.03", "lr=0.03, batch_size=32"), else by the group names."""
    if not c.differ or len(c.differ) > 3:
        return c.group.name, base.name
    return (", ".join(f"{d.key}={d.other}" for d in c.differ),
            ", ".join(f"{d.key}={d.baseline}" for d in c.differ))


def sentence_of(c: Comparison, base: GroupStats, metric: str | None) -> str:
    """The comparison in one sentence, with the numbers that decide it."""
    other, baseline = names(c, base)
    words = metric_words(metric)
    t = c.test
    assert t is not None and c.improvement is not None
    d = decimals(c.noise_sd, c.improvement)
    amount = num(abs(c.improvement), d)
    counts = f"{c.group.spread.n} vs {_seeds(base.spread.n)}"
    if c.verdict in ("better", "worse"):
        assert t.welch_p is not None and c.improvement_low is not None
        lo, hi = c.improvement_low, c.improvement_high
        if c.verdict == "worse":
            lo, hi = -hi, -lo  # the interval of how much worse
        how = "beats" if c.verdict == "better" else "is worse than"
        return (f"{other} {how} the baseline {baseline} by {amount} {words} (95% CI "
                f"{num_range(lo, hi, d)}, {counts}, {p_text(t.welch_p)}).")
    direction = "better" if c.improvement > 0 else "worse" if c.improvement < 0 else "no"
    need = ""
    if c.seeds_needed is not None:
        more = "more than " if c.seeds_needed > seed_stats.MAX_SEEDS else ""
        need = (f"; telling {amount} apart from seed noise (sd "
                f"{num(c.noise_sd or 0, decimals(c.noise_sd, None))}) "
                f"needs about {more}{_seeds(min(c.seeds_needed, seed_stats.MAX_SEEDS))} "
                "per group")
    if c.verdict == "cannot_tell":
        few = c.group.name if c.group.spread.n < 2 else base.name
        if not c.noise_sd:
            need = "; no group has two seeds, so the seed spread is unknown: run 3 or more"
        n = min(c.group.spread.n, base.spread.n)
        return (f"{other} is {amount} {words} {direction} than the baseline {baseline}, but "
                f"with only {n} usable seed{'s' * (n != 1)} in {few} the "
                f"difference cannot be told from seed noise{need}.")
    assert t.welch_p is not None
    ci = ""
    if c.improvement_low is not None and c.improvement_high is not None:
        lo, hi = c.improvement_low, c.improvement_high
        if c.improvement < 0:
            lo, hi = -hi, -lo  # the interval of how much worse
        ci = f"95% CI {num_range(lo, hi, d)}, "
    return (f"{other} is not distinguishable from the baseline {baseline}: {amount} {words} "
            f"{direction} ({ci}{counts}, {p_text(t.welch_p)}), within seed noise{need}.")


def seed_noise_sentence(g: GroupStats, metric: str | None,
                        statistic: Statistic = "best") -> str:
    """The seed-to-seed spread of a group: the yardstick of every comparison with it."""
    s = g.spread
    words = metric_words(metric)
    which = "best" if statistic == "best" else "last"
    if s.n < 2 or s.sd is None:
        return (f"{g.name} has {_seeds(s.n)} with a usable {words}: its seed noise is "
                "unknown (run 3 or more seeds of it to measure it).")
    d = decimals(s.sd, None)
    assert s.mean is not None and s.low is not None and s.high is not None
    mixed = (f" (but its runs differ in {names_text(g.mixed)}, so the spread is not only "
             "seed noise)" if g.mixed else "")
    return (f"Seed noise: the {s.n} runs of {g.name} have a {which} {words} of "
            f"{num(s.mean, d)} ± {num(s.sd, d)} (sd; 95% CI of the mean "
            f"{num_range(s.low, s.high, d)}, range {num_range(s.min or 0, s.max or 0, d)})"
            f"{mixed}.")


def excluded_sentence(scores: Sequence[RunScore], of: str = "") -> str:
    """'2 runs left out, their metric unusable: a/seed_0: diverged (CD201); ...' for the
    scores that are excluded ('' if none); ``of`` says from what ("of the suggestion")."""
    out = [s for s in scores if s.excluded is not None]
    if not out:
        return ""
    listed = "; ".join(f"{s.run_id}: {s.excluded}" for s in out[:5])
    more = f" and {len(out) - 5} more" if len(out) > 5 else ""
    n = len(out)
    return (f"{n} run{'s' * (n != 1)} left out{' ' + of if of else ''}, "
            f"{'their' if n != 1 else 'its'} metric "
            f"unusable: {listed}{more}.")


def unusable_reason(run: Run, diagnosis: Diagnosis | None, metric: str | None,
                    higher: bool) -> str | None:
    """Why a run's ``metric`` cannot be used in a comparison or a sweep (None: it can)."""
    return run_score(run, diagnosis, metric, higher).excluded


def sibling_groups(names: Sequence[str], baseline: str) -> list[str]:
    """The folder groups beside ``baseline`` (same parent folder), baseline first; all
    groups when none sits beside it."""
    parent = baseline.rsplit("/", 1)[0] if "/" in baseline else ""
    beside = [n for n in names if n != baseline
              and (n.rsplit("/", 1)[0] if "/" in n else "") == parent]
    return [baseline] + (beside or [n for n in names if n != baseline])
