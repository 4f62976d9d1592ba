"""Observers of a training run, and a Ctrl-C that stops between minibatches.

:func:`observe` is how a caller that does not build the
:class:`~framework.training.loop.Trainer` (a hyper-parameter sweep running a
family's ``train(args)``) watches the run; :func:`stop_at_batch_boundary`
turns the first Ctrl-C into a request the trainer honours before the next
minibatch, so no file is left half-written.
"""
from __future__ import annotations

import contextlib
import contextvars
import signal
import threading
from typing import Any, Iterator

__all__ = ["observe", "notify", "stop_at_batch_boundary"]

_observers: "contextvars.ContextVar[tuple]" = contextvars.ContextVar("framework_training_observers", default=())


@contextlib.contextmanager
def observe(observer: Any) -> Iterator[Any]:
    """Let ``observer`` watch every :class:`Trainer` run in this context (this thread).

    It is how a caller that does not build the trainer -- a hyper-parameter
    sweep running a family's ``train(args)`` -- sees the run. Each method is
    optional: ``on_start(trainer)`` once the run is open (``trainer.start_epoch``
    says where a resumed run restarts); ``on_epoch(trainer, epoch, scalars)``
    after each epoch's events and checkpoint are written, with that epoch's
    scalars (``train/cost``, the same value under the family's ``cost_tag``, and the
    family's extra ones); an exception it
    raises stops the run there (early stopping); ``on_finish(trainer,
    metrics)`` before the final hyper-parameter record is written, and may add
    entries to ``metrics`` (the dict that record holds).
    """
    token = _observers.set(_observers.get() + (observer,))
    try:
        yield observer
    finally:
        _observers.reset(token)


def notify(event: str, *args: Any) -> None:
    for observer in _observers.get():
        method = getattr(observer, event, None)
        if method is not None:
            method(*args)


@contextlib.contextmanager
def stop_at_batch_boundary():
    """Turn the first Ctrl-C into a request to stop before the next minibatch.

    A KeyboardInterrupt raised at an arbitrary point can leave the TensorBoard
    writer's queue or a half-built checkpoint in a bad state; stopping between
    minibatches keeps every file consistent. A second Ctrl-C interrupts at once.
    """
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum, frame):
        if event.is_set():
            raise KeyboardInterrupt
        event.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)
