"""``framework train linear`` and ``framework train logistic``.

Both build the tutorial-style training function (minibatches taken from
shared datasets through ``givens``, one gradient step per call) and hand it
to the shared :class:`framework.training.loop.Trainer`, which does the
progress bar, TensorBoard, PNGs and checkpoints.
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Dict, Tuple

import numpy as np

# The seed lab's data: four points on y = 2x + 1.
SEED_LAB_X = np.array([1.0, 2.0, 3.0, 4.0])
SEED_LAB_Y = 2.0 * SEED_LAB_X + 1.0


# --------------------------------------------------------------------------
# linear
# --------------------------------------------------------------------------

def add_linear_arguments(parser: argparse.ArgumentParser) -> None:
    from framework.training.arguments import add_run_arguments, non_negative_float, non_negative_int

    parser.description = (
        "Least-squares linear regression, trained by full-batch (or minibatch) gradient descent.\n"
        "With no --data it fits the seed lab's four points on y = 2x + 1 (lr 0.01, 1000 steps:\n"
        "w ~ 2, b ~ 1). One epoch is one pass over the data.")
    parser.add_argument("--data", default=None,
                        help="a .npz file with 'x' (n or n x d floats) and 'y' (n or n x k floats); "
                             "default: the seed lab's four points on y = 2x + 1")
    parser.add_argument("--l1", type=non_negative_float, default=0.0, help="L1 penalty on the weights (default 0)")
    parser.add_argument("--l2", type=non_negative_float, default=0.0, help="L2 penalty on the weights (default 0)")
    parser.add_argument("--checkpoint-every", type=non_negative_int, default=100,
                        help="write the checkpoint every N epochs and after the last (default 100)")
    add_run_arguments(parser, epochs=1000, lr=0.01, batch_size=None, logdir="runs/linear", dtype="float64")
    parser.add_argument("--batch-size", type=non_negative_int, default=0,
                        help="examples per minibatch; 0 (default) uses the whole data set each step")


def _read_regression_npz(path: str) -> Tuple[np.ndarray, np.ndarray]:
    from framework.training.arguments import CommandError

    if not os.path.isfile(path):
        raise CommandError(f"--data: file not found: {path}")
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            entries = {k: archive[k] for k in archive.files}
    except Exception as exc:  # BadZipFile, ValueError (pickled objects), ...
        raise CommandError(f"--data: {path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if "x" not in entries or "y" not in entries:
        raise CommandError(f"--data: {path} must hold arrays 'x' and 'y' (it has: {', '.join(sorted(entries)) or 'none'})")
    x, y = entries["x"], entries["y"]
    for key, value in (("x", x), ("y", y)):
        if value.ndim not in (1, 2) or not np.issubdtype(value.dtype, np.number) or len(value) == 0:
            raise CommandError(f"--data: {path}: '{key}' must be a non-empty 1-d or 2-d numeric array, "
                               f"got shape {value.shape}, dtype {value.dtype}")
    if len(x) != len(y):
        raise CommandError(f"--data: {path}: 'x' has {len(x)} rows but 'y' has {len(y)}")
    return x, y


def train_linear(args: argparse.Namespace) -> int:
    import framework
    import framework.tensor as T
    from framework.training.arguments import final_cost_text, run_settings
    from framework.training.loop import Trainer

    from .models import LinearRegression

    with run_settings(args):
        dtype = framework.config.floatX
        if args.data is None:
            x_all, y_all = SEED_LAB_X, SEED_LAB_Y
            data_name = "seed-lab y=2x+1"
        else:
            x_all, y_all = _read_regression_npz(args.data)
            data_name = os.path.abspath(args.data)
        x_all = x_all.astype(dtype)
        y_all = y_all.astype(dtype)
        n = len(x_all)
        batch = n if args.batch_size in (0, None) or args.batch_size > n else args.batch_size
        n_batches = n // batch

        x = T.vector("x") if x_all.ndim == 1 else T.matrix("x")
        y = T.vector("y") if y_all.ndim == 1 else T.matrix("y")
        n_in = 1 if x_all.ndim == 1 else x_all.shape[1]
        n_out = 1 if y_all.ndim == 1 else y_all.shape[1]
        model = LinearRegression(input=x, n_in=n_in, n_out=n_out, l1=args.l1, l2=args.l2)
        cost = model.cost(y)
        grads = T.grad(cost, model.params)
        lr = T.cast(args.lr, dtype)
        updates = [(p, p - lr * g) for p, g in zip(model.params, grads)]
        data_x = framework.shared(x_all, name="data_x")
        data_y = framework.shared(y_all, name="data_y")
        index = T.lscalar("index")
        step = framework.function([index], cost, updates=updates, name="train_linear",
                                  givens={x: data_x[index * batch:(index + 1) * batch],
                                          y: data_y[index * batch:(index + 1) * batch]})
        hparams = {"family": "linear", "data": data_name, "lr": args.lr, "l1": args.l1, "l2": args.l2,
                   "batch_size": batch, "epochs": args.epochs, "seed": args.seed, "dtype": dtype,
                   "device": framework.config.device}
        trainer = Trainer(
            args.logdir, family="linear", step=step, n_batches=n_batches, epochs=args.epochs,
            state={"W": model.W, "b": model.b}, params={"W": model.W, "b": model.b}, hparams=hparams,
            resume_keys=["data", "lr", "l1", "l2", "batch_size", "dtype"], graph=step,
            resume=args.resume, overwrite=args.overwrite,
            checkpoint_every=max(1, args.checkpoint_every or 1), progress="run" if n_batches == 1 else "epoch",
            cost_tag="linear/loss", hparams_shown=("lr", "batch_size", "l1", "l2", "epochs", "seed"),
            cost_description="mean squared error of the minibatch plus the L1/L2 penalties (just the mean "
                             "squared error when --l1 and --l2 are 0), lower is better")
        try:
            result = trainer.fit()
            mse = float(framework.function([], model.errors(y), givens={x: data_x, y: data_y})())
            trainer.finish({"hparam/mse": mse})
        finally:
            trainer.close()
        W, b = model.W.get_value(), model.b.get_value()
        print(f"linear regression on {data_name}: {result.epochs} epochs, {final_cost_text(result.costs)}, mse {mse:.6g}")
        print(f"  w = {np.array2string(np.asarray(W), precision=6)}")
        print(f"  b = {np.array2string(np.asarray(b), precision=6)}")
        print(trainer.outputs_summary())
    return 0


# --------------------------------------------------------------------------
# logistic
# --------------------------------------------------------------------------

VALID_ERROR_TAG = "logistic/valid_error"


def add_logistic_arguments(parser: argparse.ArgumentParser) -> None:
    from framework.training.arguments import add_run_arguments, non_negative_float

    parser.description = (
        "Logistic regression by minibatch gradient descent: binary (sigmoid) when the data has\n"
        "two classes, multi-class (softmax) otherwise -- the deeplearning.net logistic_sgd model.\n"
        "Logs logistic/nll, logistic/valid_error and the weights of each class as the 'filters' image.")
    parser.add_argument("--dataset", default="digits",
                        help="digits (default), mnist, bars_and_stripes is unlabelled so not accepted, "
                             "or a path (.npz with labels, mnist.pkl.gz, an MNIST IDX directory)")
    parser.add_argument("--l1", type=non_negative_float, default=0.0, help="L1 penalty on the weights (default 0)")
    parser.add_argument("--l2", type=non_negative_float, default=0.0, help="L2 penalty on the weights (default 0)")
    add_run_arguments(parser, epochs=30, lr=0.1, batch_size=20, logdir="runs/logistic")


def _labelled(dataset: Any, name: str) -> None:
    from framework.training.arguments import CommandError

    if dataset.train[1] is None:
        raise CommandError(f"--dataset {name}: logistic regression needs labels, and this dataset has none")


def train_logistic(args: argparse.Namespace) -> int:
    import framework
    import framework.tensor as T
    from framework.training.arguments import CommandError, final_cost_text, run_settings
    from framework.training.minibatch import minibatch_step
    from framework.training.loop import Trainer
    from framework.utils import tile_raster_images

    from .models import LogisticRegression

    with run_settings(args):
        dtype = framework.config.floatX
        data = framework.datasets.load(args.dataset, dtype=dtype)
        _labelled(data, args.dataset)
        (train_x, train_y), (valid_x, valid_y) = data.train, data.valid
        if len(train_x) < args.batch_size:
            raise CommandError(f"--batch-size {args.batch_size} is larger than the {len(train_x)} training examples")
        n_classes = int(max(train_y.max(), valid_y.max() if valid_y is not None and len(valid_y) else 0)) + 1
        binary = n_classes <= 2
        n_out = 1 if binary else n_classes
        n_batches = len(train_x) // args.batch_size

        x = T.matrix("x")
        y = T.vector("y") if binary else T.lvector("y")
        model = LogisticRegression(input=x, n_in=train_x.shape[1], n_out=n_out, l1=args.l1, l2=args.l2)
        cost = model.cost(y)
        grads = T.grad(cost, model.params)
        lr = T.cast(args.lr, dtype)
        updates = [(p, p - lr * g) for p, g in zip(model.params, grads)]
        label_dtype = dtype if binary else "int64"
        bs = args.batch_size
        step = minibatch_step(x, y, train_x, train_y.astype(label_dtype), cost, updates, args.batch_size,
                              name="train_logistic")
        error_fn = framework.function([x, y], model.errors(y), name="errors")

        def evaluate(epoch: int) -> Dict[str, float]:
            out = {}
            if valid_y is not None and len(valid_y):
                out[VALID_ERROR_TAG] = float(error_fn(valid_x, valid_y.astype(label_dtype)))
            return out

        shape = data.shape if len(data.shape) == 2 else None

        def filters() -> np.ndarray:
            W = np.asarray(model.W.get_value())
            rows = W.reshape(1, -1) if W.ndim == 1 else W.T
            return tile_raster_images(rows, img_shape=shape, tile_shape=(1, len(rows)), tile_spacing=(1, 1))

        hparams = {"family": "logistic", "dataset": args.dataset, "lr": args.lr, "l1": args.l1, "l2": args.l2,
                   "batch_size": bs, "epochs": args.epochs, "seed": args.seed, "dtype": dtype,
                   "classes": n_classes, "device": framework.config.device}
        trainer = Trainer(
            args.logdir, family="logistic", step=step, n_batches=n_batches, epochs=args.epochs,
            state={"W": model.W, "b": model.b}, params={"W": model.W, "b": model.b}, hparams=hparams,
            resume_keys=["dataset", "lr", "l1", "l2", "batch_size", "dtype", "classes"],
            filters=filters if shape is not None else None, evaluate=evaluate, graph=step,
            resume=args.resume, overwrite=args.overwrite, cost_tag="logistic/nll",
            hparams_shown=("lr", "batch_size", "l1", "l2", "epochs", "seed"),
            cost_description="mean negative log-likelihood of the minibatch's labels in nats, plus the L1/L2 "
                             "penalties; lower is better",
            descriptions={VALID_ERROR_TAG: "error rate on the validation set: the fraction of its examples "
                                           "classified wrongly after each epoch, lower is better",
                          "filters": "the weights of each class (one tile per class), scaled to [0, 1]; "
                                     "step = epoch - 1"})
        try:
            result = trainer.fit()
            test_x, test_y = data.test
            metrics = {}
            if test_y is not None and len(test_y):
                metrics["hparam/test_error"] = float(error_fn(test_x, test_y.astype(label_dtype)))
            trainer.finish(metrics)
        finally:
            trainer.close()
        kind = "binary" if binary else f"{n_classes}-class"
        print(f"{kind} logistic regression on {args.dataset}: {result.epochs} epochs, {final_cost_text(result.costs)}")
        for tag, values in result.extra.items():
            print(f"  {tag}: {values[-1]:.4f}")
        if "hparam/test_error" in metrics:
            print(f"  test/error: {metrics['hparam/test_error']:.4f}")
        print(trainer.outputs_summary())
    return 0
