"""The one downstream classifier every embedding shares, and its training loop.

    logits = W · maxpool_t BiLSTM(encoder(tokens))_t + b          (no activation on the logits)

The encoder turns a batch into frozen token vectors (batch, time, dim): static vectors, or the
ELMo layer mix. Padding is packed away, so it costs no compute and never reaches the max-pool.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from elmo_lib.batching import BatchSource, bucketed_batches
from elmo_lib.config import ClassifierConfig
from elmo_lib.data import CLASS_NAMES
from elmo_lib.device import autocast, choose_device, resolve_precision, seed_everything
from elmo_lib.dropout import UniformMaskDropout
from elmo_lib.errors import TrainingError
from elmo_lib.embeddings.bilm import LSTMStack, reverse_padded
from elmo_lib.metrics import model_result
from elmo_lib.optim import adamw_with_warmup, parameter_groups
from elmo_lib.progress import progress
from elmo_lib.reduce import clip_grad_norm_fixed

N_CLASSES = len(CLASS_NAMES)


class BiLSTMMaxPool(nn.Module):
    """(batch, time, dim) vectors and lengths -> (batch, n_classes) logits via BiLSTM and masked max-pool.

    The two directions are separate single-layer LSTMs; the backward one reads each document
    reversed within its length, so padding always follows the real tokens and never reaches a
    real state. That lets CPUs run the fast padded kernel (packing only on CUDA), with the same
    real states as a packed bidirectional LSTM; padding is masked out of the max-pool.
    """

    def __init__(self, input_dim: int, hidden: int, n_classes: int = N_CLASSES, dropout: float = 0.3):
        super().__init__()
        self.dropout = UniformMaskDropout(dropout)
        self.forward_lstm = LSTMStack(hidden, 1, 0.0, input_dim)
        self.backward_lstm = LSTMStack(hidden, 1, 0.0, input_dim)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        vectors, lengths = self.dropout(vectors), lengths.to(vectors.device)
        forward = self.forward_lstm(vectors, lengths)[0]
        backward = reverse_padded(self.backward_lstm(reverse_padded(vectors, lengths), lengths)[0], lengths)
        states = torch.cat([forward, backward], dim=-1)
        padding = torch.arange(states.shape[1], device=states.device)[None, :] >= lengths[:, None]
        pooled = states.masked_fill(padding[:, :, None], float("-inf")).max(dim=1).values
        return self.out(self.dropout(pooled))


class DocumentClassifier(nn.Module):
    """An encoder of frozen token vectors followed by the shared BiLSTM max-pool head."""

    def __init__(self, encoder: nn.Module, hidden: int, dropout: float):
        super().__init__()
        self.encoder = encoder
        self.head = BiLSTMMaxPool(encoder.out_dim, hidden, N_CLASSES, dropout)

    def forward(self, inputs: dict[str, torch.Tensor], lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(**inputs), lengths)


def build_classifier(make_encoder: Callable[[], nn.Module], cfg: ClassifierConfig) -> DocumentClassifier:
    """Return the shared classifier over `make_encoder()`, all its weights drawn from one stream seeded by cfg.seed.

    Seeded once: the encoder's parameters and then the head's come from successive draws of the
    same generator, so no two modules share drawn weights.
    """
    seed_everything(cfg.seed)
    return DocumentClassifier(make_encoder(), cfg.hidden, cfg.dropout)


@dataclass
class FitResult:
    """What training produced: per-epoch history, the best epoch, its validation accuracy and why it stopped."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = 0.0
    stop_reason: str = "max_epochs"       # "patience" (validation stopped improving), "max_epochs", or "schedule"
    seconds: float = 0.0
    epoch_seconds: list[float] = field(default_factory=list)  # each epoch's wall seconds, its validation included


def _to(inputs: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in inputs.items()}


@torch.no_grad()
def predict_proba(model: nn.Module, source: BatchSource, device: torch.device, batch_size: int = 256,
                  precision: str = "auto") -> np.ndarray:
    """Return the (documents, classes) softmax probabilities of every document in `source`."""
    model.eval()
    probabilities = np.empty((len(source.labels), N_CLASSES), dtype=np.float32)
    for indices in bucketed_batches(source.lengths, batch_size):
        inputs, lengths = source.batch(indices)
        with autocast(device, precision):
            logits = model(_to(inputs, device), lengths)
        probabilities[indices] = torch.softmax(logits.float(), dim=1).cpu().numpy()
    return probabilities


def predict(model: nn.Module, source: BatchSource, device: torch.device, batch_size: int = 256,
            precision: str = "auto") -> np.ndarray:
    """Return the predicted class (0..3) of every document in `source`."""
    return predict_proba(model, source, device, batch_size, precision).argmax(axis=1)


def trained_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return the weights training changed (the head, the mixer): everything else is rebuilt from frozen artifacts."""
    return {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad}


def load_trained(key: str, make_encoder: Callable[[], nn.Module], cfg: ClassifierConfig,
                 path: str | Path) -> DocumentClassifier:
    """Return row `key`'s classifier saved at `path` (by train_and_record) over `make_encoder()`, in eval mode."""
    from elmo_lib.checkpoint import CheckpointError, load_checkpoint
    model = build_classifier(make_encoder, cfg)
    state = load_checkpoint(path, {"classifier": key})["state"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    if unexpected or trainable & set(missing):
        raise CheckpointError(f"{path}: does not fit this classifier (unexpected {sorted(unexpected)}, "
                              f"missing {sorted(trainable & set(missing))})")
    return model.eval()


def training_seed(seed: int) -> int:
    """Return the seed of the classifier's training stream, derived from (but never equal to) its weights' `seed`."""
    return int(np.random.SeedSequence([seed, TRAINING_STREAM]).generate_state(1)[0])


TRAINING_STREAM = 1  # the second child of a classifier seed: its training draws (the first draws the weights)


def fit_classifier(model: nn.Module, train: BatchSource, validation: BatchSource, cfg: ClassifierConfig,
                   device: torch.device, desc: str = "classifier") -> FitResult:
    """Train `model` in place; return the history. Keeps the weights of the best validation epoch.

    AdamW with a linear warm-up over `cfg.warmup_steps` (a module with an `lr_scale` attribute learns at that
    multiple of cfg.lr; see elmo_lib.optim.parameter_groups). Schedule "plateau" (the default): the learning rate
    is multiplied by `cfg.lr_decay` after every epoch whose validation accuracy is not a new best, and training
    stops after `cfg.patience` such epochs in a row (or at `cfg.max_epochs`, recorded as the reason). Schedule
    "cosine": after the warm-up the rate falls along a half cosine to 0 at the end of epoch `cfg.cosine_epochs` (or
    `cfg.max_epochs` where that is None), and every epoch runs (stop reason "schedule"). Either way the best
    validation epoch's weights are kept.
    The training run (dropout draws and batch order) is seeded from training_seed(cfg.seed), independent of what ran
    before and of the weights' draw.
    """
    # the training stream (dropout masks, batch order) seeded apart from the stream build_classifier drew the weights
    # from: seeded alike, the first batch's dropout uniforms would be the head's initial weights
    seed_everything(training_seed(cfg.seed))
    rng = np.random.default_rng(training_seed(cfg.seed))
    precision = cfg.precision or "auto"
    print(f"{desc}: {resolve_precision(device, precision)} on {device.type}")
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    cosine = cfg.schedule == "cosine"
    epochs = (cfg.cosine_epochs or cfg.max_epochs) if cosine else cfg.max_epochs
    total_steps = epochs * len(bucketed_batches(train.lengths, cfg.batch_size)[:cfg.max_batches_per_epoch])
    optimiser, warmup = adamw_with_warmup(parameter_groups(model, cfg.lr), cfg.lr, cfg.weight_decay, cfg.warmup_steps,
                                          total_steps if cosine else None)
    result, best_state, started = FitResult(), None, time.perf_counter()
    labels = torch.as_tensor(train.labels)
    for epoch in range(1, epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        batches = bucketed_batches(train.lengths, cfg.batch_size, rng)[:cfg.max_batches_per_epoch]
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        seen = 0
        bar = progress(batches, desc=f"{desc} epoch {epoch}/{epochs}", unit="batch", leave=False)
        for indices in bar:
            inputs, lengths = train.batch(indices)
            target = labels[indices].to(device, non_blocking=True)
            with autocast(device, precision):
                logits = model(_to(inputs, device), lengths)
                loss = F.cross_entropy(logits.float(), target)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            clip_grad_norm_fixed(params, cfg.clip_norm)
            optimiser.step()
            warmup.step()
            total_loss += loss.detach() * len(indices)
            correct += (logits.argmax(1) == target).sum()
            seen += len(indices)
        train_loss, train_accuracy = float(total_loss) / seen, int(correct) / seen
        if not np.isfinite(train_loss):
            raise TrainingError(f"{desc}: the training loss is {train_loss} in epoch {epoch}, so nothing would be "
                                f"learnt (classifier.lr={cfg.lr}, classifier.clip_norm={cfg.clip_norm}, "
                                f"classifier.precision={cfg.precision}); lower classifier.lr and run again. "
                                f"Nothing was cached for this row.")
        val_accuracy = float((predict(model, validation, device, precision=precision) == validation.labels).mean())
        lr = optimiser.param_groups[0]["lr"]
        result.epoch_seconds.append(round(time.perf_counter() - epoch_started, 3))
        result.history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                               "val_accuracy": val_accuracy, "lr": lr})
        print(f"{desc} epoch {epoch}: loss {train_loss:.4f}, train acc {train_accuracy:.4f}, "
              f"val acc {val_accuracy:.4f}, lr {lr:.2e}")
        if val_accuracy > result.best_val_accuracy or best_state is None:
            result.best_epoch, result.best_val_accuracy = epoch, val_accuracy
            best_state = copy.deepcopy(model.state_dict())
        elif cosine:
            pass  # the schedule, not the validation curve, sets the length
        elif epoch - result.best_epoch >= cfg.patience:
            result.stop_reason = "patience"
            print(f"{desc}: early stop, best epoch {result.best_epoch} (val acc {result.best_val_accuracy:.4f})")
            break
        else:
            for group in optimiser.param_groups:
                group["lr"] *= cfg.lr_decay
            warmup.base_lrs = [base * cfg.lr_decay for base in warmup.base_lrs]
    if cosine:
        result.stop_reason = "schedule"
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - started
    return result


def train_and_record(key: str, make_encoder: Callable[[], nn.Module], sources: dict[str, BatchSource],
                     cfg: ClassifierConfig, settings: dict,
                     describe: Callable[[nn.Module], dict | None] | None = None,
                     weights_path: str | Path | None = None) -> dict:
    """Return the metrics record of the shared classifier over `make_encoder()`, trained on sources["train"].

    `describe(encoder)`, if given, is recorded before and after training as record["mix_weights"].
    `weights_path`, if given, receives the trained weights (see `load_trained`).
    """
    device = choose_device(cfg.device)
    sources = {name: source.placed(device) for name, source in sources.items()}
    model = build_classifier(make_encoder, cfg)
    initial = describe(model.encoder) if describe else None
    fit = fit_classifier(model, sources["train"], sources["validation"], cfg, device, desc=key)
    splits = {name: (source.labels, predict(model, source, device, precision=cfg.precision or "auto"))
              for name, source in sources.items()}
    extra = {"history": fit.history, "best_epoch": fit.best_epoch, "stop_reason": fit.stop_reason,
             "train_seconds": fit.seconds, "epoch_seconds": fit.epoch_seconds,
             "ran_in": {"device": device.type, "precision": resolve_precision(device, cfg.precision or "auto")}}
    if describe:
        extra["mix_weights"] = {"initial": initial, "final": describe(model.encoder)}
    if weights_path is not None:
        from elmo_lib.checkpoint import save_checkpoint
        save_checkpoint(weights_path, {"signature": {"classifier": key}, "state": trained_state(model)})
    return model_result(key, splits, settings, extra)
