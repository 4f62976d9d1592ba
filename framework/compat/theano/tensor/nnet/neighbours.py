"""``theano.tensor.nnet.neighbours``: ``images2neibs`` and ``neibs2images`` (Theano 1.0's).

``images2neibs(ten4, neib_shape, neib_step=None, mode='valid')`` cuts every image of the
``(batch, channels, rows, columns)`` tensor into patches of ``neib_shape`` taken every ``neib_step``
(default: side by side) and returns them as the rows of a matrix, in Theano's order: batch, then
channel, then patch row, then patch column; each patch flattened row by row. ``mode``:

* ``'valid'``: the patches must cover the image exactly (``(rows - r) % step == 0``, same for the
  columns) -- an ``AssertionError`` naming the sizes when the function runs otherwise (Theano raised
  ``TypeError``);
* ``'ignore_borders'``: what does not fill a whole patch at the bottom and right is dropped;
* ``'half'`` / ``'full'``: as ``'valid'`` on the image padded with zeros by ``r // 2`` / ``r - 1``
  rows (and the same for the columns) on each side;
* ``'wrap_centered'``: a patch centred on every ``step``-th pixel, wrapping around the borders
  (odd patch sizes, images at least as large as a patch).

Built from indexing, so every mode has a gradient (Theano's had one for ``'valid'`` and
``'ignore_borders'`` only); ``neibs2images(neibs, neib_shape, original_shape, mode)`` puts side-by-side
patches back (``'valid'``, ``'ignore_borders'``: the dropped borders are zeros), and is
``images2neibs``' inverse there.
"""
from __future__ import annotations

from typing import Any, Tuple

from .....core import elemwise as E
from .....core.errors import format_trace, user_trace
from .....core.shape_ops import arange
from .....core.variable import TensorVariable, as_tensor_variable
from ..checks import Assert

__all__ = ["images2neibs", "neibs2images", "Images2Neibs"]

MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


def _pair(value: Any, what: str) -> Tuple[Any, Any]:
    """``(rows, columns)`` of a pair given as a tuple/list of ints or scalars, or a 2-vector."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise TypeError(f"images2neibs: {what} must have two entries (rows, columns), got {value!r}")
        return tuple(E.cast(as_tensor_variable(v), "int64") for v in value)  # type: ignore[return-value]
    v = as_tensor_variable(value)
    if v.ndim != 1:
        raise TypeError(f"images2neibs: {what} must be a pair or a vector of two sizes, got {v.type}")
    return E.cast(v[0], "int64"), E.cast(v[1], "int64")


def _checked(x: TensorVariable, ok: Any, message: str) -> TensorVariable:
    return Assert(message)(x, ok)


def images2neibs(ten4: Any, neib_shape: Any, neib_step: Any = None, mode: str = "valid") -> TensorVariable:
    """The patches of every image of ``ten4`` as the rows of a matrix (see the module's docstring)."""
    if mode not in MODES:
        raise ValueError(f"images2neibs: mode must be one of {', '.join(MODES)}, got {mode!r}")
    x = as_tensor_variable(ten4)
    if x.ndim != 4:
        raise TypeError(f"images2neibs: the input must be 4-d (batch, channels, rows, columns), got {x.type} "
                        f"(at {format_trace(user_trace())})")
    c, d = _pair(neib_shape, "neib_shape")
    sx, sy = _pair(neib_shape if neib_step is None else neib_step, "neib_step")
    n, ch, h, w = (x.shape[k] for k in range(4))
    ok = E.and_(E.and_(E.gt(c, 0), E.gt(d, 0)), E.and_(E.gt(sx, 0), E.gt(sy, 0)))
    x = _checked(x, ok, "images2neibs: neib_shape and neib_step must be positive")
    if mode in ("half", "full"):
        pr, pc = (c // 2, d // 2) if mode == "half" else (c - 1, d - 1)
        from .....core.shape_ops import alloc
        from .....core.subtensor import set_subtensor

        padded = alloc(E.cast(0, x.dtype), n, ch, h + 2 * pr, w + 2 * pc)
        x = set_subtensor(padded[:, :, pr:pr + h, pc:pc + w], x)
        h, w = h + 2 * pr, w + 2 * pc
    if mode == "wrap_centered":
        x = _checked(x, E.and_(E.and_(E.eq(c % 2, 1), E.eq(d % 2, 1)), E.and_(E.ge(h, c), E.ge(w, d))),
                     "images2neibs: mode 'wrap_centered' needs odd patch sizes and images at least as large as a patch")
        grid_r, grid_c = (h + sx - 1) // sx, (w + sy - 1) // sy
    else:
        if mode != "ignore_borders":
            exact = E.and_(E.and_(E.ge(h, c), E.eq((h - c) % sx, 0)), E.and_(E.ge(w, d), E.eq((w - d) % sy, 0)))
            x = _checked(x, exact, f"images2neibs: in mode {mode!r} the patches (neib_shape, every neib_step) must "
                                   "cover the image exactly")
        grid_r, grid_c = 1 + (h - c) // sx, 1 + (w - d) // sy
    rows = (arange(grid_r) * sx).dimshuffle(0, "x") + arange(c).dimshuffle("x", 0)  # (grid_r, c)
    cols = (arange(grid_c) * sy).dimshuffle(0, "x") + arange(d).dimshuffle("x", 0)  # (grid_c, d)
    if mode == "wrap_centered":
        rows, cols = (rows - c // 2) % h, (cols - d // 2) % w
    patches = x[:, :, rows.dimshuffle(0, "x", 1, "x"), cols.dimshuffle("x", 0, "x", 1)]  # (n, ch, gr, gc, c, d)
    return patches.reshape((n * ch * grid_r * grid_c, c * d))


def neibs2images(neibs: Any, neib_shape: Any, original_shape: Any, mode: str = "valid") -> TensorVariable:
    """The images ``images2neibs(images, neib_shape, mode=mode)`` cut into side-by-side patches, put
    back together in a tensor of ``original_shape`` (``'ignore_borders'``: zeros where no patch was)."""
    if mode not in ("valid", "ignore_borders"):
        raise ValueError(f"neibs2images: mode must be 'valid' or 'ignore_borders', got {mode!r}")
    z = as_tensor_variable(neibs)
    c, d = _pair(neib_shape, "neib_shape")
    if isinstance(original_shape, (tuple, list)):
        n, ch, h, w = (E.cast(as_tensor_variable(s), "int64") for s in original_shape)
    else:
        shape = as_tensor_variable(original_shape)
        n, ch, h, w = (E.cast(shape[k], "int64") for k in range(4))
    grid_r, grid_c = h // c, w // d
    if mode == "valid":
        z = _checked(z, E.and_(E.eq(h % c, 0), E.eq(w % d, 0)),
                     "neibs2images: in mode 'valid' the patches must cover the image exactly")
    blocks = z.reshape((n, ch, grid_r, grid_c, c, d)).dimshuffle(0, 1, 2, 4, 3, 5)
    images = blocks.reshape((n, ch, grid_r * c, grid_c * d))
    if mode == "valid":
        return images
    from .....core.shape_ops import alloc
    from .....core.subtensor import set_subtensor

    out = alloc(E.cast(0, z.dtype), n, ch, h, w)
    return set_subtensor(out[:, :, :grid_r * c, :grid_c * d], images)


class Images2Neibs:
    """Theano's op class, called as Theano's was: ``Images2Neibs(mode)(ten4, neib_shape, neib_step)``
    is ``images2neibs(ten4, neib_shape, neib_step, mode)``."""

    def __init__(self, mode: str = "valid") -> None:
        if mode not in MODES:
            raise ValueError(f"Images2Neibs: mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode

    def __call__(self, ten4: Any, neib_shape: Any, neib_step: Any = None) -> TensorVariable:
        return images2neibs(ten4, neib_shape, neib_step, self.mode)


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
