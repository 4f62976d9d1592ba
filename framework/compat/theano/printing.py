"""``theano.printing``: ``pp``/``pprint``, ``debugprint``, ``pydotprint`` and the ``Print`` op."""
from typing import Any, Optional, TextIO

from ...core.graph import Apply
from ...printing import Print, pp, pydotprint
from ...printing import debugprint as _debugprint

pprint = pp

__all__ = ["pp", "pprint", "debugprint", "pydotprint", "Print"]


def debugprint(obj: Any, file: Optional[TextIO] = None, print_type: bool = True, depth: int = -1,
               ids: str = "CHAR", **theano_options: Any) -> Optional[str]:
    """Theano's ``debugprint``: also of an Apply node (its outputs' graph, as Theano prints it --
    what ``MonitorMode``'s functions pass it); Theano's other display options (``done``,
    ``print_storage``, ``stop_on_name``...) are accepted and leave the tree as framework prints it."""
    if isinstance(obj, Apply):
        obj = list(obj.outputs) if len(obj.outputs) > 1 else obj.outputs[0]
    return _debugprint(obj, file=file, print_type=print_type, depth=depth, ids=ids)


from ._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
