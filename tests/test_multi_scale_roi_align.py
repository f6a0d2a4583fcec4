"""MultiScaleRoIAlign through onnxruntime with the plugin: against the NumPy reference, against
"assign levels with the reference formula, then the plugin's RoIAlign per level", against the
standard-op model exporters produce (NonZero / Gather / RoiAlign / ScatterND per level), and the
level assignment against values worked out by hand."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import assert_close, random_rois, run_multi_scale, run_op

from roi_ops import reference
from roi_ops.standard_models import multi_scale_roi_align_model

DTYPES = [np.float32, np.float64, np.float16]
FPN = [0.25, 0.125, 0.0625, 0.03125]
# Parameter sets of the libraries that use the op (docs/spec.md, "MultiScaleRoIAlign").
CONVENTIONS = {
    "torchvision": dict(sampling_ratio=2),
    "detectron2": dict(sampling_ratio=0, aligned=1, eps=1e-8, eps_in_log=1),
    "mmdetection": dict(sampling_ratio=0, aligned=1, canonical_scale=56, canonical_level=2, eps_in_log=1),
}


def pyramid(rng, dtype, scales, n=2, c=12, image=(256, 320)):
    return [rng.standard_normal((n, c, max(int(image[0] * s), 1), max(int(image[1] * s), 1))).astype(dtype)
            for s in scales]


def fpn_rois(rng, k, n, image=(256, 320), dtype=np.float64):
    boxes, bidx = random_rois(rng, k, n, *image, min_size=4, max_size=700, outside=0.05)
    return boxes.astype(dtype), bidx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [4, 5])
@pytest.mark.parametrize("levels", [1, 2, 4, 6])
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_grid_matches_reference(rng, dtype, layout, levels, convention):
    scales = [2.0 ** -(2 + i) for i in range(levels)]
    maps = pyramid(rng, dtype, scales, image=(512, 640))
    boxes, bidx = fpn_rois(rng, 30, 2, image=(512, 640), dtype=dtype)
    attrs = dict(spatial_scales=scales, output_height=7, output_width=5, **CONVENTIONS[convention])
    if layout == 5:
        rois, bi = np.concatenate([bidx[:, None].astype(dtype), boxes], 1), None
    else:
        rois, bi = boxes, bidx
    got = run_multi_scale(maps, rois, bi, **attrs)
    want = reference.multi_scale_roi_align(rois.astype(np.float64), bi, *[m.astype(np.float64) for m in maps],
                                           **attrs)
    assert got.dtype == dtype
    assert_close(got, want, dtype, scale=max(float(np.abs(m.astype(np.float64)).max()) for m in maps))


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_equals_levels_then_roi_align(rng, convention):
    attrs = CONVENTIONS[convention]
    maps = pyramid(rng, np.float32, FPN)
    boxes, bidx = fpn_rois(rng, 60, 2, dtype=np.float32)
    got = run_multi_scale(maps, boxes, bidx, spatial_scales=FPN, output_height=7, output_width=7, **attrs)
    level_attrs = {k: v for k, v in attrs.items() if k not in ("sampling_ratio", "aligned")}
    level = reference.fpn_levels(boxes, FPN, **level_attrs)
    assert len(np.unique(level)) >= 3  # the RoIs really spread over the pyramid
    want = np.zeros_like(got)
    for lvl, X in enumerate(maps):
        idx = np.flatnonzero(level == lvl)
        want[idx] = run_op("RoIAlign", X, boxes[idx], bidx[idx], output_height=7, output_width=7,
                           spatial_scale=FPN[lvl], sampling_ratio=attrs["sampling_ratio"],
                           aligned=attrs.get("aligned", 0))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_equals_standard_op_model(rng, dtype, convention):
    attrs = dict(output_height=7, output_width=7, **CONVENTIONS[convention])
    maps = pyramid(rng, dtype, FPN)
    boxes, bidx = fpn_rois(rng, 80, 2, dtype=dtype)
    model = multi_scale_roi_align_model(FPN, dtype=dtype, **attrs)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    standard = session.run(None, {"rois": boxes, "batch_indices": bidx, **{f"X_{i}": m for i, m in enumerate(maps)}})[0]
    fused = run_multi_scale(maps, boxes, bidx, spatial_scales=FPN, **attrs)
    # onnxruntime's RoiAlign agrees with RoIAlign within float32 rounding (test_vs_onnxruntime.py).
    np.testing.assert_allclose(fused, standard, rtol=1e-5, atol=1e-5 * float(np.abs(maps[0]).max()))


# Box side (square boxes) -> map index with FPN = 1/4 ... 1/32 (k_min = 2, k_max = 5).
# torchvision: floor(4 + log2(side / 224) + 1e-6); mmdetection: floor(log2(side / 56 + 1e-6)) + 2.
HAND_LEVELS = {
    "torchvision": [(10, 0), (111.9, 0), (112, 1), (223.9, 1), (224, 2), (447, 2), (448, 3), (2900, 3)],
    "mmdetection": [(10, 0), (111.9, 0), (112, 1), (224, 2), (448, 3), (2900, 3)],
}


@pytest.mark.parametrize("convention", HAND_LEVELS)
def test_level_assignment_hand_values(convention):
    attrs = {k: v for k, v in CONVENTIONS[convention].items() if k in ("canonical_scale", "canonical_level", "eps",
                                                                          "eps_in_log")}
    sides = np.array([s for s, _ in HAND_LEVELS[convention]])
    expected = np.array([lvl for _, lvl in HAND_LEVELS[convention]])
    boxes = np.stack([np.full_like(sides, 8.0), np.full_like(sides, 8.0), 8 + sides, 8 + sides], 1)
    np.testing.assert_array_equal(reference.fpn_levels(boxes, FPN, **attrs), expected)
    # The plugin: map i is the constant i + 1, so each output shows the map its RoI was sent to.
    maps = [np.full((1, 2, 3000 >> (2 + i), 3000 >> (2 + i)), i + 1.0) for i in range(4)]
    y = run_multi_scale(maps, boxes, np.zeros(len(boxes), np.int64), spatial_scales=FPN, output_height=2,
                        output_width=2, **CONVENTIONS[convention])
    np.testing.assert_allclose(y, np.broadcast_to((expected + 1.0)[:, None, None, None], y.shape))


def test_degenerate_and_non_finite_rois(rng):
    maps = pyramid(rng, np.float32, FPN, n=1)
    boxes = np.array([[10, 10, 10, 50], [50, 50, 20, 20], [30, 10, 5, 60], [0, 0, np.nan, 5], [0, 0, 100, np.inf],
                      [0, 0, 3e38, 3e38], [5, 5, 40, 40]], np.float32)
    bidx = np.zeros(len(boxes), np.int64)
    y = run_multi_scale(maps, boxes, bidx, spatial_scales=FPN, output_height=2, output_width=2)
    assert np.isnan(y[3:5]).all()
    assert np.isfinite(y[5]).all()  # a huge box goes to the coarsest map; its work is bounded by the map
    keep = [0, 1, 2, 6]
    want = reference.multi_scale_roi_align(boxes[keep], bidx[keep], *maps, spatial_scales=FPN, output_height=2,
                                           output_width=2)
    assert_close(y[keep], want, np.float32, scale=float(np.abs(maps[0]).max()))


def test_no_rois_and_empty_maps():
    maps = [np.ones((1, 3, 8 >> i, 8 >> i), np.float32) for i in range(2)]
    y = run_multi_scale(maps, np.zeros((0, 4), np.float32), np.zeros(0, np.int64), spatial_scales=[0.25, 0.125])
    assert y.shape == (0, 3, 1, 1)
    maps = [np.ones((1, 3, 0, 8), np.float32), np.ones((1, 3, 4, 4), np.float32)]
    y = run_multi_scale(maps, np.array([[0, 1, 2, 3, 4]], np.float32), spatial_scales=[0.25, 0.125],
                        output_height=2, output_width=2)
    np.testing.assert_array_equal(y, np.zeros((1, 3, 2, 2), np.float32))


def test_more_than_eight_maps_is_an_error_naming_the_limit():
    """The CUDA kernel passes the maps by value (at most 8); every device refuses more, in the
    attribute parser, and so does the builder."""
    import roi_ops
    from onnx import TensorProto, helper

    from roi_ops import builders

    scales = [2.0 ** -i for i in range(9)]
    with pytest.raises(ValueError, match="at most 8 feature maps"):
        builders.make_multi_scale_roi_align_node("rois", None, [f"X_{i}" for i in range(9)], "Y",
                                                 spatial_scales=scales)
    node = helper.make_node("MultiScaleRoIAlign", ["rois", ""] + [f"X_{i}" for i in range(9)], ["Y"],
                            domain="roi_ops", spatial_scales=scales)
    f = TensorProto.FLOAT
    model = builders.make_model([node], [helper.make_tensor_value_info("rois", f, None)]
                                + [helper.make_tensor_value_info(f"X_{i}", f, None) for i in range(9)],
                                [helper.make_tensor_value_info("Y", f, None)])
    with pytest.raises(Exception, match="MultiScaleRoIAlign.*'spatial_scales' has 9 scales.*at most 8 feature maps"):
        roi_ops.make_session(model)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("mode", ["avg", "max", "onnx_max"])
@pytest.mark.parametrize("roi_scale_factor", [1.0, 1.5, 0.7])
def test_modes_and_roi_scale_factor_match_reference(rng, dtype, mode, roi_scale_factor):
    maps = pyramid(rng, dtype, FPN, image=(512, 640))
    boxes, bidx = fpn_rois(rng, 40, 2, image=(512, 640), dtype=dtype)
    attrs = dict(spatial_scales=FPN, output_height=7, output_width=5, sampling_ratio=2, mode=mode, aligned=1,
                 roi_scale_factor=roi_scale_factor)
    got = run_multi_scale(maps, boxes, bidx, **attrs)
    want = reference.multi_scale_roi_align(boxes.astype(np.float64), bidx, *[m.astype(np.float64) for m in maps],
                                           **attrs)
    assert_close(got, want, dtype, scale=max(float(np.abs(m.astype(np.float64)).max()) for m in maps))


@pytest.mark.parametrize("mode", ["avg", "max", "onnx_max"])
def test_mode_and_roi_scale_factor_equal_levels_of_the_given_box_then_roi_align_of_the_rescaled_one(rng, mode):
    """mmdetection's order: the level from the box as given, RoIAlign on the box scaled about its
    centre. Oracle: the reference's level rule and the library's RoIAlign per level."""
    f = 1.5  # exact in float32, the attribute's type; float64 maps: the composition rounds nothing
    maps = pyramid(rng, np.float64, FPN)
    boxes, bidx = fpn_rois(rng, 60, 2)
    got = run_multi_scale(maps, boxes, bidx, spatial_scales=FPN, output_height=7, output_width=7, sampling_ratio=2,
                          mode=mode, roi_scale_factor=f)
    level = reference.fpn_levels(boxes, FPN)
    centre, half = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) * f / 2
    scaled = np.concatenate([centre - half, centre + half], 1)
    # The level must come from the given box: for some RoIs the rescaled one would pick another map.
    assert np.any(reference.fpn_levels(scaled, FPN) != level)
    want = np.zeros_like(got)
    for lvl, X in enumerate(maps):
        idx = np.flatnonzero(level == lvl)
        want[idx] = run_op("RoIAlign", X, scaled[idx], bidx[idx], output_height=7, output_width=7,
                           spatial_scale=FPN[lvl], sampling_ratio=2, mode=mode)
    np.testing.assert_array_equal(got, want)


def test_skipped_levels_index_the_maps_as_torchvision_does():
    """spatial_scales [0.25, 0.0625] (torchvision's featmap_names ['feat1', 'feat3']): k_min = 2,
    k_max = 4; level index 0 reads the first map, 1 the second (the 1/16 map), 2 has no map and
    gives zeros (torchvision.ops.poolers: `result` starts as zeros and level 2 has no map)."""
    scales = [0.25, 0.0625]
    sides = np.array([10, 111.9, 112, 223.9, 224, 2900])
    expected = np.array([0, 0, 1, 1, 2, 2])
    boxes = np.stack([np.full_like(sides, 8.0), np.full_like(sides, 8.0), 8 + sides, 8 + sides], 1)
    np.testing.assert_array_equal(reference.fpn_levels(boxes, scales), expected)
    maps = [np.full((1, 2, 3000 >> 2, 3000 >> 2), 1.0), np.full((1, 2, 3000 >> 4, 3000 >> 4), 2.0)]
    y = run_multi_scale(maps, boxes, np.zeros(len(boxes), np.int64), spatial_scales=scales, output_height=2,
                        output_width=2, sampling_ratio=2)
    want = np.array([1.0, 1.0, 2.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(y, np.broadcast_to(want[:, None, None, None], y.shape))
