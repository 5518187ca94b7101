"""Benchmark: SVD co-occurrence + 300-d SVD, and one classifier epoch, on the shared training text.

Run `python benchmarks/bench_static.py` (or `make bench`) with AG_NEWS_DIR set. Each case runs in a
fresh process so its peak memory (max RSS, including Python and library imports) is its own.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time

import elmo_lib  # noqa: F401  first: it pins numpy's BLAS kernels before numpy loads (elmo_lib.blas)
import numpy as np


def _corpus(copies: float):
    from elmo_lib.config import get_profile
    from elmo_lib.corpus import EncodedSplit, build_corpus
    profile = get_profile("cpu")
    corpus = build_corpus(profile.data, profile.vocab)
    docs = corpus.train.ids + corpus.validation.ids  # every row of the training file
    labels = np.concatenate([corpus.train.labels, corpus.validation.labels])
    whole = int(copies) * docs + docs[:int(round((copies % 1) * len(docs)))]
    whole_labels = np.concatenate([labels] * int(copies) + [labels[:len(whole) - int(copies) * len(docs)]])
    return profile, corpus, EncodedSplit("train", whole, whole_labels)


def case_svd(copies: float) -> dict:
    from elmo_lib.embeddings.svd import train_svd
    profile, corpus, docs = _corpus(copies)
    started = time.perf_counter()
    embeddings = train_svd(docs.ids, corpus.vocab, profile.svd, window=5)
    seconds = time.perf_counter() - started
    return {"case": f"svd co-occurrence (window 5, {profile.svd.weighting}) + {embeddings.dim}-d SVD",
            "documents": len(docs), "tokens": int(docs.lengths.sum()), "vocab": len(corpus.vocab),
            "seconds": round(seconds, 2)}


def case_classifier_epoch(copies: float) -> dict:
    import dataclasses

    from elmo_lib.batching import TokenIdSource
    from elmo_lib.classify import DocumentClassifier, fit_classifier
    from elmo_lib.device import choose_device
    from elmo_lib.embeddings.static import StaticEncoder
    from elmo_lib.embeddings.svd import train_svd
    profile, corpus, docs = _corpus(copies)
    embeddings = train_svd(corpus.train.ids, corpus.vocab, profile.svd, window=5)
    cfg = dataclasses.replace(profile.classifier, max_epochs=1)
    model = DocumentClassifier(StaticEncoder(embeddings.vectors), cfg.hidden, cfg.dropout)
    fit = fit_classifier(model, TokenIdSource(docs), TokenIdSource(corpus.validation.take(512)), cfg,
                         choose_device(cfg.device, announce=False), desc="bench")
    return {"case": f"one classifier epoch (BiLSTM {cfg.hidden}x2 over 300-d SVD, batch {cfg.batch_size})",
            "documents": len(docs), "tokens": int(docs.lengths.sum()),
            "seconds": round(fit.seconds, 2)}


CASES = {"svd": case_svd, "classifier": case_classifier_epoch}


def run_child(case: str, copies: float) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", case, "--copies", str(copies)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    parser.add_argument("--copies", type=float, default=1.0)
    args = parser.parse_args()
    if args.child:
        result = CASES[args.child](args.copies)
        result["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
        print(json.dumps(result))
        return
    import torch
    print(f"# bench_static  {time.strftime('%Y-%m-%d %H:%M')}  {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch threads, torch {torch.__version__}")
    targets = [("svd", 1.0, 30), ("svd", 120_000 / 48_415, 180), ("classifier", 1.0, 120)]
    for case, copies, target in targets:
        r = run_child(case, copies)
        verdict = "OK" if r["seconds"] < target else "SLOWER THAN TARGET"
        print(f"{r['case']}: {r['documents']:,} docs, {r['tokens']:,} tokens -> {r['seconds']:.1f} s "
              f"(target < {target} s: {verdict}), peak RSS {r['peak_rss_gib']:.2f} GiB")


if __name__ == "__main__":
    main()
