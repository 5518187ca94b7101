"""The one list of models the study compares, derived from the profile.

    rows = profile.static_methods                                   (tfidf, svd, skipgram, ...)
         + elmo_<mode>            for each mode in profile.elmo.modes
         + elmo_<mode>_<static>   for each mode in profile.elmo.concat_modes, joined with elmo.concat_static
         + elmo_finetuned         when profile.elmo.finetune_lr_scale is set: trainable λ over a biLM whose
                                  top layer is fine-tuned (arm "finetuned", apart from the frozen-biLM rows)

The CLI's choices, the study's stages, the report's notebook plan and every table read these rows.
A static method is one entry in STATIC_METHODS (word vectors fed to the shared classifier) or in
BASELINES (a whole model), with a settings section of the same name in the profile; a mixing mode
is one entry in `mixing.MIXERS`. Display names and reference accuracies are labels with defaults.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from elmo_lib.names import BASELINES, STATIC_METHODS
from elmo_lib.settings import Profile

LABELS = {"tfidf": "TF-IDF + logistic regression", "svd": "SVD", "skipgram": "Skip-gram",
          "elmo_trainable": "ELMo, trainable λ", "elmo_frozen": "ELMo, frozen λ",
          "elmo_function": "ELMo, learnable function", "elmo_trainable_skipgram": "ELMo (trainable λ) + skip-gram",
          "elmo_finetuned": "ELMo, top biLM layer fine-tuned"}
REFERENCE_TEST_ACCURACY = {"svd": 0.87, "skipgram": 0.90, "elmo_trainable": 0.91, "elmo_frozen": 0.85,
                           "elmo_function": 0.90}


FINETUNED_KEY = "elmo_finetuned"
BILM_ARMS = ("elmo", "finetuned")   # the arms whose rows read the biLM: frozen (elmo) and fine-tuned


@dataclass(frozen=True)
class Row:
    """One model of the study: its key, its arm ("static", "elmo", or "finetuned" where the biLM's top layer
    trains), the method or mixing mode, and for ELMo rows the static vectors joined to the mix (or None)."""

    key: str
    arm: str
    method: str
    concat_static: str | None = None

    @property
    def finetuned(self) -> bool:
        """Return whether this row fine-tunes the biLM's top layer."""
        return self.arm == "finetuned"


def elmo_key(mode: str, concat_static: str | None = None, finetuned: bool = False) -> str:
    """Return the model key of the ELMo row mixed by `mode` (joined with `concat_static`'s vectors, if given), or
    the fine-tuned row's key when `finetuned`."""
    if finetuned:
        return FINETUNED_KEY
    return f"elmo_{mode}" + (f"_{concat_static}" if concat_static else "")


def rows(profile: Profile) -> dict[str, Row]:
    """Return {key: Row} for every model the profile's study runs, static rows first."""
    found = [Row(method, "static", method) for method in profile.static_methods]
    found += [Row(elmo_key(mode), "elmo", mode) for mode in profile.elmo.modes]
    if profile.elmo.concat_static:
        found += [Row(elmo_key(mode, profile.elmo.concat_static), "elmo", mode, profile.elmo.concat_static)
                  for mode in profile.elmo.concat_modes]
    if profile.elmo.finetune_lr_scale is not None:
        found.append(Row(elmo_key("trainable", finetuned=True), "finetuned", "trainable"))
    return {row.key: row for row in found}


def model_keys(profile: Profile) -> tuple[str, ...]:
    """Return every model key the profile's study runs, static rows first."""
    return tuple(rows(profile))


def trainer(method: str) -> Callable:
    """Return the trainer of a static method or baseline (imported on first use)."""
    known = {**STATIC_METHODS, **BASELINES}
    if method not in known:
        raise KeyError(f"unknown static method {method!r}; choose one of {sorted(known)}")
    module, _, name = known[method].partition(":")
    return getattr(importlib.import_module(module), name)


def label(key: str) -> str:
    """Return the display name of a model key (the key itself when it has none)."""
    return LABELS.get(key, key)


def reference_accuracy(key: str) -> float | None:
    """Return the reference study's test accuracy for a model key, or None where it reported none."""
    return REFERENCE_TEST_ACCURACY.get(key)
