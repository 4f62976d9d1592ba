"""How the CuPy backend reports itself where it cannot run: never an error at
import or plugin load, ``available()`` False with a reason a user can act on,
and a clear message from ``get_backend``, ``function`` and the command line."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import framework.plugins as plugins
from framework.core.backend import BackendError, clear_backends, get_backend
from framework_backend_cupy import availability as av

EXPECTED = ("device 'cuda' needs backend 'cupy' (plugin 'backend_cupy'), which is not available on this "
            "machine: CuPy is not installed (pip install 'framework[cuda13]', or 'framework[cuda12]' for a CUDA 12 driver)")


@pytest.fixture
def no_cupy(monkeypatch: pytest.MonkeyPatch):
    """Pretend CuPy is not installed (whatever this machine has)."""
    monkeypatch.setitem(sys.modules, "cupy", None)  # find_spec('cupy') -> None, import fails
    av.available.reset()
    clear_backends()
    yield
    av.available.reset()
    clear_backends()


def _fake_cupy(tmp_path: Path, body: str) -> Path:
    pkg = tmp_path / "fakecupy" / "cupy"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    return pkg.parent


@pytest.fixture
def fake_cupy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Install a stand-in ``cupy`` module with the given source for one test."""

    def install(body: str) -> None:
        monkeypatch.delitem(sys.modules, "cupy", raising=False)
        monkeypatch.syspath_prepend(str(_fake_cupy(tmp_path, body)))
        av.available.reset()
        clear_backends()

    yield install
    sys.modules.pop("cupy", None)
    av.available.reset()
    clear_backends()


def test_the_backend_is_registered_for_cuda_devices() -> None:
    spec = plugins.backends()["cupy"]
    assert spec.devices == ("cuda",) and spec.plugin == "backend_cupy"
    assert plugins.backend_for_device("cuda:1") is spec
    assert "cupy" in plugins.format_plugins()


def test_missing_cupy_is_unavailable_with_the_install_hint(no_cupy) -> None:
    assert av.available() is False
    assert av.available.reason() == "CuPy is not installed (pip install 'framework[cuda13]', or 'framework[cuda12]' for a CUDA 12 driver)"
    assert "unavailable" in repr(av.available)


def test_get_backend_names_the_device_the_backend_and_the_reason(no_cupy) -> None:
    with pytest.raises(BackendError) as err:
        get_backend("cuda")
    assert str(err.value) == EXPECTED
    with pytest.raises(BackendError, match=r"device 'cuda:1' needs backend 'cupy'.*CuPy is not installed"):
        get_backend("cuda:1")


def test_function_and_shared_on_cuda_fail_clearly(no_cupy) -> None:
    import numpy as np

    import framework.tensor as T
    from framework import config, function, shared

    x = T.dvector("x")
    with pytest.raises(BackendError, match="CuPy is not installed"):
        function([x], x * 2, device="cuda")
    with config.change_flags(device="cuda"):
        with pytest.raises(BackendError, match="CuPy is not installed"):
            shared(np.zeros(3))


def test_cupy_that_fails_to_import_is_reported(fake_cupy) -> None:
    fake_cupy("raise ImportError('libcudart.so.12: cannot open shared object file')\n")
    assert av.available() is False
    assert "failed to import" in av.available.reason() and "libcudart.so.12" in av.available.reason()


def test_cupy_without_a_gpu_is_reported(fake_cupy) -> None:
    fake_cupy("""
        class _Runtime:
            @staticmethod
            def getDeviceCount():
                raise RuntimeError('cudaErrorNoDevice: no CUDA-capable device is detected')
        class cuda:
            runtime = _Runtime
            @staticmethod
            def is_available():
                return False
    """)
    assert av.available() is False
    why = av.available.reason()
    assert "no CUDA GPU is usable" in why and "cudaErrorNoDevice" in why
    with pytest.raises(BackendError, match="no CUDA GPU is usable"):
        get_backend("cuda")


def test_a_probe_that_raises_is_unavailable_not_an_error(fake_cupy) -> None:
    fake_cupy("""
        class cuda:
            @staticmethod
            def is_available():
                raise OSError('driver version is insufficient')
    """)
    assert av.available() is False
    assert "driver version is insufficient" in av.available.reason()


def test_the_probe_runs_once(fake_cupy) -> None:
    fake_cupy("""
        calls = []
        class cuda:
            @staticmethod
            def is_available():
                calls.append(1)
                return False
    """)
    av.available()
    av.available()
    av.available.reason()
    assert sys.modules["cupy"].calls == [1]


def test_the_plugin_imports_without_cupy(no_cupy) -> None:
    import framework_backend_cupy
    import framework_backend_cupy.kernels
    import framework_backend_cupy.placement

    assert "cupy" not in {m for m, v in sys.modules.items() if v is not None}
    assert list(framework_backend_cupy.framework_backends())[0].name == "cupy"
    assert {k.op for k in framework_backend_cupy.framework_kernels()} == {"reshape", "inc_subtensor", "dot"}


def test_command_line_train_on_cuda_is_one_clear_error(no_cupy, capsys) -> None:
    from framework.cli import main

    code = main(["train", "rbm", "--device", "cuda", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code != 0
    assert "device 'cuda' needs backend 'cupy'" in err and "pip install 'framework[cuda13]', or 'framework[cuda12]' for a CUDA 12 driver" in err
    assert "Traceback" not in err
