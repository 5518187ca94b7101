"""Length-bucketed batches: documents of similar length share a batch, so padding stays minimal."""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import torch

from elmo_lib.corpus import EncodedSplit
from elmo_lib.vocab import PAD_ID


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Return index batches of similar-length documents; shuffled (ties and batch order) when `rng` is given."""
    n = len(lengths)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    order = order[np.argsort(lengths[order], kind="stable")]
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def token_budget_batches(lengths: np.ndarray, max_tokens: int, rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Return index batches of similar-length documents, each at most `max_tokens` once padded (its size times its
    longest length; a longer document forms a batch alone); shuffled like bucketed_batches when `rng` is given."""
    n = len(lengths)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    order = order[np.argsort(lengths[order], kind="stable")]
    ascending = lengths[order]
    batches, start = [], 0
    while start < n:
        end = start + 1  # lengths ascend, so a batch's padded size is its count times its last length
        while end < n and (end + 1 - start) * ascending[end] <= max_tokens:
            end += 1
        batches.append(order[start:end])
        start = end
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def pad_ids(docs: Sequence[np.ndarray], pad_id: int = PAD_ID) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (ids (batch, max_len) int64 padded with `pad_id`, lengths (batch,) int64)."""
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    ids = np.full((len(docs), int(lengths.max())), pad_id, dtype=np.int64)
    for row, doc in enumerate(docs):
        ids[row, :len(doc)] = doc
    return torch.from_numpy(ids), torch.from_numpy(lengths)


class BatchSource(Protocol):
    """Documents that can be served as model inputs in batches."""

    labels: np.ndarray

    @property
    def lengths(self) -> np.ndarray: ...

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]: ...

    def placed(self, device: torch.device) -> "BatchSource": ...


def real_positions(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (mask (batch, max_len) of real positions, their flat token indices in row-major order)."""
    steps = np.arange(int(lengths.max()))
    mask = steps[None, :] < lengths[:, None]
    return mask, (starts[:, None] + steps[None, :])[mask]


class TokenIdSource:
    """Serves an encoded split as {"ids": (batch, time)} padded id batches, gathered without a per-document loop."""

    def __init__(self, split: EncodedSplit):
        self.split = split
        self.labels = split.labels
        self.lengths = split.lengths
        self.offsets = split.offsets
        self.flat_ids = np.concatenate(split.ids).astype(np.int64) if len(split) else np.zeros(0, np.int64)

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Return ({"ids": (batch, time)}, lengths) for the documents at `indices`."""
        lengths = self.lengths[indices]
        mask, flat = real_positions(self.offsets[indices], lengths)
        ids = np.full(mask.shape, PAD_ID, dtype=np.int64)
        ids[mask] = self.flat_ids[flat]
        return {"ids": torch.from_numpy(ids)}, torch.from_numpy(lengths)

    def placed(self, device: torch.device) -> "TokenIdSource":
        """Return the source to serve batches for `device` (ids are small: they stay on the host)."""
        return self


def nested_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Return sorted indices of a stratified `fraction` of `labels` (at least one per class): each class's
    documents in one seeded order, cut at its share, so a smaller fraction is always inside a larger one."""
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        order = np.random.default_rng([seed, int(label)]).permutation(members)
        chosen.append(order[:max(1, int(round(fraction * len(members))))])
    return np.sort(np.concatenate(chosen))


class SubsetSource:
    """The documents at `indices` of another batch source, served as a source of their own."""

    def __init__(self, source: BatchSource, indices: np.ndarray):
        self.source, self.indices = source, np.asarray(indices)
        self.labels = source.labels[self.indices]
        self.lengths = source.lengths[self.indices]

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Return the batch of the underlying source's documents at `self.indices[indices]`."""
        return self.source.batch(self.indices[indices])

    def placed(self, device: torch.device) -> "SubsetSource":
        """Return this subset over the underlying source placed for `device`."""
        return SubsetSource(self.source.placed(device), self.indices)
