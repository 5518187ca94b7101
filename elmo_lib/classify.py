"""The one downstream classifier every embedding shares, and its training loop.

    logits = W · maxpool_t BiLSTM(encoder(tokens))_t + b          (no activation on the logits)

The encoder turns a batch into frozen token vectors (batch, time, dim): static vectors, or the
ELMo layer mix. Padding is packed away, so it costs no compute and never reaches the max-pool.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from elmo_lib.progress import progress

from elmo_lib.batching import bucketed_batches, pad_ids
from elmo_lib.config import ClassifierConfig
from elmo_lib.corpus import EncodedSplit
from elmo_lib.device import autocast, seed_everything
from elmo_lib.vocab import PAD_ID

N_CLASSES = 4


class BatchSource(Protocol):
    """Documents that can be served as model inputs in batches."""

    labels: np.ndarray

    @property
    def lengths(self) -> np.ndarray: ...

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]: ...


class TokenIdSource:
    """Serves an encoded split as {"ids": (batch, time)} padded id batches."""

    def __init__(self, split: EncodedSplit):
        self.split = split
        self.labels = split.labels

    @property
    def lengths(self) -> np.ndarray:
        """Return the token count of each document."""
        return self.split.lengths

    def batch(self, indices: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Return ({"ids": (batch, time)}, lengths) for the documents at `indices`."""
        ids, lengths = pad_ids([self.split.ids[i] for i in indices])
        return {"ids": ids}, lengths


class StaticEncoder(nn.Module):
    """ids (batch, time) -> frozen static vectors (batch, time, dim); no gradient reaches them."""

    def __init__(self, vectors: np.ndarray):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(torch.as_tensor(vectors, dtype=torch.float32),
                                                      freeze=True, padding_idx=PAD_ID)
        self.out_dim = int(vectors.shape[1])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)


class BiLSTMMaxPool(nn.Module):
    """(batch, time, dim) vectors and lengths -> (batch, n_classes) logits via BiLSTM and masked max-pool."""

    def __init__(self, input_dim: int, hidden: int, n_classes: int = N_CLASSES, dropout: float = 0.3):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(input_dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.dropout(vectors), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        states, _ = self.lstm(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, padding_value=float("-inf"),
                                        total_length=vectors.shape[1])
        pooled = states.max(dim=1).values
        return self.out(self.dropout(pooled))


class DocumentClassifier(nn.Module):
    """An encoder of frozen token vectors followed by the shared BiLSTM max-pool head."""

    def __init__(self, encoder: nn.Module, hidden: int, dropout: float):
        super().__init__()
        self.encoder = encoder
        self.head = BiLSTMMaxPool(encoder.out_dim, hidden, N_CLASSES, dropout)

    def forward(self, inputs: dict[str, torch.Tensor], lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(**inputs), lengths)


def build_classifier(encoder: nn.Module, cfg: ClassifierConfig) -> DocumentClassifier:
    """Return the shared classifier over `encoder`, its weights drawn from cfg.seed (whatever ran before)."""
    seed_everything(cfg.seed)
    return DocumentClassifier(encoder, cfg.hidden, cfg.dropout)


@dataclass
class FitResult:
    """What training produced: per-epoch history, the best epoch and its validation accuracy."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = 0.0
    seconds: float = 0.0


def _to(inputs: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in inputs.items()}


@torch.no_grad()
def predict(model: nn.Module, source: BatchSource, device: torch.device, batch_size: int = 256) -> np.ndarray:
    """Return the predicted class (0..3) of every document in `source`."""
    model.eval()
    predictions = np.empty(len(source.labels), dtype=np.int64)
    for indices in bucketed_batches(source.lengths, batch_size):
        inputs, lengths = source.batch(indices)
        with autocast(device):
            logits = model(_to(inputs, device), lengths.to(device))
        predictions[indices] = logits.argmax(dim=1).cpu().numpy()
    return predictions


def fit_classifier(model: nn.Module, train: BatchSource, validation: BatchSource, cfg: ClassifierConfig,
                   device: torch.device, desc: str = "classifier") -> FitResult:
    """Train `model` in place with AdamW, early-stopping on validation accuracy; keep the best weights."""
    seed_everything(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    result, best_state, started = FitResult(), None, time.perf_counter()
    labels = torch.as_tensor(train.labels)
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        batches = bucketed_batches(train.lengths, cfg.batch_size, rng)[:cfg.max_batches_per_epoch]
        total_loss, correct, seen = 0.0, 0, 0
        bar = progress(batches, desc=f"{desc} epoch {epoch}/{cfg.max_epochs}", unit="batch", leave=False)
        for indices in bar:
            inputs, lengths = train.batch(indices)
            target = labels[indices].to(device)
            with autocast(device):
                logits = model(_to(inputs, device), lengths.to(device))
                loss = F.cross_entropy(logits.float(), target)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.clip_norm)
            optimiser.step()
            total_loss += loss.item() * len(indices)
            correct += int((logits.argmax(1) == target).sum())
            seen += len(indices)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
        val_accuracy = float((predict(model, validation, device) == validation.labels).mean())
        result.history.append({"epoch": epoch, "train_loss": total_loss / seen,
                               "train_accuracy": correct / seen, "val_accuracy": val_accuracy})
        print(f"{desc} epoch {epoch}: loss {total_loss / seen:.4f}, train acc {correct / seen:.4f}, "
              f"val acc {val_accuracy:.4f}")
        if val_accuracy > result.best_val_accuracy or best_state is None:
            result.best_epoch, result.best_val_accuracy = epoch, val_accuracy
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= cfg.patience:
            print(f"{desc}: early stop, best epoch {result.best_epoch} (val acc {result.best_val_accuracy:.4f})")
            break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - started
    return result
