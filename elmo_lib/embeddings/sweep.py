"""Window sweep: score each window's embeddings on the validation split with a fast linear probe."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from elmo_lib.corpus import Corpus, EncodedSplit
from elmo_lib.embeddings.static import StaticEmbeddings
from elmo_lib.progress import progress
from elmo_lib.threads import single_threaded


def mean_pooled(vectors: np.ndarray, split: EncodedSplit) -> np.ndarray:
    """Return the (n_docs, dim) mean of each document's word vectors."""
    lengths = split.lengths
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    weights = np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32)
    pooling = sp.csr_matrix((weights, np.concatenate(split.ids), indptr),
                            shape=(len(split), vectors.shape[0]))
    return np.asarray(pooling @ vectors, dtype=np.float32)


@single_threaded
def probe_accuracy(embeddings: StaticEmbeddings, corpus: Corpus) -> float:
    """Return validation accuracy of a ridge classifier on standardised mean-pooled vectors fit on train.

    A closed-form probe: deterministic, and about a second on the whole corpus.
    """
    probe = make_pipeline(StandardScaler(), RidgeClassifier(alpha=10.0))
    probe.fit(mean_pooled(embeddings.vectors, corpus.train), corpus.train.labels)
    return float(probe.score(mean_pooled(embeddings.vectors, corpus.validation), corpus.validation.labels))


def sweep_windows(train_fn: Callable[[int], StaticEmbeddings], windows: Sequence[int], corpus: Corpus,
                  label: str = "window sweep") -> tuple[StaticEmbeddings, dict[int, float]]:
    """Return the embeddings of the window with the best validation probe accuracy, and every score.

    Ties go to the smaller window. The test split is never read.
    """
    scores: dict[int, float] = {}
    best: StaticEmbeddings | None = None
    for window in progress(windows, desc=label, unit="window"):
        embeddings = train_fn(window)
        scores[window] = probe_accuracy(embeddings, corpus)
        if best is None or scores[window] > scores[best.info["window"]]:
            best = embeddings
    best.info["window_scores"] = {str(w): s for w, s in scores.items()}
    return best, scores
