"""The device random-number source: Philox4x32-10, counter based.

Why Philox: its state is just a 64-bit key and a 64-bit counter, so a random
stream's state fits in a shared variable, copies and replays exactly
(``get_state`` / ``set_state``), and every element of a draw is computed
independently (element ``i`` of a draw uses counter ``base + i``), which is
what a GPU wants. Element ``i`` may use several 128-bit blocks (sub-counter
``j`` in the third counter word), e.g. ``binomial(n, p)`` uses ``n``.

This module is pure: the CUDA source of each distribution's kernel, and a
NumPy implementation of the same block function, tested against the
published known-answer vectors, so the GPU kernels can be checked against the
host on a GPU and the block function's C text here with a host compiler.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32 multipliers
W0, W1 = 0x9E3779B9, 0xBB67AE85  # Weyl key increments
ROUNDS = 10

# --- NumPy reference -------------------------------------------------------------------


def philox4x32(counter: np.ndarray, key: Tuple[int, int], rounds: int = ROUNDS) -> np.ndarray:
    """Philox4x32 of counters ``counter`` (shape (..., 4), uint32) under ``key``."""
    c = np.array(counter, dtype=np.uint64) & 0xFFFFFFFF
    c0, c1, c2, c3 = (c[..., k] for k in range(4))
    k0, k1 = np.uint64(key[0] & 0xFFFFFFFF), np.uint64(key[1] & 0xFFFFFFFF)
    mask = np.uint64(0xFFFFFFFF)
    for _ in range(rounds):
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & mask
        hi1, lo1 = p1 >> np.uint64(32), p1 & mask
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + np.uint64(W0)) & mask
        k1 = (k1 + np.uint64(W1)) & mask
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


def blocks(key: Tuple[int, int], base: int, n: int, sub: int = 0) -> np.ndarray:
    """The (n, 4) uint32 words that elements ``0..n-1`` of a draw starting at
    counter ``base`` get for sub-counter ``sub`` (what the kernels compute)."""
    ctr = (np.uint64(base) + np.arange(n, dtype=np.uint64)).astype(np.uint64)
    words = np.stack([ctr & np.uint64(0xFFFFFFFF), ctr >> np.uint64(32),
                      np.full(n, sub, dtype=np.uint64), np.zeros(n, dtype=np.uint64)], axis=-1)
    return philox4x32(words, key)


def uniform_reference(key: Tuple[int, int], base: int, n: int, dtype: str = "float64") -> np.ndarray:
    """Uniform [0, 1) values elements ``0..n-1`` get (the kernels' formula)."""
    w = blocks(key, base, n).astype(np.uint64)
    if dtype == "float32":
        return ((w[:, 0] >> np.uint64(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)).astype(np.float32)
    a = (w[:, 0] >> np.uint64(5)).astype(np.float64)
    b = (w[:, 1] >> np.uint64(6)).astype(np.float64)
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


def _u01d(words: np.ndarray, a: int, b: int) -> np.ndarray:
    """The kernels' float64 uniform from words ``a`` and ``b`` of each block."""
    w = words.astype(np.uint64)
    return ((w[..., a] >> np.uint64(5)).astype(np.float64) * 67108864.0 + (w[..., b] >> np.uint64(6))) \
        * (1.0 / 9007199254740992.0)


def poisson_reference(key: Tuple[int, int], base: int, lam: np.ndarray) -> np.ndarray:
    """The counts the ``poisson`` kernel draws for means ``lam`` (one element each, in order),
    computed on the host one element at a time (tests compare the kernel with it)."""
    import math

    out = np.zeros(len(lam), dtype=np.int64)
    for i, lm in enumerate(np.asarray(lam, dtype=np.float64)):
        lm = float(lm)
        count, j = 0, 0
        if lm >= 10.0:
            slam, loglam = math.sqrt(lm), math.log(lm)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            log_inv_alpha, vr = math.log(1.1239 + 1.1328 / (b - 3.4)), 0.9277 - 3.6224 / (b - 2.0)
            while True:
                w = blocks(key, base + i, 1, sub=j)[0]
                j += 1
                u, v = float(_u01d(w, 0, 1)) - 0.5, float(_u01d(w, 2, 3))
                us = 0.5 - abs(u)
                k = float(math.floor((2.0 * a / us + b) * u + lm + 0.43)) if us > 0 else -math.inf
                if us >= 0.07 and v <= vr:
                    count = int(k)
                    break
                if not k >= 0.0 or (us < 0.013 and v > us):
                    continue
                if math.log(v) + log_inv_alpha - math.log(a / (us * us) + b) <= -lm + k * loglam - math.lgamma(k + 1.0):
                    count = int(k)
                    break
        elif lm > 0.0:
            limit, prod = math.exp(-lm), 1.0
            while True:
                w = blocks(key, base + i, 1, sub=j)[0]
                j += 1
                prod *= float(_u01d(w, 0, 1))
                if prod <= limit:
                    break
                count += 1
                prod *= float(_u01d(w, 2, 3))
                if prod <= limit:
                    break
                count += 1
        out[i] = count
    return out


def choice_cdf_reference(key: Tuple[int, int], base: int, n: int, cdf: np.ndarray) -> np.ndarray:
    """The indices the ``choice_cdf`` kernel draws: NumPy's ``searchsorted(side='right')`` of the
    kernels' float64 uniforms in ``cdf``."""
    u = _u01d(blocks(key, base, n), 0, 1)
    return np.minimum(np.searchsorted(np.asarray(cdf, dtype=np.float64), u, side="right"), len(cdf) - 1)


def key_from_seed(seed: int) -> Tuple[int, int]:
    """A Philox key from an integer seed (seeds that differ give unrelated streams)."""
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    # scramble through one Philox block so nearby seeds give unrelated keys
    w = philox4x32(np.array([[seed & 0xFFFFFFFF, seed >> 32, 0x5EED, 0]], dtype=np.uint64), (0x243F6A88, 0x85A308D3))
    return int(w[0, 0]), int(w[0, 1])


# --- a stream's state inside a NumPy RandomState (what get_value() shows on a GPU) -----------

_MAGIC = (0x50484958, 0x34783332)  # "PHIX", "4x32"


def encode_state(key: Tuple[int, int], counter: int) -> np.random.RandomState:
    """A RandomState whose Mersenne Twister words hold ``(key, counter)``."""
    words = np.zeros(624, dtype=np.uint32)
    lo, hi = counter & 0xFFFFFFFF, (counter >> 32) & 0xFFFFFFFF
    words[:7] = [_MAGIC[0], _MAGIC[1], key[0], key[1], lo, hi, (key[0] ^ key[1] ^ lo ^ hi ^ 0x5A5A5A5A)]
    words[7] = 1  # keeps the twister's state non-degenerate
    rs = np.random.RandomState()
    rs.set_state(("MT19937", words, 624, 0, 0.0))
    return rs


def decode_state(state: Any) -> Optional[Tuple[Tuple[int, int], int]]:
    """``(key, counter)`` from a RandomState or an MT19937 state tuple (or dict) made by
    :func:`encode_state` (None when it holds no device stream: another state, or one on
    another bit generator, such as the native streams' PCG64)."""
    if isinstance(state, np.random.RandomState):
        if not isinstance(getattr(state, "_bit_generator", None), np.random.MT19937):
            return None
        state = state.get_state(legacy=True)
    if isinstance(state, dict) and state.get("bit_generator") == "MT19937" and isinstance(state.get("state"), dict):
        state = ("MT19937", state["state"].get("key"), state["state"].get("pos"))
    if not (isinstance(state, tuple) and len(state) >= 2 and state[0] == "MT19937"):
        return None
    words = np.asarray(state[1], dtype=np.uint64)
    if words.shape != (624,) or (int(words[0]), int(words[1])) != _MAGIC:
        return None
    k0, k1, lo, hi, check = (int(w) for w in words[2:7])
    if check != (k0 ^ k1 ^ lo ^ hi ^ 0x5A5A5A5A):
        return None
    return (k0, k1), lo | (hi << 32)


# --- CUDA source ---------------------------------------------------------------------------

PHILOX_PREAMBLE = r"""
#ifndef FW_PHILOX
#define FW_PHILOX
#ifndef FW_FN
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FW_FN __device__ __forceinline__
#else
#define FW_FN inline
#endif
#endif
struct fw_u4 { unsigned int x, y, z, w; };
FW_FN fw_u4 fw_philox(unsigned long long ctr, unsigned int sub, unsigned int k0, unsigned int k1) {
  unsigned int c0 = (unsigned int)ctr, c1 = (unsigned int)(ctr >> 32), c2 = sub, c3 = 0u;
  for (int r = 0; r < 10; ++r) {
    unsigned long long p0 = (unsigned long long)0xD2511F53u * c0;
    unsigned long long p1 = (unsigned long long)0xCD9E8D57u * c2;
    unsigned int hi0 = (unsigned int)(p0 >> 32), lo0 = (unsigned int)p0;
    unsigned int hi1 = (unsigned int)(p1 >> 32), lo1 = (unsigned int)p1;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  fw_u4 out; out.x = c0; out.y = c1; out.z = c2; out.w = c3;
  return out;
}
FW_FN float fw_u01f(unsigned int a) { return (float)(a >> 8) * (1.0f / 16777216.0f); }
FW_FN double fw_u01d(unsigned int a, unsigned int b) {
  return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) * (1.0 / 9007199254740992.0);
}
#endif
"""

# Every draw kernel gets: raw uint64 ctr (the counter, read at ctr[0]), uint32 k0, k1
# (the key), uint64 total (the sample's size), the distribution's parameters, then
# the sample `out`; the thread of element 0 writes the advanced counter into
# `raw uint64 nctr` (a new array: the old state stays valid, as the graph needs).
_COMMON_IN = "raw uint64 ctr, uint32 k0, uint32 k1, uint64 total"
_ADVANCE = "if (i == 0) nctr[0] = ctr[0] + total;"

DRAW_KERNELS: Dict[str, Tuple[str, str, str]] = {
    # name: (extra in_params, body, C type of the computation)
    "uniform": (
        "D low, D high",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const fw_u4 r = fw_philox(c, 0u, k0, k1);\n"
        "const W u = FW_U01(r);\n"
        "out = (O)((W)low + ((W)high - (W)low) * u);",
        "",
    ),
    "normal": (
        "D loc, D scale",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const fw_u4 r = fw_philox(c, 0u, k0, k1);\n"
        "const double u1 = 1.0 - fw_u01d(r.x, r.y);\n"
        "const double u2 = fw_u01d(r.z, r.w);\n"
        "const double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);\n"
        "out = (O)((W)loc + (W)scale * (W)z);",
        "",
    ),
    "binomial": (
        "N ntrials, D p",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "long long count = 0;\n"
        "const long long trials = (long long)ntrials;\n"
        "for (long long j = 0; j < trials; ++j) {\n"
        "  const fw_u4 r = fw_philox(c, (unsigned int)j, k0, k1);\n"
        "  if (FW_U01(r) < (W)p) ++count;\n"
        "}\n"
        "out = (O)count;",
        "",
    ),
    "random_integers": (
        "N low, N high",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const fw_u4 r = fw_philox(c, 0u, k0, k1);\n"
        "const long long lo = (long long)low;\n"
        "const unsigned long long span = (unsigned long long)((long long)high - lo) + 1ULL;\n"
        "const unsigned long long bits = ((unsigned long long)r.y << 32) | (unsigned long long)r.x;\n"
        "out = (O)(lo + (long long)(span ? bits % span : bits));",
        "",
    ),
    # NumPy's two methods (their published algorithms, not NumPy's numbers): below a mean of 10,
    # multiplying uniforms until the product drops to exp(-lam) (two uniforms per block); from
    # 10 up, Hoermann's transformed rejection with squeeze (PTRS, 1993), one block per try. Each
    # try of element i reads its own sub-counter, so a draw is a function of (key, counter + i).
    "poisson": (
        "D lam",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const double lm = (double)lam;\n"
        "long long count = 0;\n"
        "if (lm >= 10.0) {\n"
        "  const double slam = sqrt(lm), loglam = log(lm);\n"
        "  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;\n"
        "  const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4)), vr = 0.9277 - 3.6224 / (b - 2.0);\n"
        "  for (unsigned int j = 0;; ++j) {\n"
        "    const fw_u4 r = fw_philox(c, j, k0, k1);\n"
        "    const double u = fw_u01d(r.x, r.y) - 0.5, v = fw_u01d(r.z, r.w);\n"
        "    const double us = 0.5 - fabs(u);\n"
        "    const double k = floor((2.0 * a / us + b) * u + lm + 0.43);\n"
        "    if (us >= 0.07 && v <= vr) { count = (long long)k; break; }\n"
        "    if (!(k >= 0.0) || (us < 0.013 && v > us)) continue;\n"
        "    if (log(v) + log_inv_alpha - log(a / (us * us) + b) <= -lm + k * loglam - lgamma(k + 1.0)) {\n"
        "      count = (long long)k; break;\n"
        "    }\n"
        "  }\n"
        "} else if (lm > 0.0) {\n"
        "  const double limit = exp(-lm);\n"
        "  double prod = 1.0;\n"
        "  for (unsigned int j = 0;; ++j) {\n"
        "    const fw_u4 r = fw_philox(c, j, k0, k1);\n"
        "    prod *= fw_u01d(r.x, r.y);\n"
        "    if (prod <= limit) break;\n"
        "    ++count;\n"
        "    prod *= fw_u01d(r.z, r.w);\n"
        "    if (prod <= limit) break;\n"
        "    ++count;\n"
        "  }\n"
        "}\n"
        "out = (O)count;",
        "",
    ),
    # choice with replacement and probabilities: the first j with cdf[j] > u (NumPy's
    # searchsorted(side='right') of a uniform in the cumulative sums scaled to end at 1)
    "choice_cdf": (
        "raw float64 cdf, int64 k",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const fw_u4 r = fw_philox(c, 0u, k0, k1);\n"
        "const double u = fw_u01d(r.x, r.y);\n"
        "long long lo = 0, hi = k;\n"
        "while (lo < hi) { const long long mid = lo + (hi - lo) / 2; if (cdf[mid] > u) hi = mid; else lo = mid + 1; }\n"
        "out = (O)(lo < k ? lo : k - 1);",
        "",
    ),
    "bits64": (
        "",
        "const unsigned long long c = ctr[0] + (unsigned long long)i;\n"
        "const fw_u4 r = fw_philox(c, 0u, k0, k1);\n"
        "out = (O)(((unsigned long long)r.y << 32) | (unsigned long long)r.x);",
        "",
    ),
}


def draw_source(dist: str, param_dtypes: Tuple[str, ...], out_dtype: str) -> Tuple[str, str, str, str]:
    """(in_params, out_params, operation, name) of the element-wise draw kernel.

    ``param_dtypes`` are the parameters' dtypes, ``out_dtype`` the sample's.
    The computation is in double for float64 samples, float otherwise
    (uniform) — the same formula as :func:`uniform_reference`.
    """
    from .codegen import c_type

    extra, body, _ = DRAW_KERNELS[dist]
    # a parameter declared with its own type ("raw float64 cdf") keeps it; a letter (D, N) takes
    # the dtype given for it
    decls = [p.split() for p in extra.split(",") if p.strip()]
    params = ", ".join(" ".join(d) if len(d) != 2 or d[0] not in ("D", "N") else f"{dt} {d[1]}"
                       for d, dt in zip(decls, param_dtypes))
    wide = out_dtype == "float64" or (dist != "uniform" and "float64" in param_dtypes)
    w = "double" if wide else "float"
    u01 = "fw_u01d(r.x, r.y)" if wide else "fw_u01f(r.x)"
    o = "float" if out_dtype == "float16" else c_type(out_dtype)
    operation = (body.replace("FW_U01(r)", u01).replace("(W)", f"({w})").replace("const W ", f"const {w} ")
                 .replace("(O)", f"({o})"))
    if out_dtype == "float16":
        operation = operation.replace("out = (float)(", "out = (float16)(float)(")
    operation += "\n" + _ADVANCE
    in_params = _COMMON_IN + (", " + params if params else "")
    out_params = f"{out_dtype} out, raw uint64 nctr"
    name = f"fw_draw_{dist}_{'_'.join(param_dtypes) or 'none'}_{out_dtype}"
    return in_params, out_params, operation, name


MULTINOMIAL_SOURCE = r"""
extern "C" __global__ void fw_multinomial(const unsigned long long* ctr, unsigned long long* nctr,
    unsigned int k0, unsigned int k1, const P* pvals, const long long* ntrials, O* out,
    long long rows, long long k) {
  long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (row == 0) nctr[0] = ctr[0] + (unsigned long long)rows;
  if (row >= rows) return;
  const P* p = pvals + row * k;
  O* o = out + row * k;
  for (long long j = 0; j < k; ++j) o[j] = (O)0;
  const unsigned long long c = ctr[0] + (unsigned long long)row;
  const long long n = ntrials[row];
  for (long long t = 0; t < n; ++t) {
    const fw_u4 r = fw_philox(c, (unsigned int)t, k0, k1);
    const double u = fw_u01d(r.x, r.y);
    double acc = 0.0;
    long long j = 0;
    for (; j < k - 1; ++j) { acc += (double)p[j]; if (u < acc) break; }
    o[j] = (O)(o[j] + (O)1);
  }
}
"""


def multinomial_source(p_dtype: str, out_dtype: str) -> str:
    """A RawKernel source drawing multinomial counts, one thread per row."""
    from .codegen import c_type

    return PHILOX_PREAMBLE + (MULTINOMIAL_SOURCE.replace("P", c_type(p_dtype)).replace("(O)", f"({c_type(out_dtype)})")
                              .replace("O*", f"{c_type(out_dtype)}*"))


__all__ = ["philox4x32", "blocks", "uniform_reference", "poisson_reference", "choice_cdf_reference", "key_from_seed", "encode_state", "decode_state", "PHILOX_PREAMBLE", "DRAW_KERNELS",
           "draw_source", "multinomial_source"]
