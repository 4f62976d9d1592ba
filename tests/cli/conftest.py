"""Helpers for the command-line tests: run `framework ...` and read what it logged."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from framework import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "framework"


@pytest.fixture
def run(capsys):
    """``run(*argv) -> (status, stdout, stderr)``: the command, in this process."""

    def call(*argv: str) -> Tuple[int, str, str]:
        status = cli.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call


def run_script(*argv: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """The installed console script (or ``python -m framework.cli``) in a subprocess."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "framework.cli"]
    env = dict(os.environ)
    env.pop("FRAMEWORK_TRACEBACK", None)
    return subprocess.run(command + [str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def read_events(logdir):
    """TensorBoard's own reader over ``logdir`` (every event kept)."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def png_size(path) -> Tuple[int, int]:
    """``(width, height)`` of a PNG, after checking that Pillow can decode all of it."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def steps(accumulator, tag: str) -> List[int]:
    return [event.step for event in accumulator.Scalars(tag)]
