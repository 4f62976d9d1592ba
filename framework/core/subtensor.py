"""Indexing: ``x[...]`` as in NumPy, and writing into a region with
``set_subtensor`` / ``inc_subtensor``.

One op reads (:class:`Subtensor`) and one op writes (:class:`IncSubtensor`).
Both are parametrised by a *template*: the user's index as a hashable tuple
in which every symbolic part is a placeholder for an op input. The template
keeps the index's structure exactly as written (``None``, ``...``, slices,
ints, arrays), so the kernel rebuilds a real index tuple and lets the array
library apply NumPy's rules; the static output shape mirrors those rules.

Template entries:

* ``int``: a constant integer index (drops the axis);
* ``SCALAR``: a symbolic integer scalar (next op input);
* ``ARRAY``: an integer index array (next op input; constant arrays too);
* ``("slice", start, stop, step)``: each part ``None``, an ``int`` or ``SCALAR``;
* ``None``: a new axis of size 1; ``Ellipsis``: the remaining axes.

Boolean masks follow NumPy's definition: a k-d mask stands for the k integer
arrays of its ``nonzero``, in its place in the index (:func:`expand_masks`,
before the template is made). So a mask is ``k`` ``ARRAY`` entries fed by a
:class:`~framework.core.nonzero.Nonzero` node, which first checks the mask's
shape against the axes it indexes (NumPy's ``IndexError`` when they differ: a
mask shorter than its axis never just picks the first entries). Reading,
``set_subtensor``, ``inc_subtensor``, their gradients, the rewrites and the
backends' kernels then see ordinary integer-array indexing. A constant mask
on axes of known sizes becomes constant positions while building. A 0-d
boolean index (``x[True]``) is refused: use ``x[None]`` (``x[None][:0]`` for
``False``).
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import ShapeError, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import Shape, TensorType, broadcast_shapes, is_int
from .variable import TensorVariable, as_tensor_variable, constant

SCALAR = "<scalar>"  # placeholder: a symbolic integer scalar input
ARRAY = "<array>"  # placeholder: an integer index array input

Template = Tuple[Any, ...]

_BOOL_0D = (
    "a 0-d boolean index (True, False or a 0-d bool tensor) is not supported; x[None] gives what "
    "x[True] would and x[None][:0] what x[False] would, and T.switch(cond, a, b) chooses values by a condition"
)


# --- building a template from a user's index -------------------------------------------

def _is_slice_entry(e: Any) -> bool:
    return isinstance(e, tuple) and len(e) == 4 and e[0] == "slice"


def _consumes_axis(e: Any) -> bool:
    return e is not None and e is not Ellipsis


def _int_scalar(v: Any, inputs: List[Variable], what: str) -> Any:
    """A static int, or SCALAR after appending a symbolic integer scalar to ``inputs``."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got the bool {v!r}")
    if isinstance(v, (numbers.Integral, np.integer)):
        return int(v)
    if isinstance(v, Variable):
        t = as_tensor_variable(v)
        if t.ndim != 0:
            raise TypeError(f"{what} must be an integer scalar, got {t} of type {t.type}")
        if t.dtype == "bool":
            raise TypeError(f"{what} must be an integer, got {t} of dtype bool")
        if not is_int(t.dtype):
            raise TypeError(f"{what} must be an integer, got {t} of dtype {t.dtype}")
        if isinstance(t, Constant):
            return int(t.data)
        inputs.append(t)
        return SCALAR
    raise TypeError(f"{what} must be an integer (or None), got {type(v).__name__} {v!r:.40}")


def _entry(item: Any, inputs: List[Variable]) -> Any:
    """The template entry for one item of an index (appending symbolic parts to ``inputs``)."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        return ("slice",) + tuple(
            None if p is None else _int_scalar(p, inputs, "a slice bound")
            for p in (item.start, item.stop, item.step)
        )
    if isinstance(item, (bool, np.bool_)):
        raise TypeError(f"index {item!r}: {_BOOL_0D}")
    if isinstance(item, (numbers.Integral, np.integer)):
        return int(item)
    if isinstance(item, (float, np.floating)):
        raise TypeError(f"indices must be integers, slices, None, ... or integer arrays; got the float {item!r}")
    if isinstance(item, (list, tuple, np.ndarray, Variable)):
        if isinstance(item, (list, tuple)) and len(item) == 0:
            arr = constant(np.zeros((0,), dtype="int64"))
        else:
            arr = as_tensor_variable(item)
        if arr.dtype == "bool":  # (getitem's expand_masks turns masks into positions first)
            raise TypeError(f"index {arr} of dtype bool: {_BOOL_0D}")
        if not is_int(arr.dtype):
            raise TypeError(f"indices must be integers, got {arr} of dtype {arr.dtype}")
        if arr.ndim == 0:
            return _int_scalar(arr, inputs, "an index")
        inputs.append(arr)
        return ARRAY
    raise TypeError(
        f"indices must be integers, slices, None, ... or integer arrays; got {type(item).__name__} {item!r:.40}"
    )


def _as_mask(item: Any) -> Optional[TensorVariable]:
    """``item`` as a boolean tensor when it is a boolean index (a bool array, list or tensor),
    else None; a 0-d boolean index is refused (NumPy gives it a meaning we do not copy)."""
    if isinstance(item, (bool, np.bool_)):
        raise TypeError(f"index {item!r}: {_BOOL_0D} (at {format_trace(user_trace())})")
    if isinstance(item, Variable):
        mask = as_tensor_variable(item)
    elif isinstance(item, np.ndarray) and item.dtype == bool:
        mask = constant(item)
    elif isinstance(item, (list, tuple)) and len(item) and not any(isinstance(e, slice) for e in item):
        try:
            mask = as_tensor_variable(item)
        except Exception:  # noqa: BLE001 -- not a mask; _entry names what is wrong with it
            return None
    else:
        return None
    if mask.dtype != "bool":
        return None
    if mask.ndim == 0:
        raise TypeError(f"index {mask}: {_BOOL_0D} (at {format_trace(user_trace())})")
    return mask


def _axes_taken(item: Any, mask: Optional[Variable]) -> int:
    if item is None or item is Ellipsis:
        return 0
    return mask.ndim if mask is not None else 1


def _mask_positions(x: TensorVariable, mask: TensorVariable, axis: int) -> List[Variable]:
    """The ``mask.ndim`` integer index arrays that stand for ``mask`` indexing ``x`` from
    ``axis``: constants when the mask is constant and the sizes are known, else the outputs
    of a ``nonzero`` node (which checks the mask's shape against ``x``'s when the sizes are
    not both known: a static mismatch is an IndexError now)."""
    from .nonzero import Nonzero, mask_mismatch

    xs, ms = x.type.shape[axis:axis + mask.ndim], mask.type.shape
    bad = mask_mismatch(ms, x.type.shape, axis)
    if bad is not None:
        raise IndexError(f"subtensor: {x}[{mask}]: {bad} (at {format_trace(user_trace())})")
    known = None not in xs and None not in ms
    if known and isinstance(mask, Constant):
        return [constant(p.astype("int64")) for p in np.nonzero(np.asarray(mask.data))]
    node = Nonzero().make_node(mask) if known else Nonzero(axis).make_node(mask, x)
    return list(node.outputs)


def expand_masks(x: TensorVariable, idx: Any) -> Any:
    """``idx`` with each boolean mask replaced by the integer arrays of its ``nonzero`` (NumPy's
    definition of a mask in an index), checked against the axes of ``x`` it indexes."""
    items = idx if isinstance(idx, tuple) else (idx,)
    masks = [_as_mask(item) for item in items]
    if all(m is None for m in masks):
        return idx
    taken = sum(_axes_taken(item, m) for item, m in zip(items, masks))
    if taken > x.ndim:
        raise IndexError(f"too many indices: {taken} for the {x.ndim}-d tensor {x} (a k-d boolean mask indexes "
                         f"k axes) (at {format_trace(user_trace())})")
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    out: List[Any] = []
    axis = 0
    for item, mask in zip(items, masks):
        if mask is not None:
            out.extend(_mask_positions(x, mask, axis))
        else:
            out.append(item)
        axis += x.ndim - taken if item is Ellipsis else _axes_taken(item, mask)
    return tuple(out)


def make_template(idx: Any) -> Tuple[Template, List[Variable]]:
    """The template and the symbolic index inputs for the index ``idx`` of ``x[idx]``."""
    items = idx if isinstance(idx, tuple) else (idx,)
    inputs: List[Variable] = []
    template = tuple(_entry(item, inputs) for item in items)
    if sum(e is Ellipsis for e in template) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return template, inputs


# --- static shapes ---------------------------------------------------------------------

def index_parts(template: Template, scalar: Callable[[], str], array: Callable[[], str]) -> List[str]:
    """The index's entries as source text, one per entry (``'1:'``, ``'None'``, ``'...'``): a
    symbolic scalar or slice bound is ``scalar()``, an index array ``array()``, in input order
    (shared by :func:`render` and the generated readers of :func:`index_reader`)."""
    def part(p: Any) -> str:
        if p is None:
            return ""
        return scalar() if p == SCALAR else str(int(p))

    bits = []
    for e in template:
        if e is None:
            bits.append("None")
        elif e is Ellipsis:
            bits.append("...")
        elif _is_slice_entry(e):
            s = f"{part(e[1])}:{part(e[2])}"
            if e[3] is not None:
                s += f":{part(e[3])}"
            bits.append(s)
        elif e == SCALAR:
            bits.append(scalar())
        elif e == ARRAY:
            bits.append(array())
        else:
            bits.append(str(int(e)))
    return bits


def render(template: Template, args: Sequence[str]) -> str:
    """``'1:, i'`` for the template ``(("slice", 1, None, None), SCALAR)`` and args ``['i']``."""
    it = iter(args)
    bits = index_parts(template, lambda: next(it), lambda: next(it))
    return ", ".join(bits) if bits else "()"


def _fmt_shape(shape: Shape) -> str:
    return str(tuple(shape)).replace("None", "?")


def _slice_length(start: Any, stop: Any, step: Any, n: Optional[int]) -> Optional[int]:
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if n is None or SCALAR in (start, stop, step):
        return None
    return len(range(*slice(start, stop, step).indices(n)))


def _static_value(v: Variable) -> Any:
    """The value of a constant index input (None when symbolic)."""
    return np.asarray(v.data) if isinstance(v, Constant) else None


def index_shape(template: Template, x: Variable, index_inputs: Sequence[Variable], opname: str) -> Shape:
    """The static shape of ``x[template]``, following NumPy's rules.

    Raises IndexError for an index known to be out of range, or for
    index arrays whose shapes cannot be broadcast together.
    """
    xshape = x.type.shape

    def where() -> str:
        args = [str(v) for v in index_inputs]
        return (f"{opname}: {x}[{render(template, args)}] with {x} of shape {_fmt_shape(xshape)} "
                f"(at {format_trace(user_trace())})")

    n_axes = sum(_consumes_axis(e) for e in template)
    if n_axes > len(xshape):
        raise IndexError(f"too many indices: {n_axes} for a {len(xshape)}-d tensor in {where()}")
    has_array = ARRAY in template
    inputs = iter(index_inputs)
    out: List[Optional[int]] = []
    adv_shapes: List[Shape] = []
    adv_positions: List[int] = []
    adv_insert = 0
    axis = 0
    for pos, e in enumerate(template):
        if e is None:
            out.append(1)
            continue
        if e is Ellipsis:
            n_ell = len(xshape) - n_axes
            out.extend(xshape[axis:axis + n_ell])
            axis += n_ell
            continue
        n = xshape[axis]
        if _is_slice_entry(e):
            parts = [next(inputs) if p == SCALAR else p for p in e[1:]]
            vals = []
            for p in parts:  # constant inputs count as static
                if isinstance(p, Variable):
                    c = _static_value(p)
                    vals.append(SCALAR if c is None else int(c))
                else:
                    vals.append(p)
            try:
                out.append(_slice_length(*vals, n))
            except ValueError as exc:
                raise ValueError(f"{exc} in {where()}") from None
        else:
            if e == ARRAY:
                v = next(inputs)
                shape, values = v.type.shape, _static_value(v)
            elif e == SCALAR:
                v = next(inputs)
                shape, values = (), _static_value(v)
            else:
                shape, values = (), np.asarray(e)
            if n is not None and values is not None and values.size:
                bad = (values < -n) | (values >= n)
                if np.any(bad):
                    k = values[bad].flat[0]
                    raise IndexError(f"index {k} is out of bounds for axis {axis} with size {n} in {where()}")
            if has_array:  # integers count as advanced indices next to arrays (NumPy's rule)
                if not adv_positions:
                    adv_insert = len(out)
                adv_positions.append(pos)
                adv_shapes.append(shape)
        axis += 1
    out.extend(xshape[axis:])
    if adv_shapes:
        bshape = broadcast_shapes(adv_shapes)
        if bshape is None:
            shapes = " ".join(_fmt_shape(s) for s in adv_shapes)
            raise IndexError(f"index arrays of shapes {shapes} cannot be broadcast together in {where()}")
        adjacent = adv_positions == list(range(adv_positions[0], adv_positions[0] + len(adv_positions)))
        at = adv_insert if adjacent else 0
        out[at:at] = list(bshape)
    return tuple(out)


# --- running -------------------------------------------------------------------------

def build_index(template: Template, xp: Any, values: Sequence[Any]) -> tuple:
    """The real index tuple for ``template`` given the index inputs' run-time values."""
    it = iter(values)
    idx = []
    for e in template:
        if _is_slice_entry(e):
            idx.append(slice(*[int(next(it)) if p == SCALAR else p for p in e[1:]]))
        elif e == SCALAR:
            idx.append(int(next(it)))
        elif e == ARRAY:
            idx.append(xp.asarray(next(it)))
        else:
            idx.append(e)
    return tuple(idx)


def _has_advanced(template: Template) -> bool:
    return ARRAY in template


_READERS: dict = {}


def index_reader(template: Template, xp: Any) -> Callable[..., Any]:
    """``f(x, *index_values)``: ``x[index]`` for ``template``, generated once per template as
    straight-line code (``asarray(x)[int(v0):int(v1), None]``) -- the same index tuple
    :func:`build_index` makes, without walking the template at every call (the tutorials'
    minibatch slice ``x[i * n:(i + 1) * n]``: 3.8 us a call walked, ~1 us generated)."""
    key = (template, xp)
    reader = _READERS.get(key)
    if reader is not None:
        return reader
    params: List[str] = []

    def scalar() -> str:
        params.append(f"v{len(params)}")
        return f"int({params[-1]})"

    def array() -> str:
        params.append(f"v{len(params)}")
        return f"asarray({params[-1]})"

    parts = index_parts(template, scalar, array)
    index = "".join(f"{p}," for p in parts) if parts else "()"
    src = f"def read(x{''.join(', ' + p for p in params)}):\n    return asarray(x)[{index}]\n"
    ns: dict = {"asarray": xp.asarray}
    exec(compile(src, "<framework-index>", "exec"), ns)
    reader = ns["read"]
    if len(_READERS) < 4096:  # templates are few; never grow without bound
        _READERS[key] = reader
    return reader


# --- the ops -------------------------------------------------------------------------

class Subtensor(Op):
    """``x[index]`` for one index template; inputs are ``(x, *index_inputs)``.

    Basic indexing (ints, slices, None, ...) returns a view of ``x``;
    integer-array indexing returns a copy, as in NumPy.
    """
    complex_grad = True  # structural

    __props__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template
        self.name = "subtensor"
        self.view_map = {} if _has_advanced(template) else {0: [0]}
        self.host_bookkeeping = ARRAY not in template  # cheap on small host values (GPU placement)

    def host_int_inputs(self, node: Apply) -> frozenset:
        return scalar_index_inputs(self.template, 1)

    def shape_constraints(self, node: Apply) -> Optional[list]:
        """What the kernel checks: each integer index (a constant or a scalar input) lies in its
        axis (NumPy's ``IndexError``); slices never fail. None (unknown) with an index array
        (any entry may be out of range) or a symbolic step (0 fails)."""
        template = self.template
        if ARRAY in template or any(_is_slice_entry(e) and e[3] == SCALAR for e in template):
            return None
        ndim = node.inputs[0].type.ndim
        after = 0  # entries after an Ellipsis index the last axes
        if Ellipsis in template:
            after = sum(1 for e in template[template.index(Ellipsis) + 1:] if _consumes_axis(e))
        out, axis, pos = [], 0, 1
        for e in template:
            if e is Ellipsis:
                axis = ndim - after
                continue
            if e is None:
                continue
            if e == SCALAR:
                out.append(("index", (pos, None), (0, axis)))
                pos += 1
            elif _is_slice_entry(e):
                pos += sum(1 for p in e[1:] if p == SCALAR)
            elif isinstance(e, int):
                out.append(("index", e, (0, axis)))
            axis += 1
        return out

    def __str__(self) -> str:
        n = sum(e in (SCALAR, ARRAY) for e in self.template) + sum(
            p == SCALAR for e in self.template if _is_slice_entry(e) for p in e[1:])
        return f"subtensor[{render(self.template, ['?'] * n)}]"

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        ins = [as_tensor_variable(i) for i in index_inputs]
        shape = index_shape(self.template, x, ins, "subtensor")
        return Apply(self, [x] + ins, [TensorType(x.dtype, shape)])

    def impl(self, xp: Any, x: Any, *index_values: Any) -> Any:
        return xp.asarray(x)[build_index(self.template, xp, index_values)]

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        xp, template = backend.xp, self.template
        if len(node.inputs) == 1:  # a static index: build it once
            idx = build_index(template, xp, ())
            return lambda x: xp.asarray(x)[idx]
        return index_reader(template, xp)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from . import elemwise as E

        x, idx = node.inputs[0], node.inputs[1:]
        none = [None] * len(idx)
        if is_int(x.dtype):
            return [None] + none
        # basic indices select each position once, so setting is enough
        gx = IncSubtensor(self.template, not _has_advanced(self.template))(E.zeros_like(x), output_grads[0], *idx)
        return [gx] + none

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"{args[0]}[{render(self.template, args[1:])}]", 0


def scalar_index_inputs(template: Template, first: int) -> frozenset:
    """Input positions (from ``first``) of the scalar indices and slice bounds in ``template``."""
    pos, out = first, set()
    for e in template:
        for p in (e[1:] if _is_slice_entry(e) else (e,)):
            if p == SCALAR:
                out.add(pos)
            if p in (SCALAR, ARRAY):
                pos += 1
    return frozenset(out)


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[index]`` set to ``y`` or incremented by ``y``.

    Inputs are ``(x, y, *index_inputs)``. Increments through index arrays
    that repeat a position add every contribution (NumPy's unbuffered
    ``add.at``), so ``inc_subtensor(x[[0, 0]], 1)`` adds 2 to ``x[0]``.
    With ``inplace`` (set by rewrites), ``x``'s storage is overwritten.
    """
    complex_grad = True  # structural
    fresh_storage = True  # outputs are new arrays

    __props__ = ("template", "set_instead_of_inc", "inplace")

    def __init__(self, template: Template, set_instead_of_inc: bool, inplace: bool = False) -> None:
        self.template = template
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.inplace = bool(inplace)
        self.name = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        n = sum(e in (SCALAR, ARRAY) for e in self.template) + sum(
            p == SCALAR for e in self.template if _is_slice_entry(e) for p in e[1:])
        extra = ", inplace" if self.inplace else ""
        return f"{self.name}[{render(self.template, ['?'] * n)}]{extra}"

    def make_node(self, x: Any, y: Any, *index_inputs: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        ins = [as_tensor_variable(i) for i in index_inputs]
        region = index_shape(self.template, x, ins, self.name)
        ydt = np.result_type(x.dtype, y.data) if isinstance(y, Constant) and y.weak else np.dtype(y.dtype)
        if not np.can_cast(ydt, x.dtype, "same_kind"):
            raise TypeError(
                f"{self.name}: cannot write values of dtype {y.dtype} into a tensor of dtype {x.dtype} "
                f"without changing their kind; cast them first (T.cast(y, '{x.dtype}')) "
                f"(at {format_trace(user_trace())})"
            )
        ok = y.ndim <= len(region) and all(
            a is None or b is None or a == 1 or a == b
            for a, b in zip(reversed(y.type.shape), reversed(region))
        )
        if not ok:
            args = [str(v) for v in ins]
            raise ShapeError(
                f"{self.name}: the value of shape {_fmt_shape(y.type.shape)} cannot be broadcast to "
                f"the region {x}[{render(self.template, args)}] of shape {_fmt_shape(region)} "
                f"(x has shape {_fmt_shape(x.type.shape)}) (at {format_trace(user_trace())})"
            )
        return Apply(self, [x, y] + ins, [x.type])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [input_shapes[0]]

    def host_int_inputs(self, node: Apply) -> frozenset:
        return scalar_index_inputs(self.template, 2)

    def impl(self, xp: Any, x: Any, y: Any, *index_values: Any) -> Any:
        out = x if self.inplace else xp.array(x, copy=True)
        idx = build_index(self.template, xp, index_values)
        if self.set_instead_of_inc:
            out[idx] = y
        elif not _has_advanced(self.template):
            out[idx] += y
        else:
            _add_at(xp, out, idx, y)
        return out

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from . import elemwise as E

        x, y, idx = node.inputs[0], node.inputs[1], node.inputs[2:]
        gz = output_grads[0]
        none = [None] * len(idx)
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.template, True)(gz, constant(0, dtype=gz.dtype), *idx)
        else:
            gx = gz
        gx = None if is_int(x.dtype) else gx
        gy = None
        if not is_int(y.dtype):
            gy = Subtensor(self.template)(gz, *idx)
            if self.set_instead_of_inc and _has_advanced(self.template):
                # a position an index array repeats keeps only its last write: the
                # overwritten elements of y do not reach the output
                gy = E.switch(LastWriteMask(self.template)(x, *idx), gy, constant(0, dtype=gy.dtype))
            gy = E.reduce_to(gy, y)
        return [gx, gy] + none

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"{self.name}({args[0]}[{render(self.template, args[2:])}], {args[1]})", 0


class LastWriteMask(Op):
    """Over the region ``x[index]``: True where that element's write survives
    ``x[index] = y``. An index array that repeats a position writes it several
    times and the last write wins, so the gradient of ``set_subtensor`` w.r.t.
    ``y`` flows only through the surviving elements. Inputs ``(x, *index_inputs)``;
    the mask is computed with the same assignment the set itself does."""
    complex_grad = True  # a mask

    __props__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template
        self.name = "last_write_mask"

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        ins = [as_tensor_variable(i) for i in index_inputs]
        return Apply(self, [x] + ins, [TensorType("bool", index_shape(self.template, x, ins, self.name))])

    def impl(self, xp: Any, x: Any, *index_values: Any) -> Any:
        idx = build_index(self.template, xp, index_values)
        x = xp.asarray(x)
        size = x[idx].shape
        ids = xp.arange(int(np.prod(size)), dtype="int64").reshape(size)
        writer = xp.full(x.shape, -1, dtype="int64")
        writer[idx] = ids
        return writer[idx] == ids

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None] * len(node.inputs)


def _add_at(xp: Any, out: Any, idx: tuple, y: Any) -> None:
    """``out[idx] += y`` adding every repeated position (NumPy's ``add.at``).

    Array libraries without ``add.at`` get a portable scatter-add through
    ``bincount`` over the flat positions the index selects.
    """
    add_at = getattr(xp.add, "at", None)
    if add_at is not None:
        try:
            add_at(out, idx, y)
            return
        except (NotImplementedError, TypeError):  # e.g. a dtype the GPU cannot add atomically
            pass
    flat = xp.arange(out.size).reshape(out.shape)[idx]
    vals = xp.broadcast_to(xp.asarray(y, dtype=out.dtype), flat.shape)
    sums = xp.bincount(flat.ravel(), weights=vals.ravel(), minlength=out.size)
    out += sums.reshape(out.shape).astype(out.dtype)


# --- user-facing functions -----------------------------------------------------------

def getitem(x: Any, idx: Any) -> TensorVariable:
    """``x[idx]``: NumPy's basic, integer-array and boolean-mask indexing, symbolic parts allowed."""
    x = as_tensor_variable(x)
    template, inputs = make_template(expand_masks(x, idx))
    return Subtensor(template)(x, *inputs)


def _region(x: Any, fname: str) -> Tuple[Variable, Template, List[Variable]]:
    node = getattr(x, "owner", None)
    if node is None or not isinstance(node.op, Subtensor):
        raise TypeError(
            f"{fname}: the first argument must be the result of indexing, like x[2:, i] "
            f"(got {x!r:.60}, {'a ' + node.op.name + ' result' if node is not None else 'not an indexing result'})"
        )
    return node.inputs[0], node.op.template, node.inputs[1:]


def set_subtensor(x: Any, y: Any) -> TensorVariable:
    """A copy of the indexed tensor with the indexed region replaced by ``y``.

    ``set_subtensor(m[2:, i], 0)`` returns ``m`` with ``m[2:, i]`` set to 0;
    ``y`` broadcasts to the region. Nothing is modified in place.
    """
    base, template, idx = _region(x, "set_subtensor")
    return IncSubtensor(template, True)(base, y, *idx)


def inc_subtensor(x: Any, y: Any) -> TensorVariable:
    """A copy of the indexed tensor with ``y`` added to the indexed region.

    Positions repeated by an index array receive every contribution.
    """
    base, template, idx = _region(x, "inc_subtensor")
    return IncSubtensor(template, False)(base, y, *idx)


__all__ = ["Subtensor", "IncSubtensor", "getitem", "set_subtensor", "inc_subtensor", "make_template",
           "index_shape", "SCALAR", "ARRAY"]


def take(a: Any, indices: Any, axis: Any = None, mode: str = "raise") -> TensorVariable:
    """NumPy's (and Theano's) ``take``: the entries of ``a`` at ``indices`` along ``axis``
    (``None``: of the flattened ``a``). The result's shape is ``a.shape[:axis] + indices.shape +
    a.shape[axis+1:]``. ``mode`` ``'raise'`` (an out-of-range index is an IndexError when the
    function runs; negative ones count from the end), ``'clip'`` or ``'wrap'``. Built from
    indexing, so its gradient and shape rule are indexing's."""
    from . import elemwise as E
    from . import shape_ops as S

    a = as_tensor_variable(a)
    indices = as_tensor_variable(indices)
    if mode not in ("raise", "clip", "wrap"):
        raise ValueError(f"take: mode must be 'raise', 'clip' or 'wrap', got {mode!r} (at {format_trace(user_trace())})")
    if axis is None:
        a, axis = S.flatten(a, 1), 0
    axis = S._axis(axis, a.ndim, "take")
    if mode != "raise":
        n = S.shape_i(a, axis)
        indices = E.clip(indices, 0, n - 1) if mode == "clip" else indices % n
    return a[(slice(None),) * axis + (indices,)]
