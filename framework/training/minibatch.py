"""The supervised minibatch step the classifier families compile (the tutorials'
``givens`` idiom): the training data live in shared variables, and the compiled
step takes only the minibatch index, so no example is copied per call."""
from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

from ..core.function import function
from ..core.shared import shared
from ..tensor import lscalar


def minibatch_step(x: Any, y: Any, train_x: np.ndarray, train_y: np.ndarray, cost: Any,
                   updates: Sequence[Tuple[Any, Any]], batch_size: int, name: str) -> Any:
    """``step(index)``: ``cost`` with ``updates`` on examples ``[index * batch_size,
    (index + 1) * batch_size)`` of ``train_x`` / ``train_y`` (substituted for ``x`` / ``y``)."""
    shared_x = shared(train_x, name="train_x")
    shared_y = shared(train_y, name="train_y")
    index = lscalar("index")
    batch = slice(index * batch_size, (index + 1) * batch_size)
    return function([index], cost, updates=list(updates), name=name,
                    givens={x: shared_x[batch], y: shared_y[batch]})
