"""The arithmetic of windows: border modes, output sizes, pooling shapes.

Everything here works on Python ints *and* on symbolic integer scalars (it
only adds, multiplies and floor-divides), so the same formula gives an op's
static output shape in ``make_node`` and its symbolic one in
``infer_shape``. It follows Theano 1.0
(``theano/tensor/nnet/abstract_conv.py``, ``theano/tensor/signal/pool.py``).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

Pair = Tuple[int, int]

BORDER_MODES = ("valid", "full", "half")
POOL_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def pair(value: Any, what: str, minimum: int) -> Pair:
    """``value`` as a pair of ints ``>= minimum`` (an int means the same for both axes)."""
    if _is_int(value):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}") from None
    if not (_is_int(a) and _is_int(b)) or a < minimum or b < minimum:
        raise ValueError(f"{what} must be ints >= {minimum}, got {value!r}")
    return int(a), int(b)


def normalize_border_mode(border_mode: Any) -> Any:
    """``'valid'``, ``'full'``, ``'half'`` or a pair of non-negative paddings."""
    if isinstance(border_mode, str):
        if border_mode not in BORDER_MODES:
            raise ValueError(f"conv2d: border_mode must be one of {', '.join(map(repr, BORDER_MODES))}, "
                             f"an int or a pair of ints, got {border_mode!r}")
        return border_mode
    return pair(border_mode, "conv2d: border_mode (a padding)", 0)


def padding(border_mode: Any, kshp: Pair, dilation: Pair) -> Pair:
    """The zero padding a border mode adds on each side of the rows and columns."""
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return tuple(d * (k - 1) for k, d in zip(kshp, dilation))  # type: ignore[return-value]
    if border_mode == "half":  # half the dilated filter, as Theano 1.0 (abstract_conv, CorrMM)
        return tuple((d * (k - 1) + 1) // 2 for k, d in zip(kshp, dilation))  # type: ignore[return-value]
    return border_mode


def conv_out_size(size: Any, k: Any, pad: int, stride: int, dilation: int) -> Any:
    """Rows (or columns) of a convolution's output: ``(size + 2 pad - dilated k) // stride + 1``."""
    if size is None or k is None:
        return None
    return (size + 2 * pad - (dilation * (k - 1) + 1)) // stride + 1


def border_pad(border_mode: Any, k: Any, dilation: int, axis: int) -> Any:
    """The padding along one axis; symbolic when ``k`` is (modes 'full' and 'half')."""
    if border_mode == "valid":
        return 0
    if border_mode == "full":
        return None if k is None else dilation * (k - 1)
    if border_mode == "half":
        return None if k is None else (dilation * (k - 1) + 1) // 2
    return border_mode[axis]


@dataclass(frozen=True)
class ConvParams:
    """The settings a convolution node carries (all hashable, so ops compare by them)."""

    border_mode: Any  # 'valid' | 'full' | 'half' | (ph, pw)
    subsample: Pair
    filter_flip: bool
    filter_dilation: Pair
    num_groups: int

    @classmethod
    def make(cls, border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
             filter_dilation: Any = (1, 1), num_groups: int = 1) -> "ConvParams":
        if not _is_int(num_groups) or num_groups < 1:
            raise ValueError(f"conv2d: num_groups must be an int >= 1, got {num_groups!r}")
        return cls(normalize_border_mode(border_mode), pair(subsample, "conv2d: subsample", 1),
                   bool(filter_flip), pair(filter_dilation, "conv2d: filter_dilation", 1), int(num_groups))

    def pads(self, kshp: Sequence[Any]) -> Tuple[Any, Any]:
        return (border_pad(self.border_mode, kshp[0], self.filter_dilation[0], 0),
                border_pad(self.border_mode, kshp[1], self.filter_dilation[1], 1))

    def out_hw(self, imshp: Sequence[Any], kshp: Sequence[Any]) -> Tuple[Any, Any]:
        """Output rows and columns for input ``imshp`` (H, W) and filter ``kshp`` (kh, kw);
        ``None`` where not known."""
        pads = self.pads(kshp)
        return tuple(  # type: ignore[return-value]
            None if p is None else conv_out_size(imshp[i], kshp[i], p, self.subsample[i], self.filter_dilation[i])
            for i, p in enumerate(pads))

    def describe(self) -> str:
        parts = [f"border_mode={self.border_mode!r}"]
        if self.subsample != (1, 1):
            parts.append(f"subsample={self.subsample}")
        if self.filter_dilation != (1, 1):
            parts.append(f"filter_dilation={self.filter_dilation}")
        if self.num_groups != 1:
            parts.append(f"num_groups={self.num_groups}")
        if not self.filter_flip:
            parts.append("filter_flip=False")
        return ", ".join(parts)


# --- pooling --------------------------------------------------------------------

@dataclass(frozen=True)
class PoolParams:
    """The settings a pooling node carries."""

    ws: Pair
    stride: Pair
    pad: Pair
    ignore_border: bool
    mode: str

    @classmethod
    def make(cls, ws: Any, ignore_border: bool = True, stride: Any = None, pad: Any = (0, 0),
             mode: str = "max") -> "PoolParams":
        ws = pair(ws, "pool_2d: ws (the window)", 1)
        stride = ws if stride is None else pair(stride, "pool_2d: stride", 1)
        pad = pair(pad, "pool_2d: pad", 0)
        if mode not in POOL_MODES:
            raise ValueError(f"pool_2d: mode must be one of {', '.join(map(repr, POOL_MODES))}, got {mode!r}")
        if pad != (0, 0):
            if not ignore_border:
                raise ValueError(f"pool_2d: padding {pad} works only with ignore_border=True (as in Theano)")
            if pad[0] >= ws[0] or pad[1] >= ws[1]:
                raise ValueError(f"pool_2d: padding {pad} must be smaller than the window {ws}, "
                                 "or some windows would hold only padding")
        return cls(ws, stride, pad, bool(ignore_border), mode)

    def out_hw(self, imshp: Sequence[Any]) -> Tuple[Any, Any]:
        return (self.out_size(imshp[0], 0), self.out_size(imshp[1], 1))

    def out_size(self, size: Any, axis: int) -> Any:
        """Theano's ``Pool.out_shape`` along one axis (ints or symbolic)."""
        if size is None:
            return None
        ws, st, pad = self.ws[axis], self.stride[axis], self.pad[axis]
        v = size + 2 * pad
        if self.ignore_border:
            return _max0((v - ws) // st + 1)
        if st >= ws:
            return (v - 1) // st + 1
        return _max0((v - 1 - ws) // st + 1) + 1

    def window_starts_span(self, size: int, axis: int) -> Tuple[int, int]:
        """(number of windows, padded length the windows need) along one axis, for run time."""
        n = int(self.out_size(size, axis))
        need = (n - 1) * self.stride[axis] + self.ws[axis] if n > 0 else 0
        return n, need

    def describe(self) -> str:
        parts = [f"ws={self.ws}", f"stride={self.stride}", f"mode={self.mode!r}"]
        if self.pad != (0, 0):
            parts.append(f"pad={self.pad}")
        if not self.ignore_border:
            parts.append("ignore_border=False")
        return ", ".join(parts)


def _max0(v: Any) -> Any:
    if _is_int(v):
        return max(int(v), 0)
    from framework.core.elemwise import maximum

    return maximum(v, 0)


def static_dims(values: Sequence[Any]) -> Tuple[Optional[int], ...]:
    """Ints where known, None elsewhere."""
    return tuple(int(v) if _is_int(v) else None for v in values)
