"""Classifier time to accuracy: the profile's classifier (the plateau schedule at cpu: halve the rate after an epoch
without a new best, stop after `patience` of them) against a candidate (by default a cosine schedule over a fixed
number of epochs; any classifier settings with --set), on every row that trains the shared classifier, in one run on
one machine over the same cached inputs.

Run alone on the machine (timings otherwise mean nothing), with AG_NEWS_DIR set:

    python benchmarks/schedule_cpu.py ARTIFACTS [--profile cpu] [--epochs 6 | --set classifier.KEY=VALUE ...]
                                      [--rows KEY ...] [--candidate-only] [--work DIR] [--out RECORD.json]

ARTIFACTS holds the profile's vectors, biLMs and cached layers (any earlier report run). Their stage folders are
linked into the work folder (default: ARTIFACTS-schedule-<profile> beside it, ignored by git), so every classifier here is
trained by this harness, row by row, the profile's classifier then the candidate. Each trained row is cached there with
its epoch seconds, so an interrupted run resumes where it stopped; every row's CPU is recorded and a work folder
filled on another CPU is refused. Per row and schedule it records the best validation accuracy, its epoch, the
epoch-seconds to reach it and in all, and the test accuracy (reported, never used to choose). The choice between
them reads validation. The record names the two "baseline" (the profile's classifier) and "candidate" (its settings
under `candidate`; `records/2026-12-02-schedule-cpu.json`, made before --set, calls them "plateau", "cosine" and
`new_schedule`). A later candidate belongs in a fresh --work folder, so that the baseline trains again in its run.

--rows trains only the rows named; --candidate-only trains no baseline (a pilot that compares candidates with each
other, on validation, before the one chosen is measured against the baseline over every row in the same work folder,
where the pilot's rows are cached). Each row's figures keep its per-epoch validation accuracies and epoch seconds, so
a stopping rule can be read off the record later without training.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from elmo_lib.config import get_profile, parse_overrides
from elmo_lib.errors import TrainingError
from elmo_lib.io import write_json
from elmo_lib.provenance import cpu_kind, cpu_model, git_commit
from elmo_lib.registry import is_baseline, rows
from elmo_lib.study import Study


def linked_inputs(source: Path, target: Path, keys: set[str]) -> Path:
    """Return `target` with a link to each of `source`'s stage folders but the rows' (so the rows train here), and
    raise SystemExit when rows in it were trained on another CPU."""
    target.mkdir(parents=True, exist_ok=True)
    machine = target / "cpu.txt"
    if machine.is_file() and machine.read_text().strip() != cpu_model():
        raise SystemExit(f"{target} holds rows trained on {machine.read_text().strip()}, not on {cpu_model()}: "
                         f"give another --work folder")
    machine.write_text(cpu_model() + "\n")
    for stage in Path(source).iterdir():
        if stage.is_dir() and stage.name not in keys and not (target / stage.name).exists():
            (target / stage.name).symlink_to(stage.resolve(), target_is_directory=True)
    return target


def measured(record: dict) -> dict:
    """Return a trained row's figures: validation and test accuracy, best epoch, epoch-seconds to it and in all."""
    seconds = record.get("epoch_seconds") or []
    best = record["best_epoch"]
    return {"validation_accuracy": record["validation"]["accuracy"], "test_accuracy": record["test"]["accuracy"],
            "best_epoch": best, "epochs": len(record["history"]), "stop_reason": record.get("stop_reason"),
            "seconds_to_best": round(sum(seconds[:best]), 1), "seconds_all": round(sum(seconds), 1),
            "val_accuracy_by_epoch": [round(entry["val_accuracy"], 6) for entry in record["history"]],
            "epoch_seconds": [round(s, 2) for s in seconds]}


def candidate_settings(epochs: int, pairs: list[str]) -> dict:
    """Return the candidate's classifier overrides: `pairs` (KEY=VALUE, each under classifier.) where given, else a
    cosine schedule over `epochs` epochs; raise SystemExit for a setting outside the classifier."""
    new = parse_overrides(pairs) if pairs else {"classifier.schedule": "cosine", "classifier.max_epochs": epochs}
    outside = [key for key in new if not key.startswith("classifier.")]
    if outside:
        raise SystemExit(f"--set {outside[0]}: the candidate may change only classifier settings (the rows must "
                         f"train on the same cached layers)")
    return new


def main(artifacts: str, profile_name: str, epochs: int, out: str, work: str | None = None,
         pairs: list[str] | None = None, only: list[str] | None = None, candidate_only: bool = False) -> dict:
    """Train every classifier row (or those in `only`) with the profile's classifier and the candidate (or the
    candidate alone), resuming from `work`; print each row's figures and write the record to `out`."""
    profile = get_profile(profile_name, {"learning_curve": ()})
    keys = [k for k in rows(profile) if not is_baseline(k)]
    unknown = sorted(set(only or ()) - set(keys))
    if unknown:
        raise SystemExit(f"--rows {unknown[0]}: not a classifier row of profile {profile_name}; choose from {keys}")
    keys = [k for k in keys if not only or k in only]
    source = Path(artifacts).resolve()
    work = Path(work) if work else source.parent / f"{source.name}-schedule-{profile_name}"
    root = linked_inputs(Path(artifacts), work, set(rows(profile)))
    new = candidate_settings(epochs, pairs or [])
    old_study = Study(profile, root)
    new_study = old_study.variant(new)
    figures, started = {}, time.perf_counter()
    for key in keys:
        figures[key] = {} if candidate_only else {"baseline": measured(old_study.result(key))}
        try:
            figures[key]["candidate"] = measured(new_study.result(key))
        except TrainingError as error:  # a pilot's learning rate may be too high: that is a finding, not a crash
            if not candidate_only:
                raise
            figures[key]["candidate"] = {"failed": str(error)}
        print(key, {name: {k: v for k, v in f.items() if not isinstance(v, list)} for name, f in figures[key].items()},
              flush=True)
    head = {"profile": profile_name, "git_commit": git_commit(), "cpu": cpu_model(), "cpu_kind": cpu_kind(),
            "candidate": new, "rows": figures}
    if candidate_only:
        record = {**head, "wall_seconds": round(time.perf_counter() - started, 1)}
        write_json(out, record)
        print(f"validation (candidate alone): "
              f"{ {k: round(f['candidate'].get('validation_accuracy', float('nan')), 4) for k, f in figures.items()} }"
              f"\nrecord: {out}")
        return record
    total = {name: {field: round(sum(f[name][field] for f in figures.values()), 1)
                    for field in ("seconds_to_best", "seconds_all")} for name in ("baseline", "candidate")}
    record = {**head, "total": total,
              "ratio_all": round(total["candidate"]["seconds_all"] / total["baseline"]["seconds_all"], 3),
              "ratio_to_best": round(total["candidate"]["seconds_to_best"] / total["baseline"]["seconds_to_best"], 3),
              "validation_difference_points": {k: round(100 * (f["candidate"]["validation_accuracy"]
                                                               - f["baseline"]["validation_accuracy"]), 2)
                                               for k, f in figures.items()},
              "wall_seconds": round(time.perf_counter() - started, 1)}
    write_json(out, record)
    print(f"epoch-seconds in all: candidate/baseline {record['ratio_all']}; to the best epoch "
          f"{record['ratio_to_best']}; validation candidate - baseline (points): "
          f"{record['validation_difference_points']}\nrecord: {out}")
    return record


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--epochs", type=int, default=6, help="the default candidate's cosine length")
    parser.add_argument("--set", dest="pairs", action="append", default=[], metavar="classifier.KEY=VALUE",
                        help="the candidate's classifier settings, instead of the cosine over --epochs (repeatable)")
    parser.add_argument("--rows", nargs="+", metavar="KEY",
                        help="train only these rows (default: every classifier row)")
    parser.add_argument("--candidate-only", action="store_true", help="train the candidate alone (a pilot)")
    parser.add_argument("--work", help="where the rows train (default: ARTIFACTS-schedule-<profile> beside ARTIFACTS)")
    parser.add_argument("--out", default=f"benchmarks/records/{time.strftime('%Y-%m-%d')}-schedule-cpu.json")
    args = parser.parse_args()
    main(args.artifacts, args.profile, args.epochs, args.out, args.work, args.pairs, args.rows, args.candidate_only)
