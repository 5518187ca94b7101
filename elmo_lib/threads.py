"""One thread for the numpy, scipy and scikit-learn steps whose rounding would otherwise follow the thread count.

A threaded BLAS or LAPACK (and scikit-learn's OpenMP loops) splits sums across threads, so the same
matrix product rounds differently with 1 and with 2 threads. The classifiers on top amplify such
last-bit differences into other accuracies. Every such step of the study runs inside
`single_threaded()`, so its bytes are the same for any OMP_NUM_THREADS; torch's own kernels are
not limited here (the study's torch stages give the same bytes at 1 and 2 threads: see docs/design.md).
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
