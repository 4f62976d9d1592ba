"""The einsum lowering the NumPy and CuPy backends share: a planned pairwise contraction.

:class:`framework.core.blas.Einsum` holds the contraction spec and uses the array library's
``einsum`` as its reference. This module is how the backends run it: pairwise, in the order
``opt_einsum.contract_path`` finds cheapest (planned once per operand shapes), each pair
through ``tensordot`` or a batched ``matmul`` of the backend's array namespace ``xp`` (NumPy or
CuPy: the same code). Operands that repeat a letter (a diagonal) or broadcast a size-1 axis
against a larger one go through ``opt_einsum.contract``.

Both backends put :data:`LOWERINGS` in their lowering tables; the ``rewrites`` plugin's
factored sums call :func:`run_einsum` for what is left of their contraction. It lives here, not
in ``framework/core``: the kernel keeps the backend-neutral description, a backend its strategy
(issue 17). The kernel never imports it.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from framework.core.backend import lowering_for
from framework.core.blas import Einsum

Step = Tuple[Tuple[int, ...], Callable[..., Any]]


def _pairwise(a: str, b: str, keep: set, sizes: Dict[str, int]) -> Tuple[Callable[..., Any], str]:
    """Contract operands with letters ``a`` and ``b``, keeping the letters in ``keep``.

    Letters of one operand that are not kept are summed first; shared letters
    that are kept are batch axes (one ``matmul``), otherwise ``tensordot``.
    Returns the step function ``f(xp, A, B)`` and its result's letters.
    """
    sum_a = tuple(i for i, c in enumerate(a) if c not in b and c not in keep)
    sum_b = tuple(i for i, c in enumerate(b) if c not in a and c not in keep)
    a2 = "".join(c for i, c in enumerate(a) if i not in sum_a)
    b2 = "".join(c for i, c in enumerate(b) if i not in sum_b)
    batch = [c for c in a2 if c in b2 and c in keep]
    con = [c for c in a2 if c in b2 and c not in keep]
    free_a = [c for c in a2 if c not in b2]
    free_b = [c for c in b2 if c not in a2]

    def presum(xp: Any, x: Any, axes: Tuple[int, ...]) -> Any:
        return xp.sum(x, axis=axes) if axes else x

    if not batch:
        axes = ([a2.index(c) for c in con], [b2.index(c) for c in con])

        def step(xp: Any, A: Any, B: Any) -> Any:
            return xp.tensordot(presum(xp, A, sum_a), presum(xp, B, sum_b), axes=axes)

        return step, "".join(free_a + free_b)

    perm_a = tuple(a2.index(c) for c in batch + free_a + con)
    perm_b = tuple(b2.index(c) for c in batch + con + free_b)

    def size(letters: Sequence[str]) -> int:
        return int(np.prod([sizes[c] for c in letters], dtype=np.int64))

    shape_a = (size(batch), size(free_a), size(con))
    shape_b = (size(batch), size(con), size(free_b))
    shape_out = tuple(sizes[c] for c in batch + free_a + free_b)

    def step(xp: Any, A: Any, B: Any) -> Any:
        A = xp.reshape(xp.transpose(presum(xp, A, sum_a), perm_a), shape_a)
        B = xp.reshape(xp.transpose(presum(xp, B, sum_b), perm_b), shape_b)
        return xp.reshape(xp.matmul(A, B), shape_out)

    return step, "".join(batch + free_a + free_b)


@functools.lru_cache(maxsize=1024)
def _plan(inputs: Tuple[str, ...], output: str,
          shapes: Tuple[Tuple[int, ...], ...]) -> Optional[Tuple[List[Step], Tuple[int, ...]]]:
    """The pairwise steps for these operand shapes and the final transpose,
    or None when the fallback must run (repeated letters in one operand,
    or a size-1 axis broadcast against a larger one)."""
    import opt_einsum

    sizes: Dict[str, int] = {}
    for letters, shp in zip(inputs, shapes):
        if len(set(letters)) != len(letters):
            return None
        for c, d in zip(letters, shp):
            if sizes.setdefault(c, d) != d:
                return None
    spec = ",".join(inputs) + "->" + output
    path, _ = opt_einsum.contract_path(spec, *shapes, shapes=True, optimize="auto")
    current = list(inputs)
    steps: List[Step] = []
    for contraction in path:
        pos = tuple(sorted(contraction))
        taken = [current[p] for p in pos]
        for p in reversed(pos):
            del current[p]
        keep = set("".join(current)) | set(output)
        if len(taken) == 2:
            fn, letters = _pairwise(taken[0], taken[1], keep, sizes)
        else:  # one operand (a sum) or a many-operand step: the library's einsum
            letters = "".join(c for c in dict.fromkeys("".join(taken)) if c in keep)
            sub = ",".join(taken) + "->" + letters
            fn = functools.partial(lambda s, xp, *ops: xp.einsum(s, *ops), sub)
        steps.append((pos, fn))
        current.append(letters)
    (final,) = current
    perm = tuple(final.index(c) for c in output)
    return steps, perm


def run_einsum(xp: Any, inputs: Tuple[str, ...], output: str, dtype: Optional[str],
               operands: Sequence[Any]) -> Any:
    """Execute an einsum (explicit letters) over the array namespace ``xp``;
    the result is cast to ``dtype`` when given (sums of booleans give ints)."""
    operands = [xp.asarray(o) for o in operands]
    if len(operands) == 1:
        out = xp.einsum(inputs[0] + "->" + output, operands[0])
        if getattr(out, "base", None) is not None:  # a transpose or diagonal is a view: never alias the input
            out = out.copy()
    else:
        plan = _plan(inputs, output, tuple(tuple(o.shape) for o in operands))
        if plan is None:
            import opt_einsum

            out = opt_einsum.contract(",".join(inputs) + "->" + output, *operands, backend=xp.__name__)
        else:
            steps, perm = plan
            ops = list(operands)
            for pos, fn in steps:
                args = [ops[p] for p in pos]
                for p in reversed(pos):
                    del ops[p]
                ops.append(fn(xp, *args))
            out = ops[0]
            if perm != tuple(range(len(perm))):
                out = xp.transpose(out, perm)
    out = xp.asarray(out)
    return out if dtype is None or out.dtype == dtype else out.astype(dtype)


@lowering_for(Einsum)
def lower_einsum(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """The lowering rule (``Backend.lowerings``) of an ``einsum`` node (also named ``batched_dot``
    or ``outer``): the planned contraction over the backend's ``xp``, cast to the node's dtype.
    Only ``Einsum`` nodes reach it (``lowering_for``): another op of one of these names runs its own kernel."""
    op = node.op
    xp, inputs, output, dtype = backend.xp, op.inputs, op.output, node.outputs[0].dtype
    return lambda *operands: run_einsum(xp, inputs, output, dtype, operands)


LOWERINGS: Dict[str, Callable[[Any, Any], Optional[Callable[..., Any]]]] = {
    name: lower_einsum for name in ("einsum", "batched_dot", "outer")}
