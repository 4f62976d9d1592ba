"""framework.training.tensorboard: events readable by TensorBoard's own reader."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

from framework.training.tensorboard import RunLogger  # noqa: E402


def _event_files(logdir):
    return sorted(name for name in os.listdir(logdir) if "tfevents" in name)


def _read(logdir):
    # size_guidance 0 = keep every event (the defaults sample images/histograms).
    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _run_until_flushed_then_kill(script):
    """Run ``script`` in a child Python, wait for it to print "flushed", then ``kill -9`` it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env) as proc:
        try:
            assert proc.stdout.readline().strip() == b"flushed"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def test_scalars_images_histograms_text_hparams(tmp_path):
    logdir = tmp_path / "runs" / "rbm"
    rng = np.random.RandomState(0)
    with RunLogger(logdir) as log:
        for epoch in range(3):
            for batch in range(4):
                log.scalar("train/cost_step", -60.0 + batch, epoch * 4 + batch)
            log.scalar("train/cost", -60.0 + epoch, epoch)
            log.image("filters", rng.randint(0, 256, size=(17, 23)).astype(np.uint8), epoch)
            log.histogram("params/W", rng.randn(64, 10), epoch)
            log.histogram("params/hbias", rng.randn(10), epoch)
        log.image("samples", rng.randint(0, 256, size=(9, 11, 3)).astype(np.uint8), 3)
        log.text("graph", "Elemwise{add} [id A]\n |x [id B]", preformatted=True)
        log.hparams({"lr": 0.1, "n_hidden": np.int64(10), "persistent": True, "dataset": "digits",
                     "seed": None, "shape": (8, 8)},
                    {"hparam/final_cost": -58.0}, step=3)

    # Everything, hyper-parameters included, is in the run directory itself.
    assert [p for p in os.listdir(logdir) if os.path.isdir(logdir / p)] == []
    acc = _read(logdir)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"train/cost", "train/cost_step", "hparam/final_cost"}
    assert [e.step for e in acc.Scalars("train/cost")] == [0, 1, 2]
    assert [e.value for e in acc.Scalars("train/cost")] == [-60.0, -59.0, -58.0]
    assert len(acc.Scalars("train/cost_step")) == 12
    assert set(tags["images"]) == {"filters", "samples"}
    filters = acc.Images("filters")
    assert len(filters) == 3 and (filters[0].width, filters[0].height) == (23, 17)
    assert (acc.Images("samples")[0].width, acc.Images("samples")[0].height) == (11, 9)
    assert set(tags["histograms"]) == {"params/W", "params/hbias"}
    assert len(acc.Histograms("params/W")) == 3
    assert acc.Histograms("params/W")[0].histogram_value.num == 640
    assert "graph/text_summary" in tags["tensors"]
    text = acc.Tensors("graph/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "    Elemwise{add} [id A]" in text
    hparams = acc.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(hparams)
    start = hparams["_hparams_/session_start_info"]
    assert b"n_hidden" in start and b"digits" in start and b"shape" in start


def test_images_from_floats_bools_and_single_channel(tmp_path):
    with RunLogger(tmp_path) as log:
        log.image("float", np.linspace(0, 1, 12).reshape(3, 4), 0)
        log.image("bool", np.eye(3, dtype=bool), 0)
        log.image("one_channel", np.zeros((3, 4, 1), np.uint8), 0)
        log.image("rgba", np.zeros((3, 4, 4), np.uint8), 0)
        with pytest.raises(ValueError, match="shape"):
            log.image("bad", np.zeros((3, 4, 2), np.uint8), 0)
        with pytest.raises(TypeError, match="uint8"):
            log.image("bad", np.zeros((3, 4), np.int32), 0)
    acc = _read(tmp_path)
    assert set(acc.Tags()["images"]) == {"float", "bool", "one_channel", "rgba"}


def test_non_finite_histograms_do_not_crash(tmp_path):
    with RunLogger(tmp_path) as log:
        log.histogram("diverged", np.array([np.nan, np.inf, 1.0, 2.0]), 0)
        log.histogram("all_nan", np.full(5, np.nan), 0)  # nothing finite: skipped
    acc = _read(tmp_path)
    assert acc.Tags()["histograms"] == ["diverged"]
    assert acc.Histograms("diverged")[0].histogram_value.num == 2


def test_flush_makes_events_visible_and_close_is_idempotent(tmp_path):
    log = RunLogger(tmp_path, flush_secs=3600)
    log.scalar("train/cost", 1.0, 0)
    log.flush()
    assert len(_read(tmp_path).Scalars("train/cost")) == 1
    log.close()
    log.close()
    log.flush()  # no-op after close


def test_flush_is_durable_even_if_the_process_is_killed(tmp_path):

    script = textwrap.dedent(f"""
        import time
        from framework.training.tensorboard import RunLogger
        log = RunLogger({str(tmp_path)!r}, flush_secs=3600)
        for epoch in range(3):
            log.scalar("train/cost", float(epoch), epoch)
            log.flush()
        log.scalar("train/cost", 99.0, 3)  # not flushed: may be lost
        print("flushed", flush=True)
        time.sleep(60)
    """)
    _run_until_flushed_then_kill(script)
    steps = [e.step for e in _read(tmp_path).Scalars("train/cost")]
    assert steps[:3] == [0, 1, 2]
    assert len(_event_files(tmp_path)) == 1  # one file for the whole run, not one per flush


def test_resumed_run_purges_the_interrupted_runs_later_steps(tmp_path):
    with RunLogger(tmp_path) as first:
        for epoch in range(5):
            first.scalar("train/cost", float(epoch), epoch)
    with RunLogger(tmp_path, purge_step=3) as resumed:
        for epoch in range(3, 6):
            resumed.scalar("train/cost", 10.0 + epoch, epoch)
    events = _read(tmp_path).Scalars("train/cost")
    assert [(e.step, e.value) for e in events] == [
        (0, 0.0), (1, 1.0), (2, 2.0), (3, 13.0), (4, 14.0), (5, 15.0)]
    # one event file per run segment: the first run's and the resumed run's
    assert _event_files(tmp_path) == sorted([os.path.basename(first.event_file),
                                             os.path.basename(resumed.event_file)])
    assert first.event_file < resumed.event_file  # name order is creation order


def test_many_flushes_in_one_second_lose_nothing(tmp_path):
    with RunLogger(tmp_path) as log:
        for step in range(20):
            log.scalar("train/cost_step", float(step), step)
            log.flush()
    assert [e.step for e in _read(tmp_path).Scalars("train/cost_step")] == list(range(20))


def test_one_event_file_per_run_and_every_flush_is_readable(tmp_path):
    """flush() keeps the file open: every epoch's events are readable by TensorBoard's own reader
    right after it, all in the run's single event file, with no background writer thread."""
    import threading

    threads = threading.active_count()
    rng = np.random.RandomState(1)
    log = RunLogger(tmp_path, flush_secs=3600)
    assert log.event_file is None and _event_files(tmp_path) == []  # opened on first use
    for epoch in range(4):
        for batch in range(50):
            log.scalar("train/cost_step", float(batch), epoch * 50 + batch)
        log.scalar("train/cost", float(epoch), epoch)
        log.histogram("params/W", rng.randn(20, 5), epoch)
        log.image("filters", rng.randint(0, 256, size=(8, 12)).astype(np.uint8), epoch)
        log.flush()
        acc = _read(tmp_path)
        assert [e.step for e in acc.Scalars("train/cost")] == list(range(epoch + 1))
        assert [e.step for e in acc.Scalars("train/cost_step")] == list(range(50 * (epoch + 1)))
        assert len(acc.Histograms("params/W")) == len(acc.Images("filters")) == epoch + 1
        assert _event_files(tmp_path) == [os.path.basename(log.event_file)]
        assert threading.active_count() == threads
    log.hparams({"lr": 0.1}, {"hparam/final_cost": 3.0}, step=4)
    log.close()
    assert _event_files(tmp_path) == [os.path.basename(log.event_file)]
    assert "_hparams_/session_start_info" in _read(tmp_path).PluginTagToContent("hparams")


def test_flush_secs_pushes_events_to_the_file_without_an_explicit_flush(tmp_path):
    log = RunLogger(tmp_path, flush_secs=0)  # every event is due for the periodic flush
    log.scalar("train/cost_step", 1.0, 0)
    log.scalar("train/cost_step", 2.0, 1)
    assert [e.value for e in _read(tmp_path).Scalars("train/cost_step")] == [1.0, 2.0]
    log.close()


def test_everything_logged_before_flush_survives_a_kill(tmp_path):
    """Many events (scalars, images, histograms) logged just before flush() are on disk once it
    returns -- nothing is left in a queue -- and the killed run's file is still readable."""

    script = textwrap.dedent(f"""
        import time
        import numpy as np
        from framework.training.tensorboard import RunLogger
        rng = np.random.RandomState(0)
        log = RunLogger({str(tmp_path)!r}, flush_secs=3600)
        for epoch in range(3):
            for batch in range(200):
                log.scalar("train/cost_step", float(batch), epoch * 200 + batch)
            log.scalar("train/cost", float(epoch), epoch)
            log.histogram("params/W", rng.randn(30, 30), epoch)
            log.image("filters", rng.randint(0, 256, size=(40, 40)).astype(np.uint8), epoch)
            log.flush()
        for batch in range(50):  # not flushed: may be lost, or cut off mid-record
            log.scalar("train/cost_step", 0.0, 600 + batch)
        print("flushed", flush=True)
        time.sleep(60)
    """)
    _run_until_flushed_then_kill(script)
    acc = _read(tmp_path)
    assert [e.step for e in acc.Scalars("train/cost")] == [0, 1, 2]
    assert [e.step for e in acc.Scalars("train/cost_step")][:600] == list(range(600))
    assert len(acc.Histograms("params/W")) == len(acc.Images("filters")) == 3
    assert len(_event_files(tmp_path)) == 1


def test_logging_does_not_import_torch_or_cloud_clients(tmp_path):
    """tensorboardX imports torch (and boto3, google.cloud) at its own import when they are
    installed -- ~8 s at every ``framework train`` start on a machine with torch, for a run that
    passes NumPy arrays. A stand-in ``torch`` that fails loudly when imported shows that logging
    (scalars, images, histograms, the graph) never imports it, and that the user's own
    ``import torch`` afterwards still reaches it."""
    fake = tmp_path / "site"
    for name in ("torch", "boto3"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text(f"raise RuntimeError('{name} was imported')\n")
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import framework, framework.tensor as T
        from framework.training.tensorboard import RunLogger
        x = T.dvector("x")
        f = framework.function([x], (x * 2).sum())
        with RunLogger({str(tmp_path / "run")!r}) as log:
            log.scalar("cost", 1.0, 0)
            log.image("filters", np.zeros((8, 8), dtype=np.uint8), 0)
            log.histogram("W", np.arange(10.0), 0)
            log.graph(f)
        assert "torch" not in sys.modules and "boto3" not in sys.modules, sorted(sys.modules)
        try:
            import torch
        except RuntimeError as exc:
            print("later import:", exc)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(fake)] + sys.path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "later import: torch was imported"
    assert _event_files(tmp_path / "run")
