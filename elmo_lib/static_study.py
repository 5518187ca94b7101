"""The static-embedding arm of the study: window sweep, embeddings, shared classifier, metrics."""
from __future__ import annotations

from dataclasses import asdict

from elmo_lib.classify import StaticEncoder, build_classifier, TokenIdSource, fit_classifier, predict
from elmo_lib.config import Profile
from elmo_lib.corpus import Corpus
from elmo_lib.device import choose_device
from elmo_lib.embeddings.skipgram import train_skipgram
from elmo_lib.embeddings.static import StaticEmbeddings
from elmo_lib.embeddings.svd import train_svd
from elmo_lib.embeddings.sweep import sweep_windows
from elmo_lib.metrics import model_result

STATIC_METHODS = ("svd", "skipgram")


def train_static(method: str, corpus: Corpus, profile: Profile) -> StaticEmbeddings:
    """Return the static embeddings of `method` at the window that scores best on validation."""
    if method == "svd":
        cfg = profile.svd
        return sweep_windows(lambda w: train_svd(corpus.train.ids, corpus.vocab, cfg, w), cfg.windows,
                             corpus, label="svd window sweep")[0]
    if method == "skipgram":
        cfg = profile.skipgram
        return sweep_windows(lambda w: train_skipgram(corpus.train.ids, corpus.vocab, cfg, w), cfg.windows,
                             corpus, label="skip-gram window sweep")[0]
    raise ValueError(f"method must be one of {STATIC_METHODS}, not {method!r}")


def classify_static(method: str, embeddings: StaticEmbeddings, corpus: Corpus, profile: Profile) -> dict:
    """Return the metrics record of the shared classifier trained on frozen `embeddings`."""
    device = choose_device(profile.classifier.device)
    model = build_classifier(StaticEncoder(embeddings.vectors), profile.classifier)
    sources = {name: TokenIdSource(split) for name, split in corpus.splits().items()}
    fit = fit_classifier(model, sources["train"], sources["validation"], profile.classifier, device, desc=method)
    splits = {name: (sources[name].labels, predict(model, sources[name], device))
              for name in ("train", "validation", "test")}
    settings = {"embedding": embeddings.info, "classifier": asdict(profile.classifier),
                "vocab_size": len(corpus.vocab)}
    return model_result(method, splits, settings, {"history": fit.history, "best_epoch": fit.best_epoch,
                                                   "train_seconds": fit.seconds})
