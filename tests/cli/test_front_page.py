"""What a newcomer meets first: the README's commands, `framework --version`, the MNIST hint."""
import re
import shlex

import pytest

import framework
from framework import cli

from .conftest import REPO_ROOT, run_script


def _readme_commands():
    """Every `framework ...` line of the README's bash blocks, without its comment."""
    text = (REPO_ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            for prefix in (".venv/bin/framework ", "framework "):
                if line.startswith(prefix):
                    commands.append(shlex.split(line)[1:])
    return commands


def test_readme_starts_with_its_title_and_names_the_license():
    text = (REPO_ROOT / "README.md").read_text()
    assert text.startswith("# framework\n")
    assert "make run" in text and "make test" in text and "source .venv/bin/activate" in text
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("argv", _readme_commands(), ids=" ".join)
def test_every_readme_command_parses(argv):
    """A command the README shows exists with those options (run for real elsewhere)."""
    if "--help" in argv or "--version" in argv:
        return  # these exit; checked below
    args = cli.build_parser().parse_args(argv)
    assert getattr(args, "_handler", None) is not None


def test_readme_links_point_to_files():
    text = (REPO_ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if "://" not in target:
            assert (REPO_ROOT / target).exists(), f"README links to missing {target}"


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"framework {framework.__version__} (Python ")


def test_version_of_the_installed_command():
    proc = run_script("--version", timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("framework ")


def test_mnist_hint_points_to_where_mnist_is_distributed(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run("train", "rbm", "--dataset", "mnist", "--logdir", tmp_path / "run")
    assert status == 1
    assert "deeplearning.net/data" not in err
    assert "train-images-idx3-ubyte.gz" in err and "https://" in err and "mnist.pkl.gz" in err
