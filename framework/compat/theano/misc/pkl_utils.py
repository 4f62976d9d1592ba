"""``theano.misc.pkl_utils.dump/load``: a zip holding the pickle (member ``pkl``) and every
NumPy array as its own ``.npy`` member, so the arrays can be inspected (``numpy.load`` on the
member) without unpickling anything. Arrays of shared variables are named after the variable.

Loading still unpickles the ``pkl`` member, which runs code chosen by whoever wrote the
file: load only files you trust. framework's own checkpoints never use pickle.
"""
from __future__ import annotations

import io
import os
import pickle
import tempfile
import zipfile
from typing import Any, BinaryIO, Optional, Set, Union

import numpy as np

from ....core.shared import SharedVariable

__all__ = ["dump", "load", "StripPickler"]


class _ZipPickler(pickle.Pickler):
    """Puts each plain NumPy array in the zip as ``<name>.npy`` and pickles a reference to it."""

    def __init__(self, file: BinaryIO, archive: zipfile.ZipFile, protocol: int) -> None:
        super().__init__(file, protocol)
        self.archive = archive
        self.used: Set[str] = set()
        self.pending: Optional[str] = None
        self.count = 0

    def _member(self, base: str) -> str:
        name, k = f"{base}.npy", 1
        while name in self.used:
            name, k = f"{base}_{k}.npy", k + 1
        self.used.add(name)
        return name

    def persistent_id(self, obj: Any) -> Optional[str]:
        if isinstance(obj, SharedVariable) and obj.name:
            self.pending = obj.name.replace("/", "_")
            return None
        if type(obj) is np.ndarray and obj.dtype != object:
            base = self.pending or f"array_{self.count}"
            self.pending = None
            self.count += 1
            name = self._member(base)
            with self.archive.open(name, "w") as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(obj) if not obj.flags.f_contiguous else obj,
                                          allow_pickle=False)
            return name
        return None


class _ZipUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, archive: zipfile.ZipFile) -> None:
        super().__init__(file)
        self.archive = archive

    def persistent_load(self, pid: Any) -> Any:
        with self.archive.open(str(pid)) as fh:
            return np.lib.format.read_array(io.BytesIO(fh.read()), allow_pickle=False)


def dump(obj: Any, file_handler: Union[str, os.PathLike, BinaryIO], protocol: int = pickle.DEFAULT_PROTOCOL,
         persistent_id: Any = None) -> None:
    """Write ``obj`` to ``file_handler`` (an open binary file, or a path: then atomically)."""
    if isinstance(file_handler, (str, os.PathLike)):
        path = os.fspath(file_handler)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".pkl-")
        try:
            with os.fdopen(fd, "wb") as fh:
                dump(obj, fh, protocol)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return
    with zipfile.ZipFile(file_handler, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        buf = io.BytesIO()
        _ZipPickler(buf, archive, protocol).dump(obj)
        archive.writestr("pkl", buf.getvalue())


def load(f: Union[str, os.PathLike, BinaryIO], persistent_load: Any = None) -> Any:
    """Read what :func:`dump` wrote (from an open binary file or a path)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return load(fh)
    with zipfile.ZipFile(f, "r") as archive:
        with archive.open("pkl") as member:
            return _ZipUnpickler(io.BytesIO(member.read()), archive).load()


class StripPickler(pickle.Pickler):
    """Theano's pickler that drops ``tag`` notes (e.g. test values and traces) from variables."""

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        tag = getattr(obj, "tag", None)
        if isinstance(tag, dict) and tag:
            tag.pop("trace", None)
            tag.pop("test_value", None)
        super().save(obj, save_persistent_id)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
