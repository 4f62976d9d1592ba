"""Products of tensors: dot, tensordot, batched_dot, outer and einsum.

Three ops cover them:

* :class:`Dot` — NumPy's ``dot`` for vectors and matrices (one BLAS call);
* :class:`TensorDot` — ``tensordot`` over given axis pairs (``dot`` of
  higher-dimensional tensors is one of these);
* :class:`Einsum` — any Einstein summation: the op holds the contraction
  spec, and its reference is the array library's ``einsum``. The NumPy and
  CuPy backends lower it to a planned contraction (pairwise in the order
  ``opt_einsum.contract_path`` finds cheapest, each pair through
  ``tensordot`` or batched ``matmul``: ``framework_backend_numpy.einsum_plan``).
  ``batched_dot`` and ``outer`` are einsums with their own printed name.

Sizes that must agree are checked when the graph is built, where known.
"""
from __future__ import annotations

import string
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import GradientError, ShapeError, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .shape_infer import static_check
from .types import Shape, TensorType, is_int
from .variable import TensorVariable, as_tensor_variable


def _fmt(shape: Shape) -> str:
    return str(tuple(shape)).replace("None", "?")


def _shape_error(opname: str, problem: str, *inputs: Variable) -> ShapeError:
    shapes = ", ".join(_fmt(i.type.shape) for i in inputs)
    return ShapeError(f"op '{opname}': {problem}; input shapes {shapes} (at {format_trace(user_trace())})")


def _result_dtype(inputs: Sequence[Variable]) -> str:
    """NumPy's result dtype for a product of the inputs (weak Python scalars don't upcast)."""
    return np.result_type(*[i.data if isinstance(i, Constant) and i.weak else i.dtype for i in inputs]).name


def _grad_or_none(x: Variable, g: Callable[[], Variable]) -> Optional[Variable]:
    return None if is_int(x.dtype) else g()


def _real_share(x: Variable, g: Optional[Variable]) -> Optional[Variable]:
    """A real input's share of a complex gradient: its real part (dC/dx)."""
    from .elemwise import _real_share as share

    return None if g is None else share(x, g)


# --- dot of vectors and matrices --------------------------------------------------------

class Dot(Op):
    """NumPy's ``dot`` for 1-d and 2-d operands: vector·vector gives a scalar,
    matrix·vector a vector, vector·matrix a vector, matrix·matrix a matrix."""
    complex_grad = True  # conjugates
    fresh_storage = True  # outputs are new arrays

    name = "dot"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise TypeError(f"op 'dot' takes 1-d or 2-d operands, got {a.type} and {b.type}")
        problem = static_check(self, [a, b], self._aligned(a))
        if problem is not None:
            raise _shape_error("dot", f"shapes are not aligned: {problem}", a, b)
        shape = self.infer_shape(None, [a.type.shape, b.type.shape])[0]
        return Apply(self, [a, b], [TensorType(_result_dtype([a, b]), shape)])

    # dot's shape facts, the only place they are stated
    def infer_shape(self, node: Optional[Apply], input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        a, b = input_shapes
        return [tuple(a[:-1]) + tuple(b[1:])]

    @staticmethod
    def _aligned(a: Variable) -> List[Tuple[str, Tuple[int, int], Tuple[int, int]]]:
        return [("equal", (0, a.ndim - 1), (1, 0))]

    def shape_constraints(self, node: Apply) -> List[Tuple[str, Tuple[int, int], Tuple[int, int]]]:
        return self._aligned(node.inputs[0])

    def impl(self, xp: Any, a: Any, b: Any) -> Any:
        return xp.dot(a, b)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        return backend.xp.dot

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .shape_ops import shape_padleft, shape_padright, transpose

        (a, b), gz = node.inputs, output_grads[0]
        # complex operands: each input's gradient uses the other's conjugate (dC/dx + i dC/dy, the
        # convention of every complex gradient here); a real operand is used as it is (no node)
        from .elemwise import _cj

        a, b = _cj(a), _cj(b)
        if a.ndim == 2 and b.ndim == 2:
            ga = lambda: _dot(gz, transpose(b))
            gb = lambda: _dot(transpose(a), gz)
        elif a.ndim == 2:  # matrix · vector
            ga = lambda: _dot(shape_padright(gz), shape_padleft(b))
            gb = lambda: _dot(transpose(a), gz)
        elif b.ndim == 2:  # vector · matrix
            ga = lambda: _dot(b, gz)
            gb = lambda: _dot(shape_padright(a), shape_padleft(gz))
        else:  # vector · vector
            ga = lambda: gz * b
            gb = lambda: gz * a
        return [_real_share(x, _grad_or_none(x, g)) for x, g in zip(node.inputs, (ga, gb))]


_dot = Dot()


# --- tensordot -----------------------------------------------------------------------

class TensorDot(Op):
    """``tensordot(a, b, (axes_a, axes_b))``: sums over the paired axes; the
    result has ``a``'s other axes, then ``b``'s, each in order."""
    complex_grad = True  # conjugates
    fresh_storage = True  # outputs are new arrays

    __props__ = ("axes_a", "axes_b")

    def __init__(self, axes_a: Tuple[int, ...], axes_b: Tuple[int, ...]) -> None:
        self.axes_a, self.axes_b = tuple(axes_a), tuple(axes_b)
        self.name = "tensordot"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        for x, axes in ((a, self.axes_a), (b, self.axes_b)):
            if any(not 0 <= ax < x.ndim for ax in axes):
                raise ValueError(f"op 'tensordot': axes {axes} out of range for {x.type} "
                                 f"(at {format_trace(user_trace())})")
        problem = static_check(self, [a, b], self.shape_constraints(None))
        if problem is not None:
            raise _shape_error("tensordot", f"contracted sizes differ: {problem}", a, b)
        shape = self.infer_shape(None, [a.type.shape, b.type.shape])[0]
        return Apply(self, [a, b], [TensorType(_result_dtype([a, b]), shape)])

    def infer_shape(self, node: Optional[Apply], input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        a, b = input_shapes
        return [tuple(d for i, d in enumerate(a) if i not in self.axes_a)
                + tuple(d for i, d in enumerate(b) if i not in self.axes_b)]

    def shape_constraints(self, node: Optional[Apply]) -> List[Tuple[str, Tuple[int, int], Tuple[int, int]]]:
        return [("equal", (0, i), (1, j)) for i, j in zip(self.axes_a, self.axes_b)]

    def impl(self, xp: Any, a: Any, b: Any) -> Any:
        return xp.tensordot(a, b, axes=(list(self.axes_a), list(self.axes_b)))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .shape_ops import dimshuffle

        from .elemwise import _cj

        (a0, b0), gz = node.inputs, output_grads[0]
        a, b = _cj(a0), _cj(b0)  # complex operands: the other's conjugate (see Dot.grad)
        axa, axb = self.axes_a, self.axes_b
        free_a = [i for i in range(a.ndim) if i not in axa]
        free_b = [i for i in range(b.ndim) if i not in axb]
        gz_a = list(range(len(free_a)))  # gz's axes that came from a
        gz_b = list(range(len(free_a), len(free_a) + len(free_b)))

        def grad_a() -> Variable:
            # axes: a's free axes, then b's contracted axes in b's order
            raw = tensordot(gz, b, (gz_b, free_b))
            order_b = sorted(axb)
            pos = [free_a.index(i) if i in free_a else len(free_a) + order_b.index(axb[axa.index(i)])
                   for i in range(a.ndim)]
            return dimshuffle(raw, pos)

        def grad_b() -> Variable:
            # axes: a's contracted axes in a's order, then b's free axes
            raw = tensordot(a, gz, (free_a, gz_a))
            order_a = sorted(axa)
            pos = [len(axa) + free_b.index(j) if j in free_b else order_a.index(axa[axb.index(j)])
                   for j in range(b.ndim)]
            return dimshuffle(raw, pos)

        return [_real_share(a0, _grad_or_none(a0, grad_a)), _real_share(b0, _grad_or_none(b0, grad_b))]

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"tensordot({args[0]}, {args[1]}, axes=({list(self.axes_a)}, {list(self.axes_b)}))", 0


def _normalize_axes(axes: Sequence[Any], ndim: int, which: str) -> Tuple[int, ...]:
    out = []
    for ax in axes:
        ax = int(ax)
        if not -ndim <= ax < ndim:
            raise ValueError(f"tensordot: axis {ax} is out of range for the {which} operand ({ndim}-d) "
                             f"(at {format_trace(user_trace())})")
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: repeated axis in {list(axes)} for the {which} operand")
    return tuple(out)


def tensordot(a: Any, b: Any, axes: Union[int, Sequence[Any]] = 2) -> TensorVariable:
    """NumPy's ``tensordot``: ``axes`` is an int n (``a``'s last n axes with
    ``b``'s first n) or a pair ``(axes_of_a, axes_of_b)`` of ints or sequences."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(f"tensordot: cannot contract {n} axes of a {a.ndim}-d and a {b.ndim}-d tensor "
                             f"(at {format_trace(user_trace())})")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}") from None
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: {len(axes_a)} axes of the first operand paired with "
                             f"{len(axes_b)} of the second ({axes!r})")
    return TensorDot(_normalize_axes(axes_a, a.ndim, "first"), _normalize_axes(axes_b, b.ndim, "second"))(a, b)


def dot(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``dot``: scalars multiply element-wise; vectors and matrices
    are inner and matrix products; otherwise a sum over ``a``'s last axis and
    ``b``'s second-to-last (its only axis when ``b`` is a vector)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        from .elemwise import mul

        return mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    return tensordot(a, b, ([a.ndim - 1], [max(b.ndim - 2, 0)]))


# --- einsum ----------------------------------------------------------------------------

def _parse_einsum(subscripts: str, ndims: Sequence[int]) -> Tuple[Tuple[str, ...], str]:
    """Explicit per-operand letters and output letters, with '...' expanded.

    Ellipsis axes get fresh letters, aligned from the right across operands
    as in NumPy; the implicit output (no '->') is the ellipsis axes followed
    by the letters that appear once, in alphabetical order.
    """
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->", 1)
        explicit = True
    else:
        lhs, out, explicit = spec, "", False
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: '{subscripts}' names {len(terms)} operand(s), got {len(ndims)}")
    used = set(spec) - set(".,->")
    for c in used:
        if c not in string.ascii_letters:
            raise ValueError(f"einsum: invalid subscript character {c!r} in '{subscripts}'")
    fresh = [c for c in string.ascii_letters if c not in used]
    n_ell = max([nd - len(t.replace("...", "")) for t, nd in zip(terms, ndims) if "..." in t], default=0)
    ell = "".join(fresh[:n_ell])
    expanded = []
    for t, nd in zip(terms, ndims):
        if "..." in t:
            k = nd - len(t.replace("...", ""))
            if k < 0:
                raise ValueError(f"einsum: operand subscripts '{t}' have more letters than its {nd} dimension(s)")
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if "." in t:
            raise ValueError(f"einsum: invalid '.' in '{subscripts}'")
        if len(t) != nd:
            raise ValueError(f"einsum: operand subscripts '{t}' do not match its {nd} dimension(s) in '{subscripts}'")
        expanded.append(t)
    if explicit:
        out = out.replace("...", ell)
    else:
        letters = "".join(expanded)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts '{out}' repeat a letter")
    for c in out:
        if not any(c in t for t in expanded):
            raise ValueError(f"einsum: output letter {c!r} appears in no operand of '{subscripts}'")
    return tuple(expanded), out


def _reference(xp: Any, subscripts: str, dtype: Optional[str], operands: Sequence[Any]) -> Any:
    """``xp.einsum`` (its own contraction order), never a view of an operand, cast to ``dtype``
    when given (sums of booleans give ints)."""
    operands = [xp.asarray(o) for o in operands]
    out = xp.asarray(xp.einsum(subscripts, *operands, optimize=len(operands) > 1))
    if len(operands) == 1 and getattr(out, "base", None) is not None:  # a transpose or diagonal
        out = out.copy()
    return out if dtype is None or out.dtype == dtype else out.astype(dtype)


class Einsum(Op):
    """Einstein summation over explicit subscripts (``'ij,jk->ik'``).

    ``display`` names the einsum when it implements another function
    (``batched_dot``, ``outer``), for printing and error messages.
    """
    complex_grad = True  # conjugates

    __props__ = ("inputs", "output", "display")

    def __init__(self, inputs: Tuple[str, ...], output: str, display: Optional[str] = None) -> None:
        self.inputs, self.output, self.display = tuple(inputs), output, display
        self.name = display or "einsum"

    @property
    def subscripts(self) -> str:
        return ",".join(self.inputs) + "->" + self.output

    def __str__(self) -> str:
        return self.display or f"einsum{{{self.subscripts}}}"

    def make_node(self, *operands: Any) -> Apply:
        ops = [as_tensor_variable(o) for o in operands]
        if len(ops) != len(self.inputs):
            raise TypeError(f"op '{self.name}' ({self.subscripts}) takes {len(self.inputs)} operand(s), "
                            f"got {len(ops)}")
        sizes: Dict[str, List[Tuple[int, int, Optional[int]]]] = {}
        for k, (letters, x) in enumerate(zip(self.inputs, ops)):
            if len(letters) != x.ndim:
                raise TypeError(f"op '{self.name}': operand {k} has {x.ndim} dimension(s), "
                                f"the subscripts '{letters}' name {len(letters)}")
            if x.dtype == "object":
                raise TypeError(f"op '{self.name}': operand {k} is not numeric ({x.type})")
            for axis, (c, d) in enumerate(zip(letters, x.type.shape)):
                sizes.setdefault(c, []).append((k, axis, d))
        static: Dict[str, Optional[int]] = {}
        for c, entries in sizes.items():
            known = {d for _, _, d in entries if d is not None}
            if len(known - {1}) > 1:
                where = ", ".join(f"operand {k} axis {ax}: {d}" for k, ax, d in entries if d is not None)
                raise _shape_error(
                    self.name, f"subscript '{c}' of '{self.subscripts}' has different sizes ({where})", *ops)
            big = known - {1}
            if big:
                static[c] = big.pop()
            elif known == {1} and all(d is not None for _, _, d in entries):
                static[c] = 1
            else:
                static[c] = None
        shape = tuple(static[c] for c in self.output)
        return Apply(self, ops, [TensorType(_result_dtype(ops), shape)])

    def impl(self, xp: Any, *operands: Any) -> Any:
        """The reference: the array library's own ``einsum`` over the spec. Backends lower the op
        to a planned contraction (NumPy and CuPy: ``framework_backend_numpy.einsum_plan``)."""
        return _reference(xp, self.subscripts, None, operands)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        xp, subscripts, dtype = backend.xp, self.subscripts, node.outputs[0].dtype
        return lambda *operands: _reference(xp, subscripts, dtype, operands)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .elemwise import _cj, reduce_to
        from .shape_ops import broadcast_like, dimshuffle

        gz = output_grads[0]
        grads: List[Optional[Variable]] = []
        for k, (letters, x) in enumerate(zip(self.inputs, node.inputs)):
            if is_int(x.dtype):
                grads.append(None)
                continue
            if len(set(letters)) != len(letters):
                raise GradientError(
                    f"op '{self.name}' ({self.subscripts}): no gradient for operand {k}, whose subscripts "
                    f"'{letters}' repeat a letter (a diagonal); node built at {format_trace(node.trace)}")
            others = [(t, v) for j, (t, v) in enumerate(zip(self.inputs, node.inputs)) if j != k]
            elsewhere = set(self.output) | set("".join(t for t, _ in others))
            # letters found only in this operand were summed away: their gradient is a broadcast
            target = "".join(c for c in letters if c in elsewhere)
            # complex operands: the others' conjugates (see Dot.grad); reduce_to takes a real operand's share
            g = Einsum((self.output,) + tuple(t for t, _ in others), target)(gz, *[_cj(v) for _, v in others])
            if target != letters:
                g = dimshuffle(g, tuple(target.index(c) if c in target else "x" for c in letters))
                g = broadcast_like(g, x)
            # a size-1 axis broadcast against a larger one gets the sum of its gradient
            grads.append(reduce_to(g, x))
        return grads

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        if self.display:
            return f"{self.display}({', '.join(args)})", 0
        return f"einsum('{self.subscripts}', {', '.join(args)})", 0


def einsum(subscripts: str, *operands: Any) -> TensorVariable:
    """NumPy's ``einsum`` (explicit ``->`` or implicit output, ``...`` allowed); the backends
    contract it pairwise in the order ``opt_einsum`` finds cheapest."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument must be a subscripts string, got {type(subscripts).__name__}")
    ops = [as_tensor_variable(o) for o in operands]
    inputs, output = _parse_einsum(subscripts, [o.ndim for o in ops])
    return Einsum(inputs, output)(*ops)


def batched_dot(a: Any, b: Any) -> TensorVariable:
    """``dot`` of ``a[i]`` and ``b[i]`` for each ``i`` of the first axis:
    (B,n,m)·(B,m,p)→(B,n,p), (B,n)·(B,n)→(B,), (B,n,m)·(B,m)→(B,n),
    (B,m)·(B,m,p)→(B,p); higher ranks contract ``a``'s last axis with ``b``'s
    second-to-last."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim < 2 or b.ndim < 2:
        raise TypeError(f"batched_dot needs operands with a batch axis and at least one more, "
                        f"got {a.type} and {b.type}")
    letters = iter(string.ascii_letters[1:])
    sa = "a" + "".join(next(letters) for _ in range(a.ndim - 1))
    sb = ["a"] + [next(letters) for _ in range(b.ndim - 1)]
    sb[1 if b.ndim == 2 else b.ndim - 2] = sa[-1]  # the contracted axis
    sb = "".join(sb)
    out = "a" + sa[1:-1] + "".join(c for c in sb[1:] if c != sa[-1])
    return Einsum((sa, sb), out, display="batched_dot")(a, b)


def outer(x: Any, y: Any) -> TensorVariable:
    """The outer product of two vectors (other inputs are flattened first, as NumPy)."""
    from .shape_ops import flatten

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    x = x if x.ndim == 1 else flatten(x)
    y = y if y.ndim == 1 else flatten(y)
    return Einsum(("i", "j"), "ij", display="outer")(x, y)


__all__ = ["Dot", "TensorDot", "Einsum", "dot", "tensordot", "einsum", "batched_dot", "outer"]
