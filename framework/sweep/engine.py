"""The distributed engine behind a sweep: Dask ``distributed``.

``workers=N`` (no address) starts a :class:`distributed.LocalCluster` of N
single-threaded worker processes for the duration of the sweep -- the
embedded default, no server to run. ``address`` connects to a cluster
started with Dask's own tools (``dask scheduler`` / ``dask worker``,
``dask-jobqueue`` on Slurm, ``dask-kubernetes``...); the sweep's log
directory must then be on a path every worker sees. docs/scale.md says
why Dask and not Ray.

Dask reschedules the tasks of a worker that died on the other workers (up
to ``distributed.scheduler.allowed-failures`` times, 3 by default); a trial
resumes from its run directory's checkpoint, so nothing it had finished is
lost.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator, Optional

from .space import SweepError

__all__ = ["connect", "require", "DEFAULT_CONNECT_TIMEOUT"]

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the scheduler at ``--address`` before giving up."""


def require() -> None:
    """Fail clearly, before anything runs, when the ``sweep`` extra is not installed."""
    missing = []
    for module in ("distributed", "optuna"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise SweepError(f"`framework sweep` needs {' and '.join(missing)} (not installed): "
                         "pip install 'framework[sweep]'")


def _dask() -> Any:
    require()
    import distributed

    return distributed


@contextlib.contextmanager
def connect(workers: Optional[int] = None, address: Optional[str] = None,
            connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client``: to the cluster at ``address``, or to a local one of ``workers`` processes.

    The local cluster is stopped on the way out, whatever happened.
    """
    distributed = _dask()
    if address:
        if workers:
            raise SweepError("--workers and --address: the cluster at --address has its own workers; give one of them")
        try:
            client = distributed.Client(address, timeout=connect_timeout)
        except Exception as exc:  # noqa: BLE001 -- OSError, TimeoutError, ValueError for a malformed address...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SweepError(f"cannot reach the Dask scheduler at --address {address} within {connect_timeout:g} s "
                             f"({reason}); start one with `dask scheduler` and `dask worker ADDRESS`") from None
        try:
            if not client.nthreads():
                client.wait_for_workers(1, timeout=connect_timeout)
        except Exception:  # noqa: BLE001
            client.close()
            raise SweepError(f"the Dask scheduler at --address {address} has no workers "
                             f"(none joined within {connect_timeout:g} s); start some with `dask worker {address}`")
        try:
            yield client
        finally:
            client.close()
        return
    # The scheduler's HTTP server (health checks, the dashboard if bokeh is
    # installed) gets a free port on the loopback interface: the default,
    # 8787 on every interface, collides with any other cluster on the machine.
    n = 1 if workers is None else int(workers)
    if n < 1:
        raise SweepError(f"--workers must be >= 1, got {n}")
    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
