"""The static rows: window-swept SVD and skip-gram vectors with the shared classifier on top, and the baselines."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict
from pathlib import Path

from elmo_lib.batching import SubsetSource, TokenIdSource, nested_subset
from elmo_lib.classify import train_and_record
from elmo_lib.embeddings.static import StaticEmbeddings, StaticEncoder
from elmo_lib.embeddings.sweep import sweep_windows
from elmo_lib.io import read_json
from elmo_lib.pipeline.versions import CLASSIFIER_VERSION
from elmo_lib.plugins import row_settings, static_row
from elmo_lib.registry import is_baseline, trainer
from elmo_lib.threads import torch_thread_key
from elmo_lib.sidecar import sidecar_path, write_sidecar


CLASSIFIER_FILE = "classifier.pt"  # the trained classifier's own weights, beside its metrics.json
EMBEDDING_FILES = ("info.json", "vocab.json", "vectors.npy")  # a static method's files, each with its sidecar


class StaticRows:
    """The stages of the static rows and the trained-classifier step every row shares (needs StageCache)."""

    def static_embeddings(self, method: str):
        """Return the window-swept static embeddings of `method`, from cache when present."""
        cfg = row_settings(self.profile, method)
        folder = self._vectors_path(method).parent
        if all(self._trusted(folder / name, "embeddings") for name in EMBEDDING_FILES):
            try:
                return StaticEmbeddings.load(folder)
            except (ValueError, OSError, EOFError, KeyError) as err:
                print(f"{folder}: corrupt embeddings ({type(err).__name__}: {err}); rebuilding them")
        self._may_compute(f"the {method} vectors", f"{method}_embeddings")
        started, train, corpus = time.perf_counter(), trainer(method), self.corpus
        if static_row(method).sweeps_windows:
            embeddings, _ = sweep_windows(lambda window: train(corpus.train.ids, corpus.vocab, cfg, window),
                                          cfg.windows, corpus, label=f"{method} window sweep")
        else:
            embeddings = train(corpus.train.ids, corpus.vocab, cfg, None)
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
        cfg = row_settings(self.profile, method)
        path = self._static_record_path(method)
        if is_baseline(method):
            def baseline() -> dict:  # a baseline is a static row, whatever its trainer says
                record = trainer(method)(self._labelled_corpus(), cfg)
                return {**record, "settings": {**record.get("settings", {}), "arm": "static"}}
            return self._cached_record(path, baseline)

        def compute() -> dict:
            embeddings = self.static_embeddings(method)
            sources = {name: TokenIdSource(split) for name, split in self.corpus.splits().items()}
            settings = {"arm": "static", "embedding": embeddings.info, "classifier": asdict(self.profile.classifier),
                        "vocab_size": len(self.corpus.vocab)}
            return self._trained(path, method, self._static_encoder(method), sources, settings)
        return self._cached_record(path, compute, lambda: {"vectors.npy": self._vectors_digest(method)})

    def _static_record_path(self, method: str) -> Path:
        cfg, fraction = row_settings(self.profile, method), self.profile.classifier.train_fraction
        if is_baseline(method):  # computed by numpy and scikit-learn: keyed by their BLAS kernels too
            return self.stage_dir(method, *((cfg, fraction) if fraction else (cfg,)), by_blas=True) / "metrics.json"
        return self.stage_dir(method, cfg, *self._classifier_key) / "metrics.json"

    def _labelled_subset(self):
        """Return the indices of the training documents the classifiers learn from (all, or the nested
        stratified share `classifier.train_fraction`, drawn with data.split_seed), or None for all."""
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
        return lambda: StaticEncoder(self.static_embeddings(method).vectors)

    def _trained(self, path: Path, key: str, make_encoder, sources: dict, settings: dict, describe=None) -> dict:
        """Return the record of the shared classifier trained for row `key`, its weights saved (and sidecared)
        as classifier.pt beside `path`."""
        weights = path.parent / CLASSIFIER_FILE
        subset = self._labelled_subset()
        if subset is not None:
            sources = {**sources, "train": SubsetSource(sources["train"], subset)}
        settings = {**settings, "train_documents": len(sources["train"].labels)}
        record = train_and_record(key, make_encoder, sources, self.profile.classifier, settings, describe, weights)
        write_sidecar(weights, {"model": key, "classifier": asdict(self.profile.classifier)})
        return record

    def _vectors_path(self, method: str) -> Path:
        return (self.stage_dir(f"{method}_embeddings", row_settings(self.profile, method), by_blas=True)
                / "embeddings" / "vectors.npy")

    def _vectors_digest(self, method: str) -> str:
        path = self._vectors_path(method)
        if not path.is_file():
            self.static_embeddings(method)
        return read_json(sidecar_path(path))["sha256"]


    @property
    def _classifier_key(self) -> tuple:
        """Return what keys a trained classifier beyond its inputs: its settings and CLASSIFIER_VERSION."""
        return self.profile.classifier, {"classifier_version": CLASSIFIER_VERSION, **torch_thread_key()}
