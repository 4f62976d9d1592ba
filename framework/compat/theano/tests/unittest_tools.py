"""``theano.tests.unittest_tools`` (``utt``): the helpers users' own test suites import from
Theano 1.0 -- seeding (``fetch_seed``, ``seed_rng``, from ``config.unittests.rseed``, 666 by
default, ``'random'`` for a fresh seed), ``verify_grad`` that seeds NumPy's global generator
when given no ``rng``, ``assert_allclose`` with Theano's tolerances (``WrongValue`` and its
diagnostic), ``InferShapeTester`` for an op's ``infer_shape``, ``TestOptimizationMixin``'s
assertions on compiled graphs, ``MockRandomState`` and the ``AttemptManyTimes`` decorator.
"""
from __future__ import annotations

import functools
import io
import logging
import sys
import unittest
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ....config import config
from .. import compile as _compile
from ..compile import function
from ..gradient import verify_grad as _verify_grad
from ..tensor.basic import _allclose, _tolerances

__all__ = ["fetch_seed", "seed_rng", "verify_grad", "assert_allclose", "WrongValue", "str_diagnostic",
           "InferShapeTester", "TestOptimizationMixin", "MockRandomState", "AttemptManyTimes", "SkipTest"]

SkipTest = unittest.SkipTest
_logger = logging.getLogger("theano.tests.unittest_tools")

def fetch_seed(pseed: Any = None) -> Optional[int]:
    """The seed for a test: ``pseed`` if given, else ``config.unittests.rseed``; ``'random'`` (or an
    unreadable value, with a message on stderr) gives None, a fresh seed."""
    seed = pseed or config.unittests.rseed
    if seed == "random":
        return None
    try:
        return int(seed) if seed else None
    except (TypeError, ValueError):
        print("Error: config.unittests.rseed contains invalid seed, using None instead", file=sys.stderr)
        return None


def seed_rng(pseed: Any = None) -> Optional[int]:
    """Seed NumPy's global generator with :func:`fetch_seed`'s seed, and return it."""
    seed = fetch_seed(pseed)
    if pseed and pseed != seed:
        print(f"Warning: using seed given by config.unittests.rseed={seed} instead of seed {pseed} given as parameter",
              file=sys.stderr)
    np.random.seed(seed)
    return seed


def verify_grad(op: Any, pt: Sequence[Any], n_tests: int = 2, rng: Any = None, *args: Any, **kwargs: Any) -> None:
    """``theano.gradient.verify_grad``; without ``rng``, NumPy's global generator seeded by :func:`seed_rng`."""
    if rng is None:
        seed_rng()
        rng = np.random
    _verify_grad(op, pt, n_tests, rng, *args, **kwargs)


verify_grad.E_grad = _verify_grad.E_grad


def str_diagnostic(expected: Any, value: Any, rtol: Optional[float], atol: Optional[float]) -> str:
    """A several-line description of how ``value`` differs from ``expected`` (shapes, dtypes, ranges,
    NaN/Inf counts, absolute and relative differences, the tolerances used)."""
    out = io.StringIO()
    e, v = np.asarray(expected), np.asarray(value)
    for label, arr in (("Expected", e), ("Value   ", v)):
        try:
            print(f"  {label} : shape {arr.shape}, dtype {arr.dtype}, min {arr.min()}, max {arr.max()}, "
                  f"{int(np.isinf(arr).sum())} inf, {int(np.isnan(arr).sum())} nan", file=out)
        except (TypeError, ValueError):
            print(f"  {label} : {arr!r}", file=out)
    print(f"  expected : {e}", file=out)
    print(f"  value    : {v}", file=out)
    try:
        absdiff = np.absolute(v - e)
        with np.errstate(all="ignore"):
            reldiff = absdiff / (np.absolute(v) + np.absolute(e))
        for name, d in (("Abs", absdiff), ("Rel", reldiff)):
            print(f"  Max {name} Diff: {np.max(d)}  Mean {name} Diff: {np.mean(d)}  Median {name} Diff: "
                  f"{np.median(d)}  Std {name} Diff: {np.std(d)}", file=out)
    except (TypeError, ValueError):
        pass
    rtol_, atol_ = _tolerances(e, v, rtol, atol)
    print(f"  rtol, atol: {rtol_} {atol_}", file=out)
    return out.getvalue()


class WrongValue(Exception):
    """Raised by :func:`assert_allclose`; ``str()`` gives :func:`str_diagnostic`'s description."""

    def __init__(self, expected_val: Any, val: Any, rtol: Optional[float], atol: Optional[float]) -> None:
        super().__init__()
        self.val1, self.val2, self.rtol, self.atol = expected_val, val, rtol, atol

    def __str__(self) -> str:
        return "WrongValue\n" + str_diagnostic(self.val1, self.val2, self.rtol, self.atol)


def assert_allclose(val1: Any, val2: Any, rtol: Optional[float] = None, atol: Optional[float] = None) -> None:
    """Raise :class:`WrongValue` unless ``val1`` and ``val2`` are close within Theano's tolerances
    (1e-5 relative; 1e-5 absolute for float32, 1e-8 for float64) or the ones given."""
    if not _allclose(val1, val2, rtol, atol):
        raise WrongValue(val1, val2, rtol, atol)


class MockRandomState:
    """A stand-in ``RandomState`` whose draws are constant: ``rand`` gives ``val`` everywhere,
    ``randint`` the low bound when ``val`` is 0, else the highest value allowed."""

    def __init__(self, val: float) -> None:
        self.val = val

    def rand(self, *shape: int) -> np.ndarray:
        return np.zeros(shape, dtype="float64") + self.val

    def randint(self, minval: int, maxval: Optional[int] = None, size: Any = 1) -> np.ndarray:
        if maxval is None:
            minval, maxval = 0, minval
        out = np.zeros(size, dtype="int64")
        return out + (minval if self.val == 0 else maxval - 1)


def _count(f: Any, matches: Callable[[Any], bool]) -> list:
    topo = f.maker.fgraph.toposort()
    return topo, [node for node in topo if matches(node.op)]


class TestOptimizationMixin:
    """Assertions on the ops of a compiled function's graph (``f.maker.fgraph``)."""

    def assertFunctionContains(self, f: Any, op: Any, min: int = 1, max: int = sys.maxsize) -> None:  # noqa: N802,A002
        topo, found = _count(f, lambda o: o == op)
        assert min <= len(found) <= max, (topo, found, str(op), len(found), min, max)

    def assertFunctionContains0(self, f: Any, op: Any) -> None:  # noqa: N802
        self.assertFunctionContains(f, op, min=0, max=0)

    def assertFunctionContains1(self, f: Any, op: Any) -> None:  # noqa: N802
        self.assertFunctionContains(f, op, min=1, max=1)

    def assertFunctionContainsN(self, f: Any, op: Any, N: int) -> None:  # noqa: N802,N803
        self.assertFunctionContains(f, op, min=N, max=N)

    def assertFunctionContainsClass(self, f: Any, op: type, min: int = 1, max: int = sys.maxsize) -> None:  # noqa: N802,A002
        topo, found = _count(f, lambda o: isinstance(o, op))
        assert min <= len(found) <= max, (topo, found, str(op), len(found), min, max)

    def assertFunctionContainsClassN(self, f: Any, op: type, N: int) -> None:  # noqa: N802,N803
        self.assertFunctionContainsClass(f, op, min=N, max=N)

    def SkipTest(self, msg: str = "Skip this test") -> None:  # noqa: N802
        raise SkipTest(msg)


class InferShapeTester(unittest.TestCase):
    """Base class for testing an op's ``infer_shape``: :meth:`_compile_and_check` compiles the
    outputs and their shapes, checks that the op is gone from the shapes' graph (its shape was
    inferred, not computed) but present in the outputs' graph, and that the shapes agree with the
    values' on ``numeric_inputs``."""

    def setUp(self) -> None:
        seed_rng()
        mode = getattr(self, "mode", None)
        if mode is None:
            mode = _compile.get_default_mode()
        self.mode = _compile.get_mode(mode).including("canonicalize")

    def _compile_and_check(self, inputs: Sequence[Any], outputs: Sequence[Any], numeric_inputs: Sequence[Any],
                           cls: type, excluding: Optional[Sequence[str]] = None, warn: bool = True,
                           check_topo: bool = True) -> None:
        mode = self.mode
        if excluding:
            mode = mode.excluding(*excluding)
        if warn:
            for var, value in zip(inputs, numeric_inputs):
                shape = getattr(np.asarray(value), "shape", ())
                static = getattr(var.type, "shape", (None,) * len(shape))
                sizes = [d for d, s in zip(shape, static) if s != 1]
                if len(set(sizes)) != len(sizes):
                    _logger.warning("While testing the shape inference, we received an input with a shape that has "
                                    "some repeated values: %s, like a square matrix. This makes it impossible to "
                                    "check if the values for these dimensions have been correctly used, or if they "
                                    "have been mixed up.", shape)
                    break
        outputs_function = function(inputs, outputs, mode=mode)
        shapes_function = function(inputs, [o.shape for o in outputs], mode=mode)
        if check_topo:
            topo_shape = shapes_function.maker.fgraph.toposort()
            assert not any(isinstance(t.op, cls) for t in topo_shape), (
                f"{cls.__name__} is still computed in the graph of the outputs' shapes: its infer_shape was not used")
        topo_out = outputs_function.maker.fgraph.toposort()
        assert any(isinstance(t.op, cls) for t in topo_out), (
            f"{cls.__name__} is not in the compiled graph of the outputs")
        numeric_outputs = outputs_function(*numeric_inputs)
        numeric_shapes = shapes_function(*numeric_inputs)
        for out, shape in zip(numeric_outputs, numeric_shapes):
            assert np.all(np.shape(out) == np.asarray(shape)), (np.shape(out), shape)


class AttemptManyTimes:
    """A decorator that runs a test up to ``n_attempts`` times, each with another
    ``config.unittests.rseed``, and passes when it succeeds ``n_req_successes`` times."""

    def __init__(self, n_attempts: int, n_req_successes: int = 1) -> None:
        if n_attempts < n_req_successes:
            raise ValueError(f"AttemptManyTimes: n_attempts ({n_attempts}) < n_req_successes ({n_req_successes})")
        self.n_attempts = n_attempts
        self.n_req_successes = n_req_successes

    def __call__(self, fct: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fct)
        def attempt_multiple_times(*args: Any, **kwargs: Any) -> None:
            original = config.unittests.rseed
            seed = fetch_seed() or 0
            in_class = len(args) == 1 and hasattr(args[0], "_testMethodName")
            failures = successes = 0
            try:
                for _ in range(self.n_attempts):
                    config.unittests.rseed = str(seed)
                    try:
                        if in_class and hasattr(args[0], "setUp"):
                            args[0].setUp()
                        fct(*args, **kwargs)
                        successes += 1
                        if successes == self.n_req_successes:
                            return
                    except Exception:
                        failures += 1
                        if failures + self.n_req_successes > self.n_attempts:
                            raise
                    seed += 1
            finally:
                config.unittests.rseed = original

        return attempt_multiple_times


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
