"""Multi-crop engine: the crop sampler's statistics, DINO's loss pairs, cost, overlap, thumbnails,
config validation, and the bundled photographs with their licences. No Qt."""
from __future__ import annotations

import math
import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.multicrop import (
    DEFAULT_RATIO,
    CropView,
    MultiCropConfig,
    _draw_crop_box,
    coverage_matrix,
    crop_to_array,
    loss_pairs,
    overlap_fraction,
    relative_cost,
    sample_crop_box,
    sample_views,
)
from engine.params import ParameterError
from resources.paths import bundled_images, images_licence_file, resources_dir

GLOBAL_SCALE = (0.4, 1.0)
LOCAL_SCALE = (0.05, 0.4)
IMAGE_SHAPES = [(512, 512), (451, 300), (640, 427), (300, 600)]  # (width, height)


def draw_many(width, height, scale, count, seed=0):
    rng = np.random.default_rng(seed)
    return [_draw_crop_box(width, height, scale, DEFAULT_RATIO, rng) for _ in range(count)]


def central_fallback(width, height):
    """torchvision's fallback box, worked out by hand: the largest central crop within 3:4..4:3."""
    if width / height > 4 / 3:
        w, h = round(height * 4 / 3), height
    elif width / height < 3 / 4:
        w, h = width, round(width * 4 / 3)
    else:
        w, h = width, height
    return ((width - w) // 2, (height - h) // 2, w, h)


# ---- the crop sampler ---------------------------------------------------------------------------


@pytest.mark.parametrize("width,height", IMAGE_SHAPES)
@pytest.mark.parametrize("scale", [GLOBAL_SCALE, LOCAL_SCALE])
def test_crop_boxes_lie_inside_the_image_with_area_and_ratio_in_range(width, height, scale):
    area = width * height
    draws = draw_many(width, height, scale, 4000)
    for (x, y, w, h), fell_back in draws:
        assert w > 0 and h > 0
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        if fell_back:
            assert (x, y, w, h) == central_fallback(width, height)
            continue
        # w and h are rounded to whole pixels: allow half a pixel on each side.
        low_area = (w - 0.5) * (h - 0.5) / area
        high_area = (w + 0.5) * (h + 0.5) / area
        assert high_area >= scale[0] and low_area <= scale[1]
        assert (w + 0.5) / (h - 0.5) >= DEFAULT_RATIO[0]
        assert (w - 0.5) / (h + 0.5) <= DEFAULT_RATIO[1]
    fallback_rate = sum(fell_back for _, fell_back in draws) / len(draws)
    if scale == LOCAL_SCALE or (width, height) != (300, 600):
        assert fallback_rate < 0.01  # rare for these photograph shapes
    else:
        # A 1:2 image rejects many large boxes; torchvision then falls back to the central crop.
        assert 0.05 < fallback_rate < 0.3


def test_area_fraction_is_uniform_and_ratio_log_uniform_when_every_draw_fits():
    # On a square image every local-scale box fits, so nothing is rejected and the draws are unbiased.
    width = height = 512
    draws = draw_many(width, height, LOCAL_SCALE, 6000, seed=3)
    assert not any(fell_back for _, fell_back in draws)
    fractions = np.array([w * h / (width * height) for (_, _, w, h), _ in draws])
    log_ratios = np.array([math.log(w / h) for (_, _, w, h), _ in draws])
    assert fractions.mean() == pytest.approx(np.mean(LOCAL_SCALE), abs=0.006)
    # Uniform on (0.05, 0.4): each quarter of the range holds about a quarter of the draws.
    quarters = np.histogram(fractions, bins=4, range=LOCAL_SCALE)[0] / len(fractions)
    assert np.all(np.abs(quarters - 0.25) < 0.03)
    # log-uniform ratio: log(w/h) symmetric about 0 and spread over log(3/4)..log(4/3).
    assert log_ratios.mean() == pytest.approx(0.0, abs=0.01)
    halves = np.histogram(log_ratios, bins=2, range=(math.log(3 / 4), math.log(4 / 3)))[0]
    assert abs(halves[0] - halves[1]) < 0.05 * len(log_ratios)


def test_positions_are_spread_over_the_image():
    draws = draw_many(640, 427, LOCAL_SCALE, 4000, seed=5)
    centres_x = np.array([(x + w / 2) / 640 for (x, _, w, _), _ in draws])
    centres_y = np.array([(y + h / 2) / 427 for (_, y, _, h), _ in draws])
    assert centres_x.mean() == pytest.approx(0.5, abs=0.02)
    assert centres_y.mean() == pytest.approx(0.5, abs=0.02)
    assert centres_x.min() < 0.3 and centres_x.max() > 0.7


class ScriptedRng:
    """Stands in for a numpy Generator with scripted draws, to check get_params' logic step by step."""

    def __init__(self, uniforms, integers):
        self.uniforms = list(uniforms)
        self.integers_values = list(integers)
        self.integer_calls = []

    def uniform(self, low, high):
        value = self.uniforms.pop(0)
        assert low <= value <= high
        return value

    def integers(self, low, high):
        self.integer_calls.append((low, high))
        return self.integers_values.pop(0)


def test_torchvision_logic_rejects_boxes_that_do_not_fit_then_places_the_next():
    # 100 x 50 image. Attempt 1: area 0.9, ratio 4/3 -> w 77, h 58 > 50: rejected.
    # Attempt 2: area 0.2, ratio 1 -> w = h = round(sqrt(1000)) = 32: row in [0, 18], column in [0, 68].
    rng = ScriptedRng(uniforms=[0.9, math.log(4 / 3), 0.2, 0.0], integers=[7, 40])
    box, fell_back = _draw_crop_box(100, 50, (0.1, 1.0), DEFAULT_RATIO, rng)
    assert box == (40, 7, 32, 32) and not fell_back
    assert rng.integer_calls == [(0, 19), (0, 69)]  # the row first, as torchvision does


@pytest.mark.parametrize(
    "width,height,expected",
    [
        (1000, 100, (433, 0, 133, 100)),  # too wide: height kept, width = round(100 * 4/3)
        (100, 1000, (0, 433, 100, 133)),  # too tall: width kept, height = round(100 / (3/4))
    ],
)
def test_fallback_is_the_central_crop_with_the_extreme_ratio(width, height, expected):
    # Global scale (0.4, 1) never fits in a 10:1 strip within 3/4..4/3, so all 10 attempts fail.
    draws = draw_many(width, height, GLOBAL_SCALE, 50)
    assert all(fell_back and box == expected for box, fell_back in draws)


def test_fallback_is_the_whole_image_when_its_ratio_is_in_range():
    # A 1 x 1 image: candidates round to 0 or 1 pixel; whatever happens, the box is the pixel.
    for box, _ in draw_many(1, 1, LOCAL_SCALE, 200):
        assert box == (0, 0, 1, 1)
    rng = ScriptedRng(uniforms=[0.01, 0.0] * 10, integers=[])  # every attempt rounds to 0 x 0
    assert _draw_crop_box(3, 3, (0.001, 1.0), DEFAULT_RATIO, rng) == ((0, 0, 3, 3), True)


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 2000),
    height=st.integers(1, 2000),
    low=st.floats(0.001, 1.0),
    high=st.floats(0.001, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_image_gives_a_box_inside_it(width, height, low, high, seed):
    scale = (min(low, high), max(low, high))
    x, y, w, h = sample_crop_box(width, height, scale, DEFAULT_RATIO, seed)
    assert all(isinstance(v, int) for v in (x, y, w, h))
    assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= width and y + h <= height


def test_sample_crop_box_is_reproducible_from_a_seed():
    assert sample_crop_box(640, 427, LOCAL_SCALE, DEFAULT_RATIO, 42) == sample_crop_box(
        640, 427, LOCAL_SCALE, DEFAULT_RATIO, 42
    )


@pytest.mark.parametrize("width,height", [(0, 10), (10, -1), (2.5, 10)])
def test_bad_image_size_is_refused(width, height):
    with pytest.raises(ParameterError, match="width|height"):
        sample_crop_box(width, height, LOCAL_SCALE, DEFAULT_RATIO, 0)


# ---- the views ----------------------------------------------------------------------------------


def test_views_are_globals_first_then_locals_with_dino_sizes():
    views = sample_views(640, 427, MultiCropConfig(), seed_or_rng=1)
    assert [v.kind for v in views] == ["global"] * 2 + ["local"] * 8
    assert [v.size for v in views] == [224] * 2 + [96] * 8
    for view in views:
        x, y, w, h = view.box
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 640 and y + h <= 427


def test_view_scales_follow_their_kind_over_many_draws():
    area = 640 * 427
    rng = np.random.default_rng(9)
    globals_, locals_ = [], []
    for _ in range(500):
        for view in sample_views(640, 427, MultiCropConfig(), rng):
            (globals_ if view.is_global else locals_).append(view.area / area)
    tolerance = 0.01  # rounding to whole pixels
    assert min(globals_) >= 0.4 - tolerance and max(globals_) <= 1.0 + tolerance
    assert min(locals_) >= 0.05 - tolerance and max(locals_) <= 0.4 + tolerance
    assert np.mean(locals_) == pytest.approx(0.225, abs=0.01)


def test_flips_are_about_half():
    rng = np.random.default_rng(11)
    flips = [v.flipped for _ in range(2000) for v in sample_views(512, 512, MultiCropConfig(), rng)]
    assert len(flips) == 20000
    assert np.mean(flips) == pytest.approx(0.5, abs=0.015)


def test_views_are_reproducible_from_a_seed_and_differ_between_seeds():
    config = MultiCropConfig(num_local=6)
    first = sample_views(451, 300, config, 123)
    assert first == sample_views(451, 300, config, 123)
    assert first != sample_views(451, 300, config, 124)
    # A Generator is used as given and advanced; a fresh one with the same seed replays it.
    rng = np.random.default_rng(123)
    assert sample_views(451, 300, config, rng) == first
    assert sample_views(451, 300, config, rng) != first


@pytest.mark.parametrize("num_local", range(11))
def test_number_of_views_follows_num_local(num_local):
    views = sample_views(512, 512, MultiCropConfig(num_local=num_local), 0)
    assert len(views) == 2 + num_local


# ---- DINO's loss pairs --------------------------------------------------------------------------


@pytest.mark.parametrize("num_local", range(11))
def test_loss_pairs_as_dino(num_local):
    views = sample_views(512, 512, MultiCropConfig(num_local=num_local), 0)
    pairs = loss_pairs(views)
    assert len(pairs) == 2 * (num_local + 1)
    assert len(set(pairs)) == len(pairs)
    assert all(teacher != student for teacher, student in pairs)
    assert {teacher for teacher, _ in pairs} == {0, 1}
    assert all(views[teacher].is_global for teacher, _ in pairs)
    # The student sees every view; each global view as a student only against the other global.
    students = [student for _, student in pairs]
    assert set(students) == set(range(len(views)))
    assert students.count(0) == 1 and students.count(1) == 1
    assert all(students.count(i) == 2 for i in range(2, len(views)))
    # DINOLoss's loop order: teacher view outer, student view inner.
    assert pairs == sorted(pairs)


def test_loss_pairs_with_one_global_view():
    views = sample_views(512, 512, MultiCropConfig(num_global=1, num_local=3), 0)
    assert loss_pairs(views) == [(0, 1), (0, 2), (0, 3)]


# ---- cost and overlap ---------------------------------------------------------------------------


def test_relative_cost_for_dino_defaults():
    views = sample_views(512, 512, MultiCropConfig(), 0)
    # student 2*224^2 + 8*96^2 plus teacher 2*224^2, over 4*224^2.
    expected = (2 * 224**2 + 8 * 96**2 + 2 * 224**2) / (4 * 224**2)
    assert relative_cost(views) == pytest.approx(expected)
    assert relative_cost(views) == pytest.approx(274432 / 200704)
    assert relative_cost(views, include_teacher=False) == pytest.approx((2 * 224**2 + 8 * 96**2) / (2 * 224**2))


def test_relative_cost_grows_with_each_local_view_from_one():
    costs = [relative_cost(sample_views(512, 512, MultiCropConfig(num_local=n), 0)) for n in range(11)]
    assert costs[0] == pytest.approx(1.0)
    steps = np.diff(costs)
    assert np.allclose(steps, 96**2 / (4 * 224**2))


def test_relative_cost_needs_a_global_view():
    with pytest.raises(ValueError):
        relative_cost([CropView("local", (0, 0, 10, 10), 96, False)])


@pytest.mark.parametrize(
    "local_box,global_box,expected",
    [
        ((10, 10, 20, 20), (0, 0, 100, 100), 1.0),  # inside
        ((0, 0, 100, 100), (0, 0, 100, 100), 1.0),  # the same box
        ((200, 200, 10, 10), (0, 0, 100, 100), 0.0),  # far away
        ((100, 0, 10, 10), (0, 0, 100, 100), 0.0),  # touching the right edge: no shared pixel
        ((90, 0, 20, 10), (0, 0, 100, 100), 0.5),  # half sticks out on the right
        ((-5, -5, 10, 10), (0, 0, 100, 100), 0.25),  # a quarter in the corner
        ((0, 0, 10, 10), (0, 0, 5, 5), 0.25),  # the global box is smaller than the local one
        ((10, 20, 40, 10), (30, 0, 50, 100), 0.5),
    ],
)
def test_overlap_fraction_on_hand_made_boxes(local_box, global_box, expected):
    assert overlap_fraction(local_box, global_box) == pytest.approx(expected)


def test_overlap_fraction_is_not_symmetric():
    small, big = (0, 0, 10, 10), (0, 0, 20, 20)
    assert overlap_fraction(small, big) == 1.0
    assert overlap_fraction(big, small) == 0.25


def test_overlap_fraction_refuses_an_empty_local_box():
    with pytest.raises(ValueError):
        overlap_fraction((0, 0, 0, 10), (0, 0, 10, 10))


def test_coverage_matrix_has_a_row_per_local_and_a_column_per_global():
    views = sample_views(640, 427, MultiCropConfig(num_local=5), 4)
    matrix = coverage_matrix(views)
    assert matrix.shape == (5, 2)
    assert np.all((matrix >= 0) & (matrix <= 1))
    for row, local in enumerate(views[2:]):
        for col, glob in enumerate(views[:2]):
            assert matrix[row, col] == overlap_fraction(local.box, glob.box)
    assert coverage_matrix(sample_views(640, 427, MultiCropConfig(num_local=0), 4)).shape == (0, 2)


# ---- thumbnails ---------------------------------------------------------------------------------


def gradient_image(width=120, height=80):
    xs = np.linspace(0, 255, width)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[..., 0] = xs[None, :].astype(np.uint8)
    image[..., 1] = np.linspace(0, 255, height)[:, None].astype(np.uint8)
    image[..., 2] = 77
    return image


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_crop_to_array_gives_network_resolution(interpolation):
    image = gradient_image()
    for view in sample_views(120, 80, MultiCropConfig(global_size=64, local_size=24), 2):
        out = crop_to_array(image, view, interpolation)
        assert out.shape == (view.size, view.size, 3) and out.dtype == np.uint8
        assert np.all(out[..., 2] == 77)  # a constant channel stays constant


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_crop_to_array_at_native_size_is_the_crop_itself(interpolation):
    image = gradient_image()
    view = CropView("local", (10, 20, 32, 32), 32, False)
    assert np.array_equal(crop_to_array(image, view, interpolation), image[20:52, 10:42])
    flipped = CropView("local", (10, 20, 32, 32), 32, True)
    assert np.array_equal(crop_to_array(image, flipped, interpolation), image[20:52, 10:42][:, ::-1])


def test_crop_to_array_keeps_the_crop_content_and_orientation():
    image = gradient_image(200, 200)
    view = CropView("global", (50, 0, 100, 100), 40, False)
    out = crop_to_array(image, view).astype(int)
    assert np.all(np.diff(out[..., 0], axis=1) >= 0)  # red grows left to right
    assert out[..., 0].min() >= image[0, 50, 0] - 1 and out[..., 0].max() <= image[0, 149, 0] + 1
    mirrored = crop_to_array(image, CropView("global", (50, 0, 100, 100), 40, True)).astype(int)
    assert np.array_equal(mirrored, out[:, ::-1])


def test_crop_to_array_upscales_a_small_crop_and_handles_grey_images():
    grey = np.arange(100, dtype=np.uint8).reshape(10, 10)
    out = crop_to_array(grey, CropView("local", (2, 2, 4, 4), 96, False))
    assert out.shape == (96, 96)
    assert out.min() >= grey[2:6, 2:6].min() and out.max() <= grey[2:6, 2:6].max()


def test_crop_to_array_refuses_a_box_outside_the_image_and_unknown_interpolation():
    image = gradient_image()
    with pytest.raises(ValueError):
        crop_to_array(image, CropView("local", (100, 0, 40, 40), 24, False))
    with pytest.raises(ParameterError, match="interpolation"):
        crop_to_array(image, CropView("local", (0, 0, 40, 40), 24, False), "bicubic")


# ---- configuration ------------------------------------------------------------------------------


def test_default_config_is_dino():
    config = MultiCropConfig().validate()
    assert (config.num_global, config.num_local) == (2, 8)
    assert config.global_scale == (0.4, 1.0) and config.local_scale == (0.05, 0.4)
    assert (config.global_size, config.local_size) == (224, 96)


@pytest.mark.parametrize(
    "changes,name",
    [
        ({"global_scale": (0.6, 0.4)}, "global_scale"),  # min > max
        ({"local_scale": (0.4, 0.05)}, "local_scale"),
        ({"local_scale": (0.0, 0.4)}, "local_scale"),  # zero
        ({"global_scale": (-0.2, 1.0)}, "global_scale"),  # negative
        ({"global_scale": (0.4, 1.2)}, "global_scale"),  # above 1
        ({"local_scale": (0.05, float("nan"))}, "local_scale"),
        ({"local_scale": 0.3}, "local_scale"),  # not a pair
        ({"num_local": 11}, "num_local"),
        ({"num_local": -1}, "num_local"),
        ({"num_local": 2.5}, "num_local"),
        ({"num_global": 3}, "num_global"),
        ({"local_size": 0}, "local_size"),
        ({"ratio": (4 / 3, 3 / 4)}, "ratio"),
    ],
)
def test_bad_config_is_refused_with_a_one_line_message_naming_it(changes, name):
    with pytest.raises(ParameterError) as error:
        MultiCropConfig(**changes).validate()
    message = str(error.value)
    assert message.startswith(name) and "\n" not in message
    with pytest.raises(ParameterError):
        sample_views(512, 512, MultiCropConfig(**changes), 0)


def test_min_greater_than_max_message_says_so():
    with pytest.raises(ParameterError, match=r"global_scale minimum 0\.6 is greater than its maximum 0\.4"):
        MultiCropConfig(global_scale=(0.6, 0.4)).validate()


def test_num_local_message_gives_the_range():
    with pytest.raises(ParameterError, match="num_local must be a whole number from 0 to 10, not 11"):
        MultiCropConfig(num_local=11).validate()


def test_edge_values_are_accepted():
    MultiCropConfig(num_local=0, global_scale=(1.0, 1.0), local_scale=(0.05, 0.05)).validate()
    MultiCropConfig(num_local=10, local_scale=(1e-6, 1.0)).validate()


# ---- bundled photographs ------------------------------------------------------------------------


def image_size(path):
    """(width, height) of a PNG or baseline/progressive JPEG, read from its header."""
    data = path.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return struct.unpack(">II", data[16:24])
    assert data.startswith(b"\xff\xd8"), f"{path.name} is neither PNG nor JPEG"
    offset = 2
    while offset < len(data):
        marker, length = data[offset + 1], struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    raise AssertionError(f"no frame header in {path.name}")


def test_bundled_images_exist_and_are_small():
    images = bundled_images()
    assert len(images) >= 3
    assert {"astronaut", "cat", "coffee", "rocket"} <= set(images)
    total = 0
    for name, path in images.items():
        assert path.is_file() and path.parent.parent == resources_dir()
        width, height = image_size(path)
        assert 64 <= max(width, height) <= 800, name
        total += path.stat().st_size
    assert total < 1.5 * 1024 * 1024


def test_every_bundled_image_has_a_licence_entry():
    text = images_licence_file().read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ") and "|" in line[1:]}
    for name, path in bundled_images().items():
        assert path.name in rows, f"{path.name} has no row in LICENSES.md"
        row = rows[path.name]
        assert re.search(r"public domain|CC0", row, re.IGNORECASE), f"{path.name}: no public-domain/CC0 licence"
        assert "skimage/data/" in row  # the source package file
        width, height = image_size(path)
        assert f"{width} x {height}" in row
