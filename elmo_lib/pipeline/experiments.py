"""Experiments over the rows: probes, the biLM epoch curve, ablations, classifier seeds and the learning curve.

Each is a cached stage (or a set of row stages under other settings) built on the row trainers.
"""
from __future__ import annotations

import functools
import time

from elmo_lib.batching import nested_subset
from elmo_lib.checkpoint import load_checkpoint
from elmo_lib.config import apply_overrides, parse_overrides
from elmo_lib.device import choose_device
from elmo_lib.embeddings.bilm import BiLM
from elmo_lib.embeddings.features import ElmoEncoder, pooled_layers_of
from elmo_lib.pipeline.plan import NotComputedError
from elmo_lib.pretrain import epoch_snapshot
from elmo_lib.probes import layer_probes, pooled_probes
from elmo_lib.plugins import row_settings, vector_methods
from elmo_lib.sidecar import sidecar_problem


def experiment(stage: str):
    """Return a decorator naming `stage` in the NotComputedError of a read-only study (its records live in the row
    folders, under other settings)."""
    def wrap(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except NotComputedError:
                if self.compute_missing:
                    raise
                self._may_compute(f"the {stage.replace('_', ' ')}", stage)
        return run
    return wrap


class Experiments:
    """The experiment stages of a Study (needs the row stages)."""

    @experiment("probes")
    def probes(self) -> dict:
        """Return the mean-pool logistic-regression probe of every biLM layer and static vector set, cached."""
        statics = [m for m in self.profile.static_methods if m in vector_methods()]
        path = self.stage_dir("probes", self.bilm.digest, *(row_settings(self.profile, m) for m in statics),
                              by_blas=True) / "probes.json"

        def compute() -> dict:
            started = time.perf_counter()
            layer0 = ElmoEncoder(self.bilm.model, "frozen", 0).layer0.numpy()
            record = layer_probes(self.elmo_features, layer0, {m: self.static_embeddings(m).vectors for m in statics})
            self._timed("probes", started)
            return record
        return self._cached_json(path, compute, set(), {"bilm.pt": self.bilm.digest})

    @experiment("epoch_curve")
    def epoch_curve(self) -> list[dict]:
        """Return, for every biLM epoch, its validation perplexity and the mean-pool probes of its layers
        (from the weights kept after that epoch), cached beside the checkpoint's other stages."""
        bilm, corpus, documents = self.bilm, self.corpus, self.profile.epoch_curve_documents
        path = self.stage_dir("epoch_curve", bilm.digest, documents, by_blas=True) / "epoch_curve.json"

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

    @experiment("ablations")
    def ablations(self) -> list[dict]:
        """Return, for each of the profile's ablation overrides, the trainable-λ ELMo record under it (cached)."""
        return [{"setting": setting, "record": self.variant(parse_overrides([setting])).elmo("trainable")}
                for setting in self.profile.ablations]

    def variant(self, overrides: dict):
        """Return the study of this profile with `overrides` applied, over the same artifacts folder; when they
        change only the classifier, it shares this study's corpus, biLM and cached layers instead of reloading."""
        study = type(self)(apply_overrides(self.profile, overrides), self.root, {**self.overrides, **overrides})
        study.timings, study._compute_flag = self.timings, self._compute_flag
        shared = ()
        if not any(key.startswith(("data.", "vocab.")) for key in overrides):
            shared = ("data_files", "data_key", "corpus")
        if all(key.startswith("classifier.") for key in overrides):
            shared = (*shared, "bilm", "elmo_features")
            study._classifier_parent = (self, overrides)  # its scratch_study: this one's, classifier changed
        study._shared = (self, shared)  # read from this study when first asked for (StageCache.shared_from)
        return study

    def replicate(self, number: int):
        """Return the study of replicate `number` (1: this study) over the same artifacts folder: every seed of the
        pipeline's random sources moved by number - 1 (replicate_overrides), so each stage they feed is its own."""
        overrides = replicate_overrides(self.profile, number)
        if not overrides:
            return self
        made = self.__dict__.setdefault("_replicate_studies", {})  # each replicate's biLM and layers loaded once
        if number not in made:
            made[number] = self.variant(overrides)
        return made[number]

    def replicate_results(self) -> list[dict[str, dict]]:
        """Return every replicate's records, {key: record} each (replicate 1 first), computing what is missing."""
        return [self.replicate(number).results() for number in range(1, self.profile.replicates + 1)]

    @experiment("seeds")
    def seed_results(self) -> dict[str, list[dict]]:
        """Return every row's records over the profile's classifier seeds (classifier.seed, +1, ...), cached."""
        base = self.profile.classifier.seed
        studies = [self] + [self.variant({"classifier.seed": base + i}) for i in range(1, self.profile.seeds)]
        return {key: [study.result(key) for study in studies] for key in self.model_keys()}

    @experiment("learning_curve")
    def learning_curve(self) -> list[dict]:
        """Return one entry per (row, labelled fraction, seed), the full split included as fraction 1: training
        documents, validation and test accuracy. The biLM and the static vectors are the same throughout. Under the
        cosine schedule the shares below 1 train with the plateau one (share_overrides)."""
        base, entries = self.profile.classifier.seed, []
        for fraction in (*sorted(self.profile.learning_curve), 1.0):
            for seed in range(base, base + self.profile.seeds):
                overrides = {"classifier.seed": seed, **share_overrides(self.profile, fraction)}
                study = self if overrides == {"classifier.seed": base} else self.variant(overrides)
                for key in self.model_keys():
                    record = study.result(key)
                    entries.append({"model": key, "fraction": fraction, "seed": seed,
                                    "train_documents": record["train"]["n"],
                                    "schedule": record["settings"].get("classifier", {}).get("schedule") or "plateau",
                                    "val_accuracy": record["validation"]["accuracy"],
                                    "test_accuracy": record["test"]["accuracy"]})
        return entries



def share_overrides(profile, fraction: float) -> dict:
    """Return the overrides that train a row on `fraction` of the labelled split (empty for 1). A share trains with
    the plateau schedule (max_epochs, patience) where the profile's rows use the cosine one: a fixed few epochs of a
    small share are fewer optimiser steps than the warm-up (1 % of cpu's split: 6 batches an epoch against 100
    warm-up steps), so the rate would never reach its peak."""
    if fraction >= 1:
        return {}
    plateau = {"classifier.schedule": None, "classifier.cosine_epochs": None}
    return {"classifier.train_fraction": fraction, **(plateau if profile.classifier.schedule == "cosine" else {})}


REPLICATED_SEEDS = ("svd.seed", "skipgram.seed", "pretrain.seed", "classifier.seed", "elmo.frozen_seed")


def replicate_overrides(profile, number: int) -> dict:
    """Return the dotted overrides that make replicate `number` of `profile` (empty for replicate 1): each of
    REPLICATED_SEEDS plus number - 1. TF-IDF draws nothing, so its row is the same stage in every replicate."""
    if not 1 <= number <= profile.replicates:
        raise ValueError(f"replicate {number}: profile {profile.name} has replicates 1 to {profile.replicates}")
    if number == 1:
        return {}
    values = {}
    for dotted in REPLICATED_SEEDS:
        section, name = dotted.split(".")
        values[dotted] = getattr(getattr(profile, section), name) + number - 1
    return values


def median_seed(records: list[dict]) -> dict:
    """Return the record whose validation accuracy is the median of `records` (the lower middle when even)."""
    ranked = sorted(records, key=lambda r: (r["validation"]["accuracy"], r["settings"].get("classifier", {}).get("seed", 0)))
    return ranked[(len(ranked) - 1) // 2]


