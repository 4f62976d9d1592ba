"""Constructs of the Deep Learning Tutorials (lisa-lab/DeepLearningTutorials, ``code/``), each
reproduced in a few lines of our own: the tutorials themselves ran unmodified on synthetic data
(docs/theano.md, "The Deep Learning Tutorials"); these keep what they rely on working."""
from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np

import framework.compat.theano as _compat

_compat.install()  # the session fixture does too; the imports below need it first

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_theano_program(source: str, **flags: str) -> subprocess.CompletedProcess:
    """Runs ``source`` as a Theano program in a fresh process (``import theano`` changes NumPy's
    process-wide error settings, as in Theano), with ``-W error`` so any warning fails it."""
    env = dict(os.environ, THEANO_FLAGS=",".join(f"{k}={v}" for k, v in flags.items()))
    code = "import framework.compat.theano as c; c.install()\n" + textwrap.dedent(source)
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


# --- `import theano` sets numpy.seterr(all='ignore'), Theano 1.0's config.numpy.seterr_all default ------

def test_import_theano_silences_numpy_floating_point_warnings_as_theano_does():
    """rnnrbm's monitor ``xlogy0(v, mean_v)`` and dA's ``T.log(z)`` meet log(0) once a sigmoid
    saturates; under Theano (which runs ``numpy.seterr(all='ignore')`` when imported) that is a
    silent ``-inf``, in the graph and in the program's own NumPy code alike."""
    proc = _run_theano_program("""
        import numpy, theano, theano.tensor as T
        v = T.vector()
        f = theano.function([v], [T.xlogx.xlogy0(1 - v, v), T.log(v), 1 / v])
        out = f(numpy.array([0.0, 1.0]))
        assert out[0][0] == -numpy.inf and out[1][0] == -numpy.inf and out[2][0] == numpy.inf, out
        assert numpy.log(numpy.zeros(1))[0] == -numpy.inf         # the program's own NumPy too
        assert numpy.geterr() == dict(divide='ignore', over='ignore', under='ignore', invalid='ignore')
        c.uninstall()                                             # puts NumPy's settings back
        assert numpy.geterr()['divide'] == 'warn', numpy.geterr()
        print('ok')
    """)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_numpy_seterr_flags_choose_what_import_theano_sets():
    """``THEANO_FLAGS=numpy.seterr_divide=raise`` (Theano's way to hunt a NaN) makes a log(0) in a
    compiled function raise, naming the op; a value numpy.seterr does not know is refused."""
    proc = _run_theano_program("""
        import numpy, theano, theano.tensor as T
        v = T.vector()
        try:
            theano.function([v], T.log(v))(numpy.array([0.0]))
        except FloatingPointError as exc:
            assert "log" in str(exc), exc
            print('raised')
        assert numpy.geterr()['over'] == 'ignore'                 # seterr_all still sets the others
    """, **{"numpy.seterr_divide": "raise"})
    assert proc.returncode == 0 and proc.stdout.strip() == "raised", proc.stderr
    proc = _run_theano_program("import theano", **{"numpy.seterr_all": "banana"})
    assert proc.returncode != 0 and "numpy.seterr_all must be one of" in proc.stderr


# --- rnnslu.py: best_rnn = copy.deepcopy(rnn), then training goes on with the copy ---------------------

def _elman(seed: int):
    """A small Elman model as rnnslu's RNNSLU builds it: embeddings indexed by a matrix of context
    windows, a scan over words, a softmax of a vector per step, one SGD update per sentence."""
    rng = np.random.RandomState(seed)

    class Model:
        pass

    m = Model()
    m.emb = theano.shared(rng.uniform(-1, 1, (6, 2)), name="emb")
    m.wx = theano.shared(rng.uniform(-1, 1, (6, 3)), name="wx")
    m.w = theano.shared(rng.uniform(-1, 1, (3, 4)), name="w")
    m.h0 = theano.shared(np.zeros(3), name="h0")
    params = [m.emb, m.wx, m.w, m.h0]
    idxs, y, lr = T.imatrix(), T.ivector(), T.scalar()
    x = m.emb[idxs].reshape((idxs.shape[0], 6))

    def step(x_t, h_tm1):
        h_t = T.tanh(T.dot(x_t, m.wx) + h_tm1)
        return [h_t, T.nnet.softmax(T.dot(h_t, m.w))]

    [_, s], _ = theano.scan(step, sequences=x, outputs_info=[m.h0, None], n_steps=x.shape[0])
    p = s[:, 0, :]                                     # Theano's softmax of a vector is a 1xn row
    nll = -T.mean(T.log(p)[T.arange(x.shape[0]), y])
    m.classify = theano.function([idxs], T.argmax(p, axis=1))
    m.train = theano.function([idxs, y, lr], nll, updates=[(q, q - lr * g) for q, g in zip(params, T.grad(nll, params))])
    m.nll = theano.function([idxs, y], nll)
    return m


def _windows(words):
    """rnnslu's contextwin with a window of 3: -1 pads, i.e. the last embedding row."""
    padded = [-1] + list(words) + [-1]
    return [np.asarray(padded[i:i + 3], dtype="int32") for i in range(len(words))]


def test_deepcopy_of_a_model_copies_its_shared_parameters_and_functions():
    """``best_rnn = copy.deepcopy(rnn)`` (rnnslu.main) keeps the best model; after a learning-rate
    decay ``rnn = best_rnn`` trains on. The copy's functions must read and update the copy's
    parameters, and training either one must leave the other as it was."""
    rnn = _elman(0)
    words, labels = _windows([0, 3, 1, 4]), np.array([1, 0, 3, 2], "int32")
    best = copy.deepcopy(rnn)
    before = rnn.emb.get_value().copy()
    assert best.emb is not rnn.emb and np.array_equal(best.emb.get_value(), before)
    first = best.nll(words, labels)
    for _ in range(30):
        best.train(words, labels, 0.5)          # a list of int32 arrays is the imatrix, as rnnslu passes it
    assert best.nll(words, labels) < first / 2
    assert np.array_equal(rnn.emb.get_value(), before) and rnn.nll(words, labels) == first
    best.w.set_value(np.zeros((3, 4)))          # the copy's classify reads the copy's weights
    best.h0.set_value(np.zeros(3))
    assert (best.classify(words) == 0).all() and not np.array_equal(rnn.w.get_value(), best.w.get_value())


# --- logistic_sgd.py: pickle.dump(classifier) of the best model, then predict() from the pickle ---------

class LogisticRegression:
    """The tutorial's model in brief: softmax regression whose object holds its graph."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(np.zeros((n_in, n_out)), name="W", borrow=True)
        self.b = theano.shared(np.zeros(n_out), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.input = input


def test_a_pickled_model_object_compiles_a_predictor_from_its_input(tmp_path):
    """logistic_sgd's ``predict()``: the whole LogisticRegression object (its symbolic input,
    shared W and b and the graph of ``y_pred``) is pickled during training; after loading,
    ``theano.function([classifier.input], classifier.y_pred)`` must predict with the saved weights."""
    rng = np.random.RandomState(1)
    classifier = LogisticRegression(T.matrix("x"), 5, 3)
    classifier.W.set_value(rng.randn(5, 3))
    data = rng.randn(7, 5)
    expected = np.argmax(data @ classifier.W.get_value(), axis=1)
    path = tmp_path / "best_model.pkl"
    with open(path, "wb") as f:
        pickle.dump(classifier, f)
    with open(path, "rb") as f:
        loaded = pickle.load(f)
    predict_model = theano.function(inputs=[loaded.input], outputs=loaded.y_pred)
    assert predict_model(data).tolist() == expected.tolist()
