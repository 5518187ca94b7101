"""The whole study as cached stages: each artifact lives under a folder keyed by the settings that made it.

    artifacts/<stage>/<hash of its settings and the data files' SHA-256>/...

A stage whose folder already holds its result is read back instead of recomputed, so a changed
classifier setting retrains the classifiers but reuses the biLM and the static embeddings, and a
changed data file (same name, new bytes) invalidates everything built on it.
"""
from __future__ import annotations

import dataclasses
import time
from functools import cached_property
from pathlib import Path

from elmo_lib.config import Profile, settings_hash
from elmo_lib.corpus import Corpus, build_corpus
from elmo_lib.data import SPLITS, split_path
from elmo_lib.embeddings.mixing import MIX_MODES
from elmo_lib.embeddings.static import StaticEmbeddings
from elmo_lib.io import file_digest, read_json, write_json

STATIC_MODELS = ("svd", "skipgram")
# Part of every artifact key: raise it when a code change alters results under unchanged settings.
ARTIFACT_VERSION = 2
MODEL_KEYS = ("svd", "skipgram", "elmo_trainable", "elmo_frozen", "elmo_function")


class Study:
    """One profile's study over one artifacts folder; every stage is computed at most once per settings."""

    def __init__(self, profile: Profile, root: str | Path = "artifacts"):
        self.profile = profile
        self.root = Path(root)
        self.timings: dict[str, float] = {}

    @cached_property
    def data_files(self) -> dict[str, dict]:
        """Return {split: {"path", "sha256"}} of the AG News files this study reads."""
        paths = {split: split_path(self.profile.data.data_dir, split) for split in SPLITS}
        return {split: {"path": str(path), "sha256": file_digest(path)} for split, path in paths.items()}

    @cached_property
    def data_key(self) -> dict:
        """Return what identifies the corpus: the data settings (less the folder name) and file contents."""
        data = dataclasses.asdict(self.profile.data)
        data.pop("data_dir")
        return {"artifact_version": ARTIFACT_VERSION, "data": data,
                "files": {s: f["sha256"] for s, f in self.data_files.items()},
                "vocab": dataclasses.asdict(self.profile.vocab)}

    def stage_dir(self, stage: str, *settings) -> Path:
        """Return the folder of `stage` for the data plus `settings`."""
        return self.root / stage / settings_hash(self.data_key, *settings)

    @cached_property
    def corpus(self) -> Corpus:
        """Return the encoded corpus (rebuilt in seconds, so not cached on disk; its vocabulary is saved)."""
        corpus = build_corpus(self.profile.data, self.profile.vocab)
        corpus.vocab.save(self.stage_dir("data") / "vocab.json")
        return corpus

    def _timed(self, name: str, started: float) -> float:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        return self.timings[name]

    def static_embeddings(self, method: str) -> StaticEmbeddings:
        """Return the window-swept static embeddings of `method`, from cache when present."""
        from elmo_lib.static_study import train_static
        folder = self.stage_dir(f"{method}_embeddings", getattr(self.profile, method)) / "embeddings"
        if (folder / "info.json").is_file():
            return StaticEmbeddings.load(folder)
        started = time.perf_counter()
        embeddings = train_static(method, self.corpus, self.profile)
        embeddings.save(folder)
        self._timed(f"{method} embeddings", started)
        return embeddings

    def static(self, method: str) -> dict:
        """Return the metrics record of the classifier on `method`'s embeddings, from cache when present."""
        from elmo_lib.static_study import classify_static
        path = self.stage_dir(method, getattr(self.profile, method), self.profile.classifier) / "metrics.json"
        if path.is_file():
            return read_json(path)
        embeddings = self.static_embeddings(method)
        started = time.perf_counter()
        record = classify_static(method, embeddings, self.corpus, self.profile)
        record["wall_seconds"] = self._timed(f"{method} classifier", started)
        write_json(path, record)
        return record

    def bilm_checkpoint(self) -> Path:
        """Return the path of the biLM checkpoint for these settings."""
        return self.stage_dir("bilm", self.profile.bilm, self.profile.pretrain) / "bilm.pt"

    @cached_property
    def bilm(self):
        """Return (biLM, pretraining log), pretraining or resuming only when no finished checkpoint exists."""
        from elmo_lib.elmo_study import pretrained_bilm
        started = time.perf_counter()
        model, log = pretrained_bilm(self.corpus, self.profile, self.bilm_checkpoint())
        write_json(self.bilm_checkpoint().parent / "log.json", log)
        self._timed("biLM pretraining", started)
        return model, log

    @cached_property
    def elmo_features(self):
        """Return the biLM layers of every split, memory-mapped from the biLM's folder (computed once)."""
        import os

        import numpy as np

        from elmo_lib.device import choose_device
        from elmo_lib.embeddings.features import LayerFeatures, compute_features
        folder = self.bilm_checkpoint().parent / f"features-{self.profile.elmo.feature_dtype}"
        features, started = {}, time.perf_counter()
        for name, split in self.corpus.splits().items():
            path = folder / f"{name}.npy"
            if not path.is_file():
                device = choose_device(self.profile.pretrain.device, announce=False)
                tmp = folder / f".{name}.npy.tmp"
                compute_features(self.bilm[0], split, device, self.profile.elmo.feature_dtype, path=tmp)
                os.replace(tmp, path)
            features[name] = LayerFeatures(np.load(path, mmap_mode="r"), split)
        self._timed("biLM features", started)
        gib = sum(f.nbytes() for f in features.values()) / 2**30
        print(f"biLM layers: {gib:.2f} GiB ({self.profile.elmo.feature_dtype}) in {folder}")
        return features

    def elmo(self, mode: str) -> dict:
        """Return the metrics record of the classifier over biLM layers mixed by `mode`, from cache when present."""
        from elmo_lib.elmo_study import classify_elmo
        elmo = self.profile.elmo
        path = self.stage_dir(f"elmo_{mode}", self.profile.bilm, self.profile.pretrain, self.profile.classifier,
                              elmo.frozen_seed, elmo.layer_norm, elmo.feature_dtype, mode) / "metrics.json"
        if path.is_file():
            return read_json(path)
        features = self.elmo_features
        started = time.perf_counter()
        record = classify_elmo(mode, self.bilm[0], features, self.profile)
        record["feature_cache_bytes"] = sum(f.nbytes() for f in features.values())
        record["wall_seconds"] = self._timed(f"elmo_{mode} classifier", started)
        write_json(path, record)
        return record

    def pretrain_log(self) -> dict:
        """Return the biLM pretraining log (per-epoch perplexity, per-step loss)."""
        path = self.bilm_checkpoint().parent / "log.json"
        if not path.is_file():
            self.bilm
        return read_json(path)

    def result(self, key: str) -> dict:
        """Return the metrics record of one model key (svd, skipgram, elmo_trainable, ...)."""
        if key in STATIC_MODELS:
            return self.static(key)
        if key.startswith("elmo_") and key[5:] in MIX_MODES:
            return self.elmo(key[5:])
        raise KeyError(f"unknown model {key!r}; choose one of {MODEL_KEYS}")

    def results(self) -> dict[str, dict]:
        """Return every model's metrics record, computing what is missing."""
        return {key: self.result(key) for key in MODEL_KEYS}
