"""Theano 1.0's complex-number functions (``real``, ``imag``, ``conj``, ``angle``, ``complex``,
``complex_from_polar``) against NumPy, and gradients of real costs through complex values against
finite differences -- the convention of Theano's complex gradients, ``dC/dx + i dC/dy``."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_complex_parts_are_numpys(mode):
    import theano
    import theano.tensor as T

    z = T.tensor(dtype="complex128", broadcastable=(False,))
    a, b = T.dvector("a"), T.dscalar("b")
    f = theano.function([z, a, b], [T.real(z), T.imag(z), T.conj(z), T.angle(z), T.complex(a, b),
                                    T.complex_from_polar(a, b), T.real(a), T.imag(a), T.conj(a), T.angle(a)],
                        mode=mode)
    zv = np.array([1 + 2j, -3 - 0.5j, -1 + 0j, complex(np.inf, -0.0)])
    av, bv = np.array([1.0, -2.0, np.inf, -0.0]), np.array(0.5)
    got = f(zv, av, bv)
    want = [zv.real, zv.imag, zv.conj(), np.angle(zv), av + 1j * 0.5 * (av * 0 + 1), av * np.exp(1j * 0.5),
            av, np.zeros(4), av, np.angle(av)]
    want[4] = np.array([complex(x, 0.5) for x in av])  # an infinite real part keeps a finite imaginary one
    for g, w in zip(got, want):
        assert g.dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_allclose(g, w, rtol=1e-15)
    assert T.complex(T.fvector(), T.fvector()).dtype == "complex64"
    assert T.real(T.complex(T.fvector(), T.fvector())).dtype == "float32"
    with pytest.raises(TypeError, match="must be real"):
        T.complex(z, a)


CASES = {
    "real(z1 z2)": lambda T, a, b: T.real(T.complex(a, b) * T.complex(b, 2 * a)),
    "imag(z1 / z2)": lambda T, a, b: T.imag(T.complex(a, b) / T.complex(b + 2, a)),
    "abs(z)": lambda T, a, b: abs(T.complex(a, b)),
    "angle(z)": lambda T, a, b: T.angle(T.complex(a, b)),
    "|exp(z)|^2": lambda T, a, b: T.real(T.exp(T.complex(a, b)) * T.conj(T.exp(T.complex(a, b)))),
    "imag(log z)": lambda T, a, b: T.imag(T.log(T.complex(a, b))),
    "sqrt, sqr": lambda T, a, b: T.real(T.sqrt(T.complex(a + 2, b))) + T.imag(T.sqr(T.complex(a, b))),
    "polar": lambda T, a, b: T.imag(T.conj(T.complex_from_polar(a, b))),
    "real times complex": lambda T, a, b: T.imag(a * T.complex(b, a)),
    "sum and cast": lambda T, a, b: T.real(T.complex(a, b) - 3.0) * b,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_through_complex_values_match_finite_differences(name):
    import warnings

    import theano
    import theano.tensor as T

    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # a real input's share: its real part
        theano.gradient.verify_grad(lambda a, b: CASES[name](T, a, b), [np.array([0.3, 1.2]), np.array([0.7, -0.4])],
                                    rng=np.random.RandomState(0))


def test_rows_without_a_complex_gradient_refuse_instead_of_answering_wrong():
    import theano
    import theano.tensor as T

    a, b = T.dvector("a"), T.dvector("b")
    with pytest.raises(theano.gradient.GradientError, match="maximum.*complex"):
        T.grad(T.real(T.maximum(T.complex(a, b), 1.0)).sum(), a)
    # real graphs are unchanged: no conj node in a real product's gradient
    g = T.grad((a * b).sum(), a)
    f = theano.function([a, b], g, mode="FAST_COMPILE")
    assert not any(n.op.name == "conj" for n in f.maker.fgraph.toposort() if hasattr(n.op, "name"))


@pytest.mark.parametrize("shapes", [((2, 3), (3, 2)), ((2, 3), (3,)), ((3,), (3, 2)), ((3,), (3,))])
def test_dot_of_complex_operands_has_the_conjugated_gradient(shapes):
    import theano
    import theano.tensor as T

    (sa, sb) = shapes

    def cost(ar, ai, br):
        a = T.complex(ar, ai)
        out = T.dot(a, br * (1 + 0j) if len(sb) else br)  # a complex with a real operand
        out2 = T.dot(a, T.complex(br, br * 0.5))  # two complex operands
        return T.real(out * T.conj(out)).sum() + T.imag(out2).sum()

    import warnings

    rng = np.random.RandomState(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # a real operand's share: its real part
        theano.gradient.verify_grad(cost, [rng.randn(*sa), rng.randn(*sa), rng.randn(*sb)], rng=rng)


@pytest.mark.parametrize("which", ["tensordot", "einsum", "batched_dot"])
def test_contractions_of_complex_operands_have_conjugated_gradients(which):
    import warnings

    import theano
    import theano.tensor as T

    def cost(ar, ai, br):
        a, b = T.complex(ar, ai), T.complex(br, br * 0.5 - 1)
        if which == "tensordot":
            out = T.tensordot(a, b, axes=[[1, 2], [0, 1]]) + T.tensordot(a, br, axes=[[1, 2], [0, 1]])
        elif which == "einsum":
            out = T.einsum("ijk,jkl->il", a, b) + T.einsum("ijk,jkl->i", a, br)
        else:
            out = T.batched_dot(a, b) + T.batched_dot(a, br)
        return T.real(out * T.conj(out)).sum() + T.imag(out).sum()

    rng = np.random.RandomState(2)
    shapes = {"tensordot": ((2, 3, 4), (3, 4, 2)), "einsum": ((2, 3, 4), (3, 4, 2)),
              "batched_dot": ((2, 3, 4), (2, 4, 3))}[which]
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        theano.gradient.verify_grad(cost, [rng.randn(*shapes[0]), rng.randn(*shapes[0]), rng.randn(*shapes[1])],
                                    rng=rng)


@pytest.mark.parametrize("build", ["inv", "det", "softmax", "prod", "cumprod"])
def test_ops_with_real_only_rules_refuse_complex_gradients(build):
    import theano
    import theano.tensor as T
    from theano.tensor import nlinalg

    a, b = T.dmatrix("a"), T.dmatrix("b")
    z = T.complex(a, b)
    out = {"inv": lambda: nlinalg.matrix_inverse(z), "det": lambda: nlinalg.det(z), "softmax": lambda: T.nnet.softmax(z),
           "prod": lambda: z.prod(axis=0), "cumprod": lambda: T.cumprod(z, axis=0)}[build]()
    cost = T.real(out).sum()
    with pytest.raises(theano.gradient.GradientError, match="complex"):
        T.grad(cost, a)
    # the same ops on real values keep their gradients
    assert T.grad(T.real(z).prod(), a) is not None


def test_holomorphic_rows_pass_the_conjugated_derivative():
    """``tanh`` (and the other holomorphic rows) on complex values: ``g * conj(f'(z))``, the real
    rule's own derivative conjugated -- checked here against the closed form."""
    import theano
    import theano.tensor as T

    a, b = T.dvector("a"), T.dvector("b")
    z = T.complex(a, b)
    cost = T.imag(T.tanh(z)).sum()
    ga, gb = T.grad(cost, [a, b])
    av, bv = np.array([0.3, -1.1]), np.array([0.4, 0.2])
    got = theano.function([a, b], [ga, gb])(av, bv)
    d = 1 - np.tanh(av + 1j * bv) ** 2  # f'(z); Im f: dC/da = Im f'(z), dC/db = Re f'(z)
    np.testing.assert_allclose(got[0], d.imag, rtol=1e-12)
    np.testing.assert_allclose(got[1], d.real, rtol=1e-12)


def test_complex_forward_results_are_numpys_and_scipys():
    """Results that used to be silently wrong on complex values: ``var``/``std`` (Theano 1.0's squared
    complex deviations; NumPy's is the mean of ``|x - mean|^2``, real), ``expm`` (cast to float64,
    its imaginary part dropped), ``round_half_away_from_zero`` (returned unrounded)."""
    import scipy.linalg
    import theano
    import theano.tensor as T
    from theano.tensor import slinalg

    z = T.zmatrix("z")
    zv = np.array([[1 + 2j, 3 - 1j, 0.5j], [2, 1 - 1j, -1 + 0.3j], [0.25 - 2.5j, 1.5, -0.5 + 0.5j]])
    f = theano.function([z], [T.var(z, axis=0), T.std(z, axis=1, ddof=1), T.var(z), slinalg.expm(z),
                              T.round_half_away_from_zero(z), slinalg.eigvalsh(T.dot(T.conj(z).T, z), None)])
    var0, std1, var_all, ex, rnd, ev = f(zv)
    np.testing.assert_allclose(var0, np.var(zv, axis=0), rtol=1e-15)  # NumPy: re^2 + im^2, here d conj(d)
    np.testing.assert_allclose(std1, np.std(zv, axis=1, ddof=1), rtol=1e-15)
    assert var0.dtype == std1.dtype == var_all.dtype == np.float64
    assert ex.dtype == np.complex128
    np.testing.assert_allclose(ex, scipy.linalg.expm(zv), rtol=1e-13)
    np.testing.assert_array_equal(rnd, np.array([[1 + 2j, 3 - 1j, 1j], [2, 1 - 1j, -1]]).tolist()
                                  + [[0 - 3j, 2, -1 + 1j]])
    assert ev.dtype == np.float64
    np.testing.assert_allclose(ev, np.linalg.eigvalsh(zv.conj().T @ zv), rtol=1e-12)


def test_rows_with_real_only_stable_forms_refuse_complex_values():
    """``softplus`` and ``sigmoid_binary_crossentropy`` compare with 0 and take ``|x|``: on a complex
    value they would answer something that is not the function. They refuse when built."""
    import theano.tensor as T
    from framework.core import elemwise as E

    z = T.zvector("z")
    with pytest.raises(TypeError, match="softplus.*real values only"):
        T.nnet.softplus(z)
    with pytest.raises(TypeError, match="sigmoid_xent.*real values only"):
        E.sigmoid_binary_crossentropy(z, T.dvector())
    # a row's bounds are for real values: a complex sigmoid is unbounded
    out = T.nnet.sigmoid(z)
    assert out.owner.op.output_bounds(out.owner, 0) is None
    x = T.dvector()
    assert T.nnet.sigmoid(x).owner.op.output_bounds(T.nnet.sigmoid(x).owner, 0) == (0.0, 1.0)
