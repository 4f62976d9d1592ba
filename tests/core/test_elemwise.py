"""The element-wise table: every row against NumPy (values, dtypes, static
shapes, broadcasting, weak Python scalars) and its gradient."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence, Tuple

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.core import elemwise as E
from framework.core.errors import ShapeError
from framework.core.types import TensorType
from framework.gradient import verify_grad


# --- input domains -------------------------------------------------------------------

def _values(domain: str, rng: np.random.RandomState, shape: Tuple[int, ...], dtype: str) -> np.ndarray:
    """Random values of ``dtype`` inside ``domain`` (where the op is defined and smooth)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.asarray(rng.rand(*shape) > 0.5)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else -4
        if domain in ("pos", "exponent"):
            return np.asarray(rng.randint(1, 4, size=shape)).astype(dt)
        if domain in ("low", "high"):
            return np.asarray(rng.randint(0, 2, size=shape) + (0 if domain == "low" else 3)).astype(dt)
        if domain == "nonzero":
            vals = np.array([1, 2, 3] if dt.kind == "u" else [-3, -2, -1, 1, 2, 3])
            return np.asarray(rng.choice(vals, size=shape)).astype(dt)
        return np.asarray(rng.randint(lo, 5, size=shape)).astype(dt)
    if domain == "pos":
        v = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "nonzero":
        v = rng.uniform(0.5, 2.0, size=shape) * np.where(rng.rand(*shape) > 0.5, 1, -1)
    elif domain == "frac":  # away from integers (floor, ceil, round, //, %)
        v = rng.randint(-3, 3, size=shape) + rng.uniform(0.2, 0.4, size=shape)
    elif domain == "unit":
        v = rng.uniform(-0.9, 0.9, size=shape)
    elif domain == "exponent":
        v = rng.uniform(-1.5, 1.5, size=shape)
    elif domain == "above1":  # arccosh
        v = rng.uniform(1.2, 3.0, size=shape)
    elif domain == "low":
        v = rng.uniform(-1.5, -0.5, size=shape)
    elif domain == "high":
        v = rng.uniform(0.5, 1.5, size=shape)
    else:
        v = rng.uniform(-2.0, 2.0, size=shape)
    return np.asarray(v).astype(dt)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softplus(x):
    return np.logaddexp(0, x)


def _np_sigmoid_xent(z, t):
    z = np.asarray(z, dtype=np.result_type(z, t))  # computed in the result's dtype
    return np.logaddexp(0, z) - t * z


def _np_relu(x):
    return np.maximum(x, 0)


def _np_second(a, b):
    return np.broadcast_to(b, np.broadcast_shapes(np.shape(a), np.shape(b))).copy()


F = ("float64", "float32")
UNARY_DT = [("float64",), ("float32",), ("int32",), ("int8",)]
BINARY_DT = [("float64", "float64"), ("float32", "float32"), ("float32", "float64"), ("int32", "float32"),
             ("int64", "int64"), ("int8", "uint8")]
INT_DT = [("int32", "int32"), ("int8", "int64"), ("uint8", "int8"), ("bool", "bool")]
FLOAT_ONLY_BINARY = [("float64", "float64"), ("float32", "float32"), ("float32", "float64")]


@dataclass
class Case:
    """One table row under test: the public function, NumPy's version and where it is defined.

    ``grad``: 'verify' (finite differences on float64 points in ``domains``),
    'zero' (piecewise constant: the gradient is zero) or 'none' (integer-only op).
    """

    tname: str
    ref: Callable
    domains: Sequence[str]
    dtypes: Sequence[Tuple[str, ...]]
    grad: str = "verify"
    grad_domains: Sequence[str] = field(default_factory=tuple)


CASES = {
    "add": Case("add", np.add, ["any", "any"], BINARY_DT + [("bool", "bool")]),
    "sub": Case("sub", np.subtract, ["any", "any"], BINARY_DT),
    "mul": Case("mul", np.multiply, ["any", "any"], BINARY_DT + [("bool", "bool")]),
    "true_div": Case("true_div", np.true_divide, ["any", "nonzero"], BINARY_DT),
    "int_div": Case("int_div", np.floor_divide, ["frac", "pos"], BINARY_DT, "zero"),
    "mod": Case("mod", np.remainder, ["frac", "pos"], BINARY_DT, grad_domains=["frac", "pos"]),
    "pow": Case("pow", np.power, ["pos", "exponent"], BINARY_DT),
    "maximum": Case("maximum", np.maximum, ["any", "any"], BINARY_DT),
    "minimum": Case("minimum", np.minimum, ["any", "any"], BINARY_DT),
    "neg": Case("neg", np.negative, ["any"], UNARY_DT),
    "abs": Case("abs_", np.abs, ["nonzero"], UNARY_DT + [("uint8",)]),
    "sgn": Case("sgn", np.sign, ["nonzero"], UNARY_DT, "zero"),
    "floor": Case("floor", np.floor, ["frac"], UNARY_DT, "zero"),
    "ceil": Case("ceil", np.ceil, ["frac"], UNARY_DT, "zero"),
    "round": Case("round", np.round, ["frac"], UNARY_DT, "zero"),
    "trunc": Case("trunc", np.trunc, ["frac"], UNARY_DT, "zero"),
    "conj": Case("conj", np.conjugate, ["any"], UNARY_DT),
    "real": Case("real", np.real, ["any"], UNARY_DT),
    "imag": Case("imag", np.imag, ["any"], UNARY_DT, "zero"),  # of a real value: zeros (complex: test_spec_complex)
    # complex results: their gradients are checked by finite differences in tests/compat/test_spec_complex.py
    "complex": Case("complex", lambda a, b: (a + 1j * b).astype(np.result_type(a, b, np.complex64)), ["any", "any"],
                    [("float64", "float64"), ("float32", "float32"), ("int32", "float32"), ("int8", "int8")], "none"),
    "exp": Case("exp", np.exp, ["any"], UNARY_DT),
    "exp2": Case("exp2", np.exp2, ["any"], UNARY_DT),
    "expm1": Case("expm1", np.expm1, ["any"], UNARY_DT),
    "log": Case("log", np.log, ["pos"], UNARY_DT),
    "log2": Case("log2", np.log2, ["pos"], UNARY_DT),
    "log10": Case("log10", np.log10, ["pos"], UNARY_DT),
    "log1p": Case("log1p", np.log1p, ["pos"], UNARY_DT),
    "sqrt": Case("sqrt", np.sqrt, ["pos"], UNARY_DT),
    "sqr": Case("sqr", np.square, ["any"], UNARY_DT),
    "tanh": Case("tanh", np.tanh, ["any"], UNARY_DT),
    "sin": Case("sin", np.sin, ["any"], UNARY_DT),
    "cos": Case("cos", np.cos, ["any"], UNARY_DT),
    "tan": Case("tan", np.tan, ["unit"], UNARY_DT),
    "arctan": Case("arctan", np.arctan, ["any"], UNARY_DT),
    "arcsin": Case("arcsin", np.arcsin, ["unit"], [("float64",), ("float32",)]),
    "arccos": Case("arccos", np.arccos, ["unit"], [("float64",), ("float32",)]),
    "arctan2": Case("arctan2", np.arctan2, ["nonzero", "nonzero"], BINARY_DT),
    "arcsinh": Case("arcsinh", np.arcsinh, ["any"], UNARY_DT),
    "arccosh": Case("arccosh", np.arccosh, ["above1"], [("float64",), ("float32",)]),
    "arctanh": Case("arctanh", np.arctanh, ["unit"], [("float64",), ("float32",)]),
    "sinh": Case("sinh", np.sinh, ["any"], UNARY_DT),
    "cosh": Case("cosh", np.cosh, ["any"], UNARY_DT),
    "sigmoid": Case("sigmoid", _np_sigmoid, ["any"], UNARY_DT),
    "softplus": Case("softplus", _np_softplus, ["any"], UNARY_DT),
    "logaddexp": Case("logaddexp", np.logaddexp, ["any", "any"], BINARY_DT),
    "relu": Case("relu", _np_relu, ["nonzero"], UNARY_DT),
    "sigmoid_xent": Case("sigmoid_binary_crossentropy", _np_sigmoid_xent, ["any", "any"],
                         FLOAT_ONLY_BINARY + [("float32", "bool"), ("float64", "int8")]),
    "lt": Case("lt", np.less, ["any", "any"], BINARY_DT, "zero"),
    "le": Case("le", np.less_equal, ["any", "any"], BINARY_DT, "zero"),
    "gt": Case("gt", np.greater, ["any", "any"], BINARY_DT, "zero"),
    "ge": Case("ge", np.greater_equal, ["any", "any"], BINARY_DT, "zero"),
    "eq": Case("eq", np.equal, ["any", "any"], BINARY_DT + [("bool", "bool")], "zero"),
    "neq": Case("neq", np.not_equal, ["any", "any"], BINARY_DT, "zero"),
    "and": Case("and_", np.bitwise_and, ["any", "any"], INT_DT, "none"),
    "or": Case("or_", np.bitwise_or, ["any", "any"], INT_DT, "none"),
    "xor": Case("xor", np.bitwise_xor, ["any", "any"], INT_DT, "none"),
    "invert": Case("invert", np.invert, ["any"], [("int32",), ("uint8",), ("bool",)], "none"),
    "isnan": Case("isnan", np.isnan, ["any"], [("float64",), ("float32",), ("int32",)], "zero"),
    "isinf": Case("isinf", np.isinf, ["any"], [("float64",), ("float32",), ("int32",)], "zero"),
    "switch": Case("switch", np.where, ["any", "any", "any"],
                   [("bool", "float64", "float64"), ("bool", "float32", "int32"), ("int8", "int64", "float32"),
                    ("float64", "float32", "float32")]),
    "clip": Case("clip", np.clip, ["any", "low", "high"],
                 [("float64", "float64", "float64"), ("float32", "float32", "float32"), ("int32", "int32", "int32"),
                  ("float32", "float64", "float64")]),
    "identity": Case("identity", lambda x: x, ["any"], UNARY_DT + [("bool",)]),
    "zeros_like": Case("zeros_like", np.zeros_like, ["any"], UNARY_DT + [("bool",)]),
    "ones_like": Case("ones_like", np.ones_like, ["any"], UNARY_DT + [("bool",)]),
    "second": Case("second", _np_second, ["any", "any"], BINARY_DT),
    "xlogx": Case("xlogx", lambda x: x * np.log(x), ["pos"], [("float64",), ("float32",)]),
    "xlogy0": Case("xlogy0", lambda x, y: x * np.log(y), ["pos", "pos"], FLOAT_ONLY_BINARY),
}

UNARY_SHAPES = [((),), ((5,),), ((2, 3),), ((2, 1, 3),)]
BINARY_SHAPES = [((), ()), ((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((3, 1, 2), (4, 1)), ((2, 3), ())]
TERNARY_SHAPES = [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((1, 3), (2, 1), ()), ((), (), ())]
SHAPES = {1: UNARY_SHAPES, 2: BINARY_SHAPES, 3: TERNARY_SHAPES}


def _tolerance(dtype: str) -> dict:
    return {"float16": dict(rtol=2e-3, atol=2e-3), "float32": dict(rtol=1e-5, atol=1e-6)}.get(
        dtype, dict(rtol=1e-12, atol=1e-12))


def test_every_table_row_has_a_case():
    """A new row of the element-wise table must come with its test case here."""
    rows = {name for name in E.SCALAR_OPS if not name.startswith("cast_")}
    assert rows == set(CASES), f"untested rows: {sorted(rows - set(CASES))}; stale cases: {sorted(set(CASES) - rows)}"


def test_every_case_is_public_in_T():
    for name, case in CASES.items():
        fn = getattr(T, case.tname)
        assert callable(fn), name


@pytest.mark.parametrize("static", [False, True], ids=["unknown-shape", "static-shape"])
@pytest.mark.parametrize("name,dtypes", [(n, d) for n, c in CASES.items() for d in c.dtypes],
                         ids=[f"{n}-{'-'.join(d)}" for n, c in CASES.items() for d in c.dtypes])
def test_values_match_numpy(name, dtypes, static):
    case = CASES[name]
    fn = getattr(T, case.tname)
    rng = np.random.RandomState(len(name))
    for shapes in SHAPES[len(dtypes)]:
        arrays = [_values(dom, rng, shp, dt) for dom, shp, dt in zip(case.domains, shapes, dtypes)]
        xs = [TensorType(dt, shp if static else (None,) * len(shp))(f"x{k}")
              for k, (dt, shp) in enumerate(zip(dtypes, shapes))]
        out = fn(*xs)
        with np.errstate(all="ignore"):
            want = np.asarray(case.ref(*arrays))
        got = np.asarray(function(xs, out)(*arrays))
        where = f"{name}{tuple(dtypes)} on shapes {shapes}"
        assert out.dtype == want.dtype, f"{where}: symbolic dtype {out.dtype}, NumPy gives {want.dtype}"
        assert got.dtype == want.dtype, f"{where}: result dtype {got.dtype}, NumPy gives {want.dtype}"
        assert got.shape == want.shape, where
        assert out.ndim == want.ndim, where
        if static:
            assert out.type.shape == want.shape, f"{where}: static shape {out.type.shape}"
        np.testing.assert_allclose(got, want, err_msg=where, **_tolerance(want.dtype.name))


GRAD_CASES = [n for n, c in CASES.items() if c.grad == "verify"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradient_matches_finite_differences(name):
    case = CASES[name]
    fn = getattr(T, case.tname)
    rng = np.random.RandomState(7)
    domains = case.grad_domains or case.domains
    for shapes in SHAPES[len(domains)][:4]:
        pts = [_values(d, rng, s, "float64") for d, s in zip(domains, shapes)]
        if name in ("maximum", "minimum"):  # keep the arguments apart: no ties
            pts[1] = pts[1] + np.where(pts[1] >= pts[0], 0.1, -0.1)
        verify_grad(fn, pts, rng=rng)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.grad == "zero"])
def test_piecewise_constant_ops_have_zero_gradient(name):
    """floor, sgn, comparisons ... contribute nothing to the gradient of a float cost."""
    case = CASES[name]
    fn = getattr(T, case.tname)
    rng = np.random.RandomState(3)
    xs = [T.dvector(f"x{k}") for k in range(len(case.domains))]
    pts = [_values(d, rng, (4,), "float64") for d in case.domains]
    other = T.dvector("w")
    out = fn(*xs)
    cost = (T.cast(out, "float64") * other).sum() if out.dtype == "bool" else (out * other).sum()
    gs = grad(cost, xs + [other], disconnected_inputs="ignore")
    vals = function(xs + [other], gs)(*pts, np.ones(4))
    for g, p in zip(vals[:-1], pts):
        np.testing.assert_array_equal(g, np.zeros_like(p))
    if out.dtype != "bool":
        np.testing.assert_allclose(vals[-1], case.ref(*pts))


@pytest.mark.parametrize("name", ["int_div", "floor", "ceil", "round", "trunc", "sgn"])
def test_piecewise_constant_ops_pass_verify_grad(name):
    case = CASES[name]
    rng = np.random.RandomState(5)
    pts = [_values(d, rng, (2, 3), "float64") for d in case.domains]
    verify_grad(getattr(T, case.tname), pts, rng=rng)


@pytest.mark.parametrize("name", ["switch", "clip", "maximum", "relu", "abs"])
def test_gradients_of_selections_route_to_the_chosen_input(name):
    x, y = T.dvector("x"), T.dvector("y")
    xv, yv = np.array([-2.0, -0.5, 0.5, 2.0]), np.array([1.0, 1.0, -1.0, -1.0])
    if name == "switch":
        out, want_x, want_y = T.switch(T.gt(x, 0), x, y), [0, 0, 1, 1], [1, 1, 0, 0]
    elif name == "clip":
        out, want_x, want_y = T.clip(x, -1.0, y + 2), [0, 1, 1, 0], [0, 0, 0, 1]
    elif name == "maximum":
        out, want_x, want_y = T.maximum(x, y), [0, 0, 1, 1], [1, 1, 0, 0]
    elif name == "relu":
        out, want_x, want_y = T.relu(x) + 0 * y, [0, 0, 1, 1], [0, 0, 0, 0]
    else:
        out, want_x, want_y = abs(x) + 0 * y, [-1, -1, 1, 1], [0, 0, 0, 0]
    gx, gy = grad(out.sum(), [x, y])
    got_x, got_y = function([x, y], [gx, gy])(xv, yv)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["add", "mul", "true_div", "pow", "exp", "exp2", "log2", "sigmoid", "tanh"])
def test_gradient_keeps_the_input_dtype(name, dtype):
    case = CASES[name]
    xs = [T.tensor(dtype, (None, None), name=f"x{k}") for k in range(len(case.domains))]
    gs = grad(getattr(T, case.tname)(*xs).sum(), xs)
    assert [g.dtype for g in gs] == [dtype] * len(xs)
    rng = np.random.RandomState(0)
    pts = [_values(d, rng, (2, 3), dtype) for d in case.domains]
    assert [v.dtype for v in function(xs, gs)(*pts)] == [np.dtype(dtype)] * len(xs)


def test_gradient_of_broadcast_input_is_summed_back():
    x, b = T.dmatrix("x"), T.dvector("b")
    g = grad((x * b).sum(), b)
    xv = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(function([x, b], g)(xv, np.ones(3)), xv.sum(axis=0))
    # size-1 axes known only at run time are summed back too
    r = T.dmatrix("r")
    gr = grad((x * r).sum(), r)
    np.testing.assert_allclose(function([x, r], gr)(xv, np.ones((1, 3))), xv.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(function([x, r], gr)(xv, np.ones((2, 1))), xv.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(function([x, r], gr)(xv, np.ones((2, 3))), xv)


def test_second_order_gradient():
    x = T.dscalar("x")
    g = grad(x ** 3, x)
    gg = grad(g, x)
    assert function([x], [g, gg])(2.0) == [12.0, 12.0]


# --- weak Python scalars and dtype promotion --------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int32", "int64", "uint8", "float16"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "true_div", "maximum"])
def test_python_scalars_are_weak_like_numpy2(op, scalar, dtype):
    """``float32_matrix * 2.0`` stays float32; ``int8_vector + 2`` stays int8 (NEP 50)."""
    x = T.tensor(dtype, (None,), name="x")
    arr = np.array([1, 2, 3], dtype=dtype)
    ref = getattr(np, {"add": "add", "mul": "multiply", "sub": "subtract", "true_div": "true_divide",
                       "maximum": "maximum"}[op])
    fn = getattr(T, op)
    for left in (True, False):
        want = ref(scalar, arr) if left else ref(arr, scalar)
        out = fn(scalar, x) if left else fn(x, scalar)
        got = function([x], out)(arr)
        assert out.dtype == want.dtype == got.dtype, (op, scalar, dtype, left, out.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-3)


def test_numpy_scalars_and_arrays_are_not_weak():
    x = T.fvector("x")
    assert (x * np.float64(2.0)).dtype == "float64"
    assert (x * np.array(2.0)).dtype == "float64"
    assert (x * np.float32(2.0)).dtype == "float32"
    assert (x * 2.0).dtype == "float32"
    assert (T.ivector() * 2.5).dtype == "float64"


def test_numpy_array_on_the_left_builds_a_graph():
    x = T.dvector("x")
    out = np.array([1.0, 2.0]) + x
    assert isinstance(out, T.TensorVariable)
    np.testing.assert_allclose(out.eval({x: [10.0, 20.0]}), [11.0, 22.0])
    out2 = np.float64(3.0) * x
    assert isinstance(out2, T.TensorVariable)


@pytest.mark.parametrize("a,b", [("int8", "uint8"), ("int32", "float32"), ("int64", "float32"), ("uint64", "int64"),
                                 ("bool", "int8"), ("float16", "float32"), ("int16", "float16")])
def test_array_dtype_promotion_matches_numpy(a, b):
    x, y = T.tensor(a, (None,)), T.tensor(b, (None,))
    want = np.result_type(np.dtype(a), np.dtype(b))
    assert (x + y).dtype == want.name
    assert (x * y).dtype == want.name


# --- cast -------------------------------------------------------------------------------

@pytest.mark.parametrize("src", ["float64", "float32", "int32", "int8", "bool", "uint8"])
@pytest.mark.parametrize("dst", ["float64", "float32", "float16", "int64", "int16", "uint8", "bool"])
def test_cast_matches_numpy_astype(src, dst):
    x = T.tensor(src, (None,))
    arr = _values("any", np.random.RandomState(0), (6,), src)
    out = T.cast(x, dst)
    got = function([x], out)(arr)
    assert out.dtype == got.dtype.name == dst
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, arr.astype(dst))
    if src == dst:
        assert out is x


def test_cast_accepts_floatX_and_numpy_dtypes():
    x = T.ivector()
    assert T.cast(x, "floatX").dtype == "float64"
    assert T.cast(x, np.float32).dtype == "float32"
    assert x.astype("f4").dtype == "float32"


def test_cast_gradient():
    verify_grad(lambda v: T.cast(v, "float32") * 3, [np.array([0.5, -1.5, 2.0])], eps=1e-3, abs_tol=1e-3,
                rel_tol=1e-3)
    x = T.dvector("x")
    g = grad(T.cast(x, "float32").sum(), x)
    assert g.dtype == "float64"
    # through an integer cast no gradient flows: the result is zero, not an error
    gi = grad((T.cast(x, "int32") * 1.0).sum() + x.sum(), x)
    np.testing.assert_array_equal(function([x], gi)([1.5, 2.5]), [1.0, 1.0])


# --- build-time checks ---------------------------------------------------------------------

def test_static_shapes_that_cannot_broadcast_fail_when_built():
    a, b = T.tensor("float64", (2, 3), name="a"), T.tensor("float64", (4, 3), name="b")
    with pytest.raises(ShapeError) as info:
        a + b  # the line the error names
    msg = str(info.value)
    assert "'add'" in msg and "(2, 3)" in msg and "(4, 3)" in msg
    assert "a + b  # the line the error names" in msg


def test_unknown_sizes_broadcast_and_known_sizes_propagate():
    a = T.tensor("float64", (None, 3))
    b = T.tensor("float64", (2, 1))
    assert (a + b).type.shape == (2, 3)
    c = T.tensor("float64", (1, None))
    assert (c + T.tensor("float64", (5,))).type.shape == (1, 5)
    assert (T.tensor("float64", (1, 1)) + T.tensor("float64", (1,))).type.shape == (1, 1)


def test_wrong_number_of_arguments_is_a_type_error():
    with pytest.raises(TypeError, match="add takes 2 input"):
        E.apply("add", T.dvector())


def test_bitwise_ops_on_floats_are_rejected_when_built():
    with pytest.raises(TypeError, match="and"):
        T.and_(T.dvector(), T.dvector())
    with pytest.raises(TypeError, match="invert"):
        ~T.dvector()


def test_overflowing_python_int_is_a_clear_error_when_built():
    """NumPy 2 refuses ``int8_array * 300``; so does the graph, at build time, naming the op."""
    x = T.tensor("int8", (None,), name="x")
    with pytest.raises((TypeError, ValueError, OverflowError)) as info:
        x * 300
    assert "mul" in str(info.value) and "300" in str(info.value)


def test_sigmoid_and_softplus_are_stable_for_large_inputs():
    x = T.dvector("x")
    f = function([x], [T.sigmoid(x), T.softplus(x)])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, sp = f([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(sp, [0.0, np.log(2.0), 1000.0])


def test_switch_broadcasts_condition_and_branches():
    c = T.bvector("c")
    a, b = T.dmatrix("a"), T.dscalar("b")
    out = T.where(c, a, b)
    cv, av = np.array([1, 0, 1], dtype="int8"), np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(function([c, a, b], out)(cv, av, -1.0), np.where(cv, av, -1.0))


def test_fill_and_second_are_the_same_function():
    x = T.dmatrix("x")
    np.testing.assert_allclose(T.fill(x, 7.0).eval({x: np.zeros((2, 2))}), np.full((2, 2), 7.0))
    assert T.second is T.fill


def test_zeros_like_and_ones_like_take_a_dtype():
    x = T.dmatrix("x")
    z = T.zeros_like(x, dtype="int32")
    o = T.ones_like(x, dtype="float32")
    assert (z.dtype, o.dtype) == ("int32", "float32")
    np.testing.assert_array_equal(o.eval({x: np.zeros((2, 3))}), np.ones((2, 3), "float32"))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("dtypes, want", [
    (("int32", "int8"), "float64"),    # log of the int8 alone would be float16: 3 digits
    (("float64", "float32"), "float64"),
    (("int8", "uint8"), "float32"),    # promoted to int16, whose float is float32
    (("int8", "int8"), "float16"),
])
def test_xlogy0_computes_in_the_float_of_its_promoted_inputs(mode, dtypes, want):
    """Found by the long hypothesis run (-m slow): ``xlogy0(int32 1, int8 2)`` gave
    0.693359 (log taken in float16) in a float64 result."""
    from framework.core.xlogx import xlogy0

    x, y = T.tensor(dtypes[0], (None,)), T.tensor(dtypes[1], (None,))
    out = xlogy0(x, y)
    assert out.dtype == want
    got = function([x, y], out, mode=mode)(np.array([1, 0, 3], dtypes[0]), np.array([2, 0, 5], dtypes[1]))
    exact = np.array([np.log(2.0), 0.0, 3 * np.log(5.0)])
    tol = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-15}[want]
    assert got.dtype == want
    np.testing.assert_allclose(got, exact, rtol=tol)
