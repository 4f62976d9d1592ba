"""The tutorial's PCD-15 step built through the Theano layer: NumPy's own MT19937 ``RandomState``
draws Theano 1.0's exact Bernoulli numbers (docs/random.md, "Which numbers are drawn (CPU)").

    python bench/theano_rbm_step.py            # mean ms per call over 50 calls
    python bench/theano_rbm_step.py out.npz    # the costs, the chain and W after 5 calls instead

Compare two trees by running it from each, alternating processes; the ``.npz`` of two trees must
be equal when neither changes the numbers.
"""
import sys
import time

sys.path.insert(0, "bench")
import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

import framework.compat.theano as c  # noqa: E402

c.install()
import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano.tensor.shared_randomstreams import RandomStreams  # noqa: E402

theano.config.floatX = "float32"
from framework.models import RBM  # noqa: E402
import rbm_step as rs  # noqa: E402

data = rs.make_data()
x = T.matrix("x")
index = T.lscalar()
tsx = theano.shared(data, borrow=True)
rng = np.random.RandomState(123)
trng = RandomStreams(rng.randint(2 ** 30))
chain = theano.shared(np.zeros((20, 500), "float32"), borrow=True)
rbm = RBM(input=x, n_visible=784, n_hidden=500, numpy_rng=rng, theano_rng=trng)
cost, upd = rbm.get_cost_updates(lr=0.1, persistent=chain, k=15)
f = theano.function([index], cost, updates=upd, givens={x: tsx[index * 20:(index + 1) * 20]})
if len(sys.argv) > 1:
    costs = [f(i) for i in range(5)]
    np.savez(sys.argv[1], costs=np.array(costs), chain=chain.get_value(), W=rbm.W.get_value())
    print("costs", costs)
    sys.exit()
f(0)
t0 = time.perf_counter()
for i in range(50):
    f(i)
print("theano-layer PCD-15 ms", (time.perf_counter() - t0) / 50 * 1e3)
