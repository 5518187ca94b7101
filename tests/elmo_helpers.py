"""What the tests share: a tiny corpus and biLM settings for the ELMo tests, and a benchmark script as a module."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from elmo_lib.config import BiLMConfig, PretrainConfig
from elmo_lib.corpus import Corpus, EncodedSplit
from elmo_lib.vocab import Vocabulary

TINY_BILM = BiLMConfig(embed_dim=8, hidden=16, layers=2, dropout=0.1, softmax="adaptive", cutoffs=(20, 40),
                       embed_init=None)

# Smoke-profile overrides that run every stage of a replicate in seconds on the tiny_dir corpus: SVD and skip-gram
# rows, two ELMo modes from one biLM, no extra stage.
TINY_REPLICATED_STUDY = {
    "svd.windows": [2], "svd.dim": 4, "skipgram.windows": [2], "skipgram.dim": 8, "skipgram.epochs": 2,
    "vocab.min_freq": 1, "classifier.max_epochs": 1, "classifier.hidden": 8, "bilm.embed_dim": 8, "bilm.hidden": 8,
    "bilm.cutoffs": [8, 16], "pretrain.epochs": 1, "elmo.modes": ["trainable", "frozen"], "elmo.concat_modes": [],
    "elmo.scratch_modes": [], "elmo.finetune_lr_scale": None, "static_methods": ["svd", "skipgram"],
    "learning_curve": []}


def tiny_corpus(n_train: int = 96, seed: int = 0) -> Corpus:
    """Return a synthetic corpus whose class shows in its first word, with varied lengths."""
    rng = np.random.default_rng(seed)
    vocab = Vocabulary([f"w{i}" for i in range(60)], list(range(60, 0, -1)))

    def split(name: str, n: int) -> EncodedSplit:
        labels = rng.integers(0, 4, size=n)
        ids = [np.concatenate([[4 + label], rng.integers(8, 64, size=rng.integers(2, 12))]).astype(np.int32)
               for label in labels]
        return EncodedSplit(name, ids, labels)

    return Corpus(vocab, split("train", n_train), split("validation", 32), split("test", 32))


def tiny_pretrain(**overrides) -> PretrainConfig:
    """Return pretraining settings for a few fast steps."""
    base = dict(epochs=2, batch_size=16, lr=3e-3, warmup_steps=2, checkpoint_every=3, seed=5)
    return PretrainConfig(**{**base, **overrides})


def load_benchmark(name: str) -> ModuleType:
    """Return benchmarks/`name`.py loaded as a module (the benchmarks folder is not a package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
