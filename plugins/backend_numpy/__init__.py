"""The CPU backend: NumPy. The default device ('cpu') and the reference backend.

It is a plugin like any other: registered through ``framework_backends()``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from framework.core.backend import Backend
from framework.plugins import BackendSpec, hookimpl
from framework.random import RandomState as FrameworkRandomState

from .einsum_plan import LOWERINGS as EINSUM_LOWERINGS
from .fused import LOWERINGS
from .gemm_layout import LOWERINGS as GEMM_LOWERINGS
from .reductions import LOWERINGS as REDUCE_LOWERINGS
from .scaled_gemm import LOWERINGS as SCALED_GEMM_LOWERINGS
from .memory import tune_allocator
from .random_draws import FAST_DRAWS, backend_draw_ahead, bernoulli_from, bit_generator, is_bernoulli, state_snapshots
from .random_draws import LOWERINGS as DRAW_LOWERINGS
from .legacy_binomial import legacy_bernoulli, legacy_bernoulli_params

__version__ = "0.1.0"


class NumpyBackend(Backend):
    """Arrays are NumPy arrays on the host; ops run their reference implementations,
    except those this plugin lowers itself (:data:`.fused.LOWERINGS`: fused
    element-wise programs as one generated function that reuses buffers;
    :data:`.einsum_plan.LOWERINGS`: einsums as planned pairwise contractions;
    :data:`.random_draws.LOWERINGS`: the Gibbs step's float32 Bernoulli draw as one function;
    :data:`.gemm_layout.LOWERINGS`: float32 products with a transposed matrix, swapped for the BLAS;
    :data:`.reductions.LOWERINGS`: ``mean`` and ``sum_to_shape`` without NumPy's Python wrappers;
    :data:`.scaled_gemm.LOWERINGS`: a weight gradient's product times ``lr`` as one BLAS call)."""

    name = "numpy"
    xp = np
    host_is_device = True
    lowerings = {**LOWERINGS, **EINSUM_LOWERINGS, **DRAW_LOWERINGS, **GEMM_LOWERINGS, **REDUCE_LOWERINGS,
                  **SCALED_GEMM_LOWERINGS}

    def __init__(self, device: str) -> None:
        super().__init__(device)
        tune_allocator()  # temporaries' pages stay mapped between calls (memory.py; once per process)

    def from_host(self, value: Any, copy: bool = True) -> np.ndarray:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def to_host(self, value: Any, copy: bool = True) -> np.ndarray:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def copy(self, value: Any) -> Any:
        return np.array(value, copy=True)

    def is_array(self, value: Any) -> bool:
        return isinstance(value, np.ndarray)

    draw_ahead = backend_draw_ahead  # a Bernoulli draw's uniforms on the helper thread (random_draws.py)

    # random numbers: the state is a numpy.random.RandomState (framework.random.RandomState: PCG64)
    def new_rng(self, seed: Any) -> np.random.RandomState:
        return FrameworkRandomState(seed)

    def copy_rng(self, state: Any) -> Any:
        """A copy of a RandomState without the cost of seeding a fresh one."""
        kind = type(state)
        if kind is np.random.RandomState or kind is FrameworkRandomState:
            bits = type(state._bit_generator)
            if bits is np.random.MT19937 or bits is np.random.PCG64:
                new = kind(bits(_NO_SEED))
                new.set_state(state.get_state(legacy=False))
                return new
        return super().copy_rng(state)

    def rng_snapshots(self, dists: Any) -> Tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]:
        """Byte snapshots of the bit generator, restored in place (:func:`.random_draws.state_snapshots`)."""
        return state_snapshots(dists, self.copy_rng)

    def draw(self, rng: Any, dist: str, size: Optional[Tuple[int, ...]], params: Tuple[Any, ...],
             dtype: str) -> Tuple[Any, np.ndarray]:
        """Advance ``rng`` (a RandomState or Generator) in place and return it with the sample.

        On the native streams' states (:class:`framework.random.RandomState`) uniform and
        Bernoulli draws -- ``binomial`` with every ``n`` 1 included -- go through a
        ``numpy.random.Generator`` built on the state's own bit generator (see
        :mod:`.random_draws`): the state still lives in one place, so
        ``get_state``/``set_state``/``seed`` replay the draws exactly. NumPy's own
        ``RandomState`` (the Theano layer's states) draws with its own methods: Theano's numbers;
        its Bernoulli draws (``bernoulli``, and ``binomial`` with every ``n`` 1) are
        ``rng.binomial(1, p, size)``'s numbers made by :func:`.legacy_binomial.legacy_bernoulli`
        without NumPy's per-element loop (five times faster; the same values and state).
        """
        bits = bit_generator(rng)
        if bits is not None and dist == "binomial" and is_bernoulli(*params):
            dist, params = "bernoulli", params[1:]  # in every mode what FAST_RUN's binomial_to_uniform draws
        fast = FAST_DRAWS.get(dist) if bits is not None else None
        if fast is not None:
            return rng, fast(np.random.Generator(bits), size, params, np.dtype(dtype))
        if isinstance(rng, np.random.RandomState):  # NumPy's own class: binomial(1, p)'s numbers
            if dist == "bernoulli":
                return rng, legacy_bernoulli(rng, params[0], size, dtype)
            if dist == "binomial" and legacy_bernoulli_params(*params):
                return rng, legacy_bernoulli(rng, params[1], size, dtype)
        if dist == "bernoulli":  # another kind of state: its own doubles, then uniform < p

            def uniforms(shape: Tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
                return np.asarray(rng.random_sample(shape)).astype(dtype, copy=False)

            return rng, bernoulli_from(uniforms, size, params[0], np.dtype(dtype))
        table = _GENERATOR_DRAWS if isinstance(rng, np.random.Generator) else _DRAWS
        sample = table[dist](rng, size, *params)
        return rng, np.asarray(sample).astype(dtype, copy=False)


class _NoSeed(ISeedSequence):
    """A seed sequence that costs nothing: the state is overwritten right after."""

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        return np.zeros(n_words, dtype=dtype)


_NO_SEED = _NoSeed()


def _permutation(perm: Callable[[int], np.ndarray], size: Optional[Tuple[int, ...]], n: Any) -> np.ndarray:
    n = int(n)
    if size is None:
        return perm(n)
    out = np.empty(tuple(size) + (n,), dtype=np.int64)
    for idx in np.ndindex(*size):
        out[idx] = perm(n)
    return out


def _multinomial(draw: Callable[..., np.ndarray], size: Optional[Tuple[int, ...]], n: Any,
                 pvals: Any) -> np.ndarray:
    """One multinomial draw per batch position; ``pvals`` along the last axis.

    Probabilities that sum to slightly more than 1 (float32 rounding: at most
    ``k * 1.2e-7`` for ``k`` categories) are rescaled, since NumPy refuses them;
    a larger excess is the caller's mistake and an error, never silently renormalised.
    """
    p = np.asarray(pvals, dtype=np.float64)
    total = p.sum(axis=-1, keepdims=True)
    if np.any(total > 1.0):
        slack = 1e-6 + p.shape[-1] * 1.2e-7
        worst = float(np.nanmax(total))
        if worst > 1.0 + slack:
            raise ValueError(f"multinomial: the probabilities sum to {worst:.6g}, more than 1 "
                             "(they must be a distribution along the last axis)")
        p = p / np.maximum(total, 1.0)
    n = np.asarray(n)
    batch = tuple(size) if size is not None else np.broadcast_shapes(n.shape, p.shape[:-1])
    if p.ndim == 1 and n.ndim == 0:
        return draw(int(n), p, size=batch)
    nb = np.broadcast_to(n, batch)
    pb = np.broadcast_to(p, batch + p.shape[-1:])
    out = np.empty(batch + p.shape[-1:], dtype=np.int64)
    for idx in np.ndindex(*batch):
        out[idx] = draw(int(nb[idx]), pb[idx])
    return out


def _choice(draw: Callable[..., Any], size: Optional[Tuple[int, ...]], a: Any, replace: Any, p: Any) -> Any:
    """``choice(a, size, replace, p)`` of NumPy's: ``a`` a 0-d count or a vector, an empty ``p`` for
    equally likely entries (Theano's encoding of ``p=None``)."""
    a = np.asarray(a)
    p = np.asarray(p)
    return draw(a.item() if a.ndim == 0 else a, size, bool(np.asarray(replace)), None if p.size == 0 else p)


# dist -> fn(rng, size, *params); size None means the parameters' broadcast shape
_DRAWS: Dict[str, Callable[..., Any]] = {
    "uniform": lambda r, size, low, high: r.uniform(low, high, size),
    "normal": lambda r, size, avg, std: r.normal(avg, std, size),
    "binomial": lambda r, size, n, p: r.binomial(n, p, size),
    "random_integers": lambda r, size, low, high: r.randint(low, np.asarray(high) + 1, size),
    "permutation": lambda r, size, n: _permutation(r.permutation, size, n),
    "multinomial": lambda r, size, n, pvals: _multinomial(r.multinomial, size, n, pvals),
    "poisson": lambda r, size, lam: r.poisson(lam, size),
    "choice": lambda r, size, a, replace, p: _choice(r.choice, size, a, replace, p),
}

_GENERATOR_DRAWS: Dict[str, Callable[..., Any]] = {
    "uniform": lambda r, size, low, high: r.uniform(low, high, size),
    "normal": lambda r, size, avg, std: r.normal(avg, std, size),
    "binomial": lambda r, size, n, p: r.binomial(n, p, size),
    "random_integers": lambda r, size, low, high: r.integers(low, high, size, endpoint=True),
    "permutation": lambda r, size, n: _permutation(r.permutation, size, n),
    "multinomial": lambda r, size, n, pvals: _multinomial(r.multinomial, size, n, pvals),
    "poisson": lambda r, size, lam: r.poisson(lam, size),
    "choice": lambda r, size, a, replace, p: _choice(r.choice, size, a, replace, p),
}


@hookimpl
def framework_backends():
    yield BackendSpec(
        name="numpy",
        devices=("cpu",),
        available=lambda: True,
        create=NumpyBackend,
        doc="NumPy on the CPU (the default backend)",
    )
