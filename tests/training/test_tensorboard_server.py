"""A training run as the TensorBoard server shows it: every dashboard finds its data.

Starts the real ``tensorboard`` program on a run directory and asks it, over
HTTP, what the Scalars, Images, Graphs, Custom Scalars and HParams
dashboards would draw (the same requests the web page makes). Slow: the
server takes seconds to start.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from framework import cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read().decode())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``(port, run name)``: the real TensorBoard serving a freshly trained RBM run."""
    program = Path(sys.executable).parent / "tensorboard"
    if not program.exists():
        pytest.skip("the tensorboard program is not installed (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("tensorboard")
    logdir = root / "digits"
    status = cli.main(["train", "rbm", "--epochs", "2", "--n-samples", "2", "--plot-every", "10",
                       "--ais-runs", "20", "--ais-betas", "100", "--logdir", str(logdir)])
    assert status == 0
    port = _free_port()
    server = subprocess.Popen([str(program), "--logdir", str(root), "--port", str(port), "--host", "127.0.0.1",
                               "--load_fast=false"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if "rbm/test_log_likelihood_high" in _get(port, "/data/plugin/scalars/tags")["digits"]:
                    break
            except (OSError, KeyError, ValueError):
                pass
            assert server.poll() is None, "tensorboard exited"
            assert time.monotonic() < deadline, "tensorboard did not serve the run in time"
            time.sleep(0.5)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_every_dashboard_finds_the_runs_data(served):
    port = served
    scalars = _get(port, "/data/plugin/scalars/tags")["digits"]
    assert "higher is better" in scalars["rbm/pseudo_log_likelihood"]["description"]
    assert "rbm/pseudo_log_likelihood_running_mean" in scalars
    images = _get(port, "/data/plugin/images/tags")["digits"]
    assert {"filters", "samples"} <= set(images)
    assert _get(port, "/data/plugin/graphs/info")["digits"]["run_graph"] is True
    layout = _get(port, "/data/plugin/custom_scalars/layout")
    assert "Margin" in json.dumps(layout) or "margin" in json.dumps(layout)
    hparams = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/data/plugin/hparams/experiment", data=b'{"experimentName": ""}',
        headers={"Content-Type": "application/json"}), timeout=30).read().decode()
    assert "n_hidden" in hparams and "hparam/test_log_likelihood" in hparams


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(port: int, tab: str, path: Path, browser: str, size=(1400, 900)) -> None:
    """A headless browser's picture of one TensorBoard tab (also how docs/images/ were made)."""
    subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=15000",
                    f"--screenshot={path}", f"http://127.0.0.1:{port}/?darkMode=false#{tab}"],
                   capture_output=True, timeout=180, check=True)


@pytest.mark.slow
@pytest.mark.parametrize("tab", ["scalars", "images", "graphs"])
def test_the_tab_renders_in_a_browser(served, tab, tmp_path):
    """The page draws something in the tab: charts (the run's orange lines), pictures, the graph."""
    import numpy as np
    from PIL import Image

    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium to take a screenshot with")
    path = tmp_path / f"{tab}.png"
    screenshot(served, tab, path, browser)
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    content = pixels[80:, 360:]  # below the tab bar, right of the side panel
    distinct = len(np.unique(content.reshape(-1, 3), axis=0))
    assert distinct > 30, f"the {tab} tab looks empty ({distinct} colours)"
    if tab == "scalars":
        orange = (content[..., 0] > 200) & (content[..., 1] > 80) & (content[..., 1] < 160) & (content[..., 2] < 110)
        assert orange.sum() > 200, "no chart line drawn"
    if tab == "images":
        gray = (np.abs(content[..., 0] - content[..., 1]) < 4) & (np.abs(content[..., 1] - content[..., 2]) < 4)
        levels = len(np.unique(content[gray][:, 0]))
        assert levels > 64, "no filter picture drawn"
