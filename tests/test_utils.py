"""framework.utils: scale_to_unit_interval and tile_raster_images (tutorial semantics)."""
import numpy as np
import pytest

from framework.utils import scale_to_unit_interval, tile_raster_images


def test_scale_to_unit_interval_spans_zero_to_one_and_copies():
    x = np.array([[-2.0, 0.0], [3.0, 1.0]])
    before = x.copy()
    y = scale_to_unit_interval(x)
    assert y.min() == 0.0
    assert y.max() == pytest.approx(1.0, abs=1e-7)
    assert y.max() < 1.0  # eps keeps it just below 1, as in the tutorial
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(y, (x + 2) / 5, atol=1e-7)


def test_scale_to_unit_interval_constant_and_integer_input():
    assert np.all(scale_to_unit_interval(np.full(4, 7.0)) == 0)
    y = scale_to_unit_interval(np.array([0, 8, 16]))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, [0, 0.5, 1], atol=1e-7)
    assert scale_to_unit_interval(np.ones(3, np.float32)).dtype == np.float32


def test_output_shape_with_spacing():
    X = np.random.RandomState(0).rand(6, 12)
    out = tile_raster_images(X, img_shape=(3, 4), tile_shape=(2, 3), tile_spacing=(1, 2))
    assert out.shape == ((3 + 1) * 2 - 1, (4 + 2) * 3 - 2)
    assert out.dtype == np.uint8


def test_tiles_are_placed_row_by_row_without_scaling():
    # Image i is constant (i + 1) / 10, so each tile can be recognised.
    X = np.repeat((np.arange(5) + 1.0)[:, None] / 10, 4, axis=1)
    out = tile_raster_images(X, (2, 2), (2, 3), tile_spacing=(1, 1),
                             scale_rows_to_unit_interval=False, output_pixel_vals=False)
    assert out.shape == (5, 8)
    assert out.dtype == X.dtype
    for i in range(6):
        r, c = divmod(i, 3)
        tile = out[r * 3:r * 3 + 2, c * 3:c * 3 + 2]
        expected = (i + 1) / 10 if i < 5 else 0.0  # sixth tile: no row left, blank
        np.testing.assert_array_equal(tile, expected)
    # The spacing stays zero.
    assert np.all(out[2, :] == 0) and np.all(out[:, 2] == 0) and np.all(out[:, 5] == 0)


def test_pixel_values_are_255_times_and_truncated():
    X = np.array([[0.0, 0.5, 0.999, 1.0]])
    out = tile_raster_images(X, (2, 2), (1, 1), scale_rows_to_unit_interval=False)
    np.testing.assert_array_equal(out, [[0, 127], [254, 255]])


def test_each_row_is_scaled_on_its_own():
    X = np.array([[0.0, 1.0, 2.0, 4.0], [-10.0, -10.0, -10.0, 30.0]])
    out = tile_raster_images(X, (2, 2), (1, 2))
    assert out[:, :2].max() == 254 and out[:, :2].min() == 0  # max maps just below 1.0
    assert out[:, 2:].max() == 254 and out[:, 2:].min() == 0
    assert out[0, 1] == int(0.25 / (1 + 1e-8) * 255)


def test_extra_rows_are_ignored():
    X = np.ones((10, 4))
    out = tile_raster_images(X, (2, 2), (1, 2), scale_rows_to_unit_interval=False)
    assert out.shape == (2, 4)
    assert np.all(out == 255)


def test_rgba_tuple_with_missing_channels():
    red = np.ones((2, 4))
    out = tile_raster_images((red, None, None, None), (2, 2), (1, 2), tile_spacing=(0, 1),
                             scale_rows_to_unit_interval=False)
    assert out.shape == (2, 5, 4) and out.dtype == np.uint8
    assert np.all(out[:, [0, 1, 3, 4], 0] == 255)
    assert np.all(out[:, 2, 0] == 0)  # spacing
    assert np.all(out[:, :, 1:3] == 0)  # missing colours are black
    assert np.all(out[:, :, 3] == 255)  # missing alpha is opaque


def test_rgba_tuple_float_output():
    green = np.full((1, 4), 0.25, dtype=np.float32)
    out = tile_raster_images((None, green, None, None), (2, 2), (1, 1),
                             scale_rows_to_unit_interval=False, output_pixel_vals=False)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[:, :, 1], 0.25)
    np.testing.assert_array_equal(out[:, :, 3], 1.0)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="needs 4"):
        tile_raster_images(np.zeros((2, 5)), (2, 2), (1, 2))
    with pytest.raises(ValueError, match="2-D"):
        tile_raster_images(np.zeros((2, 2, 2)), (2, 2), (1, 2))
    with pytest.raises(ValueError, match="4 channels"):
        tile_raster_images((np.zeros((1, 4)),), (2, 2), (1, 1))
    with pytest.raises(ValueError, match="img_shape"):
        tile_raster_images(np.zeros((1, 4)), (4,), (1, 1))
