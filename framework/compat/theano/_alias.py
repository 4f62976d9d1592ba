"""Making ``import theano`` resolve to :mod:`framework.compat.theano`.

Nothing is installed as a top-level ``theano`` package: :func:`install` adds an
import hook that maps ``theano`` and ``theano.X.Y`` to
``framework.compat.theano`` and ``framework.compat.theano.X.Y`` (the very same
module objects, so ``theano.tensor is framework.compat.theano.tensor``).
:func:`run_script` is what ``framework theano script.py`` and
``python -m framework.compat.theano script.py`` do.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import warnings
from typing import List, Optional, Sequence

_PREFIX = "framework.compat."


class _Loader(importlib.abc.Loader):
    """Hands back the already imported compat module for a ``theano.*`` name."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):  # noqa: D401 -- importlib protocol
        module = importlib.import_module(self.target)
        if spec.name == "theano":
            _apply_numpy_seterr()
        return module

    def exec_module(self, module) -> None:
        pass  # the compat module ran when create_module imported it


class TheanoFinder(importlib.abc.MetaPathFinder):
    """Resolves ``theano`` and its submodules to the compatibility layer."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "theano" and not fullname.startswith("theano."):
            return None
        real = _PREFIX + fullname
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: framework's Theano compatibility layer does not provide it "
                "(docs/theano.md lists what it provides and what differs)", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(real), is_package=found.submodule_search_locations
                                              is not None)


_FINDER: Optional[TheanoFinder] = None
_NUMPY_ERR_BEFORE: Optional[dict] = None  # NumPy's settings before ``import theano`` changed them

# config option -> numpy.seterr keyword; Theano 1.0's defaults are all='ignore', the others 'None'
_SETERR_OPTIONS = {"numpy.seterr_all": "all", "numpy.seterr_divide": "divide", "numpy.seterr_over": "over",
                   "numpy.seterr_under": "under", "numpy.seterr_invalid": "invalid"}


def _apply_numpy_seterr() -> None:
    """``import theano`` sets NumPy's floating-point error handling from ``config.numpy.seterr_*``,
    as Theano 1.0's ``theano/__init__.py`` does: by default ``numpy.seterr(all='ignore')``, so a
    Theano program prints no "divide by zero encountered in log" (from its graphs or from its own
    NumPy code) that it would not print under Theano. ``'None'`` leaves a kind as it is;
    :func:`uninstall` puts NumPy's previous settings back."""
    global _NUMPY_ERR_BEFORE
    import numpy

    from ...config import config

    chosen = {kw: getattr(config, opt) for opt, kw in _SETERR_OPTIONS.items()}  # validated when set
    before = numpy.seterr(**{kw: None if value == "None" else value for kw, value in chosen.items()})
    if _NUMPY_ERR_BEFORE is None:
        _NUMPY_ERR_BEFORE = before


def real_theano() -> Optional[str]:
    """Where a real Theano installation is, if one is importable (None otherwise)."""
    spec = importlib.machinery.PathFinder.find_spec("theano")
    if spec is None:
        return None
    return spec.origin or ", ".join(spec.submodule_search_locations or []) or "?"


def install(use_real_theano: bool = False) -> str:
    """Make ``import theano`` give framework's Theano 1.0 compatibility layer.

    Returns which Theano ``import theano`` now gives. When a real Theano is
    importable too, a warning names it; ``use_real_theano=True`` leaves such a
    real Theano in charge (and installs nothing). Also applies ``THEANO_FLAGS``
    (Theano's spelling of ``FRAMEWORK_FLAGS``) to :data:`framework.config`.
    """
    global _FINDER
    real = real_theano()
    if real is not None and use_real_theano:
        return f"real Theano at {real}"
    loaded = sys.modules.get("theano")
    if loaded is not None and not getattr(loaded, "__name__", "").startswith(_PREFIX):
        raise ImportError(f"a real Theano ({getattr(loaded, '__file__', '?')}) is already imported in this process; "
                          "call framework.compat.theano.install() before anything imports theano")
    if real is not None:
        warnings.warn(f"a real Theano is importable at {real}; `import theano` now gives framework's "
                      "compatibility layer instead (install(use_real_theano=True) keeps the real one)", stacklevel=2)
    if _FINDER is None:
        _FINDER = TheanoFinder()
        sys.meta_path.insert(0, _FINDER)
        _apply_theano_flags()
    return "framework.compat.theano (framework's Theano 1.0 compatibility layer)"


def uninstall() -> None:
    """Undo :func:`install`: forget the hook and the ``theano`` modules it made, and put back
    NumPy's floating-point error settings from before ``import theano``."""
    global _FINDER, _NUMPY_ERR_BEFORE
    if _FINDER is not None:
        sys.meta_path[:] = [f for f in sys.meta_path if f is not _FINDER]
        _FINDER = None
    if _NUMPY_ERR_BEFORE is not None:
        import numpy

        numpy.seterr(**_NUMPY_ERR_BEFORE)
        _NUMPY_ERR_BEFORE = None
    for name in [n for n in sys.modules if n == "theano" or n.startswith("theano.")]:
        if getattr(sys.modules[name], "__name__", "").startswith(_PREFIX):
            del sys.modules[name]


def _apply_theano_flags() -> None:
    from ...config import config

    flags = os.environ.get("THEANO_FLAGS", "")
    for item in filter(None, (s.strip() for s in flags.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"THEANO_FLAGS: expected name=value, got {item!r}")
        config._set(key.strip(), value.strip(), source="THEANO_FLAGS")


def run_script(argv: Sequence[str]) -> int:
    """Run ``argv[0]`` (a Theano program) with ``argv[1:]`` as its arguments, as ``python`` would."""
    if not argv:
        raise SystemExit("usage: framework theano SCRIPT.py [ARGS...]  (runs a Theano 1.0 program on framework)")
    script = argv[0]
    if not os.path.exists(script):
        raise FileNotFoundError(2, "no such Theano script", script)
    install()
    old_argv, old_path0 = list(sys.argv), sys.path[0] if sys.path else None
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.argv = old_argv
        if sys.path and sys.path[0] != old_path0:
            sys.path.pop(0)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m framework.compat.theano script.py [args]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m framework.compat.theano SCRIPT.py [ARGS...]\n\n"
              "Runs an unmodified Theano 1.0 program on framework: `import theano` gives framework's\n"
              "compatibility layer; THEANO_FLAGS is read like FRAMEWORK_FLAGS. See docs/theano.md.")
        return 0 if args else 2
    return run_script(args)
