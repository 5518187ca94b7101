"""The named profiles: smoke (CI), cpu (2 cores, the default without CUDA: what the answer needs), cpu-complete (cpu
with the extra sections and 3 replicates, over cpu's cached stages), full (the reference study's settings, for a
GPU) and best (full, the biLM trained until its perplexity stops improving).

Why each profile departs from the defaults where it does, with the runs that showed it: docs/design.md.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from elmo_lib.names import EXTRAS
from elmo_lib.overrides import apply_overrides, check_ablations
from elmo_lib.settings import (
    BiLMConfig,
    ClassifierConfig,
    DataConfig,
    ElmoClassifierConfig,
    PretrainConfig,
    Profile,
    SkipGramConfig,
    SVDConfig,
    VocabConfig,
)

# both other layer norms, each a trainable-λ classifier; where training words are seen once (min_freq 1: full,
# best), also a biLM whose <unk> is never trained by word dropout (at min_freq 2 that setting drops no token, so it
# is refused there). The random start of the biLM's word embeddings is a family of rows (elmo.scratch_modes).
NORM_ABLATIONS = ("elmo.layer_norm='masked'", "elmo.layer_norm='token'")
BILM_AND_NORM_ABLATIONS = (*NORM_ABLATIONS, "bilm.unk_dropout=0.0")


def _profiles() -> dict[str, Profile]:
    smoke = Profile(
        name="smoke",
        data=DataConfig(max_train_rows=3000, max_test_rows=1000, max_tokens=60),
        vocab=VocabConfig(min_freq=2, max_size=5000),
        svd=SVDConfig(dim=50, windows=(2, 5)),
        skipgram=SkipGramConfig(dim=50, windows=(2, 5), epochs=10),
        classifier=ClassifierConfig(hidden=32, lr=3e-3, max_epochs=5, patience=2, warmup_steps=10),
        bilm=BiLMConfig(embed_dim=32, hidden=64, cutoffs=(500, 2000)),
        pretrain=PretrainConfig(epochs=4, lr=3e-3, warmup_steps=10, checkpoint_every=50),
        learning_curve=(0.1, 0.3),
        elmo=ElmoClassifierConfig(finetune_lr_scale=0.1),
    )
    # cpu: patience 3 as in full, bf16 classifiers where the CPU has native bf16 (else fp32, keyed so), no fine-tuned
    # row, one seed, one replicate, two small learning-curve shares and no extras to keep its time on 2 cores;
    # cpu-complete adds the extras and 3 replicates over the same cached stages (same keys: nothing runs twice)
    cpu = Profile(name="cpu", classifier=ClassifierConfig(max_epochs=30, patience=3, precision="bf16"),
                  ablations=NORM_ABLATIONS, extras=(),
                  pretrain=PretrainConfig(epochs=3), learning_curve=(0.01, 0.1))
    cpu_complete = dataclasses.replace(cpu, name="cpu-complete", extras=EXTRAS, replicates=3)
    full = Profile(name="full", vocab=VocabConfig(min_freq=1),
                   ablations=BILM_AND_NORM_ABLATIONS,
                   classifier=ClassifierConfig(hidden=256, max_epochs=30, patience=3),
                   bilm=BiLMConfig(softmax="full"), pretrain=PretrainConfig(epochs=5),
                   elmo=ElmoClassifierConfig(finetune_lr_scale=0.1, scratch_modes=("trainable", "frozen", "function")),
                   seeds=3, replicates=3, learning_curve=(0.01, 0.03, 0.1, 0.3))
    best = dataclasses.replace(full, name="best", pretrain=PretrainConfig(epochs=40, stop_patience=2))
    return {p.name: p for p in (smoke, cpu, cpu_complete, full, best)}


PROFILES: dict[str, Profile] = _profiles()
# a profile whose row stages are another's (the same keys): its plan's estimates fall back on that one's timings
ESTIMATED_FROM: dict[str, str] = {"cpu-complete": "cpu"}


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> Profile:
    """Return the named profile with dotted overrides applied and checked, e.g. {"classifier.hidden": 64}."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return check_ablations(apply_overrides(PROFILES[name], overrides))
