"""Cached biLM layer outputs: the biLM is frozen, so each document's layers are computed once.

Layer 0 ([x; x], x the projected token embedding) depends on the token alone, so it is kept as a
(vocab, D) table; layers 1..L are stored per token in one flat float16 array (tokens, L, D),
in memory or memory-mapped, and served to the classifier batch by batch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from elmo_lib.batching import bucketed_batches, pad_ids
from elmo_lib.classify import TokenIdSource
from elmo_lib.corpus import EncodedSplit
from elmo_lib.device import autocast
from elmo_lib.embeddings.elmo import BiLM
from elmo_lib.embeddings.mixing import make_mixer
from elmo_lib.progress import progress
from elmo_lib.pretrain import lm_sequences


def freeze(model: nn.Module) -> nn.Module:
    """Return `model` in eval mode with no parameter requiring a gradient."""
    model.eval()
    model.requires_grad_(False)
    return model


def token_offsets(split: EncodedSplit) -> np.ndarray:
    """Return where each document's tokens start in the flat per-token array (and the total at the end)."""
    return np.concatenate([[0], np.cumsum(split.lengths)])


class LayerFeatures(TokenIdSource):
    """Per-token biLM layers 1..L of one split, flat (tokens, L, D), with each document's offset."""

    def __init__(self, values: np.ndarray, split: EncodedSplit):
        super().__init__(split)
        self.values = values
        self.offsets = token_offsets(split)

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Return ({"ids": (batch, time), "layers": (batch, L, time, D) float32}, lengths)."""
        inputs, lengths = super().batch(indices)
        n_layers, dim = self.values.shape[1:]
        layers = np.zeros((len(indices), int(lengths.max()), n_layers, dim), dtype=np.float32)
        for row, doc in enumerate(indices):
            start, end = self.offsets[doc], self.offsets[doc + 1]
            layers[row, :end - start] = self.values[start:end]
        return {**inputs, "layers": torch.from_numpy(layers).permute(0, 2, 1, 3)}, lengths

    def nbytes(self) -> int:
        """Return the bytes the cached layers take."""
        return int(self.values.nbytes)


@torch.no_grad()
def compute_features(bilm: BiLM, split: EncodedSplit, device: torch.device, dtype: str = "float16",
                     batch_size: int = 128, path: str | Path | None = None) -> LayerFeatures:
    """Return layers 1..L of every token of `split` from the frozen biLM (memory-mapped at `path` if given).

    Each document is read as `<bos> w .. <eos>`; the <bos>/<eos> positions are dropped.
    """
    freeze(bilm).to(device)
    sequences = lm_sequences(split)
    lengths = split.lengths
    offsets = token_offsets(split)
    shape = (int(offsets[-1]), bilm.cfg.layers, bilm.out_dim)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        values = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    else:
        values = np.empty(shape, dtype=dtype)
    batches = bucketed_batches(lengths, batch_size)
    for indices in progress(batches, desc=f"biLM features ({split.name})", unit="batch", leave=False):
        ids, lens = pad_ids([sequences[i] for i in indices])
        with torch.inference_mode(), autocast(device):
            reps = bilm.layer_representations(ids.to(device), lens.to(device))[:, 1:]  # (B, L, T, D)
        reps = reps.float().permute(0, 2, 1, 3).cpu().numpy()
        for row, doc in enumerate(indices):
            n = lengths[doc]
            values[offsets[doc]:offsets[doc] + n] = reps[row, 1:n + 1]
    if path is not None:
        values.flush()
    return LayerFeatures(values, split)


class ElmoEncoder(nn.Module):
    """(ids, cached layers 1..L) -> mixed token vectors (batch, time, D); layer 0 from a frozen table.

    With `layer_norm` each layer h_j is normalised over its D features (zero mean, unit variance, no
    learned parameters) before the mixer, as ELMo allows; the biLM itself stays untouched.
    """

    def __init__(self, bilm: BiLM, mode: str, frozen_seed: int, layer_norm: bool = True):
        super().__init__()
        self.layer_norm = layer_norm
        freeze(bilm)
        with torch.no_grad():
            x = bilm.project(bilm.embedding.weight)
        self.register_buffer("layer0", torch.cat([x, x], dim=-1).float())
        self.out_dim = bilm.out_dim
        self.mode = mode
        self.mixer = make_mixer(mode, bilm.cfg.layers + 1, self.out_dim, frozen_seed)

    def forward(self, ids: torch.Tensor, layers: torch.Tensor) -> torch.Tensor:
        h0 = self.layer0[ids].unsqueeze(1)
        stacked = torch.cat([h0, layers.to(h0.dtype)], dim=1)
        if self.layer_norm:  # ELMo's optional per-layer normalisation: no learned scale, so λ alone weighs the layers
            stacked = F.layer_norm(stacked, stacked.shape[-1:])
        return self.mixer(stacked)
