"""Skip-gram word2vec with negative sampling, trained by gensim over the encoded training text."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from gensim.models import Word2Vec

from elmo_lib.config import SkipGramConfig
from elmo_lib.embeddings.static import StaticEmbeddings, scale_rows
from elmo_lib.vocab import Vocabulary


def available_cores() -> int:
    """Return the number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def train_skipgram(docs: Sequence[np.ndarray], vocab: Vocabulary, cfg: SkipGramConfig,
                   window: int) -> StaticEmbeddings:
    """Return skip-gram vectors for every vocabulary word (rare words are <unk>, so it gets one too)."""
    sentences = [vocab.decode(doc) for doc in docs]
    model = Word2Vec(sentences=sentences, vector_size=cfg.dim, window=window, sg=1, hs=0,
                     negative=cfg.negative, min_count=1, sample=cfg.sample, seed=cfg.seed,
                     workers=cfg.workers or available_cores(), epochs=cfg.epochs)
    vectors = np.zeros((len(vocab), cfg.dim), dtype=np.float32)
    for word, row in model.wv.key_to_index.items():
        vectors[vocab.stoi[word]] = model.wv.vectors[row]
    vectors = scale_rows(vectors)  # same per-component scale as the SVD vectors
    info = {"method": "skipgram", "window": window, "dim": cfg.dim, "negative": cfg.negative,
            "epochs": cfg.epochs, "seed": cfg.seed}
    return StaticEmbeddings(vectors, vocab, info)
