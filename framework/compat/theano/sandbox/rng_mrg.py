"""``theano.sandbox.rng_mrg``: :class:`MRG_RandomStreams` with Theano 1.0's signatures.

The numbers come from framework's generators, not from Theano's MRG31k3p
stream: a seeded program is reproducible run to run, but does not draw
Theano's exact numbers (docs/theano.md). Since it never drew Theano's numbers,
it keeps the native streams' bit generator -- PCG64 on the CPU, the faster one
(``bit_generator`` is inherited from :class:`framework.random.RandomStreams`) --
where ``theano.tensor.shared_randomstreams.RandomStreams`` keeps MT19937.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ....core.types import as_dtype
from ....random import RandomStreams, _float_dtype
from .... import tensor as T

__all__ = ["MRG_RandomStreams"]

#: Standard deviation of a unit normal truncated to [-2, 2]:
#: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)), with phi/Phi the normal density/distribution.
_TRUNCATED_STD = 0.87962566103423978


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
        """Gaussian draws; with ``truncate=True`` every draw lies within 2 ``std`` of ``avg``.

        Truncation follows Theano 1.0's construction: a Box-Muller draw whose
        magnitude exceeds 2 keeps its angle and takes a new radius
        ``sqrt(-2 log u)`` with ``u`` uniform on ``[e**-2, 1)`` (so the radius is
        at most 2). As in Theano, the standard deviation of the result is then
        smaller than ``std``; :meth:`truncated_normal` corrects for that.
        """
        if not truncate:
            return super().normal(size, avg, std, ndim=ndim, dtype=dtype)
        dtype = str(as_dtype(dtype)) if dtype is not None else _float_dtype(avg, std)
        u1 = self.uniform(size, 0.0, 1.0, ndim=ndim, dtype=dtype)
        u2 = self.uniform(size, 0.0, 1.0, ndim=ndim, dtype=dtype)
        u_fix = self.uniform(size, float(np.exp(-2.0)), 1.0, ndim=ndim, dtype=dtype)
        cos_theta = T.cos(np.asarray(2.0 * np.pi, dtype=dtype) * u2)
        z = T.sqrt(-2.0 * T.log(u1)) * cos_theta
        z_fixed = T.sqrt(-2.0 * T.log(u_fix)) * cos_theta
        z = T.switch(T.le(abs(z), 2.0), z, z_fixed)
        return T.cast(z * std + avg, dtype)

    def truncated_normal(self, size: Any = (), avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
                         dtype: Any = None, nstreams: Any = None, **kwargs: Any) -> Any:
        """A normal truncated at 2 standard deviations whose standard deviation is ``std``.

        ``std`` is divided by the standard deviation of a unit normal truncated to
        ``[-2, 2]`` (0.8796...), as Theano 1.0 does.
        """
        return self.normal(size, avg, std / _TRUNCATED_STD, ndim=ndim, dtype=dtype, truncate=True)

    def binomial(self, size: Any = (), n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None,
                 dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Any:
        return super().binomial(size, n, p, ndim=ndim, dtype=dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Any:
        """One row of counts per row of the matrix ``pvals`` (Theano's MRG form: ``size`` is unused)."""
        return super().multinomial(None, n, pvals, ndim=ndim, dtype=dtype)
