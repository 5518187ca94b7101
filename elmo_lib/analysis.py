"""Where rows differ and what "contextual" looks like: error analysis and words in context.

Error analysis compares the best static row with the best ELMo row, each chosen on validation
accuracy: the difference of their test confusion matrices, and documents one gets right and the
other wrong, drawn by a seeded rule.

Words in context picks ambiguous words by a stated rule: among training words that occur at
least `min_count` times and are not English stop words (scikit-learn's list), the ones whose
occurrences spread most evenly over the four classes (highest entropy of the class distribution
of their occurrences). Each occurrence's ELMo vector is the mean of the contextual biLM layers
1..L at that token; a static method gives every occurrence the same vector.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from elmo_lib.data import CLASS_NAMES
from elmo_lib.text import readable


def validation_accuracy(record: dict) -> float:
    """Return the validation accuracy a record reports (of the weights it kept)."""
    return float(record["validation"]["accuracy"])


def best_by_validation(results: dict[str, dict], arm: str) -> str | None:
    """Return the key of the `arm` ("static" or "elmo") row with the best validation accuracy, or None."""
    keys = [k for k, r in results.items() if r["settings"].get("arm") == arm]
    return max(keys, key=lambda k: validation_accuracy(results[k])) if keys else None


def confusion_difference(results: dict[str, dict], a: str, b: str) -> pd.DataFrame:
    """Return b's test confusion matrix minus a's (rows: true class, columns: predicted)."""
    diff = np.asarray(results[b]["test"]["confusion_matrix"]) - np.asarray(results[a]["test"]["confusion_matrix"])
    return pd.DataFrame(diff, index=pd.Index(CLASS_NAMES, name="true class"),
                        columns=pd.Index(CLASS_NAMES, name=f"predicted: {b} minus {a}"))


def disagreements(results: dict[str, dict], a: str, b: str, texts: list[str], labels: np.ndarray,
                  n: int = 10, seed: int = 0, width: int = 160) -> dict[str, pd.DataFrame]:
    """Return {"<a> right, <b> wrong": frame, "<b> right, <a> wrong": frame}: up to `n` test documents each (their
    text unescaped, elmo_lib.text.readable), drawn without replacement by a generator seeded with `seed`, in test
    order."""
    labels = np.asarray(labels)
    pred = {k: np.asarray(results[k]["test_predictions"]) for k in (a, b)}
    texts = [readable(t) for t in texts]  # as a person reads them: the corpus's escapes and tags undone
    frames = {}
    for right, wrong in ((a, b), (b, a)):
        pool = np.flatnonzero((pred[right] == labels) & (pred[wrong] != labels))
        chosen = np.sort(np.random.default_rng(seed).choice(pool, size=min(n, len(pool)), replace=False))
        frames[f"{right} right, {wrong} wrong ({len(pool)} documents)"] = pd.DataFrame({
            "test document": chosen,
            "text": [texts[i] if len(texts[i]) <= width else texts[i][:width - 1] + "…" for i in chosen],
            "gold": [CLASS_NAMES[labels[i]] for i in chosen],
            right: [CLASS_NAMES[pred[right][i]] for i in chosen],
            wrong: [CLASS_NAMES[pred[wrong][i]] for i in chosen]}).set_index("test document")
    return frames


def ambiguous_words(train, vocab, k: int = 4, min_count: int = 100) -> pd.DataFrame:
    """Return the `k` non-stop-words seen at least `min_count` times in `train` whose occurrences spread most
    evenly over the classes: word, id, count and class-distribution entropy (bits), most even first."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    ids = np.concatenate(train.ids).astype(np.int64)
    classes = np.repeat(train.labels, train.lengths)
    counts = np.zeros((len(vocab), len(CLASS_NAMES)))
    np.add.at(counts, (ids, classes), 1)
    totals = counts.sum(axis=1)
    share = counts / np.maximum(totals, 1)[:, None]
    entropy = -(share * np.log2(np.where(share > 0, share, 1))).sum(axis=1)
    eligible = [i for i in np.flatnonzero(totals >= min_count)
                if vocab.itos[i].isalpha() and vocab.itos[i] not in ENGLISH_STOP_WORDS and i >= 4]
    ranked = sorted(eligible, key=lambda i: (-entropy[i], vocab.itos[i]))[:k]
    return pd.DataFrame({"word": [vocab.itos[i] for i in ranked], "id": ranked,
                         "training occurrences": totals[ranked].astype(int),
                         "class entropy (bits, max 2)": entropy[ranked].round(3)})


def occurrences(split, word_id: int, limit: int, seed: int = 0) -> np.ndarray:
    """Return up to `limit` flat token positions of `word_id` in `split`, drawn by a seeded generator, sorted."""
    where = np.flatnonzero(np.concatenate(split.ids) == word_id)
    if len(where) > limit:
        where = np.sort(np.random.default_rng(seed).choice(where, size=limit, replace=False))
    return where


def contextual_vectors(features, positions: np.ndarray) -> np.ndarray:
    """Return (occurrences, D) float32: the mean of the cached contextual layers 1..L at each flat position."""
    return np.asarray(features.values[positions], dtype=np.float32).mean(axis=1)


def document_of(split, positions: np.ndarray) -> np.ndarray:
    """Return the document index of each flat token position."""
    return np.searchsorted(split.offsets, positions, side="right") - 1


def context(split, vocab, position: int, radius: int = 6) -> str:
    """Return the words around a flat token position, the word itself in [brackets]."""
    doc = int(document_of(split, np.array([position]))[0])
    at = position - int(split.offsets[doc])
    words = vocab.decode(split.ids[doc])
    left, right = words[max(0, at - radius):at], words[at + 1:at + 1 + radius]
    parts = ["…"] * (at > radius) + [*left, f"[{words[at]}]", *right] + ["…"] * (at + 1 + radius < len(words))
    return " ".join(parts)


def separation(vectors: np.ndarray, classes: np.ndarray) -> float:
    """Return leave-one-out 1-nearest-neighbour (cosine) accuracy of predicting each occurrence's document class."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return float((classes[similarity.argmax(axis=1)] == classes).mean())


def words_in_context(corpus, features: dict, words: pd.DataFrame, limit: int = 200, seed: int = 0) -> dict:
    """Return, per chosen word, its test occurrences' 2-D PCA coordinates and classes, the 1-NN class
    separation of the ELMo vectors against one static vector (the majority class rate), and the nearest
    training occurrences (cosine) of two seeded test occurrences."""
    from sklearn.decomposition import PCA
    found = {}
    for word, word_id in zip(words["word"], words["id"]):
        test_at = occurrences(corpus.test, int(word_id), limit, seed)
        if len(test_at) < 3:
            continue
        vectors = contextual_vectors(features["test"], test_at)
        classes = corpus.test.labels[document_of(corpus.test, test_at)]
        coords = PCA(n_components=2, random_state=seed).fit_transform(vectors)
        train_at = occurrences(corpus.train, int(word_id), 10 * limit, seed)
        train_vectors = contextual_vectors(features["train"], train_at)
        train_unit = train_vectors / np.maximum(np.linalg.norm(train_vectors, axis=1, keepdims=True), 1e-12)
        examples = []
        for pick in np.sort(np.random.default_rng(seed).choice(len(test_at), size=2, replace=False)):
            query = vectors[pick] / max(np.linalg.norm(vectors[pick]), 1e-12)
            nearest = np.argsort(-(train_unit @ query), kind="stable")[:3]
            examples.append({"test occurrence": context(corpus.test, corpus.vocab, int(test_at[pick])),
                             "class": CLASS_NAMES[classes[pick]],
                             "nearest training occurrences": [
                                 (context(corpus.train, corpus.vocab, int(train_at[j])),
                                  CLASS_NAMES[corpus.train.labels[document_of(corpus.train, train_at[j:j + 1])[0]]])
                                 for j in nearest]})
        found[word] = {"coords": coords, "classes": classes, "n": len(test_at),
                       "elmo_separation": separation(vectors, classes),
                       "static_separation": float(np.bincount(classes, minlength=4).max() / len(classes)),
                       "examples": examples}
    return found


def separation_frame(found: dict) -> pd.DataFrame:
    """Return per word: test occurrences, 1-NN class accuracy of its ELMo vectors and of one static vector."""
    return pd.DataFrame({word: {"test occurrences": f["n"], "ELMo vectors (1-NN class accuracy)": f["elmo_separation"],
                                "one static vector (majority class rate)": f["static_separation"]}
                         for word, f in found.items()}).T.rename_axis("word").round(3)


def neighbours_frame(found: dict) -> pd.DataFrame:
    """Return one row per (word, example, neighbour): the test occurrence and its nearest training occurrences."""
    rows = []
    for word, f in found.items():
        for example in f["examples"]:
            for rank, (text, cls) in enumerate(example["nearest training occurrences"], start=1):
                rows.append({"word": word, "test occurrence": f"{example['test occurrence']} ({example['class']})",
                             "rank": rank, "nearest training occurrence": f"{text} ({cls})"})
    return pd.DataFrame(rows).set_index(["word", "test occurrence", "rank"]) if rows else pd.DataFrame()


def plot_words_in_context(found: dict):
    """Return a figure: per word (two to a row, large enough to read), the 2-D PCA of its test occurrences' ELMo
    vectors coloured by class."""
    import matplotlib.pyplot as plt
    words = list(found)
    columns = min(2, max(len(words), 1))
    lines = max(1, -(-len(words) // columns))
    fig, axes = plt.subplots(lines, columns, figsize=(5.2 * columns, 4.4 * lines), squeeze=False)
    for ax in axes.flat[len(words):]:
        ax.axis("off")
    for ax, word in zip(axes.flat, words):
        f = found[word]
        for c, name in enumerate(CLASS_NAMES):
            mask = f["classes"] == c
            ax.scatter(f["coords"][mask, 0], f["coords"][mask, 1], s=10, alpha=0.7, label=name)
        ax.set_title(f"“{word}”: {f['n']} test occurrences", fontsize=10)
        ax.set_xlabel("first principal component")
        ax.set_ylabel("second principal component")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.02, 0.02, "skip-gram: one point for all", transform=ax.transAxes, fontsize=8, color="dimgray")
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
