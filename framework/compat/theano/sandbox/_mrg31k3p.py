"""The MRG31k3p generator of L'Ecuyer and Touzin, laid out as Theano 1.0's ``rng_mrg`` lays it out.

Pure NumPy, no graph: :mod:`.rng_mrg` builds the ops and the streams on it.

**The generator.** A state is six integers ``(x11, x12, x13, x21, x22, x23)``,
two triples of which ``x?1`` is the newest value. One step computes::

    x1 = (2**22 * x12 + (2**7 + 1) * x13) mod M1          M1 = 2**31 - 1
    x2 = (2**15 * x21 + (2**15 + 1) * x23) mod M2         M2 = 2**31 - 21069

shifts both triples (``(x1, x11, x12)``, ``(x2, x21, x22)``) and returns
``k = x1 - x2``, plus ``M1`` when that is not positive: an integer in
``[1, M1]``. Theano's C code forms those products with shifts and masks in
int32 arithmetic that wraps; for states in range (``[0, M1)`` and ``[0, M2)``)
the wrapped sums reduce to exactly the modular values above, and
:func:`_step` computes those values from the whole sums in uint64, reduced by
folding (nothing wraps).

**Streams.** A stream is a state; its substreams are spaced ``2**72`` steps
apart and successive streams ``2**134`` apart (matrix powers of the two
companion matrices, :data:`JUMP_72` and :data:`JUMP_134`, computed here from
the recurrence with Python integers). ``MRG_RandomStreams`` gives every
``uniform()`` call ``nstreams`` substreams of its current stream and then
moves to the next stream.

**Layout of a draw.** ``n`` states (rows) draw ``count`` numbers: element
``i`` is the ``(i // n)``-th number of row ``i % n``, each row advancing
only for the elements it makes (:func:`draw`).

**Floats** (Theano 1.0's compiled kernels, CPU and GPU alike):

* float64: ``k * 2**-31`` (exact);
* float32: ``float32(k) * float32(4.6566126e-10)`` in float32 arithmetic --
  the int converted to float32 first (round to nearest), then one float32
  product; the constant is the largest for which ``M1`` never gives 1.0;
* float16 (Theano's Python code; it has no compiled float16 kernel):
  ``float16(((k & 0x7fff) + 1) * float16(3.0458e-05))``, the product in float64.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

M1 = 2147483647  # 2**31 - 1
M2 = 2147462579  # 2**31 - 21069

#: the companion matrices of the two components: new state = A @ (x?1, x?2, x?3) mod M?
A1 = ((0, 2 ** 22, 2 ** 7 + 1), (1, 0, 0), (0, 1, 0))
A2 = ((2 ** 15, 0, 2 ** 15 + 1), (1, 0, 0), (0, 1, 0))

Matrix = Tuple[Tuple[int, ...], ...]
Jump = Tuple[Matrix, Matrix]  # one matrix per component


def _matmul(a: Matrix, b: Matrix, m: int) -> Matrix:
    """``a @ b mod m`` of 3x3 matrices of Python integers (exact)."""
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3)) for i in range(3))


def _matpow(a: Matrix, e: int, m: int) -> Matrix:
    """``a ** e mod m`` by repeated squaring."""
    out: Matrix = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    while e:
        if e & 1:
            out = _matmul(out, a, m)
        a = _matmul(a, a, m)
        e >>= 1
    return out


def jump_of(steps: int) -> Jump:
    """The matrices that advance a state by ``steps`` steps."""
    return _matpow(A1, steps, M1), _matpow(A2, steps, M2)


def _compose(a: Jump, b: Jump) -> Jump:
    return _matmul(a[0], b[0], M1), _matmul(a[1], b[1], M2)


#: next substream (2**72 steps) and next stream (2**134 steps): Theano's ``A1p72``/``A2p72``, ``A1p134``/``A2p134``
JUMP_72 = jump_of(2 ** 72)
JUMP_134 = jump_of(2 ** 134)


def apply_jump(states: np.ndarray, jump: Jump) -> np.ndarray:
    """Every row of ``states`` (``(n, 6)``) advanced by ``jump``; int32.

    Each product of a matrix entry and a state value is below ``2**62`` and is
    reduced before the sum, as Theano's ``matVecModM`` does, so int64 never overflows.
    """
    s = np.asarray(states, dtype=np.int64)
    out = np.empty(s.shape, dtype=np.int32)
    for half, (mat, m) in enumerate(zip(jump, (M1, M2))):
        cols = s[:, 3 * half:3 * half + 3]
        for i in range(3):
            acc = sum((cols[:, j] * mat[i][j]) % m for j in range(3))
            out[:, 3 * half + i] = acc % m
    return out


def spaced(states: np.ndarray, jump: Jump, count: int) -> np.ndarray:
    """``(count, n, 6)``: block ``b`` is ``states`` advanced ``b`` times by ``jump``.

    Doubling: once blocks ``[0, h)`` are known, blocks ``[h, 2h)`` are all of
    them advanced by ``jump ** h`` at once -- ``log2(count)`` vectorised jumps.
    """
    states = np.asarray(states, dtype=np.int32)
    out = np.empty((count,) + states.shape, dtype=np.int32)
    if count == 0:
        return out
    out[0] = states
    have, power = 1, jump
    while have < count:
        take = min(have, count - have)
        out[have:have + take] = apply_jump(out[:take].reshape(-1, 6), power).reshape((take,) + states.shape)
        have += take
        power = _compose(power, power)
    return out


def substreams(rstate: Sequence[int], n: int) -> np.ndarray:
    """``(n, 6)`` int32: ``rstate`` and the next ``n - 1`` substreams after it (``2**72`` apart)."""
    return spaced(np.asarray(rstate, dtype=np.int32).reshape(1, 6), JUMP_72, n).reshape(n, 6)


def next_stream(rstate: Sequence[int]) -> np.ndarray:
    """The start of the next stream (``rstate`` advanced ``2**134`` steps)."""
    return apply_jump(np.asarray(rstate, dtype=np.int32).reshape(1, 6), JUMP_134)[0]


def check_state(states: np.ndarray, what: str) -> np.ndarray:
    """``states`` as an ``(n, 6)`` int32 array of in-range values, or a ValueError naming ``what``."""
    s = np.asarray(states)
    if s.ndim != 2 or s.shape[1] != 6 or s.shape[0] == 0 or s.dtype != np.int32:
        raise ValueError(f"{what} must be an int32 matrix of one row of 6 integers per stream, got "
                         f"{s.dtype} of shape {s.shape}")
    if not (((s[:, :3] >= 0) & (s[:, :3] < M1)).all() and ((s[:, 3:] >= 0) & (s[:, 3:] < M2)).all()):
        raise ValueError(f"{what}: a stream state holds a value out of range (the first three of each row "
                         f"must lie in [0, {M1}), the last three in [0, {M2}))")
    return s


# --- drawing ---------------------------------------------------------------------------------

def _fold(y: np.ndarray, t: np.ndarray, mult: int) -> None:
    """``y = (y & (2**31 - 1)) + mult * (y >> 31)`` in place (``t`` is scratch): the same value
    modulo ``2**31 - mult``, since ``2**31`` is ``mult`` there (``mult`` 1 for M1, 21069 for M2)."""
    np.right_shift(y, 31, out=t)
    y &= 0x7FFFFFFF
    if mult != 1:
        t *= mult
    y += t


def _below(y: np.ndarray, t: np.ndarray, m: int) -> None:
    """``y -= m`` where ``y >= m``, in place, for ``y < 2 * m``: in uint64 ``y - m`` wraps to a huge
    number exactly when ``y < m``, so the smaller of the two is the reduced value."""
    np.subtract(y, m, out=t)
    np.minimum(y, t, out=y)


def _step(x: List[np.ndarray]) -> np.ndarray:
    """Advance the states ``x`` (six uint64 arrays, replaced in the list) one step; returns ``k``.

    The sums are formed whole (below ``2**54`` in uint64, no wrap) and reduced by folding
    (:func:`_fold`) -- the modular values Theano's wrapping int32 code arrives at.
    """
    x11, x12, x13, x21, x22, x23 = x
    t = x13 * (2 ** 7 + 1)
    y1 = x12 << 22
    y1 += t
    _fold(y1, t, 1)
    _below(y1, t, M1)
    y2 = x21 << 15
    np.multiply(x23, 2 ** 15 + 1, out=t)
    y2 += t
    _fold(y2, t, M1 - M2 + 1)
    _fold(y2, t, M1 - M2 + 1)
    _below(y2, t, M2)
    x[:] = [y1, x11, x12, y2, x21, x22]
    k = y1 + (M1 - 1)        # k = y1 - y2, plus M1 when that is not positive: in [1, M1]
    k -= y2
    _below(k, t, M1)
    k += 1
    return k


#: below this many states per draw, a long draw also runs each stream in several lanes (:func:`draw`)
_LANES = 2048


def draw(states: np.ndarray, count: int) -> Tuple[np.ndarray, np.ndarray]:
    """Draw ``count`` integers from the ``(n, 6)`` states: ``(new_states, k)``.

    Element ``i`` is the ``(i // n)``-th number of row ``i % n``. Each loop
    step advances every row at once. When there are few rows and many steps
    (``nstreams=1`` and a million numbers, say), each row's run is cut into
    ``B`` consecutive blocks whose start states are found by jumping ahead
    (:func:`spaced`), and the blocks run side by side as ``n * B`` lanes: the
    same numbers in the same places, ``B`` times fewer loop steps.
    """
    n = states.shape[0]
    out = np.empty(count, dtype=np.uint64)
    if count == 0:
        return np.array(states, dtype=np.int32), out
    steps = -(-count // n)
    todo = np.where(np.arange(n) < count - (steps - 1) * n, steps, steps - 1)   # numbers row r draws
    blocks = 1 if n >= _LANES or steps < 64 else min(-(-_LANES // n), steps // 32)
    length = -(-steps // blocks)                                               # steps per block
    lanes = spaced(states, jump_of(length), blocks).reshape(blocks * n, 6) if blocks > 1 else states.copy()
    lane_len = np.clip(todo[None, :] - length * np.arange(blocks)[:, None], 0, length).reshape(-1)
    order = np.argsort(-lane_len, kind="stable")  # lane b * n + r, longest first: the running ones are a prefix
    lane_len = lane_len[order]
    base = (order // n) * (length * n) + order % n  # where a lane's first number goes
    x = [lanes[order, j].astype(np.uint64) for j in range(6)]
    active = len(order)
    for j in range(length):
        running = int(np.searchsorted(-lane_len, -j, side="left"))  # lanes with lane_len > j
        if running < active:
            _store(lanes, order[running:active], x, running)
            x, active = [v[:running] for v in x], running
        k = _step(x)
        if blocks == 1:  # base is 0, 1, ..., n - 1
            out[j * n:j * n + active] = k
        else:
            out[base[:active] + j * n] = k
    _store(lanes, order[:active], x, 0)
    last = (np.maximum(todo, 1) - 1) // length  # the block holding each row's last number
    new = lanes[last * n + np.arange(n)].astype(np.int32)
    return new, out


def _store(lanes: np.ndarray, rows: np.ndarray, x: List[np.ndarray], first: int) -> None:
    """Write the states ``x[j][first:first + len(rows)]`` back into ``lanes[rows]``."""
    for j in range(6):
        lanes[rows, j] = x[j][first:first + len(rows)]


# --- floats ----------------------------------------------------------------------------------

NORM64 = 2.0 ** -31                  # 4.656612873077392578125e-10
NORM32 = np.float32(4.6566126e-10)   # the float32 kernels' constant
NORM16 = np.float16(3.0458e-05)      # Theano's float16 (Python) rule

#: the dtypes a draw can produce
FLOAT_DTYPES = ("float16", "float32", "float64")


def to_float(k: np.ndarray, dtype: str) -> np.ndarray:
    """The floats Theano 1.0 makes of the integers ``k`` (module docstring), all in ``(0, 1)``."""
    if dtype == "float64":
        return k * NORM64
    if dtype == "float32":
        out = k.astype(np.float32)
        out *= NORM32
        return out
    if dtype == "float16":
        return (((k & 0x7FFF) + 1) * float(NORM16)).astype(np.float16)
    raise TypeError(f"MRG31k3p draws float16, float32 or float64 numbers, not {dtype}")
