"""The Theano tutorial's logistic regression, line for line in this API.

N = 400 random examples of 784 features with random 0/1 labels, a weight
vector initialised at random, the cross-entropy with an L2 penalty of 0.01,
10000 gradient steps with learning rate 0.1 (pass a smaller number of steps
as the first argument). The model memorises its training set: all 400
predictions end up equal to the targets.

Then the same with ``framework.models.LogisticRegression``, whose cost is
computed from the logits (softplus), so it never meets ``log(0)``.

    python docs/examples/logistic_tutorial.py [training_steps]
"""
import sys

import numpy

import framework
import framework.tensor as T
from framework import function, shared

rng = numpy.random.RandomState(1234)

N = 400  # training sample size
feats = 784  # number of input variables

# generate a dataset: D = (input_values, target_class)
D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
training_steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10000

# Declare symbolic variables
x = T.dmatrix("x")
y = T.dvector("y")

# initialize the weight vector w randomly, and the bias b at 0
w_init = rng.randn(feats)
w = shared(w_init, name="w")
b = shared(0., name="b")

# Construct the expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that target = 1
prediction = p_1 > 0.5  # the prediction thresholded
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy loss function
cost = xent.mean() + 0.01 * (w ** 2).sum()  # the cost to minimize
gw, gb = T.grad(cost, [w, b])  # the gradient of the cost w.r.t. w and b

# Compile
train = function(inputs=[x, y], outputs=[prediction, xent],
                 updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = function(inputs=[x], outputs=prediction)

# Train
for i in range(training_steps):
    pred, err = train(D[0], D[1])

print("target values for D:", D[1])
print("prediction on D:", predict(D[0]))
print("tutorial code: training accuracy", numpy.mean(predict(D[0]) == D[1]))

# The same model through the linear plugin's class
model = framework.models.LogisticRegression(input=x, n_in=feats, n_out=1, l2=0.01,
                                            W=shared(w_init, name="w"))
cost = model.cost(y)
updates = [(p, p - 0.1 * g) for p, g in zip(model.params, T.grad(cost, model.params))]
train_model = function([x, y], cost, updates=updates)
for i in range(training_steps):
    train_model(D[0], D[1])
print("LogisticRegression: training accuracy", numpy.mean(model.predict(D[0]) == D[1]))
