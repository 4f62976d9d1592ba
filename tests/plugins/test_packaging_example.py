"""docs/plugins.md's packaging example installs as documented.

The test builds the folder the page describes -- its ``pyproject.toml``,
``framework_cube.py`` and ``test_cube.py``, taken from the page itself -- and
``pip install``s it into a fresh virtual environment, then checks that
``framework plugins`` lists the plugin and that the page's tests pass there.
The new environment sees this one's packages through a ``.pth`` file and
gets only the plugin installed into it (pip fetches the build backend the
page's ``[build-system]`` names, as it does for ``make``'s install).
"""
from __future__ import annotations

import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "plugins.md"


def _block(language: str, first_line: str = "", after: str = "") -> str:
    """The first ``language`` block of the page (after the heading ``after``) starting with ``first_line``."""
    text = PAGE.read_text(encoding="utf-8")
    if after:
        text = text[text.index(after):]
    for body in re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
        if body.startswith(first_line):
            return body
    raise AssertionError(f"docs/plugins.md has no {language} block starting with {first_line!r}")


def _run(command, **kwargs):
    proc = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, command))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_the_documented_plugin_folder_pip_installs_and_is_listed(tmp_path):
    folder = tmp_path / "framework-cube"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(_block("toml", after="## Packaging"))
    (folder / "framework_cube.py").write_text(_block("python", "# framework_cube.py\n"))  # the complete example, not the short row
    (folder / "test_cube.py").write_text(_block("python", "# test_cube.py"))

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # addsitedir (not a bare path) so that the .pth files there -- framework's editable install -- run too
    (purelib / "outer.pth").write_text("".join(f"import site; site.addsitedir({d!r})\n" for d in site.getsitepackages()))

    # pip install ./framework-cube, as the page says (framework itself comes through the .pth file)
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", folder])
    assert list(purelib.glob("framework_cube-1.2.3*.dist-info")), "the plugin was not installed into the venv"
    assert not (purelib / "test_cube.py").exists()  # only the plugin module is installed

    listing = _run([python, "-m", "framework.cli", "plugins"], cwd=tmp_path).stdout
    assert re.search(r"^cubeplug\s+1\.2\.3\s+loaded", listing, flags=re.M), listing
    assert "ops: cube" in listing and "kernels: cube@numpy" in listing
    _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_cube.py"], cwd=folder)
