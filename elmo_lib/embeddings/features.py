"""Cached biLM layer outputs: the biLM is frozen, so each document's layers are computed once.

Layer 0 ([x; x], x the projected token embedding) depends on the token alone, so it is kept as a
(vocab, D) table; layers 1..L are stored per token in one flat float16 array (tokens, L, D),
in memory or memory-mapped, and served to the classifier batch by batch.
"""
from __future__ import annotations

import copy
import errno
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from elmo_lib.batching import TokenIdSource, bucketed_batches, pad_ids, real_positions
from elmo_lib.corpus import EncodedSplit
from elmo_lib.device import autocast, autocast_dtype
from elmo_lib.dropout import UniformMaskDropout
from elmo_lib.embeddings.bilm import BiLM, reverse_padded
from elmo_lib.embeddings.mixing import make_mixer
from elmo_lib.embeddings.static import StaticEncoder
from elmo_lib.names import LAYER_NORMS
from elmo_lib.progress import progress
from elmo_lib.reduce import fixed_order_sum
from elmo_lib.vocab import BOS_ID, EOS_ID, PAD_ID


def freeze(model: nn.Module) -> nn.Module:
    """Return `model` in eval mode with no parameter requiring a gradient."""
    model.eval()
    model.requires_grad_(False)
    return model


class LayerFeatures(TokenIdSource):
    """Per-token biLM layers 1..L of one split, flat (tokens, L, D), with each document's offset."""

    def __init__(self, values: np.ndarray | torch.Tensor, split: EncodedSplit):
        super().__init__(split)
        self.values = values

    def placed(self, device: torch.device, max_fraction: float = 0.5) -> "LayerFeatures":
        """Return these features with the layers on `device` when it is a GPU with room for them (under
        `max_fraction` of its free memory), so each batch is one indexed read there; else self."""
        if device.type != "cuda" or isinstance(self.values, torch.Tensor):
            return self
        free, _ = torch.cuda.mem_get_info(device)
        if self.nbytes() > max_fraction * free:
            return self
        return LayerFeatures(torch.from_numpy(np.ascontiguousarray(self.values)).to(device), self.split)

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Return ({"ids": (batch, time), "layers": (batch, L, time, D) in the cache dtype}, lengths).

        One vectorised gather of the batch's real token rows (on the device when the layers live
        there), scattered into a zero-padded tensor; no per-document loop.
        """
        inputs, lengths = super().batch(indices)
        mask, flat = real_positions(self.offsets[indices], lengths.numpy())
        if isinstance(self.values, torch.Tensor):
            device = self.values.device
            rows = self.values[torch.from_numpy(flat).to(device, non_blocking=True)]
            mask_t = torch.from_numpy(mask).to(device, non_blocking=True)
            inputs = {"ids": inputs["ids"].to(device, non_blocking=True)}
        else:
            rows = torch.from_numpy(np.ascontiguousarray(self.values[flat]))
            mask_t = torch.from_numpy(mask)
        layers = rows.new_zeros((*mask.shape, *self.values.shape[1:]))
        layers[mask_t] = rows
        return {**inputs, "layers": layers.permute(0, 2, 1, 3)}, lengths

    def nbytes(self) -> int:
        """Return the bytes the cached layers take."""
        return int(self.values.nbytes)


@torch.no_grad()
def reserve_disk(path: Path) -> None:
    """Allocate the whole of the (sparse) file at `path` on disk now, so a full disk is an OSError naming the file
    and the space it needs, not a SIGBUS that kills the process while the memory map is being filled."""
    size = path.stat().st_size
    try:
        with open(path, "r+b") as handle:
            os.posix_fallocate(handle.fileno(), 0, size)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OSError(err.errno, f"no space left for the cached biLM layers ({size / 2**30:.2f} GiB) at {path}; "
                                     f"free that much space, or set --artifacts / ELMO_ARTIFACTS to a larger disk") from None
        if err.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without fallocate: fill as before
            raise


def compute_features(bilm: BiLM, split: EncodedSplit, device: torch.device, dtype: str = "float16",
                     batch_size: int = 128, path: str | Path | None = None) -> LayerFeatures:
    """Return layers 1..L of every token of `split` from the frozen biLM (memory-mapped at `path` if given).

    Each document is read as `<bos> w .. <eos>`; the <bos>/<eos> positions are dropped.
    """
    freeze(bilm).to(device)
    sequences = split.lm_sequences()
    lengths = split.lengths
    offsets = split.offsets
    shape = (int(offsets[-1]), bilm.cfg.layers, bilm.out_dim)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        values = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
        reserve_disk(Path(path))
    else:
        values = np.empty(shape, dtype=dtype)
    batches = bucketed_batches(lengths, batch_size)
    for indices in progress(batches, desc=f"biLM features ({split.name})", unit="batch", leave=False):
        ids, lens = pad_ids([sequences[i] for i in indices])
        with torch.inference_mode(), autocast(device):
            reps = bilm.layer_representations(ids.to(device), lens.to(device))[:, 1:]  # (B, L, T, D)
        # drop <bos>/<eos>; scatter every real position of the batch into the flat array at once
        mask, flat = real_positions(offsets[indices], lengths[indices])
        reps = reps.permute(0, 2, 1, 3)[:, 1:1 + mask.shape[1]][torch.from_numpy(mask).to(reps.device)]
        values[flat] = reps.to(getattr(torch, dtype)).cpu().numpy()
    if path is not None:
        values.flush()
    return LayerFeatures(values, split)


@torch.no_grad()
def pooled_layers_of(bilm: BiLM, split: EncodedSplit, device: torch.device, batch_size: int = 128) -> np.ndarray:
    """Return (documents, L + 1, D) float32 means over each document's tokens of layers 0..L, streamed (nothing
    the size of the cached layers is held)."""
    freeze(bilm).to(device)
    sequences, lengths = split.lm_sequences(), split.lengths
    pooled = np.empty((len(split), bilm.cfg.layers + 1, bilm.out_dim), dtype=np.float32)
    for indices in progress(bucketed_batches(lengths, batch_size), desc=f"pooled biLM layers ({split.name})",
                            unit="batch", leave=False):
        ids, lens = pad_ids([sequences[i] for i in indices])
        with torch.inference_mode(), autocast(device):
            reps = bilm.layer_representations(ids.to(device), lens.to(device)).float()  # (B, L+1, T, D)
        words = torch.from_numpy(lengths[indices]).to(reps.device)
        time = torch.arange(reps.shape[2], device=reps.device)
        real = ((time >= 1) & (time <= words[:, None])).to(reps.dtype)  # drop <bos>, <eos> and padding
        sums = torch.einsum("bltd,bt->bld", reps, real)
        pooled[indices] = (sums / words.clamp(min=1)[:, None, None]).cpu().numpy()
    return pooled




def masked_layer_norm(layers: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Return each layer of (batch, layers, time, D) normalised by its mean and variance over all real tokens
    and features of the batch (AllenNLP ScalarMix's do_layer_norm); `mask` (batch, time) marks real tokens."""
    weights = mask.to(layers.dtype)[:, None, :, None]                         # (B, 1, T, 1)
    count = fixed_order_sum(weights) * layers.shape[-1]

    def per_layer(x: torch.Tensor) -> torch.Tensor:                           # (B, L, T, D) -> (1, L, 1, 1)
        return torch.stack([fixed_order_sum(x[:, j]) for j in range(x.shape[1])]).view(1, -1, 1, 1)
    mean = per_layer(layers * weights) / count
    variance = per_layer(((layers - mean) * weights) ** 2) / count
    return (layers - mean) / torch.sqrt(variance + eps)


class ElmoEncoder(nn.Module):
    """(ids, cached layers 1..L) -> mixed token vectors (batch, time, D); layer 0 from a frozen table.

    `layer_norm` before the mixer: "none" (ELMo's default), "masked" (each layer scaled by its mean
    and variance over the batch's real tokens, as ScalarMix's do_layer_norm) or "token" (each
    token's vector over its own D features). No learned parameters; the biLM stays untouched.
    `function_lr_scale`: the learning-rate factor of the function mode's Linear (None: 1.0; see mixing.LayerFunction);
    `mode_settings`: a plug-in mode's own settings (elmo_lib.plugins).
    `finetune_lr_scale` (None: off): the top layer is recomputed from the cached one below it by trainable copies
    of the biLM's top LSTMs, learning at this multiple of the classifier's rate (TopLayerFineTuner).
    """

    def __init__(self, bilm: BiLM, mode: str, frozen_seed: int, layer_norm: str = "none",
                 function_lr_scale: float | None = 1.0, finetune_lr_scale: float | None = None, mode_settings=None):
        super().__init__()
        if layer_norm not in LAYER_NORMS:
            raise ValueError(f"layer_norm must be one of {LAYER_NORMS}, not {layer_norm!r}")
        self.layer_norm = layer_norm
        freeze(bilm)
        with torch.no_grad():
            x = bilm.project(bilm.embedding.weight)
        self.register_buffer("layer0", torch.cat([x, x], dim=-1).float())
        self.out_dim = bilm.out_dim
        self.mode = mode
        self.mixer = make_mixer(mode, bilm.cfg.layers + 1, self.out_dim, frozen_seed, function_lr_scale or 1.0,
                                mode_settings)
        # the fine-tuned row only: the top layer recomputed by trainable copies of the biLM's top LSTMs
        self.top = TopLayerFineTuner(bilm, finetune_lr_scale) if finetune_lr_scale is not None else None

    def forward(self, ids: torch.Tensor, layers: torch.Tensor) -> torch.Tensor:
        if self.top is not None:
            top = self.top(layers[:, -2].float(), (ids != PAD_ID).sum(dim=1))
            layers = torch.cat([layers[:, :-1].float(), top.float().unsqueeze(1)], dim=1)
        # under autocast the mixer computes in its dtype anyway: cast there once (float16 -> bfloat16 rounds as
        # float16 -> float32 -> bfloat16 does), not through a float32 copy; the layer norms compute in float32
        dtype = (autocast_dtype(ids.device) if self.layer_norm == "none" else None) or torch.float32
        stacked = torch.cat([self.layer0[ids].unsqueeze(1).to(dtype), layers.to(dtype)], dim=1)
        if self.layer_norm == "masked":
            stacked = masked_layer_norm(stacked, ids != PAD_ID)
        elif self.layer_norm == "token":
            stacked = F.layer_norm(stacked, stacked.shape[-1:])
        return self.mixer(stacked)


class TopLayerFineTuner(nn.Module):
    """(layer L-1, lengths) -> layer L (batch, time, D) of the biLM, recomputed by trainable copies of its top
    forward and backward LSTMs; the biLM itself stays frozen and untouched.

    Each document was read as `<bos> w .. <eos>`, and the cache keeps the words' positions only. The top forward
    LSTM's first input is layer L-1's forward state at <bos>, and the top backward LSTM's first input is layer
    L-1's backward state at <eos>; each depends on that one token alone, so it is the same for every document and
    is kept once. With them, the copies at their starting weights give the cached top layer exactly.
    `lr_scale` multiplies their learning rate (read by elmo_lib.optim.parameter_groups).
    """

    def __init__(self, bilm: BiLM, lr_scale: float):
        super().__init__()
        if bilm.cfg.layers < 2:
            raise ValueError("fine-tuning the top layer needs a biLM with at least 2 LSTM layers (bilm.layers)")
        self.lr_scale = lr_scale
        self.forward_lstm = copy.deepcopy(bilm.forward_stack.layers[-1]).requires_grad_(True)
        self.backward_lstm = copy.deepcopy(bilm.backward_stack.layers[-1]).requires_grad_(True)
        self.dropout = UniformMaskDropout(bilm.cfg.dropout)   # the biLM's rate between its layers
        was_training = bilm.training
        with torch.no_grad():
            device = bilm.embedding.weight.device
            _, forward, backward = bilm.eval().states(torch.tensor([[BOS_ID, EOS_ID]], device=device),
                                                      torch.tensor([2], device=device))
        bilm.train(was_training)
        self.register_buffer("bos_below", forward[-2][0, 0].float().clone())
        self.register_buffer("eos_below", backward[-2][0, 1].float().clone())

    def forward(self, below: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        half, batch = below.shape[-1] // 2, below.shape[0]
        lengths = lengths.to(below.device)
        forward_in = torch.cat([self.bos_below.expand(batch, 1, half).to(below.dtype), below[..., :half]], dim=1)
        backward_in = torch.cat([self.eos_below.expand(batch, 1, half).to(below.dtype),
                                 reverse_padded(below[..., half:], lengths)], dim=1)
        forward = self.forward_lstm(self.dropout(forward_in))[0][:, 1:]
        backward = reverse_padded(self.backward_lstm(self.dropout(backward_in))[0][:, 1:], lengths)
        return torch.cat([forward, backward], dim=-1)


class JoinedEncoder(nn.Module):
    """(ids, layers) -> [ELMo mix ; static vector] per token (batch, time, D + d): ELMo as Peters et al. use it,
    joined with the word's frozen static vector at the classifier input."""

    def __init__(self, elmo: ElmoEncoder, vectors: np.ndarray):
        super().__init__()
        self.elmo = elmo
        self.static = StaticEncoder(vectors)
        self.out_dim = elmo.out_dim + self.static.out_dim

    def forward(self, ids: torch.Tensor, layers: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.elmo(ids, layers), self.static(ids)], dim=-1)
