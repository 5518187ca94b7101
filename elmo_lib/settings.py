"""Typed settings for every component (torch-free), each field with its allowed values beside it.

    field metadata:  choices=(...)   the values a text setting may take (or a function returning them)
                     bounds=(lo, hi) inclusive limits of a number (None: open); positive=True: > 0
                     non_empty=ex    a tuple that needs at least one value (ex: an example)
                     increasing=True a tuple whose values must strictly increase
                     key_if_set=True part of a cache key only when not None (a setting added after caches existed)

Why each default is what it is, with the measurements behind it: docs/design.md.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from elmo_lib.names import (DEVICES, EXTRAS, FEATURE_DTYPES, LAYER_NORMS, PRECISIONS, SCHEDULES, SOFTMAXES, TEXT_FIELDS,
                            WEIGHTINGS)


__all__ = ["BiLMConfig", "ClassifierConfig", "DataConfig", "ElmoClassifierConfig", "PretrainConfig", "Profile",
           "SkipGramConfig", "SVDConfig", "TfidfConfig", "VocabConfig", "positive", "setting", "settings_hash"]


def setting(default: Any, **rules: Any) -> Any:
    """Return a dataclass field with `default` and its checking rules (see the module docstring) as metadata."""
    return field(default=default, metadata=rules)


def _rows() -> tuple[str, ...]:
    from elmo_lib.plugins import static_rows
    return tuple(static_rows())


def _vectors_or_none() -> tuple[str | None, ...]:
    from elmo_lib.plugins import vector_methods
    return (None, *vector_methods())


def _modes() -> tuple[str, ...]:
    from elmo_lib.plugins import mixing_modes
    return tuple(mixing_modes())


def positive(default: Any, **rules: Any) -> Any:
    """Return a field whose values (each, for a tuple) must be > 0."""
    return setting(default, positive=True, **rules)


@dataclass(frozen=True)
class DataConfig:
    """Which AG News text is read and how the validation split is carved from train."""

    data_dir: str | None = None                               # None: $AG_NEWS_DIR, else data/ag_news
    text_field: str = setting("description", choices=TEXT_FIELDS)
    val_fraction: float = setting(0.1, bounds=(0.01, 0.5))
    split_seed: int = setting(13, bounds=(0, None))
    max_train_rows: int | None = setting(None, bounds=(1, None))  # stratified sample of train, for quick profiles
    max_test_rows: int | None = setting(None, bounds=(1, None))
    max_tokens: int = setting(100, bounds=(1, None))          # documents are cut to this many tokens
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class VocabConfig:
    """Vocabulary size limits; rarer words become <unk> everywhere, training text included."""

    min_freq: int = setting(2, bounds=(1, None))
    max_size: int | None = setting(None, bounds=(1, None))


@dataclass(frozen=True)
class SVDConfig:
    """Co-occurrence SVD: window sweep, weighting (count = the reference study, ppmi) and size."""

    dim: int = positive(300)
    windows: tuple[int, ...] = positive((2, 3, 4, 5), non_empty=(2, 5))
    weighting: str = setting("ppmi", choices=WEIGHTINGS)      # "count" reproduces the reference study
    power: float = setting(0.5, bounds=(0, None))             # vectors = U * S**power
    n_iter: int = positive(5)
    seed: int = setting(0, bounds=(0, None))


@dataclass(frozen=True)
class SkipGramConfig:
    """gensim skip-gram with negative sampling: window sweep and training settings."""

    dim: int = positive(300)
    windows: tuple[int, ...] = positive((2, 3, 4, 5), non_empty=(2, 5))
    negative: int = positive(5)
    epochs: int = positive(5)
    sample: float = setting(1e-3, bounds=(0, None))
    seed: int = setting(0, bounds=(0, None))
    workers: int = setting(1, bounds=(0, None))               # 1: reproducible; 0 (all cores) is faster, runs differ


@dataclass(frozen=True)
class TfidfConfig:
    """TF-IDF logistic regression: n-gram range, minimum document frequency, the C grid tried on validation."""

    ngram_max: int = positive(2)
    min_df: int = positive(2)
    c_grid: tuple[float, ...] = positive((2.0, 8.0, 32.0), non_empty=(2.0, 8.0))
    max_iter: int = positive(1000)


@dataclass(frozen=True)
class ClassifierConfig:
    """The one downstream classifier: BiLSTM over frozen token vectors, max-pool, linear."""

    hidden: int = positive(128)
    dropout: float = setting(0.3, bounds=(0.0, 0.99))
    lr: float = positive(2e-3)
    weight_decay: float = setting(1e-2, bounds=(0, None))
    batch_size: int = positive(64)
    max_epochs: int = positive(30)                            # a cap that early stopping, not the cap, should end
    patience: int = positive(2)                               # epochs without a new best validation accuracy
    lr_decay: float = setting(0.5, bounds=(0.0, 1.0))         # learning-rate factor after each epoch not a new best
    warmup_steps: int = setting(100, bounds=(0, None))
    clip_norm: float = positive(5.0)
    seed: int = setting(0, bounds=(0, None))
    max_batches_per_epoch: int | None = positive(None)
    device: str = setting("auto", choices=DEVICES)
    # train on this stratified, nested share of the labelled training split (learning curves); None: all of it
    train_fraction: float | None = setting(None, bounds=(1e-4, 1.0), key_if_set=True)
    # None (auto): bf16 autocast on CUDA, float32 on CPU; "bf16" also on CPU where it has native bf16 units
    precision: str | None = setting(None, choices=(None, *PRECISIONS), key_if_set=True)
    # names.SCHEDULES; None: "plateau" (lr_decay and patience), in the key only when set
    schedule: str | None = setting(None, choices=(None, *SCHEDULES), key_if_set=True)
    # the cosine schedule's length in epochs; None: max_epochs. Lets a profile train its rows with a short cosine and
    # keep max_epochs and patience for the plateau schedule its learning-curve shares use (share_overrides)
    cosine_epochs: int | None = positive(None, key_if_set=True)


@dataclass(frozen=True)
class BiLMConfig:
    """biLM sizes; the defaults are the reference architecture (100-d embedding, 2 x LSTM(256) per direction)."""

    embed_dim: int = positive(100)
    hidden: int = positive(256)
    layers: int = positive(2)
    dropout: float = setting(0.1, bounds=(0.0, 0.99))
    embed_init_std: float = setting(1.0, bounds=(0, None))    # element scale of the starting word embeddings
    unk_dropout: float = setting(0.5, bounds=(0.0, 1.0))      # share of training singletons fed as <unk>
    # "skipgram" or "svd": the word embeddings start from that static method's vectors of this corpus (their top
    # embed_dim principal components), not from noise; None: N(0, embed_init_std^2). Part of the key only when set
    embed_init: str | None = setting("skipgram", choices=_vectors_or_none, key_if_set=True)
    softmax: str = setting("adaptive", choices=SOFTMAXES)     # "full" (the reference) or "adaptive"
    cutoffs: tuple[int, ...] = positive((2000, 8000), non_empty=(2000, 8000), increasing=True)  # adaptive clusters
    div_value: float = positive(4.0)


@dataclass(frozen=True)
class PretrainConfig:
    """biLM pretraining: Adam at lr 1e-3 with a short warm-up, clipping, checkpoints, length buckets."""

    epochs: int = positive(1)
    batch_size: int = positive(64)                            # sentences per global batch (split across ranks)
    lr: float = positive(1e-3)
    weight_decay: float = setting(0.0, bounds=(0, None))
    warmup_steps: int = setting(100, bounds=(0, None))
    clip_norm: float = positive(1.0)
    checkpoint_every: int = positive(200)                     # steps; a checkpoint is also written at every epoch end
    max_steps_per_epoch: int | None = positive(None)
    seed: int = setting(0, bounds=(0, None))
    device: str = setting("auto", choices=DEVICES)
    precision: str = setting("auto", choices=PRECISIONS)      # auto: bf16 autocast on CUDA, fp32 on CPU
    # stop once validation perplexity has not improved for this many epochs; part of the key only when set
    stop_patience: int | None = positive(None, key_if_set=True)
    # token-budget batches: at most this many padded tokens a global batch instead of batch_size sentences; lr then
    # grows with the square root of the mean batch's sentences over batch_size (pretrain.batch_scaled)
    batch_tokens: int | None = positive(None, key_if_set=True)


@dataclass(frozen=True)
class ElmoClassifierConfig:
    """How ELMo layers feed the shared classifier: the mixing mode and the frozen-λ draw."""

    modes: tuple[str, ...] = setting(("trainable", "frozen", "function"), choices=_modes)  # elmo_lib.plugins
    concat_static: str | None = setting("skipgram", choices=_vectors_or_none)  # rows elmo_<mode>_<static>
    concat_modes: tuple[str, ...] = setting(("trainable",), choices=_modes)
    # rows elmo_<mode>_scratch: these of the modes again over a biLM whose word embeddings start at random (the
    # reference study's start), beside the rows over the biLM that starts from bilm.embed_init's vectors
    scratch_modes: tuple[str, ...] = setting(("trainable",), choices=_modes)
    frozen_seed: int = setting(1234, bounds=(0, None))        # seeds the random draw of the frozen λ weights
    layer_norm: str = setting("none", choices=LAYER_NORMS)   # none (ELMo's default), masked (ScalarMix's) or token
    feature_dtype: str = setting("float16", choices=FEATURE_DTYPES)  # cached layer outputs
    # learning-rate factor of the function mode's Linear(3·D → D), which starts at the equal mix; in the function
    # row's cache key only (None: 1.0)
    function_lr_scale: float | None = positive(0.1, key_if_set=True)
    # None: no fine-tuned row. A number: the row elmo_finetuned (trainable λ, the biLM's top layer recomputed by
    # trainable copies of its top LSTMs at this multiple of the classifier's rate); in that row's key only
    finetune_lr_scale: float | None = positive(None, key_if_set=True)


@dataclass(frozen=True)
class Profile:
    """All settings of one study run."""

    name: str
    static_methods: tuple[str, ...] = setting(("tfidf", "svd", "skipgram"), choices=_rows)  # elmo_lib.plugins
    ablations: tuple[str, ...] = ()       # "key=value" overrides, each an extra trainable-λ ELMo run in the report
    # the sections beyond the answer that run (names.EXTRAS): "ablations" (the overrides above) and "epoch_curve"
    # (probes of the biLM after each epoch); `elmo-lib report --with ...` adds to them over the cached run
    extras: tuple[str, ...] = setting(EXTRAS, choices=EXTRAS)
    seeds: int = positive(1)              # classifier seeds per row (classifier.seed, +1, ...): the cheaper spread
    # replicates of the whole pipeline: replicate r (1 = as set) adds r - 1 to every seed of the pipeline's random
    # sources (SVD's start, skip-gram, the biLM's init, dropout and batch order, the classifier, the frozen λ draw)
    # and recomputes each stage it changes; the data split and the vocabulary stay. Rows are reported as mean ± sd
    replicates: int = positive(1)
    learning_curve: tuple[float, ...] = setting((), bounds=(1e-4, 1.0))  # labelled-data shares also trained on
    # training documents (a stratified subset) the biLM epoch curve's probes fit on: each epoch's snapshot runs
    # over them, so this bounds that section's cost; None: the whole training split
    epoch_curve_documents: int | None = positive(10000)
    data: DataConfig = field(default_factory=DataConfig)
    vocab: VocabConfig = field(default_factory=VocabConfig)
    svd: SVDConfig = field(default_factory=SVDConfig)
    skipgram: SkipGramConfig = field(default_factory=SkipGramConfig)
    tfidf: TfidfConfig = field(default_factory=TfidfConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    bilm: BiLMConfig = field(default_factory=BiLMConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    elmo: ElmoClassifierConfig = field(default_factory=ElmoClassifierConfig)
    # the settings of plug-in rows and modes that have no section above, as (name, settings) pairs by name
    plugin_settings: tuple[tuple[str, Any], ...] = ()


def settings_hash(*parts: Any) -> str:
    """Return a short SHA-256 of the given settings (dataclasses or JSON values), for cache keys.

    A field marked `key_if_set` (a setting added after caches existed) counts only when it is not None,
    so adding such a setting leaves every existing artifact's key unchanged.
    """
    def plain(obj: Any) -> Any:
        if not dataclasses.is_dataclass(obj):
            return obj
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not (f.metadata.get("key_if_set") and getattr(obj, f.name) is None)}
    text = json.dumps([plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
