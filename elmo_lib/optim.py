"""The one optimiser recipe every loop shares: AdamW with a linear warm-up."""
from __future__ import annotations

import math
from typing import Iterable

import torch


def parameter_groups(model: torch.nn.Module, lr: float) -> list[dict]:
    """Return AdamW parameter groups of `model`'s trainable weights: the rest at `lr` first, then each module that
    sets an `lr_scale` attribute at lr times that scale, then the weights of modules that set `no_weight_decay`
    (the λ mix's w and γ: decay would pull the softmax weights towards the equal mix and γ towards 0, a prior the
    study does not mean to put on them) at `lr` and no weight decay."""
    placed, groups = set(), []
    undecayed = [p for module in model.modules() if getattr(module, "no_weight_decay", False)
                 for p in module.parameters() if p.requires_grad]
    placed.update(id(p) for p in undecayed)
    for module in model.modules():
        scale = getattr(module, "lr_scale", None)
        params = [p for p in module.parameters() if p.requires_grad and id(p) not in placed]
        if scale is None or not params:
            continue
        placed.update(id(p) for p in params)
        groups.append({"params": params, "lr": lr * scale})
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in placed]
    return [{"params": rest, "lr": lr}, *groups, *([{"params": undecayed, "lr": lr, "weight_decay": 0.0}]
                                                   if undecayed else [])]


def adamw_with_warmup(params: Iterable[torch.nn.Parameter] | list[dict], lr: float, weight_decay: float,
                      warmup_steps: int, cosine_steps: int | None = None
                      ) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """Return (AdamW, scheduler): the learning rate rises linearly to `lr` (or each group's own) over `warmup_steps`,
    then stays, or with `cosine_steps` falls along a half cosine to 0 at that step."""
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: warmup_factor(step, warmup_steps, cosine_steps))
    return optimiser, scheduler


def warmup_factor(step: int, warmup_steps: int, cosine_steps: int | None = None) -> float:
    """Return the learning-rate factor at `step`: linear warm-up to 1, then 1 (or a half cosine to 0 at
    `cosine_steps`)."""
    rise = min(1.0, (step + 1) / max(warmup_steps, 1))
    if cosine_steps is None or step < warmup_steps:
        return rise
    done = min(1.0, (step - warmup_steps) / max(cosine_steps - warmup_steps, 1))
    return 0.5 * (1.0 + math.cos(math.pi * done))
