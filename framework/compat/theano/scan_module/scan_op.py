"""``theano.scan_module.scan_op``: the op a scan builds, for programs that look for it in a compiled
graph (``isinstance(node.op, theano.scan_module.scan_op.Scan)``). Its fields are framework's
(docs/scan.md, "For op and backend authors"), not Theano's."""
from __future__ import annotations

from ....core.scan import Scan

__all__ = ["Scan"]
