"""The cpu ablation grid the report leaves to `full`: the trainable-λ ELMo row under each layer normalisation
(none, ELMo's masked per-layer, per-token) and each `<unk>` handling of the biLM (singletons fed as `<unk>` with
probability 0.5, or never), plus the random start of the biLM's word embeddings.

Run `python benchmarks/ablation_grid_cpu.py ARTIFACTS [OUT.json]` with AG_NEWS_DIR set, on the artifacts folder of
a `cpu` report: the cells that report ran are read from cache; the others are trained (the `<unk>` cell pretrains
its own biLM) and cached beside them. Prints the report's ablation table and writes
benchmarks/ablation_grid_cpu.json by default.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from elmo_lib import report
from elmo_lib.config import get_profile, parse_overrides
from elmo_lib.io import write_json
from elmo_lib.provenance import git_commit
from elmo_lib.study import Study

GRID = ("elmo.layer_norm='masked'", "elmo.layer_norm='token'", "bilm.unk_dropout=0.0", "bilm.embed_init=None")


def perplexities(study: Study) -> list[float]:
    """Return the validation perplexity after each epoch of `study`'s biLM."""
    return [round(epoch["val_perplexity"], 1) for epoch in study.pretrain_log()["epochs"]]


def main(artifacts: str, out: str) -> None:
    """Train the missing cells, print the ablation table and write the figures to `out`."""
    overrides = {"ablations": GRID}
    study = Study(get_profile("cpu", overrides), artifacts, overrides)
    base = study.result("elmo_trainable")
    started = time.perf_counter()
    ablations = study.ablations()
    seconds = time.perf_counter() - started
    frame = report.ablation_frame(base, ablations)
    sentence = report.ablation_sentence(base, ablations)
    print(frame.to_string(), sentence, sep="\n")
    own_bilm = {setting: perplexities(study.variant(parse_overrides([setting]))) for setting in GRID
                if setting.startswith("bilm.")}
    write_json(out, {
        "profile": "cpu", "git_commit": git_commit(), "bilm_sha256": study.bilm.digest,
        "wall_seconds_missing_cells": round(seconds, 1),
        "biLM_validation_perplexity_by_epoch": {"as run": perplexities(study), **own_bilm},
        "table": [{"setting": setting, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}
                  for setting, row in frame.iterrows()],
        "sentence": sentence})
    print(f"figures: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).with_name("ablation_grid_cpu.json")))
