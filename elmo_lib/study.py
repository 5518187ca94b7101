"""The whole study as cached stages: each artifact lives under a folder keyed by what made it.

    artifacts/<stage>/<hash of the data files' SHA-256, the settings dataclasses and upstream digests>/...

A stage whose folder already holds its result is read back instead of recomputed, so a changed
classifier setting retrains the classifiers but reuses the biLM and the static embeddings, a
changed data file (same name, new bytes) invalidates everything built on it, and a rewritten biLM
checkpoint invalidates its cached layers and every ELMo row built on them.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from elmo_lib.allocator import keep_freed_memory
from elmo_lib.config import Profile, settings_hash
from elmo_lib.corpus import Corpus, build_corpus
from elmo_lib.data import SPLITS, split_path
from elmo_lib.io import file_digest, read_json, write_json
from elmo_lib.registry import (
    BASELINES,
    BILM_ARMS,
    elmo_key,
    model_keys,
    rows,
    trainer,
)
from elmo_lib.sidecar import discard, sidecar_path, sidecar_problem, write_sidecar
from elmo_lib.timing import EPOCH_TIMING, RECORD_TIMING, read_timing, timing_of, without_timing, write_timing

# Part of every artifact key: raise it when a code change alters results under unchanged settings.
ARTIFACT_VERSION = 8
# Part of every trained classifier's key only: raise it when a change to the classifier or its training alters
# results under unchanged settings (2: dropout masks drawn by elmo_lib.dropout), so the biLM and embeddings are reused.
CLASSIFIER_VERSION = 2
CLASSIFIER_FILE = "classifier.pt"
EMBEDDING_FILES = ("info.json", "vocab.json", "vectors.npy")  # a static method's files, each with its sidecar  # the trained classifier's own weights, beside its metrics.json


class NotTrainedError(KeyError):
    """A row asked for (to predict with) that this profile's artifacts do not hold yet."""


@dataclass
class PretrainedBiLM:
    """A finished biLM: the model, its pretraining log, and the checkpoint file with its SHA-256."""

    model: object  # elmo_lib.embeddings.bilm.BiLM (imported lazily: torch is slow to import)
    log: dict
    checkpoint: Path
    digest: str


class Study:
    """One profile's study over one artifacts folder; every stage is computed at most once per key."""

    def __init__(self, profile: Profile, root: str | Path = "artifacts", overrides: dict | None = None):
        self.profile = runnable_profile(profile)
        self.root = Path(root)
        self.overrides = dict(overrides or {})  # how `profile` was made from its named profile (for ablations)
        self.timings: dict[str, float] = {}
        keep_freed_memory()  # per-batch host buffers reused, not re-faulted (elmo_lib.allocator)

    @cached_property
    def data_files(self) -> dict[str, dict]:
        """Return {split: {"path", "sha256"}} of the AG News files this study reads."""
        paths = {split: split_path(self.profile.data.data_dir, split) for split in SPLITS}
        return {split: {"path": str(path), "sha256": file_digest(path)} for split, path in paths.items()}

    @cached_property
    def data_key(self) -> dict:
        """Return what identifies the corpus: the data settings (less the folder name) and file contents."""
        return {"artifact_version": ARTIFACT_VERSION,
                "data": dataclasses.replace(self.profile.data, data_dir=None),
                "files": {s: f["sha256"] for s, f in self.data_files.items()}, "vocab": self.profile.vocab}

    def stage_dir(self, stage: str, *upstream) -> Path:
        """Return the folder of `stage` for the data plus `upstream` (settings dataclasses, digests)."""
        return self.root / stage / settings_hash(self.data_key, *upstream)

    @cached_property
    def corpus(self) -> Corpus:
        """Return the encoded corpus (rebuilt in seconds, so not cached on disk; its vocabulary is saved)."""
        corpus = build_corpus(self.profile.data, self.profile.vocab)
        path = self.stage_dir("data") / "vocab.json"
        if not self._trusted(path, "vocabulary"):
            try:
                corpus.vocab.save(path)
                write_sidecar(path, json.loads(json.dumps(self.data_key, default=dataclasses.asdict)),
                              {"files": self.data_key["files"]})
            except OSError as err:  # read-only storage: the vocabulary rebuilt in memory serves this run
                print(f"{path}: not saved ({err.strerror or err}); the vocabulary is rebuilt from the data each run")
        return corpus

    def _timed(self, name: str, started: float) -> float:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        return self.timings[name]

    def _trusted(self, path: Path, what: str, full: bool | None = None) -> bool:
        """Return True when the artifact at `path` exists and its sidecar vouches for it; else say why (one line),
        discard it, and return False."""
        problem = sidecar_problem(path, full)
        if problem is None:
            return True
        if problem != "missing":
            print(f"{path}: corrupt {what} ({problem}); rebuilding it")
            discard(path)
        return False

    def _cached_json(self, path: Path, compute, required: set, built_from) -> dict:
        """Return the JSON record at `path` when its sidecar vouches for it, else compute, save and sidecar it
        (`built_from`: the digests it was made from, or a function returning them once computed). A record's
        timing fields are saved apart, in timing.json beside it, so the record has the same bytes on every run;
        the returned record carries them again."""
        if self._trusted(path, "artifact"):
            try:
                record = read_json(path)
                if required <= set(record):
                    return {**record, **read_timing(path.parent)}
                problem = "a record without its metrics"
            except (ValueError, UnicodeDecodeError) as err:
                problem = f"{type(err).__name__}: {err}"
            print(f"{path}: corrupt artifact ({problem}); rebuilding it")
        record = compute()
        write_timing(path.parent, timing_of(record, RECORD_TIMING))
        write_json(path, without_timing(record, RECORD_TIMING))
        write_sidecar(path, record.get("settings"), built_from() if callable(built_from) else built_from)
        return record

    def _cached_record(self, path: Path, compute, built_from=dict) -> dict:
        """Return the metrics record at `path`, or compute, time and save it; an untrusted record is rebuilt."""
        def timed() -> dict:
            started = time.perf_counter()
            record = compute()
            record["wall_seconds"] = self._timed(f"{record['model']} classifier", started)
            return record
        return self._cached_json(path, timed, {"model", "train", "test"},
                                 lambda: {"data": self.data_key["files"], **built_from()})

    # ---- static rows -------------------------------------------------------------------------
    def static_embeddings(self, method: str):
        """Return the window-swept static embeddings of `method`, from cache when present."""
        from elmo_lib.embeddings.static import StaticEmbeddings
        from elmo_lib.embeddings.sweep import sweep_windows
        cfg = getattr(self.profile, method)
        folder = self._vectors_path(method).parent
        if all(self._trusted(folder / name, "embeddings") for name in EMBEDDING_FILES):
            try:
                return StaticEmbeddings.load(folder)
            except (ValueError, OSError, EOFError, KeyError) as err:
                print(f"{folder}: corrupt embeddings ({type(err).__name__}: {err}); rebuilding them")
        started, train, corpus = time.perf_counter(), trainer(method), self.corpus
        embeddings, _ = sweep_windows(lambda window: train(corpus.train.ids, corpus.vocab, cfg, window),
                                      cfg.windows, corpus, label=f"{method} window sweep")
        embeddings.save(folder)
        for name in ("vocab.json", "info.json"):
            write_sidecar(folder / name, dataclasses.asdict(cfg), {"data": self.data_key["files"]})
        write_sidecar(folder / "vectors.npy", dataclasses.asdict(cfg), {"data": self.data_key["files"],
                                                                          "info": embeddings.info})
        self._timed(f"{method} embeddings", started)
        return embeddings

    def static(self, method: str) -> dict:
        """Return the metrics record of a static row (a baseline, or the shared classifier on `method`'s
        embeddings), from cache when present."""
        from elmo_lib.batching import TokenIdSource
        cfg = getattr(self.profile, method)
        path = self._static_record_path(method)
        if method in BASELINES:
            return self._cached_record(path, lambda: trainer(method)(self._labelled_corpus(), cfg))

        def compute() -> dict:
            embeddings = self.static_embeddings(method)
            sources = {name: TokenIdSource(split) for name, split in self.corpus.splits().items()}
            settings = {"arm": "static", "embedding": embeddings.info, "classifier": asdict(self.profile.classifier),
                        "vocab_size": len(self.corpus.vocab)}
            return self._trained(path, method, self._static_encoder(method), sources, settings)
        return self._cached_record(path, compute, lambda: {"vectors.npy": self._vectors_digest(method)})

    def _static_record_path(self, method: str) -> Path:
        cfg, fraction = getattr(self.profile, method), self.profile.classifier.train_fraction
        upstream = ((cfg, fraction) if fraction else (cfg,)) if method in BASELINES else (cfg, *self._classifier_key)
        return self.stage_dir(method, *upstream) / "metrics.json"

    def _labelled_subset(self):
        """Return the indices of the training documents the classifiers learn from (all, or the nested
        stratified share `classifier.train_fraction`, drawn with data.split_seed), or None for all."""
        from elmo_lib.batching import nested_subset
        fraction = self.profile.classifier.train_fraction
        if not fraction or fraction >= 1:
            return None
        return nested_subset(self.corpus.train.labels, fraction, self.profile.data.split_seed)

    def _labelled_corpus(self):
        """Return the corpus whose training split holds only the labelled subset (for the baselines)."""
        subset = self._labelled_subset()
        if subset is None:
            return self.corpus
        train = self.corpus.train
        kept = type(train)(train.name, [train.ids[i] for i in subset], train.labels[subset])
        return dataclasses.replace(self.corpus, train=kept)

    def _static_encoder(self, method: str):
        from elmo_lib.embeddings.static import StaticEncoder
        return lambda: StaticEncoder(self.static_embeddings(method).vectors)

    def _trained(self, path: Path, key: str, make_encoder, sources: dict, settings: dict, describe=None) -> dict:
        """Return the record of the shared classifier trained for row `key`, its weights saved (and sidecared)
        as classifier.pt beside `path`."""
        from elmo_lib.batching import SubsetSource
        from elmo_lib.classify import train_and_record
        weights = path.parent / CLASSIFIER_FILE
        subset = self._labelled_subset()
        if subset is not None:
            sources = {**sources, "train": SubsetSource(sources["train"], subset)}
        settings = {**settings, "train_documents": len(sources["train"].labels)}
        record = train_and_record(key, make_encoder, sources, self.profile.classifier, settings, describe, weights)
        write_sidecar(weights, {"model": key, "classifier": asdict(self.profile.classifier)})
        return record

    def _vectors_path(self, method: str) -> Path:
        return self.stage_dir(f"{method}_embeddings", getattr(self.profile, method)) / "embeddings" / "vectors.npy"

    def _vectors_digest(self, method: str) -> str:
        path = self._vectors_path(method)
        if not path.is_file():
            self.static_embeddings(method)
        return read_json(sidecar_path(path))["sha256"]

    # ---- the biLM and the ELMo rows ----------------------------------------------------------
    def bilm_checkpoint(self) -> Path:
        """Return the path of the biLM checkpoint for these settings (and the static vectors it starts from)."""
        method = self.profile.bilm.embed_init
        start = (getattr(self.profile, method), self._vectors_digest(method)) if method else ()
        return self.stage_dir("bilm", self.profile.bilm, self.profile.pretrain, *start) / "bilm.pt"

    def bilm_embedding_start(self):
        """Return the (vocab, embed_dim) start of the biLM's word embeddings from `bilm.embed_init`'s static
        vectors (computing those when needed), or None for a random start."""
        from elmo_lib.embeddings.bilm import embedding_start
        cfg = self.profile.bilm
        if cfg.embed_init is None:
            return None
        return embedding_start(self.static_embeddings(cfg.embed_init).vectors, cfg.embed_dim, cfg.embed_init_std)

    @cached_property
    def bilm(self) -> PretrainedBiLM:
        """Return the finished biLM, pretraining or resuming only when no finished checkpoint exists."""
        from elmo_lib.pretrain import pretrained_bilm
        started, path = time.perf_counter(), self.bilm_checkpoint()
        model, log = pretrained_bilm(self.corpus, self.profile.bilm, self.profile.pretrain, path,
                                     self.bilm_embedding_start)
        log_path = path.parent / "log.json"
        saved = json.loads(json.dumps({**log, "epochs": [without_timing(e, EPOCH_TIMING) for e in log["epochs"]]}))
        if not log_path.is_file() or read_json(log_path) != saved:  # a retrained biLM's log
            write_json(log_path, saved)
        digest = file_digest(path)
        try:
            recorded = read_json(sidecar_path(path))["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            recorded = None
        if recorded != digest:
            if recorded is not None:
                print(f"{path}: changed since its sidecar was written; its cached layers and ELMo rows are keyed "
                      f"by the new contents")
            write_sidecar(path, {"bilm": dataclasses.asdict(self.profile.bilm),
                                 "pretrain": dataclasses.asdict(self.profile.pretrain)},
                          {"data": self.data_key["files"]}, digest=digest)
        self._timed("biLM pretraining", started)
        return PretrainedBiLM(model, log, path, digest)

    @cached_property
    def elmo_features(self) -> dict:
        """Return the biLM layers of every split, memory-mapped from a folder keyed by the checkpoint's digest."""
        import numpy as np

        from elmo_lib.device import choose_device
        from elmo_lib.embeddings.features import LayerFeatures, compute_features
        from elmo_lib.io import atomic_path
        bilm, dtype = self.bilm, self.profile.elmo.feature_dtype
        folder = bilm.checkpoint.parent / f"features-{dtype}-{bilm.digest[:16]}"
        features, started = {}, time.perf_counter()
        for name, split in self.corpus.splits().items():
            path = folder / f"{name}.npy"
            expected = (int(split.offsets[-1]), self.profile.bilm.layers, bilm.model.out_dim)
            # the whole file's SHA-256 on every read (about 1.5 GB/s): a zeroed block inside it is caught too
            if self._trusted(path, "cached layers", full=True) and not _readable_array(path, expected):
                print(f"{path}: corrupt cached layers (not a {expected} array); recomputing them")
                discard(path)
            if not path.is_file():
                device = choose_device(self.profile.pretrain.device, announce=False)
                with atomic_path(path) as tmp:
                    compute_features(bilm.model, split, device, dtype, path=tmp)
                write_sidecar(path, {"split": name, "feature_dtype": dtype}, {"bilm.pt": bilm.digest})
            features[name] = LayerFeatures(np.load(path, mmap_mode="r"), split)
        self._timed("biLM features", started)
        gib = sum(f.nbytes() for f in features.values()) / 2**30
        print(f"biLM layers: {gib:.2f} GiB ({dtype}) in {folder}")
        return features

    def elmo(self, mode: str, concat_static: str | None = None, finetuned: bool = False) -> dict:
        """Return the metrics record of the classifier over the biLM layers mixed by `mode` (joined with the
        static vectors of `concat_static`, if given; with the biLM's top layer fine-tuned if `finetuned`), from
        cache when present."""
        from elmo_lib.embeddings.mixing import mix_weights
        key = elmo_key(mode, concat_static, finetuned)
        path = self._elmo_record_path(mode, concat_static, self.bilm.digest, finetuned)

        def compute() -> dict:
            features = self.elmo_features
            settings = {"arm": "finetuned" if finetuned else "elmo", "mode": mode, "concat_static": concat_static,
                        "bilm": asdict(self.profile.bilm), "pretrain": asdict(self.profile.pretrain),
                        "bilm_sha256": self.bilm.digest, "classifier": asdict(self.profile.classifier),
                        "elmo": asdict(self.profile.elmo)}
            record = self._trained(path, key, self._elmo_encoder(mode, concat_static, finetuned), features, settings,
                                   describe=lambda encoder: mix_weights(getattr(encoder, "elmo", encoder).mixer))
            record["feature_cache_bytes"] = sum(f.nbytes() for f in features.values())
            return record
        return self._cached_record(path, compute, lambda: {
            "bilm.pt": self.bilm.digest, **({"vectors.npy": self._vectors_digest(concat_static)} if concat_static else {})})

    def _elmo_record_path(self, mode: str, concat_static: str | None, bilm_digest: str, finetuned: bool = False) -> Path:
        elmo = dataclasses.replace(self.profile.elmo, modes=(), concat_modes=(), concat_static=None,
                                   function_lr_scale=self.profile.elmo.function_lr_scale if mode == "function" else None,
                                   finetune_lr_scale=self.profile.elmo.finetune_lr_scale if finetuned else None)
        static = getattr(self.profile, concat_static) if concat_static else None
        return self.stage_dir(elmo_key(mode, concat_static, finetuned), bilm_digest, *self._classifier_key, elmo, mode,
                              static) / "metrics.json"

    @property
    def _classifier_key(self) -> tuple:
        """Return what keys a trained classifier beyond its inputs: its settings and CLASSIFIER_VERSION."""
        return self.profile.classifier, {"classifier_version": CLASSIFIER_VERSION}

    def _elmo_encoder(self, mode: str, concat_static: str | None, finetuned: bool = False):
        from elmo_lib.embeddings.features import ElmoEncoder, JoinedEncoder
        elmo = self.profile.elmo

        def make_encoder():
            encoder = ElmoEncoder(self.bilm.model, mode, elmo.frozen_seed, elmo.layer_norm, elmo.function_lr_scale,
                                  elmo.finetune_lr_scale if finetuned else None)
            return JoinedEncoder(encoder, self.static_embeddings(concat_static).vectors) if concat_static else encoder
        return make_encoder

    def trained_row(self, key: str) -> tuple[dict, Path, object]:
        """Return (metrics record, classifier.pt path, encoder factory) of a row already trained, computing nothing;
        raise NotTrainedError with the command to run when it is not."""
        from elmo_lib.pretrain import finished_state
        if key not in self.model_keys():
            raise KeyError(f"unknown model {key!r} for profile {self.profile.name}; choose one of {self.model_keys()}")
        row = rows(self.profile)[key]
        if key in BASELINES:
            raise NotTrainedError(f"{key} is scikit-learn's own model, not the shared classifier; predict serves "
                                  f"{[k for k in self.model_keys() if k not in BASELINES]}")
        how = f"run `make report PROFILE={self.profile.name}` or `elmo-lib " + (
            f"elmo --profile {self.profile.name}`" if row.arm in BILM_ARMS else f"static {key} --profile {self.profile.name}`")
        if row.arm in BILM_ARMS:
            start = self.profile.bilm.embed_init
            if start and sidecar_problem(self._vectors_path(start), full=False):
                raise NotTrainedError(f"{key} was never trained at profile {self.profile.name} (no {start} vectors for "
                                      f"the biLM to start from at {self._vectors_path(start)}); {how} first")
            checkpoint = self.bilm_checkpoint()
            if sidecar_problem(checkpoint, full=False) or finished_state(checkpoint, self.profile.pretrain) is None:
                raise NotTrainedError(f"{key} was never trained at profile {self.profile.name} (no finished biLM at "
                                      f"{checkpoint}); {how} first")
            path = self._elmo_record_path(row.method, row.concat_static, read_json(sidecar_path(checkpoint))["sha256"],
                                          row.finetuned)
            make_encoder = self._elmo_encoder(row.method, row.concat_static, row.finetuned)
        else:
            path, make_encoder = self._static_record_path(key), self._static_encoder(key)
        if sidecar_problem(path):
            raise NotTrainedError(f"{key} was never trained at profile {self.profile.name} (no record at {path}); "
                                  f"{how} first")
        weights = path.parent / CLASSIFIER_FILE
        problem = sidecar_problem(weights)
        if problem:
            why = "trained before classifiers were saved, or removed" if problem == "missing" else problem
            raise NotTrainedError(f"{path.parent} holds {key}'s metrics but no usable {CLASSIFIER_FILE} ({why}); "
                                  f"delete that folder and {how}")
        return read_json(path), weights, make_encoder

    def probes(self) -> dict:
        """Return the mean-pool logistic-regression probe of every biLM layer and static vector set, cached."""
        from elmo_lib.embeddings.features import ElmoEncoder
        from elmo_lib.probes import layer_probes
        from elmo_lib.registry import STATIC_METHODS
        statics = [m for m in self.profile.static_methods if m in STATIC_METHODS]
        path = self.stage_dir("probes", self.bilm.digest, *(getattr(self.profile, m) for m in statics)) / "probes.json"

        def compute() -> dict:
            started = time.perf_counter()
            layer0 = ElmoEncoder(self.bilm.model, "frozen", 0).layer0.numpy()
            record = layer_probes(self.elmo_features, layer0, {m: self.static_embeddings(m).vectors for m in statics})
            self._timed("probes", started)
            return record
        return self._cached_json(path, compute, set(), {"bilm.pt": self.bilm.digest})

    def epoch_curve(self) -> list[dict]:
        """Return, for every biLM epoch, its validation perplexity and the mean-pool probes of its layers
        (from the weights kept after that epoch), cached beside the checkpoint's other stages."""
        from elmo_lib.batching import nested_subset
        from elmo_lib.checkpoint import load_checkpoint
        from elmo_lib.device import choose_device
        from elmo_lib.embeddings.bilm import BiLM
        from elmo_lib.embeddings.features import pooled_layers_of
        from elmo_lib.pretrain import epoch_snapshot
        from elmo_lib.probes import pooled_probes
        bilm, corpus, documents = self.bilm, self.corpus, self.profile.epoch_curve_documents
        path = self.stage_dir("epoch_curve", bilm.digest, documents) / "epoch_curve.json"

        def compute() -> dict:
            started, device = time.perf_counter(), choose_device(self.profile.pretrain.device, announce=False)
            splits = corpus.splits()
            if documents and documents < len(corpus.train):
                train = corpus.train
                kept = nested_subset(train.labels, documents / len(train), self.profile.data.split_seed)
                splits["train"] = type(train)(train.name, [train.ids[i] for i in kept], train.labels[kept])
            labels = {name: split.labels for name, split in splits.items()}
            epochs = []
            for entry in bilm.log["epochs"]:
                snapshot = epoch_snapshot(bilm.checkpoint, entry["epoch"])
                problem = sidecar_problem(snapshot, full=True)
                if problem:
                    why = "missing (a biLM trained before snapshots were kept)" if problem == "missing" else problem
                    print(f"{snapshot}: {why}; epoch {entry['epoch']} is left out of the curve (only retraining the "
                          f"biLM, `elmo-lib pretrain --force`, brings it back)")
                    continue
                model = BiLM(len(corpus.vocab), self.profile.bilm)
                model.load_state_dict(load_checkpoint(snapshot, required=("model",))["model"])
                pooled = {name: pooled_layers_of(model, split, device) for name, split in splits.items()}
                epochs.append({"epoch": entry["epoch"], "val_perplexity": entry["val_perplexity"],
                               "probes": pooled_probes(pooled, labels)})
            self._timed("biLM epoch curve", started)
            return {"bilm_sha256": bilm.digest, "train_documents": len(labels["train"]), "epochs": epochs}
        return self._cached_json(path, compute, {"epochs"}, {"bilm.pt": bilm.digest})["epochs"]

    def ablations(self) -> list[dict]:
        """Return, for each of the profile's ablation overrides, the trainable-λ ELMo record under it (cached)."""
        from elmo_lib.config import parse_overrides
        return [{"setting": setting, "record": self.variant(parse_overrides([setting])).elmo("trainable")}
                for setting in self.profile.ablations]

    def variant(self, overrides: dict) -> "Study":
        """Return the study of this profile with `overrides` applied, over the same artifacts folder; when they
        change only the classifier, it shares this study's corpus, biLM and cached layers instead of reloading."""
        from elmo_lib.config import apply_overrides
        study = Study(apply_overrides(self.profile, overrides), self.root, {**self.overrides, **overrides})
        study.timings = self.timings
        if all(key.startswith("classifier.") for key in overrides):
            for shared in ("data_files", "data_key", "corpus", "bilm", "elmo_features"):
                if shared in self.__dict__:
                    study.__dict__[shared] = self.__dict__[shared]
        return study

    def seed_results(self) -> dict[str, list[dict]]:
        """Return every row's records over the profile's classifier seeds (classifier.seed, +1, ...), cached."""
        base = self.profile.classifier.seed
        studies = [self] + [self.variant({"classifier.seed": base + i}) for i in range(1, self.profile.seeds)]
        return {key: [study.result(key) for study in studies] for key in self.model_keys()}

    def learning_curve(self) -> list[dict]:
        """Return one entry per (row, labelled fraction, seed), the full split included as fraction 1: training
        documents, validation and test accuracy. The biLM and the static vectors are the same throughout."""
        base, entries = self.profile.classifier.seed, []
        for fraction in (*sorted(self.profile.learning_curve), 1.0):
            for seed in range(base, base + self.profile.seeds):
                overrides = {"classifier.seed": seed, **({"classifier.train_fraction": fraction} if fraction < 1 else {})}
                study = self if overrides == {"classifier.seed": base} else self.variant(overrides)
                for key in self.model_keys():
                    record = study.result(key)
                    entries.append({"model": key, "fraction": fraction, "seed": seed,
                                    "train_documents": record["train"]["n"],
                                    "val_accuracy": record["validation"]["accuracy"],
                                    "test_accuracy": record["test"]["accuracy"]})
        return entries

    def test_texts(self) -> list[str]:
        """Return the raw text of every test document, in the order of corpus.test."""
        from elmo_lib.corpus import split_news
        return split_news(self.profile.data)["test"].texts

    def pretrain_log(self) -> dict:
        """Return the biLM pretraining log (per-epoch perplexity, per-step loss)."""
        return self.bilm.log

    # ---- every row ---------------------------------------------------------------------------
    def model_keys(self) -> tuple[str, ...]:
        """Return the registry's model keys for this profile."""
        return model_keys(self.profile)

    def result(self, key: str) -> dict:
        """Return the metrics record of one model key (svd, skipgram, elmo_trainable, ...)."""
        if key not in self.model_keys():
            raise KeyError(f"unknown model {key!r} for profile {self.profile.name}; choose one of {self.model_keys()}")
        row = rows(self.profile)[key]
        return self.elmo(row.method, row.concat_static, row.finetuned) if row.arm in BILM_ARMS else self.static(key)

    def results(self) -> dict[str, dict]:
        """Return every model's metrics record, computing what is missing; with several classifier seeds, each
        row's median-seed record (the seed whose validation accuracy is the median)."""
        if self.profile.seeds == 1:
            return {key: self.result(key) for key in self.model_keys()}
        return {key: median_seed(records) for key, records in self.seed_results().items()}


def runnable_profile(profile: Profile) -> Profile:
    """Return `profile` with each precision set to the one that runs on this machine (bf16 asked for on a CPU without
    native bf16 runs fp32), saying what changed on stderr (stdout may carry predictions); so cache keys, records and
    the manifest name what ran."""
    from elmo_lib.device import NO_NATIVE_BF16_WHY, runnable_precision
    for section in ("classifier", "pretrain"):
        part = getattr(profile, section)
        precision = runnable_precision(part.precision, part.device)
        if precision != part.precision:
            print(f"{section}.precision={part.precision!r}: {NO_NATIVE_BF16_WHY}; running "
                  f"{section}.precision={precision!r}", file=sys.stderr)
            profile = dataclasses.replace(profile, **{section: dataclasses.replace(part, precision=precision)})
    return profile


def median_seed(records: list[dict]) -> dict:
    """Return the record whose validation accuracy is the median of `records` (the lower middle when even)."""
    ranked = sorted(records, key=lambda r: (r["validation"]["accuracy"], r["settings"].get("classifier", {}).get("seed", 0)))
    return ranked[(len(ranked) - 1) // 2]


def _readable_array(path: Path, shape: tuple) -> bool:
    """Return True when `path` is a .npy array of `shape` whose data is all there (cheap: header and size)."""
    import numpy as np
    try:
        array = np.load(path, mmap_mode="r")
    except (ValueError, OSError, EOFError):
        return False
    return tuple(array.shape) == tuple(shape)
