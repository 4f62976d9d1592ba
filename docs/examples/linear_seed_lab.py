"""The seed lab: fit y = 2x + 1 from four points by gradient descent.

Written with the raw symbolic API (shared parameters, a cost, ``grad`` and an
update rule), then again with ``framework.models.LinearRegression``. With a
learning rate of 0.01 and 1000 full-batch steps on the mean squared error,
w ends near 2 and b near 1 (w = 2.0049, b = 0.9857: b converges slowly).

    python docs/examples/linear_seed_lab.py
"""
import numpy as np

import framework
import framework.tensor as T
from framework import function, shared

x_data = np.array([1.0, 2.0, 3.0, 4.0])
y_data = 2.0 * x_data + 1.0  # four points on y = 2x + 1


def fit_by_hand(lr: float = 0.01, steps: int = 1000):
    x = T.dvector("x")
    y = T.dvector("y")
    w = shared(0.0, name="w")
    b = shared(0.0, name="b")
    cost = T.mean((w * x + b - y) ** 2)
    gw, gb = T.grad(cost, [w, b])
    train = function([x, y], cost, updates=[(w, w - lr * gw), (b, b - lr * gb)])
    for _ in range(steps):
        train(x_data, y_data)
    return float(w.get_value()), float(b.get_value())


def fit_with_model(lr: float = 0.01, steps: int = 1000):
    x = T.dvector("x")
    y = T.dvector("y")
    model = framework.models.LinearRegression(input=x)  # a vector input: scalar w and b, both 0
    cost = model.cost(y)
    updates = [(p, p - lr * g) for p, g in zip(model.params, T.grad(cost, model.params))]
    train = function([x, y], cost, updates=updates)
    for _ in range(steps):
        train(x_data, y_data)
    return float(model.W.get_value()), float(model.b.get_value()), model.predict(x_data)


if __name__ == "__main__":
    w, b = fit_by_hand()
    print(f"by hand:   w = {w:.4f}, b = {b:.4f}")
    w, b, predictions = fit_with_model()
    print(f"the model: w = {w:.4f}, b = {b:.4f}, predictions {np.round(predictions, 3)} for {y_data}")
