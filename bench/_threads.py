"""Pin BLAS to a fixed number of threads; import this before NumPy.

One thread by default: on a small shared machine, multi-threaded BLAS swings
by an order of magnitude with the load of other processes. ``--threads N`` on
the command line (or ``BENCH_THREADS``) changes it; subprocesses inherit it.
"""
import os
import sys

if "--threads" in sys.argv:
    THREADS = sys.argv[sys.argv.index("--threads") + 1]
else:
    THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BENCH_THREADS"):
    os.environ[_var] = THREADS
