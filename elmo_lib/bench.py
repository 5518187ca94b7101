"""Pretraining benchmark: a naive reference against our default configuration, same data and budget.

naive: the same dimensions, full softmax, batch 64 in random order, every batch padded to its
       longest sequence, logits computed at every position (padding masked out of the loss only).
ours:  the profile's biLM and pretraining settings (length buckets, adaptive softmax by default).
Both train for the same wall-clock budget; each reports real tokens per second and the exact
validation perplexity it reaches.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F

from elmo_lib.batching import TokenIdSource, pad_ids
from elmo_lib.config import Profile
from elmo_lib.corpus import build_corpus
from elmo_lib.device import (
    autocast,
    choose_device,
    resolve_precision,
    runnable_precision,
    seed_everything,
)
from elmo_lib.embeddings.bilm import BiLM
from elmo_lib.io import write_json
from elmo_lib.optim import adamw_with_warmup
from elmo_lib.pretrain import batch_scaled, epoch_batches, perplexity
from elmo_lib.vocab import PAD_ID


def naive_loss(model: BiLM, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Return (summed NLL, predictions) computing full-softmax logits at every padded position."""
    _, forward, backward = model.states(ids, lengths)
    fwd_logits = model.output(forward[-1][:, :-1])            # (batch, time-1, vocab), padding included
    bwd_logits = model.output(backward[-1][:, 1:])
    fwd_targets, bwd_targets = ids[:, 1:], ids[:, :-1].clone()
    bwd_targets[ids[:, 1:] == PAD_ID] = PAD_ID                  # backward pairs end at the last real token
    nll = (F.cross_entropy(fwd_logits.flatten(0, 1).float(), fwd_targets.flatten(), ignore_index=PAD_ID, reduction="sum")
           + F.cross_entropy(bwd_logits.flatten(0, 1).float(), bwd_targets.flatten(), ignore_index=PAD_ID, reduction="sum"))
    return nll, int((fwd_targets != PAD_ID).sum()) * 2


def _train_for(model, batches, sequences, loss_fn, optimiser, scheduler, budget, device, precision) -> dict:
    """Train until `budget` seconds pass (cycling batches); return tokens, steps and seconds."""
    model.train()
    tokens, steps, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        for indices in batches:
            ids, lengths = pad_ids([sequences[i] for i in indices])
            with autocast(device, precision):
                nll, count = loss_fn(model, ids.to(device), lengths.to(device))
            optimiser.zero_grad(set_to_none=True)
            (nll / count).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            tokens, steps = tokens + count // 2, steps + 1
            if time.perf_counter() - started >= budget:
                break
    seconds = time.perf_counter() - started
    return {"tokens": tokens, "steps": steps, "seconds": seconds, "tokens_per_second": tokens / seconds}


def run_pretrain_benchmark(profile: Profile, budget_seconds: float = 180.0, json_path: str | None = None) -> dict:
    """Return (and print) naive versus our tokens/s, their ratio, and each one's validation perplexity."""
    device = choose_device(profile.pretrain.device)
    precision = resolve_precision(device, profile.pretrain.precision)
    corpus = build_corpus(profile.data, profile.vocab)
    train, val = corpus.train.lm_sequences(), corpus.validation.lm_sequences()
    lengths = np.fromiter((len(s) for s in train), dtype=np.int64, count=len(train))
    figures = {"device": str(device), "precision": precision, "threads": torch.get_num_threads(),
               "machine": platform.processor() or platform.machine(), "budget_seconds": budget_seconds,
               "vocab_size": len(corpus.vocab), "train_documents": len(train), "train_tokens": int(lengths.sum())}

    seed_everything(0)
    naive_cfg = dataclasses.replace(profile.bilm, softmax="full")
    naive = BiLM(len(corpus.vocab), naive_cfg).to(device)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(train))
    naive_batches = [order[i:i + 64] for i in range(0, len(order), 64)]
    optimiser = torch.optim.Adam(naive.parameters(), lr=profile.pretrain.lr)
    print(f"naive reference: full softmax over {len(corpus.vocab):,} words, batch 64, no buckets, {budget_seconds:.0f} s")
    figures["naive"] = _train_for(naive, naive_batches, train, naive_loss, optimiser, None, budget_seconds, device, precision)
    figures["naive"]["val_perplexity"] = perplexity(naive, val, device, precision)
    figures["naive"]["settings"] = {**dataclasses.asdict(naive_cfg), "batch_size": 64, "bucketing": False}

    seed_everything(0)
    ours = BiLM(len(corpus.vocab), profile.bilm).to(device)
    cfg = profile.pretrain
    lr, warmup_steps = batch_scaled(cfg, lengths)
    optimiser, scheduler = adamw_with_warmup(ours.parameters(), lr, cfg.weight_decay, warmup_steps)
    batching = f"at most {cfg.batch_tokens:,} tokens" if cfg.batch_tokens else f"{cfg.batch_size} sentences"
    print(f"ours: {profile.bilm.softmax} softmax, batches of {batching}, lr {lr:.2e}, length buckets, {budget_seconds:.0f} s")
    batches = epoch_batches(lengths, dataclasses.replace(cfg, max_steps_per_epoch=None), 1)
    figures["ours"] = _train_for(ours, batches, train, lambda m, i, l: m(i, l), optimiser, scheduler,
                                 budget_seconds, device, precision)
    figures["ours"]["val_perplexity"] = perplexity(ours, val, device, precision)
    figures["ours"]["settings"] = {**dataclasses.asdict(profile.bilm), "batch_size": cfg.batch_size,
                                   "batch_tokens": cfg.batch_tokens, "lr": lr, "bucketing": True}
    figures["ratio"] = figures["ours"]["tokens_per_second"] / figures["naive"]["tokens_per_second"]
    figures["epoch_minutes_estimate"] = {
        name: figures["train_tokens"] / figures[name]["tokens_per_second"] / 60 for name in ("naive", "ours")}

    for name in ("naive", "ours"):
        f = figures[name]
        print(f"{name:>5}: {f['tokens_per_second']:,.0f} tokens/s ({f['tokens']:,} tokens, {f['steps']} steps), "
              f"val perplexity {f['val_perplexity']:.1f}, one epoch ~{figures['epoch_minutes_estimate'][name]:.1f} min")
    print(f"ratio ours/naive: {figures['ratio']:.1f}x")
    if json_path:
        write_json(json_path, figures)
    return figures


class PerDocumentLayers:
    """The previous loader, kept as the benchmark's baseline: a Python loop copies each document's float16
    layers into a float32 host batch, which then goes to the device."""

    def __init__(self, features):
        self.features = features
        self.labels = features.labels
        self.lengths = features.lengths

    def batch(self, indices: np.ndarray):
        """Return the same batch as LayerFeatures.batch, built document by document."""
        inputs, lengths = TokenIdSource.batch(self.features, indices)
        values = self.features.values
        layers = np.zeros((len(indices), int(lengths.max()), *values.shape[1:]), dtype=np.float32)
        for row, doc in enumerate(indices):
            start, end = self.features.offsets[doc], self.features.offsets[doc + 1]
            layers[row, :end - start] = values[start:end]
        return {**inputs, "layers": torch.from_numpy(layers).permute(0, 2, 1, 3)}, lengths


def paired_timing(trials: list[dict], arm_of, base: str, new: str) -> dict:
    """Return {"mean_seconds": {base: s, new: s}, "speed_up": base's / new's} of timed trials, each trial's arm
    named by `arm_of(trial)` (the benchmarks alternate the arms, e.g. base new new base)."""
    seconds = {}
    for arm in (base, new):
        runs = [t["seconds"] for t in trials if arm_of(t) == arm]
        seconds[arm] = sum(runs) / len(runs)
    return {"mean_seconds": seconds, "speed_up": seconds[base] / seconds[new]}


def static_classifier(study, method: str, cfg) -> torch.nn.Module:
    """Return a fresh classifier over `study`'s frozen `method` vectors (svd, skipgram)."""
    from elmo_lib.classify import build_classifier
    return build_classifier(study._static_encoder(method), cfg)


def elmo_classifier(study, mode: str, cfg) -> torch.nn.Module:
    """Return a fresh classifier over `study`'s frozen biLM layers, mixed by `mode` as the profile sets it."""
    from elmo_lib.classify import build_classifier
    from elmo_lib.embeddings.features import ElmoEncoder
    elmo = study.profile.elmo
    return build_classifier(lambda: ElmoEncoder(study.bilm.model, mode, elmo.frozen_seed, elmo.layer_norm,
                                                elmo.function_lr_scale), cfg)


def run_classify_benchmark(study, mode: str = "trainable", json_path: str | None = None) -> dict:
    """Return (and print) seconds for one classifier epoch over the cached ELMo layers: the per-document loader
    against the vectorised (device-resident where it fits) one at the profile's precision, then the vectorised one at
    the other precision (fp32 against bf16 autocast, left out on a CPU without native bf16); same model, batches and
    device."""
    import copy

    from elmo_lib.classify import fit_classifier
    cfg = dataclasses.replace(study.profile.classifier, max_epochs=1)
    device = choose_device(cfg.device)
    precision = resolve_precision(device, cfg.precision or "auto")
    other = "fp32" if precision == "bf16" else "bf16"
    runs_other = runnable_precision(other, device.type) == other  # bf16 on a CPU without native bf16 would run fp32
    features = study.elmo_features
    model = elmo_classifier(study, mode, cfg)
    figures = {"device": str(device), "mode": mode, "precision": precision,
               "batches": len(features["train"].lengths) // cfg.batch_size + 1}
    vectorised = (features["train"].placed(device), features["validation"].placed(device))
    runs = {"per_document": ((PerDocumentLayers(features["train"]), PerDocumentLayers(features["validation"])),
                             precision),
            "vectorised": (vectorised, precision), **({f"vectorised_{other}": (vectorised, other)} if runs_other else {})}
    for name, ((train, validation), run_precision) in runs.items():
        trial = copy.deepcopy(model)
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        fit_classifier(trial, train, validation, dataclasses.replace(cfg, precision=run_precision), device,
                       desc=f"bench {name}")
        figures[name] = {"epoch_seconds": time.perf_counter() - started, "precision": run_precision}
        print(f"{name:>16}: one epoch + validation {figures[name]['epoch_seconds']:.1f} s ({run_precision})")
    figures["ratio"] = figures["per_document"]["epoch_seconds"] / figures["vectorised"]["epoch_seconds"]
    print(f"ratio per-document / vectorised: {figures['ratio']:.1f}x", end="")
    if runs_other:
        seconds = {precision: figures["vectorised"]["epoch_seconds"],
                   other: figures[f"vectorised_{other}"]["epoch_seconds"]}
        figures["ratio_fp32_over_bf16"] = seconds["fp32"] / seconds["bf16"]
        print(f"; fp32 / bf16 (vectorised): {figures['ratio_fp32_over_bf16']:.2f}x")
    else:
        figures["ratio_fp32_over_bf16"] = None
        print("; no bf16 run: this CPU has no native bf16 units")
    if json_path:
        write_json(json_path, figures)
    return figures


def run_predict_benchmark(study, model: str, documents: int = 1000, json_path: str | None = None) -> dict:
    """Return (and print) the seconds `elmo-lib predict` takes on `documents` test texts with trained row `model`,
    counted from a warm start (loaded, one small batch already run): tokenizing, the biLM on the new text for
    ELMo rows, and the classifier."""
    from elmo_lib.predict import predictor_for
    texts = study.test_texts()[:documents]
    predictor = predictor_for(study, model)
    predictor.predict(texts[:16])  # warm-up: first-call kernel set-up is not counted
    started = time.perf_counter()
    classes, _ = predictor.predict(texts)
    seconds = time.perf_counter() - started
    figures = {"device": str(predictor.device), "model": model, "documents": len(texts), "seconds": seconds,
               "documents_per_second": len(texts) / seconds, "threads": torch.get_num_threads()}
    print(f"predict {model}: {len(texts)} documents in {seconds:.2f} s ({len(texts) / seconds:,.0f} documents/s, "
          f"{figures['device']}, {figures['threads']} threads)")
    if json_path:
        write_json(json_path, figures)
    return figures


def run_probes_benchmark(study, json_path: str | None = None) -> dict:
    """Return (and print) seconds of the mean-pool probes on biLM layer 1 and on the joined layers, fit with the
    BLAS's own threads against one BLAS thread (the default), same data, same run."""
    from elmo_lib.probes import pooled_layers, probe_scores
    features = study.elmo_features
    pooled = {name: pooled_layers(source.values, source.offsets) for name, source in features.items()}
    labels = {name: source.labels for name, source in features.items()}
    views = {"biLM layer 1": lambda p: p[:, 0], "biLM layers 1..L joined": lambda p: p.reshape(len(p), -1)}
    figures = {"train_documents": len(labels["train"]), "cpu_count": os.cpu_count(), "views": {}}
    for view_name, view in views.items():
        train, validation = view(pooled["train"]), (view(pooled["validation"]), labels["validation"])
        runs = {}
        for run_name, threads in (("blas_default_threads", None), ("one_blas_thread", 1)):
            started = time.perf_counter()
            accuracy = probe_scores(train, labels["train"], {"validation": validation}, blas_threads=threads)
            runs[run_name] = {"seconds": time.perf_counter() - started, "validation": accuracy["validation"]}
        runs["ratio"] = runs["blas_default_threads"]["seconds"] / runs["one_blas_thread"]["seconds"]
        figures["views"][view_name] = {"features": int(train.shape[1]), **runs}
        print(f"probe {view_name} ({train.shape[0]} x {train.shape[1]}): BLAS default threads "
              f"{runs['blas_default_threads']['seconds']:.1f} s, one BLAS thread {runs['one_blas_thread']['seconds']:.1f} s "
              f"({runs['ratio']:.1f}x); validation {runs['blas_default_threads']['validation']:.4f} / "
              f"{runs['one_blas_thread']['validation']:.4f}")
    if json_path:
        write_json(json_path, figures)
    return figures
