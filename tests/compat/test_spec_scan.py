"""``theano.scan`` at the API level against Theano 1.0's theano/scan_module/tests/test_scan.py and
the scan documentation (doc/library/scan.txt), read as the specification: ``n_steps`` (0,
symbolic), ``go_backwards``, sequence and output taps, ``truncate_gradient``, ``until``,
``strict``, ``return_list``, ``map``/``reduce``/``foldl``/``foldr``, ``scan_checkpoints``. Our
own tests."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402


def test_n_steps_symbolic_and_zero():
    x, n = T.vector("x"), T.iscalar("n")
    r, _ = theano.scan(lambda prev: prev * 2, outputs_info=x, n_steps=n)
    f = theano.function([x, n], r)
    np.testing.assert_allclose(f(np.ones(2), 3), [[2, 2], [4, 4], [8, 8]])
    assert f(np.ones(2), 0).shape == (0, 2)


def test_taps_go_backwards_and_until():
    s, x = T.vector("s"), T.vector("x")
    r, _ = theano.scan(lambda a2, a0, prev: a2 + a0 + prev, sequences=dict(input=s, taps=[2, 0]),
                       outputs_info=T.constant(0.0))
    np.testing.assert_allclose(theano.function([s], r)(np.arange(6.0)), [2, 6, 12, 20])
    r, _ = theano.scan(lambda a, m2, m1: m2 + m1 + a, sequences=s, outputs_info=dict(initial=x, taps=[-2, -1]))
    np.testing.assert_allclose(theano.function([s, x], r)(np.ones(4), np.array([0.0, 1.0])), [2, 4, 7, 12])
    r, _ = theano.scan(lambda a, p: p + a, sequences=s, outputs_info=T.constant(0.0), go_backwards=True)
    np.testing.assert_allclose(theano.function([s], r)(np.array([1.0, 2.0, 4.0])), [4, 6, 7])
    r, _ = theano.scan(lambda p: (p * 2, theano.scan_module.until(p * 2 > 10)), outputs_info=T.constant(1.0),
                       n_steps=100)
    np.testing.assert_allclose(theano.function([], r)(), [2, 4, 8, 16])


def test_truncate_gradient_keeps_the_last_steps():
    s, h0 = T.vector("s"), T.scalar("h0")
    r, _ = theano.scan(lambda a, p: p * a, sequences=s, outputs_info=h0, truncate_gradient=2)
    g = theano.function([s, h0], T.grad(r[-1], s))(np.array([1.0, 2.0, 3.0, 4.0]), 1.0)
    np.testing.assert_allclose(g, [0, 0, 8, 6])


def test_strict_and_return_list():
    s = T.vector("s")
    w = theano.shared(np.float64(2.0), "w")
    with pytest.raises(TypeError):
        theano.scan(lambda a: a * w, sequences=s, strict=True)
    r, _ = theano.scan(lambda a, ww: a * ww, sequences=s, non_sequences=w, strict=True)
    np.testing.assert_allclose(theano.function([s], r)(np.arange(3.0)), [0, 2, 4])
    r, _ = theano.scan(lambda a: a * 2, sequences=s, return_list=True)
    assert isinstance(r, list) and len(r) == 1


def test_map_reduce_folds():
    s = T.vector("s")
    v = np.array([1.0, 2.0, 3.0])
    assert theano.function([s], theano.reduce(lambda a, acc: acc + a, s, T.constant(0.0))[0])(v) == 6
    assert theano.function([s], theano.foldl(lambda a, acc: acc * 2 + a, s, T.constant(0.0))[0])(v) == 11
    assert theano.function([s], theano.foldr(lambda a, acc: acc * 2 + a, s, T.constant(0.0))[0])(v) == 17
    np.testing.assert_allclose(theano.function([s], theano.map(lambda a: a ** 2, s)[0])(v), [1, 4, 9])


def test_scan_checkpoints_gives_scans_values_and_gradients():
    s, h0 = T.vector("s"), T.scalar("h0")
    r, _ = theano.scan_checkpoints(lambda a, p: p * a + 1, sequences=[s], outputs_info=[h0], save_every_N=2)
    ref, _ = theano.scan(lambda a, p: p * a + 1, sequences=[s], outputs_info=[h0])
    f = theano.function([s, h0], [r, T.grad(r[-1], s), ref, T.grad(ref[-1], s)])
    got = f(np.array([1.0, 2.0, 3.0, 0.5, 2.0]), 0.5)
    np.testing.assert_allclose(got[0], got[2])
    np.testing.assert_allclose(got[1], got[3])
    assert theano.scan_module.scan_checkpoints is theano.scan_checkpoints
    with pytest.raises(ValueError, match="save_every_N"):
        theano.scan_checkpoints(lambda a: a, sequences=[s], save_every_N=0)
