"""Generate the realistic trainer corpus: ~330 real PyTorch runs with their truth.

    python benchmarks/make_corpus.py                       # into benchmarks/_data/corpus
    python benchmarks/make_corpus.py --out DIR --jobs 2 [--limit N]
    python benchmarks/make_corpus.py --out DIR --truth-only    # re-judge, re-draw the sheets

Trains every run of :mod:`corpus_plan` with the bundled trainer (``curvedoc.trainer``)
into ``DIR/logs/<run id>/`` in the run's own logging style (TensorBoard with many tag
spellings, Lightning metrics.csv, HF trainer_state.json, Keras training.log; per step,
per epoch only, eval every N steps). Then writes:

* ``DIR/truth.json``: per run the labels its curves show (decided by
  :mod:`corpus_truth` from the logged values, not from the cause), ``accept`` (the
  accepted label sets, as in ``../shared/eval``-style truth files), ``ambiguous``
  (near a threshold: not scored), the split (``tune`` / ``test``, by data set and
  model family), the cause injected and its strength, and the numbers the criteria
  measured;
* ``DIR/histories.json``: every logged value by role (so ``--truth-only`` re-judges
  without training);
* ``DIR/sheets/*.png``: plot sheets of 50 runs each, titled with the truth, to audit it.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus_plan  # noqa: E402
import corpus_truth  # noqa: E402

DEFAULT_OUT = HERE / "_data" / "corpus"


def train_one(run_id: str, spec, out: str) -> dict:
    """Train one planned run (a top-level function, so pool workers can pickle it)."""
    from curvedoc.trainer.loop import train

    summary = train(spec, out)
    return {"run_id": run_id, "spec": repr(spec), "history": summary.history,
            "steps": summary.steps,
            "steps_per_epoch": summary.steps_per_epoch, "num_classes": summary.num_classes,
            "stopped": summary.stopped, "seconds": round(summary.seconds, 3)}


def _subset(runs: list, limit: int | None) -> list:
    if not limit or limit >= len(runs):
        return runs
    stride = len(runs) / limit
    return [runs[int(i * stride)] for i in range(limit)]


def generate(runs, out: Path, jobs: int, earlier: dict[str, dict]) -> dict[str, dict]:
    """Train every run, except those ``earlier`` holds with the same spec (reused)."""
    logs = out / "logs"
    done: dict[str, dict] = {r.run_id: earlier[r.run_id] for r in runs
                             if earlier.get(r.run_id, {}).get("spec") == repr(r.spec)
                             and (logs / r.run_id).is_dir()}
    if done:
        print(f"  {len(done)} runs reused (same spec as in histories.json)")
    tasks = [(r.run_id, r.spec, str(logs / r.run_id)) for r in runs if r.run_id not in done]
    started = time.perf_counter()

    def note(result: dict) -> None:
        done[result["run_id"]] = result
        if len(done) % 25 == 0 or len(done) == len(runs):
            print(f"  {len(done)}/{len(runs)} runs, {time.perf_counter() - started:.0f} s",
                  flush=True)

    if jobs <= 1:
        for task in tasks:
            note(train_one(*task))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            # longest first, so the pool does not wait on one slow run at the end
            order = sorted(tasks, key=lambda t: -corpus_plan.steps_per_epoch(t[1])
                           * t[1].epochs * (8 if t[1].model in ("rnn", "transformer") else 1))
            for future in as_completed([pool.submit(train_one, *t) for t in order]):
                note(future.result())
    return done


def _final_val(history: dict) -> tuple[float, float]:
    vals = [v for _, v in history.get("val_loss", [])]
    accs = [v for _, v in history.get("val_acc", [])]
    if len(vals) < 3 or not all(math.isfinite(v) for v in vals):
        return math.nan, math.nan
    loss = float(corpus_truth.smooth(__import__("numpy").asarray(vals))[-1])
    acc = float(sorted(accs[-3:])[len(accs[-3:]) // 2]) if accs else math.nan
    return loss, acc


def references(runs, results: dict[str, dict]) -> dict[str, tuple[float, float]]:
    """Per data set: the lowest final validation loss and the best final accuracy of its
    healthy runs (what the task allows)."""
    refs: dict[str, tuple[float, float]] = {}
    for r in runs:
        if r.cause != "healthy" or r.run_id not in results:
            continue
        loss, acc = _final_val(results[r.run_id]["history"])
        if not math.isfinite(loss):
            continue
        old = refs.get(r.dataset, (math.inf, -math.inf))
        refs[r.dataset] = (min(old[0], loss), max(old[1], acc if math.isfinite(acc)
                                                  else -math.inf))
    return refs


@functools.cache
def prior_loss(dataset: str, train_size: int | None) -> float:
    """The cross-entropy of predicting the training labels' class frequencies (nan for
    regression): the level a network that learned only its output bias reaches."""
    import numpy as np

    from curvedoc.trainer.data import load

    data = load(dataset, train_size)
    if not data.num_classes:
        return math.nan
    p = np.bincount(data.y_train.numpy(), minlength=data.num_classes) / len(data.y_train)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def init_logged(history: dict) -> bool:
    """A loss at (or before) the first update is on the curves."""
    val = history.get("val_loss", [])
    train = history.get("train_step", [])
    return bool((val and val[0][0] == 0) or (train and train[0][0] == 1))


def judge(runs, results: dict[str, dict]) -> dict[str, dict]:
    refs = references(runs, results)
    truth: dict[str, dict] = {}
    for r in runs:
        res = results.get(r.run_id)
        if res is None:
            continue
        ref_loss, ref_acc = refs.get(r.dataset, (math.nan, math.nan))
        facts = corpus_truth.RunFacts(
            history={k: [tuple(p) for p in v] for k, v in res["history"].items()},
            steps_per_epoch=res["steps_per_epoch"],
            planned_steps=res["steps_per_epoch"] * r.spec.epochs,
            num_classes=res["num_classes"], init_logged=init_logged(res["history"]),
            ref_val_loss=ref_loss, ref_val_acc=ref_acc,
            prior_loss=prior_loss(r.dataset, r.spec.train_size))
        t = corpus_truth.decide(facts)
        labels = sorted(t.labels)
        # the main reading, each other reading, and all of them together
        readings = [set(t.labels), *t.alternatives, set(t.labels).union(*t.alternatives)]
        accept = [labels]
        for reading in readings:
            if sorted(reading) not in accept:
                accept.append(sorted(reading))
        from curvedoc.trainer.styles import style_of

        style = style_of(r.spec.log_style, r.spec.logger)
        truth[r.run_id] = {
            "path": r.run_id, "labels": labels,
            "accept": accept,
            "ambiguous": bool(t.ambiguous), "ambiguous_why": t.ambiguous,
            "split": r.split, "dataset": r.dataset, "family": r.family,
            "cause": r.cause, "variant": r.variant, "strength": r.strength,
            "log_style": r.spec.log_style, "format": style.format,
            "num_classes": res["num_classes"], "stopped": res["stopped"],
            "why": t.why,
        }
    return truth


def draw_sheets(runs, results, truth, out: Path, per_sheet: int = 50) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    sheets = out / "sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    for old in sheets.glob("*.png"):
        old.unlink()
    made = []
    ordered = [r for r in runs if r.run_id in truth]
    for k in range(0, len(ordered), per_sheet):
        chunk = ordered[k:k + per_sheet]
        cols = 5
        rows = math.ceil(len(chunk) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(cols * 4.2, rows * 2.9), squeeze=False)
        for ax in axes.flat[len(chunk):]:
            ax.axis("off")
        for ax, r in zip(axes.flat, chunk, strict=False):
            h = results[r.run_id]["history"]
            t = truth[r.run_id]
            for role, style in (("train_step", dict(color="tab:blue", alpha=0.35, lw=0.7)),
                                ("train_epoch", dict(color="tab:blue", lw=1.4)),
                                ("val_loss", dict(color="tab:orange", lw=1.4, marker=".",
                                                  ms=3))):
                pts = h.get(role) or []
                if pts:
                    s, v = zip(*pts, strict=True)
                    v = np.asarray(v, float)
                    v = np.where(np.isfinite(v), v, np.nan)
                    ax.plot(s, v, **style)
            if not h.get("train_epoch") and h.get("train_step"):
                facts = corpus_truth.RunFacts(h, results[r.run_id]["steps_per_epoch"], 0,
                                              0, False, math.nan)
                es, ev = corpus_truth.epoch_train(facts)
                ax.plot(es, ev, color="tab:blue", lw=1.4)
            finite = [v for role in ("train_step", "train_epoch", "val_loss")
                      for _, v in h.get(role) or [] if math.isfinite(v)]
            if finite:
                lo, hi = min(finite), np.percentile(finite, 99)
                if hi > 0 and lo > 0 and hi / lo > 30:
                    ax.set_yscale("log")
            if h.get("lr"):
                ax2 = ax.twinx()
                s, v = zip(*h["lr"], strict=True)
                ax2.plot(s, v, color="tab:green", lw=0.8, alpha=0.6)
                ax2.set_yticks([])
            label = " or ".join(",".join(a) or "healthy" for a in t["accept"])
            amb = " ?" if t["ambiguous"] else ""
            color = "red" if t["ambiguous"] else "black"
            ax.set_title(f"{r.run_id} [{r.split}]\nTRUTH {label}{amb} | cause {r.cause} "
                         f"{r.strength}\n{r.variant} / {r.spec.log_style}", fontsize=7,
                         color=color)
            ax.tick_params(labelsize=6)
        fig.tight_layout()
        path = sheets / f"sheet_{k // per_sheet:02d}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(path)
    return made


def summarize(truth: dict[str, dict]) -> None:
    scored = [t for t in truth.values() if not t["ambiguous"]]
    print(f"{len(truth)} runs, {len(scored)} scored, {len(truth) - len(scored)} ambiguous")
    for split in ("tune", "test"):
        rows = [t for t in scored if t["split"] == split]
        c = Counter(lab for t in rows for lab in t["labels"] or ["healthy"])
        print(f"  {split}: {len(rows)} scored runs; " + ", ".join(f"{k} {v}" for k, v in
                                                                   sorted(c.items())))
    healthy = sum(not t["labels"] for t in scored)
    print(f"  healthy by truth: {healthy} of {len(scored)} ({healthy / max(len(scored), 1):.0%})")
    agree = Counter((t["cause"], ",".join(t["labels"]) or "healthy") for t in truth.values())
    print("  cause -> truth:")
    for (cause, lab), n in sorted(agree.items()):
        print(f"    {cause:18s} -> {lab:30s} {n}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (one core each)")
    ap.add_argument("--limit", type=int, default=None, help="only N runs, spread over the plan")
    ap.add_argument("--truth-only", action="store_true",
                    help="re-judge the runs of DIR/histories.json and redraw the sheets")
    ap.add_argument("--no-sheets", action="store_true")
    ap.add_argument("--draw", type=int, default=0,
                    help="another draw of the same matrix: every run's variant, style and "
                         "seed drawn afresh (e.g. --draw 2 --out benchmarks/_data/corpus_2), "
                         "data no rule was tuned on")
    ap.add_argument("--fresh", action="store_true",
                    help="retrain every run (default: reuse runs whose spec is unchanged)")
    args = ap.parse_args(argv)
    runs = _subset(corpus_plan.plan(draw=args.draw), args.limit)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    hist_path = out / "histories.json"
    started = time.perf_counter()
    if args.truth_only:
        results = json.loads(hist_path.read_text())
        stale = [r.run_id for r in runs
                 if results.get(r.run_id, {}).get("spec") not in (None, repr(r.spec))]
        if stale:
            print(f"{hist_path}: {len(stale)} runs (e.g. {stale[0]}) were trained from "
                  "another plan; pass the --draw this folder was made with", file=sys.stderr)
            return 2
    else:
        print(f"training {len(runs)} runs into {out / 'logs'} with {args.jobs} worker(s)")
        earlier = {} if args.fresh or not hist_path.is_file() else json.loads(
            hist_path.read_text())
        results = generate(runs, out, args.jobs, earlier)
        hist_path.write_text(json.dumps(results))
        print(f"trained in {time.perf_counter() - started:.0f} s "
              f"({sum(r['seconds'] for r in results.values()):.0f} s of training, reused runs "
              "included)")
    truth = judge(runs, results)
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True))
    summarize(truth)
    if not args.no_sheets:
        sheets = draw_sheets(runs, results, truth, out)
        print(f"{len(sheets)} plot sheets in {out / 'sheets'}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
