"""Typed settings for every component, and the named profiles (smoke, cpu, full) built from them."""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Sequence


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
    workers: int = 1                      # 1: reproducible; 0 (all cores) is faster, but runs then differ


@dataclass(frozen=True)
class TfidfConfig:
    """TF-IDF logistic regression: n-gram range, minimum document frequency, the C grid tried on validation."""

    ngram_max: int = 2
    min_df: int = 2
    c_grid: tuple[float, ...] = (2.0, 8.0, 32.0)
    max_iter: int = 1000


@dataclass(frozen=True)
class ClassifierConfig:
    """The one downstream classifier: BiLSTM over frozen token vectors, max-pool, linear."""

    hidden: int = 128
    dropout: float = 0.3
    lr: float = 2e-3
    weight_decay: float = 1e-2
    batch_size: int = 64
    max_epochs: int = 30                  # a cap that early stopping, not the cap, should end
    patience: int = 2                     # epochs without a new best validation accuracy before stopping
    lr_decay: float = 0.5                 # learning-rate factor after each epoch that is not a new best
    warmup_steps: int = 100
    clip_norm: float = 5.0
    seed: int = 0
    max_batches_per_epoch: int | None = None
    device: str = "auto"                  # auto, cpu or cuda
    # train on this stratified, nested share of the labelled training split (learning curves); None: all of it
    train_fraction: float | None = field(default=None, metadata={"key_if_set": True})
    # None (auto): bf16 autocast on CUDA, float32 on CPU; "bf16" also on CPU (faster where the CPU has bf16 units)
    precision: str | None = field(default=None, metadata={"key_if_set": True})


@dataclass(frozen=True)
class BiLMConfig:
    """biLM sizes; the defaults are the reference architecture (100-d embedding, 2 x LSTM(256) per direction)."""

    embed_dim: int = 100
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1
    embed_init_std: float = 1.0           # element scale of the starting word embeddings (random: N(0, std^2), PyTorch's
                                          # default; 0.05 measured worse: perplexity 371 vs 304 after 2 cpu epochs)
    unk_dropout: float = 0.5              # share of training singletons fed to the biLM as <unk>, so <unk> is trained
    # "skipgram" or "svd": the word embeddings start from this corpus's vectors of that static method (their top
    # embed_dim principal components), not from noise; part of the cache key only when set
    # (measured on the cpu profile: validation perplexity 175 against 233 after 3 epochs, the mean-pooled layer
    # probes 0.86-0.87 against 0.56-0.75, and ELMo trainable λ validation accuracy 0.909 against 0.884); None: N(0, std^2)
    embed_init: str | None = field(default="skipgram", metadata={"key_if_set": True})
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
    # stop once validation perplexity has not improved for this many epochs; part of the cache key only when set
    stop_patience: int | None = field(default=None, metadata={"key_if_set": True})
    # token-budget batches: at most this many padded tokens a global batch (length-sorted, so barely padded) instead
    # of batch_size sentences; lr then grows with the square root of the mean batch's sentences over batch_size and
    # the warm-up keeps its number of sentences (pretrain.batch_scaled). None: batch_size sentences a batch
    batch_tokens: int | None = field(default=None, metadata={"key_if_set": True})


@dataclass(frozen=True)
class ElmoClassifierConfig:
    """How ELMo layers feed the shared classifier: the mixing mode and the frozen-λ draw."""

    modes: tuple[str, ...] = ("trainable", "frozen", "function")
    concat_static: str | None = "skipgram"  # rows elmo_<mode>_<static>: the mixed vector joined with this static one
    concat_modes: tuple[str, ...] = ("trainable",)
    frozen_seed: int = 1234               # seeds the random draw of the frozen λ weights
    layer_norm: str = "none"              # none (ELMo's default), masked (ScalarMix's do_layer_norm) or token
    feature_dtype: str = "float16"        # cached layer outputs
    # learning-rate factor of the function mode's Linear(3·D → D), which starts at the equal mix: at the head's full
    # rate Adam soon moves its 786k weights far from that start (cpu profile, validation after 3 epochs: 0.884 at
    # 1.0, 0.898 at 0.1); None: 1.0. In the function row's cache key only.
    function_lr_scale: float | None = field(default=0.1, metadata={"key_if_set": True})
    # None: no fine-tuned row. A number: add the row elmo_finetuned (trainable λ, and the biLM's top layer recomputed
    # by trainable copies of its top LSTMs, learning at this multiple of the classifier's rate), kept apart from the
    # frozen-biLM rows the study compares. In that row's cache key only.
    finetune_lr_scale: float | None = field(default=None, metadata={"key_if_set": True})


@dataclass(frozen=True)
class Profile:
    """All settings of one study run."""

    name: str
    static_methods: tuple[str, ...] = ("tfidf", "svd", "skipgram")  # non-contextual rows (elmo_lib.registry)
    ablations: tuple[str, ...] = ()       # "key=value" overrides, each an extra trainable-λ ELMo run in the report
    seeds: int = 1                        # classifier seeds per row (classifier.seed, +1, ...): mean ± sd in the report
    learning_curve: tuple[float, ...] = ()  # labelled-data fractions each row's classifier is also trained on
    # training documents (a stratified subset) the biLM epoch curve's probes fit on: each epoch's snapshot runs over
    # them, so this bounds that section's cost; None: the whole training split
    epoch_curve_documents: int | None = 10000
    data: DataConfig = field(default_factory=DataConfig)
    vocab: VocabConfig = field(default_factory=VocabConfig)
    svd: SVDConfig = field(default_factory=SVDConfig)
    skipgram: SkipGramConfig = field(default_factory=SkipGramConfig)
    tfidf: TfidfConfig = field(default_factory=TfidfConfig)
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
        skipgram=SkipGramConfig(dim=50, windows=(2, 5), epochs=10),
        classifier=ClassifierConfig(hidden=32, lr=3e-3, max_epochs=5, patience=2, warmup_steps=10),
        bilm=BiLMConfig(embed_dim=32, hidden=64, cutoffs=(500, 2000)),
        pretrain=PretrainConfig(epochs=4, lr=3e-3, warmup_steps=10, checkpoint_every=50),
        learning_curve=(0.1, 0.3),
        elmo=ElmoClassifierConfig(finetune_lr_scale=0.1),
    )
    bilm_and_norm_ablations = ("bilm.embed_init=None", "elmo.layer_norm='masked'", "elmo.layer_norm='token'",
                               "bilm.unk_dropout=0.0")
    # cpu: one seed and two small fractions keep its time; --set seeds=3 --set "learning_curve=(0.01,0.03,0.1,0.3)"
    # gives the full treatment (several times the classifier time on 2 cores)
    # cpu ablations, as full's: the biLM from a random start (the reference's), both other layer norms, and a biLM
    # whose <unk> is never trained by word dropout (each a trainable-λ classifier; the first and last pretrain a biLM)
    # cpu classifier: patience 3 as in full (at 2 a row stopped one epoch after its first dip while still improving:
    # the function row's validation 0.904 at patience 2, 0.915 at 3 in a scratch run); bf16 autocast, a function-row
    # epoch 1.67x faster than fp32 on a CPU with avx512_bf16 (benchmarks/classify_function_cpu.json); on a CPU
    # without native bf16 units the study runs fp32 instead and keys it so (study.runnable_profile)
    # cpu leaves out the fine-tuned row (elmo.finetune_lr_scale): on its layers each epoch cost 1.9x trainable λ's,
    # and it did no better on validation (benchmarks/finetuned_cpu.json)
    cpu = Profile(name="cpu", classifier=ClassifierConfig(max_epochs=30, patience=3, precision="bf16"),
                  ablations=bilm_and_norm_ablations,
                  pretrain=PretrainConfig(epochs=3), learning_curve=(0.01, 0.1))
    full = Profile(name="full", vocab=VocabConfig(min_freq=1),
                   ablations=bilm_and_norm_ablations,
                   classifier=ClassifierConfig(hidden=256, max_epochs=30, patience=3),
                   bilm=BiLMConfig(softmax="full"), pretrain=PretrainConfig(epochs=5),
                   elmo=ElmoClassifierConfig(finetune_lr_scale=0.1),
                   seeds=3, learning_curve=(0.01, 0.03, 0.1, 0.3))
    # full's settings, but the biLM trains until validation perplexity stops improving (cap 40 epochs)
    best = dataclasses.replace(full, name="best", pretrain=PretrainConfig(epochs=40, stop_patience=2))
    return {p.name: p for p in (smoke, cpu, full, best)}


PROFILES: dict[str, Profile] = _profiles()


# Allowed values beyond the type: choices for text settings, (low, high) bounds for numbers (None: open).
CHOICES = {"data.text_field": ("description", "title+description"), "svd.weighting": ("count", "log", "ppmi"),
           "bilm.softmax": ("full", "adaptive"), "classifier.device": ("auto", "cpu", "cuda"),
           "pretrain.device": ("auto", "cpu", "cuda"), "pretrain.precision": ("auto", "fp32", "bf16"),
           "elmo.feature_dtype": ("float16", "float32"),
           "elmo.layer_norm": ("none", "masked", "token"), "bilm.embed_init": (None, "skipgram", "svd"),
           "classifier.precision": (None, "auto", "fp32", "bf16")}
BOUNDS = {"data.val_fraction": (0.01, 0.5), "data.max_train_rows": (1, None), "data.max_test_rows": (1, None),
          "data.max_tokens": (1, None), "vocab.min_freq": (1, None), "vocab.max_size": (1, None),
          "classifier.lr_decay": (0.0, 1.0), "bilm.dropout": (0.0, 0.99), "classifier.dropout": (0.0, 0.99),
          "bilm.unk_dropout": (0.0, 1.0), "classifier.train_fraction": (1e-4, 1.0), "learning_curve": (1e-4, 1.0)}
# tuple settings that need at least one value (an example), and those whose values must strictly increase
NON_EMPTY = {"svd.windows": (2, 5), "skipgram.windows": (2, 5), "tfidf.c_grid": (2.0, 8.0), "bilm.cutoffs": (2000, 8000)}
INCREASING = ("bilm.cutoffs",)
POSITIVE = ("seeds", "dim", "hidden", "layers", "embed_dim", "batch_size", "epochs", "max_epochs", "patience", "lr",
            "n_iter", "negative", "windows", "epoch_curve_documents", "checkpoint_every", "clip_norm", "max_steps_per_epoch",
            "max_batches_per_epoch", "div_value", "cutoffs", "finetune_lr_scale")


def _conforms(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, tuple) and all(_conforms(item, args[0]) for item in value)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def check_setting(key: str, value: Any, hint: Any) -> Any:
    """Return `value` as the setting `key` stores it, or raise SettingError naming the setting, value and rule."""
    if isinstance(value, list):
        value = tuple(value)
    if not _conforms(value, hint):
        name = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
        raise SettingError(f"setting {key}={value!r}: expected {name}")
    if hint is float and isinstance(value, int):
        value = float(value)
    attr = key.rpartition(".")[2]
    items = value if isinstance(value, tuple) else (value,)
    if isinstance(value, tuple) and not value and key in NON_EMPTY:
        raise SettingError(f"setting {key}=(): give at least one value, e.g. {key}={NON_EMPTY[key]}")
    if isinstance(value, tuple) and key in INCREASING and list(value) != sorted(set(value)):
        raise SettingError(f"setting {key}={value!r}: must be strictly increasing, e.g. {tuple(sorted(set(value)))}")
    for item in items:
        if isinstance(item, float) and not math.isfinite(item):
            raise SettingError(f"setting {key}={value!r}: must be a finite number")
    if key in CHOICES and any(item not in CHOICES[key] for item in items):
        raise SettingError(f"setting {key}={value!r}: choose one of {CHOICES[key]}")
    low, high = BOUNDS.get(key, (0 if attr not in POSITIVE else None, None))
    for item in items:
        if not isinstance(item, (int, float)) or isinstance(item, bool) or item is None:
            continue
        if attr in POSITIVE and key not in BOUNDS and item <= 0:
            raise SettingError(f"setting {key}={value!r}: must be > 0")
        if (low is not None and item < low) or (high is not None and item > high):
            raise SettingError(f"setting {key}={value!r}: must lie in [{low}, {high if high is not None else '∞'}]")
    return value


class SettingError(KeyError):
    """An override that names no setting, or gives one a value of the wrong type or range."""


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> Profile:
    """Return the named profile with dotted overrides applied and checked, e.g. {"classifier.hidden": 64}."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return apply_overrides(PROFILES[name], overrides)


def apply_overrides(profile: Profile, overrides: dict[str, Any] | None) -> Profile:
    """Return `profile` with dotted overrides applied and checked, e.g. {"classifier.seed": 1}."""
    for key, value in (overrides or {}).items():
        section, dot, attr = key.partition(".")
        if not dot and key in _hints(Profile) and key != "name":
            profile = dataclasses.replace(profile, **{key: check_setting(key, value, _hints(Profile)[key])})
            continue
        part = getattr(profile, section, None)
        if part is None or not dataclasses.is_dataclass(part) or attr not in _hints(type(part)):
            raise SettingError(f"unknown setting {key!r}")
        value = check_setting(key, value, _hints(type(part))[attr])
        profile = dataclasses.replace(profile, **{section: dataclasses.replace(part, **{attr: value})})
    _check_rows(profile)
    return profile


def parse_overrides(pairs: Sequence[str]) -> dict:
    """Return {"section.field": value} from KEY=VALUE strings (values parsed as Python literals, else text)."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SettingError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            overrides[key.strip()] = value.strip()
    return overrides


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check_rows(profile: Profile) -> None:
    from elmo_lib.embeddings.mixing import MIX_MODES
    from elmo_lib.registry import BASELINES, STATIC_METHODS
    statics = (*STATIC_METHODS, *BASELINES)
    concat = (profile.elmo.concat_static,) if profile.elmo.concat_static else ()
    for key, names, allowed in (("static_methods", profile.static_methods, statics),
                                ("elmo.modes", profile.elmo.modes, MIX_MODES),
                                ("elmo.concat_modes", profile.elmo.concat_modes, MIX_MODES),
                                ("elmo.concat_static", concat, tuple(STATIC_METHODS))):
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise SettingError(f"setting {key}={names!r}: {unknown} not known; choose from {tuple(allowed)}")


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
