"""Rows and mixing modes as plug-ins: each declares itself once, and the registry, the CLI's choices, the settings'
checks, the pipeline and the report read those declarations (torch-free).

    register_static_row(StaticRow("svd", SVDConfig, "elmo_lib.embeddings.svd:train_svd", "SVD", reference=0.87))
    register_mixing_mode(MixingMode("trainable", "elmo_lib.embeddings.mixing:trainable_mix", "trainable λ"))

A static row's trainer is (docs, vocab, settings, window) -> StaticEmbeddings (window None when it sweeps none);
a baseline's is (corpus, settings) -> metrics record. A mode's mixer is (n_layers, dim, frozen_seed, settings) ->
nn.Module mapping (batch, layers, time, D) to (batch, time, D). The built-in rows and modes are declared in
elmo_lib/rows/; a new one is one more module there (or a register call of your own, as tests/test_plugins.py does).
A row's cache key is exactly its settings dataclass; a mode's settings join only that mode's rows' keys.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class StaticRow:
    """A static method (word vectors fed to the shared classifier) or, with `baseline`, a whole model."""

    name: str
    settings: type                       # a frozen settings dataclass whose defaults work
    trainer: str | Callable              # "module:function", imported on first use, or the function itself
    label: str
    sweeps_windows: bool = True          # trained once per `settings.windows`, the best on validation kept
    baseline: bool = False               # brings its own classifier: the trainer returns a metrics record
    reference: float | None = None       # the reference study's test accuracy, where it reported one


@dataclass(frozen=True)
class MixingMode:
    """A way to turn the biLM's layers into one vector per token."""

    name: str
    mixer: str | Callable                # "module:function" or the function itself
    label: str
    settings: type | None = None         # settings of its own (their values key its rows only)
    reference: float | None = None


_STATIC: dict[str, StaticRow] = {}
_MODES: dict[str, MixingMode] = {}
_LOADED = False


def register_static_row(row: StaticRow) -> StaticRow:
    """Add (or replace) a static row or baseline; return it."""
    _STATIC[row.name] = row
    return row


def register_mixing_mode(mode: MixingMode) -> MixingMode:
    """Add (or replace) a mixing mode; return it."""
    _MODES[mode.name] = mode
    return mode


def unregister(name: str) -> None:
    """Remove the row or mode `name` (a test's toy plug-in, say); the built-ins stay declared in elmo_lib/rows/."""
    _STATIC.pop(name, None)
    _MODES.pop(name, None)


def _load_builtins() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        importlib.import_module("elmo_lib.rows")


def static_rows() -> dict[str, StaticRow]:
    """Return every registered static row and baseline by name."""
    _load_builtins()
    return dict(_STATIC)


def mixing_modes() -> dict[str, MixingMode]:
    """Return every registered mixing mode by name."""
    _load_builtins()
    return dict(_MODES)


def static_row(name: str) -> StaticRow:
    """Return the static row `name`, or raise KeyError listing the registered ones."""
    rows = static_rows()
    if name not in rows:
        raise KeyError(f"unknown static method {name!r}; choose one of {sorted(rows)}")
    return rows[name]


def vector_methods() -> tuple[str, ...]:
    """Return the static rows that make word vectors (not baselines): what the biLM may start from or join."""
    return tuple(name for name, row in static_rows().items() if not row.baseline)


def resolve(target: str | Callable) -> Callable:
    """Return the function a declaration names ("module:function"), importing it now."""
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def row_settings(profile: Any, name: str) -> Any:
    """Return the settings of static row `name` in `profile`: its own section where the profile has one (svd,
    skipgram, tfidf), else the profile's plug-in settings for it, else the row's defaults."""
    section = getattr(profile, name, None)
    if dataclasses.is_dataclass(section):
        return section
    return dict(profile.plugin_settings).get(name) or static_row(name).settings()


def mode_settings(profile: Any, mode: str) -> Any | None:
    """Return the settings of mixing mode `mode` in `profile` (None for a mode with no settings of its own)."""
    declared = mixing_modes()[mode].settings
    if declared is None:
        return None
    return dict(profile.plugin_settings).get(mode) or declared()


def plugin_section(name: str) -> type | None:
    """Return the settings dataclass of the registered row or mode `name` (what `--set NAME.FIELD=...` sets), or
    None when no plug-in of that name has settings."""
    if name in static_rows():
        return static_rows()[name].settings
    mode = mixing_modes().get(name)
    return mode.settings if mode else None
