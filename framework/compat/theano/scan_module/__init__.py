"""``theano.scan_module``: ``scan`` and its shorthands ``map``, ``reduce``, ``foldl``, ``foldr``;
``until``, ``scan_checkpoints``, ``clone``; ``scan_op.Scan`` (the op, to find in compiled graphs)."""
from __future__ import annotations

import copy
from typing import Any, Optional

from ....core.graph import Constant, Tag, Variable, clone_replace, graph_inputs
from ....core.shared import SharedVariable
from ....scan_module import scan, until
from . import scan_op

__all__ = ["scan", "until", "map", "reduce", "foldl", "foldr", "clone", "scan_checkpoints", "scan_op"]


def map(fn: Any, sequences: Any, non_sequences: Any = None, truncate_gradient: int = -1, go_backwards: bool = False,
        mode: Any = None, name: Optional[str] = None) -> Any:  # noqa: A001 -- Theano's name
    """``scan`` with only sequences: ``fn`` applied to each element."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode, name=name)


def _last(result: Any) -> Any:
    outs, updates = result
    if isinstance(outs, (list, tuple)):
        return [o[-1] for o in outs], updates
    return outs[-1], updates


def reduce(fn: Any, sequences: Any, outputs_info: Any, non_sequences: Any = None, go_backwards: bool = False,
           mode: Any = None, name: Optional[str] = None) -> Any:  # noqa: A001 -- Theano's name
    """``scan`` keeping only the last value of each output."""
    return _last(scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                      go_backwards=go_backwards, mode=mode, name=name))


def foldl(fn: Any, sequences: Any, outputs_info: Any, non_sequences: Any = None, mode: Any = None,
          name: Optional[str] = None) -> Any:
    """``reduce`` from the first element."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(fn: Any, sequences: Any, outputs_info: Any, non_sequences: Any = None, mode: Any = None,
          name: Optional[str] = None) -> Any:
    """``reduce`` from the last element."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)


def clone(output: Any, replace: Any = None, strict: bool = True, share_inputs: bool = True) -> Any:
    """``theano.clone``: a copy of ``output``'s graph with ``replace`` ({old: new} or pairs) substituted.

    With ``share_inputs=False`` the graph's inputs are copied too (Theano's ``copy_inputs``): a
    symbolic input becomes a new variable of the same type and name, a shared variable a new shared
    variable over the same storage (the copy reads and updates the same value); constants stay."""
    single = not isinstance(output, (list, tuple))
    outs = [output] if single else list(output)
    memo = dict(replace or {})
    if not share_inputs:
        copies = {v: _copy_input(v) for v in graph_inputs(outs + list(memo.values())) if not isinstance(v, Constant)}
        memo = {**copies, **{k: clone_replace([v], copies)[0] for k, v in memo.items()}}
    outs = clone_replace(outs, memo)
    return outs[0] if single else outs


def _copy_input(v: Variable) -> Variable:
    """A new root variable like ``v``; for a shared variable, one over the same container."""
    if isinstance(v, SharedVariable):
        new = copy.copy(v)
        Variable.__init__(new, v.type, None, None, v.name)
        new.tag = Tag(v.tag)
        new.default_update = None
        return new
    return v.clone()


def scan_checkpoints(fn: Any, sequences: Any = None, outputs_info: Any = None, non_sequences: Any = None,
                     name: str = "checkpointscan_fn", n_steps: Any = None, save_every_N: int = 10,
                     padding: bool = True) -> Any:
    """Theano's ``scan_checkpoints``: the same loop and outputs as ``scan``; Theano keeps only every
    ``save_every_N``-th state for the gradient to trade memory for time. ``save_every_N`` and
    ``padding`` are checked and otherwise have no effect: the values and gradients are ``scan``'s."""
    for info in (outputs_info if isinstance(outputs_info, (list, tuple)) else [outputs_info]):
        if isinstance(info, dict) and info.get("taps") not in (None, [-1], -1):
            raise RuntimeError(f"scan_checkpoints: outputs_info taps other than [-1] are not supported (as in "
                               f"Theano), got {info.get('taps')!r}")
    if not isinstance(save_every_N, int) or isinstance(save_every_N, bool) or save_every_N < 1:
        raise ValueError(f"scan_checkpoints: save_every_N must be a positive int, got {save_every_N!r}")
    return scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences, n_steps=n_steps,
                name=name)
