"""The ELMo arm of the study: reuse or pretrain the biLM, and classify over its mixed layers."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from elmo_lib.classify import build_classifier, fit_classifier, predict
from elmo_lib.config import Profile
from elmo_lib.corpus import Corpus
from elmo_lib.device import choose_device, seed_everything
from elmo_lib.embeddings.elmo import BiLM
from elmo_lib.embeddings.features import ElmoEncoder, LayerFeatures
from elmo_lib.embeddings.mixing import ScalarMix
from elmo_lib.metrics import model_result
from elmo_lib.pretrain import PretrainResult, load_bilm, pretrain_bilm
from elmo_lib.checkpoint import load_checkpoint


def pretrained_bilm(corpus: Corpus, profile: Profile, path: str | Path) -> tuple[BiLM, dict]:
    """Return the trained biLM at `path` and its log, training (or resuming) unless that checkpoint is finished."""
    path = Path(path)
    if path.is_file():
        state = load_checkpoint(path)
        if state["epoch"] > profile.pretrain.epochs:
            print(f"biLM: reusing {path}")
            bilm = load_bilm(path, corpus.vocab.fingerprint(), len(corpus.vocab), profile.bilm, state)
            return bilm, {"epochs": state["epochs_log"], "steps": state["steps_log"], "checkpoint": str(path)}
    result: PretrainResult = pretrain_bilm(corpus, profile.bilm, profile.pretrain, path, resume=True)
    return result.model, {"epochs": result.epochs, "steps": result.steps, "checkpoint": str(path)}


def mix_weights(encoder: ElmoEncoder) -> dict | None:
    """Return the λ weights (softmax-normalised), raw w and γ of a scalar-mix encoder; None for function mode."""
    mixer = encoder.mixer
    if not isinstance(mixer, ScalarMix):
        return None
    return {"lambda": mixer.normalised_weights().tolist(), "w": mixer.weights.detach().tolist(),
            "gamma": float(mixer.gamma.detach()), "trainable": isinstance(mixer.weights, torch.nn.Parameter)}


def classify_elmo(mode: str, bilm: BiLM, features: dict[str, LayerFeatures], profile: Profile) -> dict:
    """Return the metrics record of the shared classifier over the biLM layers mixed by `mode`."""
    device = choose_device(profile.classifier.device)
    seed_everything(profile.classifier.seed)  # the function mode's Linear is drawn here
    encoder = ElmoEncoder(bilm, mode, profile.elmo.frozen_seed, profile.elmo.layer_norm)
    model = build_classifier(encoder, profile.classifier)
    initial = mix_weights(encoder)
    fit = fit_classifier(model, features["train"], features["validation"], profile.classifier, device,
                         desc=f"elmo_{mode}")
    splits = {name: (source.labels, predict(model, source, device)) for name, source in features.items()}
    settings = {"mode": mode, "bilm": asdict(profile.bilm), "pretrain": asdict(profile.pretrain),
                "classifier": asdict(profile.classifier), "elmo": asdict(profile.elmo)}
    return model_result(f"elmo_{mode}", splits, settings,
                        {"history": fit.history, "best_epoch": fit.best_epoch, "train_seconds": fit.seconds,
                         "mix_weights": {"initial": initial, "final": mix_weights(encoder)}})
