"""Device and precision choice: CUDA with bf16 autocast when present, CPU float32 otherwise."""
from __future__ import annotations

import contextlib
import random

import numpy as np
import torch


def choose_device(name: str = "auto", announce: bool = True) -> torch.device:
    """Return the torch device for `name` (auto picks CUDA when available), printing the choice."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but CUDA is not available; use --device cpu")
    device = torch.device(name)
    if announce:
        if device.type == "cuda":
            print(f"device: {torch.cuda.get_device_name(device)} (CUDA, bf16 autocast)")
        else:
            print(f"device: CPU, float32, {torch.get_num_threads()} threads")
    return device


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """Return the mixed-precision context for `device`: bf16 autocast on CUDA, nothing on CPU."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
