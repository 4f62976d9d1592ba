"""``framework theano SCRIPT.py [ARGS...]``: run an unmodified Theano 1.0 program."""
from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: Any) -> None:
    """Register the ``theano`` subcommand on the ``framework`` parser's subcommands."""
    sub = commands.add_parser(
        "theano", help="run an unmodified Theano 1.0 program (import theano gives framework's compatibility layer)",
        description="Run SCRIPT.py with ARGS as `python SCRIPT.py ARGS` would, with `import theano` resolving to "
                    "framework's Theano 1.0 compatibility layer (THEANO_FLAGS is read like FRAMEWORK_FLAGS). "
                    "See docs/theano.md.")
    sub.add_argument("script", help="the Theano program to run")
    sub.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the program as sys.argv[1:]")
    sub.set_defaults(_handler=_run)


def _run(args: argparse.Namespace) -> int:
    """Run the program; an exception inside it prints its traceback, as ``python`` would."""
    import os
    import sys
    import traceback

    from ._alias import run_script

    if not os.path.exists(args.script):
        raise FileNotFoundError(2, "no such Theano script", args.script)
    try:
        return run_script([args.script] + list(args.args))
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        return 1
