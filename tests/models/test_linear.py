"""The linear plugin: LinearRegression and LogisticRegression, and the seed-lab examples."""
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, shared

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _gradient_descent(model, x, y, lr, steps, x_data, y_data):
    cost = model.cost(y)
    updates = [(p, p - lr * g) for p, g in zip(model.params, T.grad(cost, model.params))]
    train = function([x, y], cost, updates=updates)
    for _ in range(steps):
        last = train(x_data, y_data)
    return float(last)


def test_seed_lab_fits_y_equals_2x_plus_1():
    example = runpy.run_path(str(EXAMPLES / "linear_seed_lab.py"))
    w, b = example["fit_by_hand"](lr=0.01, steps=1000)
    assert w == pytest.approx(2.0, abs=0.01) and b == pytest.approx(1.0, abs=0.02)
    w2, b2, predictions = example["fit_with_model"](lr=0.01, steps=1000)
    # The class builds the same graph: the same numbers, step for step.
    assert (w2, b2) == pytest.approx((w, b), abs=1e-12)
    np.testing.assert_allclose(predictions, [3.0, 5.0, 7.0, 9.0], atol=0.02)


def test_hw1_variant_ends_at_w_2_b_half_exactly():
    example = runpy.run_path(str(EXAMPLES / "linear_hw1.py"))
    # The data's least-squares line is exactly y = 2x + 0.5 ...
    np.testing.assert_allclose(np.polyfit(example["x_data"], example["y_data"], 1), [2.0, 0.5], atol=1e-12)
    # ... and 1000 steps of lr 0.1 from w = 0 reach it to machine precision.
    w, b, cost = example["fit"](lr=0.1, steps=1000)
    assert w == pytest.approx(2.0, abs=1e-12)
    assert b == pytest.approx(0.5, abs=1e-12)
    assert cost == pytest.approx(0.25, abs=1e-12)


def test_linear_regression_matrix_input_recovers_least_squares():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    true_W = np.array([[1.0, -1.0], [2.0, 0.5], [-0.5, 3.0]])
    Y = X @ true_W + np.array([0.3, -0.2]) + 0.01 * rng.randn(50, 2)
    x, y = T.dmatrix("x"), T.dmatrix("y")
    model = framework.models.LinearRegression(input=x, n_in=3, n_out=2)
    assert model.W.get_value().shape == (3, 2) and model.b.get_value().shape == (2,)
    _gradient_descent(model, x, y, 0.1, 500, X, Y)
    A = np.hstack([X, np.ones((50, 1))])
    solution = np.linalg.lstsq(A, Y, rcond=None)[0]
    np.testing.assert_allclose(model.W.get_value(), solution[:3], atol=1e-6)
    np.testing.assert_allclose(model.b.get_value(), solution[3], atol=1e-6)
    mse = function([x, y], model.errors(y))(X, Y)
    assert mse == pytest.approx(np.mean(np.sum((A @ solution - Y) ** 2, axis=1)), rel=1e-6)


def test_penalties_are_added_to_the_cost_but_not_to_errors():
    x, y = T.dmatrix("x"), T.dvector("y")
    W = shared(np.array([1.0, -2.0, 3.0]), name="W")
    model = framework.models.LinearRegression(input=x, n_in=3, W=W, l1=0.5, l2=0.25)
    X, Y = np.eye(3), np.array([1.0, -2.0, 3.0])  # a perfect fit: zero squared error
    cost, errors = function([x, y], [model.cost(y), model.errors(y)])(X, Y)
    assert errors == pytest.approx(0.0)
    assert cost == pytest.approx(0.5 * 6.0 + 0.25 * 14.0)
    with pytest.raises(ValueError, match="l1 must be a finite number >= 0"):
        framework.models.LinearRegression(input=x, n_in=3, l1=-1)


def test_linear_regression_target_must_match_prediction():
    x = T.dmatrix("x")
    model = framework.models.LinearRegression(input=x, n_in=3)
    with pytest.raises(ValueError, match="target must be 1-d"):
        model.cost(T.dmatrix("y"))
    with pytest.raises(ValueError, match="vector input has one feature"):
        framework.models.LinearRegression(input=T.dvector("x"), n_in=3)


def test_theano_tutorial_logistic_regression_with_the_class():
    rng = np.random.RandomState(1234)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    x, y = T.dmatrix("x"), T.dvector("y")
    model = framework.models.LogisticRegression(input=x, n_in=feats, n_out=1, l2=0.01,
                                                W=shared(rng.randn(feats), name="w"))
    start = function([x, y], model.errors(y))(D[0], D[1])
    assert start > 0.3  # random weights: about chance
    cost = _gradient_descent(model, x, y, 0.1, 500, D[0], D[1])
    assert np.isfinite(cost)
    # It memorises the training set, as in the tutorial.
    np.testing.assert_array_equal(model.predict(D[0]), D[1])
    assert function([x, y], model.errors(y))(D[0], D[1]) == 0.0


def test_theano_tutorial_logistic_regression_code_as_written():
    """The tutorial's own lines (1 / (1 + exp(-z)), -y log p - (1 - y) log(1 - p)).

    With random weights the probabilities saturate to exactly 0 or 1, so the
    cross-entropy is finite only because the standard rewrites compute it
    from the logits, as Theano's did.
    """
    proc = subprocess.run([sys.executable, str(EXAMPLES / "logistic_tutorial.py"), "500"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "tutorial code: training accuracy 1.0" in proc.stdout, proc.stdout[-2000:]
    assert "LogisticRegression: training accuracy 1.0" in proc.stdout


def test_multiclass_logistic_regression_learns_digits():
    data = framework.datasets.load("digits")
    (train_x, train_y), (valid_x, valid_y) = data.train, data.valid
    x, y = T.dmatrix("x"), T.lvector("y")
    model = framework.models.LogisticRegression(input=x, n_in=64, n_out=10)
    assert model.W.get_value().shape == (64, 10)
    errors = function([x, y], model.errors(y))
    assert errors(valid_x, valid_y) > 0.8  # all-zero weights predict class 0
    cost = model.cost(y)
    updates = [(p, p - 0.1 * g) for p, g in zip(model.params, T.grad(cost, model.params))]
    train = function([x, y], cost, updates=updates)
    for epoch in range(3):
        for i in range(0, len(train_x) - 19, 20):
            train(train_x[i:i + 20], train_y[i:i + 20])
    assert errors(valid_x, valid_y) < 0.15
    assert model.predict(valid_x[:5]).dtype.kind == "i"
    # The probabilities sum to one and the prediction is their argmax.
    probs = function([x], model.p_y_given_x)(valid_x[:5])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probs.argmax(axis=1), model.predict(valid_x[:5]))


def test_logistic_negative_log_likelihood_matches_numpy():
    rng = np.random.RandomState(3)
    X, Y = rng.randn(6, 4), np.array([0, 2, 1, 2, 0, 1])
    W, b = rng.randn(4, 3), rng.randn(3)
    x, y = T.dmatrix("x"), T.lvector("y")
    model = framework.models.LogisticRegression(input=x, n_in=4, n_out=3, W=shared(W), b=shared(b), l1=0.1)
    nll, cost = function([x, y], [model.negative_log_likelihood(y), model.cost(y)])(X, Y)
    z = X @ W + b
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(6), Y])
    assert nll == pytest.approx(expected)
    assert cost == pytest.approx(expected + 0.1 * np.abs(W).sum())
    # binary: stable on saturated logits
    xb, yb = T.dmatrix("x"), T.dvector("y")
    binary = framework.models.LogisticRegression(input=xb, n_in=1, W=shared(np.array([1000.0])))
    value = function([xb, yb], binary.negative_log_likelihood(yb))(np.array([[1.0], [-1.0]]), np.array([0.0, 1.0]))
    assert value == pytest.approx(1000.0)


def test_multiclass_targets_must_be_integers():
    model = framework.models.LogisticRegression(input=T.dmatrix("x"), n_in=4, n_out=3)
    with pytest.raises(TypeError, match="class indices"):
        model.cost(T.dvector("y"))
