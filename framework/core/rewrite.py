"""The rewrite engine: named stages of local and whole-graph rewrites.

Rewrites come from plugins (:class:`framework.plugins.RewriteSpec`). Each stage
runs its whole-graph passes, then its local rewrites over the nodes until
none fires (a fixed point, with a guard against rewrites that undo each
other). A replacement keeps the user's source line of the node it replaces,
so run-time errors still point at the user's code.
"""
from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import FrameworkError
from .fgraph import FunctionGraph
from .graph import Apply, Variable
from .mode import Mode
from .op import registered_for

MAX_PASSES = 64


class RewriteError(FrameworkError, RuntimeError):
    """A rewrite returned something invalid (names the rewrite and its plugin)."""


@dataclass
class RewriteReport:
    """What ran: how often each rewrite fired and the seconds per stage."""

    fired: Counter = field(default_factory=Counter)
    stage_seconds: Dict[str, float] = field(default_factory=dict)
    passes: Dict[str, int] = field(default_factory=dict)
    stage_of: Dict[str, str] = field(default_factory=dict)  # rewrite name -> its stage

    def __str__(self) -> str:
        lines = ["rewrites:"]
        for stage, secs in self.stage_seconds.items():
            lines.append(f"  stage {stage}: {secs * 1e3:.2f} ms, {self.passes.get(stage, 0)} pass(es)")
            for name, n in self.fired.most_common():
                if self.stage_of.get(name, stage) == stage:
                    lines.append(f"    {name}: fired {n}x")
        return "\n".join(lines)


def stage_order(specs: Sequence[Any]) -> List[str]:
    """The standard stages with plugin stages inserted before/after their anchor."""
    from ..plugins import STAGES

    order = list(STAGES)
    pending = [s for s in specs if s.stage not in order]
    progress = True
    while pending and progress:
        progress = False
        for s in list(pending):
            if s.stage in order:
                pending.remove(s)
                continue
            anchor = s.before or s.after
            if anchor in order:
                pos = order.index(anchor) + (0 if s.before else 1)
                order.insert(pos, s.stage)
                pending.remove(s)
                progress = True
    return order


def selected(spec: Any, mode: Mode) -> bool:
    tags = {spec.name, *spec.tags}
    if tags & set(mode.excluding):
        return False
    if tags & set(mode.including):
        return True
    if mode.optimizer == "fast_run":
        return "off_by_default" not in spec.tags
    if mode.optimizer == "fast_compile":
        return spec.required
    return False


def _check_replacement(spec: Any, node: Apply, new: Sequence[Variable]) -> None:
    if len(new) != len(node.outputs):
        raise RewriteError(
            f"rewrite {spec.name!r} (plugin {spec.plugin!r}) returned {len(new)} replacement(s) "
            f"for {len(node.outputs)} output(s) of op '{node.op}'"
        )
    for old, nv in zip(node.outputs, new):
        if not isinstance(nv, Variable):
            raise RewriteError(f"rewrite {spec.name!r} (plugin {spec.plugin!r}) returned {nv!r}, not a variable")
        if getattr(old.type, "dtype", None) != getattr(nv.type, "dtype", None) or old.type.ndim != nv.type.ndim:
            raise RewriteError(
                f"rewrite {spec.name!r} (plugin {spec.plugin!r}) replaced {old.type} by {nv.type} "
                f"at op '{node.op}': the type must not change"
            )


def _adopt(fgraph: FunctionGraph, new: Sequence[Variable], known: set, trace: Any) -> List[Apply]:
    """New nodes take the replaced node's user line; returns them in a topological order. The walk
    stops at nodes already known (the graph's, and those adopted earlier): what they compute from
    was adopted when they were, so a replacement costs its new nodes, not the whole graph above it."""
    blocked = set(fgraph.inputs)
    order: List[Apply] = []
    stack: List[Tuple[Variable, bool]] = [(v, False) for v in reversed(list(new))]
    while stack:
        v, done = stack.pop()
        n = v.owner
        if done:
            order.append(n)  # after its inputs' nodes: a post-order
            continue
        if n is None or n in known or v in blocked:
            continue
        n.trace = trace
        known.add(n)
        stack.append((v, True))
        stack.extend((i, False) for i in reversed(n.inputs))
    return order


def run_local(fgraph: FunctionGraph, specs: Sequence[Any], report: RewriteReport, stage: str) -> None:
    # ``tracks`` names ops (or gives op classes): a name finds the nodes of that name whose op
    # the rewrite is for (registered_for: the framework's ops and its own package's), never a
    # same-named op of someone else's; a class finds the nodes of exactly that class
    by_op: Dict[str, List[Any]] = {}
    by_type: Dict[type, List[Any]] = {}
    generic: List[Any] = []
    for s in specs:
        if s.tracks:
            for track in s.tracks:
                if isinstance(track, type):
                    by_type.setdefault(track, []).append(s)
                else:
                    by_op.setdefault(track, []).append(s)
        else:
            generic.append(s)
    for n_pass in range(MAX_PASSES):
        changed = False
        order = list(fgraph.toposort())
        known = set(order)
        # a worklist: the nodes a replacement adds are visited later in the same pass (after the
        # node they replace, in their own topological order), so a chain of rewrites that each
        # enable the next settles in one pass instead of one pass per link
        # (at most a graph's worth of new nodes per pass: two rewrites undoing each other must not
        # grow the list without end -- past that, new nodes wait for the next pass, whose count
        # MAX_PASSES bounds)
        budget, i = 2 * len(order) + 64, 0
        while i < len(order):
            node = order[i]
            i += 1
            if not any(o in fgraph.clients for o in node.outputs):
                continue  # removed by an earlier replacement in this pass
            op = node.op
            named = by_op.get(op.name)
            if named and not type(op).__module__.startswith("framework."):
                named = [spec for spec in named if registered_for(op, None, spec.rewrite)]
            if by_type:
                named = (named or []) + by_type.get(type(op), [])
            for spec in (named + generic if named else generic):
                try:
                    new = spec.rewrite(fgraph, node)
                except RewriteError:
                    raise
                except Exception as exc:
                    raise RewriteError(
                        f"rewrite {spec.name!r} (plugin {spec.plugin!r}) failed on op '{node.op}': "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                if not new:
                    continue
                if isinstance(new, dict):
                    new = [new.get(o, o) for o in node.outputs]
                new = list(new)
                _check_replacement(spec, node, new)
                if all(a is b for a, b in zip(node.outputs, new)):
                    continue
                adopted = _adopt(fgraph, new, known, node.trace)
                if budget > 0:
                    order.extend(adopted)
                    budget -= len(adopted) + 1
                for old, nv in zip(node.outputs, new):
                    if nv.name is None and old.name is not None:
                        nv.name = old.name
                    fgraph.replace(old, nv, reason=spec.name)
                report.fired[spec.name] += 1
                changed = True
                break
        report.passes[stage] = n_pass + 1
        if not changed:
            return
    warnings.warn(f"rewrite stage {stage!r} did not settle after {MAX_PASSES} passes; "
                  "some rewrites may be undoing each other", stacklevel=3)


def rewrite(fgraph: FunctionGraph, mode: Mode, stages: Optional[Sequence[str]] = None,
            quiet: bool = False, specs: Optional[Sequence[Any]] = None) -> RewriteReport:
    """Run the mode's stages (or only ``stages``) on ``fgraph`` in place and report
    what fired; ``specs``: these rewrites instead of the registered ones."""
    from .. import plugins
    from ..config import config

    report = RewriteReport()
    if mode.optimizer is None and not mode.including:
        return report
    every = list(plugins.rewrites() if specs is None else specs)
    specs = [s for s in every if selected(s, mode)]
    for stage in stage_order(every):
        in_stage = [s for s in specs if s.stage == stage]
        if not in_stage or (stages is not None and stage not in stages):
            continue
        t0 = time.perf_counter()
        for spec in in_stage:
            report.stage_of[spec.name] = stage
            if spec.kind == "global":
                before = len(fgraph.history)
                try:
                    spec.rewrite(fgraph)
                except RewriteError:
                    raise
                except Exception as exc:
                    raise RewriteError(f"rewrite {spec.name!r} (plugin {spec.plugin!r}) failed: "
                                       f"{type(exc).__name__}: {exc}") from exc
                if len(fgraph.history) != before:  # counts the variables it replaced
                    report.fired[spec.name] += len(fgraph.history) - before
        local = [s for s in in_stage if s.kind == "local"]
        if local:
            run_local(fgraph, local, report, stage)
        report.stage_seconds[stage] = time.perf_counter() - t0
    if config.trace_rewrites and not quiet:
        print(report, file=sys.stderr)
    return report


def report(f: Any) -> RewriteReport:
    """What the rewrites did when the compiled function ``f`` was made: which
    fired, how often, and the time per stage (the same as ``f.maker.report``)."""
    return f.maker.report
