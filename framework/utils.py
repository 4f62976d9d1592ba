"""Plain NumPy helpers for looking at what a model learned.

:func:`tile_raster_images` lays the rows of a matrix out as a grid of small
images — the classic way to look at an RBM's filters (one row of ``W.T`` per
hidden unit) or at samples drawn from it. It follows the semantics of the
``utils.py`` that ships with the deeplearning.net tutorials, so the pictures
this framework writes look like the tutorial's.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["scale_to_unit_interval", "tile_raster_images"]

# What ``tile_raster_images`` accepts: one 2-D matrix (one image per row), or
# four of them (red, green, blue, alpha), any of which may be ``None``.
RasterInput = Union[np.ndarray, Tuple[Optional[np.ndarray], ...]]


def scale_to_unit_interval(ndar: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Return a copy of ``ndar`` shifted and scaled so it spans ``[0, 1]``.

    The minimum maps to 0 and the maximum to (just under) 1; ``eps`` keeps a
    constant array from dividing by zero (it becomes all zeros). Integer input
    is converted to float64; float input keeps its precision.
    """
    ndar = np.array(ndar, copy=True)
    if not np.issubdtype(ndar.dtype, np.floating):
        ndar = ndar.astype(np.float64)
    if ndar.size == 0:
        return ndar
    ndar -= ndar.min()
    ndar *= 1.0 / (ndar.max() + eps)
    return ndar


def _check_pair(value: Sequence[int], what: str) -> Tuple[int, int]:
    """Validate a ``(rows, cols)`` argument and return it as ints."""
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"tile_raster_images: {what} must be a pair of ints, got {value!r}") from None
    if len(pair) != 2 or min(pair) < 0:
        raise ValueError(f"tile_raster_images: {what} must be two non-negative ints, got {value!r}")
    return pair  # type: ignore[return-value]


def tile_raster_images(
    X: RasterInput,
    img_shape: Sequence[int],
    tile_shape: Sequence[int],
    tile_spacing: Sequence[int] = (0, 0),
    scale_rows_to_unit_interval: bool = True,
    output_pixel_vals: bool = True,
) -> np.ndarray:
    """Arrange the rows of ``X`` as a grid of images and return the grid.

    Parameters
    ----------
    X:
        A 2-D array with one flattened image per row (row ``i`` is the tile at
        grid position ``divmod(i, tile_shape[1])``, filled row by row). Rows
        beyond the grid are ignored; missing rows leave blank (zero) tiles.
        ``X`` may instead be a 4-tuple of such arrays — the red, green, blue
        and alpha channels — any of which may be ``None``: a missing colour
        channel is 0 and a missing alpha channel is fully opaque.
    img_shape:
        ``(height, width)`` of one image; each row of ``X`` has
        ``height * width`` entries.
    tile_shape:
        ``(rows, cols)`` of the grid.
    tile_spacing:
        ``(vertical, horizontal)`` gap in pixels between tiles (left as 0).
    scale_rows_to_unit_interval:
        Scale each image to ``[0, 1]`` on its own (see
        :func:`scale_to_unit_interval`) before placing it. Without it the
        values are used as they are and should already lie in ``[0, 1]``.
    output_pixel_vals:
        Return a ``uint8`` image (values times 255, truncated as the tutorial
        does); otherwise return the values in ``X``'s dtype.

    Returns
    -------
    A 2-D array of shape ``((h + sh) * rows - sh, (w + sw) * cols - sw)``, or
    the same with a trailing axis of 4 (RGBA) when ``X`` is a tuple.
    """
    img_shape = _check_pair(img_shape, "img_shape")
    tile_shape = _check_pair(tile_shape, "tile_shape")
    tile_spacing = _check_pair(tile_spacing, "tile_spacing")

    # Each output dimension holds `tiles` images of `size` pixels with a gap
    # of `gap` between neighbours (none after the last one).
    out_shape = tuple(
        max((size + gap) * tiles - gap, 0)
        for size, tiles, gap in zip(img_shape, tile_shape, tile_spacing)
    )

    if isinstance(X, tuple):
        return _tile_rgba(X, img_shape, tile_shape, tile_spacing, out_shape,
                          scale_rows_to_unit_interval, output_pixel_vals)

    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"tile_raster_images: X must be 2-D (one flattened image per row), got shape {X.shape}")
    height, width = img_shape
    if X.shape[1] != height * width:
        raise ValueError(
            f"tile_raster_images: rows of X have {X.shape[1]} values but img_shape {img_shape} "
            f"needs {height * width}")

    out_dtype = np.uint8 if output_pixel_vals else X.dtype
    out = np.zeros(out_shape, dtype=out_dtype)
    v_gap, h_gap = tile_spacing
    for tile_row in range(tile_shape[0]):
        for tile_col in range(tile_shape[1]):
            index = tile_row * tile_shape[1] + tile_col
            if index >= X.shape[0]:
                continue  # fewer images than tiles: leave this tile blank
            image = X[index].reshape(img_shape)
            if scale_rows_to_unit_interval:
                image = scale_to_unit_interval(image)
            top = tile_row * (height + v_gap)
            left = tile_col * (width + h_gap)
            out[top:top + height, left:left + width] = _to_output(image, output_pixel_vals)
    return out


def _to_output(image: np.ndarray, output_pixel_vals: bool) -> np.ndarray:
    """Convert one tile to what the output array stores.

    For pixel output the tutorial multiplies by 255 and lets the uint8 cast
    truncate; we do the same, clipping first so values outside ``[0, 1]``
    saturate instead of wrapping around.
    """
    if not output_pixel_vals:
        return image
    # Multiply in the image's own precision, as the tutorial does, so the
    # truncated values match it exactly.
    return np.clip(image * 255, 0, 255).astype(np.uint8)


def _tile_rgba(
    channels: Tuple[Optional[np.ndarray], ...],
    img_shape: Tuple[int, int],
    tile_shape: Tuple[int, int],
    tile_spacing: Tuple[int, int],
    out_shape: Tuple[int, ...],
    scale_rows_to_unit_interval: bool,
    output_pixel_vals: bool,
) -> np.ndarray:
    """The 4-channel case of :func:`tile_raster_images`: tile each channel."""
    if len(channels) != 4:
        raise ValueError(
            f"tile_raster_images: a tuple X must have 4 channels (R, G, B, A), got {len(channels)}")
    given = [np.asarray(c) for c in channels if c is not None]
    if output_pixel_vals:
        dtype = np.dtype(np.uint8)
        defaults = (0, 0, 0, 255)  # black, fully opaque
    else:
        dtype = given[0].dtype if given else np.dtype(np.float64)
        defaults = (0.0, 0.0, 0.0, 1.0)
    out = np.zeros(out_shape + (4,), dtype=dtype)
    for i, channel in enumerate(channels):
        if channel is None:
            out[:, :, i] = defaults[i]
        else:
            out[:, :, i] = tile_raster_images(channel, img_shape, tile_shape, tile_spacing,
                                              scale_rows_to_unit_interval, output_pixel_vals)
    return out
