"""The one optimiser recipe every loop shares: AdamW with a linear warm-up."""
from __future__ import annotations

from typing import Iterable

import torch


def adamw_with_warmup(params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float,
                      warmup_steps: int) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """Return (AdamW, scheduler): the learning rate rises linearly to `lr` over `warmup_steps`, then stays."""
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / max(warmup_steps, 1)))
    return optimiser, scheduler
