"""Rewriting, from the user's side: what the rewrites did to a compiled function.

``framework.rewriting.report(f)`` (or ``f.maker.report``) tells which rewrites
fired, how often, and the time spent per stage; ``print`` it for a table.
``FRAMEWORK_FLAGS=trace_rewrites=1`` prints it for every compiled function.
Rewrites are switched off per function with ``Mode(excluding=[name or tag])``
(see docs/rewrites.md).
"""
from __future__ import annotations

from .core.rewrite import MAX_PASSES, RewriteError, RewriteReport, report, stage_order

__all__ = ["report", "RewriteReport", "RewriteError", "stage_order", "MAX_PASSES"]
