"""Sums whose rounding does not follow the thread count.

A full reduction in torch (`x.sum()`, a norm) splits its input across the threads and adds the partial sums, so
the same tensor sums to other last bits with 1 and with 2 threads; training amplifies those bits. Here the input is
cut into fixed blocks of BLOCK elements, each block summed whole by one thread (a reduction over the last dimension
is split over rows, not within a row), and the block sums are summed the same way, so the order of every addition
is fixed by the tensor's size alone.
"""
from __future__ import annotations

from typing import Iterable

import torch

BLOCK = 4096


def fixed_order_sum(x: torch.Tensor) -> torch.Tensor:
    """Return the sum of every element of `x` (a 0-d tensor of its dtype), added in an order fixed by its size."""
    flat = x.reshape(-1)
    while flat.numel() > BLOCK:
        pad = (-flat.numel()) % BLOCK
        if pad:
            flat = torch.cat([flat, flat.new_zeros(pad)])
        flat = flat.view(-1, BLOCK).sum(dim=1)
    return flat.sum()


@torch.no_grad()
def clip_grad_norm_fixed(parameters: Iterable[torch.nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale the gradients of `parameters` so their joint L2 norm is at most `max_norm` (as
    torch.nn.utils.clip_grad_norm_ does), the norm summed in a fixed order; return the norm before clipping."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    total = torch.stack([fixed_order_sum(g.float().pow(2)) for g in grads])
    norm = fixed_order_sum(total).sqrt()
    coefficient = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    for g in grads:
        g.mul_(coefficient.to(g.dtype))
    return norm
