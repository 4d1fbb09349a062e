"""How well do the rules diagnose? Synthetic curves, the trainer corpus, real logs, side by side.

    python benchmarks/bench_diagnostics.py                      # every set that is present
    python benchmarks/bench_diagnostics.py --sets corpus-test,real-dev --errors
    python benchmarks/bench_diagnostics.py --n 50 --corpus DIR --markdown

Sets:

* synthetic-heldout / synthetic-unseen   diagnostics/synthetic.py, seeds 1000.. of the
        "varied" and "unseen" families (synthetic-tune: families "tune" + "varied", seeds
        0..n-1, the curves thresholds were first tuned on).
* corpus-tune / corpus-test   the trainer corpus that benchmarks/make_corpus.py generates
        (default benchmarks/_data/corpus): real PyTorch runs in 17 logging styles, truth
        decided from the logged curves; split by data set and model family.
* real-dev   ``<repo>/../shared/eval/real-dev`` when present (logs/ + truth.json): logs that
        public repositories committed, labelled by eye. Skipped, saying so, when absent.
* samples    sample_runs/scenarios/<label>/... (the committed trainer runs).

A run is right when its label set is one of the sets its truth accepts (real-dev may
accept several; ``ambiguous`` runs are not scored), as ../shared/eval/score.py scores.
Per-label counts compare with the accepted set nearest to the prediction. The healthy
false-alarm rate is the share of runs whose main (first) accepted reading is "healthy"
that got labels their truth does not accept. The confusion matrix counts, per run,
every (true label, predicted label) pair, with "healthy" standing for an empty set.
The reliability table bins every labelled finding by its confidence and gives the
fraction whose label is in the nearest truth; the calibration suggestion fits an
isotonic map per rule code on corpus-tune.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from curvedoc.diagnostics import LABELS, diagnose
from curvedoc.diagnostics.calibration import MIN_FINDINGS, fit_per_rule, reliability
from curvedoc.diagnostics.synthetic import KINDS, make_run, truth

REPO = Path(__file__).resolve().parents[1]
REAL_DEV = REPO.parent / "shared" / "eval" / "real-dev"
CORPUS = REPO / "benchmarks" / "_data" / "corpus"
HEALTHY = "healthy"


@dataclass(frozen=True)
class Found:
    """One labelled finding: its rule code, label and confidence."""

    code: str
    label: str
    confidence: float


@dataclass
class Case:
    """One scored run: what its truth accepts and what curvedoc said."""

    run_id: str
    accept: list[frozenset[str]]
    predicted: frozenset[str]
    findings: list[Found] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return self.predicted in self.accept

    @property
    def nearest(self) -> frozenset[str]:
        p = self.predicted
        return min(self.accept, key=lambda a: (len(a ^ p), -len(a & p)))

    @property
    def healthy(self) -> bool:
        """Its first (main) accepted reading is "healthy"."""
        return bool(self.accept) and not self.accept[0]

    @property
    def false_alarm(self) -> bool:
        """A healthy run given labels its truth does not accept."""
        return self.healthy and bool(self.predicted) and not self.right


@dataclass
class Report:
    name: str
    cases: list[Case]
    seconds: float
    skipped: int = 0
    #: why the set is missing (then cases is empty)
    absent: str = ""

    # -- scores ----------------------------------------------------------------------------

    def per_label(self) -> dict[str, tuple[float, float, float, int, int, int]]:
        """label -> (precision, recall, F1, tp, fp, fn)."""
        tp, fp, fn = Counter(), Counter(), Counter()
        for c in self.cases:
            near = c.nearest
            for lab in LABELS:
                tp[lab] += lab in near and lab in c.predicted
                fp[lab] += lab not in near and lab in c.predicted
                fn[lab] += lab in near and lab not in c.predicted
        out = {}
        for lab in LABELS:
            p = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
            r = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[lab] = (p, r, f, tp[lab], fp[lab], fn[lab])
        return out

    def macro_f1(self) -> float:
        scores = [s for s in self.per_label().values() if s[3] + s[4] + s[5]]
        return sum(s[2] for s in scores) / len(scores) if scores else 0.0

    def right_share(self) -> float:
        return sum(c.right for c in self.cases) / max(len(self.cases), 1)

    def healthy_alarms(self) -> tuple[int, int]:
        healthy = [c for c in self.cases if c.healthy]
        return sum(c.false_alarm for c in healthy), len(healthy)

    def confusion(self) -> dict[str, Counter]:
        rows: dict[str, Counter] = {lab: Counter() for lab in (*LABELS, HEALTHY)}
        for c in self.cases:
            for t in sorted(c.nearest) or [HEALTHY]:
                for p in sorted(c.predicted) or [HEALTHY]:
                    rows[t][p] += 1
        return rows

    def finding_outcomes(self) -> list[tuple[str, float, bool]]:
        """(rule code, confidence, label right) of every labelled finding."""
        return [(f.code, f.confidence, f.label in c.nearest)
                for c in self.cases for f in c.findings]


# -- the sets --------------------------------------------------------------------------------


def _case(run_id: str, accept: Iterable[Iterable[str]], diagnosis) -> Case:
    found = [Found(f.code, f.label, float(f.confidence)) for f in diagnosis.findings
             if f.label]
    return Case(run_id, [frozenset(a) for a in accept], frozenset(diagnosis.labels), found,
                [f"{f.code} {f.label} {f.confidence:.2f}: {f.message}"
                 for f in diagnosis.findings if f.label])


def synthetic_cases(plan: list[tuple[str, Iterable[int]]]) -> Iterator[Case]:
    for family, seeds in plan:
        for seed in seeds:
            for kind in KINDS:
                run = make_run(kind, seed, family)
                yield _case(run.id, [truth(run)], diagnose(run, None))


def _matches(path: str, run_id: str) -> bool:
    """A truth path names a run folder; a reader may name the run by a sub-folder
    (Lightning's version_0) or the folder of a single log file."""
    run_id = run_id.replace("\\", "/").strip("/")
    if run_id == path or run_id.startswith(path + "/") or run_id.endswith("/" + path):
        return True
    return "." in Path(path).name and run_id == str(Path(path).parent)


def truth_file_cases(logs: Path, truth_path: Path, keep) -> tuple[list[Case], int]:
    """Cases of a logs/ + truth.json set (``keep(entry)`` selects entries); ambiguous
    entries are counted, not scored. One entry's labels are the union over its runs."""
    from curvedoc.diagnostics.batch import diagnose_all
    from curvedoc.ingest import open_root

    entries = {k: v for k, v in json.loads(truth_path.read_text()).items() if keep(v)}
    catalog = open_root(str(logs), cache=False)
    diagnoses = diagnose_all(catalog.runs, catalog.config, jobs=1)
    cases, skipped = [], 0
    for name, entry in sorted(entries.items()):
        if entry.get("ambiguous"):
            skipped += 1
            continue
        hits = [d for rid, d in diagnoses.items() if _matches(entry["path"], rid)]
        accept = [frozenset(a) for a in entry["accept"]]
        if not hits:
            cases.append(Case(name, accept, frozenset(), messages=["no run found"]))
            continue
        found = [Found(f.code, f.label, float(f.confidence))
                 for d in hits for f in d.findings if f.label]
        labels = frozenset(lab for d in hits for lab in d.labels)
        messages = [f"{f.code} {f.label} {f.confidence:.2f}: {f.message}"
                    for d in hits for f in d.findings if f.label]
        cases.append(Case(name, accept, labels, found, messages))
    return cases, skipped


def sample_cases(root: Path) -> Iterator[Case]:
    from curvedoc.ingest import open_root

    catalog = open_root(str(root), cache=False)
    for rid, run in catalog.runs.items():
        parts = rid.split("/")
        label = next((p for p in parts if p in LABELS or p == HEALTHY), None)
        if label is not None:
            true = frozenset() if label == HEALTHY else frozenset({label})
            yield _case(rid, [true], diagnose(run, catalog.config))


def build(name: str, args) -> Report:
    t0 = time.perf_counter()
    held = range(1000, 1000 + args.n)
    synthetic = {"synthetic-tune": [("tune", range(args.n)), ("varied", range(args.n))],
                 "synthetic-heldout": [("varied", held)],
                 "synthetic-unseen": [("unseen", held)]}
    if name in synthetic:
        return Report(name, list(synthetic_cases(synthetic[name])), time.perf_counter() - t0)
    if name.startswith("corpus-"):
        split = name.removeprefix("corpus-")
        truth_path = args.corpus / "truth.json"
        if not truth_path.is_file():
            return Report(name, [], 0.0, absent=f"no corpus at {args.corpus}; make it with "
                          "`python benchmarks/make_corpus.py --jobs 2`")
        cases, skipped = truth_file_cases(args.corpus / "logs", truth_path,
                                          lambda e: e.get("split") == split)
        return Report(name, cases, time.perf_counter() - t0, skipped)
    if name == "real-dev":
        if not (REAL_DEV / "truth.json").is_file():
            return Report(name, [], 0.0, absent=f"{REAL_DEV} is absent (it lives beside the "
                          "repository, in ../shared/eval/real-dev)")
        cases, skipped = truth_file_cases(REAL_DEV / "logs", REAL_DEV / "truth.json",
                                          lambda e: True)
        return Report(name, cases, time.perf_counter() - t0, skipped)
    if name == "samples":
        root = REPO / "sample_runs" / "scenarios"
        if not root.is_dir():
            return Report(name, [], 0.0, absent=f"no sample runs at {root}")
        return Report(name, list(sample_cases(root)), time.perf_counter() - t0)
    raise SystemExit(f"unknown set {name!r}")


# -- printing --------------------------------------------------------------------------------


def _f(x: float) -> str:
    return "  -  " if x != x else f"{x:.2f}"


def print_summary(reports: list[Report], markdown: bool) -> None:
    present = [r for r in reports if r.cases]
    head = ["set", "runs", "right", "macro-F1", "healthy flagged",
            *(f"{lab} P/R" for lab in LABELS)]
    rows = []
    for r in present:
        alarms, healthy = r.healthy_alarms()
        per = r.per_label()
        rows.append([r.name, f"{len(r.cases)}" + (f" (+{r.skipped} amb.)" if r.skipped else ""),
                     f"{r.right_share():.0%}", f"{r.macro_f1():.3f}",
                     f"{alarms}/{healthy} ({alarms / max(healthy, 1):.0%})",
                     *(f"{_f(per[lab][0])}/{_f(per[lab][1])}" if sum(per[lab][3:]) else "-"
                       for lab in LABELS)])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
        for row in [head, *rows]:
            print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    for r in reports:
        if r.absent:
            print(f"({r.name}: {r.absent})")


def print_detail(r: Report, errors: bool) -> None:
    alarms, healthy = r.healthy_alarms()
    print(f"\n== {r.name}: {len(r.cases)} scored runs ({r.skipped} ambiguous not scored), "
          f"{r.seconds:.1f} s")
    print(f"right {sum(c.right for c in r.cases)}/{len(r.cases)} ({r.right_share():.0%}); "
          f"macro-F1 {r.macro_f1():.3f}; healthy runs flagged {alarms} of {healthy}")
    print(f"{'label':20s} {'prec':>6s} {'recall':>6s} {'F1':>6s}   tp  fp  fn")
    for lab, (p, rc, f, tp, fp, fn) in r.per_label().items():
        print(f"{lab:20s} {p:6.3f} {rc:6.3f} {f:6.3f} {tp:4d}{fp:4d}{fn:4d}")
    cols = [*LABELS, HEALTHY]
    short = {lab: lab[:9] for lab in cols}
    print("confusion (rows: truth, columns: predicted; a run counts once per pair)")
    print(" " * 20 + " ".join(f"{short[c]:>9s}" for c in cols))
    for t, row in r.confusion().items():
        if sum(row.values()):
            print(f"{t:20s}" + " ".join(f"{row[c]:9d}" for c in cols))
    outcomes = r.finding_outcomes()
    if outcomes:
        print("reliability (labelled findings by confidence: share whose label is right)")
        for lo, hi, n, mean, right in reliability([o[1] for o in outcomes],
                                                  [o[2] for o in outcomes]):
            if n:
                print(f"  {lo:.1f}-{hi:.1f}: {n:4d} findings, mean confidence {mean:.2f}, "
                      f"right {right:.2f}")
    if errors:
        for c in r.cases:
            if not c.right:
                want = [sorted(a) or [HEALTHY] for a in c.accept]
                print(f"  MISS {c.run_id}: want {want} got {sorted(c.predicted) or HEALTHY}")
                for m in c.messages[:4]:
                    print(f"       {m[:160]}")


def print_calibration(r: Report) -> None:
    outcomes = r.finding_outcomes()
    fitted = fit_per_rule(outcomes)
    print(f"\n== calibration suggested by {r.name} (isotonic per rule, >= {MIN_FINDINGS} findings)")
    by_code: dict[str, list[tuple[float, bool]]] = {}
    for code, conf, right in outcomes:
        by_code.setdefault(code, []).append((conf, right))
    for code, pairs in sorted(by_code.items()):
        right = sum(p[1] for p in pairs) / len(pairs)
        mean = sum(p[0] for p in pairs) / len(pairs)
        line = f"  {code}: {len(pairs):4d} findings, mean confidence {mean:.2f}, right {right:.2f}"
        cal = fitted.get(code)
        if cal:
            line += "; raw 0.6/0.8/0.95 -> " + "/".join(f"{cal(x):.2f}" for x in (0.6, 0.8, 0.95))
        print(line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="synthetic seeds per label and set")
    ap.add_argument("--sets", default="synthetic-heldout,synthetic-unseen,corpus-tune,"
                    "corpus-test,real-dev,samples",
                    help="comma-separated; also synthetic-tune")
    ap.add_argument("--corpus", type=Path, default=CORPUS,
                    help="the folder make_corpus.py wrote (truth.json, logs/)")
    ap.add_argument("--errors", action="store_true", help="list misdiagnosed runs")
    ap.add_argument("--markdown", action="store_true", help="the summary as a markdown table")
    args = ap.parse_args(argv)
    reports = [build(name, args) for name in args.sets.split(",")]
    for r in reports:
        if r.cases:
            print_detail(r, args.errors)
    tune = next((r for r in reports if r.name == "corpus-tune" and r.cases), None)
    if tune:
        print_calibration(tune)
    print("\n== summary")
    print_summary(reports, args.markdown)
    held = [r for r in reports if r.name in ("synthetic-heldout", "synthetic-unseen")
            and r.cases]
    return 0 if all(r.macro_f1() >= 0.9 for r in held) else 1


if __name__ == "__main__":
    sys.exit(main())
