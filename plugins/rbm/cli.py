"""``framework train rbm`` and ``framework sample rbm``.

``train`` is the tutorial's ``test_rbm``: the training function built from
``RBM.get_cost_updates`` with minibatches taken from a shared dataset through
``givens``, trained epoch by epoch by the shared
:class:`~framework.training.loop.Trainer` (progress bar, TensorBoard, PNGs,
checkpoints, ``--resume``), then ``n_chains`` persistent chains sampled
``n_samples`` times every ``plot_every`` Gibbs steps (``samples.png``), then
the test set's average log-likelihood (exact when the smaller layer has at
most 20 units, else AIS with an error bar).

Defaults are the tutorial's (15 epochs, PCD-15, lr 0.1, batch 20, 500 hidden
units, 20 chains, 10 samples, 1000 steps between samples) except that with
no ``--dataset`` it trains on ``digits`` (8x8, 64 visible units) with 100
hidden units, which takes seconds.
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Dict, Optional

import numpy as np

DEFAULT_DATASET = "digits"
DEFAULT_HIDDEN = 500
DIGITS_HIDDEN = 100
RESUME_KEYS = ("dataset", "visible", "n_visible", "n_hidden", "k", "persistent", "lr", "batch_size", "seed", "dtype")


def default_hidden(dataset: str) -> int:
    """500 hidden units (the tutorial's), 100 for the 64-pixel digits."""
    return DIGITS_HIDDEN if dataset == "digits" else DEFAULT_HIDDEN


def _add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    from framework.training.arguments import positive_int

    group = parser.add_argument_group("sampling (the tutorial's samples.png)")
    group.add_argument("--n-chains", type=positive_int, default=20, help="persistent chains sampled in parallel (default 20)")
    group.add_argument("--n-samples", type=int, default=10,
                       help="samples drawn from each chain (default 10; 0 skips sampling)")
    group.add_argument("--plot-every", type=positive_int, default=1000,
                       help="Gibbs steps between two samples (default 1000)")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from framework.training.arguments import add_run_arguments, non_negative_int, positive_int

    parser.description = (
        "Train a restricted Boltzmann machine with CD-k or PCD-k, as the deeplearning.net tutorial\n"
        "(rbm.py), logging to TensorBoard. With no options: the tutorial's experiment on the 8x8\n"
        "'digits' (64 visible units) with 100 hidden units; everything else at the tutorial's values.")
    model = parser.add_argument_group("model")
    model.add_argument("--dataset", default=DEFAULT_DATASET,
                       help="digits (default), mnist (reads ./mnist.pkl.gz), bars_and_stripes, or a path: "
                            ".npz, mnist.pkl.gz, or a directory of MNIST IDX files")
    model.add_argument("--hidden", type=positive_int, default=None,
                       help=f"hidden units (default {DEFAULT_HIDDEN}; {DIGITS_HIDDEN} for digits)")
    model.add_argument("--visible", choices=("binary", "gaussian"), default="binary",
                       help="visible units: binary (RBM, default) or gaussian (GaussianBernoulliRBM, data "
                            "standardised per feature; use a smaller --lr such as 0.01)")
    model.add_argument("--k", type=positive_int, default=15, help="Gibbs steps per update: CD-k / PCD-k (default 15)")
    model.add_argument("--persistent", action=argparse.BooleanOptionalAction, default=True,
                       help="persistent chains (PCD, default) or chains restarted at the data (CD: --no-persistent)")
    add_run_arguments(parser, epochs=15, lr=0.1, batch_size=20, logdir="runs/rbm")
    _add_sampling_arguments(parser)
    evaluation = parser.add_argument_group("evaluation (test-set log-likelihood)")
    evaluation.add_argument("--ais-runs", type=non_negative_int, default=100,
                            help="AIS runs when the model is too big for the exact value (default 100; 0 skips)")
    evaluation.add_argument("--ais-betas", type=positive_int, default=1000,
                            help="AIS inverse temperatures (default 1000; Salakhutdinov & Murray used 14500)")


def add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Draw samples from the RBM whose checkpoint is in --logdir (written by "
                          "`framework train rbm`): the tutorial's persistent chains, started from test examples.")
    parser.add_argument("--logdir", required=True, help="the training run's directory (holds checkpoint.npz)")
    _add_sampling_arguments(parser)
    parser.add_argument("--seed", type=int, default=None, help="seed of the chains (default: the run's seed)")
    parser.add_argument("--device", default=None, help="cpu (default), cuda or cuda:N")


# --------------------------------------------------------------------------
# Building the run
# --------------------------------------------------------------------------

def _dataset_name(name: str) -> str:
    """Registered names stay as they are; paths become absolute (so a resumed run finds them)."""
    import framework.datasets as datasets

    target, extra = datasets.resolve(name)
    return os.path.abspath(extra["path"]) if "path" in extra else target


def _load(name: str, dtype: str) -> Any:
    import framework.datasets as datasets

    return datasets.load(name, dtype=dtype)


def _standardise(data: Any) -> tuple:
    mean = data.train[0].mean(axis=0)
    std = data.train[0].std(axis=0)
    std = np.where(std > 1e-8, std, 1.0).astype(mean.dtype)
    return mean, std


def train(args: argparse.Namespace) -> int:
    """``framework train rbm``: see the module docstring."""
    run_training(args)
    return 0


def run_training(args: argparse.Namespace) -> Dict[str, Any]:
    """Everything ``framework train rbm`` does; returns what happened (for benchmarks and tests).

    Keys: ``costs`` (per epoch), ``train_seconds`` (the epochs this call
    trained), ``compile_seconds``, ``n_batches``, ``log_likelihood`` (or None).
    """
    import framework
    import framework.tensor as T
    from framework.training.arguments import CommandError, run_settings
    from framework.random import RandomStreams
    from framework.training.loop import Trainer

    from .likelihood import log_likelihood
    from .rbm import RBM, GaussianBernoulliRBM
    from .sampling import Sampler, filters_image, image_shape, initial_chains, samples_image

    if args.n_samples < 0:
        raise CommandError(f"--n-samples must be >= 0, got {args.n_samples}")
    with run_settings(args):
        dtype = framework.config.floatX
        dataset_name = _dataset_name(args.dataset)
        data = _load(args.dataset, dtype)
        train_x = np.asarray(data.train[0], dtype=dtype)
        test_x = np.asarray(data.test[0] if len(data.test[0]) else train_x, dtype=dtype)
        n_visible = train_x.shape[1]
        n_hidden = args.hidden or default_hidden(args.dataset)
        if len(train_x) < args.batch_size:
            raise CommandError(f"--batch-size {args.batch_size} is larger than the {len(train_x)} training "
                               f"examples of {args.dataset}")
        gaussian = args.visible == "gaussian"
        mean = std = None
        if gaussian:
            mean, std = _standardise(data)
            train_x = ((train_x - mean) / std).astype(dtype)
            test_x = ((test_x - mean) / std).astype(dtype)
        n_train_batches = len(train_x) // args.batch_size
        img = image_shape(data.shape, n_visible)

        # --- the tutorial's test_rbm, in this API ---
        index = T.lscalar("index")
        x = T.matrix("x")
        rng = np.random.RandomState(args.seed)
        srng = RandomStreams(rng.randint(2 ** 30))
        train_set_x = framework.shared(train_x, name="train_set_x", borrow=True)
        persistent_chain = None
        if args.persistent:
            persistent_chain = framework.shared(np.zeros((args.batch_size, n_hidden), dtype=dtype),
                                                name="persistent_chain", borrow=True)
        cls = GaussianBernoulliRBM if gaussian else RBM
        rbm = cls(input=x, n_visible=n_visible, n_hidden=n_hidden, numpy_rng=rng, srng=srng)
        cost, updates = rbm.get_cost_updates(lr=args.lr, persistent=persistent_chain, k=args.k)
        bs = args.batch_size
        compile_start = time.perf_counter()
        train_rbm = framework.function([index], cost, updates=updates, name="train_rbm",
                                       givens={x: train_set_x[index * bs:(index + 1) * bs]})
        compile_seconds = time.perf_counter() - compile_start

        state: Dict[str, Any] = {"W": rbm.W, "hbias": rbm.hbias, "vbias": rbm.vbias}
        if persistent_chain is not None:
            state["persistent_chain"] = persistent_chain
        if rbm.bit_i_idx is not None:
            state["bit_i_idx"] = rbm.bit_i_idx
        if gaussian:
            state["data_mean"] = framework.shared(mean, name="data_mean")
            state["data_std"] = framework.shared(std, name="data_std")
        state.update(_random_states(train_rbm, state))

        hparams = {"family": "rbm", "dataset": dataset_name, "visible": args.visible, "n_visible": n_visible,
                   "n_hidden": n_hidden, "k": args.k, "persistent": bool(args.persistent), "lr": args.lr,
                   "batch_size": bs, "epochs": args.epochs, "seed": args.seed, "dtype": dtype,
                   "device": framework.config.device, "image_shape": list(img)}
        exact_each_epoch = _cheap_exact(n_visible, n_hidden, gaussian)
        cost_tag, cost_description = _monitor(args.persistent, gaussian)

        def evaluate(epoch: int) -> Dict[str, float]:
            if not exact_each_epoch:
                return {}
            return {LL_TAG: log_likelihood(rbm, test_x, method="exact").value}

        trainer = Trainer(
            args.logdir, family="rbm", step=train_rbm, n_batches=n_train_batches, epochs=args.epochs,
            state=state, params={"W": rbm.W, "hbias": rbm.hbias, "vbias": rbm.vbias}, hparams=hparams,
            resume_keys=RESUME_KEYS, filters=lambda: filters_image(rbm.W.get_value(), img),
            evaluate=evaluate, graph=train_rbm, resume=args.resume, overwrite=args.overwrite,
            cost_tag=cost_tag, cost_description=cost_description,
            hparams_shown=("lr", "k", "n_hidden", "persistent", "batch_size", "seed"),
            descriptions={LL_TAG: LL_DESCRIPTION,
                          "filters": f"the weights of the first {min(n_hidden, 100)} hidden units, one "
                                     f"{img[0]}x{img[1]} tile each, scaled to [0, 1]; step = epoch - 1"})
        ll = None
        try:
            trainer.prepare()  # a refused run says why before anything else is printed
            kind = f"{'PCD' if args.persistent else 'CD'}-{args.k}"
            print(f"training a {n_visible}x{n_hidden} {'Gaussian-Bernoulli ' if gaussian else ''}RBM with {kind} "
                  f"on {args.dataset} ({len(train_x)} examples, {n_train_batches} minibatches of {bs}) for "
                  f"{trainer.epochs} epochs; compiled in {compile_seconds:.2f} s; logs in {args.logdir}")
            result = trainer.fit()
            if result.trained == 0 and result.start_epoch > 0:
                print("nothing new was trained: samples, log-likelihood and TensorBoard are left as they were")
            else:
                print(f"trained {result.trained} epoch{'s' if result.trained != 1 else ''} in {result.seconds:.1f} s")
                if args.n_samples > 0:
                    start = time.perf_counter()
                    sampler = Sampler(rbm, initial_chains(test_x, args.n_chains, rng), plot_every=args.plot_every)
                    samples = sampler.run(args.n_samples)
                    if gaussian:
                        samples = [s * std + mean for s in samples]
                    path = trainer.log_samples(samples_image(samples, img, scale=gaussian),
                                               description=SAMPLES_DESCRIPTION.format(
                                                   chains=args.n_chains, samples=args.n_samples,
                                                   steps=args.plot_every))
                    print(f"sampled {args.n_chains} chains x {args.n_samples} samples, {args.plot_every} Gibbs "
                          f"steps apart, in {time.perf_counter() - start:.1f} s: {path}")

                metrics: Dict[str, float] = {}
                ll = _evaluate_final(rbm, test_x, train_x, args, gaussian)
                if ll is not None:
                    metrics["hparam/test_log_likelihood"] = ll.value
                    _log_final_likelihood(trainer, ll, logged_each_epoch=exact_each_epoch)
                    print(f"test log-likelihood{' (of the standardised data)' if gaussian else ''}: {ll}")
                trainer.finish(metrics)
            print(trainer.outputs_summary())
        finally:
            trainer.close()
    return {"costs": result.costs, "train_seconds": result.seconds, "compile_seconds": compile_seconds,
            "n_batches": n_train_batches, "epochs_trained": result.trained,
            "log_likelihood": ll}


LL_TAG = "rbm/test_log_likelihood"
LL_DESCRIPTION = ("average log-likelihood of the test set, in nats per example (higher is better): exact "
                  "when the smaller layer is small, else estimated by annealed importance sampling (AIS), "
                  "whose 3-standard-error interval is logged as rbm/test_log_likelihood_low and _high")
SAMPLES_DESCRIPTION = ("{samples} samples (rows) from each of {chains} persistent chains (columns) started at "
                       "test examples, {steps} Gibbs steps apart")
_MONITORS = {
    # (persistent, gaussian) -> (tag, description): what get_cost_updates returns
    (True, False): ("rbm/pseudo_log_likelihood",
                    "the tutorial's PCD monitor: pseudo-log-likelihood of the training minibatches "
                    "(sum over pixels of log p(x_i | x_rest), one pixel flipped per call), higher is better"),
    (False, False): ("rbm/reconstruction_xent",
                     "the tutorial's CD monitor: cross-entropy between the minibatch and its reconstruction "
                     "after k Gibbs steps, lower is better"),
    (True, True): ("rbm/reconstruction_mse",
                   "squared error of the mean-field reconstruction input -> E[h] -> E[v] (of the standardised "
                   "data), lower is better"),
    (False, True): ("rbm/reconstruction_mse",
                    "squared error of the reconstruction after k Gibbs steps (of the standardised data), "
                    "lower is better"),
}


def _monitor(persistent: bool, gaussian: bool) -> tuple:
    """The tag and description of the monitoring cost ``get_cost_updates`` returns."""
    return _MONITORS[(bool(persistent), bool(gaussian))]


def _log_final_likelihood(trainer: Any, ll: Any, logged_each_epoch: bool) -> None:
    """The test log-likelihood at the last epoch; for AIS also its interval (a Margin chart)."""
    step = max(trainer.epochs - 1, 0)
    log = trainer.logger
    if not logged_each_epoch:
        log.scalar(LL_TAG, ll.value, step, description=LL_DESCRIPTION)
    if ll.method != "exact":
        import math

        # An end is infinite when the AIS weights vary too much (more --ais-runs or --ais-betas
        # narrow it); TensorBoard cannot draw it, so only finite ends are logged.
        for suffix, value, which in (("_low", ll.low, "lower"), ("_high", ll.high, "upper")):
            if math.isfinite(value):
                log.scalar(LL_TAG + suffix, value, step,
                           description=f"{which} end of the AIS estimate's interval (3 standard errors)")
        log.custom_scalars({"rbm": {"test log-likelihood (AIS, with its interval)":
                                    ["Margin", [LL_TAG, LL_TAG + "_low", LL_TAG + "_high"]]}})
    log.flush()


def _cheap_exact(n_visible: int, n_hidden: int, gaussian: bool) -> bool:
    """Whether the exact log-likelihood is cheap enough to log after every epoch."""
    layer = n_hidden if gaussian else min(n_visible, n_hidden)
    other = n_visible if layer == n_hidden else n_hidden
    return layer <= 16 and (1 << layer) * other <= 2e7


def _evaluate_final(rbm: Any, test_x: np.ndarray, train_x: np.ndarray, args: argparse.Namespace,
                    gaussian: bool) -> Optional[Any]:
    from .likelihood import EXACT_MAX_UNITS, log_likelihood

    layer = rbm.n_hidden if gaussian else min(rbm.n_visible, rbm.n_hidden)
    if layer <= EXACT_MAX_UNITS:
        return log_likelihood(rbm, test_x, method="exact")
    if args.ais_runs < 2:
        return None
    return log_likelihood(rbm, test_x, method="ais", n_runs=args.ais_runs, n_betas=args.ais_betas,
                          base_data=train_x, rng=args.seed)


def _random_states(function: Any, named: Dict[str, Any]) -> Dict[str, Any]:
    """Names for the random generator states the training function updates, in creation order."""
    from framework.core.shared import RNGSharedVariable
    from framework.training.loop import updated_shared

    known = {id(v) for v in named.values()}
    rngs = [v for v in updated_shared(function) if isinstance(v, RNGSharedVariable) and id(v) not in known]
    rngs.sort(key=lambda v: getattr(v, "_id", 0))
    return {f"rng_{i}": v for i, v in enumerate(rngs)}


# --------------------------------------------------------------------------
# framework sample rbm
# --------------------------------------------------------------------------

def sample(args: argparse.Namespace) -> int:
    import framework
    from framework.training.arguments import CommandError, run_settings
    from framework.random import RandomStreams
    from framework.training.loop import read_checkpoint
    from framework.training.tensorboard import RunLogger
    from framework.training.checkpoint import save_png
    from framework.training.images import upscale

    from .rbm import RBM, GaussianBernoulliRBM
    from .sampling import Sampler, image_shape, initial_chains, samples_image

    if args.n_samples < 1:
        raise CommandError(f"--n-samples must be >= 1, got {args.n_samples}")
    if not os.path.isdir(args.logdir):
        raise CommandError(f"--logdir {args.logdir} is not a directory")
    arrays, meta = read_checkpoint(args.logdir, "rbm")
    hp = meta["hparams"]
    args.dtype = hp.get("dtype", "float64")
    with run_settings(args):
        dtype = framework.config.floatX
        try:
            W, hbias, vbias = (np.asarray(arrays[name], dtype=dtype) for name in ("W", "hbias", "vbias"))
        except KeyError as exc:
            raise CommandError(f"the checkpoint in {args.logdir} has no RBM parameter {exc}") from None
        gaussian = hp.get("visible") == "gaussian"
        seed = hp.get("seed", 123) if args.seed is None else args.seed
        rng = np.random.RandomState(seed)
        data = _load(hp["dataset"], dtype)
        test_x = np.asarray(data.test[0] if len(data.test[0]) else data.train[0], dtype=dtype)
        if test_x.shape[1] != W.shape[0]:
            raise CommandError(f"dataset {hp['dataset']} has {test_x.shape[1]} features but the RBM has "
                               f"{W.shape[0]} visible units")
        mean = std = None
        if gaussian:
            mean, std = np.asarray(arrays["data_mean"], dtype=dtype), np.asarray(arrays["data_std"], dtype=dtype)
            test_x = ((test_x - mean) / std).astype(dtype)
        cls = GaussianBernoulliRBM if gaussian else RBM
        rbm = cls(n_visible=W.shape[0], n_hidden=W.shape[1],
                  W=framework.shared(W, name="W"), hbias=framework.shared(hbias, name="hbias"),
                  vbias=framework.shared(vbias, name="vbias"), numpy_rng=rng,
                  srng=RandomStreams(rng.randint(2 ** 30)))
        img = tuple(hp.get("image_shape") or image_shape(data.shape, W.shape[0]))
        start = time.perf_counter()
        sampler = Sampler(rbm, initial_chains(test_x, args.n_chains, rng), plot_every=args.plot_every)
        samples = sampler.run(args.n_samples)
        if gaussian:
            samples = [s * std + mean for s in samples]
        image = upscale(samples_image(samples, img, scale=gaussian))
        path = os.path.join(args.logdir, "samples.png")
        save_png(path, image)
        with RunLogger(args.logdir, role="sample") as log:
            log.image("samples", image, int(meta["epoch"]))
        print(f"sampled {args.n_chains} chains x {args.n_samples} samples, {args.plot_every} Gibbs steps apart, "
              f"in {time.perf_counter() - start:.1f} s: {path}")
    return 0
