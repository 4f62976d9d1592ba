"""The documentation runs: every ```python block of docs/*.md and every script in docs/examples/.

The blocks of one page run in order in one fresh interpreter (a page builds on
its earlier blocks, as a reader does), in a temporary directory; a block that
is not meant to run is fenced as ```text. A failure names the page and the
block.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
FENCE = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)

# Runs a page's blocks in order in one namespace; says which block failed.
RUNNER = r"""
import re, sys, traceback
path = sys.argv[1]
blocks = re.findall(r"^```python\n(.*?)^```", open(path, encoding="utf-8").read(), flags=re.S | re.M)
namespace = {"__name__": "__main__"}
for number, block in enumerate(blocks, 1):
    try:
        exec(compile(block, f"{path}, python block {number}", "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"{path}: python block {number} of {len(blocks)} failed")
"""

# Scripts with their arguments: small enough to run in the default suite, the same code paths.
SCRIPT_ARGUMENTS = {
    "logistic_tutorial.py": ["200"],          # 200 gradient steps instead of 10000
    "rbm_tutorial.py": ["digits", "20", "1"],  # 20 hidden units, 1 epoch; default output folder
}


def _pages():
    pages = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]
    return [p for p in pages if FENCE.search(p.read_text(encoding="utf-8"))]


def _run(command, cwd, timeout=600):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_every_python_block_of_the_page_runs(page, tmp_path):
    proc = _run([sys.executable, "-c", RUNNER, str(page)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_the_pages_that_must_run_have_python_blocks():
    names = {p.name for p in _pages()}
    assert {"README.md", "index.md", "models.md", "scan.md", "monitoring.md", "plugins.md"} <= names


def test_the_readme_example_prints_what_the_readme_says(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## In a script"):]
    code = FENCE.search(section).group(1)
    shown = re.search(r"^prints\n\n```text\n(.*?)^```", section, flags=re.S | re.M).group(1)
    proc = _run([sys.executable, "-c", code], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_example_script_runs(script, tmp_path):
    proc = _run([sys.executable, str(script), *SCRIPT_ARGUMENTS.get(script.name, [])], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # whatever a script writes stays under runs/, which .gitignore covers
    assert {p.name for p in tmp_path.iterdir()} <= {"runs"}
    assert "runs/" in (ROOT / ".gitignore").read_text().split()
    if script.name == "rbm_tutorial.py":
        assert (tmp_path / "runs" / "rbm_plots" / "samples.png").exists()


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")) + [ROOT / "README.md"], ids=lambda p: p.name)
def test_every_relative_link_of_the_page_resolves(page):
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # links inside code are not links
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
