"""Rewrites for scan and the random states it carries.

``SCAN_REWRITES`` is yielded by this plugin's ``framework_rewrites`` hook:
keep only the steps of a scan output that are used, and let scans and
random draws advance rng states in place (:data:`.random.RANDOM_REWRITES`,
listed here too because scan bodies carry those states). The rewrites
themselves live with the ops (:mod:`framework.core.scan`,
:mod:`framework.core.random_ops`).
"""
from __future__ import annotations

from typing import List

from framework.core.scan import scan_rng_inplace, scan_save_mem
from framework.plugins import RewriteSpec

from .random import RANDOM_REWRITES

SCAN_REWRITES: List[RewriteSpec] = [
    RewriteSpec(
        name="scan_save_mem",
        rewrite=scan_save_mem,
        stage="specialize",
        tracks=("scan",),
        required=True,
        doc="store only the last k steps of a scan output whose clients read only those "
            "(y[-1], y[-k:]); drop outputs nobody uses",
    ),
    RewriteSpec(
        name="scan_rng_inplace",
        rewrite=scan_rng_inplace,
        stage="inplace",
        tracks=("scan",),
        tags=("inplace",),
        doc="let a scan advance a shared rng state in place when only its own update reads the result",
    ),
] + RANDOM_REWRITES
