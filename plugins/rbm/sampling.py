"""Sampling from a trained RBM: the tutorial's persistent visible chains.

:class:`Sampler` runs ``n_chains`` persistent Gibbs chains (a shared
matrix of visible states) and returns a sample every ``plot_every`` Gibbs
steps -- the scan over ``gibbs_vhv`` of the tutorial's sampling section,
compiled once. :func:`samples_image` lays the samples out as the
tutorial's ``samples.png`` (one row of chains per sample).
"""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

import framework
from framework import config

__all__ = ["Sampler", "initial_chains", "samples_image"]


def initial_chains(data: np.ndarray, n_chains: int, rng: np.random.RandomState) -> np.ndarray:
    """``n_chains`` starting states taken from ``data`` as the tutorial does.

    The tutorial takes ``n_chains`` consecutive test examples from a random
    offset; with fewer examples than chains, examples are drawn with
    replacement.
    """
    data = np.asarray(data)
    if data.ndim != 2 or len(data) == 0:
        raise ValueError(f"initial_chains: need a non-empty matrix of examples, got shape {data.shape}")
    if n_chains < 1:
        raise ValueError(f"initial_chains: n_chains must be >= 1, got {n_chains}")
    if len(data) > n_chains:
        start = rng.randint(len(data) - n_chains)
        return data[start:start + n_chains]
    return data[rng.randint(len(data), size=n_chains)]


class Sampler:
    """``n_chains`` persistent chains of ``rbm``, advanced ``plot_every`` Gibbs steps per sample.

    ``init`` (``n_chains x n_visible``) is the chains' starting state (e.g.
    :func:`initial_chains` of the test set). Each call of :meth:`sample`
    runs the compiled ``scan(rbm.gibbs_vhv, ..., n_steps=plot_every)``,
    stores the last visible sample back into the chains and returns
    ``(means, samples)`` of that last step.
    """

    def __init__(self, rbm: Any, init: np.ndarray, plot_every: int = 1000) -> None:
        from framework import scan

        if plot_every < 1:
            raise ValueError(f"Sampler: plot_every must be >= 1, got {plot_every}")
        init = np.asarray(init, dtype=config.floatX)
        if init.ndim != 2 or init.shape[1] != rbm.n_visible:
            raise ValueError(f"Sampler: init must be n_chains x {rbm.n_visible}, got shape {init.shape}")
        self.rbm = rbm
        self.plot_every = int(plot_every)
        self.n_chains = init.shape[0]
        self.persistent_vis_chain = framework.shared(init, name="persistent_vis_chain")
        (
            [presig_hids, hid_mfs, hid_samples, presig_vis, vis_mfs, vis_samples],
            updates,
        ) = scan(rbm.gibbs_vhv, outputs_info=[None, None, None, None, None, self.persistent_vis_chain],
                 n_steps=self.plot_every, name="gibbs_vhv")
        updates = dict(updates)
        updates[self.persistent_vis_chain] = vis_samples[-1]
        self.sample_fn = framework.function([], [vis_mfs[-1], vis_samples[-1]], updates=updates, name="sample_fn")

    def sample(self) -> Tuple[np.ndarray, np.ndarray]:
        """Advance the chains ``plot_every`` steps; ``(means, samples)`` of the last step."""
        vis_mf, vis_sample = self.sample_fn()
        return np.asarray(vis_mf), np.asarray(vis_sample)

    def run(self, n_samples: int) -> List[np.ndarray]:
        """``n_samples`` successive mean-field samples (each ``n_chains x n_visible``)."""
        return [self.sample()[0] for _ in range(int(n_samples))]


def samples_image(samples: Sequence[np.ndarray], img_shape: Tuple[int, int],
                  scale: bool = False) -> np.ndarray:
    """The tutorial's ``samples.png``: row ``i`` holds sample ``i`` of every chain.

    Tiles are ``img_shape`` with one pixel between them, and a one-pixel
    margin under each row (so ``(h + 1) * n_samples + 1`` by
    ``(w + 1) * n_chains - 1`` pixels, as the tutorial's 29 x 29 layout for
    MNIST). ``scale=True`` scales each tile to ``[0, 1]`` (for Gaussian
    visibles, whose means are not probabilities).
    """
    from framework.utils import tile_raster_images

    if not samples:
        raise ValueError("samples_image: no samples")
    height, width = img_shape
    n_chains = len(samples[0])
    image = np.zeros(((height + 1) * len(samples) + 1, (width + 1) * n_chains - 1), dtype=np.uint8)
    for idx, sample in enumerate(samples):
        values = np.asarray(sample)
        if not scale:
            values = np.clip(values, 0.0, 1.0)
        image[(height + 1) * idx:(height + 1) * idx + height, :] = tile_raster_images(
            X=values, img_shape=img_shape, tile_shape=(1, n_chains), tile_spacing=(1, 1),
            scale_rows_to_unit_interval=scale)
    return image


def image_shape(shape: Sequence[int], n_visible: int) -> Tuple[int, int]:
    """A 2-D ``(height, width)`` for pictures of ``n_visible`` values with example shape ``shape``."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 2 and shape[0] * shape[1] == n_visible:
        return shape  # type: ignore[return-value]
    side = int(round(np.sqrt(n_visible)))
    if side * side == n_visible:
        return (side, side)
    return (1, n_visible)


def filters_image(W: np.ndarray, img_shape: Tuple[int, int], max_filters: int = 100) -> np.ndarray:
    """The tutorial's filter picture: up to ``max_filters`` columns of ``W``, each scaled to [0, 1]."""
    from framework.utils import tile_raster_images

    W = np.asarray(W)
    n = min(W.shape[1], max_filters)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    return tile_raster_images(X=W.T[:n], img_shape=img_shape, tile_shape=(rows, cols), tile_spacing=(1, 1))
