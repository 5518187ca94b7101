"""What pinning the study's numpy/scipy/scikit-learn steps to one thread costs: each pinned step with the libraries'
own threads against one thread, same data, same run, in the order threaded one one threaded.

    python benchmarks/one_thread_cpu.py [OUT.json]        (AG_NEWS_DIR set; run it alone on the machine)

On the cpu profile's corpus: the SVD of one window (5), the window sweep's ridge probe of those vectors, TF-IDF with
one C (8), and the biLM's start from the SVD vectors (the same function as from skip-gram's). Each step also says
whether the two thread counts gave the same bytes. Writes benchmarks/records/<date>-one-thread-cpu.json by default.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import pickle
import sys
import time

from threadpoolctl import threadpool_limits

ORDER = ("threaded", "one thread", "one thread", "threaded")


def main(out: str) -> None:
    """Time every step in both arms, print each, and write the figures to `out`."""
    import os

    import torch

    from elmo_lib.bench import paired_timing
    from elmo_lib.config import get_profile
    from elmo_lib.corpus import build_corpus
    from elmo_lib.embeddings.bilm import embedding_start
    from elmo_lib.embeddings.svd import train_svd
    from elmo_lib.embeddings.sweep import probe_accuracy
    from elmo_lib.io import write_json
    from elmo_lib.provenance import cpu_model, git_commit, git_dirty
    from elmo_lib.tfidf import train_tfidf
    profile = get_profile("cpu")
    corpus = build_corpus(profile.data, profile.vocab)
    vectors = train_svd(corpus.train.ids, corpus.vocab, profile.svd, 5)
    tfidf = dataclasses.replace(profile.tfidf, c_grid=(8.0,))
    steps = {
        "svd window 5": lambda: train_svd.__wrapped__(corpus.train.ids, corpus.vocab, profile.svd, 5).vectors,
        "sweep probe": lambda: probe_accuracy.__wrapped__(vectors, corpus),
        "tfidf C=8": lambda: train_tfidf.__wrapped__(corpus, tfidf)["test_predictions"],
        "biLM start": lambda: embedding_start.__wrapped__(vectors.vectors, profile.bilm.embed_dim, 1.0),
    }
    figures = {"date": datetime.date.today().isoformat(), "git_commit": git_commit(), "git_dirty": git_dirty(),
               "cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)), "torch_threads": torch.get_num_threads(),
               "steps": {}}
    for name, step in steps.items():
        trials, digests = [], {}
        for arm in ORDER:
            with threadpool_limits(limits=1 if arm == "one thread" else None):
                started = time.perf_counter()
                result = step()
                seconds = time.perf_counter() - started
            digests.setdefault(arm, hashlib.sha256(pickle.dumps(result)).hexdigest()[:16])
            trials.append({"arm": arm, "seconds": round(seconds, 3)})
        timing = paired_timing(trials, lambda t: t["arm"], "threaded", "one thread")
        entry = {"trials": trials, "mean_seconds": timing["mean_seconds"],
                 "one_thread_over_threaded": 1 / timing["speed_up"],
                 "same_bytes_at_both": digests["threaded"] == digests["one thread"]}
        figures["steps"][name] = entry
        print(f"{name}: threaded {timing['mean_seconds']['threaded']:.2f} s, one thread "
              f"{timing['mean_seconds']['one thread']:.2f} s ({entry['one_thread_over_threaded']:.2f}x); "
              f"same bytes at both: {entry['same_bytes_at_both']}", flush=True)
    figures["total_mean_seconds"] = {arm: round(sum(s["mean_seconds"][arm] for s in figures["steps"].values()), 2)
                                     for arm in ("threaded", "one thread")}
    print(f"total: threaded {figures['total_mean_seconds']['threaded']} s, one thread "
          f"{figures['total_mean_seconds']['one thread']} s")
    write_json(out, figures)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"benchmarks/records/{datetime.date.today()}-one-thread-cpu.json")
