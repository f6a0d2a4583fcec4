"""MultiScaleRoIAlignRotated through onnxruntime with the plugin: against the NumPy reference,
against "levels from sqrt(w*h), then the plugin's RoIAlignRotated per level", level hand values,
degenerate and non-finite RoIs."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, run_multi_scale, run_op

from roi_ops import reference

FPN = [0.25, 0.125, 0.0625, 0.03125]
# mmrotate's RotatedSingleRoIExtractor (finest_scale=56, RoIAlignRotated in radians) and
# detectron2-style defaults.
CONVENTIONS = {
    "mmrotate": dict(canonical_scale=56, canonical_level=2, eps_in_log=1, angle_unit="radians", sampling_ratio=0,
                     aligned=1, clockwise=0),
    "mmrotate-clockwise": dict(canonical_scale=56, canonical_level=2, eps_in_log=1, angle_unit="radians",
                               sampling_ratio=2, aligned=1, clockwise=1),
    "defaults": dict(sampling_ratio=2),
    "legacy-unaligned": dict(sampling_ratio=0, aligned=0),
}


def pyramid(rng, dtype, scales, n=2, c=6, image=(512, 640)):
    return [rng.standard_normal((n, c, max(int(image[0] * s), 1), max(int(image[1] * s), 1))).astype(dtype)
            for s in scales]


def rotated_rois(rng, k, n, image=(512, 640), degrees=True):
    centre = rng.uniform(0, 1, (k, 2)) * np.array(image[::-1])
    size = np.exp(rng.uniform(np.log(3), np.log(600), (k, 2)))
    angle = rng.uniform(-180, 180, (k, 1))
    if not degrees:
        angle = np.deg2rad(angle)
    return np.concatenate([centre, size, angle], 1), rng.integers(0, n, k).astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("layout", [5, 6])
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("roi_scale_factor", [1.0, 1.4])
def test_grid_matches_reference(rng, dtype, layout, convention, roi_scale_factor):
    attrs = dict(spatial_scales=FPN, output_height=7, output_width=5, roi_scale_factor=roi_scale_factor,
                 **CONVENTIONS[convention])
    maps = pyramid(rng, dtype, FPN)
    boxes, bidx = rotated_rois(rng, 30, 2, degrees=attrs.get("angle_unit") != "radians")
    if layout == 6:
        rois, bi = np.concatenate([bidx[:, None], boxes], 1).astype(dtype), None
    else:
        rois, bi = boxes.astype(dtype), bidx
    got = run_multi_scale(maps, rois, bi, rotated=True, **attrs)
    want = reference.multi_scale_roi_align_rotated(rois.astype(np.float64), bi,
                                                   *[m.astype(np.float64) for m in maps], **attrs)
    assert got.dtype == dtype
    assert_close(got, want, dtype, scale=max(float(np.abs(m.astype(np.float64)).max()) for m in maps))


@pytest.mark.parametrize("convention", ["mmrotate", "defaults"])
def test_equals_levels_then_roi_align_rotated(rng, convention):
    attrs = CONVENTIONS[convention]
    f = 1.25  # exact in float32, the attribute's type
    maps = pyramid(rng, np.float64, FPN)
    boxes, bidx = rotated_rois(rng, 60, 2, degrees=attrs.get("angle_unit") != "radians")
    got = run_multi_scale(maps, boxes, bidx, rotated=True, spatial_scales=FPN, output_height=7, output_width=7,
                          roi_scale_factor=f, **attrs)
    level_attrs = {k: attrs[k] for k in ("canonical_scale", "canonical_level", "eps_in_log") if k in attrs}
    # The level of a rotated box is that of an upright box of the same w and h.
    upright = np.concatenate([boxes[:, :2] - boxes[:, 2:4] / 2, boxes[:, :2] + boxes[:, 2:4] / 2], 1)
    level = reference.fpn_levels(upright, FPN, **level_attrs)
    assert len(np.unique(level)) >= 3
    scaled = boxes.copy()
    scaled[:, 2:4] *= f
    pool = {k: v for k, v in attrs.items() if k in ("sampling_ratio", "aligned", "clockwise", "angle_unit")}
    want = np.zeros_like(got)
    for lvl, X in enumerate(maps):
        idx = np.flatnonzero(level == lvl)
        want[idx] = run_op("RoIAlignRotated", X, scaled[idx], bidx[idx], output_height=7, output_width=7,
                           spatial_scale=FPN[lvl], **pool)
    np.testing.assert_array_equal(got, want)


def test_level_hand_values_and_skipped_levels():
    """mmrotate: level = clamp(floor(log2(sqrt(w*h)/56 + 1e-6)), 0, L-1); with spatial_scales
    [0.25, 0.0625] the third level has no map and gives zeros."""
    sides = np.array([10, 111.9, 112, 223.9, 224, 2900])
    rois = np.stack([np.full_like(sides, 1500), np.full_like(sides, 1500), sides, sides, np.full_like(sides, 0.3)], 1)
    attrs = dict(canonical_scale=56, canonical_level=2, eps_in_log=1, angle_unit="radians", sampling_ratio=2)
    maps = [np.full((1, 2, 3000 >> (2 + i), 3000 >> (2 + i)), i + 1.0) for i in range(4)]
    y = run_multi_scale(maps, rois, np.zeros(len(rois), np.int64), rotated=True, spatial_scales=FPN,
                        output_height=2, output_width=2, **attrs)
    np.testing.assert_array_equal(y[:, 0, 0, 0], [1, 1, 2, 2, 3, 4])
    y = run_multi_scale([maps[0], maps[2]], rois, np.zeros(len(rois), np.int64), rotated=True,
                        spatial_scales=[0.25, 0.0625], output_height=2, output_width=2, **attrs)
    np.testing.assert_array_equal(y[:, 0, 0, 0], [1, 1, 3, 3, 0, 0])


def test_degenerate_non_finite_and_empty(rng):
    maps = pyramid(rng, np.float32, FPN, n=1)
    rois = np.array([[100, 100, 0, 40, 10], [50, 50, -5, 20, 0], [np.nan, 5, 10, 10, 0], [5, 5, 10, np.inf, 0],
                     [200, 150, 3e38, 3e38, 45], [120, 100, 60, 30, 30]], np.float32)
    bidx = np.zeros(len(rois), np.int64)
    y = run_multi_scale(maps, rois, bidx, rotated=True, spatial_scales=FPN, output_height=2, output_width=2)
    assert np.isnan(y[2:4]).all()
    assert np.isfinite(y[4]).all()
    keep = [0, 1, 5]
    want = reference.multi_scale_roi_align_rotated(rois[keep], bidx[keep], *maps, spatial_scales=FPN,
                                                   output_height=2, output_width=2)
    assert_close(y[keep], want, np.float32, scale=float(np.abs(maps[0]).max()))
    y = run_multi_scale(maps, np.zeros((0, 6), np.float32), rotated=True, spatial_scales=FPN)
    assert y.shape == (0, 6, 1, 1)


def test_upright_boxes_equal_multi_scale_roi_align(rng):
    """Angle 0 and the same level rule: the rotated op pools what MultiScaleRoIAlign pools (the
    box (cx, cy, w, h) is (cx - w/2, cy - h/2, cx + w/2, cy + h/2))."""
    maps = pyramid(rng, np.float64, FPN)
    boxes, bidx = rotated_rois(rng, 40, 2)
    boxes[:, 4] = 0
    got = run_multi_scale(maps, boxes, bidx, rotated=True, spatial_scales=FPN, output_height=7, output_width=7,
                          sampling_ratio=2, aligned=1)
    upright = np.concatenate([boxes[:, :2] - boxes[:, 2:4] / 2, boxes[:, :2] + boxes[:, 2:4] / 2], 1)
    want = run_multi_scale(maps, upright, bidx, spatial_scales=FPN, output_height=7, output_width=7,
                           sampling_ratio=2, aligned=1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
