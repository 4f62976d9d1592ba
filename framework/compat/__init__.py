"""Compatibility layers: other frameworks' APIs on top of framework.

``framework.compat.theano`` runs unmodified Theano 1.0 programs (docs/theano.md).
"""
