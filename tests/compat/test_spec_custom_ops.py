"""Users' own ops, written against Theano 1.0's op contract: ops of the kinds the "Extending Theano"
tutorial teaches (doc/extending/extending_theano.txt: an op with ``make_node``, one with
``itypes``/``otypes``, one with ``__props__``, ``as_op``; written anew here), and the user-visible behaviour that Theano's
theano/gof/tests/test_op.py and theano/compile/tests/test_ops.py check, read as the
specification. Then what a user gets wrong (a ``perform`` storing the wrong thing, a ``grad``
returning the wrong terms, a wrong ``infer_shape``...): each is an error naming the op and the
user's line. Our own tests and code."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano.compile.ops import as_op  # noqa: E402
from theano.gradient import DisconnectedType  # noqa: E402

MODES = ["FAST_RUN", "FAST_COMPILE", "DebugMode"]
THIS_FILE = "test_spec_custom_ops.py"


# --- ops of the kinds the tutorial teaches, written for these tests ---------------------------
# (the same contract as its DoubleOp, DoubleOp with itypes/otypes, AXPBOp and the as_op example:
# make_node/perform/infer_shape/grad/R_op, a declared signature, __props__, a decorated function)

class DoubleOp1(theano.Op):
    """Twice its input, any type: ``make_node`` gives the output the input's type."""
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (value,), (cell,) = inputs, output_storage
        cell[0] = 2 * value

    def infer_shape(self, node, shapes):
        return list(shapes)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [2 * g]

    def R_op(self, inputs, eval_points):
        # no path through the input: nothing to give
        return list(eval_points) if eval_points[0] is None else self.grad(inputs, eval_points)


doubleOp1 = DoubleOp1()


class DoubleOp2(theano.Op):
    """The same op with its signature declared (float64 matrices): no ``make_node``."""
    __props__ = ()
    itypes = [theano.tensor.dmatrix]
    otypes = [theano.tensor.dmatrix]

    perform = DoubleOp1.perform
    infer_shape = DoubleOp1.infer_shape
    grad = DoubleOp1.grad
    R_op = DoubleOp1.R_op


doubleOp2 = DoubleOp2()


class AXPBOp(theano.Op):
    """``a * x + b`` for numbers ``a`` and ``b`` that are the op's properties."""
    __props__ = ("a", "b")

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def make_node(self, x):
        assert hasattr(self, "_props")  # __props__ support, as the tutorial checks
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.a * inputs[0] + self.b

    def infer_shape(self, node, shapes):
        return list(shapes)


def infer_shape_numpy_dot(node, input_shapes):
    left, right = input_shapes
    return [tuple(left[:-1]) + tuple(right[-1:])]


@as_op(itypes=[theano.tensor.fmatrix, theano.tensor.fmatrix], otypes=[theano.tensor.fmatrix],
       infer_shape=infer_shape_numpy_dot)
def numpy_dot(a, b):
    return a @ b


# module level, so that pickle finds it by name (theano/compile/tests/test_ops.py does the same)
@as_op([T.dmatrix, T.dmatrix], T.dmatrix)
def mul(a, b):
    return a * b


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", [doubleOp1, doubleOp2], ids=["make_node", "itypes"])
def test_the_tutorials_double_op_runs(op, mode):
    x = theano.tensor.matrix()
    f = theano.function([x], op(x), mode=mode)
    inp = np.random.rand(5, 4)
    out = f(inp)
    assert np.allclose(inp * 2, out)
    assert out.dtype == "float64" and out.shape == (5, 4)


@pytest.mark.parametrize("mode", MODES)
def test_the_tutorials_double_op_gradient_shape_and_rop(mode):
    """The tutorial's "How To Test it": the gradient (verify_grad on a 3-d input), the shape
    without running the op (``InferShapeTester``), and ``Rop`` through the op's ``R_op``."""
    theano.gradient.verify_grad(doubleOp1, [np.random.rand(5, 7, 2)], mode=mode)
    x = T.matrix()
    f = theano.function([x], theano.grad(doubleOp1(x).sum(), x), mode=mode)
    np.testing.assert_array_equal(f(np.ones((2, 3))), np.full((2, 3), 2.0))
    shape = theano.function([x], doubleOp1(x).shape, mode=mode)
    assert tuple(shape(np.random.rand(5, 4))) == (5, 4)
    if mode == "FAST_RUN":  # the op is not run for its shape (Theano's _compile_and_check)
        assert not any(isinstance(n.op, DoubleOp1) for n in shape.maker.fgraph.toposort())
    v = T.matrix()
    rop = theano.function([x, v], theano.gradient.Rop(doubleOp1(x), x, v), mode=mode, on_unused_input="ignore")
    np.testing.assert_array_equal(rop(np.ones((2, 2)), np.arange(4.0).reshape(2, 2)), np.arange(4.0).reshape(2, 2) * 2)


def test_the_tutorials_props_example():
    mult4plus5op = AXPBOp(4, 5)
    another_mult4plus5op = AXPBOp(4, 5)
    mult2plus3op = AXPBOp(2, 3)

    assert mult4plus5op == another_mult4plus5op
    assert mult4plus5op != mult2plus3op
    assert hash(mult4plus5op) == hash(another_mult4plus5op)
    assert str(mult4plus5op) == "AXPBOp{a=4, b=5}"

    x = theano.tensor.matrix()
    f = theano.function([x], mult4plus5op(x))
    g = theano.function([x], mult2plus3op(x))

    inp = np.random.rand(5, 4).astype(np.float32)
    assert np.allclose(4 * inp + 5, f(inp))
    assert np.allclose(2 * inp + 3, g(inp))


def test_equal_ops_on_the_same_inputs_merge_and_ops_without_props_equal_only_themselves():
    x = T.matrix()
    f = theano.function([x], [AXPBOp(4, 5)(x), AXPBOp(4, 5)(x)])
    assert sum(isinstance(n.op, AXPBOp) for n in f.maker.fgraph.toposort()) == 1
    a, b = f(np.ones((2, 2)))
    np.testing.assert_array_equal(a, np.full((2, 2), 9.0))
    np.testing.assert_array_equal(b, a)

    class NoProps(UnaryOp):

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] + 1

    one, other = NoProps(), NoProps()
    assert one != other and one == one and hash(one) != hash(other)
    assert str(one) == "NoProps"


def test_the_tutorials_as_op_example():
    x = theano.tensor.fmatrix()
    y = theano.tensor.fmatrix()
    f = theano.function([x, y], numpy_dot(x, y))
    inp1 = np.random.rand(5, 4).astype('float32')
    inp2 = np.random.rand(4, 7).astype('float32')
    out = f(inp1, inp2)
    np.testing.assert_allclose(out, np.dot(inp1, inp2), rtol=1e-6)
    assert out.dtype == "float32"
    # its infer_shape gives the shape without running the function
    s = theano.function([x, y], numpy_dot(x, y).shape)
    assert tuple(s(inp1, inp2)) == (5, 7)
    assert not any(n.op == numpy_dot for n in s.maker.fgraph.toposort())
    assert theano.as_op is as_op and theano.compile.as_op is as_op


# --- theano/compile/tests/test_ops.py ------------------------------------------------------

def test_as_op_one_argument():
    x = T.dmatrix('x')

    @as_op(T.dmatrix, T.dvector)
    def cumprod(x):
        return np.cumprod(x)

    fn = theano.function([x], cumprod(x))
    np.testing.assert_allclose(fn([[1.5, 5], [2, 2]]), [1.5, 7.5, 15., 30.])
    with pytest.raises(theano.gradient.GradientError, match="cumprod"):
        theano.grad(cumprod(x).sum(), x)


def test_as_op_two_arguments_with_test_values():
    x = T.dmatrix('x')
    x.tag.test_value = np.zeros((2, 2))
    y = T.dvector('y')
    y.tag.test_value = [0, 0, 0, 0]

    @as_op([T.dmatrix, T.dvector], T.dvector)
    def cumprod_plus(x, y):
        return np.cumprod(x) + y

    fn = theano.function([x, y], cumprod_plus(x, y))
    np.testing.assert_allclose(fn([[1.5, 5], [2, 2]], [1, 100, 2, 200]), [2.5, 107.5, 17., 230.])


def test_as_op_infer_shape_removes_the_op_from_a_shape_graph():
    x, y = T.dmatrix('x'), T.dvector('y')

    def infer_shape(node, shapes):
        x, y = shapes
        return [y]

    @as_op([T.dmatrix, T.dvector], T.dvector, infer_shape)
    def cumprod_plus(x, y):
        return np.cumprod(x) + y

    out = cumprod_plus(x, y)
    shapes = theano.function([x, y], out.shape)
    both = theano.function([x, y], [out, out.shape])
    xv, yv = [[1.5, 5], [2, 2]], [1, 100, 2, 200]
    assert not any(isinstance(n.op, type(cumprod_plus)) for n in shapes.maker.fgraph.toposort())
    assert tuple(shapes(xv, yv)) == (4,)
    value, shape = both(xv, yv)
    assert value.shape == tuple(shape)


def test_as_op_several_outputs():
    @as_op([T.dvector, T.dvector], [T.dvector, T.dvector])
    def add_sub(a, b):
        return a + b, a - b

    x, y = T.dvectors("x", "y")
    s, d = add_sub(x, y)
    f = theano.function([x, y], [s, d])
    np.testing.assert_array_equal(f([1.0, 2.0], [3.0, 5.0])[1], [-2.0, -3.0])


def test_as_op_ops_pickle_by_name():
    x = T.dmatrix('x')
    y = T.dmatrix('y')
    m = mul(x, y)
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.owner.op == m.owner.op
    f = pickle.loads(pickle.dumps(theano.function([x, y], m)))
    np.testing.assert_array_equal(f(np.full((1, 2), 3.0), np.full((1, 2), 2.0)), np.full((1, 2), 6.0))

    @as_op([T.dmatrix], T.dmatrix)
    def local(a):
        return a

    with pytest.raises(pickle.PicklingError, match="local"):
        pickle.dumps(local(x))


def test_as_op_refuses_what_is_not_a_type():
    with pytest.raises(TypeError, match="itypes"):
        as_op(["dmatrix"], T.dmatrix)
    with pytest.raises(TypeError, match="infer_shape"):
        as_op([T.dmatrix], T.dmatrix, infer_shape=3)


class UnaryOp(theano.Op):
    """The tutorial's ``make_node`` of a one-input op whose output has the input's type (the
    tests' own ops below share it)."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])


# --- theano/gof/tests/test_op.py ---------------------------------------------------------

class Doubler(UnaryOp):
    """A Theano op that the pickling, scan and givens tests use."""

    __props__ = ()


    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]


def test_make_node_builds_a_node_owning_its_outputs():
    x, y = T.dvector(), T.dvector()
    node = AddSub().make_node(x, y)
    assert node.inputs == [x, y]
    assert [o.type for o in node.outputs] == [x.type, x.type]
    assert all(o.owner is node and o.index == k for k, o in enumerate(node.outputs))
    assert isinstance(node, theano.Apply) and isinstance((x + y).owner, theano.gof.Apply)
    assert theano.gof.op.Op is theano.Op is theano.gof.Op and theano.gof.PureOp is theano.Op


def _constant_op(out_type, value):
    """An op with no inputs giving ``value`` as a variable of ``out_type``; equal to any op of its
    class by ``__eq__``/``__hash__`` of its own (no ``__props__``), as older Theano ops were written."""

    class Constant(theano.Op):
        def __eq__(self, other):
            return type(other) is type(self)

        def __hash__(self):
            return hash(type(self))

        def make_node(self):
            return theano.Apply(self, [], [out_type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = value

    return Constant()


def test_an_op_with_no_input():
    f = theano.function([], _constant_op(T.dvector, np.arange(3.0))())
    np.testing.assert_array_equal(f(), [0.0, 1.0, 2.0])


class MyType(theano.gof.Type):
    """A user's own type (the kind test_op.py builds): strings that begin with a given prefix."""

    def __init__(self, thingy):
        self.thingy = thingy

    def __eq__(self, other):
        return isinstance(other, MyType) and self.thingy == other.thingy

    def __hash__(self):
        return hash((MyType, self.thingy))

    def filter(self, x, strict=False, allow_downcast=None):
        if not isinstance(x, str):
            raise TypeError(f"not a string: {x!r}")
        if x[:len(str(self.thingy))] != str(self.thingy):
            raise ValueError(f"{x!r} does not begin with {self.thingy!r}")
        return x


class MyOp(theano.Op):
    """Joins values of MyType; the output's prefix is the sum of the inputs' (numbers here)."""

    def make_node(self, *inputs):
        if any(not isinstance(v.type, MyType) for v in inputs):
            raise TypeError("MyOp takes MyType values only")
        total = sum(v.type.thingy for v in inputs)
        return theano.Apply(self, list(inputs), [MyType(total)()])


@pytest.mark.parametrize("mode", MODES)
def test_ops_of_a_users_own_type(mode):
    """test_sanity_0, test_validate and test_op_no_input with test_op.py's ``MyType``."""
    r1, r2 = MyType(1)(), MyType(2)()
    node = MyOp().make_node(r1, r2)
    assert [x for x in node.inputs] == [r1, r2]
    assert [x.type for x in node.outputs] == [MyType(3)]
    assert node.outputs[0].owner is node and node.outputs[0].index == 0
    with pytest.raises(TypeError, match="MyType values only"):
        MyOp()(theano.gof.type.Generic()(), MyType(1)())

    assert theano.function([], _constant_op(lambda: MyType("test")(), "test: no input")(), mode=mode)() == \
        "test: no input"

    class Shout(theano.Op):
        __props__ = ()

        def make_node(self, s):
            return theano.Apply(self, [s], [s.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] + "!"

    s = MyType("ab")("s")
    f = theano.function([s], Shout()(s), mode=mode)
    assert f("abc") == "abc!"
    with pytest.raises(TypeError, match="not a string"):
        f(3)
    with pytest.raises(ValueError, match="input 0.*does not begin with"):
        f("xyz")


def test_an_op_with_only_perform_has_no_c_code_and_one_with_only_c_code_does_not_compile():
    class IncOnePython(UnaryOp):
        __props__ = ()


        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0] + 1

    class IncOneC(UnaryOp):
        __props__ = ()


        def c_code(self, node, name, inputs, outputs, sub):
            x, = inputs
            z, = outputs
            return "%(z)s = %(x)s + 1;" % locals()

    i = T.iscalar('i')
    o = IncOnePython()(i)
    with pytest.raises((NotImplementedError, theano.gof.utils.MethodNotDefined)):
        o.owner.op.c_code(o.owner, 'o', ['x'], 'z', {'fail': ''})
    assert theano.function([i], o)(3) == 4
    c = IncOneC()(i)
    with pytest.raises((NotImplementedError, theano.gof.utils.MethodNotDefined)):
        c.owner.op.perform(c.owner, 0, [None])
    with pytest.raises(TypeError, match="IncOneC.*only C code.*perform") as info:
        theano.function([i], c)
    assert THIS_FILE in str(info.value) and "IncOneC()(i)" in str(info.value)


# --- more of the contract: outputs, params, views, in-place, test values ---------------------

class AddSub(theano.Op):
    """The tutorial's exercise: two outputs, x + y and x - y."""

    __props__ = ()

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return theano.Apply(self, [x, y], [x.type(), x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        output_storage[0][0] = x + y
        output_storage[1][0] = x - y

    def infer_shape(self, node, shapes):
        return [shapes[0], shapes[0]]

    def grad(self, inputs, output_grads):
        gs, gd = output_grads
        seen.append(tuple(isinstance(g.type, DisconnectedType) for g in output_grads))
        if isinstance(gd.type, DisconnectedType):
            return [gs, gs]
        if isinstance(gs.type, DisconnectedType):
            return [gd, -gd]
        return [gs + gd, gs - gd]


seen: list = []


@pytest.mark.parametrize("mode", MODES)
def test_an_output_the_cost_does_not_depend_on_gets_a_disconnected_gradient(mode):
    x, y = T.dvectors("x", "y")
    s, d = AddSub()(x, y)
    seen.clear()
    f = theano.function([x, y], theano.grad(d.sum(), [x, y]), mode=mode)
    assert seen == [(True, False)]
    gx, gy = f([1.0, 2.0], [3.0, 4.0])
    np.testing.assert_array_equal(gx, [1.0, 1.0])
    np.testing.assert_array_equal(gy, [-1.0, -1.0])
    g = theano.function([x, y], theano.grad((3 * s + d).sum(), x), mode=mode)
    np.testing.assert_array_equal(g([1.0, 2.0], [3.0, 4.0]), [4.0, 4.0])
    theano.gradient.verify_grad(lambda a, b: AddSub()(a, b)[0] * AddSub()(a, b)[1],
                                [np.random.rand(3), np.random.rand(3)], mode=mode)


def test_default_output_and_return_list():
    class TwoOut(AddSub):
        default_output = 1

    x, y = T.dvectors("x", "y")
    d = TwoOut()(x, y)
    assert d.owner.outputs[1] is d
    assert TwoOut()(x, y, return_list=True)[0].owner.outputs[1] is not None
    assert isinstance(AddSub()(x, y, return_list=True), list)
    assert theano.function([x, y], d)([5.0], [2.0])[0] == 3.0


def test_perform_gets_params_where_the_op_has_them():
    class Scale(UnaryOp):
        __props__ = ("k",)

        def __init__(self, k):
            self.k = k

        def get_params(self, node):
            return {"k": self.k}


        def perform(self, node, inputs, output_storage, params):
            output_storage[0][0] = inputs[0] * params["k"]

    x = T.dvector()
    assert theano.function([x], Scale(3)(x))([1.0, 2.0]).tolist() == [3.0, 6.0]


def test_a_perform_that_converts_python_values_and_safe_casts():
    class Loose(theano.Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return theano.Apply(self, [x], [T.dvector(), T.dscalar()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0].astype("float32")  # a safe cast: accepted, as Theano's filter
            output_storage[1][0] = 2  # a Python number that fits: converted

    x = T.fvector()
    v, s = theano.function([x], Loose()(x))(np.ones(2, dtype="float32"))
    assert v.dtype == "float64" and np.asarray(s).dtype == "float64" and s == 2.0


class Bump(UnaryOp):
    """Adds one to its input *in place* (``destroy_map``), returning it."""

    __props__ = ()
    destroy_map = {0: [0]}


    def perform(self, node, inputs, output_storage):
        x, = inputs
        x += 1
        output_storage[0][0] = x


@pytest.mark.parametrize("mode", MODES)
def test_a_destroying_op_never_overwrites_a_users_input_or_a_shared_value(mode):
    """Theano's DestroyHandler keeps an op that declares ``destroy_map`` away from storage the
    function does not own; here the op overwrites its own copy, so the caller's array, the
    shared value and every other reader of that input see the old values."""
    x = T.dvector("x")
    w = theano.shared(np.array([5.0, 6.0]), name="w")
    a = np.array([1.0, 2.0])
    f = theano.function([x], [Bump()(x), Bump()(w), x * 1, Bump()(Bump()(x * 2))], mode=mode)
    for _ in range(2):
        bx, bw, same, twice = f(a)
        np.testing.assert_array_equal(bx, [2.0, 3.0])
        np.testing.assert_array_equal(bw, [6.0, 7.0])
        np.testing.assert_array_equal(same, [1.0, 2.0])
        np.testing.assert_array_equal(twice, [4.0, 6.0])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(w.get_value(), [5.0, 6.0])


def test_a_perform_that_overwrites_an_input_it_did_not_declare_is_an_error():
    class Sneaky(Bump):
        destroy_map = {}

    x = T.dvector("x")
    a = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="Sneaky.*read-only") as info:
        theano.function([x], Sneaky()(x))(a)
    assert THIS_FILE in str(info.value)
    np.testing.assert_array_equal(a, [1.0, 2.0])


@pytest.mark.parametrize("declared", [True, False])
def test_an_op_returning_its_input_never_hands_the_callers_array_back(declared):
    class Ident(UnaryOp):
        __props__ = ()
        view_map = {0: [0]} if declared else {}


        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0]

    x = T.dvector("x")
    a = np.array([1.0, 2.0])
    out = theano.function([x], Ident()(x))(a)
    assert not np.shares_memory(out, a)
    out[0] = 7.0  # the result is the caller's to change
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_test_values_run_perform_when_the_node_is_built():
    x = T.dmatrix("x")
    x.tag.test_value = np.ones((2, 3))
    old = theano.config.compute_test_value
    theano.config.compute_test_value = "raise"
    try:
        y = doubleOp1(x)
    finally:
        theano.config.compute_test_value = old
    np.testing.assert_array_equal(y.tag.test_value, np.full((2, 3), 2.0))


# --- in scan, with givens, pickled ------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_an_op_inside_scan_and_its_gradient_through_scan(mode):
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    hs, _ = theano.scan(lambda v, h: Doubler()(v) + h, sequences=[x], outputs_info=[h0])
    f = theano.function([x, h0], [hs, theano.grad(hs[-1], x)], mode=mode)
    out, g = f([1.0, 2.0, 3.0], 0.5)
    np.testing.assert_array_equal(out, [2.5, 6.5, 12.5])
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


def test_an_op_with_givens():
    data = theano.shared(np.arange(6.0).reshape(3, 2), name="data")
    i = T.lscalar("i")
    x = T.dmatrix("x")
    f = theano.function([i], doubleOp2(x).sum(), givens={x: data[i:i + 2]})
    assert f(1) == 2 * (2 + 3 + 4 + 5)


def test_a_compiled_function_with_an_op_pickles():
    x = T.dmatrix("x")
    w = theano.shared(np.ones((2, 2)), name="w")
    f = theano.function([x], Doubler()(x) + AXPBOp(2, 1)(w), updates=[(w, Doubler()(w))])
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(np.ones((2, 2))), np.full((2, 2), 5.0))
    np.testing.assert_array_equal(g(np.ones((2, 2))), np.full((2, 2), 7.0))


# --- Rop uses the op's own R_op --------------------------------------------------------------

class TaggedRop(Doubler):
    """The gradient of 2x, with an R_op that says 3 v: which one Rop used shows in the numbers
    (a deliberately inconsistent op, only for this test)."""

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else eval_points[0] * 3]


def test_rop_uses_the_ops_r_op_and_the_gradient_elsewhere():
    x, v = T.dvector("x"), T.dvector("v")
    y = T.exp(TaggedRop()(x) * x)  # a native op after the custom one
    r = theano.function([x, v], theano.gradient.Rop(y, x, v))
    xv, vv = np.array([0.5, 1.0]), np.array([1.0, -2.0])
    inner = 2 * xv * xv
    expected = np.exp(inner) * (3 * vv * xv + 2 * xv * vv)  # d(t x) = dt x + t dx, with dt = 3 v
    np.testing.assert_allclose(r(xv, vv), expected)
    # without an R_op of its own, Rop is the Jacobian-vector product of the gradient
    r2 = theano.function([x, v], theano.gradient.Rop(T.exp(Doubler()(x) * x), x, v))
    np.testing.assert_allclose(r2(xv, vv), np.exp(inner) * 4 * xv * vv)


# --- what users get wrong ------------------------------------------------------------------

def _perform_storing(value):
    class Bad(UnaryOp):
        __props__ = ()


        def perform(self, node, inputs, output_storage):
            if value is not None:
                output_storage[0][0] = value(inputs[0])

    return Bad()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value, error, words", [
    (lambda x: x.astype("float64"), TypeError, "dtype float64.*float32"),
    (lambda x: x[0], TypeError, "dimension"),
    (None, ValueError, "empty"),
    (lambda x: "text", TypeError, "output 0"),
], ids=["dtype", "ndim", "nothing", "not-an-array"])
def test_a_perform_storing_the_wrong_thing_is_an_error_naming_the_op_and_line(mode, value, error, words):
    op = _perform_storing(value)
    x = T.fvector("x")
    f = theano.function([x], op(x), mode=mode)
    with pytest.raises(error, match=words) as info:
        f(np.ones(3, dtype="float32"))
    assert "Bad" in str(info.value) and THIS_FILE in str(info.value) and "op(x)" in str(info.value)


def test_make_node_returning_something_else_than_an_apply():
    class NotApply(theano.Op):
        def make_node(self, x):
            return [x]

    with pytest.raises(TypeError, match="NotApply.*make_node.*not an Apply") as info:
        NotApply()(T.dvector())
    assert THIS_FILE in str(info.value)


def test_itypes_are_checked():
    with pytest.raises(TypeError, match="DoubleOp2.*input 0.*float64"):
        doubleOp2(T.fmatrix())
    with pytest.raises(ValueError, match="expected 1 input"):
        doubleOp2(T.dmatrix(), T.dmatrix())


def _op_with_grad(rule, infer_shape=None, pattern=None):
    class G(theano.Op):
        __props__ = ()

        def make_node(self, x, y):
            x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
            return theano.Apply(self, [x, y], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] * inputs[1]

        def grad(self, inputs, output_grads):
            return rule(inputs, output_grads[0])

    if pattern is not None:
        G.connection_pattern = lambda self, node: pattern
    return G()


@pytest.mark.parametrize("rule, error, words", [
    (lambda i, g: [g * i[1]], ValueError, "wrong number of gradient terms: 1 for 2"),
    (lambda i, g: [g * i[1], None], TypeError, "None for the gradient of input 1"),
    (lambda i, g: [g * i[1], (g * i[0]).sum()], ValueError, "0 dimension.*input 1, which has 1"),
    (lambda i, g: [g * i[1], T.ones_like(i[0], dtype="int64")], TypeError, "integer-valued"),
    (lambda i, g: [g * i[1], "nope"], TypeError, "expected a symbolic variable"),
], ids=["count", "None", "rank", "integer", "not-a-variable"])
def test_a_grad_returning_wrong_terms_is_an_error_naming_the_op_and_line(rule, error, words):
    op = _op_with_grad(rule)
    x, y = T.dvectors("x", "y")
    with pytest.raises(error, match=words) as info:
        theano.grad(op(x, y).sum(), [x, y])
    assert "G" in str(info.value) and THIS_FILE in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_a_gradient_term_of_the_wrong_shape_is_an_error_when_the_function_runs(mode):
    op = _op_with_grad(lambda i, g: [g * i[1], (g * i[0]).sum(keepdims=True)])
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], theano.grad(op(x, y).sum(), [x, y]), mode=mode)
    with pytest.raises(ValueError, match="G.grad returned a gradient term of shape \\(1,\\) for input 1, which has "
                                         "shape \\(3,\\)") as info:
        f(np.ones(3), np.ones(3))
    assert THIS_FILE in str(info.value)


def test_grad_undefined_and_connection_pattern():
    und = _op_with_grad(lambda i, g: [g * i[1], theano.gradient.grad_undefined(None, 1, i[1])])
    x, y = T.dvectors("x", "y")
    gx = theano.grad(und(x, y).sum(), x)
    assert theano.function([x, y], gx)([1.0, 2.0], [3.0, 4.0]).tolist() == [3.0, 4.0]
    with pytest.raises(theano.gradient.NullTypeGradError):
        theano.grad(und(x, y).sum(), y)
    # y only parametrises the op: connection_pattern says so, and grad returns DisconnectedType
    par = _op_with_grad(lambda i, g: [g * i[1], DisconnectedType()()], pattern=[[True], [False]])
    assert theano.function([x, y], theano.grad(par(x, y).sum(), x))([1.0], [5.0]).tolist() == [5.0]
    with pytest.raises(theano.gradient.DisconnectedInputError):
        theano.grad(par(x, y).sum(), y)
    liar = _op_with_grad(lambda i, g: [g * i[1], g * i[0]], pattern=[[True], [False]])
    with pytest.raises(TypeError, match="connection_pattern"):
        theano.grad(liar(x, y).sum(), [x, y])
    strict = _op_with_grad(lambda i, g: [g * i[1], DisconnectedType()()], pattern=[[True], [True]])
    with pytest.raises(TypeError, match="DisconnectedType for input 1.*connection_pattern"):
        theano.grad(strict(x, y).sum(), [x, y])


def _op_with_shape(rule):
    class S(UnaryOp):
        __props__ = ()


        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = np.concatenate([inputs[0], inputs[0]])

        def infer_shape(self, node, shapes):
            return rule(shapes)

    return S()


@pytest.mark.parametrize("mode", MODES)
def test_an_infer_shape_that_disagrees_with_perform_is_an_error_whenever_perform_runs(mode):
    """Reading only the shape trusts ``infer_shape`` (Theano's rule: the op does not run); but
    whenever ``perform`` runs, its shapes are checked against ``infer_shape``'s, so a value and
    a shape that disagree never come out of one function silently."""
    wrong = _op_with_shape(lambda shapes: shapes)  # the op doubles the length
    x = T.dvector("x")
    y = wrong(x)
    with pytest.raises(ValueError, match="S: perform\\(\\) returned output 0 of shape \\(6,\\), but the op's "
                                         "infer_shape\\(\\) says \\(3,\\)") as info:
        theano.function([x], [y, y.shape], mode=mode)(np.ones(3))
    assert THIS_FILE in str(info.value)
    right = _op_with_shape(lambda shapes: [(shapes[0][0] * 2,)])(x)
    value, shape = theano.function([x], [right, right.shape], mode=mode)(np.ones(3))
    assert value.shape == tuple(shape) == (6,)


@pytest.mark.parametrize("rule, words", [
    (lambda shapes: [], "0 shape\\(s\\) for 1 output"),
    (lambda shapes: [(1, 2)], "shape \\(1, 2\\), but the output has 1 dimension"),
    (lambda shapes: [(1.5,)], "size 1.5"),
])
def test_an_infer_shape_of_the_wrong_form_is_an_error_naming_the_op(rule, words):
    x = T.dvector("x")
    y = _op_with_shape(rule)(x)
    with pytest.raises(Exception, match=words) as info:
        theano.function([x], [y, y.shape])
    assert THIS_FILE in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_an_op_without_infer_shape_gives_its_shapes_by_running(mode):
    x = T.dvector("x")
    y = _perform_storing(lambda v: np.concatenate([v, v]))(x)
    assert tuple(theano.function([x], y.shape, mode=mode)(np.ones(3))) == (6,)
    assert theano.function([x], (y * 2).shape[0] + 1, mode=mode)(np.ones(2)) == 5


def test_l_op_is_used_where_an_op_defines_it():
    class Square(UnaryOp):
        __props__ = ()


        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] ** 2

        def L_op(self, inputs, outputs, output_grads):
            # Theano's L_op also gets the outputs: d(x^2)/dx = 2 x = 2 y / x
            return [output_grads[0] * 2 * outputs[0] / inputs[0]]

    x = T.dvector("x")
    g = theano.function([x], theano.grad(Square()(x).sum(), x))
    np.testing.assert_allclose(g([1.0, 3.0]), [2.0, 6.0])


CUDA_SCRIPT = """
import numpy as np
import framework.compat.theano as c; c.install()
import theano, theano.tensor as T
class Double(theano.Op):
    __props__ = ()
    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])
    def perform(self, node, inputs, out):
        assert type(inputs[0]) is np.ndarray, type(inputs[0])
        out[0][0] = inputs[0] * 2
    def infer_shape(self, node, shapes):
        return shapes
    def grad(self, inputs, g):
        return [g[0] * 2]
x = T.dmatrix('x')
w = theano.shared(np.ones((2, 2)), name='w')
y = Double()(x) + Double()(w)
f = theano.function([x], [y, theano.grad(y.sum(), x), y.shape], updates=[(w, Double()(w))])
print(f.maker.backend.device, [a.tolist() for a in f(np.ones((2, 2)))], type(w.container.value).__module__)
"""


def test_perform_runs_on_host_arrays_on_the_cupy_backend():
    """On the CuPy backend ``perform`` gets NumPy arrays (its inputs are copied to the host) and
    its outputs go back to the device. Without a GPU this runs on the CPU stand-in for CuPy
    (tests/backend_cupy/fakecupy), as tests/compat/test_pickling_devices.py does."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not (shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")):
        pytest.skip("the CuPy stand-in compiles kernels with a host C++ compiler")
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    paths = [str(repo), str(repo / "tests" / "backend_cupy" / "fakecupy")]
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["FRAMEWORK_FLAGS"] = "device=cuda"
    proc = subprocess.run([sys.executable, "-c", CUDA_SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "cuda [[[4.0, 4.0], [4.0, 4.0]], [[2.0, 2.0], [2.0, 2.0]], [2, 2]] cupy"


class Repeat(theano.Op):
    """``x`` repeated ``n`` times (``n`` an integer input): a size that depends on an input's value."""

    __props__ = ()

    def make_node(self, x, n):
        x, n = T.as_tensor_variable(x), T.as_tensor_variable(n)
        return theano.Apply(self, [x, n], [T.dvector()])

    def perform(self, node, inputs, output_storage):
        x, n = inputs
        output_storage[0][0] = np.tile(x, int(n))

    def infer_shape(self, node, shapes):
        return [(shapes[0][0] * node.inputs[1],)]


@pytest.mark.parametrize("mode", MODES)
def test_an_infer_shape_reading_an_inputs_value(mode):
    x, n = T.dvector("x"), T.lscalar("n")
    y = Repeat()(x, n)
    value, shape = theano.function([x, n], [y, y.shape], mode=mode)(np.arange(3.0), 2)
    assert value.tolist() == [0.0, 1.0, 2.0] * 2 and tuple(shape) == (6,)
    assert tuple(theano.function([x, n], y.shape, mode=mode)(np.arange(3.0), 4)) == (12,)


def test_an_infer_shape_gets_static_sizes_as_ints_and_its_failures_name_the_op():
    class RowOnly(UnaryOp):
        __props__ = ()


        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] + 1

        def infer_shape(self, node, shapes):
            if shapes[0][0] != 1:  # a Python test on a static size
                raise ValueError("rows only")
            return shapes

    r = T.row("r")
    y = RowOnly()(r)
    value, shape = theano.function([r], [y, y.shape])(np.zeros((1, 3)))
    assert value.shape == tuple(shape) == (1, 3)
    m = T.dmatrix("m")
    y = RowOnly()(m)
    with pytest.raises(Exception, match="RowOnly.infer_shape failed.*rows only") as info:
        theano.function([m], [y, y.shape])
    assert THIS_FILE in str(info.value)
