"""``theano.tensor.nnet.neighbours``: ``images2neibs`` in its five modes against a loop written from
Theano 1.0's description (row order batch, channel, patch row, patch column; each patch row by row),
the errors, gradients in every mode, and ``neibs2images`` as its inverse."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


def reference(x, neib, step, mode):
    """The patches by loops over every output entry."""
    c, d = neib
    sx, sy = step
    n, ch, h, w = x.shape
    if mode == "wrap_centered":
        gr, gc = -(-h // sx), -(-w // sy)
    elif mode in ("valid", "ignore_borders"):
        gr, gc = 1 + (h - c) // sx, 1 + (w - d) // sy
    elif mode == "half":
        gr, gc = 1 + (h - c % 2) // sx, 1 + (w - d % 2) // sy
    else:  # full
        gr, gc = 1 + (h + c - 2) // sx, 1 + (w + d - 2) // sy
    shift = {"wrap_centered": (c // 2, d // 2), "half": (c // 2, d // 2), "full": (c - 1, d - 1)}.get(mode, (0, 0))
    out = np.zeros((n * ch * gr * gc, c * d), dtype=x.dtype)
    row = 0
    for b in range(n):
        for s in range(ch):
            for a in range(gr):
                for e in range(gc):
                    for i in range(c):
                        for j in range(d):
                            r, q = a * sx + i - shift[0], e * sy + j - shift[1]
                            if mode == "wrap_centered":
                                r, q = r % h, q % w
                            if 0 <= r < h and 0 <= q < w:
                                out[row, i * d + j] = x[b, s, r, q]
                    row += 1
    return out


CASES = [("valid", (2, 2), None, (2, 3, 4, 6)), ("valid", (2, 3), (1, 3), (1, 2, 5, 6)),
         ("ignore_borders", (2, 2), None, (2, 1, 5, 7)), ("ignore_borders", (3, 2), (2, 1), (1, 2, 6, 5)),
         ("half", (3, 3), (1, 1), (1, 2, 4, 5)), ("half", (2, 3), (2, 1), (2, 1, 6, 4)),
         ("full", (3, 2), (1, 1), (1, 1, 4, 3)), ("wrap_centered", (3, 3), (1, 1), (1, 2, 4, 5)),
         ("wrap_centered", (3, 5), (2, 2), (2, 1, 5, 6))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how,neib,step,shape", CASES)
def test_images2neibs_matches_the_loop(mode, how, neib, step, shape):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.neighbours import Images2Neibs, images2neibs

    x = T.dtensor4("x")
    out = images2neibs(x, neib, step, how)
    f = theano.function([x], [out, out.shape, Images2Neibs(how)(x, T.as_tensor_variable(list(neib)), step)],
                        mode=mode)
    xv = np.random.RandomState(0).standard_normal(shape)
    got, got_shape, via_class = f(xv)
    want = reference(xv, neib, step or neib, how)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(via_class, want)
    assert tuple(got_shape) == want.shape


@pytest.mark.parametrize("how,neib,step,shape", CASES)
def test_every_mode_has_a_gradient(how, neib, step, shape):
    import theano
    from theano.tensor.nnet.neighbours import images2neibs

    rng = np.random.RandomState(1)
    theano.gradient.verify_grad(lambda x: images2neibs(x, neib, step, how), [rng.standard_normal(shape)], rng=rng)


def test_bad_shapes_and_modes_say_what_is_wrong():
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.neighbours import images2neibs

    x = T.dtensor4("x")
    f = theano.function([x], images2neibs(x, (2, 2)))
    with pytest.raises(AssertionError, match="cover the image exactly"):
        f(np.zeros((1, 1, 5, 4)))
    g = theano.function([x], images2neibs(x, (2, 3), (1, 1), "wrap_centered"))
    with pytest.raises(AssertionError, match="odd patch sizes"):
        g(np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="mode"):
        images2neibs(x, (2, 2), mode="same")
    with pytest.raises(TypeError, match="4-d"):
        images2neibs(T.dmatrix(), (2, 2))
    h = theano.function([x], images2neibs(x, (2, 2), (0, 1)))
    with pytest.raises(AssertionError, match="positive"):
        h(np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("how,shape", [("valid", (2, 3, 4, 6)), ("ignore_borders", (2, 1, 5, 7))])
def test_neibs2images_puts_side_by_side_patches_back(how, shape):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.neighbours import images2neibs, neibs2images

    x = T.dtensor4("x")
    back = neibs2images(images2neibs(x, (2, 2), mode=how), (2, 2), x.shape, mode=how)
    xv = np.random.RandomState(2).standard_normal(shape)
    got = theano.function([x], back)(xv)
    want = xv.copy()
    if how == "ignore_borders":
        want[:, :, 4:, :] = 0
        want[:, :, :, 6:] = 0
    np.testing.assert_array_equal(got, want)
    theano.gradient.verify_grad(lambda z: neibs2images(z, (2, 2), shape, how),
                                [np.random.RandomState(3).standard_normal((2 * (shape[1]) * 2 * 3, 4))], rng=np.random.RandomState(3))
