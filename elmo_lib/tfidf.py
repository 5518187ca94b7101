"""TF-IDF + logistic regression: the classic yardstick, over the same tokens and vocabulary as every row.

    x_d = l2-normalised (1 + log tf(t, d)) · idf(t)   over the uni- and bigrams t of document d
    p(y | d) = softmax(W x_d + b)                     W, b fit by L2-regularised logistic regression

The regularisation C is chosen on the validation split; the test split is never read to choose.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from elmo_lib.config import TfidfConfig
from elmo_lib.corpus import Corpus, EncodedSplit
from elmo_lib.metrics import model_result
from elmo_lib.threads import single_threaded


def _texts(split: EncodedSplit) -> list[str]:
    return [" ".join(map(str, doc)) for doc in split.ids]


@single_threaded
def train_tfidf(corpus: Corpus, cfg: TfidfConfig) -> dict:
    """Return the metrics record of a TF-IDF logistic regression, C chosen on validation accuracy."""
    vectorizer = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, cfg.ngram_max), min_df=cfg.min_df,
                                 sublinear_tf=True, dtype=np.float32)
    features = {"train": vectorizer.fit_transform(_texts(corpus.train))}
    features.update({name: vectorizer.transform(_texts(split)) for name, split in corpus.splits().items()
                     if name != "train"})
    scores, best = {}, None
    for c in cfg.c_grid:
        model = LogisticRegression(C=c, max_iter=cfg.max_iter)
        model.fit(features["train"], corpus.train.labels)
        scores[str(c)] = float(model.score(features["validation"], corpus.validation.labels))
        if best is None or scores[str(c)] > scores[str(best.C)]:
            best = model
    print(f"tfidf: validation accuracy by C {scores}; chose C={best.C}")
    splits = {name: (split.labels, best.predict(features[name])) for name, split in corpus.splits().items()}
    settings = {"arm": "static", "tfidf": asdict(cfg), "chosen_c": best.C, "validation_by_c": scores,
                "train_documents": len(corpus.train),
                "n_features": len(vectorizer.vocabulary_)}
    return model_result("tfidf", splits, settings)
