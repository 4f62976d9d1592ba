"""framework.training.loop.Trainer: the monitoring loop every model family shares."""
import io
import os
import re

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework.training.checkpoint import CheckpointError, load_checkpoint
from framework.training.loop import Trainer, TrainingError

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(logdir):
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0,
                                                                          "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def _problem(seed=0, bit_generator=None):
    """A tiny least-squares problem with a random-number draw in its step (a state to checkpoint)."""
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(12, 3), rng.randn(12)
    x, y, index = T.dmatrix("x"), T.dvector("y"), T.lscalar("index")
    W = framework.shared(np.zeros(3), name="W")
    srng = framework.random.RandomStreams(seed, bit_generator=bit_generator)
    noise = srng.normal(size=(3,), std=0.01, dtype="float64")
    cost = T.mean((T.dot(x, W) - y) ** 2)
    step = framework.function([index], cost, updates=[(W, W - 0.1 * T.grad(cost, W) + noise)],
                              givens={x: framework.shared(X)[index * 4:(index + 1) * 4],
                                      y: framework.shared(Y)[index * 4:(index + 1) * 4]})
    return step, W, noise.rng


def _trainer(logdir, epochs, bit_generator=None, **kwargs):
    step, W, rng = _problem(bit_generator=bit_generator)
    kwargs.setdefault("stream", io.StringIO())
    kwargs.setdefault("out", io.StringIO())
    trainer = Trainer(logdir, family="toy", step=step, n_batches=3, epochs=epochs, state={"W": W, "rng": rng},
                      params={"W": W}, hparams={"lr": 0.1}, graph=step,
                      filters=lambda: (np.abs(W.get_value()).reshape(1, 3) * 80).astype(np.uint8), **kwargs)
    return trainer, W


@pytest.mark.parametrize("bit_generator, saved_as", [(None, "rng_pcg64"),  # the native streams' PCG64
                                                     ("MT19937", "rng_keys")])  # the Theano layer's
def test_fit_logs_checkpoints_and_resumes_exactly(tmp_path, bit_generator, saved_as):
    trainer, W = _trainer(tmp_path / "full", 4, bit_generator=bit_generator)
    result = trainer.fit()
    trainer.finish({"hparam/score": 1.0})
    assert len(result.costs) == 4 and result.start_epoch == 0
    full_W = W.get_value()
    events = _read(tmp_path / "full")
    assert [e.step for e in events.Scalars("train/cost")] == [0, 1, 2, 3]
    assert [e.step for e in events.Scalars("train/cost_running_mean")] == list(range(12))
    assert len(events.Images("filters")) == 4 and len(events.Histograms("params/W")) == 4
    assert (tmp_path / "full" / "filters_at_epoch_3.png").exists()
    assert len([n for n in os.listdir(tmp_path / "full") if "tfevents" in n]) == 1  # one file, 4 flushes

    first, _ = _trainer(tmp_path / "part", 2, bit_generator=bit_generator)
    first.fit()
    first.close()
    resumed, W2 = _trainer(tmp_path / "part", 4, bit_generator=bit_generator, resume=True)
    result = resumed.fit()
    resumed.close()
    assert result.start_epoch == 2
    np.testing.assert_array_equal(W2.get_value(), full_W)  # the random draws continued where they stopped
    arrays, meta = load_checkpoint(tmp_path / "part" / "checkpoint.npz")
    assert meta["epoch"] == 4 and meta["state"] == {"W": "tensor", "rng": "rng"}
    assert saved_as in arrays
    assert len([n for n in os.listdir(tmp_path / "part") if "tfevents" in n]) == 2  # one per run segment
    assert [e.step for e in _read(tmp_path / "part").Scalars("train/cost")] == [0, 1, 2, 3]


def test_state_must_cover_everything_the_step_updates(tmp_path):
    step, W, rng = _problem()
    with pytest.raises(TrainingError, match="does not list in its checkpoint state"):
        Trainer(tmp_path, family="toy", step=step, n_batches=3, epochs=1, state={"W": W}, params={},
                hparams={}, graph=step)


def test_checkpoint_every_and_the_run_progress_bar(tmp_path):
    stream = io.StringIO()
    trainer, _ = _trainer(tmp_path, 5, checkpoint_every=2, progress="run", stream=stream)
    saved = []
    original = trainer._save
    trainer._save = lambda epochs_done: (saved.append(epochs_done), original(epochs_done))
    trainer.fit()
    trainer.close()
    assert saved == [2, 4, 5]
    text = stream.getvalue()
    assert "epochs 1-5: done 5/5" in text and "epoch 1/5: " not in text


def test_refuses_to_clobber_and_checks_hyper_parameters(tmp_path):
    trainer, _ = _trainer(tmp_path, 1)
    trainer.fit()
    trainer.close()
    again, _ = _trainer(tmp_path, 2)
    with pytest.raises(TrainingError, match="already holds a training run"):
        again.fit()
    step, W, rng = _problem()
    other = Trainer(tmp_path, family="toy", step=step, n_batches=3, epochs=2, state={"W": W, "rng": rng},
                    params={}, hparams={"lr": 0.2}, resume=True, out=io.StringIO(), stream=io.StringIO())
    with pytest.raises(CheckpointError, match="lr=0.1, this run asks for 0.2"):
        other.fit()
    other = Trainer(tmp_path, family="toy", step=step, n_batches=4, epochs=2, state={"W": W, "rng": rng},
                    params={}, hparams={"lr": 0.1}, resume=True, out=io.StringIO(), stream=io.StringIO())
    with pytest.raises(CheckpointError, match="3 minibatches per epoch, this run has 4"):
        other.fit()
    with pytest.raises(TrainingError, match="contradict"):
        _trainer(tmp_path, 2, resume=True, overwrite=True)[0].fit()


def test_overwrite_removes_only_the_runs_files(tmp_path):
    trainer, _ = _trainer(tmp_path, 1)
    trainer.fit()
    trainer.close()
    (tmp_path / "notes.txt").write_text("keep me")
    fresh, _ = _trainer(tmp_path, 2, overwrite=True)
    fresh.fit()
    fresh.close()
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert [e.step for e in _read(tmp_path).Scalars("train/cost")] == [0, 1]


class _TaggedGenerator:
    """Stands in for another backend's generator state (the GPU's Philox key and counter)."""

    def __init__(self, state):
        self.state = tuple(state)

    def get_state(self):
        return self.state


def test_random_states_of_other_backends_are_checkpointed_by_their_get_state(tmp_path):
    from framework.core.backend import get_backend
    from framework.core.shared import RandomStateType, RNGSharedVariable

    step, W, rng = _problem()
    other = RNGSharedVariable(RandomStateType(), _TaggedGenerator(("philox4x32-10", 7, 2 ** 63 + 5, 1234)),
                              "gpu_rng", get_backend("cpu"))
    trainer = Trainer(tmp_path, family="toy", step=step, n_batches=3, epochs=1,
                      state={"W": W, "rng": rng, "gpu_rng": other}, params={}, hparams={},
                      out=io.StringIO(), stream=io.StringIO())
    trainer.fit()
    trainer.close()
    arrays, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert arrays["gpu_rng_words"].tolist() == [7, 2 ** 63 + 5, 1234]
    restored = []
    other.set_value = lambda value, borrow=False: restored.append(value)
    again = Trainer(tmp_path, family="toy", step=step, n_batches=3, epochs=2,
                    state={"W": W, "rng": rng, "gpu_rng": other}, params={}, hparams={}, resume=True,
                    out=io.StringIO(), stream=io.StringIO())
    again.prepare()
    again.close()
    assert restored == [("philox4x32-10", 7, 2 ** 63 + 5, 1234)]
    plain = RNGSharedVariable(RandomStateType(), object(), "odd", get_backend("cpu"))
    with pytest.raises(CheckpointError, match="cannot checkpoint random state 'odd'"):
        Trainer(tmp_path / "x", family="toy", step=step, n_batches=3, epochs=1,
                state={"W": W, "rng": rng, "odd": plain}, params={}, hparams={},
                out=io.StringIO(), stream=io.StringIO()).fit()


def _toy(logdir, epochs, **kwargs):
    """The toy trainer with its own measure's tag and description, as a family passes them."""
    kwargs.setdefault("cost_tag", "toy/squared_error")
    kwargs.setdefault("cost_description", "mean squared error of the minibatch")
    return _trainer(logdir, epochs, **kwargs)


def test_resume_continues_to_the_epochs_stored_in_the_checkpoint(tmp_path):
    from framework.training.loop import DefaultEpochs

    first, _ = _toy(tmp_path, 4)
    interrupted = first.step

    calls = []

    def stop_in_epoch_three(index):
        calls.append(index)
        if len(calls) == 7:  # the first minibatch of the third epoch
            raise KeyboardInterrupt
        return interrupted(index)

    first.step = stop_in_epoch_three
    with pytest.raises(KeyboardInterrupt):
        first.fit()
    first.close()
    out = io.StringIO()
    resumed, _ = _toy(tmp_path, DefaultEpochs(15), resume=True, out=out)  # the family's default: not a choice
    result = resumed.fit()
    resumed.close()
    assert "2 of 4 epochs done, 2 to go" in out.getvalue()
    assert (result.start_epoch, result.epochs, result.trained) == (2, 4, 2)
    _, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 4 and meta["epochs"] == 4


def test_a_resumed_complete_run_trains_and_logs_nothing(tmp_path):
    from framework.training.loop import DefaultEpochs

    first, _ = _toy(tmp_path, 3)
    first.fit()
    first.finish()
    files = sorted(os.listdir(tmp_path))
    for epochs, expected in ((DefaultEpochs(15), "all 3 epochs already done; nothing to train"),
                             (2, "the checkpoint has 3 epochs, more than the 2 asked for; nothing to train")):
        out = io.StringIO()
        again, _ = _toy(tmp_path, epochs, resume=True, out=out)
        result = again.fit()
        again.finish({"hparam/score": 1.0})
        assert expected in out.getvalue()
        assert not re.search(r"(?<![\w/.])-\d", out.getvalue())  # never a negative count
        assert result.trained == 0 and again.nothing_to_train
        assert sorted(os.listdir(tmp_path)) == files  # no new event file, nothing rewritten


def test_progress_is_one_line_per_epoch_when_not_a_terminal(tmp_path):
    stream = io.StringIO()
    trainer, _ = _toy(tmp_path, 3, stream=stream)
    trainer.fit()
    trainer.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all(" done 3/3 " in line and "squared_error=" in line for line in lines)


def test_progress_is_one_redrawn_line_on_a_terminal(tmp_path):
    class TTY(io.StringIO):
        def isatty(self):
            return True

    stream = TTY()
    trainer, _ = _toy(tmp_path, 3, stream=stream)
    trainer.fit()
    trainer.close()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, redrawn with \r
    assert "epoch 1/3: " in text and "epoch 3/3: 3/3 [100%]" in text.split("\r")[-1]


def test_tags_carry_descriptions_and_the_step_tag_is_a_running_mean(tmp_path):
    trainer, _ = _toy(tmp_path, 2)
    result = trainer.fit()
    trainer.finish()
    events = _read(tmp_path)
    assert events.SummaryMetadata("toy/squared_error").summary_description == "mean squared error of the minibatch"
    assert "current epoch so far" in events.SummaryMetadata("toy/squared_error_running_mean").summary_description
    running = events.Scalars("toy/squared_error_running_mean")
    per_epoch = events.Scalars("toy/squared_error")
    # the running mean at an epoch's last minibatch is that epoch's point
    assert running[2].value == pytest.approx(per_epoch[0].value) and running[5].value == pytest.approx(result.costs[1])
    assert "train/cost" not in events.Tags()["scalars"]


def test_graph_and_captioned_upscaled_filters_are_logged(tmp_path):
    from PIL import Image

    trainer, _ = _toy(tmp_path, 1)
    trainer.fit()
    trainer.close()
    events = _read(tmp_path)
    graph = events.Graph()
    ops = {node.op for node in graph.node}
    assert {"Input", "SharedVariable", "Output", "Update"} <= ops
    assert any(node.attr["dtype"].s == b"float64" for node in graph.node)
    with Image.open(tmp_path / "filters_at_epoch_0.png") as png:
        assert png.size[0] >= 3 * 100 and png.size[0] % 3 == 0  # 1 x 3 pixels, upscaled by a whole factor
    logged = events.Images("filters")[0]
    assert logged.height > png.size[1]  # the caption strip ("epoch 1/1") on top


def test_outputs_summary_lists_every_file_and_the_tensorboard_command(tmp_path):
    trainer, _ = _toy(tmp_path / "run", 2)
    trainer.fit()
    trainer.finish()
    text = trainer.outputs_summary()
    for name in ("filters_at_epoch_0.png .. filters_at_epoch_1.png", "checkpoint.npz", "events.out.tfevents."):
        assert name in text
    assert "--logdir " in text and "tensorboard" in text


def test_ctrl_c_after_the_last_minibatch_stops_the_run(tmp_path):
    """A Ctrl-C during the last minibatch of the last epoch still stops the run (after its
    checkpoint), instead of letting the family go on to sampling and exit 0."""
    import signal

    trainer, W = _trainer(tmp_path, 2)
    inner, calls = trainer.step, []

    def step(index):
        calls.append(index)
        if len(calls) == 6:  # the last minibatch of the last epoch
            os.kill(os.getpid(), signal.SIGINT)
        return inner(index)

    trainer.step = step
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    trainer.close()
    assert load_checkpoint(tmp_path / "checkpoint.npz")[1]["epoch"] == 2  # the finished epoch was saved


def test_resume_after_a_kill_between_flush_and_checkpoint_has_no_duplicated_points(tmp_path, monkeypatch):
    """Killed after an epoch's events were flushed but before its checkpoint: the resumed run's
    curves have each step once (per-epoch tags count epochs, per-minibatch tags minibatches)."""
    import framework.training.loop as loop

    real_save = loop.save_checkpoint

    def save_then_die(path, arrays, meta):
        if meta["epoch"] == 2:
            raise SystemExit("killed")  # the epoch's events are on disk, its checkpoint is not
        real_save(path, arrays, meta)

    first, _ = _trainer(tmp_path, 4)
    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    with pytest.raises(SystemExit):
        first.fit()
    monkeypatch.setattr(loop, "save_checkpoint", real_save)
    resumed, _ = _trainer(tmp_path, 4, resume=True)
    assert resumed.fit().start_epoch == 1
    resumed.close()
    events = _read(tmp_path)
    assert [e.step for e in events.Scalars("train/cost")] == [0, 1, 2, 3]
    assert [e.step for e in events.Scalars("train/cost_running_mean")] == list(range(12))
    assert [e.step for e in events.Images("filters")] == [0, 1, 2, 3]
    assert [e.step for e in events.Histograms("params/W")] == [0, 1, 2, 3]


@pytest.mark.parametrize("field,value", [
    ("epoch", -5), ("epoch", 2.5), ("epoch", True), ("epochs", 1), ("n_batches", 0), ("costs", [1.0]),
    ("costs", ["x", 2.0]), ("state", {"W": "tensor", "rng": "pickle"}), ("family", ""),
    ("events", {"file": "../../etc/passwd", "bytes": 0}), ("events", {"file": "e", "bytes": -1}),
])
def test_a_checkpoint_with_a_valid_checksum_but_a_field_out_of_range_is_refused(tmp_path, field, value):
    """The checksum proves the file is intact, not that its values make sense: each field's range
    is checked before the run trains on it or overwrites it."""
    from framework.training.checkpoint import save_checkpoint

    trainer, _ = _trainer(tmp_path, 2)
    trainer.fit()
    trainer.close()
    arrays, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    meta[field] = value
    save_checkpoint(tmp_path / "checkpoint.npz", arrays, meta)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    resumed, _ = _trainer(tmp_path, 4, resume=True)
    with pytest.raises(CheckpointError, match=rf"checkpoint .*checkpoint.npz.*{field}"):
        resumed.fit()
    assert (tmp_path / "checkpoint.npz").read_bytes() == before  # nothing was overwritten


@pytest.mark.parametrize("part,value", [("pos", 10_000), ("has_gauss", 7), ("cached_gaussian", np.nan)])
def test_a_random_state_out_of_range_is_refused(part, value):
    from framework.training.checkpoint import rng_state_from_arrays, rng_state_to_arrays

    arrays = rng_state_to_arrays(np.random.RandomState(0))
    arrays[f"rng_{part}"] = np.array(value)
    with pytest.raises(CheckpointError, match=f"rng_{part}"):
        rng_state_from_arrays(arrays)


def test_a_resume_cuts_back_only_the_training_runs_own_event_files(tmp_path):
    """Event files another command wrote into the run's directory (``framework sample``'s, role
    "sample") after the checkpoint survive a resume; a later *training* file the checkpoint does
    not know about (a resumed run killed before its first checkpoint) is still removed."""
    from framework.training.tensorboard import TRAIN_ROLE, RunLogger, event_file_role

    first, _ = _trainer(tmp_path, 2)
    first.fit()
    first.close()
    with RunLogger(tmp_path, role="sample") as log:
        log.scalar("samples/written", 1.0, 0)
        sample_file = log.event_file
    with RunLogger(tmp_path, role=TRAIN_ROLE) as log:  # an interrupted resumption's events
        log.scalar("train/cost", 123.0, 9)
        stale_file = log.event_file
    assert event_file_role(sample_file) == "sample" and event_file_role(stale_file) == TRAIN_ROLE
    resumed, _ = _trainer(tmp_path, 4, resume=True)
    resumed.fit()
    resumed.close()
    assert os.path.exists(sample_file)
    assert not os.path.exists(stale_file)
    events = _read(tmp_path)
    assert [e.value for e in events.Scalars("samples/written")] == [1.0]
    assert [e.step for e in events.Scalars("train/cost")] == [0, 1, 2, 3]


def test_event_file_roles_are_read_from_the_name():
    from framework.training.tensorboard import RunLogger, event_file_role

    assert event_file_role("events.out.tfevents.1700000000.host.00000001700000000000000000.4242") == ""
    assert event_file_role("/a/b/events.out.tfevents.1700000000.host.00000001700000000000000000.42.train") == "train"
    with pytest.raises(ValueError, match="letters only"):
        RunLogger("unused", role="sample.1")
