"""What the kernel asks of a device backend, and how it finds one.

A backend plugin registers a :class:`~framework.plugins.BackendSpec` whose
``create(device)`` returns a :class:`Backend`. The kernel only ever talks to
this interface: it never imports an array library to run ops itself.
"""
from __future__ import annotations

import abc
import functools

from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

from .errors import FrameworkError
from .op import registered_for


class BackendError(FrameworkError, RuntimeError):
    """An unknown device, or a backend that cannot run on this machine."""


class Backend(abc.ABC):
    """Base class of device backends.

    Subclasses set ``name``, ``xp`` (an array namespace with NumPy's API) and
    implement the host transfers. ``host_is_device`` is True when arrays
    already live on the host (no transfer needed).
    """

    name: str = "abstract"
    xp: Any = None
    host_is_device: bool = False

    def __init__(self, device: str) -> None:
        self.device = device
        self._overrides: Optional[Dict[str, Tuple[Tuple[Any, Any], ...]]] = None
        self._overrides_generation: Any = None

    # --- storage -----------------------------------------------------------
    @abc.abstractmethod
    def from_host(self, value: Any, copy: bool = True) -> Any:
        """Move a host (NumPy) array to the device."""

    @abc.abstractmethod
    def to_host(self, value: Any, copy: bool = True) -> Any:
        """Move a device array to the host as a NumPy array."""

    def copy(self, value: Any) -> Any:
        return self.xp.array(value, copy=True)

    def is_array(self, value: Any) -> bool:
        """Whether ``value`` is already this backend's array type."""
        return False

    # --- ops ---------------------------------------------------------------
    lowerings: Dict[str, Callable[[Any, "Backend"], Optional[Callable[..., Any]]]] = {}
    """The backend's own lowering table: op name -> ``rule(node, backend)``
    returning the kernel, or None for the op's own ``make_kernel``. Filled by
    the backend's plugin (the op is never touched); a plugin's ``KernelSpec``
    for the same op and backend comes first. A rule is for the op classes
    :func:`lowering_for` gave it (``rule.op_types``): an op of another class
    that shares the name never reaches it (see :func:`registered_for`)."""

    def kernel(self, node: Any) -> Callable[..., Any]:
        """The callable run for ``node``: a plugin's kernel for this op and
        backend if one is registered, else the backend's own lowering of the
        op (:attr:`lowerings`), else the op's reference implementation."""
        spec = self.plugin_kernel(node)
        if spec is not None:
            fn = spec.build(node, self)
            if fn is not None:
                return checked_on_first_call(fn, node, spec, self.name)
        op = node.op
        rule = self.lowerings.get(op.name)
        if rule is not None and registered_for(op, getattr(rule, "op_types", None), rule):
            fn = rule(node, self)
            if fn is not None:
                return fn
        return op.make_kernel(node, self)

    def plugin_kernel(self, node: Any) -> Any:
        """The ``KernelSpec`` a plugin registered for ``node``'s op on this backend, or None:
        keyed by the op's name, and only for the op class the spec is for (its ``op_type``;
        see :func:`registered_for`), never for another op that shares the name.

        The table is rebuilt after any register / unregister / reset, so a kernel
        registered after a compile is used by the next compile."""
        from .. import plugins

        generation = plugins.generation()
        if self._overrides is None or self._overrides_generation != generation:
            table: Dict[str, Tuple[Tuple[Any, Any], ...]] = {}
            for spec in plugins.kernels().values():
                if spec.backend == self.name:
                    table[spec.op] = table.get(spec.op, ()) + ((spec, spec.op_types),)
            self._overrides = table
            self._overrides_generation = generation
        op = node.op
        for spec, op_types in self._overrides.get(op.name, ()):
            if registered_for(op, op_types, spec.build):
                return spec
        return None

    # --- random numbers ----------------------------------------------------
    def new_rng(self, seed: Any) -> Any:
        """A fresh random generator state for this device."""
        raise BackendError(f"backend {self.name!r} ({self.device}) has no random number source: "
                           "its plugin must define new_rng() and draw() to run random streams")

    def rng_from_host(self, state: Any) -> Any:
        return state

    def rng_to_host(self, state: Any) -> Any:
        return state

    def copy_rng(self, state: Any) -> Any:
        """An independent copy of a generator state.

        Random ops copy the state before drawing (so the input state is left
        unchanged) unless a rewrite marked them in place.
        """
        import copy

        return copy.deepcopy(state)

    def rng_snapshots(self, dists: FrozenSet[str]) -> Optional[Tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]]:
        """``(save, restore)`` for a shared state that a call's draws of ``dists`` advance in
        place (:meth:`framework.core.op.Op.rng_advanced`): ``save(state)`` at the start of each
        call, ``restore(state, saved)`` -- which returns the state the shared variable then
        holds -- when the call fails. None: in-place draws never change a state object on this
        backend. The default saves a copy and restores it (a new object)."""
        copy = self.copy_rng
        return copy, lambda state, saved: saved

    def draw(self, rng: Any, dist: str, size: Optional[Tuple[int, ...]], params: Tuple[Any, ...],
             dtype: str) -> Tuple[Any, Any]:
        """Draw a sample: returns ``(new_state, sample)``.

        ``dist`` names a row of :data:`framework.core.random_ops.DISTRIBUTIONS`
        (``'uniform'`` (low, high), ``'normal'`` (avg, std), ``'binomial'`` (n, p),
        ``'random_integers'`` (low, high, both included), ``'permutation'`` (n),
        ``'multinomial'`` (n, pvals along the last axis), ``'poisson'`` (lam), ``'choice'`` (a, replace,
        p: the sample has the shape ``size`` exactly)); ``params`` are device
        arrays (or Python scalars) in that order. ``size`` is the sample's batch
        shape, or ``None`` for the parameters' broadcast shape; permutation and
        multinomial add one axis after it. The sample is a device array of
        ``dtype``. ``rng`` may be advanced in place (the caller passes a copy
        when the old state must survive); ``new_state`` may be ``rng`` itself.
        """
        raise BackendError(f"backend {self.name!r} ({self.device}) cannot draw {dist!r} samples: "
                           "its plugin must define draw() to run random streams")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.device!r}>"


def lowering_for(*op_types: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a lowering rule as the one for ops of exactly these classes (``rule.op_types``).

    A backend's table is keyed by op name (``{"dot": lower_dot}``); the name alone does not
    say which op it is, since a user's or another plugin's op may share it. With this mark
    :meth:`Backend.kernel` hands the rule only nodes whose op is of one of ``op_types``
    (JAX's ``register_lowering(prim, rule)``: the rule is for the primitive, not for a name)::

        @lowering_for(Dot)
        def lower_dot(node, backend): ...
    """
    if not op_types or not all(isinstance(t, type) for t in op_types):
        from .errors import safe_str

        raise TypeError(f"lowering_for() takes the op classes a rule lowers, got {safe_str(op_types)}")

    def mark(rule: Callable[..., Any]) -> Callable[..., Any]:
        rule.op_types = frozenset(op_types)  # type: ignore[attr-defined]
        return rule

    return mark


_backends: Dict[str, Tuple[Any, Backend]] = {}  # device -> (the BackendSpec it was made from, backend)


def get_backend(device: Optional[str] = None) -> Backend:
    """The backend for ``device`` (``config.device`` when None), created once per
    registration of its plugin: after ``plugins.reset()``, or when another plugin
    serves the device, the next call creates it again from the registry."""
    from ..config import config
    from .. import plugins

    device = device or config.device
    try:
        spec = plugins.backend_for_device(device)
    except plugins.PluginError as exc:
        raise BackendError(f"unknown device {device!r}: {exc}") from None
    hit = _backends.get(device)
    if hit is not None and hit[0] is spec:
        return hit[1]
    try:
        ok = bool(spec.available())
    except Exception as exc:  # a backend's probe must never take the kernel down
        ok, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = getattr(spec, "doc", "") or ""
    if not ok:
        reason = getattr(spec.available, "reason", None)
        reason = reason() if callable(reason) else why
        raise BackendError(
            f"device {device!r} needs backend {spec.name!r} (plugin {spec.plugin!r}), which is not "
            f"available on this machine{': ' + reason if reason else ''}"
        )
    be = spec.create(device)
    _backends[device] = (spec, be)
    return be


def clear_backends() -> None:
    """Forget created backends (tests, or after registering a new kernel)."""
    _backends.clear()


def checked_on_first_call(fn: Callable[..., Any], node: Any, spec: Any, backend_name: str) -> Callable[..., Any]:
    """``fn`` (a plugin's kernel for ``node``) with its outputs' dtype and number of
    dimensions checked against the node's output types the first time it runs.

    A plugin kernel is not trusted blindly: a wrong dtype or rank would otherwise
    reach the user (or the next op) silently. After the first call the check is
    one flag test. The error names the plugin, the kernel, the op and the user's line.
    """
    checked = False

    def kernel(*args: Any) -> Any:
        nonlocal checked
        out = fn(*args)
        if not checked:
            _check_kernel_outputs(out, node, spec, backend_name)
            checked = True
        return out

    try:  # the wrapper looks like the plugin's kernel (module, name) to anyone inspecting it
        functools.update_wrapper(kernel, fn)
    except (AttributeError, TypeError):
        kernel.__wrapped__ = fn  # type: ignore[attr-defined]
    return kernel


def _check_kernel_outputs(out: Any, node: Any, spec: Any, backend_name: str) -> None:
    from ..plugins import PluginError
    from .errors import format_trace, safe_str

    outs = list(out) if len(node.outputs) > 1 and isinstance(out, (tuple, list)) else [out]
    problems = []
    if len(outs) != len(node.outputs):
        problems.append(f"{len(outs)} output(s) for {len(node.outputs)}")
    for k, (value, var) in enumerate(zip(outs, node.outputs)):
        want_dtype, want_ndim = getattr(var.type, "dtype", None), getattr(var.type, "ndim", None)
        if want_dtype is None:
            continue  # not a tensor (a random state, ...): nothing to compare
        dtype, ndim = getattr(value, "dtype", None), getattr(value, "ndim", None)
        if dtype is None or ndim is None:
            problems.append(f"output {k} is a {type(value).__name__}, not an array")
        elif str(dtype) != want_dtype or ndim != want_ndim:
            problems.append(f"output {k} has dtype {dtype} and {ndim} dimension(s), the op's output type is "
                            f"{want_dtype} with {want_ndim}")
    if problems:
        raise PluginError(
            f"plugin {safe_str(spec.plugin)!r}: kernel {safe_str(spec.name)!r} for op '{safe_str(node.op)}' on "
            f"backend {backend_name!r} returned a wrong result: {'; '.join(problems)} "
            f"(node built at {format_trace(getattr(node, 'trace', None))})")
