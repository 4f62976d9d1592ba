"""Overflow warnings silenced around one ufunc call, at a fifth of ``numpy.errstate``'s cost.

A generated element-wise kernel computes ``sigmoid`` as ``1 / (1 + exp(-x))``;
``exp`` overflows to ``inf`` for large ``-x``, which is the exact limit (the
sigmoid is then 0), so the compiled function must not warn there where the
user's own NumPy expression would not have been written that way. Every call
of such a kernel used to enter ``with numpy.errstate(over='ignore')``: about
1.75 us on the machine of docs/benchmarks.md -- 2 % of the tutorial's logistic
regression step, and 31 times in each PCD-15 step.

NumPy 2 keeps the floating-point error state in a context variable; entering
an ``errstate`` builds the new state from the current one and sets the
variable. :func:`quiet_overflow` returns ``(enter, exit)`` doing the same with
the new state cached for the current one (rebuilt whenever the current one is
another object: a ``seterr``, an enclosing ``errstate``, another thread's or
task's context), so a call costs a context-variable ``get``, ``set`` and
``reset``. It is thread and asyncio safe as ``errstate`` is (each ``enter``
returns its own token). Only the ``over`` setting changes; a user's
``divide='raise'`` or ``seterrcall`` around the function still applies inside.

The fast form reads two NumPy internals (``numpy._core._ufunc_config``'s
context variable and ``_make_extobj``). If a NumPy lacks them, or the check at
import (:func:`_fast_form_works`) finds that the state they give is not the one
``errstate`` gives, ``numpy.errstate`` itself is used.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

Pair = Tuple[Callable[[], Any], Callable[[Any], None]]


def _errstate_pair() -> Pair:
    """``numpy.errstate(over='ignore')`` entered and left: the portable form."""

    def enter() -> Any:
        state = np.errstate(over="ignore")
        state.__enter__()
        return state

    def leave(state: Any) -> None:
        state.__exit__(None, None, None)

    return enter, leave


def _context_pair() -> Optional[Pair]:
    """The fast form over NumPy's context variable, or None where this NumPy has no such thing."""
    try:
        from numpy._core._ufunc_config import _extobj_contextvar as var
        from numpy._core._ufunc_config import _make_extobj as make
    except ImportError:
        return None
    last = [(None, None)]  # (the state it was built from, the state with overflow ignored)
    get, set_ = var.get, var.set

    def enter() -> Any:
        current = get()
        pair = last[0]
        if pair[0] is not current:
            pair = (current, make(over="ignore"))
            last[0] = pair  # one tuple, replaced whole: safe between threads
        return set_(pair[1])

    return enter, var.reset


def _fast_form_works(pair: Pair) -> bool:
    """Whether ``pair`` gives exactly ``errstate(over='ignore')``'s settings, under two outer states."""
    enter, leave = pair
    try:
        for outer in ({"all": "warn"}, {"divide": "raise", "invalid": "ignore", "under": "print"}):
            with np.errstate(**outer):
                before = np.geterr()
                token = enter()
                try:
                    ours = np.geterr()
                finally:
                    leave(token)
                after = np.geterr()
                with np.errstate(over="ignore"):
                    theirs = np.geterr()
            if ours != theirs or after != before:
                return False
        return True
    except Exception:  # any surprise in NumPy's internals: use the portable form
        return False


def quiet_overflow() -> Pair:
    """``(enter, leave)``: ``token = enter()`` silences overflow warnings, ``leave(token)`` restores."""
    fast = _context_pair()
    if fast is not None and _fast_form_works(fast):
        return fast
    return _errstate_pair()


ENTER, LEAVE = quiet_overflow()
