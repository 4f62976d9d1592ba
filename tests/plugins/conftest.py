"""Helpers for plugin tests: isolated registries, fake and real entry points.

``entry_points`` (fixture) gives each test a fresh plugin manager that reads
its entry points from a list the test fills. ``make_dist`` writes a real,
throw-away distribution whose entry point ``importlib.metadata`` finds once
its folder is on ``PYTHONPATH``; ``run_python`` runs code in a subprocess
with such folders on the path.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, List

import pytest

import framework.plugins as plugins
from framework.plugins import manager

REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeEntryPoint:
    """Stands in for ``importlib.metadata.EntryPoint``: ``load()`` returns
    ``obj`` or raises it if it is an exception; ``loads`` counts the calls."""

    def __init__(self, name: str, obj: Any, version: str | None = None) -> None:
        self.name, self.value, self._obj, self.loads = name, f"fake:{name}", obj, 0
        self.dist = type("Dist", (), {"version": version})() if version else None

    def load(self) -> Any:
        self.loads += 1
        if isinstance(self._obj, BaseException):
            raise self._obj
        return self._obj


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> List[FakeEntryPoint]:
    """A fresh plugin manager whose entry points are the returned list.

    Append :class:`FakeEntryPoint` objects before the first getter call.
    ``FRAMEWORK_DISABLE_PLUGINS`` is cleared; set it with ``monkeypatch``.
    """
    found: List[FakeEntryPoint] = []
    monkeypatch.setattr(manager, "discover", lambda: found)
    monkeypatch.delenv(manager.DISABLE_ENV, raising=False)
    plugins.reset()
    yield found
    plugins.reset()


def make_dist(tmp_path: Path, name: str, version: str, module_source: str,
              entry_point: str | None = None) -> Path:
    """Write distribution ``name`` (module ``name.py``) into ``tmp_path``.

    It declares one entry point in the ``framework.plugins`` group (named
    ``entry_point``, default ``name``) pointing at the module. Returns
    ``tmp_path``, the folder to put on ``PYTHONPATH``; several distributions
    can share it.
    """
    info = tmp_path / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        f"[{manager.GROUP}]\n{entry_point or name} = {name}\n")
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(module_source))
    return tmp_path


def run_python(code: str, *paths: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with ``paths`` (and the repo) on
    ``PYTHONPATH`` and extra environment ``env``; fail with its stderr if it fails."""
    environ = {k: v for k, v in os.environ.items() if k != manager.DISABLE_ENV}
    environ["PYTHONPATH"] = os.pathsep.join([*map(str, paths), str(REPO_ROOT)])
    environ.update(env)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    return proc
