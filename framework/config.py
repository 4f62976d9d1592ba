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
import warnings
from typing import Any, Callable, Dict, Iterator, Tuple

_DEVICE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(:\d+)?$")


def _float_x(v: Any) -> str:
    if v not in ("float16", "float32", "float64"):
        raise ValueError(f"config.floatX must be 'float16', 'float32' or 'float64', not {v!r}")
    return v


def _device(v: Any) -> str:
    if not isinstance(v, str) or not _DEVICE_RE.match(v):
        raise ValueError(f"config.device must look like 'cpu', 'cuda' or 'cuda:N', not {v!r}")
    theano = _THEANO_DEVICE_RE.match(v)  # Theano's spellings: gpu, gpu0, cuda0
    if theano:
        return "cuda" if not theano.group(2) else f"cuda:{theano.group(2)}"
    return v


_THEANO_DEVICE_RE = re.compile(r"^(gpu|cuda)(\d*)$")


# Theano 1.0's mode names and the mode each runs as here
_THEANO_MODES = {"Mode": "FAST_RUN", "DebugMode": "DEBUG", "DEBUG_MODE": "DEBUG", "NanGuardMode": "DEBUG",
                 "ProfileMode": "FAST_RUN", "PROFILE_MODE": "FAST_RUN"}


def _mode(v: Any) -> str:
    v = _THEANO_MODES.get(v, v) if isinstance(v, str) else v
    if v not in ("FAST_RUN", "FAST_COMPILE", "DEBUG"):
        raise ValueError(f"config.mode must be 'FAST_RUN', 'FAST_COMPILE' or 'DEBUG', not {v!r}")
    return v


_SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
                 "off": False}


def env_switch(name: str, default: bool, unreadable: str) -> bool:
    """The on/off environment variable ``name``: 1/true/yes/on or 0/false/no/off (any
    case, spaces ignored); unset or empty gives ``default``. Any other value warns,
    naming the variable, its value and ``unreadable`` (what happens instead, e.g.
    "draw_ahead stays off"), and gives False: a switch nobody can read never turns a
    feature on. For plugins' switches that live outside :data:`config`."""
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    switch = _SWITCH_WORDS.get(value.strip().lower())
    if switch is None:
        warnings.warn(f"{name}={value!r} is not one of 1, true, yes, on, 0, false, no, off: {unreadable}",
                      RuntimeWarning, stacklevel=3)
        return False
    return switch


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
    "on_unused_input": ("raise", lambda v: _choice("on_unused_input", v, "raise", "warn", "ignore"),
                        "what theano.function does with an unused input (framework.function takes it as an argument)"),
    "compute_test_value": ("off", lambda v: _choice("compute_test_value", v, "off", "ignore", "warn", "raise", "pdb"),
                           "run each new node on its inputs' tag.test_value when the graph is built"),
    "exception_verbosity": ("low", lambda v: _choice("exception_verbosity", v, "low", "high"),
                            "Theano option; errors here always name the op, shapes and user line"),
}
# Theano 1.0's numpy.seterr_* options: `import theano` hands them to numpy.seterr, as Theano does
# (framework/compat/theano/_alias.py); 'None' leaves that kind of error as NumPy has it.
_SETERR_CHOICES = ("ignore", "warn", "raise", "call", "print", "log", "None")
for _kind, _default in (("all", "ignore"), ("divide", "None"), ("over", "None"), ("under", "None"),
                        ("invalid", "None")):
    _OPTIONS[f"numpy.seterr_{_kind}"] = (
        _default, lambda v, _n=f"numpy.seterr_{_kind}": _choice(_n, v, *_SETERR_CHOICES),
        f"numpy.seterr({_kind}=...) applied by `import theano` (Theano 1.0's default: {_default!r})")


def _choice(name: str, v: Any, *allowed: str) -> str:
    if v not in allowed:
        raise ValueError(f"config.{name} must be one of {', '.join(map(repr, allowed))}, not {v!r}")
    return v


def _text(v: Any) -> str:
    return str(v)


def _number_text(v: Any) -> Any:
    float(v)
    return v


# Theano 1.0 options a Theano program may set that have no effect here (no C compiler, no
# cuDNN, no old-bug warnings to give): accepted and kept, so such programs run unchanged.
# One exception: ``profile``, which the Theano layer's ``function`` reads (profiles every
# function it compiles: framework/compat/theano/compile/profiling.py).
_THEANO_NO_OPS = {
    "optimizer": "fast_run", "optimizer_including": "", "optimizer_excluding": "", "optimizer_requiring": "",
    "optimizer_verbose": False, "linker": "cvm", "allow_gc": True, "openmp": False, "openmp_elemwise_minsize": 200000,
    "cxx": "", "cast_policy": "custom", "int_division": "int", "deterministic": "default", "warn_float64": "ignore",
    "profile": False, "profile_memory": False, "profile_optimizer": False, "print_active_device": True,
    "print_test_value": False, "compute_test_value_opt": "off", "check_input": True, "unpickle_function": True,
    "reoptimize_unpickled_function": False, "base_compiledir": "", "compiledir": "", "compiledir_format": "",
    "force_device": False, "init_gpu_device": "", "assert_no_cpu_op": "ignore", "nocleanup": False,
    "on_opt_error": "warn", "on_shape_error": "warn", "experimental.local_alloc_elemwise_assert": True,
    "traceback.limit": 8, "traceback.compile_limit": 0, "gcc.cxxflags": "", "blas.ldflags": "",
    "cmodule.warn_no_version": False, "cmodule.remove_gxx_opt": False, "cmodule.compilation_warning": False,
    "cmodule.preload_cache": False, "cmodule.age_thresh_use": 2073600, "cuda.root": "", "cuda.enabled": True,
    "nvcc.flags": "", "nvcc.fastmath": False, "nvcc.compiler_bindir": "", "lib.cnmem": 0,
    "gpuarray.preallocate": 0, "gpuarray.sync": False, "gpuarray.sched": "default", "gpuarray.single_stream": True,
    "dnn.enabled": "auto", "dnn.conv.algo_fwd": "small", "dnn.conv.algo_bwd_data": "none",
    "dnn.conv.algo_bwd_filter": "none", "dnn.conv.precision": "as_input_f32", "dnn.include_path": "",
    "dnn.library_path": "", "scan.allow_gc": False, "scan.allow_output_prealloc": True, "scan.debug": False,
    "DebugMode.check_c": True, "DebugMode.check_py": True, "DebugMode.check_finite": True,
    "DebugMode.check_strides": 0, "DebugMode.patience": 10, "NanGuardMode.nan_is_error": True,
    "NanGuardMode.inf_is_error": True, "NanGuardMode.big_is_error": True, "tensor.cmp_sloppy": 0, "tensor.local_elemwise_fusion": True,
    "tensor.insert_inplace_optimizer_validate_nb": -1, "device_flag_default": "",
    "warn.ignore_bug_before": "0.9", "warn.argmax_pushdown_bug": False, "warn.gpusum_01_011_0111_bug": False,
    "warn.sum_sum_bug": False, "warn.sum_div_dimshuffle_bug": False, "warn.subtensor_merge_bug": False,
    "warn.gpu_set_subtensor1": False, "warn.vm_gc_bug": False, "warn.signal_conv2d_interface": False,
    "warn.reduce_join": False, "warn.inc_set_subtensor1": False, "warn.round": False, "warn.inc_subtensor1_opt": False,
    "warn.identify_1pexp_bug": False,
    # read by the Theano layer, not the kernel: NanGuardMode.* (its defaults) and
    # unittests.rseed (the seed of theano.tests.unittest_tools)
    "unittests.rseed": "666",
}
for _name, _default in _THEANO_NO_OPS.items():
    _conv = _flag if isinstance(_default, bool) else _number_text if isinstance(_default, (int, float)) else _text
    _OPTIONS[_name] = (_default, _conv, "Theano 1.0 option, accepted; no effect here (docs/theano.md)")


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
            import difflib

            close = difflib.get_close_matches(key, _OPTIONS, n=3)
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            known = ", ".join(sorted(k for k in _OPTIONS if k not in _THEANO_NO_OPS))
            raise AttributeError(f"{source}: unknown option {key!r} ({hint}known: {known}; "
                                 "plus Theano 1.0's names listed in docs/theano.md)")
        self._values[key] = _OPTIONS[key][1](value)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            if any(k.startswith(key + ".") for k in self._values):
                return _Section(self, key)  # Theano's dotted names: config.warn.round
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


class _Section:
    """``config.warn``, ``config.gcc``...: the options named ``<section>.<name>``."""

    def __init__(self, cfg: Config, prefix: str) -> None:
        object.__setattr__(self, "_cfg", cfg)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, key: str) -> Any:
        return getattr(self._cfg, f"{self._prefix}.{key}")

    def __setattr__(self, key: str, value: Any) -> None:
        self._cfg._set(f"{self._prefix}.{key}", value)


config = Config()
