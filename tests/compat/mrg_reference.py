"""A straightforward scalar MRG31k3p and Theano 1.0's recipes on it, written apart from the library.

One number at a time with Python integers, straight from the recurrence's
definition (L'Ecuyer and Touzin 2000): no shifts, no masks, no vectors, no
lanes. The tests compare ``MRG_RandomStreams`` with it value for value.
Jumps (``2**72``, ``2**134`` steps) are matrix powers of the companion
matrices, also written here. The float rules and recipes follow Theano 1.0's
code as the tests' docstrings describe it.
"""
from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import numpy as np

M1 = 2 ** 31 - 1
M2 = 2 ** 31 - 21069


def step(s: Sequence[int]) -> Tuple[List[int], int]:
    """One step: (new state, k in [1, M1])."""
    x11, x12, x13, x21, x22, x23 = s
    x1 = (2 ** 22 * x12 + (2 ** 7 + 1) * x13) % M1
    x2 = (2 ** 15 * x21 + (2 ** 15 + 1) * x23) % M2
    k = x1 - x2
    if k <= 0:
        k += M1
    return [x1, x11, x12, x2, x21, x22], k


def _mat_mul(a, b, m):
    return [[sum(a[i][t] * b[t][j] for t in range(3)) % m for j in range(3)] for i in range(3)]


def _mat_pow(a, e, m):
    """a ** e mod m, top-down: (a ** (e // 2)) ** 2, times a when e is odd."""
    if e == 0:
        return [[int(i == j) for j in range(3)] for i in range(3)]
    half = _mat_pow(a, e // 2, m)
    square = _mat_mul(half, half, m)
    return _mat_mul(square, a, m) if e % 2 else square


COMPANION_1 = [[0, 2 ** 22, 2 ** 7 + 1], [1, 0, 0], [0, 1, 0]]
COMPANION_2 = [[2 ** 15, 0, 2 ** 15 + 1], [1, 0, 0], [0, 1, 0]]
JUMP_72 = (_mat_pow(COMPANION_1, 2 ** 72, M1), _mat_pow(COMPANION_2, 2 ** 72, M2))
JUMP_134 = (_mat_pow(COMPANION_1, 2 ** 134, M1), _mat_pow(COMPANION_2, 2 ** 134, M2))


def jump(s: Sequence[int], mats) -> List[int]:
    a, b = mats
    lo = [sum(a[i][j] * s[j] for j in range(3)) % M1 for i in range(3)]
    hi = [sum(b[i][j] * s[3 + j] for j in range(3)) % M2 for i in range(3)]
    return lo + hi


def to_float(k: int, dtype: str):
    """Theano 1.0's compiled kernels: float64 k * 2**-31; float32 float32(k) * float32(4.6566126e-10)."""
    if dtype == "float64":
        return k / 2.0 ** 31
    if dtype == "float32":
        return np.float32(np.float32(k) * np.float32(4.6566126e-10))
    if dtype == "float16":
        return np.float16(((k & 0x7FFF) + 1) * float(np.float16(3.0458e-05)))
    raise ValueError(dtype)


class Streams:
    """``MRG_RandomStreams`` redone: a main state and one list of stream states per uniform() call."""

    def __init__(self, seed=12345):
        self.rstate = [seed] * 6 if isinstance(seed, int) else list(seed)

    def new(self, n: int) -> List[List[int]]:
        rows = [list(self.rstate)]
        for _ in range(n - 1):
            rows.append(jump(rows[-1], JUMP_72))
        self.rstate = jump(self.rstate, JUMP_134)
        return rows

    @staticmethod
    def draw(rows: List[List[int]], count: int, dtype: str = "float64") -> np.ndarray:
        """``count`` numbers: the i-th from row ``i % len(rows)`` (advanced in place)."""
        out = []
        for i in range(count):
            rows[i % len(rows)], k = step(rows[i % len(rows)])
            out.append(to_float(k, dtype))
        return np.array(out, dtype=dtype)


def guess(size) -> int:
    if isinstance(size, tuple) and all(isinstance(s, int) for s in size):
        r = int(np.prod(size)) if size else 1
        return min(r // 6 if r > 6 else r, 60 * 256)
    return 60 * 256


def box_muller(u: np.ndarray, n: int, dtype: str):
    """Theano's Box-Muller on the 2m uniforms ``u``: (z0, z1, cos, sin) as lists of dtype scalars.

    The transcendental functions are NumPy's float64 ones (rounded to dtype), element by element."""
    f = np.dtype(dtype).type
    half = len(u) // 2
    z0, z1, cs, sn = [], [], [], []
    for a, b in zip(u[:half], u[half:]):
        r = np.sqrt(f(-2.0) * f(np.log(np.float64(a))))
        theta = f(2 * np.pi) * f(b)
        c, s = f(np.cos(np.float64(theta))), f(np.sin(np.float64(theta)))
        cs.append(c), sn.append(s), z0.append(f(r * c)), z1.append(f(r * s))
    return z0, z1, cs, sn


def normal(ref: Streams, size, dtype="float64", avg=0.0, std=1.0, nstreams=None, truncate=False) -> np.ndarray:
    """One call of Theano 1.0's ``normal`` on fresh streams of ``ref`` (see :func:`normal_draw`)."""
    rows = ref.new(nstreams or 60 * 256)
    fix_rows = ref.new(nstreams or 60 * 256) if truncate else None
    return normal_draw(rows, fix_rows, size, dtype, avg, std)


def normal_draw(rows, fix_rows, size, dtype="float64", avg=0.0, std=1.0) -> np.ndarray:
    """Theano 1.0's ``normal``: 2m uniforms from ``rows``, cosines then sines, odd size drops the last;
    with ``fix_rows`` (truncation) |z| > 2 keeps its angle and gets a radius from ``fix_rows`` on
    (e**-2, 1), laid out as (cosines kept, cosines redrawn, sines kept, sines redrawn)."""
    f = np.dtype(dtype).type
    n = int(np.prod(size)) if size else 1
    m = n + n % 2
    u = Streams.draw(rows, m, dtype)
    z0, z1, cs, sn = box_muller(u, m, dtype)
    if fix_rows is not None:
        bad0 = [i for i, z in enumerate(z0) if z < -2 or z > 2]
        bad1 = [i for i, z in enumerate(z1) if z < -2 or z > 2]
        uf = Streams.draw(fix_rows, len(bad0) + len(bad1), dtype)
        low = f(1.0 / np.e ** 2)
        uf = [f(f(v) * f(f(1.0) - low)) + low for v in uf]
        rf = [np.sqrt(f(-2.0) * f(np.log(np.float64(v)))) for v in uf]
        flat = ([z for i, z in enumerate(z0) if i not in bad0] + [f(r * cs[i]) for r, i in zip(rf, bad0)]
                + [z for i, z in enumerate(z1) if i not in bad1]
                + [f(r * sn[i]) for r, i in zip(rf[len(bad0):], bad1)])
    else:
        flat = z0 + z1
    out = np.array(flat[:n], dtype=dtype).reshape(size)
    return out * f(std) + f(avg)


def first_over(row, u: float):
    """Theano's compiled loop: (the first j whose running double sum of ``row`` exceeds ``u`` or None, that sum)."""
    cum = 0.0
    for j, p in enumerate(row):
        cum += float(p)
        if cum > float(u):
            return j, cum
    return None, cum


def multinomial(pvals: np.ndarray, unis: np.ndarray, n: int, dtype="int64") -> np.ndarray:
    """Theano 1.0's compiled MultinomialFromUniform, loop for loop."""
    rows, k = pvals.shape
    z = np.zeros((rows, k), dtype=dtype)
    for c in range(n):
        for r in range(rows):
            j, _ = first_over(pvals[r], unis[c * rows + r])
            if j is not None:
                z[r, j] += 1
    return z


def choice(pvals: np.ndarray, unis: np.ndarray, n: int, dtype="int64") -> np.ndarray:
    """Theano 1.0's compiled ChoiceFromUniform (without replacement), loop for loop."""
    p = np.array(pvals)
    f = p.dtype.type
    rows, k = p.shape
    z = np.full((rows, n), -1, dtype=dtype)
    for c in range(n):
        for r in range(rows):
            j, cum = first_over(p[r], unis[c * rows + r])
            if j is None:
                continue
            z[r, c] = j
            if c < n - 1:
                total = f(cum - float(p[r, j]))
                p[r, j] = 0
                for t in range(j, k):
                    total = f(total + p[r, t])
                for t in range(k):
                    p[r, t] = f(p[r, t] / total)
    return z


def libm_normal_pairs(u: np.ndarray) -> np.ndarray:
    """The float64 Box-Muller draws with the C library's functions (Python's math), as Theano's C code."""
    half = len(u) // 2
    r = [math.sqrt(-2.0 * math.log(a)) for a in u[:half]]
    t = [2 * math.pi * b for b in u[half:]]
    return np.array([a * math.cos(b) for a, b in zip(r, t)] + [a * math.sin(b) for a, b in zip(r, t)])
