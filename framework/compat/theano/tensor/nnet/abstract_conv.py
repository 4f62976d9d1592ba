"""``theano.tensor.nnet.abstract_conv``: Theano 1.0's convolution interface over the convolution plugin.

The functions (``conv2d``, ``conv2d_grad_wrt_inputs`` -- the transposed convolution --,
``conv2d_grad_wrt_weights``) are the plugin's ops, looked up when called. The op classes
``AbstractConv2d``, ``AbstractConv2d_gradInputs`` and ``AbstractConv2d_gradWeights`` take Theano's
constructor arguments and are called as Theano's were (Lasagne's ``TransposedConv2DLayer`` builds
``AbstractConv2d_gradInputs(imshp, kshp, subsample=..., border_mode=..., filter_flip=...)`` and
calls it on ``(W, input, output_size)``); ``isinstance(node.op, AbstractConv2d)`` asks whether a
node is the plugin's convolution (by the op's declared name). The shape helpers
(``get_conv_output_shape`` and the others) are Theano's arithmetic on ints, ``None`` where a size is
unknown, or symbolic sizes.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Tuple

from ..._plugin_ops import plugin_function

__all__ = ["conv2d", "conv3d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "bilinear_upsampling",
           "bilinear_kernel_1D", "bilinear_kernel_2D", "AbstractConv2d",
           "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights", "get_conv_output_shape",
           "get_conv_shape_1axis", "get_conv_gradinputs_shape", "get_conv_gradinputs_shape_1axis",
           "get_conv_gradweights_shape", "get_conv_gradweights_shape_1axis"]

conv2d = plugin_function("conv2d", "theano.tensor.nnet.abstract_conv.conv2d")
conv2d_grad_wrt_inputs = plugin_function("conv2d_grad_wrt_inputs",
                                         "theano.tensor.nnet.abstract_conv.conv2d_grad_wrt_inputs")
conv2d_grad_wrt_weights = plugin_function("conv2d_grad_wrt_weights",
                                          "theano.tensor.nnet.abstract_conv.conv2d_grad_wrt_weights")


def conv3d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None, border_mode: Any = "valid",
           subsample: Any = (1, 1, 1), filter_flip: bool = True, filter_dilation: Any = (1, 1, 1),
           num_groups: int = 1) -> Any:
    """Theano's ``conv3d``: the 3-d convolution of ``(batch, channels, depth, rows, columns)`` images
    with ``(filters, channels / num_groups, depth, rows, columns)`` filters; the settings as
    ``conv2d``'s, with three entries (``border_mode``: a mode, an int or three ints).

    Built as a sum of 2-d convolutions, one per depth tap of the filters (each over every output
    depth at once, the depths folded into the batch), so its gradients are those of ``conv2d``,
    indexing and reshapes. The filters' depth must be known when the graph is built (their static
    shape, or ``filter_shape``)."""
    from .....core import elemwise as E
    from .....core.shape_ops import alloc
    from .....core.subtensor import set_subtensor
    from .....core.variable import as_tensor_variable

    x, w = as_tensor_variable(input), as_tensor_variable(filters)
    if x.ndim != 5 or w.ndim != 5:
        raise TypeError(f"conv3d: the input and the filters must be 5-d (batch, channels, depth, rows, columns), "
                        f"got {x.type} and {w.type}")
    kd = w.type.shape[2] if w.type.shape[2] is not None else (filter_shape[2] if filter_shape is not None else None)
    if isinstance(kd, numbers.Integral):
        kd = int(kd)  # a NumPy integer too
    else:
        raise TypeError("conv3d: the filters' depth must be known when the graph is built (a filter tensor of "
                        "static shape, or filter_shape=(..., depth, rows, columns))")
    sd, sh, sw = (int(v) for v in subsample)
    dd, dh, dw = (int(v) for v in filter_dilation)
    dil_kd = (kd - 1) * dd + 1
    if isinstance(border_mode, str):
        pd = _pad(border_mode, dil_kd)
        hw_mode: Any = border_mode
    elif isinstance(border_mode, (tuple, list)):
        if len(border_mode) != 3:
            raise ValueError(f"conv3d: border_mode must have three entries, got {border_mode!r}")
        pd, hw_mode = int(border_mode[0]), (int(border_mode[1]), int(border_mode[2]))
    else:
        pd, hw_mode = int(border_mode), (int(border_mode), int(border_mode))
    if pd < 0:
        raise ValueError("conv3d: border_mode must be >= 0")
    n, c, d, h, wd = (x.shape[k] for k in range(5))
    if pd:
        padded = alloc(E.cast(0, x.dtype), n, c, d + 2 * pd, h, wd)
        x = set_subtensor(padded[:, :, pd:pd + d], x)
        d = d + 2 * pd
    out_d = (d - dil_kd) // sd + 1
    total = None
    for t in range(kd):
        taps = x[:, :, t * dd:t * dd + (out_d - 1) * sd + 1:sd]  # the input depths tap t meets
        flat = taps.dimshuffle(0, 2, 1, 3, 4).reshape((n * out_d, c, h, wd))
        kernel = w[:, :, kd - 1 - t if filter_flip else t]  # a convolution flips the depth axis too
        y = conv2d(flat, kernel, border_mode=hw_mode, subsample=(sh, sw), filter_flip=filter_flip,
                   filter_dilation=(dh, dw), num_groups=num_groups)
        term = y.reshape((n, out_d, y.shape[1], y.shape[2], y.shape[3]))
        total = term if total is None else total + term
    return total.dimshuffle(0, 2, 1, 3, 4)


def bilinear_kernel_1D(ratio: Any, normalize: bool = True) -> Any:  # noqa: N802 -- Theano's name
    """The triangle ``1, 2, ..., ratio, ..., 2, 1`` (divided by ``ratio`` when ``normalize``): the
    weights a transposed convolution of stride ``ratio`` interpolates linearly with."""
    from .....config import config
    from .....core.shape_ops import arange, concatenate

    half = arange(1, ratio + 1, dtype=config.floatX)
    kernel = concatenate([half, half[-2::-1]])
    return kernel / ratio if normalize else kernel


def bilinear_kernel_2D(ratio: Any, normalize: bool = True) -> Any:  # noqa: N802 -- Theano's name
    """The outer product of :func:`bilinear_kernel_1D` with itself."""
    k = bilinear_kernel_1D(ratio, normalize)
    return k.dimshuffle(0, "x") * k.dimshuffle("x", 0)


def bilinear_upsampling(input: Any, ratio: Any, batch_size: Any = None, num_input_channels: Any = None,
                        use_1D_kernel: bool = True) -> Any:  # noqa: N803 -- Theano's names
    """Theano's ``bilinear_upsampling``: every image of the ``(batch, channels, rows, columns)`` tensor
    enlarged ``ratio`` times by bilinear interpolation, ``(batch, channels, rows * ratio, columns *
    ratio)``. As Theano computes it: the images with their first and last rows and columns repeated
    once, then a transposed convolution of stride ``ratio`` with the triangle kernel
    (:func:`bilinear_kernel_1D`), rows then columns (``use_1D_kernel``) or both at once with the 2-d
    kernel -- the same values up to rounding. For an even ``ratio`` the result is not symmetric (the
    last row and column weigh once more than the first, as Theano's note says). ``batch_size`` and
    ``num_input_channels`` were hints; they change nothing."""
    from .....core.shape_ops import concatenate
    from .....core.variable import as_tensor_variable

    x = as_tensor_variable(input)
    if x.ndim != 4:
        raise TypeError(f"bilinear_upsampling: the input must be 4-d (batch, channels, rows, columns), got {x.type}")
    rows, cols = x.shape[2], x.shape[3]
    images = x.reshape((-1, 1, rows, cols))
    images = concatenate([images[:, :, :1, :], images, images[:, :, -1:, :]], axis=2)  # edge rows repeated
    images = concatenate([images[:, :, :, :1], images, images[:, :, :, -1:]], axis=3)  # edge columns repeated
    pad = 2 * ratio - (ratio - 1) // 2 - 1
    if use_1D_kernel:
        k = bilinear_kernel_1D(ratio)
        tall = conv2d_grad_wrt_inputs(images, k.dimshuffle("x", "x", 0, "x"), input_shape=(None, 1, rows * ratio, cols + 2),
                                      border_mode=(pad, 0), subsample=(ratio, 1), filter_flip=True)
        out = conv2d_grad_wrt_inputs(tall, k.dimshuffle("x", "x", "x", 0), input_shape=(None, 1, rows * ratio, cols * ratio),
                                     border_mode=(0, pad), subsample=(1, ratio), filter_flip=True)
    else:
        k2 = bilinear_kernel_2D(ratio)
        out = conv2d_grad_wrt_inputs(images, k2.dimshuffle("x", "x", 0, 1), input_shape=(None, 1, rows * ratio, cols * ratio),
                                     border_mode=(pad, pad), subsample=(ratio, ratio), filter_flip=True)
    return out.reshape((x.shape[0], x.shape[1], rows * ratio, cols * ratio))


# --- the op classes ---------------------------------------------------------------------------

class _OpClass(type):
    """``isinstance(op, cls)``: the op's declared name is one of ``cls._names``."""

    _names: Tuple[str, ...] = ()

    def __instancecheck__(cls, op: Any) -> bool:
        return getattr(op, "name", None) in cls._names


class _AbstractConv(metaclass=_OpClass):
    """Theano's constructor arguments, kept to build the node when the instance is called."""

    def __init__(self, imshp: Any = None, kshp: Any = None, border_mode: Any = "valid", subsample: Any = (1, 1),
                 filter_flip: bool = True, filter_dilation: Any = (1, 1), num_groups: int = 1,
                 unshared: bool = False) -> None:
        if unshared:
            raise TypeError(f"{type(self).__name__}: unshared (locally connected) convolutions are not provided by "
                            "framework's Theano layer")
        self.imshp = tuple(imshp) if imshp is not None else None
        self.kshp = tuple(kshp) if kshp is not None else None
        self.border_mode, self.subsample = border_mode, tuple(subsample)
        self.filter_flip, self.filter_dilation, self.num_groups = bool(filter_flip), tuple(filter_dilation), num_groups

    def _settings(self) -> dict:
        return dict(border_mode=self.border_mode, subsample=self.subsample, filter_flip=self.filter_flip,
                    filter_dilation=self.filter_dilation, num_groups=self.num_groups)


def _with_spatial(known: Optional[Tuple[Any, ...]], shape: Any) -> Any:
    """A 4-entry shape: ``known``'s batch and channel entries (None where not given) and the two
    spatial sizes ``shape`` gives (a pair of ints or symbolic scalars, or a symbolic 2-vector)."""
    lead = tuple(known[:2]) if known is not None else (None, None)
    if isinstance(shape, (tuple, list)):
        if len(shape) != 2:
            raise ValueError(f"the shape given to an AbstractConv2d gradient op is its two spatial sizes (rows, "
                             f"columns), got {tuple(shape)!r}")
        return lead + tuple(shape)
    return lead + (shape[0], shape[1])


class AbstractConv2d(_AbstractConv):
    """``AbstractConv2d(imshp, kshp, border_mode, subsample, filter_flip, filter_dilation,
    num_groups)(img, kern)``: ``conv2d`` with those settings."""

    _names = ("conv2d",)

    def __call__(self, img: Any, kern: Any) -> Any:
        return conv2d(img, kern, input_shape=self.imshp, filter_shape=self.kshp, **self._settings())


class AbstractConv2d_gradInputs(_AbstractConv):  # noqa: N801 -- Theano's name
    """``AbstractConv2d_gradInputs(imshp, kshp, ...)(kern, topgrad, shape)``: the transposed
    convolution of ``topgrad`` back to an input of spatial size ``shape``."""

    _names = ("conv2d_grad_inputs",)

    def __call__(self, kern: Any, topgrad: Any, shape: Any) -> Any:
        return conv2d_grad_wrt_inputs(topgrad, kern, input_shape=_with_spatial(self.imshp, shape),
                                      filter_shape=self.kshp, **self._settings())


class AbstractConv2d_gradWeights(_AbstractConv):  # noqa: N801 -- Theano's name
    """``AbstractConv2d_gradWeights(imshp, kshp, ...)(img, topgrad, shape)``: the gradient with
    respect to filters of spatial size ``shape``."""

    _names = ("conv2d_grad_weights",)

    def __call__(self, img: Any, topgrad: Any, shape: Any) -> Any:
        return conv2d_grad_wrt_weights(img, topgrad, filter_shape=_with_spatial(self.kshp, shape),
                                       input_shape=self.imshp, **self._settings())


# --- shapes -----------------------------------------------------------------------------------

def _pad(border_mode: Any, dil_kernel: Any) -> Any:
    if border_mode == "half":
        return dil_kernel // 2
    if border_mode == "full":
        return dil_kernel - 1
    if border_mode == "valid":
        return 0
    if isinstance(border_mode, str):
        raise ValueError(f"border_mode must be 'valid', 'half', 'full' or a padding, got {border_mode!r}")
    if isinstance(border_mode, int) and border_mode < 0:
        raise ValueError("border_mode must be >= 0")
    return border_mode


def get_conv_shape_1axis(image_shape: Any, kernel_shape: Any, border_mode: Any, subsample: Any,
                         dilation: Any = 1) -> Any:
    """The output size along one axis: ``(image + 2 pad - dilated kernel) // subsample + 1`` (None
    where an argument is None)."""
    if None in (image_shape, kernel_shape, border_mode, subsample, dilation):
        return None
    dil_kernel = (kernel_shape - 1) * dilation + 1
    pad = _pad(border_mode, dil_kernel)
    return (image_shape + 2 * pad - dil_kernel) // subsample + 1


def get_conv_gradinputs_shape_1axis(kernel_shape: Any, top_shape: Any, border_mode: Any, subsample: Any,
                                    dilation: Any) -> Any:
    """The input size along one axis that gives ``top_shape``: exact only without subsampling (with
    it several sizes do: None)."""
    if None in (kernel_shape, top_shape, border_mode, subsample, dilation) or subsample != 1:
        return None
    dil_kernel = (kernel_shape - 1) * dilation + 1
    return top_shape - 2 * _pad(border_mode, dil_kernel) + dil_kernel - 1


def get_conv_gradweights_shape_1axis(image_shape: Any, top_shape: Any, border_mode: Any, subsample: Any,
                                     dilation: Any) -> Any:
    """The kernel size along one axis that turns ``image_shape`` into ``top_shape``: exact only without
    subsampling and with a padding that does not depend on the kernel ('half': None)."""
    if None in (image_shape, top_shape, border_mode, subsample, dilation) or subsample != 1 or border_mode == "half":
        return None
    if border_mode == "full":
        dil_kernel = top_shape - image_shape + 1
    else:
        dil_kernel = image_shape + 2 * _pad(border_mode, 0) - top_shape + 1
    return (dil_kernel - 1) // dilation + 1


def _per_axis(fn: Any, a: Sequence[Any], b: Sequence[Any], border_mode: Any, subsample: Sequence[Any],
              filter_dilation: Any) -> Tuple[Any, ...]:
    dilation = tuple(filter_dilation) if filter_dilation is not None else (1,) * len(subsample)
    modes = tuple(border_mode) if isinstance(border_mode, tuple) else (border_mode,) * len(subsample)
    return tuple(fn(a[i], b[i], modes[i], subsample[i], dilation[i]) for i in range(len(subsample)))


def get_conv_output_shape(image_shape: Sequence[Any], kernel_shape: Sequence[Any], border_mode: Any,
                          subsample: Sequence[Any], filter_dilation: Any = None) -> Tuple[Any, ...]:
    """``(batch, kernels, *spatial)`` of ``conv2d``'s output (None where unknown)."""
    return (image_shape[0], kernel_shape[0]) + _per_axis(get_conv_shape_1axis, image_shape[2:], kernel_shape[2:],
                                                         border_mode, subsample, filter_dilation)


def get_conv_gradinputs_shape(kernel_shape: Sequence[Any], top_shape: Sequence[Any], border_mode: Any,
                              subsample: Sequence[Any], filter_dilation: Any = None) -> Tuple[Any, ...]:
    """``(batch, channels, *spatial)`` of the input that gives ``top_shape`` (None where not exact)."""
    return (top_shape[0], kernel_shape[1]) + _per_axis(get_conv_gradinputs_shape_1axis, kernel_shape[2:],
                                                       top_shape[2:], border_mode, subsample, filter_dilation)


def get_conv_gradweights_shape(image_shape: Sequence[Any], top_shape: Sequence[Any], border_mode: Any,
                               subsample: Sequence[Any], filter_dilation: Any = None) -> Tuple[Any, ...]:
    """``(kernels, channels, *spatial)`` of the filters that give ``top_shape`` (None where not exact)."""
    return (top_shape[1], image_shape[1]) + _per_axis(get_conv_gradweights_shape_1axis, image_shape[2:],
                                                      top_shape[2:], border_mode, subsample, filter_dilation)


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
