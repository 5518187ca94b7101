"""One BLAS kernel for numpy and scipy on every x86-64 CPU with AVX2, so their steps give the same bytes there.

OpenBLAS (bundled with numpy and scipy's wheels) picks its kernels for the CPU it finds: Haswell kernels on an
AVX2-only CPU, SkylakeX or later ones on a CPU with AVX-512. They round differently, so the same code on the same
data gave other SVD and skip-gram vectors, and other rows above them, on an AVX-512 machine than on an AVX2 one, and
on one machine with and without $OPENBLAS_CORETYPE set (docs/results-history.md, 2026-12-07 third sitting).
OpenBLAS reads $OPENBLAS_CORETYPE once, when it loads, so `pin_openblas_kernels` runs when elmo_lib is imported
(before numpy, in the CLI, the notebooks and the tests). A process whose OpenBLAS runs other kernels anyway (numpy
imported before elmo_lib, a CPU without AVX2, another BLAS) is not refused: its stages are keyed by the kernels
that ran (`blas_key`), so its results never mix with the pinned ones; the stages numpy computes name the kernels in
their keys always (`kernels_key`), so a cache made before the pin by other kernels is computed again.
"""
from __future__ import annotations

import functools
import os
import platform
from pathlib import Path

PINNED_CORE = "Haswell"       # the kernels an AVX2-only x86-64 CPU runs anyway; AVX-512 CPUs can run them too
CORE_VARIABLE = "OPENBLAS_CORETYPE"
NEEDED_FLAGS = ("avx2", "fma")  # what the Haswell kernels execute


def can_run_pinned_core(cpuinfo: str | None = None) -> bool:
    """Return True on an x86-64 Linux CPU whose flags include AVX2 and FMA (`cpuinfo`: /proc/cpuinfo's text)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return all(flag in flags for flag in NEEDED_FLAGS)


def pin_openblas_kernels(environ=os.environ) -> bool:
    """Set $OPENBLAS_CORETYPE to Haswell where the CPU runs those kernels and nobody set it; return True when it
    names Haswell afterwards. Takes effect for an OpenBLAS not loaded yet in this process, and for child processes
    (the notebooks' kernels)."""
    if CORE_VARIABLE not in environ and can_run_pinned_core():
        environ[CORE_VARIABLE] = PINNED_CORE
    return environ.get(CORE_VARIABLE) == PINNED_CORE


@functools.cache
def blas_kernels() -> tuple[str, ...]:
    """Return the kernels of every BLAS numpy and scipy loaded in this process, as "openblas:Haswell" and the like
    (loading numpy and scipy.linalg first, so both are seen)."""
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info
    return tuple(sorted({f"{lib['internal_api']}:{lib.get('architecture') or 'unknown'}"
                         for lib in threadpool_info() if lib["user_api"] == "blas"}))


def kernels_key() -> dict:
    """Return {"blas_kernels": [...]}, which the key of every stage computed by numpy, scipy or scikit-learn (static
    vectors, baselines, probes) names even where they are pinned: their caches made by other kernels, before the pin
    too, are never read as this process's. A stage above them is keyed by their bytes."""
    return {"blas_kernels": list(blas_kernels())}


def blas_key() -> dict:
    """Return what a stage's cache key adds for the BLAS kernels: {} where every BLAS runs the pinned OpenBLAS
    kernels, else {"blas_kernels": [...]}, so stages computed by other kernels never share a cache folder."""
    return {} if blas_kernels() == (f"openblas:{PINNED_CORE}",) else kernels_key()


def unpinned_warning() -> str | None:
    """Return one line saying why this process's numpy and scipy steps will not give a pinned run's bytes, and the
    fix, or None where they will."""
    if not blas_key():
        return None
    chosen = os.environ.get(CORE_VARIABLE)
    if not all(kernel.startswith("openblas:") for kernel in blas_kernels()):
        fix = "numpy or scipy uses another BLAS than OpenBLAS"
    elif not can_run_pinned_core():
        fix = "this CPU cannot run them: they need x86-64 with AVX2 and FMA"
    elif chosen not in (None, PINNED_CORE):
        fix = f"{CORE_VARIABLE} is set to {chosen!r}: unset it"
    else:
        fix = (f"numpy was loaded before elmo_lib: import elmo_lib first, or start Python with "
               f"{CORE_VARIABLE}={PINNED_CORE}")
    return (f"numpy and scipy run the BLAS kernels {', '.join(blas_kernels())}, not openblas:{PINNED_CORE} ({fix}): "
            f"the vectors and baselines will differ from a pinned run's, and are cached apart from them")
