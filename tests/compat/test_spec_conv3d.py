"""``T.nnet.conv3d`` (Theano 1.0's 3-d convolution, ``(batch, channels, depth, rows, columns)``):
values against a loop over every output entry, for each border mode, strides, dilations,
correlation and groups; gradients against finite differences; the filters' depth must be known."""
from __future__ import annotations

import numpy as np
import pytest


def reference(x, w, pad, stride, dil, flip, groups=1):
    if flip:
        w = w[:, :, ::-1, ::-1, ::-1]
    n, c, _, _, _ = x.shape
    f, cg = w.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    dk = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], dil)]
    od, oh, ow = [(s - k) // st + 1 for s, k, st in zip(xp.shape[2:], dk, stride)]
    out = np.zeros((n, f, od, oh, ow))
    per = f // groups
    for g in range(groups):
        ws = w[g * per:(g + 1) * per]
        for a in range(od):
            for b in range(oh):
                for e in range(ow):
                    patch = xp[:, g * cg:(g + 1) * cg, a * stride[0]:a * stride[0] + dk[0]:dil[0],
                               b * stride[1]:b * stride[1] + dk[1]:dil[1], e * stride[2]:e * stride[2] + dk[2]:dil[2]]
                    out[:, g * per:(g + 1) * per, a, b, e] = np.einsum("ncdhw,fcdhw->nf", patch, ws)
    return out


CASES = [  # border_mode, its padding for a (2, 3, 2) kernel, subsample, dilation, flip, groups
    ("valid", (0, 0, 0), (1, 1, 1), (1, 1, 1), True, 1),
    ("full", (1, 2, 1), (1, 1, 1), (1, 1, 1), True, 1),
    ("half", (1, 1, 1), (2, 1, 1), (1, 1, 1), False, 1),
    ((1, 0, 2), (1, 0, 2), (2, 1, 2), (1, 1, 1), False, 1),
    (1, (1, 1, 1), (1, 2, 1), (2, 1, 1), True, 1),
    ("valid", (0, 0, 0), (1, 1, 1), (1, 1, 1), True, 2),
]


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("border,pad,stride,dil,flip,groups", CASES)
def test_conv3d_matches_the_loop(mode, border, pad, stride, dil, flip, groups):
    import theano
    import theano.tensor as T

    rng = np.random.RandomState(0)
    xv = rng.standard_normal((2, 4, 5, 6, 5))
    wv = rng.standard_normal((4, 4 // groups, 2, 3, 2))
    x = T.TensorType("float64", (False,) * 5)("x")
    w = T.TensorType("float64", (False,) * 5)("w")
    out = T.nnet.conv3d(x, w, filter_shape=wv.shape, border_mode=border, subsample=stride, filter_flip=flip,
                        filter_dilation=dil, num_groups=groups)
    got = theano.function([x, w], out, mode=mode)(xv, wv)
    np.testing.assert_allclose(got, reference(xv, wv, pad, stride, dil, flip, groups), rtol=1e-12, atol=1e-12)
    assert T.nnet.abstract_conv.conv3d is T.nnet.conv3d


@pytest.mark.parametrize("border,stride", [("valid", (1, 1, 1)), ("half", (2, 1, 2)), ((1, 0, 1), (1, 2, 1))])
def test_conv3d_gradients_match_finite_differences(border, stride):
    import theano
    import theano.tensor as T

    rng = np.random.RandomState(1)
    wv = rng.standard_normal((2, 2, 2, 2, 3))
    theano.gradient.verify_grad(lambda x, w: T.nnet.conv3d(x, w, filter_shape=wv.shape, border_mode=border,
                                                           subsample=stride),
                                [rng.standard_normal((1, 2, 4, 4, 5)), wv], rng=rng)


def test_conv3d_needs_the_filters_depth_and_5d_inputs():
    import theano.tensor as T

    five = T.TensorType("float64", (False,) * 5)
    with pytest.raises(TypeError, match="depth must be known"):
        T.nnet.conv3d(five(), five())
    with pytest.raises(TypeError, match="5-d"):
        T.nnet.conv3d(T.dtensor4(), five(), filter_shape=(1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        T.nnet.conv3d(five(), five(), filter_shape=(1, 1, 1, 1, 1), border_mode=-1)
    # a depth given as a NumPy integer (filter_shape=array.shape of a NumPy computation) is a depth
    assert T.nnet.conv3d(five(), five(), filter_shape=tuple(np.array([2, 2, 2, 2, 2]))).ndim == 5
