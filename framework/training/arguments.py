"""Command-line arguments that model families share (``framework train <family>``).

Model plugins build their ``add_arguments``/``train`` from these, so they never
import the command line itself (``framework/cli.py``), which imports them.
"""
from __future__ import annotations

import argparse
import contextlib
from typing import Any, Callable, Iterator, Optional

__all__ = ["CommandError", "final_cost_text", "add_run_arguments", "run_settings", "positive_int", "non_negative_int",
           "positive_float", "non_negative_float"]


class CommandError(Exception):
    """A problem with the command line itself; printed as ``error: <message>``."""


def _number(kind: type, ok: Callable[[Any], bool], wanted: str) -> Callable[[str], Any]:
    """An argparse type: parse ``text`` as ``kind`` and require ``ok(value)``."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a finite number > 0")
_non_negative_float = _number(float, lambda v: 0 <= v < float("inf"), "a finite number >= 0")


positive_int = _positive_int
non_negative_int = _non_negative_int
positive_float = _positive_float
non_negative_float = _non_negative_float


def add_run_arguments(parser: argparse.ArgumentParser, *, epochs: Optional[int], lr: float,
                      batch_size: Optional[int], logdir: str, seed: int = 123,
                      dtype: str = "float32") -> None:
    """The options every ``framework train <family>`` shares.

    ``epochs``/``batch_size`` of ``None`` mean "the family picks a default
    that depends on the data" (documented in its help text).
    """
    from .loop import DefaultEpochs

    group = parser.add_argument_group("training run")
    group.add_argument("--epochs", type=_non_negative_int, default=DefaultEpochs(epochs) if epochs is not None else None,
                       help="passes over the training data" + (f" (default {epochs}); --resume without it "
                                                                "continues to the run's own number" if epochs is not None else ""))
    group.add_argument("--lr", type=_positive_float, default=lr, help=f"learning rate (default {lr})")
    if batch_size is not None:
        group.add_argument("--batch-size", type=_positive_int, default=batch_size,
                           help=f"examples per minibatch (default {batch_size})")
    group.add_argument("--seed", type=int, default=seed,
                       help=f"seed of every random number the run uses (default {seed})")
    group.add_argument("--logdir", default=logdir,
                       help=f"directory for TensorBoard events, PNGs and the checkpoint (default {logdir})")
    group.add_argument("--device", default=None,
                       help="device to run on: cpu (default), cuda or cuda:N (needs the CuPy backend)")
    group.add_argument("--dtype", choices=("float32", "float64"), default=dtype,
                       help=f"floating-point type of the model and data (default {dtype})")
    group.add_argument("--resume", action="store_true",
                       help="continue the run whose checkpoint is in --logdir (same settings required) up to "
                            "its number of epochs, or to --epochs if given")
    group.add_argument("--overwrite", action="store_true",
                       help="delete the run already in --logdir (events, PNGs, checkpoint) and start again")


@contextlib.contextmanager
def run_settings(args: argparse.Namespace) -> Iterator[None]:
    """Apply ``--device`` and ``--dtype`` for the duration of a command.

    The device is checked first, so an unknown or unavailable one is a
    clear error before any work is done.
    """
    from ..config import config
    from ..core.backend import get_backend

    flags = {"device": getattr(args, "device", None) or config.device}
    if getattr(args, "dtype", None):
        flags["floatX"] = args.dtype
    try:
        settings = config.change_flags(**flags)
        settings.__enter__()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        get_backend(flags["device"])  # an unknown or unavailable device: BackendError naming it and why
        yield
    finally:
        settings.__exit__(None, None, None)


def final_cost_text(costs: Any) -> str:
    """The end-of-run phrase for a family's last training cost: ``final cost 0.123``,
    or ``nothing trained`` when the run trained no epoch (``--epochs 0``, or a
    resumed run that was already complete) -- never ``nan``."""
    return f"final cost {costs[-1]:.6g}" if len(costs) else "nothing trained"
