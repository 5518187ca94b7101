"""Seed spread of the rows the cpu target compares: three classifier seeds of SVD, skip-gram and the trainable- and
frozen-λ ELMo rows, over one biLM and one set of static vectors (only the classifiers are retrained).

Run `python benchmarks/seeds_cpu.py ARTIFACTS [OUT.json] [--elmo-modes trainable,frozen]` with AG_NEWS_DIR set, on
the artifacts folder of a `cpu` report: seed 0 of every row is that report's (read from cache), seeds 1 and 2 are
trained and cached beside it. `--elmo-modes` narrows the ELMo rows (each costs about 12 minutes on 2 cores). Prints
the report's seed-variance table and writes benchmarks/records/seeds_cpu.json by default.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
import numpy as np

from elmo_lib import report
from elmo_lib.comparisons import planned_comparisons
from elmo_lib.config import get_profile
from elmo_lib.io import write_json
from elmo_lib.provenance import git_commit
from elmo_lib.study import Study

STATIC, ELMO = ("svd", "skipgram"), ("trainable", "frozen")


def main(artifacts: str, out: str, elmo_modes: tuple[str, ...] = ELMO) -> None:
    """Train the missing seeds, print the seed-variance table and write the figures to `out`."""
    overrides = {"seeds": 3, "learning_curve": (), "ablations": (), "static_methods": STATIC, "elmo.modes": elmo_modes,
                 "elmo.concat_modes": ()}
    study = Study(get_profile("cpu", overrides), artifacts, overrides)
    started = time.perf_counter()
    runs = study.seed_results()
    seconds = time.perf_counter() - started
    results = study.results()
    frame = report.seed_frame(runs, results, study.corpus.test.labels)
    sentence = report.distinguishable_sentence(planned_comparisons(results, study.corpus.test.labels))
    print(frame.to_string(), sentence, sep="\n")
    test = {key: [r["test"]["accuracy"] for r in records] for key, records in runs.items()}
    mean = {key: float(np.mean(values)) for key, values in test.items()}
    best_static = max(STATIC, key=lambda key: mean[key])
    write_json(out, {
        "profile": "cpu", "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()},
        "git_commit": git_commit(), "bilm_sha256": study.bilm.digest, "wall_seconds_new_seeds": round(seconds, 1),
        "per_seed": {key: [{"seed": r["settings"]["classifier"]["seed"], "validation": r["validation"]["accuracy"],
                            "test": r["test"]["accuracy"], "stop": r.get("stop_reason"), "best_epoch": r.get("best_epoch")}
                           for r in records] for key, records in runs.items()},
        "mean_test": mean, "sd_test": {key: float(np.std(values, ddof=1)) for key, values in test.items()},
        "mean_validation": {key: float(np.mean([r["validation"]["accuracy"] for r in records]))
                            for key, records in runs.items()},
        "best_static_by_mean_test": best_static,
        "elmo_at_or_above_best_static_by_mean_test": {k: mean[k] >= mean[best_static] for k in mean if k.startswith("elmo_")},
        "median_seed_bootstrap": json.loads(frame.reset_index().to_json(orient="records")),
        "distinguishable": sentence})
    print(f"figures: {out}")


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts")
    parser.add_argument("out", nargs="?", default=str(Path(__file__).with_name("seeds_cpu.json")))
    parser.add_argument("--elmo-modes", default=",".join(ELMO), help="comma-separated ELMo modes to seed")
    args = parser.parse_args()
    main(args.artifacts, args.out, tuple(args.elmo_modes.split(",")))
