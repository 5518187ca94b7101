"""nn.Dropout (a bernoulli_ mask) against elmo_lib.dropout (a torch.rand mask) in the classifier, same run.

    python benchmarks/dropout_cpu.py ARTIFACTS [OUT.json]

with AG_NEWS_DIR set and ARTIFACTS the folder of a `cpu` report (its cached biLM, ELMo layers and skip-gram
vectors). For the trainable-λ ELMo row and the skip-gram row, one classifier epoch and its validation pass with each
dropout, in the order bernoulli, uniform, uniform, bernoulli so that drift on the machine falls on both; every
trial starts from the same weights and batches. The masks differ, so the validation accuracies differ a little;
they are printed to show that learning is unchanged. Writes benchmarks/records/dropout_cpu.json by default.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
from torch import nn

ORDER = ("bernoulli", "uniform", "uniform", "bernoulli")


def main(artifacts: str, out: str) -> None:
    """Run every trial, print each, and write them with the ratios to `out`."""
    import os

    from elmo_lib.batching import TokenIdSource
    from elmo_lib.bench import elmo_classifier, paired_timing, static_classifier
    from elmo_lib.classify import fit_classifier
    from elmo_lib.config import get_profile
    from elmo_lib.device import choose_device
    from elmo_lib.io import write_json
    from elmo_lib.provenance import git_commit
    from elmo_lib.study import Study
    study = Study(get_profile("cpu"), artifacts)
    cfg = dataclasses.replace(study.profile.classifier, max_epochs=1)
    device = choose_device("cpu")
    features = study.elmo_features
    splits = study.corpus.splits()
    rows = {
        "elmo_trainable": (lambda: elmo_classifier(study, "trainable", cfg),
                           (features["train"], features["validation"])),
        "skipgram": (lambda: static_classifier(study, "skipgram", cfg),
                     (TokenIdSource(splits["train"]), TokenIdSource(splits["validation"]))),
    }
    figures = {"cpu_count": os.cpu_count(), "git_commit": git_commit(), "order": list(ORDER),
               "precision": cfg.precision, "rows": {}}
    for row, (make_model, (train, validation)) in rows.items():
        trials = []
        for draw in ORDER:
            model = make_model()
            if draw == "bernoulli":
                model.head.dropout = nn.Dropout(cfg.dropout)
            started = time.perf_counter()
            fit = fit_classifier(model, train, validation, cfg, device, desc=f"{row} {draw}")
            trials.append({"dropout": draw, "seconds": time.perf_counter() - started,
                           "val_accuracy": fit.history[-1]["val_accuracy"]})
            print(row, trials[-1], flush=True)
        timing = paired_timing(trials, lambda t: t["dropout"], "bernoulli", "uniform")
        seconds = timing["mean_seconds"]
        figures["rows"][row] = {"trials": trials, **timing}
        print(f"{row}: one epoch + validation {seconds['bernoulli']:.1f} s (nn.Dropout) -> {seconds['uniform']:.1f} s "
              f"(uniform mask), {figures['rows'][row]['speed_up']:.2f}x")
    write_json(out, figures)
    print(f"figures: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).with_name("dropout_cpu.json")))
