"""A pickle made on one device loads on another: compiled functions are re-linked for the backend
of the loading process. Without a GPU this runs the CuPy backend on the CPU stand-in for CuPy
(tests/backend_cupy/fakecupy); on a GPU machine with CuPy the same test uses the real device."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "tests" / "backend_cupy" / "fakecupy"
CXX = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")

pytestmark = pytest.mark.skipif(CXX is None, reason="the CuPy stand-in compiles kernels with a host C++ compiler")

SAVE = textwrap.dedent("""
    import pickle, sys, numpy as np
    import framework.compat.theano as c; c.install()
    import theano, theano.tensor as T
    from theano.tensor.shared_randomstreams import RandomStreams
    x, y = T.dmatrix('x'), T.dvector('y')
    w = theano.shared(np.zeros(3), name='w')
    p = T.nnet.sigmoid(T.dot(x, w))
    cost = T.nnet.binary_crossentropy(p, y).mean()
    train = theano.function([x, y], cost, updates=[(w, w - 0.5 * theano.grad(cost, w))])
    srng = RandomStreams(7)
    draw = theano.function([], srng.uniform((3,)))
    X, Y = np.array([[1.0, 0, 1], [0, 1, 0]]), np.array([1.0, 0])
    train(X, Y)
    print(train.maker.backend.device)
    with open(sys.argv[1], 'wb') as fh:
        pickle.dump({'w': w, 'train': train, 'draw': draw, 'X': X, 'Y': Y}, fh)
""")

LOAD = textwrap.dedent("""
    import pickle, sys, warnings, numpy as np
    import framework.compat.theano as c; c.install()
    import theano
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with open(sys.argv[1], 'rb') as fh:
            m = pickle.load(fh)
    before = m['w'].get_value()
    m['train'](m['X'], m['Y'])
    after = m['w'].get_value()
    print(m['train'].maker.backend.device, not np.allclose(before, after), m['draw']().shape)
    print(' '.join('%.10f' % v for v in after))
""")


def _run(code: str, path: Path, device: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(FAKE)] if device == "cuda" else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["FRAMEWORK_FLAGS"] = f"device={device}"
    return subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("saved_on,loaded_on", [("cpu", "cuda"), ("cuda", "cpu")])
def test_a_pickle_moves_between_devices(tmp_path, saved_on, loaded_on):
    path = tmp_path / "model.pkl"
    saved = _run(SAVE, path, saved_on)
    assert saved.returncode == 0, saved.stderr[-3000:]
    assert saved.stdout.split()[0].startswith(saved_on)
    loaded = _run(LOAD, path, loaded_on)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    first, second = loaded.stdout.splitlines()
    device, changed, shape = first.split(" ", 2)
    assert device.startswith(loaded_on) and changed == "True" and shape == "(3,)"
    same = _run(LOAD, path, saved_on)  # the same pickle, loaded where it was made: the same weights
    assert same.returncode == 0, same.stderr[-3000:]
    assert [float(v) for v in same.stdout.splitlines()[1].split()] == pytest.approx(
        [float(v) for v in second.split()], rel=1e-9)
