"""The NumPy backend keeps freed temporaries' pages mapped (glibc allocator settings, memory.py):
applied once per process when the backend is created, switchable off, never over the user's own
MALLOC_* settings; results never change."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

glibc_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")

_PROBE = """
import json, resource, warnings
import numpy as np
import framework.tensor as T
from framework import function
import framework_backend_numpy.memory as m
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    z, t = T.dvector("z"), T.dvector("t")
    p = T.nnet.sigmoid(z)
    f = function([z, t], T.mean(-t * T.log(p) - (1 - t) * T.log(1 - p)))  # two 8 MB temporaries a call
    x = np.random.RandomState(0).randn(10 ** 6); y = (x > 0) * 1.0
    first = float(f(x, y)); f(x, y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        f(x, y)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5
print(json.dumps({"tuned": m._done, "value": first, "faults": faults,
                  "warnings": [str(w.message) for w in caught if "FRAMEWORK_MALLOC_TUNE" in str(w.message)]}))
"""


def _run(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "FRAMEWORK_MALLOC_TUNE"))}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=full, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_backend_module_is_importable_as_used_here():
    import framework_backend_numpy.memory as m

    assert callable(m.tune_allocator)


@glibc_linux
def test_on_by_default_off_by_switch_and_the_same_results():
    on, off = _run(), _run(FRAMEWORK_MALLOC_TUNE="0")
    assert on["tuned"] is True and off["tuned"] is False
    assert on["value"] == off["value"]  # only where malloc finds memory changes
    assert on["faults"] < 100  # the temporaries' pages stayed mapped (without: hundreds a call)
    assert not on["warnings"] and not off["warnings"]


@glibc_linux
def test_the_users_own_malloc_settings_win_and_a_garbled_switch_warns():
    assert _run(MALLOC_TRIM_THRESHOLD_="1000000")["tuned"] is False
    garbled = _run(FRAMEWORK_MALLOC_TUNE="banana")
    assert garbled["tuned"] is False and any("banana" in w for w in garbled["warnings"])
    assert _run(FRAMEWORK_MALLOC_TUNE="yes")["tuned"] is True


def test_idempotent_in_this_process():
    import framework_backend_numpy.memory as m

    first = m.tune_allocator()
    assert m.tune_allocator() is first
    a = np.arange(10.0)
    assert float((a * 2).sum()) == 90.0
