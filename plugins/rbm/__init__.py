"""Restricted Boltzmann machines.

A bundled plugin registered exactly as a third party's would be (entry point
``framework.plugins``). Through ``framework_models()`` it gives the families
``rbm`` (:class:`RBM`, with ``framework train rbm`` / ``framework sample
rbm``) and ``gaussian_rbm`` (:class:`GaussianBernoulliRBM`; trained with
``framework train rbm --visible gaussian``). Its data sets come from the
bundled ``datasets`` plugin.

Importing this package is cheap: the command-line code loads only when a
command runs.
"""
from __future__ import annotations

from typing import Iterator

from framework.plugins import ModelSpec, hookimpl

from .datasets import Dataset, DatasetError, bars_and_stripes, load_digits, load_mnist, load_npz
from .rbm import RBM, GaussianBernoulliRBM

__version__ = "0.1.0"
__all__ = ["RBM", "GaussianBernoulliRBM", "Dataset", "DatasetError", "framework_models"]


def _add_train_arguments(parser):
    from .cli import add_train_arguments

    add_train_arguments(parser)


def _train(args):
    from .cli import train

    return train(args)


def _add_sample_arguments(parser):
    from .cli import add_sample_arguments

    add_sample_arguments(parser)


def _sample(args):
    from .cli import sample

    return sample(args)


@hookimpl
def framework_models() -> Iterator[ModelSpec]:
    yield ModelSpec(
        name="rbm", factory=RBM, add_arguments=_add_train_arguments, train=_train,
        sample=_sample, add_sample_arguments=_add_sample_arguments,
        metrics=(("test_log_likelihood", "max"),),
        doc="Restricted Boltzmann machine (binary units) trained with CD-k or PCD-k, as the "
            "deeplearning.net tutorial; --visible gaussian trains a Gaussian-Bernoulli RBM.")
    yield ModelSpec(name="gaussian_rbm", factory=GaussianBernoulliRBM,
                    doc="RBM with Gaussian (real-valued, unit-variance) visible units and binary hidden units.")
