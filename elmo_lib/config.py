"""Typed settings for every component, and the named profiles (smoke, cpu, full) built from them."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DataConfig:
    """Which AG News text is read and how the validation split is carved from train."""

    data_dir: str | None = None          # None: $AG_NEWS_DIR, else data/ag_news
    text_field: str = "description"       # or "title+description"
    val_fraction: float = 0.1
    split_seed: int = 13
    max_train_rows: int | None = None     # stratified sample of train, for quick profiles
    max_test_rows: int | None = None
    max_tokens: int = 100                 # documents are cut to this many tokens
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class VocabConfig:
    """Vocabulary size limits; rarer words become <unk> everywhere, training text included."""

    min_freq: int = 2
    max_size: int | None = None


@dataclass(frozen=True)
class SVDConfig:
    """Co-occurrence SVD: window sweep, weighting (count = the reference study, ppmi) and size."""

    dim: int = 300
    windows: tuple[int, ...] = (2, 3, 4, 5)
    weighting: str = "ppmi"               # "count" reproduces the reference study
    power: float = 0.5                    # vectors = U * S**power
    n_iter: int = 5
    seed: int = 0


@dataclass(frozen=True)
class SkipGramConfig:
    """gensim skip-gram with negative sampling: window sweep and training settings."""

    dim: int = 300
    windows: tuple[int, ...] = (2, 3, 4, 5)
    negative: int = 5
    epochs: int = 5
    sample: float = 1e-3
    seed: int = 0
    workers: int = 0                      # 0: all available cores


@dataclass(frozen=True)
class ClassifierConfig:
    """The one downstream classifier: BiLSTM over frozen token vectors, max-pool, linear."""

    hidden: int = 128
    dropout: float = 0.3
    lr: float = 2e-3
    weight_decay: float = 1e-2
    batch_size: int = 64
    max_epochs: int = 8
    patience: int = 2
    clip_norm: float = 5.0
    seed: int = 0
    max_batches_per_epoch: int | None = None
    device: str = "auto"                  # auto, cpu or cuda


@dataclass(frozen=True)
class BiLMConfig:
    """biLM sizes; the defaults are the reference architecture (100-d embedding, 2 x LSTM(256) per direction)."""

    embed_dim: int = 100
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1
    softmax: str = "adaptive"                       # "full" (the reference) or "adaptive"
    cutoffs: tuple[int, ...] = (2000, 8000)         # adaptive softmax cluster bounds over frequency-ordered ids
    div_value: float = 4.0


@dataclass(frozen=True)
class PretrainConfig:
    """biLM pretraining: Adam at lr 1e-3 with a short warm-up, clipping, checkpoints, length buckets."""

    epochs: int = 1
    batch_size: int = 64                  # sentences per global batch (split across ranks under torchrun)
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_steps: int = 100
    clip_norm: float = 1.0
    checkpoint_every: int = 200           # steps; a checkpoint is also written at every epoch end
    max_steps_per_epoch: int | None = None
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"               # auto: bf16 autocast on CUDA, fp32 on CPU; or fp32 / bf16


@dataclass(frozen=True)
class ElmoClassifierConfig:
    """How ELMo layers feed the shared classifier: the mixing mode and the frozen-λ draw."""

    modes: tuple[str, ...] = ("trainable", "frozen", "function")
    frozen_seed: int = 1234               # seeds the random draw of the frozen λ weights
    layer_norm: bool = True               # normalise each biLM layer (no learned parameters) before mixing
    feature_dtype: str = "float16"        # cached layer outputs


@dataclass(frozen=True)
class Profile:
    """All settings of one study run."""

    name: str
    data: DataConfig = field(default_factory=DataConfig)
    vocab: VocabConfig = field(default_factory=VocabConfig)
    svd: SVDConfig = field(default_factory=SVDConfig)
    skipgram: SkipGramConfig = field(default_factory=SkipGramConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    bilm: BiLMConfig = field(default_factory=BiLMConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    elmo: ElmoClassifierConfig = field(default_factory=ElmoClassifierConfig)


def _profiles() -> dict[str, Profile]:
    smoke = Profile(
        name="smoke",
        data=DataConfig(max_train_rows=3000, max_test_rows=1000, max_tokens=60),
        vocab=VocabConfig(min_freq=2, max_size=5000),
        svd=SVDConfig(dim=50, windows=(2, 5)),
        skipgram=SkipGramConfig(dim=50, windows=(2, 5), epochs=10, workers=1),  # one worker: deterministic
        classifier=ClassifierConfig(hidden=32, lr=3e-3, max_epochs=5, patience=2),
        bilm=BiLMConfig(embed_dim=32, hidden=64, cutoffs=(500, 2000)),
        pretrain=PretrainConfig(epochs=4, lr=3e-3, warmup_steps=10, checkpoint_every=50),
    )
    cpu = Profile(name="cpu", classifier=ClassifierConfig(max_epochs=6, patience=2),
                  pretrain=PretrainConfig(epochs=2))
    full = Profile(name="full", vocab=VocabConfig(min_freq=1),
                   classifier=ClassifierConfig(hidden=256, max_epochs=10, patience=3),
                   bilm=BiLMConfig(softmax="full"), pretrain=PretrainConfig(epochs=5))
    return {p.name: p for p in (smoke, cpu, full)}


PROFILES: dict[str, Profile] = _profiles()


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> Profile:
    """Return the named profile with dotted overrides applied, e.g. {"classifier.hidden": 64}."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    profile = PROFILES[name]
    for key, value in (overrides or {}).items():
        section, _, attr = key.partition(".")
        part = getattr(profile, section, None)
        if part is None or not dataclasses.is_dataclass(part) or attr not in {f.name for f in dataclasses.fields(part)}:
            raise KeyError(f"unknown setting {key!r}")
        if isinstance(getattr(part, attr), tuple) and isinstance(value, list):
            value = tuple(value)
        profile = dataclasses.replace(profile, **{section: dataclasses.replace(part, **{attr: value})})
    return profile


def settings_hash(*parts: Any) -> str:
    """Return a short SHA-256 of the given settings (dataclasses or JSON values), for cache keys."""
    def plain(obj: Any) -> Any:
        return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj
    text = json.dumps([plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
