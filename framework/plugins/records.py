"""Registration records: the small typed values a plugin's hooks return.

Each hook of :mod:`framework.plugins.hookspecs` returns an iterable of one of
these. The manager validates every record, fills in ``plugin`` (the name of the
plugin that gave it) and files it in a registry, so any later error can name
the plugin responsible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Any, Callable, FrozenSet, Optional, Tuple

STAGES: Tuple[str, ...] = ("canonicalize", "stabilize", "specialize", "fusion", "inplace")
"""The standard rewrite stages, in the order they run."""


@dataclass(frozen=True)
class OpSpec:
    """A new op, reachable as ``framework.ops.<name>``.

    ``build`` is the user-facing function: it takes symbolic (or constant)
    arguments and returns the op's output variable(s). The op it builds
    carries its own type rule, gradient and reference implementation.
    """

    name: str
    build: Callable[..., Any]
    doc: str = ""
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class RewriteSpec:
    """A graph rewrite in a named stage.

    ``kind='local'``: ``rewrite(fgraph, node)`` returns ``None`` (no change) or
    a list of replacement variables for ``node.outputs``; ``tracks`` lists the
    op names it looks at (empty: every node): a name reaches the framework's ops of
    that name and those of the package ``rewrite`` comes from, never a same-named op
    of anyone else; an op class in ``tracks`` reaches the ops of exactly that class.
    ``kind='global'``: ``rewrite(fgraph)`` edits the whole graph in place.
    A stage that is not one of :data:`STAGES` is created on first use,
    placed ``before`` or ``after`` a named stage.
    """

    name: str
    rewrite: Callable[..., Any]
    stage: str = "canonicalize"
    kind: str = "local"
    tracks: Tuple[Any, ...] = ()  # op names (str) or op classes
    tags: Tuple[str, ...] = ()
    before: Optional[str] = None
    after: Optional[str] = None
    required: bool = False  # also runs in FAST_COMPILE (needed to run at all)
    doc: str = ""
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class BackendSpec:
    """A device backend.

    ``devices``: the device prefixes it serves (``('cpu',)``, ``('cuda',)``).
    ``available()``: whether it can run on this machine (never raises).
    ``create(device)``: returns the :class:`framework.core.backend.Backend`
    object for a device string such as ``'cuda:1'``.
    """

    name: str
    devices: Tuple[str, ...]
    available: Callable[[], bool]
    create: Callable[[str], Any]
    doc: str = ""
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class KernelSpec:
    """A kernel a plugin gives a backend for an op.

    ``op`` is the op's name (``Op.name``), ``backend`` the backend's name;
    ``build(node, backend)`` returns the callable run for that node:
    ``fn(*input_values) -> output`` (a tuple when the op has several outputs).
    ``op_type``: the op class (or a tuple of classes) the kernel is for; it then runs only
    for ops of exactly those classes named ``op``. Without it the name is trusted only for
    the framework's own ops and the ops of the package ``build`` comes from, never for a
    same-named op of anyone else (see :func:`framework.core.backend.registered_for`).
    """

    name: str
    op: str
    backend: str
    build: Callable[..., Callable[..., Any]]
    doc: str = ""
    plugin: str = field(default="", compare=False)
    op_type: Any = None

    @property
    def op_types(self) -> Optional[FrozenSet[type]]:
        """``op_type`` as a set of classes (None: not given)."""
        t = self.op_type
        if t is None:
            return None
        return frozenset(t) if isinstance(t, tuple) else frozenset((t,))


@dataclass(frozen=True)
class ModelSpec:
    """A model family, reachable as ``framework.models.get(name)``.

    ``factory`` is usually the model class (also exposed as
    ``framework.models.<factory.__name__>``). ``add_arguments(parser)`` and
    ``train(args) -> int`` plug the family into ``framework train <name>``;
    ``sample(args) -> int`` into ``framework sample <name>``. ``metrics``
    names what a training run reports besides ``train_cost``/``final_cost``
    (which every run has), each with ``"max"`` or ``"min"`` for "better"; a
    name is a scalar tag with ``hparam/`` dropped and ``/`` read as ``_``
    (``hparam/test_error`` and ``valid/error`` are ``test_error`` and
    ``valid_error``). ``framework sweep`` checks ``--metric`` against it and
    takes the first as its default.
    """

    name: str
    factory: Callable[..., Any]
    add_arguments: Optional[Callable[[Any], None]] = None
    train: Optional[Callable[[Any], int]] = None
    sample: Optional[Callable[[Any], int]] = None
    add_sample_arguments: Optional[Callable[[Any], None]] = None
    doc: str = ""
    metrics: Tuple[Tuple[str, str], ...] = ()
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset, reachable as ``framework.datasets.load(name, **options)``."""

    name: str
    load: Callable[..., Any]
    doc: str = ""
    plugin: str = field(default="", compare=False)


@dataclass(frozen=True)
class ScalarOpSpec:
    """An element-wise op given as a row of the element-wise table, so it
    fuses with its neighbours, prints, differentiates and is reachable as
    ``framework.ops.<name>`` like a built-in row.

    ``impl``: the reference function, an array-namespace function name
    (``"cbrt"``) or ``f(xp, *arrays)``. ``grad(inputs, output, gz)``: the
    input gradients (symbolic), or None (no gradient). ``dtype``: optional
    rule ``f(*input dtypes) -> dtype`` (default: the dtype ``impl`` gives).
    ``exprs``: optional per-backend scalar expressions, e.g.
    ``{"cuda": "({0} * {0} * {0})"}`` (``{k}``: argument k). ``bounds``:
    optional ``(lo, hi)`` that every output lies in, or is NaN, for any input
    (infinities included; NaN only from a NaN input) -- a fact kernels
    downstream may rely on (a Bernoulli draw then checks only for NaN).
    """

    name: str
    nin: int
    impl: Any
    grad: Optional[Callable[..., Any]] = None
    dtype: Optional[Callable[..., str]] = None
    exprs: Dict[str, str] = field(default_factory=dict, hash=False)
    symbol: Optional[str] = None
    doc: str = ""
    plugin: str = field(default="", compare=False)
    bounds: Optional[Tuple[float, float]] = None


RECORD_KINDS = {
    "ops": OpSpec,
    "scalar_ops": ScalarOpSpec,
    "rewrites": RewriteSpec,
    "backends": BackendSpec,
    "kernels": KernelSpec,
    "models": ModelSpec,
    "datasets": DatasetSpec,
}
"""Registry name -> the record type its hook (``framework_<name>``) returns."""
