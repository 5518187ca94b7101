"""Three ways to turn the biLM's layers h_0..h_L (each (batch, time, D)) into one token vector.

    trainable λ : γ · Σ_j softmax(w)_j · h_j        w (init 0) and γ (init 1) learned with the classifier
    frozen λ    : γ · Σ_j softmax(w)_j · h_j        w ~ N(0, 1) from a seeded generator, γ = 1, both frozen
    function    : ReLU(W · [h_0; h_1; ...; h_L] + b) W: (D, (L+1)·D), learned; no λ at all
"""
from __future__ import annotations

import torch
from torch import nn

MIX_MODES = ("trainable", "frozen", "function")


class ScalarMix(nn.Module):
    """γ · Σ_j softmax(w)_j · h_j over layers stacked as (batch, layers, time, D)."""

    def __init__(self, n_layers: int, trainable: bool = True, seed: int | None = None):
        super().__init__()
        if trainable:
            self.weights = nn.Parameter(torch.zeros(n_layers))
            self.gamma = nn.Parameter(torch.ones(()))
        else:
            generator = torch.Generator().manual_seed(seed if seed is not None else 0)
            self.register_buffer("weights", torch.randn(n_layers, generator=generator))
            self.register_buffer("gamma", torch.ones(()))

    def normalised_weights(self) -> torch.Tensor:
        """Return softmax(w), the λ_j that sum to 1."""
        return torch.softmax(self.weights, dim=0)

    def forward(self, layers: torch.Tensor) -> torch.Tensor:
        lam = self.normalised_weights().to(layers.dtype)
        return self.gamma * torch.einsum("l,bltd->btd", lam, layers)


class LayerFunction(nn.Module):
    """ReLU(Linear((L+1)·D -> D)) over the concatenated layers (batch, layers, time, D)."""

    def __init__(self, n_layers: int, dim: int):
        super().__init__()
        self.linear = nn.Linear(n_layers * dim, dim)

    def forward(self, layers: torch.Tensor) -> torch.Tensor:
        batch, n_layers, time, dim = layers.shape
        return torch.relu(self.linear(layers.permute(0, 2, 1, 3).reshape(batch, time, n_layers * dim)))


def make_mixer(mode: str, n_layers: int, dim: int, frozen_seed: int) -> nn.Module:
    """Return the layer combiner for `mode` (trainable, frozen or function)."""
    if mode == "trainable":
        return ScalarMix(n_layers, trainable=True)
    if mode == "frozen":
        return ScalarMix(n_layers, trainable=False, seed=frozen_seed)
    if mode == "function":
        return LayerFunction(n_layers, dim)
    raise ValueError(f"mode must be one of {MIX_MODES}, not {mode!r}")
