"""Contextual vectors for new text from a trained biLM: every token's layers h_0..h_L (AllenNLP's `elmo` command).

    embedder = load_bilm("cpu")                       # from the artifacts, computing nothing
    doc = embedder.embed(["Stocks fell on Wall Street"])[0]
    doc.tokens                                        # ["stocks", "fell", "on", "wall", "street"]
    doc.layers                                        # (tokens, L + 1, 2·hidden) float32: h_0 = [x; x], h_j = [fwd_j; bwd_j]

Each text is tokenised as the study tokenises, read as `<bos> w .. <eos>` (those two positions dropped), and
words outside the training vocabulary are read as `<unk>` (`Embedded.known` says which were known).
"""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from elmo_lib.vocab import BOS_ID, EOS_ID, UNK_ID


@dataclass
class Embedded:
    """One text's tokens, whether each is in the vocabulary, and its (tokens, L + 1, D) layers."""

    tokens: list[str]
    known: np.ndarray
    layers: np.ndarray


@dataclass
class Embedder:
    """A trained biLM with its vocabulary, ready for new text."""

    bilm: object          # embeddings.bilm.BiLM, frozen, eval mode
    vocab: object         # vocab.Vocabulary it was trained with
    device: object

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> list[Embedded]:
        """Return every text's tokens and layers, in the order given (an empty text gives zero tokens)."""
        import torch

        from elmo_lib.batching import pad_ids
        from elmo_lib.text import tokenize
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: give at least 1")
        tokens = [tokenize(text) for text in texts]
        out: list[Embedded] = []
        for start in range(0, len(tokens), batch_size):
            chunk = tokens[start:start + batch_size]
            ids = [np.concatenate([[BOS_ID], self.vocab.encode(t), [EOS_ID]]).astype(np.int64) for t in chunk]
            padded, lengths = pad_ids(ids)
            with torch.inference_mode():
                layers = self.bilm.layer_representations(padded.to(self.device), lengths.to(self.device))
            layers = layers.float().cpu().numpy()                   # (batch, L + 1, time, D)
            for row, words in enumerate(chunk):
                doc = layers[row, :, 1:1 + len(words)].transpose(1, 0, 2)
                out.append(Embedded(list(words), ids[row][1:-1] != UNK_ID, np.ascontiguousarray(doc)))
        return out


def load_bilm(profile: str = "auto", overrides: dict | None = None, artifacts: str | Path | None = None) -> Embedder:
    """Return an Embedder over the finished biLM of `profile` in `artifacts`, computing nothing (NotTrainedError
    with the command to run when there is none)."""
    from elmo_lib.bilm_store import load_bilm as load_checkpointed
    from elmo_lib.device import choose_device
    from elmo_lib.embeddings.features import freeze
    from elmo_lib.notebook import open_study
    study = open_study(profile, overrides, artifacts, announce=False)
    checkpoint = study.trained_bilm_checkpoint()
    with contextlib.redirect_stdout(sys.stderr):
        vocab = study.trained_vocab()
    device = choose_device(study.profile.pretrain.device, announce=False)
    bilm = load_checkpointed(checkpoint, vocab.fingerprint(), len(vocab), study.profile.bilm)
    return Embedder(freeze(bilm).to(device), vocab, device)


def write_npz(path: str | Path, embedded: Sequence[Embedded]) -> None:
    """Write the embedded texts to one .npz (atomically): `layers` (all tokens, L + 1, D) float32, `tokens` and
    `known` per token, `offsets` (texts + 1,) where each text's tokens start, read back with np.load alone."""
    from elmo_lib.io import atomic_path
    lengths = [len(doc.tokens) for doc in embedded]
    dim = embedded[0].layers.shape[1:] if embedded else (0, 0)
    layers = np.concatenate([doc.layers for doc in embedded]) if sum(lengths) else np.zeros((0, *dim), np.float32)
    tokens = np.array([t for doc in embedded for t in doc.tokens], dtype=str)
    known = np.concatenate([doc.known for doc in embedded]) if sum(lengths) else np.zeros(0, bool)
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, layers=layers.astype(np.float32), tokens=tokens, known=known,
                 offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
