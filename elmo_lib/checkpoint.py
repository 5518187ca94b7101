"""Checkpoints: one dict per file, written atomically, loaded with torch.load(weights_only=True)."""
from __future__ import annotations

from pathlib import Path

import torch

from elmo_lib.errors import CheckpointError
from elmo_lib.io import atomic_path

__all__ = ["BILM_STATE", "CheckpointError", "load_checkpoint", "save_checkpoint"]



def save_checkpoint(path: str | Path, payload: dict) -> None:
    """Write `payload` to `path` atomically: a crash leaves the previous checkpoint intact.

    Saved through an open file, so the archive's inner folder is torch's fixed "archive" rather than the
    temporary file's random name: the same payload always gives the same bytes (and SHA-256).
    """
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
        torch.save(payload, fh)


BILM_STATE = ("model", "optimiser", "scheduler", "epoch", "position", "global_step", "rng", "epochs_log", "steps_log")


def load_checkpoint(path: str | Path, expected: dict | None = None, required: tuple[str, ...] = (),
                    fix: str = "Delete it to train from scratch.") -> dict:
    """Return the checkpoint at `path`, refusing corrupt files, any whose `signature` differs from `expected` and any
    without every `required` entry; `fix` says what to do about such a file."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err}). {fix}") from None
    if not isinstance(payload, dict) or "signature" not in payload:
        raise CheckpointError(f"{path}: not an elmo_lib checkpoint (no signature). {fix}")
    missing = [key for key in required if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: an incomplete checkpoint (no {', '.join(missing)}). {fix}")
    if expected is not None:
        stored = payload["signature"]
        differences = [f"{key}: checkpoint {stored.get(key)!r}, now {value!r}"
                       for key, value in expected.items() if stored.get(key) != value]
        if differences:
            raise CheckpointError(f"{path}: made for other settings ({'; '.join(differences)}). "
                                  f"Use the settings it was made with, or delete it to retrain.")
    return payload
