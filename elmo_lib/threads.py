"""One thread for the numpy, scipy and scikit-learn steps whose rounding would otherwise follow the thread count.

A threaded BLAS or LAPACK (and scikit-learn's OpenMP loops) splits sums across threads, so the same
matrix product rounds differently with 1 and with 2 threads. The classifiers on top amplify such
last-bit differences into other accuracies. Every such step of the study runs inside
`single_threaded()`, so its bytes are the same for any OMP_NUM_THREADS. torch's own full reductions are summed in
a fixed order (elmo_lib.reduce); where oneDNN's LSTM or MKL's matrix product still rounds by the thread count
(probed by torch_follows_threads), the torch stages' keys name the thread count (docs/design.md).
"""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

from threadpoolctl import threadpool_limits

F = TypeVar("F", bound=Callable)


def single_threaded(function: F) -> F:
    """Return `function` running with every BLAS, LAPACK and OpenMP pool limited to one thread (restored after)."""
    @functools.wraps(function)
    def limited(*args, **kwargs):
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)
    return limited  # type: ignore[return-value]


@functools.cache
def torch_follows_threads() -> bool:
    """Return True when torch's training steps round by the thread count on this machine, probed once: the
    gradients at 1 and at 2 threads, compared bit for bit, of an LSTM head (on an AVX2-only CPU oneDNN's LSTM
    backward splits its weight-gradient sums by thread) and of a linear layer over 2,560 rows (on an Intel Xeon with
    AVX-512, MKL's matrix product splits that long sum by thread, as the biLM's projection and softmax gradients
    are; on the AMD EPYC with AVX-512 neither did). Where True, the torch stages' cache keys include torch's thread
    count, so results made with other thread counts never mix. The global random stream is left as it was."""
    import torch
    threads = torch.get_num_threads()
    grads = []
    with torch.random.fork_rng():
        x = torch.randn(64, 40, 48, generator=torch.Generator().manual_seed(0))
        rows = torch.randn(2560, 100, generator=torch.Generator().manual_seed(1))
        for count in (1, 2):
            torch.set_num_threads(count)
            torch.manual_seed(1)
            lstm = torch.nn.LSTM(48, 32, batch_first=True)  # the kernel the classifier's head and the biLM run
            lstm(x)[0].square().sum().backward()
            linear = torch.nn.Linear(100, 256)              # a weight gradient summed over 2,560 rows
            linear(rows).square().sum().backward()
            grads.append([p.grad.clone() for p in (*lstm.parameters(), *linear.parameters())])
    torch.set_num_threads(threads)
    return not all(torch.equal(a, b) for a, b in zip(*grads))


def torch_thread_key() -> dict:
    """Return what a torch stage's cache key adds for the thread count: {} where results do not follow it, else
    {"torch_threads": N}."""
    import torch
    return {"torch_threads": torch.get_num_threads()} if torch_follows_threads() else {}
