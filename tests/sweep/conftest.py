"""Helpers for the sweep tests: read what a trial's run directory holds."""
from __future__ import annotations

import glob
import os
from typing import List

import pytest

pytest.importorskip("distributed")
pytest.importorskip("optuna")

# Tiny RBMs on the bundled digits: a trial takes well under a second.
TINY_RBM = ["--epochs", "1", "--n-samples", "0", "--batch-size", "50"]


def hparams_records(run_dir: str) -> List[object]:
    """Every TensorBoard hyper-parameter record (session start) in a run directory's event files, in order."""
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
    found = []
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        for event in loader.EventFileLoader(path).Load():
            for value in event.summary.value:
                if value.tag == "_hparams_/session_start_info":
                    found.append(value)
    return found


def scalar_tags(run_dir: str) -> set:
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={"scalars": 0})
    acc.Reload()
    return set(acc.Tags()["scalars"])
