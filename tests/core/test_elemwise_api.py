"""``T``'s element-wise functions are generated from the element-wise table (``elemwise.API``)."""
import inspect

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework.core import elemwise as E

# every element-wise name T had when it was a hand-written list: none may go
NAMES = """abs_ add and_ arctan bitwise_and bitwise_not bitwise_or bitwise_xor cast ceil clip cos cosh eq exp
exp2 expm1 fill floor floor_divide ge gt identity int_div invert isinf isnan le log log10 log1p log2 logaddexp lt
maximum minimum mod mul neg neq ones_like or_ pow relu round second sgn sigmoid sigmoid_binary_crossentropy
sin sinh softplus sqr sqrt sub switch tan tanh true_div true_divide where xlogx xlogy0 xor zeros_like""".split()
# rows added since (2026-12-07: NumPy's inverse trigonometric and hyperbolic functions)
NAMES += "arcsin arccos arctan2 arcsinh arccosh arctanh".split()
NAMES += ["trunc", "conj", "real"]  # 2026-12-07, eleventh session: NumPy's trunc and conj (complex gradients use it)
NAMES += ["imag", "complex"]  # twelfth session: x.imag, and complex(real, imag) for imag's exact gradient


def test_every_existing_name_is_bound_from_the_table():
    for name in NAMES:
        assert getattr(T, name) is E.API[name], name
        assert name in T.__all__
    assert set(E.API) == set(NAMES)


def test_each_row_with_api_names_gets_one_function_applying_it():
    for name, row in E.SCALAR_OPS.items():
        if not E.is_builtin_row(name) or not row.api:
            continue
        fns = {id(E.API[n]) for n in row.api}
        assert len(fns) == 1, name  # aliases are the same function (T.where is T.switch)
        f = E.API[row.api[0]]
        params = list(inspect.signature(f).parameters)
        assert len(params) == row.nin and f.__name__ == name and f.__doc__
        make = T.lvector if name in ("and", "or", "xor", "invert") else T.dvector
        args = [make(p) for p in params]
        out = f(*args)
        assert out.owner.op.scalar is row


def test_generated_functions_keep_their_signatures_and_take_keywords():
    assert str(inspect.signature(T.clip)) == "(x: 'Any', a_min: 'Any', a_max: 'Any') -> 'TensorVariable'"
    assert str(inspect.signature(T.switch)) == "(cond: 'Any', ift: 'Any', iff: 'Any') -> 'TensorVariable'"
    assert T.switch.__doc__ == "Element-wise ``ift if cond else iff`` (NumPy's ``where``)."
    assert T.exp.__doc__ == "Element-wise exp." and T.add.__doc__ == "Element-wise add with broadcasting."
    assert T.sigmoid.__doc__.startswith("1 / (1 + exp(-x))")
    assert str(inspect.signature(T.zeros_like)) == "(x: 'Any', dtype: 'Any' = None) -> 'TensorVariable'"
    x = T.dvector("x")
    f = framework.function([x], [T.clip(x, a_min=0, a_max=1), T.where(cond=x > 0, ift=x, iff=-x)])
    lo, ab = f(np.array([-2.0, 0.5, 3.0]))
    np.testing.assert_allclose(lo, [0, 0.5, 1])
    np.testing.assert_allclose(ab, [2, 0.5, 3])
    with pytest.raises(TypeError, match="exp"):
        T.exp(x, x)


def test_a_plugin_row_is_not_bound_in_T_but_reachable_as_framework_ops():
    import framework.plugins as plugins
    from framework.plugins import ScalarOpSpec, hookimpl

    class Cube:
        @hookimpl
        def framework_scalar_ops(self):
            yield ScalarOpSpec("cube_api", 1, lambda xp, x: x * x * x)

    plugins.register(Cube(), "cube_api")
    try:
        assert not hasattr(T, "cube_api") and "cube_api" not in E.API
        assert framework.ops.cube_api(T.dvector()).owner.op.scalar.plugin == "cube_api"
    finally:
        plugins.unregister("cube_api")
