"""``grad`` differentiates the stabilised cost whatever plugins are installed,
and through scan: the stabilisation it relies on is part of the kernel."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import config, function

from .test_scan_pushout import assert_naive_matches_tutorial, saturated_rbm

SCRIPT = """
import numpy as np, framework, framework.tensor as T
z = T.dvector("z")
cost = T.log(1 / (1 + T.exp(-z))).sum()
g = framework.function([z], T.grad(cost, z))(np.array([-800.0, 0.0, 800.0]))
print(repr(g.tolist()), sorted(p.name for p in framework.plugins.list() if p.status == "loaded"))
"""


@pytest.mark.parametrize("disabled", ["", "rewrites"])
def test_stabilised_gradient_without_the_rewrites_plugin(disabled):
    env = dict(os.environ, FRAMEWORK_DISABLE_PLUGINS=disabled)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    grads, loaded = out.stdout.strip().rsplit(" [", 1)
    assert eval(grads) == [1.0, 0.5, 0.0]
    assert ("'rewrites'" in loaded) == (disabled == "")


def _scan_cost():
    x0 = T.dvector("x0")
    (_, means), _ = framework.scan(lambda s: [s * 2, T.nnet.sigmoid(s * 2)], outputs_info=[x0, None], n_steps=10)
    m, t = means[-1], np.array([0.0, 1.0])
    return x0, -(t * T.log(m) + (1 - t) * T.log(1 - m)).sum()


def test_gradient_through_a_stabilised_scan_cost_is_exact():
    x0, cost = _scan_cost()
    f = function([x0], [cost, T.grad(cost, x0)])
    value, g = f(np.array([1.0, -1.0]))
    assert value == 2048.0
    np.testing.assert_array_equal(g, [1024.0, -1024.0])


def _mean_field_chain(rbm, k, with_pre):
    """The tutorial's chain with means instead of samples (no draws), from the data."""
    def step(h):
        pre_v = T.dot(h, rbm.W.T) + rbm.vbias
        v_mean = T.nnet.sigmoid(pre_v)
        h_next = T.nnet.sigmoid(T.dot(v_mean, rbm.W) + rbm.hbias)
        return [pre_v, v_mean, h_next] if with_pre else [v_mean, h_next]

    h0 = T.nnet.sigmoid(T.dot(rbm.input, rbm.W) + rbm.hbias)
    outs, _ = framework.scan(step, outputs_info=[None] * (2 if with_pre else 1) + [h0], n_steps=k)
    return outs


@pytest.mark.parametrize("k", [1, 3])
def test_gradient_of_the_naive_reconstruction_cost_from_nv_means(k):
    """``log(nv_means[-1])`` on saturated units: the gradient is finite and equals
    the gradient of the tutorial's form written from the pre-sigmoid activation."""
    with config.change_flags(floatX="float64", mode="FAST_RUN"):
        rbm, data = saturated_rbm()
        naive = rbm.naive_reconstruction_cost(_mean_field_chain(rbm, k, False)[0][-1])
        tutorial = rbm.reconstruction_cost(_mean_field_chain(rbm, k, True)[0][-1])
        f = function([rbm.input], [naive, tutorial] + T.grad(naive, rbm.params) + T.grad(tutorial, rbm.params))
        got = f(data)
    assert_naive_matches_tutorial(got, len(rbm.params))
