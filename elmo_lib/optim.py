"""The one optimiser recipe every loop shares: AdamW with a linear warm-up."""
from __future__ import annotations

from typing import Iterable

import torch


def parameter_groups(model: torch.nn.Module, lr: float) -> list[dict]:
    """Return AdamW parameter groups of `model`'s trainable weights: the rest at `lr` first, then each module that
    sets an `lr_scale` attribute at lr times that scale."""
    scaled, groups = set(), []
    for module in model.modules():
        scale = getattr(module, "lr_scale", None)
        params = [p for p in module.parameters() if p.requires_grad and id(p) not in scaled]
        if scale is None or not params:
            continue
        scaled.update(id(p) for p in params)
        groups.append({"params": params, "lr": lr * scale})
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in scaled]
    return [{"params": rest, "lr": lr}, *groups]


def adamw_with_warmup(params: Iterable[torch.nn.Parameter] | list[dict], lr: float, weight_decay: float,
                      warmup_steps: int) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """Return (AdamW, scheduler): the learning rate rises linearly to `lr` (or each group's own) over `warmup_steps`,
    then stays."""
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / max(warmup_steps, 1)))
    return optimiser, scheduler
