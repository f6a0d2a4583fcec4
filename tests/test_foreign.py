"""Other toolchains' RoI nodes (roi_ops.foreign): graphs built the way each exporter writes
them, converted by roi_ops.convert.to_roi_ops, run with the library and compared with a NumPy
port of the peer's own kernel (tests/foreign/ports.py) or with the peer itself where it runs here
(onnxruntime's contrib CropAndResize and RoiAlign, OpenVINO's ExperimentalDetectronROIFeatureExtractor)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from foreign import ports
from peers import openvino_run
from onnx import TensorProto, helper, numpy_helper

import roi_ops
from roi_ops import convert

F = TensorProto.FLOAT
RNG = np.random.default_rng(21)


def vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def foreign_model(node, inputs, outputs=None, domain=None, initializers=(), opset=17):
    outputs = outputs or [vi(o) for o in node.output]
    graph = helper.make_graph([node], "foreign", inputs, outputs, initializer=list(initializers))
    imports = [helper.make_opsetid("", opset)]
    if domain:
        imports.append(helper.make_opsetid(domain, 1))
    return helper.make_model(graph, opset_imports=imports, ir_version=10)


def converted_run(model, feeds):
    out = convert.to_roi_ops(model)
    assert not any(n.domain not in ("", "roi_ops") for n in out.graph.node)
    assert [i.version for i in out.opset_import if i.domain == ""] == \
        [i.version for i in model.opset_import if i.domain == ""]  # the standard import stays
    return out, roi_ops.make_session(out).run(None, feeds)


def boxes(k, n, image=(160, 200), lo=6, hi=150):
    x1 = RNG.uniform(0, image[1] * 0.8, k)
    y1 = RNG.uniform(0, image[0] * 0.8, k)
    w, h = np.exp(RNG.uniform(np.log(lo), np.log(hi), (2, k)))
    return np.stack([RNG.integers(0, n, k), x1, y1, x1 + w, y1 + h], 1).astype(np.float32)


# --- mmcv / mmdeploy ------------------------------------------------------------------------------

@pytest.mark.parametrize("domain", ["mmcv", "mmdeploy"])
@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_mmcv_roi_align_equals_mmcvs_kernel(domain, mode, aligned, sampling_ratio):
    x = RNG.standard_normal((2, 5, 20, 25)).astype(np.float32)
    rois = boxes(12, 2)
    # mmcv's symbolic (mmcv/ops/roi_align.py): output_size (h, w) in that order, mode_s, aligned_i.
    node = helper.make_node("MMCVRoiAlign", ["input", "rois"], ["out"], domain=domain, output_height=3,
                            output_width=4, spatial_scale=0.125, sampling_ratio=sampling_ratio, mode=mode,
                            aligned=aligned)
    _, (got,) = converted_run(foreign_model(node, [vi("input"), vi("rois")], domain=domain),
                              {"input": x, "rois": rois})
    want = ports.mmcv_roi_align(x, rois, output_height=3, output_width=4, spatial_scale=0.125,
                                sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("aligned,clockwise", [(0, 0), (1, 0), (1, 1)])
def test_mmcv_roi_align_rotated_equals_mmcvs_kernel(aligned, clockwise):
    x = RNG.standard_normal((2, 4, 24, 30)).astype(np.float32)
    b = boxes(10, 2, lo=2)
    rois = np.concatenate([b[:, :1], (b[:, 1:3] + b[:, 3:5]) / 2, b[:, 3:5] - b[:, 1:3],
                           RNG.uniform(-np.pi, np.pi, (10, 1))], 1).astype(np.float32)
    node = helper.make_node("MMCVRoIAlignRotated", ["features", "rois"], ["out"], domain="mmcv", output_height=3,
                            output_width=3, spatial_scale=0.125, sampling_ratio=2, aligned=aligned,
                            clockwise=clockwise)
    _, (got,) = converted_run(foreign_model(node, [vi("features"), vi("rois")], domain="mmcv"),
                              {"features": x, "rois": rois})
    want = ports.mmcv_roi_align_rotated(x, rois, output_height=3, output_width=3, spatial_scale=0.125,
                                        sampling_ratio=2, aligned=aligned, clockwise=clockwise)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


STRIDES = [4.0, 8.0, 16.0, 32.0]


def feats(n=2, c=4, image=(256, 320)):
    return [RNG.standard_normal((n, c, image[0] // int(s), image[1] // int(s))).astype(np.float32) for s in STRIDES]


def multi_level_node(op, k_feats, **attrs):
    names = [f"feat{i}" for i in range(k_feats)]
    return helper.make_node(op, ["rois", *names], ["bbox_feats"], domain="mmdeploy", **attrs), names


@pytest.mark.parametrize("pool_mode", [0, 1])
@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("roi_scale_factor", [-1.0, 1.0])
@pytest.mark.parametrize("size", [(7, 7), (7, 5)])
def test_mmdeploy_multi_level_roi_align_equals_the_tensorrt_kernel(pool_mode, aligned, roi_scale_factor, size):
    fs = feats()
    rois = boxes(40, 2, image=(256, 320), lo=8, hi=700)
    # mmdeploy's symbolic: output_height = output_size[1], output_width = output_size[0]; the
    # TensorRT plugin pools with them as written, and so does the converted node.
    node, names = multi_level_node("MMCVMultiLevelRoiAlign", 4, output_height=size[1], output_width=size[0],
                                   pool_mode=pool_mode, sampling_ratio=2, roi_scale_factor=roi_scale_factor,
                                   finest_scale=56, featmap_strides=STRIDES, aligned=aligned)
    model = foreign_model(node, [vi("rois")] + [vi(n) for n in names], domain="mmdeploy")
    out, (got,) = converted_run(model, {"rois": rois, **dict(zip(names, fs))})
    assert [n.op_type for n in out.graph.node if n.domain == "roi_ops"] == ["MultiScaleRoIAlign"]
    want = ports.mmdeploy_multi_level_roi_align(rois, fs, featmap_strides=STRIDES, finest_scale=56,
                                                output_height=size[1], output_width=size[0], pool_mode=pool_mode,
                                                sampling_ratio=2, roi_scale_factor=roi_scale_factor, aligned=aligned)
    levels = {ports._trt_level(float((r[3] - r[1]) * (r[4] - r[2])), 56, 4) for r in rois}
    assert len(levels) >= 3  # the RoIs spread over the pyramid
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("clockwise", [0, 1])
@pytest.mark.parametrize("roi_scale_factor", [-1.0, 1.0, 1.2])
def test_mmdeploy_multi_level_rotated_roi_align_equals_the_tensorrt_kernel(clockwise, roi_scale_factor):
    fs = feats()
    b = boxes(30, 2, image=(256, 320), lo=20, hi=300)
    rois = np.concatenate([b[:, :1], (b[:, 1:3] + b[:, 3:5]) / 2, b[:, 3:5] - b[:, 1:3],
                           RNG.uniform(-np.pi, np.pi, (30, 1))], 1).astype(np.float32)
    node, names = multi_level_node("MMCVMultiLevelRotatedRoiAlign", 4, output_height=7, output_width=7,
                                   clockwise=clockwise, sampling_ratio=2, roi_scale_factor=roi_scale_factor,
                                   finest_scale=56, featmap_strides=STRIDES, aligned=1)
    model = foreign_model(node, [vi("rois")] + [vi(n) for n in names], domain="mmdeploy")
    out, (got,) = converted_run(model, {"rois": rois, **dict(zip(names, fs))})
    assert [n.op_type for n in out.graph.node if n.domain == "roi_ops"] == ["MultiScaleRoIAlignRotated"]
    want = ports.mmdeploy_multi_level_rotated_roi_align(rois, fs, featmap_strides=STRIDES, finest_scale=56,
                                                        output_height=7, output_width=7, clockwise=clockwise,
                                                        sampling_ratio=2, roi_scale_factor=roi_scale_factor,
                                                        aligned=1)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("attrs,needle", [
    (dict(roi_scale_factor=1.5), "roi_scale_factor=1.5: mmdeploy's TensorRT kernel rescales the legacy +1 box width"),
    (dict(featmap_strides=[4.0, 16.0]), "featmap_strides [4.0, 16.0] are not consecutive powers of two"),
    (dict(pool_mode=3), "pool_mode 3"),
    (dict(output_height=0), "'output_height' must be in [1, 65536]; got 0"),
])
def test_unsupported_attributes_refuse_the_node_by_name_and_convert_nothing(attrs, needle):
    base = dict(output_height=7, output_width=7, pool_mode=1, sampling_ratio=0, roi_scale_factor=1.0,
                finest_scale=56, featmap_strides=STRIDES, aligned=1)
    base.update(attrs)
    node, names = multi_level_node("MMCVMultiLevelRoiAlign", len(base["featmap_strides"]), **base)
    node.name = "extractor"
    other = helper.make_node("MMCVRoiAlign", ["input", "rois"], ["out2"], domain="mmdeploy", output_height=2,
                             output_width=2, mode="avg", aligned=1)
    graph = helper.make_graph([node, other], "g", [vi("rois"), vi("input")] + [vi(n) for n in names],
                              [vi("bbox_feats"), vi("out2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("mmdeploy", 1)],
                              ir_version=10)
    with pytest.raises(convert.ConversionError) as info:
        convert.to_roi_ops(model)
    msg = str(info.value)
    assert "cannot convert 1 node(s), so nothing was converted" in msg
    assert "mmdeploy::MMCVMultiLevelRoiAlign node 'extractor': " in msg and needle in msg, msg


def _foreign_keys():
    from roi_ops.foreign import CONVERTERS, convert_foreign

    convert_foreign(helper.make_model(helper.make_graph([], "empty", [], [])))  # registers every converter
    return sorted(CONVERTERS)


@pytest.mark.parametrize("domain,op_type", _foreign_keys())
def test_a_node_without_its_inputs_is_refused_by_name_not_a_traceback(domain, op_type):
    from roi_ops.foreign import INPUTS

    need = INPUTS[(domain, op_type)]
    given = [f"in{i}" for i in range(len(need) - 1)]  # one short (an exporter that dropped one)
    node = helper.make_node(op_type, given, ["out"], domain=domain, name="short")
    model = foreign_model(node, [vi(n) for n in given], domain=domain or None)
    with pytest.raises(convert.ConversionError) as info:
        convert.to_roi_ops(model)
    assert f"{domain}::{op_type} node 'short': needs inputs {', '.join(need)}; got {len(given)}" in str(info.value)


@pytest.mark.parametrize("domain,op_type,inputs,attrs,kinds", [
    ("mmcv", "MMCVRoiAlign", ["X", "rois"], dict(output_height=[7], output_width=7), "output_height (ints)"),
    ("mmdeploy", "MMCVMultiLevelRoiAlign", ["rois", "P2"], dict(featmap_strides=4.0, output_height=7, output_width=7),
     "featmap_strides (float)"),
    ("", "PyramidROIAlign_TRT", ["rois", "P2", "P3", "P4", "P5"], dict(pooled_size=[7, 7]), "pooled_size (ints)"),
])
def test_an_attribute_of_another_kind_is_refused_with_the_kinds_given(domain, op_type, inputs, attrs, kinds):
    node = helper.make_node(op_type, inputs, ["out"], domain=domain, name="odd", **attrs)
    with pytest.raises(convert.ConversionError) as info:
        convert.to_roi_ops(foreign_model(node, [vi(n) for n in inputs], domain=domain or None))
    msg = str(info.value)
    assert f"{domain}::{op_type} node 'odd': an attribute of an unexpected kind (" in msg and kinds in msg, msg


def test_cli_lists_what_it_converted_and_refuses_in_one_line_per_node(tmp_path):
    node = helper.make_node("MMCVRoiAlign", ["input", "rois"], ["out"], domain="mmcv", name="head", output_height=2,
                            output_width=2, mode="max", aligned=1)
    onnx.save(foreign_model(node, [vi("input"), vi("rois")], domain="mmcv"), tmp_path / "m.onnx")
    cli = [sys.executable, "-m", "roi_ops.cli", "convert", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "o.onnx"),
           "-v"]
    r = subprocess.run(cli, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "converted 1 other toolchains' node(s)" in r.stdout
    assert "converted mmcv::MMCVRoiAlign node 'head' -> RoIAlign" in r.stdout
    bad = helper.make_node("MMCVRoiAlign", ["input", "rois"], ["out"], domain="mmcv", name="head", output_height=2,
                           output_width=2, mode="median", aligned=1)
    onnx.save(foreign_model(bad, [vi("input"), vi("rois")], domain="mmcv"), tmp_path / "bad.onnx")
    cli[4] = str(tmp_path / "bad.onnx")
    r = subprocess.run(cli, capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "mmcv::MMCVRoiAlign node 'head': mode 'median': mmcv pools with 'avg' or 'max'" in r.stderr
    assert not os.path.exists(tmp_path / "o2.onnx")


# --- onnxruntime's contrib CropAndResize and TensorRT's ROIAlign_TRT: onnxruntime runs the peer --

@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_contrib_crop_and_resize_equals_onnxruntimes_kernel(mode):
    x = RNG.standard_normal((2, 3, 17, 23)).astype(np.float32)
    crops = np.concatenate([RNG.uniform(-0.2, 0.6, (9, 2)), RNG.uniform(0.5, 1.2, (9, 2))], 1).astype(np.float32)
    idx = RNG.integers(0, 2, 9).astype(np.int32)
    size = numpy_helper.from_array(np.array([5, 6], np.int32), "crop_size")
    # tf2onnx: CropAndResize(X NCHW, rois, batch_indices int32, crop_size), mode, extrapolation_value.
    node = helper.make_node("CropAndResize", ["X", "rois", "batch_indices", "crop_size"], ["Y"],
                            domain="com.microsoft", mode=mode, extrapolation_value=-2.5)
    model = foreign_model(node, [vi("X"), vi("rois"), vi("batch_indices", TensorProto.INT32)], domain="com.microsoft",
                          initializers=[size])
    feeds = {"X": x, "rois": crops, "batch_indices": idx}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    out, (got,) = converted_run(model, feeds)
    assert [n.op_type for n in out.graph.node if n.domain == "roi_ops"] == ["CropAndResize"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_contrib_crop_and_resize_with_a_computed_size_is_refused():
    node = helper.make_node("CropAndResize", ["X", "rois", "batch_indices", "size"], ["Y"], domain="com.microsoft",
                            name="crop")
    model = foreign_model(node, [vi("X"), vi("rois"), vi("batch_indices", TensorProto.INT32),
                                 vi("size", TensorProto.INT32)], domain="com.microsoft")
    with pytest.raises(convert.ConversionError) as info:
        convert.to_roi_ops(model)
    assert ("CropAndResize node 'crop': crop_size 'size' is computed at run time; roi_ops.CropAndResize takes the "
            "crop size as attributes, so it must be a constant") in str(info.value)


@pytest.mark.parametrize("mode,onnx_mode", [(0, "max"), (1, "avg")])
@pytest.mark.parametrize("ctm,onnx_ctm", [(0, "output_half_pixel"), (1, "half_pixel")])
def test_tensorrt_roi_align_equals_onnx_roi_align(mode, onnx_mode, ctm, onnx_ctm):
    """TensorRT's parser maps ONNX RoiAlign onto ROIAlign_TRT with the same meaning, so
    onnxruntime's RoiAlign-16 is the peer's numbers."""
    x = RNG.standard_normal((2, 4, 16, 18)).astype(np.float32)
    b = boxes(10, 2, image=(64, 72), lo=2, hi=60)
    feeds = {"X": x, "rois": b[:, 1:].copy(), "batch_indices": b[:, 0].astype(np.int32)}
    attrs = dict(output_height=3, output_width=2, spatial_scale=0.25, sampling_ratio=2)
    trt = helper.make_node("ROIAlign_TRT", ["X", "rois", "batch_indices"], ["Y"], domain="trt.plugins",
                           coordinate_transformation_mode=ctm, mode=mode, **attrs)
    model = foreign_model(trt, [vi("X"), vi("rois"), vi("batch_indices", TensorProto.INT32)], domain="trt.plugins")
    _, (got,) = converted_run(model, feeds)
    std = helper.make_node("RoiAlign", ["X", "rois", "bi64"], ["Y"], mode=onnx_mode,
                           coordinate_transformation_mode=onnx_ctm, **attrs)
    ref = foreign_model(std, [vi("X"), vi("rois"), vi("bi64", TensorProto.INT64)])
    want = ort.InferenceSession(ref.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"X": x, "rois": feeds["rois"], "bi64": feeds["batch_indices"].astype(np.int64)})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- OpenVINO: the peer runs here --------------------------------------------------------------

@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_openvino_roi_feature_extractor_equals_openvino(aligned, sampling_ratio):
    fs = feats(n=1, c=3)
    rois = boxes(30, 1, image=(256, 320), lo=8, hi=300)[:, 1:].copy()
    names = [f"feat{i}" for i in range(4)]
    # mmdeploy's OpenVINO symbolic: rois [K,4] then the maps; output_size, pyramid_scales (the
    # strides), sampling_ratio, aligned; image_id etc. for OpenVINO's own bookkeeping.
    node = helper.make_node("ExperimentalDetectronROIFeatureExtractor", ["rois", *names], ["feats_out", "rois_out"],
                            domain="org.openvinotoolkit", output_size=7, pyramid_scales=[4, 8, 16, 32],
                            sampling_ratio=sampling_ratio, aligned=aligned, image_id=0,
                            distribute_rois_between_levels=1, preserve_rois_order=1)
    model = foreign_model(node, [vi("rois", F, [30, 4])] + [vi(n, F, list(f.shape)) for n, f in zip(names, fs)],
                          [vi("feats_out"), vi("rois_out")], domain="org.openvinotoolkit")
    feeds = {"rois": rois, **dict(zip(names, fs))}
    want_feats, want_rois = openvino_run(model.SerializeToString(), feeds)
    out, (got_feats, got_rois) = converted_run(model, feeds)
    assert [n.op_type for n in out.graph.node if n.domain == "roi_ops"] == ["MultiScaleRoIAlign"]
    np.testing.assert_allclose(got_feats, want_feats, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(got_rois, want_rois)


# --- TensorRT plugins: NumPy ports of their kernels -----------------------------------------------

def pyramid_maps(n, c, image, levels):
    return [RNG.standard_normal((n, c, image[0] >> (2 + i), image[1] >> (2 + i))).astype(np.float32)
            for i in range(levels)]


@pytest.mark.parametrize("transform,absolute,swap,sampling_ratio", [
    (2, 1, 0, 0), (2, 0, 1, 2), (1, 1, 0, 2), (2, 1, 1, 1)])
def test_tensorrt_pyramid_roi_align_equals_the_plugin_kernel(transform, absolute, swap, sampling_ratio):
    image = (256, 320)
    maps = pyramid_maps(2, 3, image, 4)
    b = boxes(24, 1, image=image, lo=10, hi=400)[:, 1:].reshape(2, 12, 4)  # some reach past the image
    rois = b[..., [1, 0, 3, 2]] if swap else b
    if not absolute:
        rois = rois / np.array([image[1], image[0]] * 2 if not swap else [image[0], image[1]] * 2, np.float32)
    rois = rois.astype(np.float32)
    names = [f"P{i}" for i in range(2, 6)]
    # detectron2's TensorRT sample (samples/python/detectron2/create_onnx.py) writes these attributes.
    node = helper.make_node("PyramidROIAlign_TRT", ["rois", *names], ["pooled"], name="box_pooler",
                            fpn_scale=224, pooled_size=5, image_size=list(image), roi_coords_absolute=absolute,
                            roi_coords_swap=swap, roi_coords_transform=transform, sampling_ratio=sampling_ratio)
    model = foreign_model(node, [vi("rois")] + [vi(n) for n in names])
    out, (got,) = converted_run(model, {"rois": rois, **dict(zip(names, maps))})
    want = ports.trt_pyramid_roi_align(rois, maps, pooled_size=5, image_size=image, fpn_scale=224,
                                       sampling_ratio=sampling_ratio, transform=transform, absolute=absolute, swap=swap)
    assert got.shape == (2, 12, 3, 5, 5)
    # Boxes of 10 pixels and more: at least 2.5 cells on P2, where transform 1 (roi_ops aligned=0
    # keeps a minimum of one cell, the plugin none) cannot differ.
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("attrs,needle", [
    (dict(roi_coords_transform=-1), "the legacy coordinate transform"),
    (dict(legacy=1), "the legacy coordinate transform"),
    (dict(roi_coords_transform=0), "roi_coords_transform=0 (samples without the half-pixel offset)"),
    (dict(roi_coords_plusone=1), "roi_coords_plusone=1"),
])
def test_tensorrt_pyramid_roi_align_settings_roi_ops_cannot_express_are_refused(attrs, needle):
    names = [f"P{i}" for i in range(2, 6)]
    node = helper.make_node("PyramidROIAlign_TRT", ["rois", *names], ["pooled"], name="pooler", **attrs)
    with pytest.raises(convert.ConversionError, match="PyramidROIAlign_TRT node 'pooler': .*" + needle.replace(
            "(", r"\(").replace(")", r"\)")):
        convert.to_roi_ops(foreign_model(node, [vi("rois")] + [vi(n) for n in names]))


def test_tensorrt_multilevel_crop_and_resize_equals_the_plugin_kernel():
    image = (512, 640)
    maps = pyramid_maps(2, 3, image, 5)
    b = boxes(20, 1, image=(400, 500), lo=16, hi=600)[:, 1:]
    b[:, 2] = np.minimum(b[:, 2], image[1] - 1)
    b[:, 3] = np.minimum(b[:, 3], image[0] - 1)
    rois = b[:, [1, 0, 3, 2]].reshape(2, 10, 4).astype(np.float32)  # (y1, x1, y2, x2) inside the image
    names = [f"P{i}" for i in range(2, 7)]
    node = helper.make_node("MultilevelCropAndResize_TRT", ["rois", *names], ["pooled"], pooled_size=7,
                            image_size=[3, *image])
    out, (got,) = converted_run(foreign_model(node, [vi("rois")] + [vi(n) for n in names]),
                                {"rois": rois, **dict(zip(names, maps))})
    want = ports.trt_multilevel_crop_and_resize(rois, maps, pooled_size=7)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_tensorrt_crop_and_resize_equals_the_plugin_kernel():
    x = RNG.standard_normal((2, 3, 15, 19)).astype(np.float32)
    crops = np.concatenate([RNG.uniform(-0.2, 0.6, (8, 2)), RNG.uniform(0.5, 1.2, (8, 2))], 1).astype(np.float32)
    rois = crops.reshape(2, 4, 4, 1)
    node = helper.make_node("CropAndResize", ["feature_maps", "rois"], ["pfmap"], crop_width=6, crop_height=4)
    _, (got,) = converted_run(foreign_model(node, [vi("feature_maps"), vi("rois")]), {"feature_maps": x, "rois": rois})
    # The plugin's kernel is tf.image.crop_and_resize's (extrapolation 0); onnxruntime's contrib
    # CropAndResize computes the same and runs here.
    size = numpy_helper.from_array(np.array([4, 6], np.int32), "crop_size")
    contrib = helper.make_node("CropAndResize", ["X", "r", "i", "crop_size"], ["Y"], domain="com.microsoft")
    peer = foreign_model(contrib, [vi("X"), vi("r"), vi("i", TensorProto.INT32)], domain="com.microsoft",
                         initializers=[size])
    want = ort.InferenceSession(peer.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"X": x, "r": crops, "i": np.repeat(np.arange(2, dtype=np.int32), 4)})[0]
    assert got.shape == (2, 4, 3, 4, 6)
    np.testing.assert_allclose(got.reshape(8, 3, 4, 6), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ctm", ["half_pixel", "output_half_pixel"])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_converted_roi_align_equals_openvinos_roi_align(ctm, sampling_ratio):
    """OpenVINO's CPU ROIAlign (opset 9) runs the standard ONNX RoiAlign model; the converted
    roi_ops.RoIAlign gives its numbers."""
    x = RNG.standard_normal((2, 4, 20, 26)).astype(np.float32)
    b = boxes(16, 2, image=(80, 104), lo=2, hi=90)
    feeds = {"X": x, "rois": b[:, 1:].copy(), "bi": b[:, 0].astype(np.int64)}
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode="avg", output_height=3, output_width=4,
                            spatial_scale=0.25, sampling_ratio=sampling_ratio, coordinate_transformation_mode=ctm)
    model = foreign_model(node, [vi("X", F, list(x.shape)), vi("rois", F, [16, 4]), vi("bi", TensorProto.INT64, [16])],
                          opset=16)
    (want,) = openvino_run(model.SerializeToString(), feeds)
    _, (got,) = converted_run(model, feeds)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_contrib_crop_and_resize_folds_the_transposes_that_cancel_around_it():
    """X (NCHW) -> Transpose to NHWC -> Transpose to NCHW -> CropAndResize -> Transpose to NHWC ->
    Transpose to NCHW -> Relu: both pairs go, the numbers stay."""
    x = RNG.standard_normal((1, 3, 12, 14)).astype(np.float32)
    crops = np.array([[0.1, 0.2, 0.8, 0.9], [0.0, 0.0, 1.0, 0.5]], np.float32)
    nodes = [helper.make_node("Transpose", ["X"], ["x_nhwc"], perm=[0, 2, 3, 1]),
             helper.make_node("Transpose", ["x_nhwc"], ["x_nchw"], perm=[0, 3, 1, 2]),
             helper.make_node("CropAndResize", ["x_nchw", "rois", "idx", "size"], ["c_nchw"], domain="com.microsoft"),
             helper.make_node("Transpose", ["c_nchw"], ["c_nhwc"], perm=[0, 2, 3, 1]),
             helper.make_node("Transpose", ["c_nhwc"], ["c_back"], perm=[0, 3, 1, 2]),
             helper.make_node("Relu", ["c_back"], ["Y"])]
    graph = helper.make_graph(nodes, "tf2onnx", [vi("X"), vi("rois"), vi("idx", TensorProto.INT32)], [vi("Y")],
                              initializer=[numpy_helper.from_array(np.array([4, 5], np.int32), "size")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)], ir_version=10)
    feeds = {"X": x, "rois": crops, "idx": np.zeros(2, np.int32)}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    out, (got,) = converted_run(model, feeds)
    assert [n.op_type for n in out.graph.node] == ["CropAndResize", "Relu"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
