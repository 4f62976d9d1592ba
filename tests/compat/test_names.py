"""More module paths Theano programs import, and Theano's reduction keywords on framework's own API."""
from __future__ import annotations

import numpy as np


def test_more_module_paths_resolve():
    from theano.compat import OrderedDict, izip  # noqa: F401
    from theano.compile.io import In  # noqa: F401
    from theano.compile.mode import Mode, get_mode  # noqa: F401
    from theano.compile.sharedvalue import SharedVariable, shared  # noqa: F401
    from theano.tensor.basic import as_tensor_variable, dot  # noqa: F401
    from theano.tensor.sharedvar import TensorSharedVariable  # noqa: F401
    from theano.tensor.type import TensorType  # noqa: F401
    from theano.tensor.var import TensorVariable  # noqa: F401
    from theano.updates import OrderedUpdates
    import theano

    assert isinstance(theano.shared(np.ones(2)), TensorSharedVariable)
    assert issubclass(OrderedUpdates, OrderedDict)


def test_native_reductions_take_theanos_keywords():
    import framework.tensor as T
    from framework import function

    x = T.fmatrix("x")
    total = x.sum(acc_dtype="float64")
    assert total.dtype == "float64"
    assert T.sum(x, acc_dtype="float64", dtype="float32").dtype == "float32"
    assert x.mean(dtype="float64").dtype == "float64" and x.mean(acc_dtype="float64").dtype == "float64"
    assert x.prod(dtype="float64", no_zeros_in_input=True).dtype == "float64"
    i = T.bvector("i")
    assert T.mean(i, dtype="float32").dtype == "float32"
    f = function([x], [total, x.mean(axis=0, dtype="float64", acc_dtype="float64"), x.max(axis=1, keepdims=True),
                       x.argmax(axis=1, keepdims=True)])
    a = np.array([[1, 5, 2], [7, 0, 3]], dtype="float32")
    s, m, mx, am = f(a)
    assert s == 18 and m.tolist() == [4.0, 2.5, 2.5] and mx.tolist() == [[5], [7]] and am.tolist() == [[1], [0]]
