"""Utilities the training command uses: atomic checkpoints and files, a
progress bar, and TensorBoard logging. Plain NumPy/Python; no graph code."""
from .checkpoint import (
    FORMAT_VERSION,
    CheckpointError,
    atomic_write_bytes,
    check_compatible,
    load_checkpoint,
    rng_state_from_arrays,
    rng_state_to_arrays,
    save_checkpoint,
    save_png,
)
from .progress import Progress
from .tensorboard import RunLogger

__all__ = [
    "FORMAT_VERSION",
    "CheckpointError",
    "atomic_write_bytes",
    "check_compatible",
    "load_checkpoint",
    "rng_state_from_arrays",
    "rng_state_to_arrays",
    "save_checkpoint",
    "save_png",
    "Progress",
    "RunLogger",
]
