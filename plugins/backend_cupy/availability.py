"""Whether the CuPy backend can run here, and if not, why (never raises).

``BackendSpec.available`` is an :class:`Availability` object: calling it
answers True or False; ``reason()`` says, in words a user can act on, why
the backend is unavailable. The kernel's ``get_backend`` shows that reason in
its error, e.g.::

    device 'cuda' needs backend 'cupy' (plugin 'backend_cupy'), which is not
    available on this machine: CuPy is not installed (pip install 'framework[cuda13]', or 'framework[cuda12]' for a CUDA 12 driver)

The probe runs once per process (importing CuPy is not free) and is cached;
:meth:`Availability.reset` forgets it (tests).
"""
from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import Any, Optional, Tuple

INSTALL_HINT = "pip install 'framework[cuda13]', or 'framework[cuda12]' for a CUDA 12 driver"


def probe_cupy() -> Tuple[bool, str, Optional[Any]]:
    """(available, reason, the cupy module or None) -- never raises."""
    try:
        if importlib.util.find_spec("cupy") is None:
            return False, f"CuPy is not installed ({INSTALL_HINT})", None
    except (ImportError, ValueError):  # a broken or shadowed package
        return False, f"CuPy is not installed ({INSTALL_HINT})", None
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as exc:
        return False, f"CuPy is installed but failed to import: {exc} (reinstall it: {INSTALL_HINT})", None
    except Exception as exc:  # CuPy raises various errors when the CUDA libraries are broken
        return False, f"CuPy is installed but failed to import: {type(exc).__name__}: {exc}", None
    try:
        ok = bool(cupy.cuda.is_available())
    except Exception as exc:
        return False, f"CuPy could not query the CUDA driver: {type(exc).__name__}: {exc}", cupy
    if not ok:
        detail = ""
        try:
            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:
            detail = f" ({type(exc).__name__}: {exc})"
        return False, f"CuPy is installed but no CUDA GPU is usable (cupy.cuda.is_available() is False){detail}", cupy
    return True, "", cupy


class Availability:
    """Callable ``available()`` of the CuPy backend with a ``reason()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._result: Optional[Tuple[bool, str, Optional[Any]]] = None

    def _probe(self) -> Tuple[bool, str, Optional[Any]]:
        with self._lock:
            if self._result is None:
                try:
                    self._result = probe_cupy()
                except BaseException as exc:  # never let a probe take the kernel down
                    self._result = (False, f"probing CuPy failed: {type(exc).__name__}: {exc}", None)
            return self._result

    def __call__(self) -> bool:
        return self._probe()[0]

    def reason(self) -> str:
        """Why the backend is unavailable ('' when it is available)."""
        return self._probe()[1]

    def module(self) -> Any:
        """The imported ``cupy`` module (only meaningful when available)."""
        return self._probe()[2]

    def reset(self) -> None:
        """Probe again on the next call (after installing CuPy, or in tests)."""
        with self._lock:
            self._result = None

    def __repr__(self) -> str:
        if self._result is None:
            return "<cupy availability: not probed yet>"
        ok, why, _ = self._result
        return "<cupy availability: available>" if ok else f"<cupy availability: unavailable: {why}>"


available = Availability()
"""The one probe of this process (``BackendSpec.available`` of the plugin)."""
