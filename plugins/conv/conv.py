"""2-d convolution on NCHW tensors: the ops, their shape rules and gradients.

Three ops describe one bilinear map ``z = conv(x, w)`` and its two adjoints,
as in Theano's ``abstract_conv``:

* ``conv2d``: ``(x, w) -> z``;
* ``conv2d_grad_inputs``: ``(w, gz, (H, W)) -> gx``, the transposed
  convolution (Theano's ``conv2d_grad_wrt_inputs``);
* ``conv2d_grad_weights``: ``(x, gz, (kh, kw)) -> gw``.

Each is the other two's gradient, so gradients of any order stay in this
family. The ops carry the settings (:class:`~.geometry.ConvParams`), a
static shape rule (``make_node``), a symbolic one (``infer_shape``) and a
reference implementation over ``xp`` (:mod:`.reference`); the fast kernels
are registered per backend from :mod:`.cpu` and :mod:`.gpu`.
"""
from __future__ import annotations

import numbers
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from framework.core.errors import ShapeError, format_trace, user_trace
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.variable import TensorVariable, as_tensor_variable

from . import reference
from .geometry import ConvParams, static_dims

Hint = Tuple[Optional[int], ...]


# --- building helpers -------------------------------------------------------------

def _float_tensor4(opname: str, what: str, v: Any) -> TensorVariable:
    v = as_tensor_variable(v)
    if v.ndim != 4:
        raise ShapeError(f"{opname}: {what} must be a 4-d tensor (NCHW), got {v.type} "
                         f"(at {format_trace(user_trace())})")
    if not v.dtype.startswith("float"):
        raise TypeError(f"{opname}: {what} must hold floats, got {v.type} (at {format_trace(user_trace())})")
    return v


def _hint(value: Any, what: str) -> Hint:
    """A user's shape hint (``input_shape=``/``filter_shape=``) as four ints or Nones."""
    if value is None:
        return (None,) * 4
    try:
        entries = list(value)
    except TypeError:
        raise ValueError(f"conv2d: {what} must be a tuple of 4 entries, got {value!r}") from None
    if len(entries) != 4:
        raise ValueError(f"conv2d: {what} must have 4 entries (N, C, H, W order), got {value!r}")
    return static_dims([e if isinstance(e, numbers.Integral) else None for e in entries])


def _merge(opname: str, what: str, static: Sequence[Optional[int]], hint: Hint) -> Hint:
    out = []
    for i, (s, h) in enumerate(zip(static, hint)):
        if s is not None and h is not None and s != h:
            raise ShapeError(f"{opname}: {what} {tuple(hint)} contradicts the variable's shape {tuple(static)} "
                             f"at axis {i} (at {format_trace(user_trace())})")
        out.append(s if s is not None else h)
    return tuple(out)


def _spatial(v: Variable) -> Variable:
    """The last two entries of ``v``'s shape, as a symbolic int64 vector (constant when static)."""
    from framework.core.shape_ops import make_vector, shape_i

    h, w = v.type.shape[2], v.type.shape[3]
    if h is not None and w is not None:
        return as_tensor_variable(np.array([h, w], dtype="int64"))
    return make_vector(shape_i(v, 2), shape_i(v, 3), dtype="int64")


def _hw_vector(opname: str, what: str, shape: Any) -> Variable:
    """``(H, W)`` from a user's 4-entry shape (ints, symbolic scalars, or a symbolic vector)."""
    from framework.core.shape_ops import make_vector

    if isinstance(shape, Variable):
        if shape.ndim != 1:
            raise ShapeError(f"{opname}: {what} must be a vector of 4 entries, got {shape.type}")
        return shape[2:] if shape.type.shape[0] in (None, 4) else shape
    try:
        entries = list(shape)
    except TypeError:
        raise ValueError(f"{opname}: {what} must be a tuple of 4 entries (N, C, H, W order), got {shape!r}") from None
    if len(entries) != 4:
        raise ValueError(f"{opname}: {what} must have 4 entries (N, C, H, W order), got {shape!r}")
    h, w = entries[2], entries[3]
    if h is None or w is None:
        raise ValueError(f"{opname}: {what} must give the rows and columns (entries 2 and 3), got {shape!r}")
    if isinstance(h, numbers.Integral) and isinstance(w, numbers.Integral):
        return as_tensor_variable(np.array([h, w], dtype="int64"))
    return make_vector(h, w, dtype="int64")


def _static_pair(v: Variable) -> Tuple[Optional[int], Optional[int]]:
    from framework.core.shape_ops import static_vector

    entries = static_vector(v)
    if entries is None or len(entries) != 2:
        return (None, None)
    return entries[0], entries[1]


def _size_entries(v: Variable) -> Tuple[Any, Any]:
    """The two entries of a size vector input: ints where known when building, else symbolic."""
    static = _static_pair(v)
    return tuple(s if s is not None else v[i] for i, s in enumerate(static))  # type: ignore[return-value]


def _check_run(op: "_ConvOp", x_shape: Optional[Sequence[int]], w_shape: Sequence[int]) -> None:
    """Run-time checks of the shapes the node gets against its settings and the user's hints."""
    name = op.name
    f, cg = w_shape[0], w_shape[1]
    g = op.params.num_groups
    if f % g:
        raise ShapeError(f"{name}: {f} filters cannot be split into num_groups={g} groups")
    if x_shape is not None and x_shape[1] != cg * g:
        raise ShapeError(f"{name}: the input has {x_shape[1]} channels but the filters {tuple(w_shape)} expect "
                         f"{cg} x num_groups={g} = {cg * g}")
    for what, hint, actual in (("input_shape", op.imshp, x_shape), ("filter_shape", op.kshp, w_shape)):
        if actual is not None and any(h is not None and h != a for h, a in zip(hint, actual)):
            raise ShapeError(f"{name}: {what}={tuple(hint)} was given when building, but the value has "
                             f"shape {tuple(actual)}")
    if isinstance(op, Conv2d) and x_shape is not None:
        _check_fit(op.params, x_shape, w_shape, "")


def _check_fit(params: ConvParams, xs: Sequence[Any], ws: Sequence[Any], where: str) -> None:
    """The (dilated) filters fit in the padded input: otherwise the output would have no pixel (or a
    negative number), which is an error when building (static sizes) and at run time alike."""
    ho, wo = params.out_hw(xs[2:], ws[2:])
    if (ho is not None and ho <= 0) or (wo is not None and wo <= 0):
        raise ShapeError(f"conv2d: the filters {tuple(ws)} (with {params.describe()}) do not fit in "
                         f"the input {tuple(xs)}: the output would have {ho} x {wo} pixels{where}")


# --- the ops --------------------------------------------------------------------

class _ConvOp(Op):
    """What the three convolution ops share: settings, hints and their printing."""

    __props__ = ("params", "imshp", "kshp")

    def __init__(self, params: ConvParams, imshp: Hint = (None,) * 4, kshp: Hint = (None,) * 4) -> None:
        self.params, self.imshp, self.kshp = params, tuple(imshp), tuple(kshp)

    def __str__(self) -> str:
        return f"{self.name}{{{self.params.describe()}}}"

    def pads(self, khw: Sequence[int]) -> Tuple[int, int]:
        return self.params.pads(khw)  # type: ignore[return-value]

    def flip(self, w: Any) -> Any:
        return w[:, :, ::-1, ::-1] if self.params.filter_flip else w

    def _related(self, cls: type) -> "_ConvOp":
        return cls(self.params, self.imshp, self.kshp)

    def _out_dtype(self, a: Variable, b: Variable) -> str:
        return np.result_type(a.dtype, b.dtype).name


class Conv2d(_ConvOp):
    """``z[n, f] = sum_c x[n, c] (*) w[f, c]``: a convolution (``filter_flip=True``) or a
    correlation, with padding, strides, dilation and channel groups."""
    complex_grad = True  # conjugating correlations (the complex audit's conv2d)

    name = "conv2d"

    def make_node(self, x: Any, w: Any) -> Apply:
        x = _float_tensor4(self.name, "the input", x)
        w = _float_tensor4(self.name, "the filters", w)
        xs = _merge(self.name, "input_shape", x.type.shape, self.imshp)
        ws = _merge(self.name, "filter_shape", w.type.shape, self.kshp)
        g = self.params.num_groups
        if ws[0] is not None and ws[0] % g:
            raise ShapeError(f"conv2d: {ws[0]} filters cannot be split into num_groups={g} groups "
                             f"(at {format_trace(user_trace())})")
        if xs[1] is not None and ws[1] is not None and xs[1] != ws[1] * g:
            raise ShapeError(f"conv2d: the input {x.type} has {xs[1]} channels but the filters {w.type} "
                             f"(num_groups={g}) expect {ws[1] * g} (at {format_trace(user_trace())})")
        _check_fit(self.params, xs, ws, f" (at {format_trace(user_trace())})")
        ho, wo = self.params.out_hw(xs[2:], ws[2:])
        return Apply(self, [x, w], [TensorType(self._out_dtype(x, w), (xs[0], ws[0], ho, wo))])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        xs, ws = input_shapes
        return [(xs[0], ws[0]) + tuple(self.params.out_hw(xs[2:], ws[2:]))]

    def impl(self, xp: Any, x: Any, w: Any) -> Any:
        _check_run(self, x.shape, w.shape)
        p = self.params
        return reference.corr2d(xp, x, self.flip(w), self.pads(w.shape[2:]), p.subsample, p.filter_dilation,
                                p.num_groups, np.result_type(x.dtype, w.dtype))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x, w), gz = node.inputs, output_grads[0]
        gx = self._related(Conv2dGradInputs)(w, gz, _spatial(x))
        gw = self._related(Conv2dGradWeights)(x, gz, _spatial(w))
        return [gx, gw]


class Conv2dGradInputs(_ConvOp):
    """The transposed convolution: ``gx`` with ``<conv2d(x, w), gz> = <x, gx>`` for
    every ``x`` of rows and columns ``hw``."""
    complex_grad = True  # linear in each input, conjugating as conv2d's

    name = "conv2d_grad_inputs"
    host_int_inputs = (2,)  # (H, W) is read as Python ints: a GPU backend keeps it on the host

    def make_node(self, w: Any, gz: Any, hw: Any) -> Apply:
        w = _float_tensor4(self.name, "the filters", w)
        gz = _float_tensor4(self.name, "the output gradient", gz)
        hw = as_tensor_variable(hw)
        if hw.ndim != 1 or not hw.dtype.startswith(("int", "uint")):
            raise ShapeError(f"{self.name}: the input's (rows, columns) must be an integer vector, got {hw.type}")
        ws = _merge(self.name, "filter_shape", w.type.shape, self.kshp)
        h, wd = _static_pair(hw)
        c = ws[1] * self.params.num_groups if ws[1] is not None else self.imshp[1]
        out = _merge(self.name, "input_shape", (gz.type.shape[0], c, h, wd), self.imshp)
        return Apply(self, [w, gz, hw], [TensorType(self._out_dtype(w, gz), out)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        ws, gzs, _ = input_shapes
        return [(gzs[0], ws[1] * self.params.num_groups) + _size_entries(node.inputs[2])]

    def impl(self, xp: Any, w: Any, gz: Any, hw: Any) -> Any:
        h, wd = int(hw[0]), int(hw[1])
        return self.run(xp, w, gz, (h, wd), reference.corr2d_grad_input)

    def run(self, xp: Any, w: Any, gz: Any, hw: Tuple[int, int], kernel: Any) -> Any:
        """Check the shapes, then ``kernel(xp, flipped w, gz, hw, pads, stride, dilation, groups, dtype)``."""
        p = self.params
        _check_run(self, (gz.shape[0], w.shape[1] * p.num_groups) + hw, w.shape)
        pads = self.pads(w.shape[2:])
        expect = p.out_hw(hw, w.shape[2:])
        if tuple(gz.shape[2:]) != tuple(expect) or gz.shape[1] != w.shape[0]:
            raise ShapeError(f"{self.name}: an input of {hw[0]} x {hw[1]} pixels and filters {tuple(w.shape)} "
                             f"({p.describe()}) give an output of {expect[0]} x {expect[1]} pixels and "
                             f"{w.shape[0]} channels, but its gradient has shape {tuple(gz.shape)}")
        return kernel(xp, self.flip(w), gz, hw, pads, p.subsample, p.filter_dilation, p.num_groups,
                      np.result_type(w.dtype, gz.dtype))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (w, gz, hw), ggx = node.inputs, output_grads[0]
        return [self._related(Conv2dGradWeights)(ggx, gz, _spatial(w)), self._related(Conv2d)(ggx, w), None]


class Conv2dGradWeights(_ConvOp):
    """``gw`` with ``<conv2d(x, w), gz> = <w, gw>`` for every ``w`` of rows and columns ``khw``."""
    complex_grad = True  # linear in each input, conjugating as conv2d's

    name = "conv2d_grad_weights"
    host_int_inputs = (2,)  # (kh, kw) is read as Python ints: a GPU backend keeps it on the host

    def make_node(self, x: Any, gz: Any, khw: Any) -> Apply:
        x = _float_tensor4(self.name, "the input", x)
        gz = _float_tensor4(self.name, "the output gradient", gz)
        khw = as_tensor_variable(khw)
        if khw.ndim != 1 or not khw.dtype.startswith(("int", "uint")):
            raise ShapeError(f"{self.name}: the filters' (rows, columns) must be an integer vector, got {khw.type}")
        xs = _merge(self.name, "input_shape", x.type.shape, self.imshp)
        g = self.params.num_groups
        kh, kw = _static_pair(khw)
        cg = xs[1] // g if xs[1] is not None else None
        out = _merge(self.name, "filter_shape", (gz.type.shape[1], cg, kh, kw), self.kshp)
        return Apply(self, [x, gz, khw], [TensorType(self._out_dtype(x, gz), out)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        xs, gzs, _ = input_shapes
        return [(gzs[1], xs[1] // self.params.num_groups) + _size_entries(node.inputs[2])]

    def impl(self, xp: Any, x: Any, gz: Any, khw: Any) -> Any:
        return self.run(xp, x, gz, (int(khw[0]), int(khw[1])), reference.corr2d_grad_weights)

    def run(self, xp: Any, x: Any, gz: Any, khw: Tuple[int, int], kernel: Any) -> Any:
        """Check the shapes, then flip ``kernel(xp, x, gz, khw, pads, stride, dilation, groups, dtype)``."""
        p = self.params
        g = p.num_groups
        if x.shape[1] % g:
            raise ShapeError(f"{self.name}: the input's {x.shape[1]} channels cannot be split into "
                             f"num_groups={g} groups")
        _check_run(self, x.shape, (gz.shape[1], x.shape[1] // g) + khw)
        expect = p.out_hw(x.shape[2:], khw)
        if tuple(gz.shape[2:]) != tuple(expect) or gz.shape[0] != x.shape[0]:
            raise ShapeError(f"{self.name}: the input {tuple(x.shape)} and {khw[0]} x {khw[1]} filters "
                             f"({p.describe()}) give an output of {expect[0]} x {expect[1]} pixels for "
                             f"{x.shape[0]} examples, but its gradient has shape {tuple(gz.shape)}")
        gw = kernel(xp, x, gz, khw, self.pads(khw), p.subsample, p.filter_dilation, g,
                    np.result_type(x.dtype, gz.dtype))
        return self.flip(gw)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x, gz, khw), ggw = node.inputs, output_grads[0]
        return [self._related(Conv2dGradInputs)(ggw, gz, _spatial(x)), self._related(Conv2d)(x, ggw), None]


# --- the user's functions -----------------------------------------------------------

def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1), num_groups: int = 1, image_shape: Any = None) -> TensorVariable:
    """The 2-d convolution of a batch of images with a bank of filters (Theano 1.0's ``conv2d``).

    ``input`` is (batch, channels, rows, columns); ``filters`` is (filters,
    channels / num_groups, rows, columns); the result is (batch, filters,
    out rows, out columns). ``border_mode``: ``'valid'`` (no padding),
    ``'full'`` (pad by the dilated filter size - 1), ``'half'`` (pad by half
    the filter: same size for odd filters and stride 1), or an int / a pair
    of ints of zero padding. ``subsample`` is the stride, ``filter_dilation``
    the spacing of the filter taps, ``num_groups`` splits the channels into
    groups convolved separately. ``filter_flip=True`` flips the filters (a
    true convolution, Theano's default); ``False`` gives a correlation.
    ``input_shape``/``filter_shape`` are optional hints (ints or None), checked
    when building and at run time; ``image_shape`` is Theano's old name for
    ``input_shape``.
    """
    if image_shape is not None:
        if input_shape is not None:
            raise TypeError("conv2d: give input_shape or its old name image_shape, not both")
        input_shape = image_shape
    params = ConvParams.make(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    return Conv2d(params, _hint(input_shape, "input_shape"), _hint(filter_shape, "filter_shape"))(input, filters)


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any, filter_shape: Any = None,
                           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1), num_groups: int = 1) -> TensorVariable:
    """The gradient of ``conv2d`` w.r.t. its input -- the transposed convolution
    ("deconvolution") -- as in Theano 1.0.

    ``output_grad`` is (batch, filters, rows, columns) and ``input_shape``
    the (batch, channels, rows, columns) of the input ``conv2d`` would take:
    its rows and columns (ints or symbolic scalars, or a symbolic shape
    vector) are required, because with strides several input sizes give the
    same output size. The settings mean what they mean in :func:`conv2d`.
    """
    params = ConvParams.make(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    hint = _hint(input_shape, "input_shape") if not isinstance(input_shape, Variable) else (None,) * 4
    hw = _hw_vector("conv2d_grad_wrt_inputs", "input_shape", input_shape)
    return Conv2dGradInputs(params, hint, _hint(filter_shape, "filter_shape"))(filters, output_grad, hw)


def conv2d_grad_wrt_weights(input: Any, output_grad: Any, filter_shape: Any, input_shape: Any = None,
                            border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
                            filter_dilation: Any = (1, 1), num_groups: int = 1) -> TensorVariable:
    """The gradient of ``conv2d`` w.r.t. its filters, for filters of ``filter_shape``
    (its rows and columns are required), as in Theano 1.0."""
    params = ConvParams.make(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    hint = _hint(filter_shape, "filter_shape") if not isinstance(filter_shape, Variable) else (None,) * 4
    khw = _hw_vector("conv2d_grad_wrt_weights", "filter_shape", filter_shape)
    return Conv2dGradWeights(params, _hint(input_shape, "input_shape"), hint)(input, output_grad, khw)
