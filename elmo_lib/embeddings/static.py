"""Static word vectors tied to the vocabulary they index, saved and loaded together."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from elmo_lib.io import atomic_path, read_json, write_json
from elmo_lib.vocab import PAD_ID, Vocabulary


@dataclass
class StaticEmbeddings:
    """A (vocab_size, dim) float32 matrix whose row i is the vector of vocabulary id i."""

    vectors: np.ndarray
    vocab: Vocabulary
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.vectors.shape[0] != len(self.vocab):
            raise ValueError(f"{self.vectors.shape[0]} vectors for a vocabulary of {len(self.vocab)}")

    @property
    def dim(self) -> int:
        """Return the vector width."""
        return int(self.vectors.shape[1])

    def save(self, folder: str | Path) -> None:
        """Write vectors.npy, vocab.json and info.json into `folder` (each atomically)."""
        folder = Path(folder)
        with atomic_path(folder / "vectors.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, self.vectors.astype(np.float32))
        self.vocab.save(folder / "vocab.json")
        write_json(folder / "info.json", {**self.info, "vocab_fingerprint": self.vocab.fingerprint()})

    @classmethod
    def load(cls, folder: str | Path) -> "StaticEmbeddings":
        """Return the embeddings saved in `folder`, checking they match their vocabulary."""
        folder = Path(folder)
        vocab = Vocabulary.load(folder / "vocab.json")
        info = read_json(folder / "info.json")
        if info.get("vocab_fingerprint") != vocab.fingerprint():
            raise ValueError(f"{folder}: vectors were saved for another vocabulary")
        return cls(np.load(folder / "vectors.npy"), vocab, info)


def scale_rows(vectors: np.ndarray) -> np.ndarray:
    """Return `vectors` centred on the mean non-zero row, each non-zero row rescaled to norm sqrt(dim).

    Centring removes the direction every word shares (strong in skip-gram vectors), and the scale
    gives each component unit size on average, so every static embedding feeds the classifier alike.
    """
    present = np.abs(vectors).sum(axis=1) > 0
    vectors = np.where(present[:, None], vectors - vectors[present].mean(axis=0), 0.0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scaled = vectors * (np.sqrt(vectors.shape[1]) / np.maximum(norms, 1e-12))
    return np.where(norms > 0, scaled, 0.0).astype(np.float32)


class StaticEncoder(nn.Module):
    """ids (batch, time) -> frozen static vectors (batch, time, dim); no gradient reaches them."""

    def __init__(self, vectors: np.ndarray):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(torch.as_tensor(vectors, dtype=torch.float32),
                                                      freeze=True, padding_idx=PAD_ID)
        self.out_dim = int(vectors.shape[1])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)
