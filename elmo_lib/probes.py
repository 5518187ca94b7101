"""Probes: what each representation knows, shown by the simplest model on top (Peters et al., Tenney et al.).

    probe(layer) = accuracy of a logistic regression on the mean over each document's token vectors

fit on the training split, scored on validation and test. No classifier training in between, so a
weak probe means weak features, not a weak classifier.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from elmo_lib.embeddings.sweep import mean_pooled


def pooled_layers(values: np.ndarray, offsets: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Return (documents, L, D) float32 means of each document's rows of a flat (tokens, L, D) array."""
    pooled = np.empty((len(offsets) - 1, *values.shape[1:]), dtype=np.float32)
    for start in range(0, len(offsets) - 1, chunk):
        end = min(start + chunk, len(offsets) - 1)
        block = np.asarray(values[offsets[start]:offsets[end]], dtype=np.float32)
        sums = np.add.reduceat(block, offsets[start:end] - offsets[start], axis=0)
        pooled[start:end] = sums / np.diff(offsets[start:end + 1])[:, None, None]
    return pooled


def probe_scores(train: np.ndarray, y_train: np.ndarray, others: dict[str, tuple[np.ndarray, np.ndarray]],
                 seed: int = 0, blas_threads: int | None = 1) -> dict[str, float]:
    """Return {split: accuracy} of a standardised logistic regression fit on (train, y_train)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=seed))
    # one thread by default (BLAS and OpenMP): the same bytes for any thread count (elmo_lib.threads), and faster on
    # 2 cores (`elmo-lib bench probes`); None: the libraries' own thread counts, for that benchmark only
    with threadpool_limits(limits=blas_threads):
        model.fit(train, y_train)
        return {name: float(model.score(x, y)) for name, (x, y) in others.items()}


def pooled_probes(pooled: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Return {"biLM layer j" / "biLM layers 0..L joined": {"validation", "test"}} from (documents, L + 1, D)
    pooled layers per split."""
    n_layers = pooled["train"].shape[1]
    views = {f"biLM layer {j}": (lambda p, j=j: p[:, j]) for j in range(n_layers)}
    views["biLM layers 0..L joined"] = lambda p: p.reshape(len(p), -1)
    return {label: probe_scores(view(pooled["train"]), labels["train"],
                                {s: (view(pooled[s]), labels[s]) for s in ("validation", "test")})
            for label, view in views.items()}


def layer_probes(features: dict, layer0: np.ndarray, static: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Return {representation: {"validation", "test"}} for biLM layers 0..L, all layers joined, and each static
    method's vectors; `features` are the cached LayerFeatures per split, `layer0` the (vocab, D) token table."""
    pooled, labels = {}, {}
    for name, source in features.items():
        layers = pooled_layers(source.values, source.offsets)
        first = mean_pooled(layer0, source.split)[:, None]
        pooled[name] = np.concatenate([first, layers], axis=1)
        labels[name] = source.labels
    scores = pooled_probes(pooled, labels)
    for method, vectors in static.items():
        splits = {name: mean_pooled(vectors, source.split) for name, source in features.items()}
        scores[f"{method} vectors"] = probe_scores(splits["train"], labels["train"],
                                                   {s: (splits[s], labels[s]) for s in ("validation", "test")})
    return scores
