"""Rewrites for random variables.

``RANDOM_REWRITES`` is yielded by this plugin's ``framework_rewrites`` hook.
The rewrite itself lives with the op (:mod:`framework.core.random_ops`).
"""
from __future__ import annotations

from typing import List

from framework.core.random_ops import DISTRIBUTIONS, random_inplace
from framework.plugins import RewriteSpec

RANDOM_REWRITES: List[RewriteSpec] = [
    RewriteSpec(
        name="random_inplace",
        rewrite=random_inplace,
        stage="inplace",
        tracks=tuple(f"random_{d}" for d in DISTRIBUTIONS),
        tags=("inplace",),
        doc="draw into the generator state itself (no copy) when its only use is its own update",
    ),
]
