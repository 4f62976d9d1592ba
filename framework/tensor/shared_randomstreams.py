"""Theano's import path for :class:`RandomStreams`."""
from ..random import RandomStreams

__all__ = ["RandomStreams"]
