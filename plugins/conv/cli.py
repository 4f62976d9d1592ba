"""``framework train lenet``: LeNet on the bundled digits (or MNIST), with the shared Trainer.

The bundled digits are 8x8: too small for two layers of 5x5 filters and 2x2
pooling. By default they are enlarged to MNIST's geometry -- each pixel
repeated 3x3 (24x24) and a 2-pixel zero border (28x28) -- so the network
is the tutorial's LeNet whichever data set it sees (``--digits-scale``
changes the factor; 1 keeps 8x8 and needs ``--filter-size 3 --nkerns N``).
"""
from __future__ import annotations

import argparse
from typing import Any, Dict, Tuple

import numpy as np

VALID_ERROR_TAG = "lenet/valid_error"


def _int_list(text: str) -> Tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def add_lenet_arguments(parser: argparse.ArgumentParser) -> None:
    from framework.training.arguments import add_run_arguments, non_negative_int, positive_int

    parser.description = (
        "LeNet (the deeplearning.net convolutional network): two convolution + max-pooling layers\n"
        "with tanh, a tanh hidden layer and a softmax, trained by minibatch SGD on the negative\n"
        "log-likelihood. The bundled 8x8 digits are enlarged to 28x28 (each pixel 3x3, 2-pixel border).\n"
        "Logs lenet/nll, lenet/valid_error and the first layer's filters as the 'filters' image.")
    parser.add_argument("--dataset", default="digits",
                        help="digits (default), mnist, or a path (mnist.pkl.gz, an MNIST IDX directory, "
                             "a labelled .npz)")
    parser.add_argument("--nkerns", type=_int_list, default=(20, 50),
                        help="filters of each convolution layer, comma-separated (default 20,50)")
    parser.add_argument("--filter-size", type=positive_int, default=5, help="rows = columns of every filter (default 5)")
    parser.add_argument("--n-hidden", type=positive_int, default=500, help="units of the tanh hidden layer (default 500)")
    parser.add_argument("--digits-scale", type=non_negative_int, default=3,
                        help="for 8x8 images: repeat each pixel this many times per axis, then pad to 28x28 "
                             "when that fits (default 3)")
    add_run_arguments(parser, epochs=10, lr=0.1, batch_size=50, logdir="runs/lenet")


def enlarge(x: np.ndarray, shape: Tuple[int, ...], scale: int, target: int = 28) -> Tuple[np.ndarray, Tuple[int, int]]:
    """Flattened square images of ``shape`` repeated ``scale`` x ``scale`` per pixel and
    zero-padded (centred) to ``target`` x ``target`` when they fit."""
    rows, cols = shape
    images = x.reshape(-1, rows, cols)
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    h, w = images.shape[1:]
    if h < target and w < target:
        out = np.zeros((len(images), target, target), dtype=x.dtype)
        top, left = (target - h) // 2, (target - w) // 2
        out[:, top:top + h, left:left + w] = images
        images = out
    return images.reshape(len(images), -1), images.shape[1:]


def train_lenet(args: argparse.Namespace) -> int:
    import framework
    import framework.tensor as T
    from framework.training.arguments import CommandError, final_cost_text, run_settings
    from framework.training.minibatch import minibatch_step
    from framework.training.loop import Trainer
    from framework.utils import tile_raster_images

    from .lenet import LeNet

    with run_settings(args):
        dtype = framework.config.floatX
        data = framework.datasets.load(args.dataset, dtype=dtype)
        if data.train[1] is None:
            raise CommandError(f"--dataset {args.dataset}: LeNet needs labels, and this dataset has none")
        if len(data.shape) != 2:
            raise CommandError(f"--dataset {args.dataset}: LeNet needs images, but examples have shape {data.shape}")
        splits = {}
        image = tuple(data.shape)
        for part in ("train", "valid", "test"):
            x, y = getattr(data, part)
            if x is not None and len(x) and data.shape == (8, 8) and args.digits_scale > 1:
                x, image = enlarge(x, data.shape, args.digits_scale)
            splits[part] = (x, y)
        (train_x, train_y), (valid_x, valid_y) = splits["train"], splits["valid"]
        if len(train_x) < args.batch_size:
            raise CommandError(f"--batch-size {args.batch_size} is larger than the {len(train_x)} training examples")
        n_classes = int(train_y.max()) + 1
        try:
            model = LeNet(T.matrix("x"), image_shape=(1,) + tuple(image), nkerns=args.nkerns,
                          filter_size=args.filter_size, n_hidden=args.n_hidden, n_out=n_classes, seed=args.seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        x, y = model.input, T.lvector("y")
        cost = model.cost(y)
        grads = T.grad(cost, model.params)
        lr = T.cast(args.lr, dtype)
        updates = [(p, p - lr * g) for p, g in zip(model.params, grads)]
        bs = args.batch_size
        step = minibatch_step(x, y, train_x, train_y.astype("int64"), cost, updates, args.batch_size,
                              name="train_lenet")
        error_fn = framework.function([x, y], model.errors(y), name="errors")

        def error_rate(xs: np.ndarray, ys: np.ndarray) -> float:
            wrong = sum(float(error_fn(xs[i:i + bs], ys[i:i + bs].astype("int64"))) * len(xs[i:i + bs])
                        for i in range(0, len(xs), bs))
            return wrong / len(xs)

        def evaluate(epoch: int) -> Dict[str, float]:
            return {VALID_ERROR_TAG: error_rate(valid_x, valid_y)} if valid_y is not None and len(valid_y) else {}

        def filters() -> np.ndarray:
            W = np.asarray(model.conv_W[0].get_value())
            rows = W.reshape(W.shape[0], -1) if W.shape[1] == 1 else W[:, 0].reshape(W.shape[0], -1)
            return tile_raster_images(rows, img_shape=W.shape[2:], tile_shape=(1, len(rows)), tile_spacing=(1, 1))

        hparams: Dict[str, Any] = {
            "family": "lenet", "dataset": args.dataset, "lr": args.lr, "batch_size": bs, "epochs": args.epochs,
            "seed": args.seed, "dtype": dtype, "nkerns": ",".join(map(str, args.nkerns)),
            "filter_size": args.filter_size, "n_hidden": args.n_hidden, "image": "x".join(map(str, image)),
            "device": framework.config.device}
        trainer = Trainer(
            args.logdir, family="lenet", step=step, n_batches=len(train_x) // bs, epochs=args.epochs,
            state=model.state, params=model.state, hparams=hparams,
            resume_keys=["dataset", "lr", "batch_size", "dtype", "nkerns", "filter_size", "n_hidden", "image"],
            filters=filters, evaluate=evaluate, graph=step, resume=args.resume, overwrite=args.overwrite,
            cost_tag="lenet/nll",
            cost_description="mean negative log-likelihood of the minibatch's labels in nats; lower is better",
            descriptions={VALID_ERROR_TAG: "error rate on the validation set: the fraction of its examples "
                                           "classified wrongly after each epoch, lower is better",
                          "filters": "the first convolution layer's filters (one tile each), scaled to [0, 1]; "
                                     "step = epoch - 1"},
            hparams_shown=("lr", "batch_size", "nkerns", "n_hidden", "filter_size", "seed"))
        try:
            result = trainer.fit()
            metrics = {}
            test_x, test_y = splits["test"]
            if test_y is not None and len(test_y):
                metrics["hparam/test_error"] = error_rate(test_x, test_y)
            trainer.finish(metrics)
        finally:
            trainer.close()
        print(f"LeNet on {args.dataset} ({'x'.join(map(str, image))} images): {result.epochs} epochs, "
              f"{final_cost_text(result.costs)}")
        for tag, values in result.extra.items():
            print(f"  {tag}: {values[-1]:.4f}")
        if "hparam/test_error" in metrics:
            print(f"  test/error: {metrics['hparam/test_error']:.4f}")
        print(trainer.outputs_summary())
    return 0
