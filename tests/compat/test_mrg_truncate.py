"""``MRG_RandomStreams.normal(truncate=True)`` and ``truncated_normal`` (Theano 1.0): every draw
within 2 standard deviations, a fresh draw per call, Theano's standard-deviation correction."""
from __future__ import annotations

import numpy


def test_truncated_draws_stay_within_two_std():
    import theano
    from theano.sandbox.rng_mrg import MRG_RandomStreams

    srng = MRG_RandomStreams(1234)
    z = srng.normal((100000,), avg=1.0, std=3.0, truncate=True)
    t = srng.truncated_normal((50, 2000), avg=-1.0, std=2.0, dtype="float32")
    f = theano.function([], [z, t])
    a, b = f()
    assert a.dtype == theano.config.floatX and b.dtype == numpy.float32 and b.shape == (50, 2000)
    assert a.min() >= 1.0 - 6.0 and a.max() <= 1.0 + 6.0
    assert b.min() >= -1.0 - 2.0 * 2.0 / 0.8796256610342398 - 1e-5
    assert b.max() <= -1.0 + 2.0 * 2.0 / 0.8796256610342398 + 1e-5
    # Theano's construction: below the plain normal's spread, close to the truncated normal's.
    assert 2.4 < a.std() < 3.0 and abs(a.mean() - 1.0) < 0.05
    assert 1.85 < b.std() < 2.15 and abs(b.mean() + 1.0) < 0.05
    a2, _ = f()
    assert not numpy.array_equal(a, a2)


def test_untruncated_normal_is_unbounded():
    import theano
    from theano.sandbox.rng_mrg import MRG_RandomStreams

    z = MRG_RandomStreams(7).normal((200000,))
    v = theano.function([], z)()
    assert numpy.abs(v).max() > 3.0 and abs(v.std() - 1.0) < 0.02
