"""Three ways to turn the biLM's layers h_0..h_L (each (batch, time, D)) into one token vector.

    trainable λ : γ · Σ_j softmax(w)_j · h_j        w (init 0) and γ (init 1) learned with the classifier
    frozen λ    : γ · Σ_j softmax(w)_j · h_j        w ~ N(0, 1) from a seeded generator, γ = 1, both frozen
    function    : ReLU(W · [h_0; h_1; ...; h_L] + b) W: (D, (L+1)·D), learned; no λ at all;
                  W starts at [I/(L+1) ... I/(L+1)] (the equal mix) plus small noise, b at 0, and learns at
                  `lr_scale` times the classifier's rate (at the full rate, Adam's per-weight steps move
                  its (L+1)·D² weights off that start within a few hundred steps)
"""
from __future__ import annotations

import torch
from torch import nn

from elmo_lib.plugins import mixing_modes, resolve


class ScalarMix(nn.Module):
    """γ · Σ_j softmax(w)_j · h_j over layers stacked as (batch, layers, time, D)."""

    no_weight_decay = True  # w and γ are a mix, not weights to shrink (elmo_lib.optim.parameter_groups)

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
        # γ folded into the (layers,) weights before the product: its gradient then comes through that small vector,
        # not from a sum over every element of the output, whose rounding would follow the thread count
        scale = (self.gamma * self.normalised_weights()).to(layers.dtype)
        return torch.einsum("l,bltd->btd", scale, layers)


class LayerFunction(nn.Module):
    """ReLU(Linear((L+1)·D -> D)) over the concatenated layers (batch, layers, time, D).

    `lr_scale` multiplies the learning rate of its weights (read by elmo_lib.optim.parameter_groups).
    """

    def __init__(self, n_layers: int, dim: int, lr_scale: float = 1.0):
        super().__init__()
        self.lr_scale = lr_scale
        self.linear = nn.Linear(n_layers * dim, dim)
        with torch.no_grad():  # start near the equal-weight mix: W = [I/n .. I/n] plus the default small noise
            self.linear.weight.mul_(0.1).add_(torch.eye(dim).repeat(1, n_layers) / n_layers)
            self.linear.bias.zero_()

    def forward(self, layers: torch.Tensor) -> torch.Tensor:
        batch, n_layers, time, dim = layers.shape
        return torch.relu(self.linear(layers.permute(0, 2, 1, 3).reshape(batch, time, n_layers * dim)))


# The built-in modes' mixers, declared in elmo_lib/rows/modes.py: (n_layers, dim, frozen_seed, settings, lr_scale) ->
# module; `settings` are the mode's own (None here), `lr_scale` the learning-rate factor the profile gives the
# mode's weights (elmo.function_lr_scale for function, 1.0 for the others).
def trainable_mix(n_layers: int, dim: int, frozen_seed: int, settings=None, lr_scale: float = 1.0) -> nn.Module:
    """Return trainable λ: w (init 0) and γ (init 1) learned with the classifier."""
    return ScalarMix(n_layers, trainable=True)


def frozen_mix(n_layers: int, dim: int, frozen_seed: int, settings=None, lr_scale: float = 1.0) -> nn.Module:
    """Return frozen λ: w drawn from a generator seeded by `frozen_seed`, γ = 1, both frozen."""
    return ScalarMix(n_layers, trainable=False, seed=frozen_seed)


def function_mix(n_layers: int, dim: int, frozen_seed: int, settings=None, lr_scale: float = 1.0) -> nn.Module:
    """Return ReLU(Linear((L+1)·D -> D)) from the equal mix, learning at `lr_scale` times the classifier's rate."""
    return LayerFunction(n_layers, dim, lr_scale)


def make_mixer(mode: str, n_layers: int, dim: int, frozen_seed: int, function_lr_scale: float = 1.0,
               settings=None) -> nn.Module:
    """Return the layer combiner of the registered mixing mode `mode` (elmo_lib.plugins), with its `settings`."""
    modes = mixing_modes()
    if mode not in modes:
        raise ValueError(f"mode must be one of {tuple(modes)}, not {mode!r}")
    return resolve(modes[mode].mixer)(n_layers, dim, frozen_seed, settings,
                                      function_lr_scale if mode == "function" else 1.0)


def mix_weights(mixer: nn.Module) -> dict | None:
    """Return the λ weights (softmax-normalised), raw w and γ of a scalar mix; None for other mixers."""
    if not isinstance(mixer, ScalarMix):
        return None
    return {"lambda": mixer.normalised_weights().tolist(), "w": mixer.weights.detach().tolist(),
            "gamma": float(mixer.gamma.detach()), "trainable": isinstance(mixer.weights, nn.Parameter)}
