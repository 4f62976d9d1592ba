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
import os
import sys
import traceback
from typing import Any, List, Optional, Sequence

__all__ = ["main", "CommandError", "add_run_arguments", "run_settings", "build_parser"]


from .training.arguments import (  # noqa: F401 -- model plugins used to import them from here
    CommandError,
    add_run_arguments,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    run_settings,
)


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

    if isinstance(exc, MemoryError) and not isinstance(exc, FrameworkError):  # a node's says where, on one line
        return f"out of memory: {text or 'MemoryError'}"
    user_errors = (FrameworkError, PluginError, ValueError, TypeError, KeyError, OSError)
    if isinstance(exc, user_errors):
        return text or type(exc).__name__
    return f"internal error: {describe_exception(exc)} (rerun with --traceback for details)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
