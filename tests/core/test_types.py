"""Types: TensorType (dtype + static shape), conversion of host values
(``filter``), variable constructors and dtype names."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import config
from framework.core.errors import InputError, ShapeError
from framework.core.types import GenericType, TensorType, as_dtype, broadcast_shapes, is_float, is_int


# --- TensorType -------------------------------------------------------------------------

def test_tensor_type_is_a_dtype_and_a_static_shape():
    t = TensorType("float32", (2, None))
    assert t.dtype == "float32" and t.shape == (2, None) and t.ndim == 2
    assert t.broadcastable == (False, False)
    assert TensorType("float64", (1, 3)).broadcastable == (True, False)


def test_tensor_type_equality_and_hash():
    a, b = TensorType("float64", (None, 3)), TensorType(np.float64, [None, 3])
    assert a == b and hash(a) == hash(b)
    assert a != TensorType("float32", (None, 3))
    assert a != TensorType("float64", (None, None))
    assert len({a, b, TensorType("float64", (3,))}) == 2


def test_tensor_type_compatibility():
    a = TensorType("float64", (None, 3))
    assert a.is_compatible(TensorType("float64", (5, 3)))
    assert a.is_compatible(TensorType("float64", (None, None)))
    assert not a.is_compatible(TensorType("float64", (None, 4)))
    assert not a.is_compatible(TensorType("float32", (None, 3)))
    assert not a.is_compatible(TensorType("float64", (3,)))


def test_tensor_type_repr_shows_unknown_sizes():
    assert repr(TensorType("float64", (None, 3))) == "TensorType(float64, (?, 3))"
    assert repr(TensorType("int32", (None,))) == "TensorType(int32, (?,))"
    assert repr(TensorType("int32", ())) == "TensorType(int32, ())"


def test_tensor_type_clone_and_make_variable():
    t = TensorType("float64", (2, 3))
    assert t.clone(dtype="float32") == TensorType("float32", (2, 3))
    assert t.clone(shape=(None, 3)) == TensorType("float64", (None, 3))
    v = t("v")
    assert isinstance(v, T.TensorVariable) and v.type == t and v.name == "v"


# --- dtype names ----------------------------------------------------------------------------

@pytest.mark.parametrize("spec,name", [("float32", "float32"), (np.float32, "float32"), ("f4", "float32"),
                                       (np.dtype("int64"), "int64"), ("i1", "int8"), (bool, "bool"),
                                       ("floatX", "float64"), (None, "float64")])
def test_as_dtype(spec, name):
    assert as_dtype(spec) == name


def test_as_dtype_follows_floatX():
    with config.change_flags(floatX="float32"):
        assert as_dtype("floatX") == "float32"
        assert as_dtype(None) == "float32"


def test_as_dtype_rejects_non_dtypes():
    with pytest.raises(TypeError, match="not a dtype"):
        as_dtype("float99")


def test_is_float_and_is_int():
    assert is_float("float16") and is_float("complex128") and not is_float("int32")
    assert is_int("uint8") and is_int("bool") and not is_int("float32")


@pytest.mark.parametrize("shapes,want", [
    ([(2, 3), (3,)], (2, 3)),
    ([(None, 3), (2, 1)], (2, 3)),
    ([(1,), (None,)], (None,)),
    ([(1, 1), (1,)], (1, 1)),
    ([(), (4, 5)], (4, 5)),
    ([(2, 3), (4, 3)], None),
    ([(None, 2), (None, 3)], None),
])
def test_broadcast_shapes(shapes, want):
    assert broadcast_shapes(shapes) == want


def test_generic_type():
    a, b = GenericType("RandomState"), GenericType("RandomState")
    assert a == b and hash(a) == hash(b) and a != GenericType("Other")
    assert repr(a) == "RandomStateType"
    v = a("rng")
    assert v.type is a and v.name == "rng"


# --- filter: the input conversion rules of SPEC section 2 ------------------------------------

@pytest.mark.parametrize("value", [[1, 2], (1.0, 2.0), range(2), [True, False]], ids=str)
def test_python_sequences_convert_when_no_value_changes(value):
    out = TensorType("int32", (None,)).filter(value)
    assert out.dtype == np.int32 and out.shape == (2,)


@pytest.mark.parametrize("value", [[1.5, 2.0], [2 ** 40], 2.5], ids=str)
def test_python_values_that_would_change_are_refused(value):
    t = TensorType("int32", (None,) if isinstance(value, list) else ())
    with pytest.raises(InputError) as info:
        t.filter(value, name="input 0 ('n')")
    assert "input 0 ('n')" in str(info.value) and "int32" in str(info.value)
    assert t.filter(value, allow_downcast=True).dtype == np.int32


def test_python_int_too_large_for_float64_is_refused():
    with pytest.raises(InputError, match="float64"):
        TensorType("float64", ()).filter(2 ** 60 + 1)


def test_python_floats_go_to_any_float_dtype():
    """Documented choice (as Theano does for floatX): a Python float is accepted by a
    float32 input and rounded to float32."""
    out = TensorType("float32", (None,)).filter([0.1, 0.2])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.1, 0.2], rtol=1e-6)


@pytest.mark.parametrize("src,dst,ok", [("int8", "float32", True), ("int16", "float32", True),
                                        ("int32", "float32", False), ("int32", "float64", True),
                                        ("float32", "float64", True), ("float64", "float32", False),
                                        ("int64", "int32", False), ("uint8", "int16", True),
                                        ("bool", "int8", True), ("float32", "int64", False)])
def test_numpy_arrays_convert_only_with_safe_casts(src, dst, ok):
    t = TensorType(dst, (None,))
    arr = np.array([1, 0], dtype=src)
    if ok:
        assert t.filter(arr).dtype == np.dtype(dst)
    else:
        with pytest.raises(InputError) as info:
            t.filter(arr, name="input 1 ('x')")
        msg = str(info.value)
        assert "input 1 ('x')" in msg and src in msg and dst in msg and "allow_input_downcast" in msg
    assert t.filter(arr, allow_downcast=True).dtype == np.dtype(dst)


def test_numpy_scalars_are_treated_like_arrays():
    t = TensorType("int32", ())
    assert t.filter(np.int16(3)).dtype == np.int32
    with pytest.raises(InputError):
        t.filter(np.int64(3))
    with pytest.raises(InputError):
        t.filter(np.float64(2.0))


@pytest.mark.parametrize("value", ["abc", None, {"a": 1}, object(), [[1, 2], [3]], ["a", "b"]],
                         ids=["str", "None", "dict", "object", "ragged", "strings"])
def test_non_numeric_values_are_refused_naming_the_input(value):
    with pytest.raises(InputError) as info:
        TensorType("float64", (None,)).filter(value, name="input 2 ('w')")
    assert "input 2 ('w')" in str(info.value)


def test_wrong_number_of_dimensions_is_refused():
    with pytest.raises(InputError) as info:
        TensorType("float64", (None,)).filter([[1.0]], name="input 0 ('x')")
    assert "input 0 ('x')" in str(info.value) and "1 dimension" in str(info.value) and "(1, 1)" in str(info.value)
    with pytest.raises(InputError):
        TensorType("float64", (None,)).filter(1.0)


def test_wrong_static_size_is_a_shape_error():
    with pytest.raises(ShapeError) as info:
        TensorType("float64", (None, 3)).filter(np.zeros((2, 4)), name="input 0 ('x')")
    assert "axis 1" in str(info.value) and "(2, 4)" in str(info.value)


def test_complex_value_for_a_real_input_is_refused_without_warnings(recwarn):
    with pytest.raises(InputError):
        TensorType("float64", ()).filter(1j)
    assert not [w for w in recwarn if "ComplexWarning" in type(w.message).__name__], \
        [str(w.message) for w in recwarn]


# --- constructors ------------------------------------------------------------------------------

@pytest.mark.parametrize("name,dtype,ndim", [
    ("dscalar", "float64", 0), ("fscalar", "float32", 0), ("iscalar", "int32", 0), ("lscalar", "int64", 0),
    ("dvector", "float64", 1), ("fvector", "float32", 1), ("ivector", "int32", 1), ("lvector", "int64", 1),
    ("dmatrix", "float64", 2), ("fmatrix", "float32", 2), ("imatrix", "int32", 2), ("lmatrix", "int64", 2),
    ("dtensor3", "float64", 3), ("ftensor3", "float32", 3), ("dtensor4", "float64", 4), ("ftensor4", "float32", 4),
])
def test_typed_constructors(name, dtype, ndim):
    v = getattr(T, name)("v")
    assert (v.dtype, v.ndim, v.name, v.type.shape) == (dtype, ndim, "v", (None,) * ndim)
    assert v.owner is None


@pytest.mark.parametrize("name,ndim", [("scalar", 0), ("vector", 1), ("matrix", 2), ("tensor3", 3), ("tensor4", 4)])
def test_untyped_constructors_use_floatX(name, ndim):
    assert getattr(T, name)().dtype == "float64"
    with config.change_flags(floatX="float32"):
        v = getattr(T, name)("v")
        assert v.dtype == "float32" and v.ndim == ndim
    assert getattr(T, name)(dtype="int16").dtype == "int16"


def test_constructors_take_a_static_shape():
    v = T.matrix("m", shape=(None, 3))
    assert v.type.shape == (None, 3)
    with pytest.raises(ValueError, match="2 entries"):
        T.matrix(shape=(3,))
    assert T.tensor("float32", (2, None), name="t").type == TensorType("float32", (2, None))


def test_plural_constructors():
    x, y = T.dscalars("x", "y")
    assert (x.name, y.name, x.dtype) == ("x", "y", "float64")
    a, b, c = T.fmatrices("a", "b", "c")
    assert c.dtype == "float32" and c.ndim == 2
    single = T.ivectors("only")
    assert single.name == "only" and single.dtype == "int32"
    assert len(T.dvectors(3)) == 3
    assert T.lscalars("n", "m")[1].dtype == "int64"
    assert T.dtensor3s("p", "q")[0].ndim == 3
