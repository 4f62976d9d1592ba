"""``theano.sandbox.rng_mrg``: :class:`MRG_RandomStreams` with Theano 1.0's signatures.

The numbers come from framework's generators (NumPy's RandomState on the CPU),
not from Theano's MRG31k3p stream: a seeded program is reproducible run to run,
but does not draw Theano's exact numbers (docs/theano.md).
"""
from __future__ import annotations

from typing import Any, Optional

from ....random import RandomStreams

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(RandomStreams):  # noqa: N801 -- Theano's name
    """Theano's GPU-friendly random streams; ``nstreams`` is accepted and has no effect."""

    def __init__(self, seed: Any = 12345) -> None:
        if not isinstance(seed, int):
            seed = int(sum(int(s) * 7919 ** k for k, s in enumerate(seed)) % (2 ** 31))  # Theano takes 6 ints too
        super().__init__(seed)

    def uniform(self, size: Any = (), low: Any = 0.0, high: Any = 1.0, ndim: Optional[int] = None,
                dtype: Any = None, nstreams: Any = None, **kwargs: Any) -> Any:
        return super().uniform(size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size: Any = (), avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
               dtype: Any = None, nstreams: Any = None, truncate: bool = False, **kwargs: Any) -> Any:
        if truncate:
            raise NotImplementedError("MRG_RandomStreams.normal(truncate=True) is not provided by framework's "
                                      "Theano compatibility layer (docs/theano.md)")
        return super().normal(size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size: Any = (), n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None,
                 dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Any:
        return super().binomial(size, n, p, ndim=ndim, dtype=dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Any:
        """One row of counts per row of the matrix ``pvals`` (Theano's MRG form: ``size`` is unused)."""
        return super().multinomial(None, n, pvals, ndim=ndim, dtype=dtype)
