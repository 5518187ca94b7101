import numpy as np

from elmo_lib.config import SVDConfig
from elmo_lib.embeddings.static import StaticEmbeddings
from elmo_lib.embeddings.svd import cooccurrence_matrix, ppmi, train_svd
from elmo_lib.vocab import Vocabulary


def test_cooccurrence_counts_match_hand_count():
    # ids: doc1 = 4 5 4 6, doc2 = 5 6 ; window 1 and 2, pairs never cross documents.
    docs = [np.array([4, 5, 4, 6]), np.array([5, 6])]
    w1 = cooccurrence_matrix(docs, 7, window=1).toarray()
    expected1 = np.zeros((7, 7))
    for a, b in [(4, 5), (5, 4), (4, 6), (5, 6)]:
        expected1[a, b] += 1
        expected1[b, a] += 1
    assert np.array_equal(w1, expected1)
    w2 = cooccurrence_matrix(docs, 7, window=2).toarray()
    expected2 = expected1.copy()
    for a, b in [(4, 4), (5, 6)]:  # doc1 distance 2: (4,4) and (5,6)
        expected2[a, b] += 1
        expected2[b, a] += 1
    assert np.array_equal(w2, expected2)
    assert w2[4, 4] == 2  # a word two apart from itself counts in both directions


def test_ppmi_is_non_negative_and_sparse():
    rng = np.random.default_rng(0)
    docs = [rng.integers(4, 30, size=20) for _ in range(50)]
    weighted = ppmi(cooccurrence_matrix(docs, 30, 3))
    assert weighted.data.min() > 0 and weighted.shape == (30, 30)


def _tiny_corpus():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(60)]
    vocab = Vocabulary(words, list(range(60, 0, -1)))
    docs = [rng.integers(4, len(vocab), size=15).astype(np.int32) for _ in range(200)]
    return vocab, docs


def test_svd_shape_and_determinism(tmp_path):
    vocab, docs = _tiny_corpus()
    cfg = SVDConfig(dim=16, seed=7)
    first = train_svd(docs, vocab, cfg, window=3)
    second = train_svd(docs, vocab, cfg, window=3)
    assert first.vectors.shape == (len(vocab), 16) and first.vectors.dtype == np.float32
    assert np.array_equal(first.vectors, second.vectors)
    assert not first.vectors[0].any()  # <pad> stays zero
    first.save(tmp_path / "svd")
    loaded = StaticEmbeddings.load(tmp_path / "svd")
    assert np.array_equal(loaded.vectors, first.vectors) and loaded.info["window"] == 3
    assert loaded.vocab.itos == vocab.itos


def test_count_weighting_reproduces_reference_option():
    vocab, docs = _tiny_corpus()
    embeddings = train_svd(docs, vocab, SVDConfig(dim=8, weighting="count"), window=2)
    assert embeddings.info["weighting"] == "count" and np.isfinite(embeddings.vectors).all()


_SKIPGRAM_RUN = """
import sys, numpy as np
from elmo_lib.config import SkipGramConfig
from elmo_lib.embeddings.skipgram import train_skipgram
from elmo_lib.vocab import Vocabulary
rng = np.random.default_rng(1)
vocab = Vocabulary([f"w{i}" for i in range(60)], list(range(60, 0, -1)))
docs = [rng.integers(4, len(vocab), size=15).astype(np.int32) for _ in range(3000)]  # 45k words: several gensim jobs
np.save(sys.argv[1], train_skipgram(docs, vocab, SkipGramConfig(dim=16, epochs=2), window=3).vectors)
"""


def test_skipgram_is_reproducible_across_processes_by_default(tmp_path):
    """The default (one worker) gives identical vectors in two processes with different hash seeds (with two
    workers, this corpus gives different vectors run to run)."""
    import os
    import subprocess
    import sys
    paths = []
    for hash_seed in ("1", "2"):
        paths.append(tmp_path / f"vectors{hash_seed}.npy")
        subprocess.run([sys.executable, "-c", _SKIPGRAM_RUN, str(paths[-1])], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed})
    first, second = (np.load(p) for p in paths)
    assert first.shape == (64, 16) and first.any() and np.array_equal(first, second)
