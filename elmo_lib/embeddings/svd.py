"""SVD embeddings: a windowed word-word co-occurrence matrix, weighted, then truncated SVD.

    C[a, b] = #{(i, j): doc[i] = a, doc[j] = b, 0 < |i - j| <= window}    (symmetric, per document)
    vectors = U_d * S_d ** power       where  W ~= U S V^T,  W = C (counts) or PPMI(C)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from elmo_lib.config import SVDConfig
from elmo_lib.embeddings.static import StaticEmbeddings, scale_rows
from elmo_lib.names import WEIGHTINGS
from elmo_lib.threads import single_threaded
from elmo_lib.vocab import PAD_ID, Vocabulary



def cooccurrence_matrix(docs: Sequence[np.ndarray], vocab_size: int, window: int) -> sp.csr_matrix:
    """Return the symmetric (V, V) float32 count matrix of word pairs at most `window` apart in a document."""
    if window < 1:
        raise ValueError(f"window must be >= 1, not {window}")
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    flat = np.concatenate(docs).astype(np.int32) if len(docs) else np.zeros(0, np.int32)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)
    counts = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float32)
    for offset in range(1, window + 1):
        same_doc = doc_of[:-offset] == doc_of[offset:]
        left, right = flat[:-offset][same_doc], flat[offset:][same_doc]
        pairs = sp.coo_matrix((np.ones(len(left), np.float32), (left, right)),
                              shape=(vocab_size, vocab_size)).tocsr()
        counts = counts + pairs + pairs.T
    counts.sum_duplicates()
    return counts.tocsr()


def ppmi(counts: sp.csr_matrix, alpha: float = 0.75) -> sp.csr_matrix:
    """Return positive PMI of a co-occurrence matrix, with context counts smoothed by `alpha`."""
    counts = counts.tocoo()
    total = counts.sum()
    row_sum = np.asarray(counts.sum(axis=1)).ravel()
    ctx = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    ctx_total = ctx.sum()
    with np.errstate(divide="ignore"):
        pmi = (np.log(counts.data) + np.log(total) - np.log(row_sum[counts.row])
               - np.log(ctx[counts.col]) + np.log(ctx_total) - np.log(total))
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep].astype(np.float32), (counts.row[keep], counts.col[keep])),
                         shape=counts.shape)


def weight(counts: sp.csr_matrix, weighting: str) -> sp.csr_matrix:
    """Return the co-occurrence matrix under `weighting`: count (raw), log (log1p) or ppmi."""
    if weighting == "count":
        return counts
    if weighting == "log":
        out = counts.copy()
        out.data = np.log1p(out.data)
        return out
    if weighting == "ppmi":
        return ppmi(counts)
    raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")


@single_threaded
def train_svd(docs: Sequence[np.ndarray], vocab: Vocabulary, cfg: SVDConfig, window: int) -> StaticEmbeddings:
    """Return SVD embeddings of the training documents for one window size (one BLAS thread: same bytes for any
    thread count)."""
    matrix = weight(cooccurrence_matrix(docs, len(vocab), window), cfg.weighting)
    dim = min(cfg.dim, len(vocab) - 1)
    u, s, _ = randomized_svd(matrix, n_components=dim, n_iter=cfg.n_iter, random_state=cfg.seed)
    vectors = scale_rows(u * s ** cfg.power)
    vectors[PAD_ID] = 0.0
    info = {"method": "svd", "window": window, "dim": dim, "weighting": cfg.weighting,
            "power": cfg.power, "seed": cfg.seed, "nnz": int(matrix.nnz)}
    return StaticEmbeddings(vectors, vocab, info)
