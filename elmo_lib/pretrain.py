"""biLM pretraining: one flat loop for CPU and CUDA, single process or DistributedDataParallel.

get batch -> forward -> loss -> backward -> clip -> step -> log -> checkpoint every N steps and at
each epoch end. The batch order of epoch e depends only on (seed, e), and the checkpoint holds the
model, optimiser, scheduler, position in the epoch and RNG state, so `resume=True` continues
exactly where an interrupted run stopped.
"""
from __future__ import annotations

import dataclasses
import gc
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from elmo_lib.batching import bucketed_batches, pad_ids, token_budget_batches
from elmo_lib.checkpoint import BILM_STATE, CheckpointError, load_checkpoint, save_checkpoint
from elmo_lib.config import BiLMConfig, PretrainConfig
from elmo_lib.corpus import Corpus
from elmo_lib.device import autocast, choose_device, resolve_precision, seed_everything
from elmo_lib.distributed import DistContext
from elmo_lib.embeddings.bilm import BiLM, shape_signature, unk_dropout
from elmo_lib.errors import TrainingError
from elmo_lib.optim import adamw_with_warmup
from elmo_lib.progress import progress
from elmo_lib.reduce import clip_grad_norm_fixed
from elmo_lib.sidecar import write_sidecar
from elmo_lib.timing import EPOCH_TIMING, read_timing, timing_of, without_timing, write_timing

UNK_STREAM = 0x756E6B  # "unk": the <unk> dropout's stream is seeded apart from every other draw
LOG_EVERY = 50  # steps between loss syncs (the log keeps every step's loss; only the sync is batched)


@dataclass
class PretrainResult:
    """The trained biLM and its log: per-epoch validation perplexity and per-step losses."""

    model: BiLM
    epochs: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    finished: bool = True


def epoch_batches(lengths: np.ndarray, cfg: PretrainConfig, epoch: int, world_size: int = 1) -> list[np.ndarray]:
    """Return the global batches of `epoch`: length-bucketed (batch_size sentences, or at most batch_tokens padded
    tokens), order fixed by (seed, epoch). Under N ranks a batch of fewer than N documents cannot be split and is
    left out."""
    rng = np.random.default_rng([cfg.seed, epoch])
    if cfg.batch_tokens:
        batches = token_budget_batches(lengths, cfg.batch_tokens, rng)
    else:
        batches = bucketed_batches(lengths, cfg.batch_size, rng)
    if world_size > 1:
        batches = [b for b in batches if len(b) >= world_size]
    return batches[:cfg.max_steps_per_epoch]


def batch_scaled(cfg: PretrainConfig, lengths: np.ndarray) -> tuple[float, int]:
    """Return (learning rate, warm-up steps) for cfg's batches: cfg.lr and cfg.warmup_steps at batch_size sentences;
    with token budgets, lr times sqrt(mean sentences a batch / batch_size) and the warm-up's sentences kept."""
    if not cfg.batch_tokens:
        return cfg.lr, cfg.warmup_steps
    ratio = len(lengths) / len(token_budget_batches(lengths, cfg.batch_tokens)) / cfg.batch_size
    return cfg.lr * math.sqrt(ratio), max(1, round(cfg.warmup_steps / ratio))


@torch.no_grad()
def perplexity(model: BiLM, sequences: list[np.ndarray], device: torch.device, precision: str = "auto",
               batch_size: int = 128) -> float:
    """Return exp(mean NLL per prediction, both directions) of `model` on `sequences`."""
    was_training = model.training
    model.eval()
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    total, count = torch.zeros((), dtype=torch.float64, device=device), 0
    for indices in bucketed_batches(lengths, batch_size):
        ids, lens = pad_ids([sequences[i] for i in indices])
        with autocast(device, precision):
            nll, n = model(ids.to(device), lens)  # lengths on the host: the count needs no device sync
        total, count = total + nll.double(), count + n
    model.train(was_training)
    return math.exp(float(total) / max(count, 1))


def _signature(vocab_fingerprint: str, vocab_size: int, bilm: BiLMConfig) -> dict:
    return {"vocab_fingerprint": vocab_fingerprint, **shape_signature(vocab_size, bilm)}


def _plain(cfg) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


# settings a resumed run may change: how long it runs, where and how often it checkpoints
RESUMABLE_CHANGES = {"epochs", "device", "checkpoint_every", "stop_patience"}


def refuse_changed_training(path: Path, state: dict, bilm_cfg: BiLMConfig, cfg: PretrainConfig) -> None:
    """Raise CheckpointError naming every training setting that differs from the checkpoint's (resume
    would silently mix two runs); the number of epochs, the device and the checkpoint interval may change."""
    stored = {**{f"bilm.{k}": v for k, v in state.get("bilm", {}).items()},
              **{f"pretrain.{k}": v for k, v in state.get("pretrain", {}).items()}}
    now = {**{f"bilm.{k}": v for k, v in _plain(bilm_cfg).items()},
           **{f"pretrain.{k}": v for k, v in _plain(cfg).items()}}
    changed = [f"{key}: checkpoint {stored.get(key)!r}, now {value!r}" for key, value in now.items()
               if key.partition(".")[2] not in RESUMABLE_CHANGES and stored.get(key) != value]
    if changed:
        raise CheckpointError(f"{path}: cannot resume with other training settings ({'; '.join(changed)}). "
                              f"Use the settings it was trained with, or pass --force to train from scratch.")


def pretrain_bilm(corpus: Corpus, bilm_cfg: BiLMConfig, cfg: PretrainConfig, checkpoint_path: str | Path,
                  resume: bool = False, max_steps: int | None = None,
                  device: torch.device | None = None, embedding_start: np.ndarray | None = None) -> PretrainResult:
    """Train a biLM on the training split; report validation perplexity every epoch.

    Writes `checkpoint_path` every `cfg.checkpoint_every` steps and at each epoch end. With
    `resume`, continues from that checkpoint exactly. `max_steps` stops (after checkpointing) once
    that many global steps are done, which is how an interruption is simulated. `embedding_start`
    (vocab, embed_dim), if given, replaces the random start of the word embeddings.
    """
    device = device or choose_device(cfg.device)
    ctx = DistContext.from_env(device)
    precision = resolve_precision(device, cfg.precision)
    checkpoint_path = Path(checkpoint_path)
    train_seqs, val_seqs = corpus.train.lm_sequences(), corpus.validation.lm_sequences()
    lengths = np.fromiter((len(s) for s in train_seqs), dtype=np.int64, count=len(train_seqs))
    signature = _signature(corpus.vocab.fingerprint(), len(corpus.vocab), bilm_cfg)

    # training singletons: fed as <unk> with probability unk_dropout, so <unk> learns what unseen words look like
    rare = torch.tensor([count == 1 for count in corpus.vocab.counts], device=device)
    rare = rare if bool(rare.any()) else None  # no training singleton (min_freq >= 2): nothing to drop, nothing drawn
    seed_everything(cfg.seed)
    if bilm_cfg.embed_init and embedding_start is None and not (resume and checkpoint_path.is_file()):
        raise ValueError(f"bilm.embed_init={bilm_cfg.embed_init!r}: pass the starting embeddings "
                         f"(Study.bilm_embedding_start()), or set bilm.embed_init=None for a random start")
    model = BiLM(len(corpus.vocab), bilm_cfg)
    if embedding_start is not None:
        with torch.no_grad():
            model.embedding.weight.copy_(torch.as_tensor(embedding_start))
    model.to(device)
    trainer = model
    if ctx.world_size > 1:
        trainer = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
        if cfg.batch_size < ctx.world_size:
            raise ValueError(f"pretrain.batch_size={cfg.batch_size} is smaller than the {ctx.world_size} processes; "
                             f"each global batch is split across them, so give at least one document per process")
        # the same initial weights everywhere, then each rank's own dropout stream, drawn from (seed, rank)
        torch.manual_seed(int(np.random.SeedSequence([cfg.seed, ctx.rank]).generate_state(1)[0]))
    # the <unk> dropout's own stream, apart from the LSTMs' dropout (seeded by (seed, rank, "unk"))
    unk_stream = torch.Generator(device=device).manual_seed(
        int(np.random.SeedSequence([cfg.seed, ctx.rank, UNK_STREAM]).generate_state(1)[0]))
    lr, warmup_steps = batch_scaled(cfg, lengths)
    if cfg.batch_tokens and ctx.is_main:
        print(f"biLM: batches of at most {cfg.batch_tokens:,} tokens, lr {lr:.2e}, warm-up {warmup_steps} steps")
    optimiser, scheduler = adamw_with_warmup(model.parameters(), lr, cfg.weight_decay, warmup_steps)
    result = PretrainResult(model)
    epoch, position, global_step = 1, 0, 0

    if resume and checkpoint_path.is_file():
        state = load_checkpoint(checkpoint_path, signature, required=BILM_STATE,
                                fix="Delete it (or pass --force) to train the biLM from scratch.")
        refuse_changed_training(checkpoint_path, state, bilm_cfg, cfg)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        epoch, position, global_step = state["epoch"], state["position"], state["global_step"]
        result.epochs, result.steps = list(state["epochs_log"]), list(state["steps_log"])
        per_rank = state["rng"].get("per_rank") or [state["rng"]]
        if len(per_rank) != ctx.world_size:
            raise CheckpointError(f"{checkpoint_path}: written by {len(per_rank)} process(es), now {ctx.world_size}; "
                                  f"resume with the same number of processes for an exact continuation.")
        rng = per_rank[ctx.rank]
        torch.set_rng_state(rng["torch"])
        if rng.get("unk") is not None:
            unk_stream.set_state(rng["unk"])
        if device.type == "cuda" and rng.get("cuda") is not None:
            torch.cuda.set_rng_state(rng["cuda"], device)
        if ctx.is_main:
            print(f"resumed from {checkpoint_path}: epoch {epoch}, batch {position}, step {global_step}")

    pending: list[tuple[int, int, torch.Tensor, int]] = []  # (step, epoch, this rank's NLL, global count), unlogged

    def flush() -> float:
        """Log the pending steps' losses with one device sync (and one all-reduce under torchrun); return the last."""
        if not pending:
            return result.steps[-1]["loss"] if result.steps else float("nan")
        totals = ctx.all_sum(torch.stack([nll.float() for _, _, nll, _ in pending]).double()).tolist()
        result.steps.extend({"step": step, "epoch": ep, "loss": total / count}
                            for (step, ep, _, count), total in zip(pending, totals))
        pending.clear()
        return result.steps[-1]["loss"]

    def checkpoint(next_epoch: int, next_position: int) -> None:
        flush()
        local = {"torch": torch.get_rng_state(), "unk": unk_stream.get_state(),
                 "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}
        every_rank = ctx.gather(local)  # each rank's dropout stream, so resume under torchrun is exact
        if not ctx.is_main:
            return
        rng = {**local, "per_rank": every_rank}
        save_checkpoint(checkpoint_path, {
            "signature": signature, "model": model.state_dict(), "optimiser": optimiser.state_dict(),
            "scheduler": scheduler.state_dict(), "epoch": next_epoch, "position": next_position,
            "global_step": global_step, "rng": rng, "bilm": _plain(bilm_cfg), "pretrain": _plain(cfg),
            "epochs_log": [without_timing(e, EPOCH_TIMING) for e in result.epochs], "steps_log": result.steps})

    model.train()
    while epoch <= cfg.epochs:
        batches = epoch_batches(lengths, cfg, epoch, ctx.world_size)
        bar = progress(range(position, len(batches)), desc=f"biLM epoch {epoch}/{cfg.epochs}", unit="batch",
                       disable=not ctx.is_main, leave=False)
        tokens_done, started = 0, time.perf_counter()
        for position in bar:
            shard = batches[position][ctx.rank::ctx.world_size]
            ids, lens = pad_ids([train_seqs[i] for i in shard])
            # every rank knows the whole global batch, so its prediction count needs no communication
            global_count = 2 * int((lengths[batches[position]] - 1).sum())
            with autocast(device, precision):
                ids = ids.to(device, non_blocking=True)
                nll, _ = trainer(ids, lens, unk_dropout(ids, rare, bilm_cfg.unk_dropout, unk_stream))  # lengths stay on the host
            # DDP averages gradients over ranks, so scale by world size to get the global-batch mean.
            loss = nll * (ctx.world_size / global_count)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            clip_grad_norm_fixed(model.parameters(), cfg.clip_norm)
            optimiser.step()
            scheduler.step()
            global_step += 1
            tokens_done += global_count // 2
            pending.append((global_step, epoch, nll.detach(), global_count))
            if len(pending) >= LOG_EVERY:
                bar.set_postfix(loss=f"{flush():.3f}", tok_s=f"{tokens_done / (time.perf_counter() - started):,.0f}",
                                refresh=False)
            if max_steps is not None and global_step >= max_steps:
                checkpoint(epoch, position + 1)
                result.finished = False
                trainer = nll = loss = None  # DDP's reducer, and the last graph that reaches it, go before
                gc.collect()                 # its process group (else gloo can abort the process at exit)
                ctx.close()
                return result
            if global_step % cfg.checkpoint_every == 0:
                checkpoint(epoch, position + 1)
        flush()
        seconds = time.perf_counter() - started
        val_ppl = perplexity(model, val_seqs, device, precision)
        if not np.isfinite(val_ppl):
            raise TrainingError(f"biLM epoch {epoch}: validation perplexity is {val_ppl}, so the biLM learnt nothing "
                                f"usable (pretrain.lr={cfg.lr}, pretrain.clip_norm={cfg.clip_norm}, "
                                f"pretrain.precision={cfg.precision}); lower pretrain.lr and train it again with --force")
        epoch_losses = [s["loss"] for s in result.steps if s["epoch"] == epoch]
        result.epochs.append({"epoch": epoch, "train_loss": float(np.mean(epoch_losses)) if epoch_losses else None,
                              "val_perplexity": val_ppl, "seconds": seconds,
                              "tokens_per_second": tokens_done / max(seconds, 1e-9)})
        if ctx.is_main:
            snapshot = epoch_snapshot(checkpoint_path, epoch)
            save_checkpoint(snapshot, {"signature": signature, "model": model.state_dict(),
                                       "epoch_log": without_timing(result.epochs[-1], EPOCH_TIMING)})
            write_sidecar(snapshot, {"epoch": epoch}, {"bilm": _plain(bilm_cfg), "pretrain": _plain(cfg)})
            timing = read_timing(checkpoint_path.parent)
            write_timing(checkpoint_path.parent, {**timing, "epochs": {**timing.get("epochs", {}),
                                                                       str(epoch): timing_of(result.epochs[-1], EPOCH_TIMING)}})
            print(f"biLM epoch {epoch}: train loss {result.epochs[-1]['train_loss']:.4f}, "
                  f"val perplexity {val_ppl:.2f}, {tokens_done / max(seconds, 1e-9):,.0f} tokens/s")
        epoch, position = epoch + 1, 0
        if cfg.stop_patience and _stalled(result.epochs, cfg.stop_patience):
            if ctx.is_main:
                best = min(e["val_perplexity"] for e in result.epochs)
                print(f"biLM: validation perplexity has not improved on {best:.2f} for {cfg.stop_patience} epochs; done")
            epoch = cfg.epochs + 1  # marks the checkpoint finished
        checkpoint(epoch, 0)
    trainer = nll = loss = None  # DDP's reducer, and the last graph that reaches it, go before its process group
    gc.collect()
    ctx.close()
    return result


def epoch_snapshot(checkpoint_path: str | Path, epoch: int) -> Path:
    """Return where the weights after `epoch` are kept beside the checkpoint (for the perplexity-vs-accuracy curve)."""
    return Path(checkpoint_path).parent / "epochs" / f"bilm-epoch{epoch}.pt"


def _stalled(epochs: list[dict], patience: int) -> bool:
    """Return True when the last `patience` epochs all failed to beat the best validation perplexity before them."""
    perplexities = [e["val_perplexity"] for e in epochs]
    return len(perplexities) > patience and min(perplexities[-patience:]) >= min(perplexities[:-patience])
