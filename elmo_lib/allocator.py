"""Host memory reuse: glibc's malloc told to keep freed blocks in the process instead of returning them to the OS.

By default glibc serves every large block (a batch's layers, an LSTM's activations) with a fresh mmap and unmaps it
on free, so each training step faults in, and the kernel zeroes, its pages again. Kept in the heap, the same blocks
are reused (what that saved: `benchmarks/records/allocator_cpu.json`, docs/results-history.md). It changes where
memory comes from, never what is computed.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD_BYTES = 1 << 30    # only blocks of 1 GiB or more get their own mapping
TRIM_THRESHOLD_BYTES = 1 << 30    # free memory at the heap's top is returned to the OS beyond 1 GiB
TOP_PAD_BYTES = 64 << 20          # the heap grows 64 MiB at a time
OPT_OUT = "ELMO_KEEP_FREED_MEMORY"  # set to 0 to leave glibc's defaults


@functools.cache
def keep_freed_memory() -> bool:
    """Return True once glibc's malloc keeps freed blocks for reuse in this process; False where the C library is
    not glibc or $ELMO_KEEP_FREED_MEMORY is 0. Called once per process; later calls return the first answer."""
    if os.environ.get(OPT_OUT, "1").strip() == "0":
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
            return False
        settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
                    (M_TOP_PAD, TOP_PAD_BYTES))
        return all(libc.mallopt(parameter, ctypes.c_int(value)) == 1 for parameter, value in settings)
    except OSError:
        return False
