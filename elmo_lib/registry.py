"""The one list of models the study compares, derived from the profile.

    rows = profile.static_methods                                   (tfidf, svd, skipgram, ...)
         + elmo_<mode>            for each mode in profile.elmo.modes
         + elmo_<mode>_<static>   for each mode in profile.elmo.concat_modes, joined with elmo.concat_static
         + elmo_<mode>_scratch    for each mode in profile.elmo.scratch_modes (and modes) when the biLM starts from
                                  static vectors: the same mode over a biLM from a random start (the reference's)
         + elmo_finetuned         when profile.elmo.finetune_lr_scale is set: trainable λ over a biLM whose
                                  top layer is fine-tuned (arm "finetuned", apart from the frozen-biLM rows)

The CLI's choices, the study's stages, the report's notebook plan and every table read these rows.
Static methods, baselines and mixing modes are plug-ins that declare themselves, with their labels and the
reference study's accuracies (elmo_lib.plugins, elmo_lib/rows/).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from elmo_lib.plugins import mixing_modes, resolve, static_row, static_rows
from elmo_lib.settings import Profile


FINETUNED_KEY = "elmo_finetuned"
SCRATCH_SUFFIX = "_scratch"         # elmo_<mode>_scratch: the mode over the biLM from a random start
BILM_ARMS = ("elmo", "finetuned")   # the arms whose rows read the biLM: frozen (elmo) and fine-tuned


@dataclass(frozen=True)
class Row:
    """One model of the study: its key, its arm ("static", "elmo", or "finetuned" where the biLM's top layer
    trains), the method or mixing mode, and for ELMo rows the static vectors joined to the mix (or None)."""

    key: str
    arm: str
    method: str
    concat_static: str | None = None
    scratch: bool = False       # over the biLM from a random start, not the one starting from bilm.embed_init

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
    if profile.bilm.embed_init is not None:  # a biLM that starts at random is the main one otherwise
        found += [Row(f"{elmo_key(mode)}{SCRATCH_SUFFIX}", "elmo", mode, scratch=True)
                  for mode in profile.elmo.scratch_modes if mode in profile.elmo.modes]
    if profile.elmo.finetune_lr_scale is not None:
        found.append(Row(elmo_key("trainable", finetuned=True), "finetuned", "trainable"))
    return {row.key: row for row in found}


def model_keys(profile: Profile) -> tuple[str, ...]:
    """Return every model key the profile's study runs, static rows first."""
    return tuple(rows(profile))


def trainer(method: str) -> Callable:
    """Return the trainer of a static method or baseline (imported on first use)."""
    return resolve(static_row(method).trainer)


def is_baseline(key: str) -> bool:
    """Return True for a row that brings its own classifier (a baseline such as TF-IDF)."""
    return key in static_rows() and static_rows()[key].baseline


def _elmo_parts(key: str) -> tuple[str, str | None] | None:
    """Return (mode, joined static method or None) of an `elmo_<mode>[_<static>]` key, or None for other keys."""
    if not key.startswith("elmo_"):
        return None
    rest, modes = key[len("elmo_"):], mixing_modes()
    for mode in sorted(modes, key=len, reverse=True):
        if rest == mode:
            return mode, None
        if rest.startswith(mode + "_") and rest[len(mode) + 1:] in static_rows():
            return mode, rest[len(mode) + 1:]
    return None


def label(key: str, record: dict | None = None) -> str:
    """Return the display name of a model key (the key itself when it has none). Given the row's metrics `record`,
    an ELMo row's name also says where its biLM's word embeddings started (settings.bilm_start): "(biLM from
    skip-gram start)" or "(biLM from scratch)"; a `_scratch` key says "from scratch" without one."""
    if key in static_rows():
        return static_rows()[key].label
    if key.endswith(SCRATCH_SUFFIX) and _elmo_parts(key[:-len(SCRATCH_SUFFIX)]):
        return f"{label(key[:-len(SCRATCH_SUFFIX)])} (biLM from scratch)"
    if key == FINETUNED_KEY:
        name = "ELMo, top biLM layer fine-tuned"
    else:
        parts = _elmo_parts(key)
        if parts is None:
            return key
        mode, joined = parts
        mode_name = mixing_modes()[mode].label
        name = f"ELMo ({mode_name}) + {static_row(joined).label.lower()}" if joined else f"ELMo, {mode_name}"
    return name + start_words(record)


def bilm_start_of(record: dict | None) -> str | None:
    """Return where a biLM row's word embeddings started: "random", or the static method whose vectors they started
    from; None for another row or a record that does not say (written before settings.bilm_start existed)."""
    settings = (record or {}).get("settings", {})
    if settings.get("arm") not in BILM_ARMS or ("bilm_start" not in settings and "embed_init" not in
                                                 settings.get("bilm", {})):
        return None
    return settings.get("bilm_start", settings.get("bilm", {}).get("embed_init")) or "random"


def start_words(record: dict | None) -> str:
    """Return " (biLM from <method> start)" or " (biLM from scratch)" for a biLM row's record, "" for another row or
    a record that does not name the start."""
    start = bilm_start_of(record)
    if start is None:
        return ""
    if start == "random":
        return " (biLM from scratch)"
    return f" (biLM from {static_row(start).label.lower()} start)" if start in static_rows() else f" (biLM from {start} start)"


def reference_accuracy(key: str) -> float | None:
    """Return the reference study's test accuracy for a model key, or None where it reported none."""
    if key in static_rows():
        return static_rows()[key].reference
    if key.endswith(SCRATCH_SUFFIX):  # the reference study's own setting: its biLM started at random
        key = key[:-len(SCRATCH_SUFFIX)]
    parts = _elmo_parts(key)
    return mixing_modes()[parts[0]].reference if parts and parts[1] is None else None
