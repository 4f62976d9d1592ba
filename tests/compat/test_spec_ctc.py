"""``theano.tensor.nnet.ctc``: the CTC loss against Theano 1.0's test case (warp-ctc's tutorial), a
brute-force sum over every alignment, finite differences, and the parameter checks."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


def brute_force(activations, labels, lengths):
    """``-log`` of the summed probability of every path of each sequence's length that collapses to
    its label (repeats merged, then blanks dropped), by enumerating the paths."""
    costs = []
    for b in range(activations.shape[1]):
        label = tuple(int(v) for v in labels[b] if v >= 0)
        t_b = int(lengths[b])
        a = activations[:t_b, b].astype(np.float64)
        y = np.exp(a - a.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        total = 0.0
        for path in itertools.product(range(activations.shape[2]), repeat=t_b):
            merged = [s for k, s in enumerate(path) if k == 0 or s != path[k - 1]]
            if tuple(s for s in merged if s != 0) == label:
                total += math.prod(y[t, s] for t, s in enumerate(path))
        costs.append(-math.log(total) if total > 0 else math.inf)
    return np.array(costs)


def _compiled(mode, dtype="float64"):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.ctc import ctc

    a = T.tensor3("a", dtype=dtype)
    labels = T.imatrix("labels")
    lengths = T.ivector("lengths")
    cost = ctc(a, labels, lengths)
    return theano.function([a, labels, lengths], cost, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_theano_test_case(mode):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.ctc import ctc, ctc_enabled

    assert ctc_enabled
    activations = np.asarray([[[0, 0, 0, 0, 0], [1, 2, 3, 4, 5], [-5, -4, -3, -2, -1]],
                              [[0, 0, 0, 0, 0], [6, 7, 8, 9, 10], [-10, -9, -8, -7, -6]],
                              [[0, 0, 0, 0, 0], [11, 12, 13, 14, 15], [-15, -14, -13, -12, -11]]], dtype=np.float32)
    times = np.asarray([1, 3, 3], dtype=np.int32)
    labels = np.asarray([[1, -1], [3, 3], [2, 3]], dtype=np.int32)
    t_a = theano.shared(activations, name="activations")
    cost = ctc(t_a, theano.shared(labels), theano.shared(times))
    grad = T.grad(T.mean(cost), t_a)
    costs, g = theano.function([], [cost, grad], mode=mode)()
    assert costs.dtype == np.float32 and g.dtype == np.float32 and g.shape == (3, 3, 5)
    # warp-ctc's tutorial: 1.6094 for the first sequence (one step; Theano's test expected the
    # three steps' 3.03655, see the module's docstring), 7.35574 and 4.93884 for the others
    np.testing.assert_allclose(costs, [math.log(5.0), 7.35574, 4.93884], rtol=1e-5)
    np.testing.assert_allclose(costs, brute_force(activations, labels, times), rtol=1e-5)
    assert not g[1:, 0].any()  # the first sequence's steps after its length
    # the one step: softmax (0.2 each) minus the occupancy (1 for symbol 1), over 3 for the mean
    np.testing.assert_allclose(g[0, 0], np.array([0.2, -0.8, 0.2, 0.2, 0.2]) / 3, rtol=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_costs_equal_the_sum_over_every_alignment(seed):
    rng = np.random.RandomState(seed)
    t_max, batch, alphabet = rng.randint(1, 6), 4, rng.randint(2, 5)
    activations = rng.normal(scale=2.0, size=(t_max, batch, alphabet))
    width = rng.randint(0, 4)
    labels = rng.randint(1, alphabet, size=(batch, width)).astype(np.int32)
    labels[rng.rand(batch, width) < 0.3] = -1  # padding, sometimes before a symbol
    if width >= 2:
        labels[0, :2] = labels[0, 0]  # a repeated symbol needs a blank between
    lengths = rng.randint(0, t_max + 1, size=batch).astype(np.int32)
    want = brute_force(activations, labels, lengths)
    for mode in MODES:
        got = _compiled(mode)(activations, labels, lengths)
        np.testing.assert_allclose(got, want, rtol=1e-10)
        assert np.array_equal(np.isinf(got), np.isinf(want))


def test_unreachable_labels_cost_inf_with_a_zero_gradient():
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.ctc import ctc

    a = T.dtensor3("a")
    cost = ctc(a, np.array([[1, 1], [1, 2], [-1, -1]], dtype=np.int32), np.array([2, 2, 0], dtype=np.int32))
    f = theano.function([a], [cost, T.grad(T.sum(cost), a)])  # the gradient graph never reads the costs
    costs, g = f(np.zeros((2, 3, 3)))
    # [1, 1] needs three steps (a blank between the repeats); [1, 2] fits in two; no steps, no label: 0
    assert costs[0] == np.inf and np.isfinite(costs[1]) and costs[2] == 0.0
    np.testing.assert_allclose(costs[1], -math.log(1 / 9))
    assert not g[:, 0].any() and not g[:, 2].any() and g[:, 1].any()


@pytest.mark.parametrize("seed", range(4))
def test_gradient_matches_finite_differences(seed):
    import theano.tensor as T
    from theano.gradient import verify_grad
    from theano.tensor.nnet.ctc import ctc

    rng = np.random.RandomState(seed)
    labels = np.array([[1, 2, -1], [2, 2, 1], [3, -1, -1]], dtype=np.int32)
    lengths = np.array([4, 5, 3], dtype=np.int32)
    weights = rng.rand(3)

    def cost(a):
        return T.sum(ctc(a, labels, lengths) * weights)

    verify_grad(cost, [rng.normal(size=(5, 3, 4))], rng=rng, eps=1e-6, abs_tol=1e-6, rel_tol=1e-5)


@pytest.mark.parametrize("labels,lengths,message", [
    ([[1, 0]], [2], r"labels\[0\] = \[1, 0\]: symbols must be 1 \.\. 3 \(0 is the blank"),
    ([[4, 1]], [2], r"symbols must be 1 \.\. 3"),
    ([[1, 2]], [4], r"input_lengths\[0\] = 4, must be 0 \.\. 3"),
    ([[1, 2]], [-1], r"input_lengths\[0\] = -1"),
    ([[1, 2], [1, 1]], [2], r"activations hold 1 sequences, labels 2 and input_lengths 1"),
])
def test_bad_labels_and_lengths_name_the_sequence(labels, lengths, message):
    f = _compiled("FAST_RUN")
    with pytest.raises(ValueError, match=message):
        f(np.zeros((3, 1, 4)), np.array(labels, dtype=np.int32), np.array(lengths, dtype=np.int32))


def test_wrong_kinds_of_inputs_are_refused_when_building():
    import theano.tensor as T
    from theano.tensor.nnet.ctc import ctc

    with pytest.raises(TypeError, match=r"ctc: activations must be a float tensor of \(time, batch, alphabet\)"):
        ctc(T.matrix(), T.imatrix(), T.ivector())
    with pytest.raises(TypeError, match=r"ctc: labels must be an integer matrix"):
        ctc(T.tensor3(), T.matrix(), T.ivector())
    with pytest.raises(TypeError, match=r"ctc: input_lengths must be an integer vector"):
        ctc(T.tensor3(), T.imatrix(), T.iscalar())


def test_the_cost_has_the_batch_shape_before_running():
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.ctc import ctc

    a = T.ftensor3("a")
    labels, lengths = T.imatrix("l"), T.ivector("n")
    cost = ctc(a, labels, lengths)
    assert cost.dtype == "float32" and cost.ndim == 1
    f = theano.function([a, labels, lengths], cost.shape)  # the batch axis of the activations
    assert tuple(f(np.zeros((4, 6, 3), "float32"), np.ones((6, 2), "int32"), np.full(6, 4, "int32"))) == (6,)
