"""Global configuration: ``config.floatX``, ``config.device`` and friends.

Values come from defaults, then the ``FRAMEWORK_FLAGS`` environment variable
(``"floatX=float32,device=cuda"``), then assignments in code. Every value is
validated when set, so a typo fails where it was made, not at compile time.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Any, Callable, Dict, Iterator, Tuple

_DEVICE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(:\d+)?$")


def _float_x(v: Any) -> str:
    if v not in ("float16", "float32", "float64"):
        raise ValueError(f"config.floatX must be 'float16', 'float32' or 'float64', not {v!r}")
    return v


def _device(v: Any) -> str:
    if not isinstance(v, str) or not _DEVICE_RE.match(v):
        raise ValueError(f"config.device must look like 'cpu', 'cuda' or 'cuda:N', not {v!r}")
    return v


def _mode(v: Any) -> str:
    if v not in ("FAST_RUN", "FAST_COMPILE", "DEBUG"):
        raise ValueError(f"config.mode must be 'FAST_RUN', 'FAST_COMPILE' or 'DEBUG', not {v!r}")
    return v


def _flag(v: Any) -> bool:
    if isinstance(v, str):
        if v.lower() in ("1", "true", "yes", "on"):
            return True
        if v.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected a boolean flag (0/1/true/false), not {v!r}")
    return bool(v)


_OPTIONS: Dict[str, Tuple[Any, Callable[[Any], Any], str]] = {
    "floatX": ("float64", _float_x, "default float dtype of T.matrix() & co. and of floatX casts"),
    "device": ("cpu", _device, "device that compiled functions and new shared variables use"),
    "mode": ("FAST_RUN", _mode, "default mode of function()"),
    "trace_rewrites": (False, _flag, "report which rewrites fired and the time per stage"),
}


class ConfigError(ValueError):
    """An invalid setting (the message says which and where it came from)."""


def _report_config_errors_in_one_line() -> None:
    """An invalid ``FRAMEWORK_FLAGS`` fails ``import framework`` (a typo fails where it
    was made); when nothing catches that error, the program ends with one line
    naming the variable -- as the ``framework`` command does for every user error --
    instead of a traceback through the import machinery."""
    previous = sys.excepthook

    def hook(kind: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ConfigError):
            sys.stderr.write(f"error: {value}\n")
        else:
            previous(kind, value, tb)

    sys.excepthook = hook


class Config:
    """The process-wide settings. Assign attributes to change them."""

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {k: d for k, (d, _, _) in _OPTIONS.items()})
        flags = os.environ.get("FRAMEWORK_FLAGS", "")
        try:
            for item in filter(None, (s.strip() for s in flags.split(","))):
                key, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"expected name=value, got {item!r}")
                self._set(key.strip(), value.strip(), source="FRAMEWORK_FLAGS")
        except (ValueError, AttributeError) as exc:
            _report_config_errors_in_one_line()
            raise ConfigError(f"environment variable FRAMEWORK_FLAGS={flags!r} is invalid: {exc}") from None

    def _set(self, key: str, value: Any, source: str = "config") -> None:
        if key not in _OPTIONS:
            known = ", ".join(sorted(_OPTIONS))
            raise AttributeError(f"{source}: unknown option {key!r} (known: {known})")
        self._values[key] = _OPTIONS[key][1](value)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"config has no option {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._set(key, value)

    @contextlib.contextmanager
    def change_flags(self, **kwargs: Any) -> Iterator["Config"]:
        """Temporarily set options: ``with config.change_flags(floatX='float32'): ...``."""
        old = dict(self._values)
        try:
            for k, v in kwargs.items():
                self._set(k, v)
            yield self
        finally:
            self._values.clear()
            self._values.update(old)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Config({body})"


config = Config()
