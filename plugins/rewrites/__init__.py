"""The standard graph rewrites, registered as a plugin like any third party's.

One module per concept, each with a list ``REWRITES`` of
:class:`~framework.plugins.RewriteSpec`:

* :mod:`.merge` — common subexpressions and equal constants;
* :mod:`.constant_folding` — nodes of constant inputs computed at compile time;
* :mod:`.canonical` — ``x*1``, ``x+0``, ``--x``, ``x-x``, sums of negations,
  repeated reshapes/dimshuffles, useless casts and allocs;
* :mod:`.shape` — sizes known at compile time, shapes read from inputs;
* :mod:`.stabilize` — ``log(sigmoid(x))``, ``log1p``, ``expm1``, ``log_softmax``,
  cross-entropies from the logits;
* :mod:`.specialize` — constant powers, sums of products as ``dot``, dot chains;
* :mod:`.rank_update` — a product with a matrix that differs from an already
  multiplied one in one column, as a rank-1 update;
* :mod:`.sum_squares` — the sum of squares of a broadcast product from the
  factors' own sums of squares (a Jacobian penalty without the Jacobian);
* :mod:`.dot_stack` — a sum of two matrix products as one product of stacked
  operands (a weight gradient's two minibatch products in one GEMM);
* :mod:`.scan_merge` — a scan and the copy of its loop that its gradient
  replays (to collect samples and untraced carries) run as one loop;
* :mod:`.scan_reuse` — an expression of a scan's last steps that the body
  already outputs is read from the loop instead of recomputed;
* :mod:`.layout` — a scan body's product with a transposed loop constant
  reads a C-contiguous copy made once before the loop;
* :mod:`.fusion` — element-wise chains as one ``Fused`` node;
* :mod:`.inplace` — ops overwrite inputs nothing reads afterwards;
* :mod:`.draw_ahead` — a Bernoulli draw's uniforms drawn as soon as the shape
  is known (on the NumPy backend's helper thread, beside the GEMM computing ``p``);
* ``.scan`` (written with the scan op) — its list ``SCAN_REWRITES``, when present.

None of these is ``required``: FAST_COMPILE runs without them (scan's own
rewrites say for themselves). See docs/rewrites.md.
"""
from __future__ import annotations

from typing import Iterator

from framework.plugins import RewriteSpec, hookimpl

from . import (canonical, constant_folding, dot_stack, draw_ahead, fusion, inplace, layout, merge, rank_update,
               scan_merge, scan_reuse, shape, specialize, stabilize, sum_squares)

__version__ = "0.1.0"

try:
    from .scan import SCAN_REWRITES
except ModuleNotFoundError as exc:  # only the module itself may be missing
    if exc.name != f"{__name__}.scan":
        raise
    SCAN_REWRITES = []

MODULES = (merge, constant_folding, canonical, scan_merge, scan_reuse, shape, stabilize, specialize, rank_update,
           sum_squares, layout, dot_stack, fusion, inplace, draw_ahead)


@hookimpl
def framework_rewrites() -> Iterator[RewriteSpec]:
    for module in MODULES:
        yield from module.REWRITES
    yield from SCAN_REWRITES
