"""The HW1 variant: w starts at 0, learning rate 0.1, and training ends at w = 2.0, b = 0.5.

The HW1 handout's data is not available, so this example uses four points
whose least-squares line is exactly y = 2x + 0.5 without lying on it:

    x = 0, 1, 2, 3      y = 1, 2, 4, 7

(the residuals 0.5, -0.5, -0.5, 0.5 sum to zero and are orthogonal to x, so
the normal equations give w = 2, b = 0.5). Gradient descent on the mean
squared error with lr 0.1 converges geometrically (the Hessian's eigenvalues
are about 8.4 and 0.6, so each step shrinks the error by at least 6%); after
1000 steps w and b equal 2.0 and 0.5 to machine precision and the cost is the
irreducible 0.25.

    python docs/examples/linear_hw1.py
"""
import numpy as np

import framework.tensor as T
from framework import function, shared

x_data = np.array([0.0, 1.0, 2.0, 3.0])
y_data = np.array([1.0, 2.0, 4.0, 7.0])


def fit(lr: float = 0.1, steps: int = 1000):
    x = T.dvector("x")
    y = T.dvector("y")
    w = shared(0.0, name="w")  # w starts at 0
    b = shared(0.0, name="b")
    cost = T.mean((w * x + b - y) ** 2)
    gw, gb = T.grad(cost, [w, b])
    train = function([x, y], cost, updates=[(w, w - lr * gw), (b, b - lr * gb)])
    for _ in range(steps):
        last = train(x_data, y_data)
    return float(w.get_value()), float(b.get_value()), float(last)


if __name__ == "__main__":
    w, b, cost = fit()
    print(f"w = {w}, b = {b}, cost = {cost:.4f}")
    print("numpy.polyfit says", np.polyfit(x_data, y_data, 1))
