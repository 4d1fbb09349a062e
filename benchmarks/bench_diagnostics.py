"""How well do the rules diagnose? Per-label precision, recall, F1 and macro-F1.

    python benchmarks/bench_diagnostics.py                 # tune + held-out sets
    python benchmarks/bench_diagnostics.py --n 200 --errors
    python benchmarks/bench_diagnostics.py --samples sample_runs/scenarios

Sets (see diagnostics/synthetic.py):

* tune     families "tune" and "varied", seeds 0..n-1: the only curves thresholds
           were tuned on (their misdiagnoses were read, rules changed).
* heldout  family "varied" (power-law / two-phase decays, Student-t noise, percent
           accuracy, runs without validation), seeds 1000..: same families, other
           seeds, never read while tuning.
* unseen   family "unseen" (stretched-exponential / hyperbolic decays, AR(1) and
           Laplace noise, irregular logging from step 1), seeds 1000..: shapes never
           looked at while tuning. heldout and unseen are the scores that count.
* samples  the trainer's real runs under sample_runs/scenarios/<label>/... (healthy
           runs under a folder named "healthy"), read with curvedoc.ingest.open_root.

Each run counts once per label: a label predicted and true is a TP, predicted and
not true a FP (so a healthy run with any label is a false alarm), true and not
predicted a FN.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from curvedoc.diagnostics import LABELS, diagnose
from curvedoc.diagnostics.synthetic import KINDS, make_run, truth


def score(pairs):
    """pairs: list of (true set, predicted set) -> {label: (p, r, f1, support)}, macro-F1."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for true, pred in pairs:
        for lab in LABELS:
            tp[lab] += lab in true and lab in pred
            fp[lab] += lab not in true and lab in pred
            fn[lab] += lab in true and lab not in pred
    out = {}
    for lab in LABELS:
        p = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
        r = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[lab] = (p, r, f, tp[lab] + fn[lab])
    present = [lab for lab in LABELS if out[lab][3]]
    macro = sum(out[lab][2] for lab in present) / max(len(present), 1)
    return out, macro


def synthetic_set(family: str, seeds):
    for seed in seeds:
        for kind in KINDS:
            yield make_run(kind, seed, family)


def sample_set(root: Path):
    from curvedoc.ingest import open_root

    cat = open_root(str(root))
    for rid, run in cat.runs.items():
        parts = rid.split("/")
        true = next((p for p in parts if p in LABELS or p == "healthy"), None)
        if true is None:
            continue
        yield run, (set() if true == "healthy" else {true}), cat.config


def report(name, pairs, healthy_alarms, n_healthy, seconds, errors=None):
    out, macro = score(pairs)
    print(f"\n== {name}: {len(pairs)} runs, {seconds:.1f} s")
    print(f"{'label':20s} {'prec':>6s} {'recall':>6s} {'F1':>6s} {'n':>5s}")
    for lab, (p, r, f, n) in out.items():
        print(f"{lab:20s} {p:6.3f} {r:6.3f} {f:6.3f} {n:5d}")
    print(f"macro-F1 {macro:.3f}; healthy runs with a label: {healthy_alarms} of {n_healthy}")
    for line in (errors or [])[:150]:
        print("  ", line)
    return macro


def evaluate(name: str, items, list_errors: bool) -> float | None:
    """Diagnose each (run, true labels, config), print the scores, return the macro-F1
    (None, printing nothing, when there was no run)."""
    t0 = time.perf_counter()
    pairs, errs, alarms, healthy = [], [], 0, 0
    for run, true, config in items:
        d = diagnose(run, config)
        pred = set(d.labels)
        pairs.append((true, pred))
        if not true:
            healthy += 1
            alarms += bool(pred)
        if true != pred:
            errs.append(f"{run.id}: true {sorted(true)} got {sorted(pred)} "
                        f"{[f.code + ': ' + f.message for f in d.findings if f.label]}")
    if not pairs:
        return None
    return report(name, pairs, alarms, healthy, time.perf_counter() - t0,
                  errs if list_errors else None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="seeds per label and set")
    ap.add_argument("--sets", default="tune,heldout,unseen",
                    help="tune,heldout,unseen (comma-separated)")
    ap.add_argument("--samples", type=Path, default=None,
                    help="folder of labelled sample runs (default: sample_runs/scenarios "
                         "when it exists)")
    ap.add_argument("--errors", action="store_true", help="list misdiagnosed runs")
    args = ap.parse_args(argv)
    held = range(1000, 1000 + args.n)
    plan = {"tune": [("tune", range(args.n)), ("varied", range(args.n))],
            "heldout": [("varied", held)], "unseen": [("unseen", held)]}
    macros = {}
    for name in args.sets.split(","):
        items = ((run, truth(run), None)
                 for family, seeds in plan[name] for run in synthetic_set(family, seeds))
        macros[name] = evaluate(name, items, args.errors)
    samples = args.samples or Path(__file__).resolve().parents[1] / "sample_runs" / "scenarios"
    if samples.is_dir():
        macro = evaluate("samples", sample_set(samples), args.errors)
        if macro is not None:
            macros["samples"] = macro
    else:
        print(f"\n(no sample runs at {samples})")
    return 0 if min(macros.get("heldout", 1.0), macros.get("unseen", 1.0)) >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
