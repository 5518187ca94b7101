"""Error analysis and words in context: seeded, deterministic, and computed from the records."""
import numpy as np

from elmo_lib import analysis
from elmo_lib.corpus import Corpus, EncodedSplit
from elmo_lib.embeddings.features import LayerFeatures
from elmo_lib.vocab import Vocabulary


def _record(arm, predictions, labels, val):
    from elmo_lib.metrics import classification_metrics
    return {"settings": {"arm": arm}, "validation": {"accuracy": val},
            "test": classification_metrics(labels, predictions), "test_predictions": list(map(int, predictions))}


def test_disagreements_are_seeded_and_each_side_is_right_where_the_other_is_wrong():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 300)
    a = np.where(rng.random(300) < 0.8, labels, (labels + 1) % 4)
    b = np.where(rng.random(300) < 0.7, labels, (labels + 2) % 4)
    results = {"svd": _record("static", a, labels, 0.80), "tfidf": _record("static", b, labels, 0.70),
               "elmo_frozen": _record("elmo", b, labels, 0.75)}
    assert analysis.best_by_validation(results, "static") == "svd"
    assert analysis.best_by_validation(results, "elmo") == "elmo_frozen"
    texts = [f"document {i}" for i in range(300)]
    first = analysis.disagreements(results, "svd", "elmo_frozen", texts, labels, n=10, seed=3)
    again = analysis.disagreements(results, "svd", "elmo_frozen", texts, labels, n=10, seed=3)
    other = analysis.disagreements(results, "svd", "elmo_frozen", texts, labels, n=10, seed=4)
    assert all(f.equals(g) for f, g in zip(first.values(), again.values()))
    assert not all(f.equals(g) for f, g in zip(first.values(), other.values()))
    (svd_side, svd_frame), (elmo_side, elmo_frame) = first.items()
    assert svd_side.startswith("svd right, elmo_frozen wrong") and len(svd_frame) == 10
    for doc in svd_frame.index:
        assert a[doc] == labels[doc] != b[doc]
    for doc in elmo_frame.index:
        assert b[doc] == labels[doc] != a[doc]
    difference = analysis.confusion_difference(results, "svd", "elmo_frozen")
    assert (difference.sum(axis=1) == 0).all()  # each true class keeps its documents


def _corpus():
    words = ["alpha", "beta", "gamma", "delta", "the", "42"]
    vocab = Vocabulary(words, [100] * len(words))
    ids = {w: vocab.stoi[w] for w in words}
    docs, labels = [], []
    for c in range(4):  # alpha: all classes alike; beta: mostly class 0; gamma: classes 0 and 1; "the" is a stop word
        for _ in range(30):
            docs.append(np.array([ids["alpha"], ids["the"], ids["beta"] if c == 0 else ids["delta"],
                                  ids["gamma"] if c < 2 else ids["42"]], dtype=np.int32))
            labels.append(c)
    split = EncodedSplit("train", docs, np.array(labels))
    return Corpus(vocab, split, split, EncodedSplit("test", docs, np.array(labels))), ids


def test_ambiguous_words_rule_is_deterministic_and_prefers_even_spread():
    corpus, ids = _corpus()
    chosen = analysis.ambiguous_words(corpus.train, corpus.vocab, k=3, min_count=20)
    assert list(chosen["word"]) == ["alpha", "delta", "gamma"]  # no stop word, no number; most even first
    assert chosen.equals(analysis.ambiguous_words(corpus.train, corpus.vocab, k=3, min_count=20))


def test_words_in_context_reads_each_occurrence_row_of_the_cached_layers():
    corpus, ids = _corpus()
    tokens = int(corpus.test.offsets[-1])
    values = np.zeros((tokens, 2, 4), dtype=np.float16)
    labels_of_token = np.repeat(corpus.test.labels, corpus.test.lengths)
    values[:, :, 0] = labels_of_token[:, None]           # each token's vector says its document's class
    values[:, :, 1] = 1
    features = {"train": LayerFeatures(values, corpus.train), "test": LayerFeatures(values, corpus.test)}
    found = analysis.words_in_context(corpus, features, analysis.ambiguous_words(corpus.train, corpus.vocab, 1, 20))
    assert found["alpha"]["n"] == 120 and found["alpha"]["elmo_separation"] == 1.0
    assert found["alpha"]["static_separation"] == 0.25
    example = found["alpha"]["examples"][0]
    assert "[alpha]" in example["test occurrence"]
    assert all(cls == example["class"] for _, cls in example["nearest training occurrences"])
