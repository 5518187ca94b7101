"""The biLM and the ELMo rows: pretraining (or reuse), the cached layers, and the classifier over their mix."""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from elmo_lib.device import choose_device
from elmo_lib.errors import CheckpointError
from elmo_lib.embeddings.bilm import BiLM, embedding_start
from elmo_lib.embeddings.features import ElmoEncoder, JoinedEncoder, LayerFeatures, compute_features
from elmo_lib.embeddings.mixing import mix_weights
from elmo_lib.io import atomic_path, file_digest, read_json, write_json
from elmo_lib.pipeline.cache import readable_array
from elmo_lib.plugins import mode_settings, row_settings
from elmo_lib.bilm_store import finished_state, pretrained_bilm
from elmo_lib.registry import SCRATCH_SUFFIX, elmo_key
from elmo_lib.sidecar import discard, sidecar_path, write_sidecar
from elmo_lib.threads import torch_thread_key
from elmo_lib.timing import EPOCH_TIMING, without_timing


@dataclass
class PretrainedBiLM:
    """A finished biLM: the model, its pretraining log, and the checkpoint file with its SHA-256."""

    model: BiLM
    log: dict
    checkpoint: Path
    digest: str


class ElmoRows:
    """The biLM's stages and the ELMo rows over its frozen layers (needs StageCache and StaticRows)."""

    def bilm_checkpoint(self) -> Path:
        """Return the path of the biLM checkpoint for these settings (and the static vectors it starts from)."""
        method = self.profile.bilm.embed_init
        start = (row_settings(self.profile, method), self._vectors_digest(method)) if method else ()
        threads = torch_thread_key()  # {} where torch's results do not follow the thread count
        return self.stage_dir("bilm", self.profile.bilm, self.profile.pretrain, *start,
                              *((threads,) if threads else ())) / "bilm.pt"

    def bilm_embedding_start(self):
        """Return the (vocab, embed_dim) start of the biLM's word embeddings from `bilm.embed_init`'s static
        vectors (computing those when needed), or None for a random start."""
        cfg = self.profile.bilm
        if cfg.embed_init is None:
            return None
        return embedding_start(self.static_embeddings(cfg.embed_init).vectors, cfg.embed_dim, cfg.embed_init_std)

    @cached_property
    def bilm(self) -> PretrainedBiLM:
        """Return the finished biLM, pretraining or resuming only when no finished checkpoint exists."""
        if self.shared_from("bilm"):
            return self.shared_from("bilm").bilm
        started, path = time.perf_counter(), self.bilm_checkpoint()
        if not self.compute_missing:  # a read-only study refuses to train; one that computes lets pretrained_bilm decide
            try:
                finished = finished_state(path, self.profile.pretrain) is not None
            except CheckpointError:
                finished = False
            if not finished:
                self._may_compute("the biLM", "bilm")
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

    def layers_folder(self) -> Path:
        """Return the folder of the biLM's cached layers (<split>.npy), keyed by the checkpoint's digest."""
        return self.bilm.checkpoint.parent / f"features-{self.profile.elmo.feature_dtype}-{self.bilm.digest[:16]}"

    @cached_property
    def elmo_features(self) -> dict:
        """Return the biLM layers of every split, memory-mapped from a folder keyed by the checkpoint's digest."""
        if self.shared_from("elmo_features"):
            return self.shared_from("elmo_features").elmo_features

        bilm, dtype, folder = self.bilm, self.profile.elmo.feature_dtype, self.layers_folder()
        features, started = {}, time.perf_counter()
        for name, split in self.corpus.splits().items():
            path = folder / f"{name}.npy"
            expected = (int(split.offsets[-1]), self.profile.bilm.layers, bilm.model.out_dim)
            # the whole file's SHA-256 on every read: a zeroed block inside it is caught too
            if self._trusted(path, "cached layers", full=True) and not readable_array(path, expected):
                print(f"{path}: corrupt cached layers (not a {expected} array); recomputing them")
                discard(path)
            if not path.is_file():
                self._may_compute(f"the biLM's {name} layers", "bilm_layers")
                device = choose_device(self.profile.pretrain.device, announce=False)
                with atomic_path(path) as tmp:
                    compute_features(bilm.model, split, device, dtype, path=tmp)
                write_sidecar(path, {"split": name, "feature_dtype": dtype}, {"bilm.pt": bilm.digest})
            features[name] = LayerFeatures(np.load(path, mmap_mode="r"), split)
        self._timed("biLM features", started)
        gib = sum(f.nbytes() for f in features.values()) / 2**30
        print(f"biLM layers: {gib:.2f} GiB ({dtype}) in {folder}")
        return features

    @cached_property
    def scratch_study(self):
        """Return the study of this profile with the biLM's word embeddings starting at random (the reference
        study's start): the biLM of the elmo_<mode>_scratch rows. A variant that changes only the classifier takes
        its parent's, so that biLM and its layers are read once."""
        parent, overrides = getattr(self, "_classifier_parent", None) or (None, None)
        if parent is not None:
            return parent.scratch_study.variant(overrides)
        return self.variant({"bilm.embed_init": None})

    def elmo(self, mode: str, concat_static: str | None = None, finetuned: bool = False, key: str | None = None,
             scratch: bool = False) -> dict:
        """Return the metrics record of the classifier over the biLM layers mixed by `mode` (joined with the
        static vectors of `concat_static`, if given; with the biLM's top layer fine-tuned if `finetuned`; over the
        biLM from a random start if `scratch`), from cache when present; `key` names the row (default: its mode's)."""
        if scratch:
            return self.scratch_study.elmo(mode, concat_static, finetuned, key or f"{elmo_key(mode)}{SCRATCH_SUFFIX}")
        key = key or elmo_key(mode, concat_static, finetuned)
        path = self._elmo_record_path(mode, concat_static, self.bilm.digest, finetuned, key)

        def compute() -> dict:
            features = self.elmo_features
            settings = {"arm": "finetuned" if finetuned else "elmo", "mode": mode, "concat_static": concat_static,
                        "bilm_start": self.profile.bilm.embed_init or "random",
                        "bilm": asdict(self.profile.bilm), "pretrain": asdict(self.profile.pretrain),
                        "bilm_sha256": self.bilm.digest, "classifier": asdict(self.profile.classifier),
                        "elmo": asdict(self.profile.elmo)}
            record = self._trained(path, key, self._elmo_encoder(mode, concat_static, finetuned), features, settings,
                                   describe=lambda encoder: mix_weights(getattr(encoder, "elmo", encoder).mixer))
            record["feature_cache_bytes"] = sum(f.nbytes() for f in features.values())
            return record
        return self._cached_record(path, compute, lambda: {
            "bilm.pt": self.bilm.digest, **({"vectors.npy": self._vectors_digest(concat_static)} if concat_static else {})})

    def _elmo_record_path(self, mode: str, concat_static: str | None, bilm_digest: str, finetuned: bool = False,
                          key: str | None = None) -> Path:
        elmo = dataclasses.replace(self.profile.elmo, modes=(), concat_modes=(), concat_static=None, scratch_modes=(),
                                   function_lr_scale=self.profile.elmo.function_lr_scale if mode == "function" else None,
                                   finetune_lr_scale=self.profile.elmo.finetune_lr_scale if finetuned else None)
        static = row_settings(self.profile, concat_static) if concat_static else None
        own = mode_settings(self.profile, mode)  # a plug-in mode's settings key its rows alone
        return self.stage_dir(key or elmo_key(mode, concat_static, finetuned), bilm_digest, *self._classifier_key, elmo, mode,
                              static, *((own,) if own is not None else ())) / "metrics.json"

    def _elmo_encoder(self, mode: str, concat_static: str | None, finetuned: bool = False):
        elmo = self.profile.elmo

        def make_encoder():
            encoder = ElmoEncoder(self.bilm.model, mode, elmo.frozen_seed, elmo.layer_norm, elmo.function_lr_scale,
                                  elmo.finetune_lr_scale if finetuned else None, mode_settings(self.profile, mode))
            return JoinedEncoder(encoder, self.static_embeddings(concat_static).vectors) if concat_static else encoder
        return make_encoder

