"""Inverted dropout whose mask comes from a uniform draw, for the classifier's inputs on CPU.

    y = x · m / (1 - p),   m_i = [u_i ≥ p],  u_i ~ U[0, 1)   (training; y = x in eval mode)

The same distribution as `nn.Dropout`. On CPU, `nn.Dropout` draws its mask with `bernoulli_`, which is
several times slower than `torch.rand` plus a compare, and in a classifier epoch over cached ELMo layers that
draw was a large share of the time (`benchmarks/records/dropout_cpu.json`). On CUDA `nn.Dropout`'s fused kernel
is faster, so it is used there.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def uniform_mask_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Return `x` with each element zeroed with probability `p` and the rest scaled by 1 / (1 - p) (in training)."""
    if not training or p <= 0:
        return x
    if p >= 1:
        return x * 0
    if x.is_cuda:
        return F.dropout(x, p, training=True)
    keep = (torch.rand(x.shape, device=x.device) >= p).to(x.dtype).mul_(1.0 / (1.0 - p))
    return x * keep


class UniformMaskDropout(nn.Module):
    """`nn.Dropout(p)` with its CPU mask drawn by `torch.rand` (see uniform_mask_dropout)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return uniform_mask_dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
