"""A training run as the TensorBoard server shows it: every dashboard finds its data.

Starts the real ``tensorboard`` program on a run directory and asks it, over
HTTP, what the Scalars, Images, Graphs, Custom Scalars and HParams
dashboards would draw (the same requests the web page makes). Slow: the
server takes seconds to start.
"""
from __future__ import annotations

import json
import os
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


@pytest.mark.slow
def test_every_dashboard_finds_the_runs_data(tmp_path, capsys):
    program = Path(sys.executable).parent / "tensorboard"
    if not program.exists():
        pytest.skip("the tensorboard program is not installed (pip install -e '.[dev]')")
    logdir = tmp_path / "digits"
    status = cli.main(["train", "rbm", "--epochs", "2", "--n-samples", "2", "--plot-every", "10",
                       "--ais-runs", "20", "--ais-betas", "100", "--logdir", str(logdir)])
    assert status == 0, capsys.readouterr().err
    port = _free_port()
    server = subprocess.Popen([str(program), "--logdir", str(tmp_path), "--port", str(port), "--host", "127.0.0.1",
                               "--load_fast=false"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                scalars = _get(port, "/data/plugin/scalars/tags")["digits"]
                if "rbm/test_log_likelihood_high" in scalars:
                    break
            except (OSError, KeyError, ValueError):
                pass
            assert server.poll() is None, "tensorboard exited"
            assert time.monotonic() < deadline, "tensorboard did not serve the run in time"
            time.sleep(0.5)
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
    finally:
        server.terminate()
        server.wait(timeout=30)
