"""The CUDA source of fused element-wise kernels, checked without a GPU.

Golden strings pin the generated text; then every row of the element-wise
table is compiled as host C++ and run on NumPy data, its numbers compared with
NumPy's (same semantics: floor division, remainders, NaN in max/min, casts);
and the sources compile with nvcc where the CUDA toolkit is installed.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import framework.tensor as T
from framework.core import elemwise as E
from framework.core.fusion import ScalarProgram, Step
from framework_backend_cupy.codegen import CUDA, NO_C_FORM, PREAMBLE, cuda_rule, fused_source

for _dt in ("int32", "float32", "bool", "int64", "float64"):  # make the cast rows exist
    E.cast(T.dvector(), _dt)


def test_golden_source_of_a_small_program() -> None:
    src = fused_source(
        [Step("mul", (("in", 0), ("const", 2.0, None)), "float32"),
         Step("sigmoid", (("step", 0),), "float32"),
         Step("lt", (("step", 1), ("in", 1)), "bool")],
        [("step", 1), ("step", 2)], ["float32", "float64"])
    assert src.in_params == "float32 in0, float64 in1"
    assert src.out_params == "float32 out0, bool out1"
    assert src.operation.splitlines() == [
        "const float t0 = (float)((in0 * ((float)(2.0))));",
        "const float t1 = (float)((1 / (1 + exp(-t0))));",
        "const bool t2 = (bool)((((double)(t1)) < in1));",
        "out0 = (float)(t1);",
        "out1 = (bool)(t2);",
    ]
    assert src.name.startswith("fw_fused_") and len(src.name) == len("fw_fused_") + 16
    assert src.preamble == PREAMBLE
    same = fused_source([Step("mul", (("in", 0), ("const", 2.0, None)), "float32"),
                         Step("sigmoid", (("step", 0),), "float32"),
                         Step("lt", (("step", 1), ("in", 1)), "bool")],
                        [("step", 1), ("step", 2)], ["float32", "float64"])
    assert same == src  # a pure function: the cache key is the program and its dtypes


def test_the_c_forms_live_in_the_plugin_table_keyed_by_row_name() -> None:
    """Core rows carry no C; every built-in row has an entry in the CuPy plugin's
    table (casts are C casts), and a plugin row brings its own ``exprs['cuda']``."""
    import framework.plugins as plugins
    from framework.plugins import ScalarOpSpec, hookimpl

    builtin = [n for n in E.SCALAR_OPS if E.is_builtin_row(n)]
    assert not any(hasattr(E.SCALAR_OPS[n], "c_expr") for n in builtin)
    assert sorted(n for n in builtin if not n.startswith("cast_") and n not in NO_C_FORM) == sorted(CUDA)
    # the rows without one on purpose have complex results
    assert all(E.SCALAR_OPS[n].impl(np, *[np.ones(1)] * E.SCALAR_OPS[n].nin).dtype.kind == "c" for n in NO_C_FORM)
    assert cuda_rule("cast_float32") == "((float)({0}))"

    class Cube:
        @hookimpl
        def framework_scalar_ops(self):
            yield ScalarOpSpec("cube_c", 1, lambda xp, x: x * x * x, exprs={"cuda": "({0} * {0} * {0})"})
            yield ScalarOpSpec("cube_no_c", 1, lambda xp, x: x * x * x)

    plugins.register(Cube(), "cube_c")
    try:
        src = fused_source([Step("cube_c", (("in", 0),), "float64"), Step("add", (("step", 0), ("in", 0)), "float64")],
                           [("step", 1)], ["float64"])
        assert src.operation.splitlines()[:2] == ["const double t0 = (double)((in0 * in0 * in0));",
                                                  "const double t1 = (double)((t0 + in0));"]
        assert fused_source([Step("cube_no_c", (("in", 0),), "float64")], [("step", 0)], ["float64"]) is None
    finally:
        plugins.unregister("cube_c")
    assert cuda_rule("cube_c") is None


def test_numpy_semantics_where_c_differs() -> None:
    def body(op: str, dtypes: list, out: str) -> str:
        return fused_source([Step(op, tuple(("in", k) for k in range(len(dtypes))), out)],
                            [("step", 0)], dtypes).operation.splitlines()[0]

    assert "fw_floordiv(in0, in1)" in body("int_div", ["int64", "int64"], "int64")
    assert "fw_mod(in0, in1)" in body("mod", ["float64", "float64"], "float64")
    assert "fw_ipow(in0, in1)" in body("pow", ["uint32", "uint32"], "uint32")
    # a signed integer power takes the error flags (NumPy raises for a negative exponent)
    signed = fused_source([Step("pow", (("in", 0), ("in", 1)), "int32")], [("step", 0)], ["int32", "int32"])
    assert signed.flags and signed.in_params == "int32 in0, int32 in1, raw float64 fw_flags"
    assert signed.operation.splitlines()[:2] == [
        "double* const fw_err = const_cast<double*>(&fw_flags[6]);",
        "const int t0 = (int)(fw_ipow(in0, in1, fw_err));"]
    assert "fw_maximum(in0, in1)" in body("maximum", ["float32", "float32"], "float32")
    assert "(!in0)" in body("invert", ["bool"], "bool")
    assert "(~in0)" in body("invert", ["int64"], "int64")
    assert "false" in body("isnan", ["int64"], "bool")
    # a float32 step with a float64 operand computes in float64 only when NumPy does
    assert "((double)(in0))" in body("add", ["float32", "float64"], "float64")
    # float16 computes in float and rounds to half after each step
    assert "(float)(float16)(" in body("exp", ["float16"], "float16")


def test_programs_that_cannot_be_compiled_give_none() -> None:
    assert fused_source([Step("exp", (("in", 0),), "complex128")], [("step", 0)], ["complex128"]) is None
    assert fused_source([Step("no_such_row", (("in", 0),), "float64")], [("step", 0)], ["float64"]) is None


def test_nonfinite_constants_are_exact() -> None:
    src = fused_source([Step("minimum", (("in", 0), ("const", float("inf"), None)), "float64"),
                        Step("add", (("step", 0), ("const", float("nan"), None)), "float64")],
                       [("step", 1)], ["float64"])
    assert "__longlong_as_double(0x7ff0000000000000LL)" in src.operation
    assert "__longlong_as_double(0x7ff8000000000000LL)" in src.operation


# --- every row, compiled for the host and compared with NumPy ---------------------------

FLOATS = np.array([-2.5, -1.0, -0.5, -0.0, 0.0, 0.3, 1.0, 2.7, np.inf, -np.inf, np.nan])
INTS = np.array([-7, -3, -1, 0, 1, 2, 5])


def _values(dtype: str, nin: int, row: str) -> list:
    if dtype == "bool":
        base = np.array([False, True])
    elif np.dtype(dtype).kind in "iu":
        base = INTS if np.dtype(dtype).kind == "i" else np.abs(INTS)
        if row == "pow":
            grids = [base, np.array([0, 1, 2, 3])]
            return [np.array(v, dtype=dtype) for v in zip(*itertools.product(*grids))]
    else:
        base = FLOATS
    grids = [base] * nin
    cols = list(zip(*itertools.product(*grids)))
    return [np.array(c, dtype=dtype) for c in cols]


def _cases() -> list:
    cases = []
    for name, row in sorted(E.SCALAR_OPS.items()):
        if cuda_rule(name) is None:
            continue
        if name.startswith("cast_"):
            for src in ("float64", "int64", "bool"):
                cases.append((name, (src,)))
            continue
        if name in ("and", "or", "xor", "invert"):
            cases += [(name, ("int64",) * row.nin), (name, ("bool",) * row.nin)]
            continue
        if name == "switch":
            cases += [(name, ("bool", "float64", "float64")), (name, ("bool", "int64", "float32"))]
            continue
        cases += [(name, ("float64",) * row.nin), (name, ("float32",) * row.nin)]
        if name in ("add", "sub", "mul", "int_div", "mod", "pow", "maximum", "minimum", "abs", "neg", "sgn",
                    "lt", "le", "gt", "ge", "eq", "neq", "clip", "isnan", "isinf", "sqr", "relu", "round"):
            cases.append((name, ("int64",) * row.nin))
        if name in ("add", "true_div", "lt", "maximum"):
            cases.append((name, ("int64", "float64")))
            cases.append((name, ("int32", "float32")))
    return cases


@pytest.mark.parametrize("name,dtypes", _cases(), ids=lambda v: v if isinstance(v, str) else "-".join(v))
def test_each_row_matches_numpy_on_the_host(host_kernel, name: str, dtypes: tuple) -> None:
    row = E.SCALAR_OPS[name]
    if len(set(dtypes)) == 1:
        args = _values(dtypes[0], row.nin, name)
    else:
        args = [np.nan_to_num(a, nan=0.0, posinf=3.0, neginf=-3.0).astype(dt)
                for a, dt in zip(_values("float64", row.nin, name), dtypes)]
        if dtypes[0] == "bool":
            args[0] = np.arange(args[0].size) % 2 == 0
    with np.errstate(all="ignore"):
        want = np.asarray(row.impl(np, *args))
    src = fused_source([Step(name, tuple(("in", k) for k in range(row.nin)), want.dtype.name)],
                       [("step", 0)], list(dtypes))
    assert src is not None
    flags = [np.zeros(8)] if src.flags else []  # a signed integer power's error flags (see test_int_pow_*)
    (got,) = host_kernel(src.in_params, src.out_params, src.operation, src.preamble, src.name)(
        *args, *flags, out_dtypes=[want.dtype.name])
    assert not any(f.any() for f in flags)  # no negative exponent here
    assert got.dtype == want.dtype
    if want.dtype.kind == "f":
        rtol = 2e-6 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def test_a_fused_chain_with_weak_constants_matches_numpy(host_kernel) -> None:
    prog = ScalarProgram(("float32", "float32"), (
        Step("mul", (("in", 0), ("in", 1)), "float32"),
        Step("add", (("step", 0), ("const", 1.5, None)), "float32"),
        Step("tanh", (("step", 1),), "float32"),
        Step("gt", (("in", 0), ("const", 0.1, None)), "bool"),
        Step("switch", (("step", 3), ("step", 2), ("const", 0.0, None)), "float32"),
        Step("sub", (("step", 4), ("const", 2, "int64")), "float64"),
    ), (("step", 4), ("step", 5)))
    src = fused_source(prog.steps, prog.outputs, prog.inputs)
    r = np.random.RandomState(0)
    x, y = r.uniform(-2, 2, 50).astype("float32"), r.uniform(-2, 2, 50).astype("float32")
    got4, got5 = host_kernel(src.in_params, src.out_params, src.operation, src.preamble, src.name)(
        x, y, out_dtypes=["float32", "float64"])
    t = np.tanh(x * y + 1.5)
    want4 = np.where(x > 0.1, t, np.float32(0.0))
    np.testing.assert_allclose(got4, want4, rtol=2e-6)
    np.testing.assert_allclose(got5, want4.astype("float64") - np.int64(2), rtol=2e-6)


# --- CUDA compile checks --------------------------------------------------------------------

def test_every_row_compiles_as_cuda(nvcc_compile) -> None:
    steps, dtypes = [], []
    for name, dts in _cases():
        row = E.SCALAR_OPS[name]
        base = len(dtypes)
        dtypes.extend(dts)
        args = [np.ones(1, dtype=dt) for dt in dts]
        with np.errstate(all="ignore"):
            out = np.asarray(row.impl(np, *args)).dtype.name
        steps.append(Step(name, tuple(("in", base + k) for k in range(row.nin)), out))
    steps.append(Step("exp", (("in", len(dtypes)),), "float16"))
    dtypes.append("float16")
    src = fused_source(steps, [("step", j) for j in range(len(steps))], dtypes)
    nvcc_compile(src.as_cuda())
