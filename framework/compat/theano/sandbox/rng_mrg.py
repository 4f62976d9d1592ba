"""``theano.sandbox.rng_mrg``: :class:`MRG_RandomStreams`, drawing Theano 1.0's MRG31k3p numbers.

A seeded Theano-era program (dropout masks, RBM sampling, weight
initialisation) draws here the numbers it drew under Theano 1.0: the same
generator (:mod:`._mrg31k3p`), seeded the same way, with the same number of
streams per draw laid out the same way, and the same recipes on top
(Box-Muller and its truncation, ``uniform < p``, categories from uniforms).
docs/random.md says exactly what matches bit for bit and what can differ in
the last bit (the C library's ``log``/``cos``/``sin`` under ``normal``).

How a stream object works, as in Theano: it holds a main state
``rstate`` (six integers). Each ``uniform()`` call -- every other method
draws through it -- takes ``nstreams`` consecutive substreams of the current
stream (``2**72`` numbers apart) as an int32 matrix in a new shared variable,
whose ``default_update`` is the state after the draw, and then moves
``rstate`` to the next stream (``2**134`` numbers on). The number of streams,
when not given, is :func:`guess_n_streams` of the size.
"""
from __future__ import annotations

import warnings
from typing import Any, List, Optional, Tuple

import numpy as np

from .... import tensor as T
from ....core.graph import Variable
from ....core.shape_ops import _as_shape_vector
from ....core.shared import SharedVariable, shared
from ....core.types import as_dtype, is_int
from ....core.variable import as_tensor_variable, constant
from ....random import _float_dtype
from . import _mrg31k3p as _mrg
from ._mrg_ops import ChoiceFromUniform, MRGUniform, MultinomialFromUniform, mrg_uniform, positions

__all__ = ["MRG_RandomStreams", "guess_n_streams", "mrg_uniform", "ff_2p72", "ff_2p134", "M1", "M2"]

M1, M2 = _mrg.M1, _mrg.M2
#: Theano's jump matrices (int64): to the next substream (2**72 numbers) and the next stream (2**134)
A1p72, A2p72 = (np.asarray(m, dtype=np.int64) for m in _mrg.JUMP_72)
A1p134, A2p134 = (np.asarray(m, dtype=np.int64) for m in _mrg.JUMP_134)

#: Standard deviation of a unit normal truncated to [-2, 2]:
#: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)), with phi/Phi the normal density/distribution.
_TRUNCATED_STD = 0.87962566103423978

#: the most streams :func:`guess_n_streams` chooses (Theano's 60 * 256)
_MAX_GUESS = 60 * 256


def ff_2p72(rstate: Any) -> np.ndarray:
    """A state (six int32) advanced to its next substream, ``2**72`` numbers on."""
    return _mrg.apply_jump(np.asarray(rstate, dtype=np.int32).reshape(1, 6), _mrg.JUMP_72)[0]


def ff_2p134(rstate: Any) -> np.ndarray:
    """A state (six int32) advanced to the next stream, ``2**134`` numbers on."""
    return _mrg.next_stream(rstate)


def guess_n_streams(size: Any, warn: bool = False) -> int:
    """Theano 1.0's number of streams for a draw of ``size``.

    A tuple or list of Python ints of product ``r``: ``r`` when ``r <= 6``,
    else ``r // 6``, at most ``60 * 256``. Anything else -- a symbolic size, or
    one holding a symbolic or a NumPy integer -- gets ``60 * 256`` (with a
    warning if ``warn``). Where the streams cannot all be used (fewer numbers
    than streams) the extra ones simply do not advance.
    """
    if isinstance(size, (tuple, list)) and all(isinstance(i, int) for i in size):
        r = 1
        for s in size:
            r *= s
        if r > 6:
            r //= 6
        return min(r, _MAX_GUESS)
    if warn:
        warnings.warn(f"MRG_RandomStreams cannot determine the number of streams from size {size!r}, "
                      f"using {_MAX_GUESS}", stacklevel=3)
    return _MAX_GUESS


def _seed_state(seed: Any) -> np.ndarray:
    """Theano's main state for ``seed``: an int repeated six times, or six ints, checked."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed = int(seed)
        if seed <= 0 or seed >= M2:
            raise ValueError(f"MRG_RandomStreams: an integer seed must lie in [1, {M2 - 1}], got {seed}")
        return np.full(6, seed, dtype=np.int32)
    try:
        values = [int(s) for s in seed]
    except TypeError:
        raise TypeError(f"MRG_RandomStreams: the seed must be an integer or 6 integers, got {seed!r:.60}") from None
    if len(values) != 6:
        raise TypeError(f"MRG_RandomStreams: the seed must be an integer or 6 integers, got {len(values)} integers")
    for part, (lo, hi), m in ((values[:3], (0, 3), M1), (values[3:], (3, 6), M2)):
        if any(v < 0 or v >= m for v in part):
            raise ValueError(f"MRG_RandomStreams: seed values {lo}..{hi - 1} must lie in [0, {m}), got {part}")
        if not any(part):
            raise ValueError(f"MRG_RandomStreams: seed values {lo}..{hi - 1} must not all be 0")
    return np.asarray(values, dtype=np.int32)


def _size_tuple(size: Any, what: str) -> Any:
    """``size`` checked as Theano checks it: a tuple (or list) of positive ints and integer scalar
    variables, or an integer vector variable. An int means ``(int,)``."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size,)
    if isinstance(size, (tuple, list)):
        for s in size:
            if isinstance(s, Variable):
                if s.ndim != 0 or not is_int(s.dtype):
                    raise TypeError(f"MRG_RandomStreams.{what}: size entries must be integer scalars, got {s.type}")
            elif not isinstance(s, (int, np.integer)) or isinstance(s, bool):
                raise TypeError(f"MRG_RandomStreams.{what}: size must hold ints and integer scalar variables, "
                                f"got {s!r:.40}")
            elif s <= 0:
                raise ValueError(f"MRG_RandomStreams.{what}: size {tuple(size)} has a dimension <= 0 (Theano "
                                 "refuses those; a symbolic size may be 0 at run time)")
        return size
    if isinstance(size, Variable) and size.ndim in (0, 1) and is_int(size.dtype):
        return size
    raise TypeError(f"MRG_RandomStreams.{what}: size must be a tuple of ints or an integer vector variable, "
                    f"got {size!r:.60}")


def _no_kwargs(kwargs: dict, what: str) -> None:
    kwargs.pop("target", None)  # Theano's device hint: every draw here is made by the function's backend
    if kwargs:
        raise TypeError(f"MRG_RandomStreams.{what}() got unexpected keyword argument(s) {', '.join(sorted(kwargs))}")


def _libm(fn: Any, x: Variable) -> Variable:
    """``fn(x)`` (log, cos, sin) as Theano's compiled code got it from the C library: in float64
    for float64; for float32/float16 in float64 rounded to ``x``'s dtype, which is what a
    correctly rounding C library returns (NumPy's own float32 functions are a few ulps off)."""
    if x.dtype == "float64":
        return fn(x)
    return T.cast(fn(T.cast(x, "float64")), x.dtype)


class MRG_RandomStreams:  # noqa: N801 -- Theano's name
    """Theano 1.0's MRG31k3p random streams; see the module docstring.

    ``seed``: an int in ``[1, M2)`` (used six times) or six ints (the first
    three below ``M1``, the last three below ``M2``, neither triple all 0).
    ``state_updates`` lists ``(state, new_state, size, nstreams)`` per
    ``uniform()`` call, as in Theano; :meth:`updates` gives the pairs.
    """

    def __init__(self, seed: Any = 12345) -> None:
        self.state_updates: List[Tuple[SharedVariable, Variable, Any, Any]] = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    # --- state ------------------------------------------------------------------------------
    def set_rstate(self, seed: Any) -> None:
        """Start the main state afresh from ``seed``."""
        self.rstate = _seed_state(seed)

    def inc_rstate(self) -> None:
        """Move the main state to the next stream (``2**134`` numbers on)."""
        self.rstate = _mrg.next_stream(self.rstate)

    def get_substream_rstates(self, n_streams: int, dtype: Any = None, inc_rstate: bool = True) -> np.ndarray:
        """The states of ``n_streams`` substreams of the current stream, ``(n_streams, 6)`` int32;
        then (``inc_rstate``) move to the next stream."""
        n = int(n_streams)
        if n <= 0 or n >= 2 ** 72:
            raise ValueError(f"MRG_RandomStreams: the number of streams must lie in [1, 2**72), got {n_streams}")
        rows = _mrg.substreams(self.rstate, n)
        if inc_rstate:
            self.inc_rstate()
        return rows

    def n_streams(self, size: Any) -> int:
        """How many streams a draw of ``size`` uses when ``nstreams`` is not given."""
        return guess_n_streams(size)

    def seed(self, seed: Any = None) -> None:
        """Re-seed: start from ``seed`` (default: the seed given at construction) and give every
        draw made so far, in order, the streams it would have had from that seed."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for state, _new, size, nstreams in self.state_updates:
            n = nstreams if nstreams is not None else self.n_streams(size)
            state.set_value(self.get_substream_rstates(n), borrow=True)

    def updates(self) -> List[Tuple[SharedVariable, Variable]]:
        """``(state, new_state)`` of every draw made so far (what ``default_update`` does anyway)."""
        return [(state, new) for state, new, _size, _n in self.state_updates]

    # --- drawing ----------------------------------------------------------------------------
    def _draw(self, size: Any, ndim: Optional[int], dtype: str, nstreams: Any) -> Variable:
        """The op's sample for ``size`` from a new shared state of ``nstreams`` streams."""
        size_v = _as_shape_vector(size)
        if ndim is None:
            ndim = size_v.type.shape[0]
            if ndim is None:
                raise ValueError("MRG_RandomStreams: the length of size is not known when building; pass ndim=")
        n = nstreams if nstreams is not None else self.n_streams(size)
        state = shared(self.get_substream_rstates(n, dtype), borrow=True)
        state.tag["is_rng"] = True  # Theano's marker; scan keeps such a state advancing without `updates`
        new_state, sample = MRGUniform(dtype, ndim)(state, size_v)
        state.default_update = new_state
        self.state_updates.append((state, new_state, size, nstreams))
        return sample

    def uniform(self, size: Any = (), low: Any = 0.0, high: Any = 1.0, ndim: Optional[int] = None,
                dtype: Any = None, nstreams: Any = None, **kwargs: Any) -> Variable:
        """Uniform on ``(low, high)``: Theano's ``u * (high - low) + low`` in ``dtype`` (floatX upcast by
        the bounds when not given), ``u`` the MRG31k3p draw."""
        _no_kwargs(kwargs, "uniform")
        dtype = str(as_dtype(dtype)) if dtype is not None else _float_dtype(low, high)
        u = self._draw(_size_tuple(size, "uniform"), ndim, dtype, nstreams)
        if _is(low, 0) and _is(high, 1):
            return u  # u * 1 + 0 is u
        lo, hi = T.cast(as_tensor_variable(low), dtype), T.cast(as_tensor_variable(high), dtype)
        r = u * (hi - lo) + lo
        if r.ndim != u.ndim or any(a == 1 and b != 1 for a, b in zip(u.type.shape, r.type.shape)):
            raise NotImplementedError("MRG_RandomStreams.uniform: low and high would broadcast the sample beyond "
                                      "size; make size match their shape (as in Theano)")
        return r

    def binomial(self, size: Any = (), n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None,
                 dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Variable:
        """1 where a floatX uniform is below ``p``, else 0, as ``dtype`` (Theano: only ``n=1``)."""
        if not (isinstance(n, (int, np.integer)) and n == 1):
            raise NotImplementedError(f"MRG_RandomStreams.binomial: only n=1 is provided (as in Theano), got "
                                      f"n={n!r:.40}; framework.random.RandomStreams.binomial draws n > 1")
        u = self.uniform(size, ndim=ndim, nstreams=nstreams, **kwargs)
        return T.cast(T.lt(u, as_tensor_variable(p)), as_dtype(dtype))

    def normal(self, size: Any = (), avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
               dtype: Any = None, nstreams: Any = None, truncate: bool = False, **kwargs: Any) -> Variable:
        """Gaussian draws by Theano 1.0's Box-Muller layout.

        ``2m`` uniforms (``m`` = the number of draws rounded up to even) from
        one ``uniform()`` call: the first half gives the radii
        ``sqrt(-2 log u1)``, the second the angles ``2 pi u2``; the draws are
        all the cosines then all the sines (the last one dropped when the size
        is odd), reshaped, times ``std`` plus ``avg``.

        ``truncate=True``: a draw beyond 2 keeps its angle and takes a new
        radius ``sqrt(-2 log u)``, ``u`` uniform on ``(e**-2, 1)`` from one more
        ``uniform()`` call (first for the cosine draws, then the sine ones),
        and the draws are laid out as Theano lays them: the cosine draws
        within 2, the redrawn cosine draws, the sine draws within 2, the
        redrawn sine draws. The standard deviation is then 0.8796 ``std``;
        :meth:`truncated_normal` corrects for that.
        """
        size_v = _as_shape_vector(_size_tuple(size, "normal"))
        dtype = str(as_dtype(dtype)) if dtype is not None else _float_dtype(avg, std)
        avg_c, std_c = T.cast(as_tensor_variable(avg), dtype), T.cast(as_tensor_variable(std), dtype)
        n_odd = T.prod(size_v)
        n_even = n_odd + n_odd % 2
        u = self.uniform((n_even,), ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
        half = n_even // 2
        u1, u2 = u[:half], u[half:]
        r = T.sqrt(-2.0 * _libm(T.log, u1))
        theta = constant(np.asarray(2.0 * np.pi, dtype=dtype)) * u2
        cos_t, sin_t = _libm(T.cos, theta), _libm(T.sin, theta)
        z0, z1 = r * cos_t, r * sin_t
        if truncate:
            parts = self._truncated_layout(z0, z1, cos_t, sin_t, dtype, nstreams, kwargs)
        else:
            parts = (z0, z1)
        samples = T.reshape(T.join(0, *parts)[:n_odd], size_v, ndim=ndim)
        return samples * std_c + avg_c

    def _truncated_layout(self, z0: Variable, z1: Variable, cos_t: Variable, sin_t: Variable, dtype: str,
                          nstreams: Any, kwargs: dict) -> Tuple[Variable, ...]:
        """Theano's truncation: ``(cosine draws within 2, redrawn ones, sine draws within 2, redrawn ones)``."""
        out0 = T.or_(T.lt(z0, -2.0), T.gt(z0, 2.0))
        out1 = T.or_(T.lt(z1, -2.0), T.gt(z1, 2.0))
        fix0, fix1 = positions(out0), positions(out1)
        n0 = T.shape(fix0)[0]
        low = constant(np.asarray(1.0 / np.e ** 2, dtype=dtype))
        u_fix = self.uniform((n0 + T.shape(fix1)[0],), low=low, high=1.0, ndim=1, dtype=dtype,
                             nstreams=nstreams, **kwargs)
        r_fix = T.sqrt(-2.0 * _libm(T.log, u_fix))
        return (z0[positions(T.invert(out0))], r_fix[:n0] * cos_t[fix0],
                z1[positions(T.invert(out1))], r_fix[n0:] * sin_t[fix1])

    def truncated_normal(self, size: Any = (), avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
                         dtype: Any = None, nstreams: Any = None, **kwargs: Any) -> Variable:
        """A normal truncated at 2 standard deviations whose standard deviation is ``std``.

        ``std`` is divided by the standard deviation of a unit normal truncated
        to ``[-2, 2]`` (0.8796...), a constant of floatX when that is float32 or
        float16 and of float64 otherwise, as in Theano 1.0.
        """
        from ....config import config

        c_dtype = config.floatX if config.floatX in ("float16", "float32") else "float64"
        std = as_tensor_variable(std) / constant(np.asarray(_TRUNCATED_STD, dtype=c_dtype))
        return self.normal(size, avg, std, ndim=ndim, dtype=dtype, nstreams=nstreams, truncate=True, **kwargs)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Variable:
        """Counts of ``n`` draws per row of the matrix ``pvals``, from ``rows * n`` floatX uniforms
        (:class:`~._mrg_ops.MultinomialFromUniform`); ``size`` and ``ndim`` must be left out, as in Theano."""
        pvals = self._pvals(pvals, size, ndim, "multinomial")
        n_v = as_tensor_variable(n)
        unis = self.uniform(T.shape(pvals)[:1] * n_v, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(str(as_dtype(dtype)))(pvals, unis, n_v)

    def choice(self, size: Any = 1, a: Any = None, replace: bool = True, p: Any = None, ndim: Optional[int] = None,
               dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Variable:
        """``size`` category indices per row of the matrix ``p``, without replacement
        (:class:`~._mrg_ops.ChoiceFromUniform`): Theano 1.0 provides only ``replace=False`` and ``a=None``."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice: only replace=False is provided (as in Theano)")
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None (the categories are 0 .. p.shape[1] - 1)")
        pvals = self._pvals(p, None, ndim, "choice", name="p")
        n_v = as_tensor_variable(size)
        unis = self.uniform(T.shape(pvals)[:1] * n_v, ndim=1, nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(str(as_dtype(dtype)))(pvals, unis, n_v)

    def multinomial_wo_replacement(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                                   dtype: Any = "int64", nstreams: Any = None, **kwargs: Any) -> Variable:
        """Theano's deprecated spelling of ``choice(size=n, p=pvals, replace=False)``."""
        warnings.warn("MRG_RandomStreams.multinomial_wo_replacement() is deprecated; use choice(size=n, p=pvals, "
                      "replace=False)", DeprecationWarning, stacklevel=2)
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial_wo_replacement: size must be None (n gives the count)")
        return self.choice(size=n, a=None, replace=False, p=pvals, ndim=ndim, dtype=dtype, nstreams=nstreams,
                           **kwargs)

    @staticmethod
    def _pvals(pvals: Any, size: Any, ndim: Any, what: str, name: str = "pvals") -> Variable:
        if pvals is None:
            raise TypeError(f"MRG_RandomStreams.{what}: {name} must be given (a matrix, one row per draw)")
        if size is not None:
            raise ValueError(f"MRG_RandomStreams.{what}: size must be None; the rows of {name} give the shape")
        if ndim is not None:
            raise ValueError(f"MRG_RandomStreams.{what}: ndim must be None; the rows of {name} give the shape")
        pvals = as_tensor_variable(pvals)
        if pvals.ndim != 2:
            raise NotImplementedError(f"MRG_RandomStreams.{what}: {name} must be a matrix (as in Theano), got "
                                      f"{pvals.type}")
        return pvals

    def __repr__(self) -> str:
        return (f"MRG_RandomStreams(seed={self.default_instance_seed!r}, {len(self.state_updates)} draw(s), "
                f"rstate={self.rstate.tolist()})")


def _is(v: Any, number: int) -> bool:
    """Whether ``v`` is the Python (or NumPy) number ``number`` itself, not a variable."""
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and v == number


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
