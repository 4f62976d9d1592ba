"""``theano.gof.utils``: the exception an op raises for a method it does not define."""
from __future__ import annotations

__all__ = ["MethodNotDefined"]


class MethodNotDefined(Exception):
    """An op was asked for a method it does not define (``perform`` of an op with only C code,
    ``c_code`` of an op with only ``perform``), as in Theano."""

    def __init__(self, method: str = "", op_class: type = None, op_name: str = "", hint: str = "") -> None:
        who = op_name or getattr(op_class, "__name__", "the op")
        text = f"{who} does not define {method}()" + (f": {hint}" if hint else "")
        super().__init__(text)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
