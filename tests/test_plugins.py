"""Rows and mixing modes as plug-ins: every registered one keeps the contract, and a new row and a new mode with a
setting of their own are one declaration each (docs/extending.md's recipe, run at a tiny size)."""
from dataclasses import dataclass

import numpy as np
import pytest

from elmo_lib.config import SettingError, get_profile
from elmo_lib.plugins import (
    MixingMode,
    StaticRow,
    mixing_modes,
    register_mixing_mode,
    register_static_row,
    resolve,
    static_rows,
    unregister,
)
from elmo_lib.registry import label, model_keys
from elmo_lib.settings import positive, setting


@pytest.mark.parametrize("name", sorted(static_rows()))
def test_every_static_row_declares_working_settings_a_trainer_and_a_label(name):
    row = static_rows()[name]
    settings = row.settings()
    assert callable(resolve(row.trainer)) and row.label and label(name) == row.label
    assert hasattr(settings, "windows") or not row.sweeps_windows
    assert row.baseline or hasattr(settings, "seed")  # vectors are seeded: a replicate draws them anew


@pytest.mark.parametrize("name", sorted(mixing_modes()))
def test_every_mixing_mode_maps_the_layers_to_one_vector_a_token(name):
    import torch

    from elmo_lib.embeddings.mixing import make_mixer
    mode = mixing_modes()[name]
    mixer = make_mixer(name, 3, 8, 0, 1.0, mode.settings() if mode.settings else None)
    assert mixer(torch.randn(2, 3, 5, 8)).shape == (2, 5, 8) and label(f"elmo_{name}").startswith("ELMo")


# ---- the recipe: a toy static row and a toy mode, each declared once, here ------------------------------------
@dataclass(frozen=True)
class ToyVectors:
    """Seeded random word vectors: a static row that sweeps no window."""

    dim: int = positive(40)
    seed: int = setting(0, bounds=(0, None))


def train_toy(docs, vocab, cfg: ToyVectors, window):
    from elmo_lib.embeddings.static import StaticEmbeddings, scale_rows
    vectors = np.random.default_rng(cfg.seed).standard_normal((len(vocab), cfg.dim)).astype(np.float32)
    vectors[0] = 0.0
    return StaticEmbeddings(scale_rows(vectors), vocab, {"method": "toy", "window": window, "dim": cfg.dim})


@dataclass(frozen=True)
class ToyMean:
    """The mean of the layers, times a scale."""

    scale: float = positive(1.0)


def toy_mean(n_layers, dim, frozen_seed, settings: ToyMean, lr_scale):
    import torch

    class Mean(torch.nn.Module):
        def forward(self, layers):
            return settings.scale * layers.mean(dim=1)
    return Mean()


@pytest.fixture
def toys():
    register_static_row(StaticRow("toy", ToyVectors, train_toy, "Toy vectors", sweeps_windows=False))
    register_mixing_mode(MixingMode("mean", toy_mean, "toy mean", settings=ToyMean))
    yield
    unregister("toy")
    unregister("mean")


def _profile(shared_dir, **more):
    overrides = {"data.data_dir": str(shared_dir), "data.max_train_rows": 600, "data.max_test_rows": 200,
                 "classifier.max_epochs": 1, "pretrain.epochs": 1, "static_methods": ["toy"], "elmo.modes": ["mean"],
                 "elmo.concat_modes": [], "elmo.finetune_lr_scale": None, "bilm.embed_init": "toy",
                 "learning_curve": [], **more}
    return get_profile("smoke", overrides)


def test_a_new_row_and_a_new_mode_run_and_key_only_themselves(toys, shared_dir, tmp_path):
    from elmo_lib.study import Study
    profile = _profile(shared_dir)
    assert model_keys(profile) == ("toy", "elmo_mean") and label("elmo_mean") == "ELMo, toy mean"
    study = Study(profile, tmp_path)
    results = study.results()
    assert set(results) == {"toy", "elmo_mean"} and results["toy"]["settings"]["embedding"]["window"] is None
    assert 0.0 < results["elmo_mean"]["test"]["accuracy"] <= 1.0

    rescaled = Study(_profile(shared_dir, **{"mean.scale": 2.0}), tmp_path)
    assert rescaled._static_record_path("toy") == study._static_record_path("toy")
    assert rescaled._elmo_record_path("mean", None, "d") != study._elmo_record_path("mean", None, "d")
    reseeded = Study(_profile(shared_dir, **{"toy.seed": 1}), tmp_path)
    assert reseeded._static_record_path("toy") != study._static_record_path("toy")
    assert reseeded._elmo_record_path("mean", None, "d") == study._elmo_record_path("mean", None, "d")


def test_a_plugins_settings_are_checked_by_the_rules_beside_them(toys, shared_dir):
    assert dict(_profile(shared_dir, **{"toy.dim": 48}).plugin_settings)["toy"].dim == 48
    with pytest.raises(SettingError, match=r"toy.dim=0: must be > 0"):
        _profile(shared_dir, **{"toy.dim": 0})
    with pytest.raises(SettingError, match=r"unknown setting 'toy.width'"):
        _profile(shared_dir, **{"toy.width": 3})
    with pytest.raises(SettingError, match=r"choose one of"):
        get_profile("smoke", {"static_methods": ["nosuch"]})
