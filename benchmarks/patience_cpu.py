"""Stopping sooner, measured exactly from rows already trained. Under the plateau schedule the learning rate falls
after every epoch without a new best whatever `patience` is, and patience only decides when training stops: a row
trained with patience P ran, epoch for epoch, what the same row with patience p < P runs until p stops it. So each
row's history gives, without training anything, the epoch at which patience p stops, the best validation accuracy it
keeps and the epoch-seconds it spends. Where p keeps the same best epoch it keeps the same weights, hence the same
test accuracy; where it keeps an earlier epoch the test accuracy is not in the history, and the record says so
(None) rather than guess.

The same histories bound every stopping rule on this trajectory, with hindsight: a rule that keeps a validation
accuracy within `--within` points of the row's best must train at least to the first epoch that reaches it. The
record's `hindsight` gives that epoch per row and the epoch-seconds to it, against the trained rows' epoch-seconds to
their best epoch and in all; no rule that only stops sooner can spend less.

    python benchmarks/patience_cpu.py ARTIFACTS [--profile cpu] [--replicates 1 2 3] [--patience 1 2] [--within 0.3]
                                      [--median-seconds] [--out RECORD.json]

ARTIFACTS holds the profile's trained rows (a report run, `elmo-lib replicate N`); nothing is computed. Timings are
the rows' own epoch seconds, so the ratio compares epochs of one run on one machine; with --median-seconds each epoch
counts as its row's median epoch (for rows trained while other work shared the machine, which slowed some epochs).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from statistics import median

from elmo_lib.config import get_profile
from elmo_lib.io import write_json
from elmo_lib.provenance import cpu_model, git_commit
from elmo_lib.registry import is_baseline, rows
from elmo_lib.study import Study


def stopped_at(history: list[dict], patience: int) -> tuple[int, int]:
    """Return (the epoch at which `patience` epochs without a new best validation accuracy stop training, the best
    epoch kept), epochs counted from 1, for a plateau-schedule history run with a patience at least as long."""
    best_epoch, best = 0, float("-inf")
    for entry in history:
        epoch, accuracy = entry["epoch"], entry["val_accuracy"]
        if accuracy > best or best_epoch == 0:
            best_epoch, best = epoch, accuracy
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return history[-1]["epoch"], best_epoch


def under_patience(record: dict, patience: int) -> dict:
    """Return what `patience` would have given a trained row: epochs run, best epoch, its validation accuracy, the
    epoch-seconds spent, and the test accuracy where the best epoch is the trained row's (else None)."""
    stop, best = stopped_at(record["history"], patience)
    same = best == record["best_epoch"]
    return {"epochs": stop, "best_epoch": best, "validation_accuracy": record["history"][best - 1]["val_accuracy"],
            "seconds": round(sum(record["epoch_seconds"][:stop]), 1),
            "test_accuracy": record["test"]["accuracy"] if same else None, "same_weights": same}


def first_within(history: list[dict], points: float) -> int:
    """Return the first epoch (from 1) whose validation accuracy is within `points` percentage points of the
    history's best: the earliest any stopping rule on this trajectory can stop and keep that accuracy."""
    best = max(entry["val_accuracy"] for entry in history)
    return next(entry["epoch"] for entry in history if entry["val_accuracy"] >= best - points / 100)


def with_median_seconds(record: dict) -> dict:
    """Return `record` with each epoch's seconds replaced by the median of its row's epochs."""
    seconds = record["epoch_seconds"]
    return {**record, "epoch_seconds": [median(seconds)] * len(seconds)}


def hindsight(record: dict, points: float) -> dict:
    """Return the hindsight bound of a trained row: the first epoch within `points` of its best, its validation
    accuracy, and the epoch-seconds to it, to the trained best epoch and in all."""
    epoch, seconds = first_within(record["history"], points), record["epoch_seconds"]
    return {"epoch": epoch, "validation_accuracy": record["history"][epoch - 1]["val_accuracy"],
            "seconds": round(sum(seconds[:epoch]), 1), "seconds_to_best": round(sum(seconds[:record["best_epoch"]]), 1),
            "seconds_all": round(sum(seconds), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifacts", type=Path)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--replicates", type=int, nargs="+", default=[1])
    parser.add_argument("--patience", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--within", type=float, default=0.3,
                        help="points of validation accuracy the hindsight bound may lose (default 0.3)")
    parser.add_argument("--median-seconds", action="store_true",
                        help="count each epoch as its row's median epoch seconds")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    profile = get_profile(args.profile, {"replicates": max(args.replicates)})
    trained = get_profile(args.profile).classifier.patience
    if profile.classifier.schedule not in (None, "plateau") or any(p >= trained for p in args.patience):
        raise SystemExit(f"profile {args.profile}: the rows must train with the plateau schedule and a patience "
                         f"({trained}) above each --patience {args.patience}")
    study = Study(profile, args.artifacts)
    study.compute_missing = False  # read what is trained; a missing row is an error naming it
    keys = [key for key in rows(profile) if not is_baseline(key)]
    found, totals = {}, {"trained": 0.0, **{str(p): 0.0 for p in args.patience}}
    for number in args.replicates:
        for key in keys:
            record = study.replicate(number).result(key)
            record = with_median_seconds(record) if args.median_seconds else record
            entry = {"trained": {"epochs": len(record["history"]), "best_epoch": record["best_epoch"],
                                 "validation_accuracy": record["validation"]["accuracy"],
                                 "seconds": round(sum(record["epoch_seconds"]), 1),
                                 "test_accuracy": record["test"]["accuracy"]},
                     **{str(p): under_patience(record, p) for p in args.patience},
                     "hindsight": hindsight(record, args.within)}
            found[f"replicate {number}/{key}"] = entry
            totals["trained"] += entry["trained"]["seconds"]
            for p in args.patience:
                totals[str(p)] += entry[str(p)]["seconds"]
            shown = "; ".join(f"patience {p}: {entry[str(p)]['epochs']} epochs, val "
                              f"{entry[str(p)]['validation_accuracy']:.4f}" for p in args.patience)
            print(f"replicate {number} {key}: patience {trained}: {entry['trained']['epochs']} epochs, val "
                  f"{entry['trained']['validation_accuracy']:.4f}; {shown}")
    ratios = {p: totals[str(p)] / totals["trained"] for p in args.patience}
    lost = {p: max(100 * (e["trained"]["validation_accuracy"] - e[str(p)]["validation_accuracy"]) for e in found.values())
            for p in args.patience}
    for p in args.patience:
        print(f"patience {p} against {trained}: epoch-seconds {ratios[p]:.3f}; largest validation loss "
              f"{lost[p]:.2f} points; same weights in {sum(e[str(p)]['same_weights'] for e in found.values())} of "
              f"{len(found)} rows")
    bound = {field: sum(e["hindsight"][field] for e in found.values())
             for field in ("seconds", "seconds_to_best", "seconds_all")}
    bound_ratio = {"to_best": bound["seconds"] / bound["seconds_to_best"], "all": bound["seconds"] / bound["seconds_all"]}
    print(f"hindsight (the first epoch within {args.within} points of each row's best): "
          f"{bound['seconds']:.1f} epoch-seconds, {bound_ratio['to_best']:.3f} of the trained rows' epoch-seconds to "
          f"their best epoch ({bound['seconds_to_best']:.1f}) and {bound_ratio['all']:.3f} of all they ran "
          f"({bound['seconds_all']:.1f})")
    if args.out:
        write_json(args.out, {"profile": args.profile, "git_commit": git_commit(), "cpu": cpu_model(),
                              "trained_patience": trained, "median_seconds": args.median_seconds,
                              "rows": found, "seconds": totals,
                              "ratio": {str(p): r for p, r in ratios.items()},
                              "largest_validation_loss_points": {str(p): v for p, v in lost.items()},
                              "hindsight": {"within_points": args.within, "seconds": {k: round(v, 1) for k, v in
                                                                                     bound.items()},
                                            "ratio": bound_ratio}})


if __name__ == "__main__":
    main()
