"""Seed spread of the closest ablation: the trainable-λ ELMo row with the per-token layer norm over three classifier
seeds, beside the same row as the profile runs it (no layer norm, `benchmarks/records/seeds_cpu.json`).

Run `python benchmarks/layer_norm_seeds_cpu.py ARTIFACTS [OUT.json]` with AG_NEWS_DIR set, on the artifacts folder
of a `cpu` report (seed 0 is that report's ablation, read from cache; seeds 1 and 2 are trained and cached beside
it). Writes benchmarks/records/layer_norm_seeds_cpu.json by default.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
import numpy as np

from elmo_lib.config import get_profile
from elmo_lib.io import write_json
from elmo_lib.provenance import git_commit
from elmo_lib.study import Study

SEEDS = (0, 1, 2)


def main(artifacts: str, out: str) -> None:
    """Train the missing seeds of both layer norms and write their validation and test accuracies to `out`."""
    study = Study(get_profile("cpu"), artifacts)
    started, figures = time.perf_counter(), {}
    for norm in ("none", "token"):
        records = [study.variant({"elmo.layer_norm": norm, "classifier.seed": seed}).elmo("trainable") for seed in SEEDS]
        figures[norm] = {"validation": [r["validation"]["accuracy"] for r in records],
                         "test": [r["test"]["accuracy"] for r in records],
                         "epochs": [len(r["history"]) for r in records]}
        for split in ("validation", "test"):
            values = figures[norm][split]
            figures[norm][f"{split}_mean"], figures[norm][f"{split}_sd"] = float(np.mean(values)), float(np.std(values, ddof=1))
        print(norm, {k: v for k, v in figures[norm].items() if k.endswith(("mean", "sd"))}, flush=True)
    write_json(out, {"profile": "cpu", "git_commit": git_commit(), "bilm_sha256": study.bilm.digest,
                     "seeds": list(SEEDS), "wall_seconds": round(time.perf_counter() - started, 1),
                     "trainable_lambda_by_layer_norm": figures})
    print(f"figures: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).with_name("layer_norm_seeds_cpu.json")))
