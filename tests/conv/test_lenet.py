"""LeNet: the model family, its training command and the digits' enlargement."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function
from framework.cli import main


def test_lenet_is_a_model_family():
    LeNet = framework.models.get("lenet")
    assert framework.models.LeNet is LeNet
    model = LeNet(image_shape=(1, 12, 12), nkerns=(3, 4), filter_size=3, n_hidden=7, n_out=4, dtype="float64")
    assert [p.name for p in model.params] == ["conv0_W", "conv0_b", "conv1_W", "conv1_b", "hidden_W", "hidden_b",
                                              "out_W", "out_b"]
    assert model.params[0].get_value().shape == (3, 1, 3, 3)
    assert model.params[4].get_value().shape == (4 * 1 * 1, 7)  # 12 -conv-> 10 -pool-> 5 -conv-> 3 -pool-> 1
    y = T.lvector("y")
    r = np.random.RandomState(0)
    xv, yv = r.rand(6, 1, 12, 12), np.array([0, 1, 2, 3, 0, 1])
    f = function([model.input, y], [model.cost(y), model.errors(y), model.p_y_given_x])
    cost, err, p = f(xv, yv)
    np.testing.assert_allclose(cost, np.log(4))  # zero output weights: uniform probabilities
    np.testing.assert_allclose(p.sum(axis=1), 1)
    assert 0 <= err <= 1


def test_lenet_learns_a_small_problem():
    """A few SGD steps on two easy classes (bright left half vs right half) drive the error to 0."""
    LeNet = framework.models.get("lenet")
    r = np.random.RandomState(1)
    n = 40
    xv = r.rand(n, 1, 10, 10).astype("float32") * 0.1
    yv = r.randint(0, 2, n)
    for i, label in enumerate(yv):
        xv[i, 0, :, :5] += 1.0 - label
        xv[i, 0, :, 5:] += label
    model = LeNet(image_shape=(1, 10, 10), nkerns=(4,), filter_size=3, n_hidden=8, n_out=2, dtype="float32")
    y = T.lvector("y")
    cost = model.cost(y)
    updates = [(p, p - np.float32(0.2) * g) for p, g in zip(model.params, T.grad(cost, model.params))]
    step = function([model.input, y], cost, updates=updates)
    costs = [float(step(xv, yv)) for _ in range(30)]
    assert costs[-1] < costs[0] / 4
    assert float(function([model.input, y], model.errors(y))(xv, yv)) == 0.0


def test_lenet_rejects_images_too_small():
    with pytest.raises(ValueError, match="too small"):
        framework.models.get("lenet")(image_shape=(1, 8, 8))


def test_train_lenet_command_on_the_digits(tmp_path, capsys):
    logdir = tmp_path / "run"
    code = main(["train", "lenet", "--epochs", "1", "--batch-size", "100", "--nkerns", "4,6", "--n-hidden", "20",
                 "--logdir", str(logdir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "LeNet on digits (28x28 images)" in out and "test/error" in out
    assert any(p.name.startswith("filters") for p in logdir.iterdir())
    # resuming with other settings is refused, one clear message
    code = main(["train", "lenet", "--epochs", "2", "--batch-size", "100", "--nkerns", "4,7", "--n-hidden", "20",
                 "--logdir", str(logdir), "--resume"])
    assert code != 0


def test_enlarge_repeats_pixels_and_centres():
    from framework_conv.cli import enlarge

    x = np.arange(4, dtype="float32").reshape(1, 4)
    out, shape = enlarge(x, (2, 2), 3, target=10)
    assert shape == (10, 10)
    img = out.reshape(10, 10)
    assert img[2:5, 2:5].tolist() == [[0] * 3] * 3 and img[5:8, 5:8].tolist() == [[3] * 3] * 3
    assert img[0].sum() == 0 and img[:, 9].sum() == 0
