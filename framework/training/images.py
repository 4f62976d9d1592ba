"""Pictures made big enough to see, and labelled.

The tutorial's images are small (the 8x8 digits' filter grid is 89 x 89
pixels; a browser shows it as a stamp). :func:`upscale` repeats every pixel
``factor x factor`` times -- an integer factor, so the pixels stay sharp and
equal -- until the larger side reaches about ``target`` pixels.
:func:`caption` adds a strip of text above an image (``epoch 4/15``), so a
filter grid says which epoch it shows wherever it is viewed.
"""
from __future__ import annotations

import numpy as np

__all__ = ["upscale", "upscale_factor", "caption"]

DISPLAY_SIZE = 400
"""About how many pixels the larger side of a logged picture gets."""


def upscale_factor(shape: tuple, target: int = DISPLAY_SIZE) -> int:
    """The integer factor that brings the larger side of ``shape`` up to about ``target`` (at least 1)."""
    largest = max(int(shape[0]), int(shape[1]), 1)
    return max(1, int(target) // largest)


def upscale(image: np.ndarray, target: int = DISPLAY_SIZE) -> np.ndarray:
    """``image`` (H x W or H x W x C) with each pixel repeated by :func:`upscale_factor`."""
    image = np.asarray(image)
    factor = upscale_factor(image.shape, target)
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def caption(image: np.ndarray, text: str) -> np.ndarray:
    """``image`` (uint8, H x W grayscale) with a white strip holding ``text`` on top."""
    from PIL import Image, ImageDraw, ImageFont

    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 2:
        return image  # only the grayscale grids the trainer logs get a caption
    font = ImageFont.load_default()
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    strip_height = (bottom - top) + 6
    width = max(image.shape[1], (right - left) + 6)
    canvas = Image.new("L", (width, image.shape[0] + strip_height), color=255)
    canvas.paste(Image.fromarray(np.ascontiguousarray(image)), (0, strip_height))
    ImageDraw.Draw(canvas).text((3, 3 - top), text, fill=0, font=font)
    return np.asarray(canvas)
