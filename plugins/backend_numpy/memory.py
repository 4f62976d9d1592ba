"""Keep large temporaries' memory mapped between calls (glibc's allocator settings).

A compiled function allocates its temporaries afresh at every call (a fused
element-wise node over 10^6 float64 allocates two 8 MB buffers; the RBM's
update a 1.5 MB one) and frees them before it returns. With glibc's default
settings such a block is either ``mmap``-ed and unmapped at every call, or
taken from the top of the heap, which ``free`` then gives back to the system
(``M_TRIM_THRESHOLD``, by default twice the last freed mapped block): either
way the next call touches fresh pages, and the kernel faults each one in and
zeroes it. Measured on the element-wise benchmark (``bench/elemwise.py``): 800-1,300
minor page faults per call, about 2.5 ms of an 8 ms call -- the whole gap to
the hand-written NumPy code, which allocates its two buffers once (issue 16).

A careful NumPy user keeps buffers; a compiled graph cannot hand its
temporaries across calls without owning their lifetimes, so the backend keeps
their *pages* instead: :func:`tune_allocator` raises glibc's mmap threshold to
its maximum (32 MiB: blocks below it come from the heap) and the trim threshold
to :data:`TRIM_BYTES` (the heap's free top is given back only beyond it). The
memory a call freed stays mapped for the next call, as a caching allocator
would keep it. Nothing computed changes: only where ``malloc`` finds memory.

Process-wide, so it is done once, when the NumPy backend is first created, and
only where it is safe to assume what it does: Linux with glibc, and neither
``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_``/``MALLOC_TOP_PAD_``/
``MALLOC_MMAP_MAX_`` set by the user (their choice wins).
``FRAMEWORK_MALLOC_TUNE=0`` (or false/no/off) leaves the allocator alone; any
value other than 1/true/yes/on/0/false/no/off warns and leaves it alone.
"""
from __future__ import annotations

import os
import sys
from typing import Optional

from framework.config import env_switch

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 * 1024 * 1024  # glibc's largest mmap threshold on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_BYTES = 128 * 1024 * 1024  # free memory kept at the top of the heap, at most

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")

_done: Optional[bool] = None  # None: not tried yet; else whether the settings were applied


def _wanted() -> bool:
    return (env_switch("FRAMEWORK_MALLOC_TUNE", True, "the allocator is left alone")
            and not any(name in os.environ for name in _USER_SETTINGS))


def tune_allocator() -> bool:
    """Apply the settings above once per process; whether they are in force (False where not wanted,
    not glibc, or ``mallopt`` refused)."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not _wanted() or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only (musl has a mallopt that ignores these settings)
        mallopt = libc.mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        # the mmap threshold first: setting either one turns glibc's dynamic thresholds off
        _done = mallopt(M_MMAP_THRESHOLD, MMAP_BYTES) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_BYTES) == 1
    except (OSError, AttributeError):  # no C library to load, or no mallopt in it
        _done = False
    return _done
