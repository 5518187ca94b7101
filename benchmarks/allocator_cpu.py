"""glibc's defaults against elmo_lib.allocator (freed host blocks kept for reuse), same work, same run.

    python benchmarks/allocator_cpu.py ARTIFACTS [OUT.json]

with AG_NEWS_DIR set and ARTIFACTS the folder of a `cpu` report (its cached biLM and ELMo layers). Each trial is a
fresh process, with $ELMO_KEEP_FREED_MEMORY 0 (glibc's defaults) or 1, in the order 0 1 1 0 so that drift on the
machine falls on both: `pretrain`, the first 150 pretraining steps of the cpu profile's biLM (random start, fixed
batches); `classify`, one trainable-λ classifier epoch over the cached layers and its validation pass. Each reports
its seconds, minor page faults, system time and peak memory, and a figure of its result (the final loss, the
validation accuracy), which must not change with the allocator. Writes benchmarks/records/allocator_cpu.json by default.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PRETRAIN_STEPS = 150
ORDER = ("0", "1", "1", "0")


def pretrain_trial() -> dict:
    """Return seconds and final loss of PRETRAIN_STEPS biLM steps on the cpu profile's first length-bucketed batches."""
    import time

    import numpy as np
    import torch

    from elmo_lib.batching import pad_ids
    from elmo_lib.config import get_profile
    from elmo_lib.corpus import build_corpus
    from elmo_lib.device import seed_everything
    from elmo_lib.embeddings.bilm import BiLM
    from elmo_lib.optim import adamw_with_warmup
    from elmo_lib.pretrain import batch_scaled, epoch_batches
    profile = get_profile("cpu")
    corpus = build_corpus(profile.data, profile.vocab)
    train = corpus.train.lm_sequences()
    lengths = np.fromiter((len(s) for s in train), dtype=np.int64, count=len(train))
    seed_everything(0)
    model = BiLM(len(corpus.vocab), profile.bilm).train()
    lr, warmup_steps = batch_scaled(profile.pretrain, lengths)
    optimiser, scheduler = adamw_with_warmup(model.parameters(), lr, profile.pretrain.weight_decay, warmup_steps)
    batches = epoch_batches(lengths, profile.pretrain, 1)[:PRETRAIN_STEPS]
    started = time.perf_counter()
    for indices in batches:
        ids, batch_lengths = pad_ids([train[i] for i in indices])
        nll, count = model(ids, batch_lengths)
        optimiser.zero_grad(set_to_none=True)
        (nll / count).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), profile.pretrain.clip_norm)
        optimiser.step()
        scheduler.step()
    return {"seconds": time.perf_counter() - started, "steps": len(batches), "result": float(nll / count)}


def classify_trial(artifacts: str) -> dict:
    """Return seconds and validation accuracy of one trainable-λ classifier epoch over the cached cpu layers."""
    import dataclasses
    import time

    from elmo_lib.bench import elmo_classifier
    from elmo_lib.classify import fit_classifier
    from elmo_lib.config import get_profile
    from elmo_lib.device import choose_device
    from elmo_lib.study import Study
    study = Study(get_profile("cpu"), artifacts)
    cfg = dataclasses.replace(study.profile.classifier, max_epochs=1)
    features, model = study.elmo_features, elmo_classifier(study, "trainable", cfg)
    device = choose_device("cpu", announce=False)
    train, validation = features["train"].placed(device), features["validation"].placed(device)
    started = time.perf_counter()
    fit = fit_classifier(model, train, validation, cfg, device, desc="allocator benchmark")
    return {"seconds": time.perf_counter() - started, "result": fit.history[-1]["val_accuracy"]}


def child(phase: str, artifacts: str) -> None:
    """Run one trial in this process and print its figures as JSON."""
    import resource

    from elmo_lib.allocator import keep_freed_memory
    applied = keep_freed_memory()
    before = resource.getrusage(resource.RUSAGE_SELF)
    figures = pretrain_trial() if phase == "pretrain" else classify_trial(artifacts)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"keep_freed_memory": applied, **figures, "minor_faults": after.ru_minflt - before.ru_minflt,
                      "system_seconds": after.ru_stime - before.ru_stime, "peak_rss_gib": after.ru_maxrss / 2**20}))


def main(artifacts: str, out: str) -> None:
    """Run every trial, print each, and write them with the ratios to `out`."""
    from elmo_lib.bench import paired_timing
    from elmo_lib.io import write_json
    from elmo_lib.provenance import git_commit
    figures = {"cpu_count": os.cpu_count(), "git_commit": git_commit(), "order": list(ORDER), "phases": {}}
    for phase in ("pretrain", "classify"):
        trials = []
        for keep in ORDER:
            done = subprocess.run([sys.executable, __file__, "--child", phase, artifacts], check=True, text=True,
                                  capture_output=True, env={**os.environ, "ELMO_KEEP_FREED_MEMORY": keep})
            trials.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(phase, trials[-1], flush=True)
        timing = paired_timing(trials, lambda t: "keep_freed_memory" if t["keep_freed_memory"] else "glibc_defaults",
                               "glibc_defaults", "keep_freed_memory")
        seconds, results = timing["mean_seconds"], {t["result"] for t in trials}
        figures["phases"][phase] = {"trials": trials, **timing, "same_result_every_trial": len(results) == 1}
        print(f"{phase}: {seconds['glibc_defaults']:.1f} s -> {seconds['keep_freed_memory']:.1f} s "
              f"({figures['phases'][phase]['speed_up']:.2f}x); same result in every trial: {len(results) == 1}")
    write_json(out, figures)
    print(f"figures: {out}")


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).with_name("allocator_cpu.json")))
