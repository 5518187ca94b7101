"""Device and precision choice: CUDA with bf16 autocast when present, CPU float32 otherwise."""
from __future__ import annotations

import contextlib
import functools
import random
import warnings

import numpy as np
import torch

from elmo_lib.allocator import keep_freed_memory


def choose_device(name: str = "auto", announce: bool = True) -> torch.device:
    """Return the torch device for `name` (auto picks CUDA when available), printing the choice; host memory freed
    by training is kept for reuse from here on (elmo_lib.allocator)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but CUDA is not available; use --device cpu")
    device = torch.device(name)
    keep_freed_memory()
    if announce:
        if device.type == "cuda":
            print(f"device: {torch.cuda.get_device_name(device)} (CUDA)")
        else:
            print(f"device: CPU, {torch.get_num_threads()} threads")
    return device


def resolve_precision(device: torch.device, precision: str = "auto") -> str:
    """Return "bf16" or "fp32", the precision that runs: auto means bf16 on CUDA and fp32 on CPU, and bf16 asked for
    on a CPU without native bf16 units runs fp32 (with a warning)."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if runnable_precision(precision, device.type) != precision:
        warnings.warn(NO_NATIVE_BF16, stacklevel=2)
        return "fp32"
    return precision


# Why bf16 runs only where the CPU computes it natively, with the measurements: docs/design.md (Precision).
NO_NATIVE_BF16_WHY = "this CPU has no native bf16 units (avx512_bf16 or AMX), so oneDNN has no bf16 LSTM"
NO_NATIVE_BF16 = f"bf16 was asked for, but {NO_NATIVE_BF16_WHY}; running float32 instead (set the precision to fp32)"


def runnable_precision(precision: str | None, device_name: str = "auto") -> str | None:
    """Return `precision` as a setting, or "fp32" where it asks for bf16 on a CPU without native bf16 (what
    resolve_precision would run), so that cache keys and records name the precision that ran."""
    on_cpu = device_name == "cpu" or (device_name == "auto" and not torch.cuda.is_available())
    return "fp32" if precision == "bf16" and on_cpu and not cpu_has_native_bf16() else precision


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Return True when oneDNN computes bf16 natively on this CPU (avx512_bf16 or AMX), where bf16 is faster."""
    return torch.backends.mkldnn.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """Return the mixed-precision context: bf16 autocast where the precision resolves to bf16, else nothing."""
    if resolve_precision(device, precision) == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Return the dtype autocast computes in on `device` when it is on there, else None."""
    return torch.get_autocast_dtype(device.type) if torch.is_autocast_enabled(device.type) else None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
