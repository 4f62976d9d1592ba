"""The ``framework`` command.

::

    framework train <family> [options]    train a model family (rbm, linear, logistic, ...)
    framework sample <family> --logdir D  draw samples from a trained model (rbm)
    framework plugins                     list plugins and what each registered
    framework sweep <family> --param ...  hyper-parameter sweep on Dask (framework.sweep)

The ``train``/``sample`` subcommands are built from the model families that
plugins registered (``ModelSpec.add_arguments``/``train``/``sample``), so a
third-party family gets its own ``framework train <name>`` for free.

Errors a user can cause (a missing dataset file, a corrupt checkpoint, an
unknown device, bad options...) print one ``error: ...`` line and exit with
status 1, without a traceback; ``--traceback`` (or ``FRAMEWORK_TRACEBACK=1``)
shows it. Ctrl-C exits with status 130 and says how to resume.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from typing import Any, Callable, Iterator, List, Optional, Sequence

__all__ = ["main", "CommandError", "add_run_arguments", "run_settings", "build_parser"]


class CommandError(Exception):
    """A problem with the command line itself; printed as ``error: <message>``."""


# --------------------------------------------------------------------------
# Helpers for model families (used by the plugins' add_arguments/train)
# --------------------------------------------------------------------------

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
    from .training.loop import DefaultEpochs

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
    from .config import config
    from .core.backend import get_backend

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


# --------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors raise instead of exiting (main prints them)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with one ``train``/``sample`` subcommand per registered family."""
    from . import models

    parser = _Parser(prog="framework",
                     description="Train and sample the model families that plugins provide; list plugins.")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    parser.add_argument("--version", action="version", version=_version_text(),
                        help="print the version of framework, Python and NumPy, then exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    specs = models.specs()
    trainable = {name: s for name, s in sorted(specs.items()) if s.train is not None}
    samplable = {name: s for name, s in sorted(specs.items()) if s.sample is not None}

    train = commands.add_parser("train", help="train a model family: " + (", ".join(trainable) or "none"),
                                description="Train a model family registered by a plugin.")
    train_families = train.add_subparsers(dest="family", metavar="FAMILY", parser_class=_Parser)
    for name, record in trainable.items():
        doc = record.doc or getattr(record.factory, "__doc__", "") or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else name
        sub = train_families.add_parser(name, help=summary, description=doc.strip() or None,
                                        formatter_class=argparse.RawDescriptionHelpFormatter)
        if record.add_arguments is not None:
            record.add_arguments(sub)
        sub.set_defaults(_handler=record.train, _family=name)

    sample = commands.add_parser("sample", help="sample a trained model: " + (", ".join(samplable) or "none"),
                                 description="Draw samples from a model trained with `framework train`.")
    sample_families = sample.add_subparsers(dest="family", metavar="FAMILY", parser_class=_Parser)
    for name, record in samplable.items():
        sub = sample_families.add_parser(name, help=f"sample a trained {name} model")
        if record.add_sample_arguments is not None:
            record.add_sample_arguments(sub)
        sub.set_defaults(_handler=record.sample, _family=name)

    plugins_cmd = commands.add_parser("plugins", help="list plugins, their versions and what they registered")
    plugins_cmd.set_defaults(_handler=_plugins_command)
    from .compat.theano.command import add_command as _add_theano_command  # framework theano script.py

    _add_theano_command(commands)

    from .sweep.cli import add_command as add_sweep_command

    add_sweep_command(commands)
    return parser


def _version_text() -> str:
    """``framework 0.1.0 (Python 3.12.3, NumPy 2.1.0)``: what a bug report needs first."""
    import platform

    import numpy

    from . import __version__

    return f"framework {__version__} (Python {platform.python_version()}, NumPy {numpy.__version__})"


def _plugins_command(args: argparse.Namespace) -> int:
    from . import plugins

    print(plugins.format_plugins())
    return 0


def _family_problem(argv: Sequence[str]) -> Optional[str]:
    """A clear message for ``framework train <unknown>`` (argparse's is cryptic)."""
    from . import models

    if len(argv) >= 2 and argv[0] in ("train", "sample") and not argv[1].startswith("-"):
        specs = models.specs()
        need = "train" if argv[0] == "train" else "sample"
        if argv[1] not in specs:
            known = ", ".join(sorted(n for n, s in specs.items() if getattr(s, need) is not None)) or "none"
            return (f"unknown model family {argv[1]!r} for `framework {argv[0]}`: known families are {known} "
                    "(see `framework plugins`)")
        if getattr(specs[argv[1]], need) is None:
            return f"model family {argv[1]!r} has no `framework {argv[0]}` command"
    return None


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``framework`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv or os.environ.get("FRAMEWORK_TRACEBACK", "") not in ("", "0")
    try:
        parser = build_parser()
        argv = [a for a in argv if a != "--traceback"]  # accepted anywhere on the line
        problem = _family_problem(argv)
        if problem:
            raise CommandError(problem)
        args = parser.parse_args(argv)
        handler = getattr(args, "_handler", None)
        if handler is None:
            if args.command in ("train", "sample"):
                raise CommandError(f"framework {args.command}: name a model family (see `framework {args.command} -h`)")
            parser.print_help()
            return 0
        status = handler(args)
        return int(status or 0)
    except KeyboardInterrupt:
        logdir = None
        try:
            logdir = args.logdir  # type: ignore[possibly-undefined]
        except Exception:
            pass
        hint = f"; continue from the last checkpoint with --resume --logdir {logdir}" if logdir else ""
        print(f"\ninterrupted{hint}", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help, or a plugin calling sys.exit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 -- every error becomes one line (see module docstring)
        if show_traceback:
            traceback.print_exc()
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return 1


def _describe(exc: BaseException) -> str:
    """One line (or a few, for errors that name a node) describing ``exc``; never raises.
    An unexpected error, or any error from a third-party plugin's code, names the plugin."""
    from .core.errors import describe_exception, safe_str
    from .plugins import plugin_of_traceback

    try:
        plugin = plugin_of_traceback(exc.__traceback__)
    except Exception:  # noqa: BLE001 -- describing an error must not fail
        plugin = None
    text = _describe_plain(exc, safe_str(exc).strip(), describe_exception)
    if plugin is not None and (text.startswith("internal error") or not plugin[1]):
        text = text.replace("internal error: ", "", 1)
        return f"plugin {plugin[0]!r} failed: {text}"
    return text


def _describe_plain(exc: BaseException, text: str, describe_exception: Callable[[BaseException], str]) -> str:
    from .core.errors import safe_str

    if isinstance(exc, KeyError) and text.startswith(("'", '"')) and len(exc.args) == 1:
        text = safe_str(exc.args[0])
    if isinstance(exc, CommandError):
        return text
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or text}: {exc.filename}"
    from .core.errors import FrameworkError
    from .plugins import PluginError

    user_errors = (FrameworkError, PluginError, ValueError, TypeError, KeyError, OSError)
    if isinstance(exc, user_errors):
        return text or type(exc).__name__
    return f"internal error: {describe_exception(exc)} (rerun with --traceback for details)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
