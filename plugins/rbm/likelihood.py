"""Log-likelihood of an RBM: exact for small models, annealed importance sampling otherwise.

``log p(v) = -F(v) - log Z``. The free energy ``F`` is cheap; the partition
function ``Z`` is a sum over every configuration of a layer:

* **exact** (:func:`exact_log_partition`): enumerate the smaller layer
  (``2**n`` configurations, ``n <= 20``) and sum the other one out in closed
  form -- for binary visibles either layer, for Gaussian visibles the hidden
  layer (the visible integral is a Gaussian one);
* **AIS** (:func:`ais_log_partition`, Salakhutdinov & Murray, "On the
  quantitative analysis of deep belief networks", ICML 2008): anneal from a
  tractable base model (the RBM with ``W = 0`` and ``hbias = 0``, whose
  visible biases are the data's base rates) to the RBM through intermediate
  models whose hidden input is scaled by ``beta`` in ``0 = beta_0 < ... <
  beta_K = 1``, with one Gibbs transition per ``beta``; the average
  importance weight estimates ``Z / Z_0`` without bias. The error bar is
  ``log(mean(w) +- 3 standard errors)``.

Everything here is plain NumPy in float64: evaluation reads the parameters
(``rbm.parameters()``) and never builds a graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "EXACT_MAX_UNITS",
    "free_energy",
    "exact_log_partition",
    "ais_log_partition",
    "beta_schedule",
    "AISResult",
    "LogLikelihood",
    "log_likelihood",
]

EXACT_MAX_UNITS = 20
"""The largest layer :func:`exact_log_partition` enumerates (2**20 configurations)."""

_LOG_2PI = float(np.log(2.0 * np.pi))


def _softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow (faster than ``np.logaddexp(0, x)``)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


def _logsumexp(x: np.ndarray, axis: Optional[int] = None) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out.squeeze() if axis is None else np.squeeze(out, axis=axis)


def _params(model: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(W, hbias, vbias, visible_type)`` in float64 from a model or a mapping."""
    if isinstance(model, Mapping):
        values, visible = model, str(model.get("visible_type", "binary"))
    else:
        values, visible = model.parameters(), model.visible_type
    W = np.asarray(values["W"], dtype=np.float64)
    hbias = np.asarray(values["hbias"], dtype=np.float64)
    vbias = np.asarray(values["vbias"], dtype=np.float64)
    if W.ndim != 2 or hbias.shape != (W.shape[1],) or vbias.shape != (W.shape[0],):
        raise ValueError(f"RBM parameters do not fit together: W {W.shape}, hbias {hbias.shape}, vbias {vbias.shape}")
    if visible not in ("binary", "gaussian"):
        raise ValueError(f"unknown visible unit type {visible!r} (binary or gaussian)")
    return W, hbias, vbias, visible


def free_energy(model: Any, v: np.ndarray) -> np.ndarray:
    """``F(v)`` for each row of ``v`` (float64), for a binary or Gaussian-visible RBM."""
    W, hbias, vbias, visible = _params(model)
    v = np.asarray(v, dtype=np.float64)
    hidden = _softplus(v @ W + hbias).sum(axis=1)
    if visible == "binary":
        return -(v @ vbias) - hidden
    return 0.5 * np.sum((v - vbias) ** 2, axis=1) - hidden


def _configurations(n: int, start: int, stop: int) -> np.ndarray:
    """Rows ``start..stop-1`` of the ``2**n`` binary configurations of ``n`` units."""
    codes = np.arange(start, stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.float64)


def exact_log_partition(model: Any, chunk: int = 1 << 14) -> float:
    """``log Z`` by enumerating the smaller layer (at most :data:`EXACT_MAX_UNITS` units).

    For Gaussian visible units only the hidden layer can be enumerated.
    Raises ``ValueError`` when the layer to enumerate is too large.
    """
    W, hbias, vbias, visible = _params(model)
    n_visible, n_hidden = W.shape
    if visible == "gaussian":
        if n_hidden > EXACT_MAX_UNITS:
            raise ValueError(f"exact log Z of a Gaussian-visible RBM enumerates the hidden layer: "
                             f"{n_hidden} hidden units > {EXACT_MAX_UNITS}; use AIS")
        enumerate_hidden = True
    else:
        if min(n_visible, n_hidden) > EXACT_MAX_UNITS:
            raise ValueError(f"exact log Z enumerates the smaller layer: min({n_visible} visible, {n_hidden} "
                             f"hidden) > {EXACT_MAX_UNITS} units; use AIS")
        enumerate_hidden = n_hidden <= n_visible or n_visible > EXACT_MAX_UNITS
    n = n_hidden if enumerate_hidden else n_visible
    total = 1 << n
    parts = []
    for start in range(0, total, chunk):
        configs = _configurations(n, start, min(start + chunk, total))
        if enumerate_hidden and visible == "binary":
            # sum over v: prod_i (1 + exp(vbias_i + W_i.h))
            terms = configs @ hbias + _softplus(configs @ W.T + vbias).sum(axis=1)
        elif enumerate_hidden:
            # integral over v of a Gaussian: (2 pi)^(n/2) exp(|vbias + W h|^2 / 2 - |vbias|^2 / 2)
            mean = configs @ W.T + vbias
            terms = configs @ hbias + 0.5 * np.sum(mean ** 2, axis=1) - 0.5 * float(vbias @ vbias)
        else:
            terms = configs @ vbias + _softplus(configs @ W + hbias).sum(axis=1)
        parts.append(_logsumexp(terms))
    log_z = float(_logsumexp(np.asarray(parts)))
    if enumerate_hidden and visible == "gaussian":
        log_z += 0.5 * n_visible * _LOG_2PI
    return log_z


def beta_schedule(n_betas: int) -> np.ndarray:
    """``n_betas`` inverse temperatures from 0 to 1, denser near 1.

    The proportions of Salakhutdinov & Murray's schedule: 500 steps in
    ``[0, 0.5)``, 4000 in ``[0.5, 0.9)`` and 10000 in ``[0.9, 1]`` out of 14500.
    """
    if n_betas < 3:
        raise ValueError(f"AIS needs at least 3 inverse temperatures, got n_betas={n_betas}")
    n1 = max(1, int(round(n_betas * 500 / 14500)))
    n2 = max(1, int(round(n_betas * 4000 / 14500)))
    n3 = max(1, n_betas - n1 - n2)
    return np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False),
                           np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3)])


@dataclass(frozen=True)
class AISResult:
    """An AIS estimate of ``log Z``: the estimate and its error bar.

    ``log_z_low``/``log_z_high`` are ``log(mean(w) -+ 3 standard errors)``
    plus the base model's ``log Z_0``; ``log_z_low`` is ``-inf`` when the
    lower end is not positive (the weights vary too much: use more runs or
    more inverse temperatures).
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_z_base: float
    log_weights: np.ndarray
    n_runs: int
    n_betas: int

    @property
    def error_bar(self) -> Tuple[float, float]:
        """How far the estimate may be off: ``(below, above)``."""
        return (self.log_z - self.log_z_low, self.log_z_high - self.log_z)


def _base_visible_bias(vbias: np.ndarray, visible: str, base_data: Optional[np.ndarray]) -> np.ndarray:
    """The base model's visible biases: the data's base rates (binary) or means (Gaussian)."""
    if base_data is None:
        return vbias.copy()
    data = np.asarray(base_data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != vbias.shape[0]:
        raise ValueError(f"base_data must have {vbias.shape[0]} columns, got shape {data.shape}")
    if visible == "gaussian":
        return data.mean(axis=0)
    # Smoothed base rates, as Salakhutdinov & Murray: a few pseudo-counts
    # keep pixels that are always off (or on) from getting infinite biases.
    rate = (data.sum(axis=0) + 0.05 * len(data)) / (1.1 * len(data))
    return np.log(rate) - np.log1p(-rate)


def ais_log_partition(model: Any, n_runs: int = 100, n_betas: int = 14500,
                      betas: Optional[Sequence[float]] = None, base_data: Optional[np.ndarray] = None,
                      rng: Union[None, int, np.random.RandomState] = None) -> AISResult:
    """Estimate ``log Z`` by annealed importance sampling.

    ``n_runs`` independent annealing runs over ``n_betas`` inverse
    temperatures (:func:`beta_schedule`; or give ``betas``, increasing from 0
    to 1). ``base_data`` (e.g. the training set) sets the base model's
    visible biases to the data's base rates, which makes the estimate much
    tighter; without it the RBM's own visible biases are used.
    """
    W, hbias, vbias, visible = _params(model)
    rng = rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)
    if n_runs < 2:
        raise ValueError(f"AIS needs at least 2 runs for an error bar, got n_runs={n_runs}")
    schedule = beta_schedule(n_betas) if betas is None else np.asarray(betas, dtype=np.float64)
    if schedule.ndim != 1 or len(schedule) < 2 or schedule[0] != 0.0 or schedule[-1] != 1.0 \
            or np.any(np.diff(schedule) < 0):
        raise ValueError("betas must increase from 0 to 1")
    n_visible, n_hidden = W.shape
    base = _base_visible_bias(vbias, visible, base_data)

    # log p*_beta(v), the intermediate model's unnormalised marginal of v, is
    # visible_term(v, beta) + sum_j softplus(beta * (v.W_j + hbias_j)).
    if visible == "binary":
        def visible_term(v: np.ndarray, beta: float) -> np.ndarray:
            return v @ ((1.0 - beta) * base + beta * vbias)

        log_z_base = n_hidden * np.log(2.0) + float(_softplus(base).sum())
        v = (rng.uniform(size=(n_runs, n_visible)) < _sigmoid(base)).astype(np.float64)
    else:
        # Gaussian visibles: the base model is N(base, I); the centre moves
        # from the base model's to the RBM's visible biases.
        def visible_term(v: np.ndarray, beta: float) -> np.ndarray:
            return -0.5 * np.sum((v - ((1.0 - beta) * base + beta * vbias)) ** 2, axis=1)

        log_z_base = n_hidden * np.log(2.0) + 0.5 * n_visible * _LOG_2PI
        v = base + rng.standard_normal(size=(n_runs, n_visible))

    log_w = np.zeros(n_runs)
    last = len(schedule) - 1
    for k in range(1, len(schedule)):
        beta_prev, beta = schedule[k - 1], schedule[k]
        pre = v @ W + hbias  # shared by both terms and the transition
        log_w += (visible_term(v, beta) - visible_term(v, beta_prev)
                  + (_softplus(beta * pre) - _softplus(beta_prev * pre)).sum(axis=1))
        if k == last:
            break
        # One Gibbs transition that leaves the model at `beta` invariant.
        h = (rng.uniform(size=pre.shape) < _sigmoid(beta * pre)).astype(np.float64)
        if visible == "binary":
            act = (1.0 - beta) * base + beta * (vbias + h @ W.T)
            v = (rng.uniform(size=act.shape) < _sigmoid(act)).astype(np.float64)
        else:
            centre = (1.0 - beta) * base + beta * vbias
            v = centre + beta * (h @ W.T) + rng.standard_normal(size=(n_runs, n_visible))

    top = float(np.max(log_w))
    ratios = np.exp(log_w - top)
    mean = float(np.mean(ratios))
    stderr = float(np.std(ratios, ddof=1) / np.sqrt(n_runs))
    log_z = log_z_base + top + np.log(mean)
    high = log_z_base + top + np.log(mean + 3.0 * stderr)
    low = log_z_base + top + np.log(mean - 3.0 * stderr) if mean > 3.0 * stderr else -np.inf
    return AISResult(float(log_z), float(low), float(high), float(log_z_base), log_w, n_runs, len(schedule))


@dataclass(frozen=True)
class LogLikelihood:
    """Average log-likelihood of some data, with the bounds that come with it.

    For ``method='exact'`` the bounds equal the value. For AIS they follow
    from the error bar of ``log Z`` (a larger ``log Z`` gives a lower
    likelihood). ``str()`` reads ``-35.21 (exact)`` or ``-61.3 +0.4/-0.5 (AIS, 100 runs)``.
    """

    value: float
    low: float
    high: float
    log_z: float
    method: str
    ais: Optional[AISResult] = None

    def __str__(self) -> str:
        if self.method == "exact":
            return f"{self.value:.4f} (exact)"
        up = self.high - self.value
        down = self.value - self.low
        return f"{self.value:.4f} +{up:.3g}/-{down:.3g} (AIS, {self.ais.n_runs if self.ais else '?'} runs)"


def log_likelihood(model: Any, data: np.ndarray, method: str = "auto", n_runs: int = 100,
                   n_betas: int = 14500, base_data: Optional[np.ndarray] = None,
                   rng: Union[None, int, np.random.RandomState] = None) -> LogLikelihood:
    """Average ``log p(v)`` over the rows of ``data``.

    ``method``: ``'exact'`` (enumerate the smaller layer, at most 20 units),
    ``'ais'`` (annealed importance sampling: ``n_runs`` runs over ``n_betas``
    inverse temperatures; ``base_data`` as in :func:`ais_log_partition`,
    default ``data``), or ``'auto'``: exact when possible, else AIS.
    """
    W, hbias, vbias, visible = _params(model)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != W.shape[0] or len(data) == 0:
        raise ValueError(f"data must be a non-empty matrix with {W.shape[0]} columns (one example per row), "
                         f"got shape {data.shape}")
    params = {"W": W, "hbias": hbias, "vbias": vbias, "visible_type": visible}
    can_enumerate = W.shape[1] <= EXACT_MAX_UNITS if visible == "gaussian" else min(W.shape) <= EXACT_MAX_UNITS
    if method == "auto":
        method = "exact" if can_enumerate else "ais"
    mean_fe = float(np.mean(free_energy(params, data)))
    if method == "exact":
        log_z = exact_log_partition(params)
        value = -mean_fe - log_z
        return LogLikelihood(value, value, value, log_z, "exact")
    if method != "ais":
        raise ValueError(f"method must be 'auto', 'exact' or 'ais', got {method!r}")
    result = ais_log_partition(params, n_runs=n_runs, n_betas=n_betas,
                               base_data=data if base_data is None else base_data, rng=rng)
    value = -mean_fe - result.log_z
    return LogLikelihood(value, -mean_fe - result.log_z_high, -mean_fe - result.log_z_low, result.log_z,
                         "ais", result)
