"""A finished biLM on disk: load it, tell whether a checkpoint is finished, or train (and resume) until it is."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from elmo_lib.checkpoint import BILM_STATE, CheckpointError, load_checkpoint
from elmo_lib.config import BiLMConfig, PretrainConfig
from elmo_lib.corpus import Corpus
from elmo_lib.embeddings.bilm import BiLM
from elmo_lib.pretrain import _signature, pretrain_bilm
from elmo_lib.timing import read_timing


def load_bilm(checkpoint_path: str | Path, vocab_fingerprint: str, vocab_size: int, bilm_cfg: BiLMConfig,
              state: dict | None = None) -> BiLM:
    """Return the biLM stored in a checkpoint (or its already-read `state`), refusing one made for another
    vocabulary or other sizes."""
    expected = _signature(vocab_fingerprint, vocab_size, bilm_cfg)
    if state is None:
        state = load_checkpoint(checkpoint_path, expected)
    elif state["signature"] != expected:
        load_checkpoint(checkpoint_path, expected)  # raises the error naming each difference
    model = BiLM(vocab_size, bilm_cfg)
    model.load_state_dict(state["model"])
    return model


def finished_state(path: Path, cfg: PretrainConfig) -> dict | None:
    """Return the checkpoint at `path` if it holds a biLM that finished `cfg.epochs` epochs, else None."""
    if not path.is_file():
        return None
    state = load_checkpoint(path, required=BILM_STATE,
                            fix="Delete it (or pass --force) to train the biLM from scratch.")
    return state if state["epoch"] > cfg.epochs else None


def pretrained_bilm(corpus: Corpus, bilm_cfg: BiLMConfig, cfg: PretrainConfig, path: str | Path,
                    make_start: Callable[[], np.ndarray | None] | None = None) -> tuple[BiLM, dict]:
    """Return the trained biLM at `path` and its log, training (or resuming) unless that checkpoint is finished;
    `make_start()` gives the starting word embeddings, and is called only when training starts."""
    path = Path(path)
    try:
        state = finished_state(path, cfg)
    except CheckpointError as err:
        print(f"{err}: training it again")
        path.unlink()
        state = None
    if state is not None:
        print(f"biLM: reusing {path}")
        model = load_bilm(path, corpus.vocab.fingerprint(), len(corpus.vocab), bilm_cfg, state)
        return model, {"epochs": _with_timing(path, state["epochs_log"]), "steps": state["steps_log"],
                       "checkpoint": path.name}
    start = make_start() if make_start and not path.is_file() else None
    result = pretrain_bilm(corpus, bilm_cfg, cfg, path, resume=True, embedding_start=start)
    return result.model, {"epochs": _with_timing(path, result.epochs), "steps": result.steps, "checkpoint": path.name}


def _with_timing(checkpoint_path: Path, epochs: list[dict]) -> list[dict]:
    """Return the epoch log entries with their seconds and tokens/s from the timing.json beside the checkpoint
    (kept apart so that the checkpoint has the same bytes on every run), where it has them."""
    timing = read_timing(checkpoint_path.parent).get("epochs", {})
    return [{**entry, **timing.get(str(entry["epoch"]), {})} for entry in epochs]
