"""The Op base class: an operation declared once.

An op says, in one place:

* ``make_node(*inputs)``: convert the inputs and compute the output types
  (dtype and static shape), raising a clear error where shapes cannot work;
* ``grad(node, output_grads)``: symbolic gradients of its inputs;
* ``impl(xp, *values)``: a reference implementation over an array namespace
  ``xp`` (NumPy's or CuPy's API), so every backend can run it unchanged;
* ``infer_shape(node, input_shapes)``: symbolic output shapes (PyTensor's
  signature), from which shape signatures and shape rewrites are derived;
* ``shape_constraints(node)``: the sizes its kernel checks at run time, which
  a rewrite keeps when it stops running the kernel (see ``shape_infer``);
* storage facts: ``view_map`` / ``destroy_map``;
* value facts: ``output_bounds(node, i)``, an interval every value of output
  ``i`` lies in (NaN aside), which lets a kernel downstream skip a check.

Backends may register faster kernels for an op by its ``name`` (see
:class:`framework.plugins.KernelSpec`); the op itself never changes. A name does
not identify an op on its own (a user's op may share a built-in one's):
:func:`registered_for` says whether a registration found under a name is for
the op at hand.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from .errors import GradientError, format_trace
from .graph import Apply, Variable


class Op:
    """Base class of ops. Subclasses set ``name`` and ``__props__``.

    ``__props__`` names the attributes that, with the class, define equality
    (two equal ops applied to the same inputs compute the same thing, which
    the merge rewrite relies on).
    """

    name: str = "op"
    __props__: Tuple[str, ...] = ()
    nout: int = 1
    # {output index: [input indices]} when an output may share memory with an input
    view_map: dict = {}
    # {output index: [input indices]} when the kernel overwrites an input
    destroy_map: dict = {}

    # --- storage and placement facts (read by the in-place rewrite and backends) ---
    # the kernel's tensor outputs are new arrays (except where view_map / destroy_map say otherwise)
    fresh_storage: bool = False
    # a cheap op that may run on the host when its inputs and outputs are small host values
    host_bookkeeping: bool = False
    # the kernel reads only its inputs' shapes (so its result is host metadata)
    reads_only_metadata: bool = False

    # --- gradient facts ---
    # Whether ``grad`` is right for complex values (the gradient of a real cost with respect to
    # z = x + iy is dC/dx + i dC/dy: linear and structural rules are, and those that conjugate, as
    # ``dot``'s). True: declared right. False: written for real values only. None (the default):
    # not declared. ``grad`` applies the rule to complex values only where it is True, and refuses
    # otherwise, naming the op (a wrong complex gradient would be silent): an op's author declares
    # it, as every other fact of the op.
    complex_grad: Optional[bool] = None

    def host_int_inputs(self, node: Apply) -> frozenset:
        """Input positions the kernel reads as host integers (sizes, basic
        indices, draw parameters): a device backend passes host values there
        as they are, without copying them to the device."""
        return frozenset()

    def inputs_after_first(self, node: Apply) -> frozenset:
        """``host_int_inputs`` for ops whose inputs 1.. are sizes or parameters."""
        return frozenset(range(1, len(node.inputs)))

    # --- identity -----------------------------------------------------------
    def _props(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        props = self._props()
        if not props:
            return self.name
        return f"{self.name}{{{', '.join(_short(p) for p in props)}}}"

    __repr__ = __str__

    # --- building -----------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        raise TypeError(f"op class {type(self).__name__} defines no make_node(): an op must say how it "
                        "builds its Apply node (input conversion and output types)")

    def __call__(self, *inputs: Any, name: Optional[str] = None):
        node = self.make_node(*inputs)
        if name is not None:
            node.outputs[0].name = name
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    # --- gradient -----------------------------------------------------------
    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """Gradients of the inputs; ``None`` means "no gradient flows to it"."""
        raise GradientError(
            f"op '{self}' has no gradient (node built at {format_trace(node.trace)})"
        )

    # --- shapes -------------------------------------------------------------
    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> Optional[List[Tuple[Any, ...]]]:
        """The output shapes, one tuple per output, from ``input_shapes`` (one
        tuple per input whose entries are ints where static, else int64 scalar
        variables). Entries may be ints or int64 scalar variables. None (the
        default) means "no rule": sizes are then read from the computed output.
        A size known only by running the node (it depends on values) is given as
        itself, ``Shape_i(k)(node.outputs[j])``: no reader takes that for a rule."""
        return None

    def shape_constraints(self, node: Apply) -> Optional[List[Tuple[str, Any, Any]]]:
        """Sizes the kernel checks at run time that ``make_node`` could not
        (``[]``: none). None (the default) means "unknown": no rewrite may then
        read this node's output shape without running it. Records are
        ``(kind, a, b)``, kind ``"equal"``, ``"broadcast"``, ``"to"``,
        ``"at_most"`` or ``"index"``, each side ``(input, axis)`` or an int (a size known when
        building); axis None means an integer scalar input's value (see
        :mod:`framework.core.shape_infer`)."""
        return None

    # --- values -------------------------------------------------------------
    def output_bounds(self, node: Apply, index: int) -> Optional[Tuple[float, float]]:
        """``(lo, hi)`` when every value of output ``index`` lies in ``[lo, hi]`` or is NaN,
        whatever the inputs (infinities included), and a NaN comes only from a NaN input;
        None (the default) when nothing is known."""
        return None

    # --- generator states ----------------------------------------------------
    def rng_advanced(self, node: Apply) -> Dict[int, FrozenSet[str]]:
        """The random-state inputs this node's kernel advances *in place*, each with the
        distributions drawn from it (``{input index: {"uniform", ...}}``); ``{}`` (the default):
        none. Where such a state is a shared variable's, the linker has the backend snapshot it
        at the start of each call and puts it back when the call fails, so that a failed call
        stores nothing, as without the in-place rewrite (docs/architecture.md)."""
        return {}

    # --- running ------------------------------------------------------------
    def impl(self, xp: Any, *values: Any) -> Any:
        raise TypeError(f"op '{self}' ({type(self).__name__}) has no implementation: define impl(xp, *values), "
                        "override make_kernel(), or register a kernel for it with framework_kernels()")

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        """The callable a backend runs for ``node`` when no plugin overrides it."""
        impl, xp = self.impl, backend.xp
        return lambda *values: impl(xp, *values)

    # --- printing -----------------------------------------------------------
    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        """One-line rendering of the node given its rendered inputs, and a precedence."""
        return f"{self.name}({', '.join(args)})", 100


def registered_for(op: Any, op_types: Any, registered: Any) -> bool:
    """Whether a registration found under ``op``'s name (a lowering rule, a plugin's kernel, a
    rewrite's ``tracks``) is one for ``op``, and not for another op class that shares the name.

    ``op_types``: the op classes the registration says it is for (exact classes: a subclass is
    another op, whose ``impl`` may differ). None: it does not say (a plain table entry, a
    ``KernelSpec`` without ``op_type``), and the name is trusted only for the ops of the
    framework itself (classes of the ``framework`` package) and the ops of the package that
    registered it (``registered``'s module: its own ops); a same-named op of anyone else (a
    user's script, a Theano-style op named after its class, another plugin) runs its own kernel.
    """
    cls = type(op)
    if op_types is not None:
        return cls in op_types
    module = cls.__module__
    if module.startswith("framework."):
        return True
    own = getattr(registered, "__module__", None) or getattr(getattr(registered, "func", None), "__module__", None)
    if not own:
        return True  # nothing says whose it is (a builtin, a partial of one): the name decides, as it always did
    return module.partition(".")[0] == own.partition(".")[0]


def _short(v: Any) -> str:
    if isinstance(v, tuple) and len(v) > 6:
        return f"({', '.join(map(str, v[:6]))}, ...)"
    return str(v)
