"""Function bodies (roi_ops.functions, docs/spec.md "Function bodies"): for every op form with a
body, (a) onnxruntime without the library inlines it and matches the NumPy reference, (b) with the
library registered onnxruntime runs the library's kernel, not the body (its profile shows the
roi_ops node and none of the body's ops), (c) OpenVINO runs it (after onnx's inliner, or as it
is with roi_ops.openvino_frontend: OpenVINO 2026.4 does not expand model-local functions) and
(d) onnx.reference.ReferenceEvaluator runs it (roi_ops.evaluator.make_body_evaluator mends the two
standard ops its onnx 1.23 version lacks or computes wrongly; it runs as is wherever the body
avoids those); the demo's detector with bodies gives the library's detections in onnxruntime and
OpenVINO."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import onnx
import onnx.inliner
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator
from peers import openvino_or_skip, openvino_run, static_inputs

import roi_ops
from roi_ops import builders, reference
from roi_ops.evaluator import make_body_evaluator
from roi_ops.functions import FunctionReport, attach_functions, inline_functions
from roi_ops.graph import opset_version

F = TensorProto.FLOAT
HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(17)
X = RNG.standard_normal((2, 18, 20, 24)).astype(np.float32)  # 18 = 2 * 3 * 3 for PSRoIAlign
B = np.concatenate([RNG.uniform(0, 60, (12, 2)), RNG.uniform(0, 60, (12, 2))], 1).astype(np.float32)
BOXES = np.concatenate([np.minimum(B[:, :2], B[:, 2:]), np.maximum(B[:, :2], B[:, 2:]) + 2], 1)
BI = RNG.integers(0, 2, 12).astype(np.int64)
ROIS5 = np.concatenate([BI[:, None].astype(np.float32), BOXES], 1)
MAPS = [RNG.standard_normal((2, 6, 64 >> i, 80 >> i)).astype(np.float32) for i in range(3)]
FPN_BOXES = np.concatenate([RNG.uniform(0, 200, (20, 2)), RNG.uniform(0, 200, (20, 2))], 1).astype(np.float32)
FPN_BOXES = np.concatenate([np.minimum(FPN_BOXES[:, :2], FPN_BOXES[:, 2:]),
                            np.maximum(FPN_BOXES[:, :2], FPN_BOXES[:, 2:]) + 4], 1)
FPN_BI = RNG.integers(0, 2, 20).astype(np.int64)
COMMON = dict(output_height=3, output_width=3, spatial_scale=0.25)
MS = dict(output_height=3, output_width=3, sampling_ratio=2, canonical_scale=64)


def vi(name, elem=F):
    return helper.make_tensor_value_info(name, elem, None)


ROTATED = np.concatenate([(BOXES[:, :2] + BOXES[:, 2:]) / 2, BOXES[:, 2:] - BOXES[:, :2],
                          RNG.uniform(-180, 180, (12, 1)).astype(np.float32)], 1)
ROTATED6 = np.concatenate([BI[:, None].astype(np.float32), ROTATED], 1)
CROPS = np.concatenate([RNG.uniform(-0.2, 0.6, (9, 2)), RNG.uniform(0.5, 1.2, (9, 2))], 1).astype(np.float32)
CROP_IDX = RNG.integers(0, 2, 9).astype(np.int32)


def box_case(op, make, attrs, layout, opset=17, x=X):
    rotated = op == "RoIAlignRotated"
    rois, bi = ((ROTATED6 if rotated else ROIS5), None) if layout == 5 else ((ROTATED if rotated else BOXES), BI)
    if x is not X:  # the second layout also gets a RoI with a NaN and one with an infinite coordinate
        rois = rois.copy()
        rois[3, 2], rois[5, 3] = np.nan, np.inf
    node = make("X", "rois", "bi" if bi is not None else None, "Y", **attrs)
    inputs = [vi("X"), vi("rois")] + ([vi("bi", TensorProto.INT64)] if bi is not None else [])
    feeds = {"X": x, "rois": rois, **({"bi": bi} if bi is not None else {})}
    want = reference.BY_OP_TYPE[op](x, rois, bi, **attrs)
    return builders.make_model([node], inputs, [vi("Y")], opset=opset), feeds, want, _openvino_numbers(
        lambda **a: reference.BY_OP_TYPE[op](x, rois, bi, **a), attrs, want)


def multi_scale_case(attrs, layout, scales=(0.25, 0.125, 0.0625), rotated=False, opset=17):
    maps = MAPS if len(scales) == 3 else [MAPS[0], MAPS[2]]
    names = [f"M{i}" for i in range(len(maps))]
    boxes = FPN_BOXES
    if rotated:
        boxes = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2],
                                RNG.uniform(-3, 3, (len(boxes), 1)).astype(np.float32)], 1)
    rois, bi = (np.concatenate([FPN_BI[:, None].astype(np.float32), boxes], 1), None) if layout == 5 else \
        (boxes, FPN_BI)
    make = builders.make_multi_scale_roi_align_rotated_node if rotated else builders.make_multi_scale_roi_align_node
    fn = reference.multi_scale_roi_align_rotated if rotated else reference.multi_scale_roi_align
    node = make("rois", "bi" if bi is not None else None, names, "Y", spatial_scales=list(scales), **attrs)
    inputs = [vi("rois")] + ([vi("bi", TensorProto.INT64)] if bi is not None else []) + [vi(n) for n in names]
    feeds = {"rois": rois, **({"bi": bi} if bi is not None else {}), **dict(zip(names, maps))}
    want = fn(rois, bi, *maps, spatial_scales=list(scales), **attrs)
    return builders.make_model([node], inputs, [vi("Y")], opset=opset), feeds, want, _openvino_numbers(
        lambda **a: fn(rois, bi, *maps, spatial_scales=list(scales), **a), attrs, want)


def _openvino_numbers(op, attrs, want):
    """What OpenVINO computes for the body. Its ONNX RoiAlign max (the onnx_max bodies) is not
    onnxruntime's: OpenVINO 2026.4 takes the largest bilinear sample and 0 (its running max starts
    at 0), so those bodies give max(true max, 0) there; measured, see test_openvino_runs_the_inlined_body."""
    if attrs.get("mode") != "onnx_max":
        return want
    return np.maximum(op(**{**attrs, "mode": "max"}), 0)


CASES = {
    "RoIAlign avg": lambda: box_case("RoIAlign", builders.make_roi_align_node, dict(sampling_ratio=2, **COMMON), 4),
    "RoIAlign avg aligned rois5": lambda: box_case("RoIAlign", builders.make_roi_align_node,
                                                   dict(aligned=1, **COMMON), 5),
    "RoIAlign onnx_max": lambda: box_case("RoIAlign", builders.make_roi_align_node,
                                          dict(mode="onnx_max", sampling_ratio=2, **COMMON), 4),
    "RoIAlign avg non-finite": lambda: box_case("RoIAlign", builders.make_roi_align_node,
                                                dict(sampling_ratio=2, **COMMON), 4, x=X[:, :12]),
    "RoIAlign onnx_max rois5 non-finite": lambda: box_case("RoIAlign", builders.make_roi_align_node,
                                                           dict(mode="onnx_max", **COMMON), 5, x=X[:, :12]),
    "RoIAlign avg non-finite, opset 11": lambda: box_case("RoIAlign", builders.make_roi_align_node,
                                                          dict(sampling_ratio=2, **COMMON), 4, 11, x=X[:, :12]),
    "RoIPool non-finite": lambda: box_case("RoIPool", builders.make_roi_pool_node, COMMON, 5, x=X[:, :12]),
    "PSRoIAlign non-finite": lambda: box_case("PSRoIAlign", builders.make_ps_roi_align_node,
                                              dict(sampling_ratio=2, **COMMON), 4, x=X.copy()),
    "RoIPool": lambda: box_case("RoIPool", builders.make_roi_pool_node, COMMON, 5),
    "RoIPool with batch_indices": lambda: box_case("RoIPool", builders.make_roi_pool_node, COMMON, 4),
    "PSRoIAlign": lambda: box_case("PSRoIAlign", builders.make_ps_roi_align_node, dict(sampling_ratio=2, **COMMON), 4),
    "MultiScaleRoIAlign": lambda: multi_scale_case(MS, 4),
    "MultiScaleRoIAlign onnx_max rescaled rois5": lambda: multi_scale_case(
        dict(mode="onnx_max", roi_scale_factor=1.5, aligned=1, **MS), 5),
    "MultiScaleRoIAlign skipped level": lambda: multi_scale_case(MS, 4, scales=(0.25, 0.0625)),
}


def crop_case(attrs, opset):
    node = builders.make_crop_and_resize_node("X", "boxes", "idx", "Y", **attrs)
    model = builders.make_model([node], [vi("X"), vi("boxes"), vi("idx", TensorProto.INT32)], [vi("Y")], opset=opset)
    want = reference.crop_and_resize(X, CROPS, CROP_IDX, **attrs)
    return model, {"X": X, "boxes": CROPS, "idx": CROP_IDX}, want, want


# Sampled bodies (roi_ops.sampled_bodies), at opset 17 and 20.
for _opset in (17, 20):
    CASES.update({
        f"RoIAlign max, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlign", builders.make_roi_align_node, dict(mode="max", sampling_ratio=2, aligned=1, **COMMON), 4, o),
        f"RoIAlign max unaligned rois5, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlign", builders.make_roi_align_node, dict(mode="max", sampling_ratio=3, **COMMON), 5, o),
        f"RoIAlignRotated, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlignRotated", builders.make_roi_align_rotated_node, dict(sampling_ratio=2, **COMMON), 5, o),
        f"RoIAlignRotated radians clockwise unaligned, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlignRotated", builders.make_roi_align_rotated_node,
            dict(sampling_ratio=2, aligned=0, clockwise=1, angle_unit="radians", **COMMON), 4, o),
        f"CropAndResize, opset {_opset}": lambda o=_opset: crop_case(
            dict(crop_height=5, crop_width=6, extrapolation_value=-2.0), o),
        f"CropAndResize one row, opset {_opset}": lambda o=_opset: crop_case(dict(crop_height=1, crop_width=4), o),
        f"RoIAlign max non-finite, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlign", builders.make_roi_align_node, dict(mode="max", sampling_ratio=2, **COMMON), 4, o, x=X[:, :12]),
        f"RoIAlignRotated rois6 non-finite, opset {_opset}": lambda o=_opset: box_case(
            "RoIAlignRotated", builders.make_roi_align_rotated_node, dict(sampling_ratio=2, **COMMON), 5, o,
            x=X[:, :12]),
        f"PSRoIPool, opset {_opset}": lambda o=_opset: box_case("PSRoIPool", builders.make_ps_roi_pool_node, COMMON,
                                                                 4, o),
        f"PSRoIPool rois5 non-finite, opset {_opset}": lambda o=_opset: box_case(
            "PSRoIPool", builders.make_ps_roi_pool_node, dict(output_height=2, output_width=3, spatial_scale=0.5), 5,
            o, x=X[:, :12]),
        f"CropAndResize nearest, opset {_opset}": lambda o=_opset: crop_case(
            dict(crop_height=7, crop_width=5, method="nearest", extrapolation_value=3.0), o),
        f"MultiScaleRoIAlign max, opset {_opset}": lambda o=_opset: multi_scale_case(
            dict(MS, mode="max", aligned=1), 4, opset=o),
        f"MultiScaleRoIAlign max rescaled skipped rois5, opset {_opset}": lambda o=_opset: multi_scale_case(
            dict(MS, mode="max", roi_scale_factor=1.5), 5, scales=(0.25, 0.0625), opset=o),
        f"MultiScaleRoIAlignRotated, opset {_opset}": lambda o=_opset: multi_scale_case(
            dict(output_height=3, output_width=3, sampling_ratio=2, canonical_scale=28, canonical_level=2,
                 eps_in_log=1, angle_unit="radians", roi_scale_factor=1.2), 4, rotated=True, opset=o),
        f"MultiScaleRoIAlignRotated rois6 clockwise, opset {_opset}": lambda o=_opset: multi_scale_case(
            dict(output_height=2, output_width=4, sampling_ratio=1, clockwise=1, angle_unit="radians",
                 canonical_scale=28, canonical_level=2), 5, rotated=True, opset=o),
    })


def plain_session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("case", CASES)
def test_body_runs_without_the_library_and_in_the_reference_evaluator(case):
    model, feeds, want, _ = CASES[case]()
    report = FunctionReport()
    with_bodies = attach_functions(model, report=report)
    assert len(report.attached) == 1 and not report.without
    np.testing.assert_allclose(plain_session(with_bodies).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)  # (a)
    # (d): the body, no roi_ops ops given, with the two standard ops mended that onnx 1.23's
    # evaluator lacks or computes wrongly (roi_ops.evaluator.STANDARD_OPS, checked against
    # onnxruntime's kernels in tests/test_evaluator_standard_ops.py).
    # The non-finite cases' RoIs make inf - inf in numpy, which warns: NaN there is what they check.
    with np.errstate(invalid="ignore" if "non-finite" in case else "warn"):
        _body_in_the_reference_evaluator(with_bodies, feeds, want)


def _body_in_the_reference_evaluator(with_bodies, feeds, want):
    np.testing.assert_allclose(make_body_evaluator(with_bodies).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)
    body_ops = {n.op_type for n in with_bodies.functions[0].node}
    if "MaxRoiPool" in body_ops:
        # The evaluator alone implements no MaxRoiPool: checked, so that it shows when onnx fills it.
        from onnx.reference.op_run import RuntimeImplementationError

        with pytest.raises(RuntimeImplementationError, match="MaxRoiPool"):
            ReferenceEvaluator(with_bodies)
    elif opset_version(with_bodies) < 16 and "RoiAlign" in body_ops:
        # The evaluator alone runs RoiAlign-10 with opset 16's default coordinates (half_pixel),
        # not output_half_pixel: checked, so that it shows when onnx fixes it.
        alone = ReferenceEvaluator(with_bodies).run(None, feeds)[0]
        assert not np.allclose(alone, want, rtol=1e-5, atol=1e-5, equal_nan=True)
    else:
        np.testing.assert_allclose(ReferenceEvaluator(with_bodies).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_with_the_library_onnxruntime_runs_the_kernel_not_the_body(case, tmp_path):
    model, feeds, want, _ = CASES[case]()
    with_bodies = attach_functions(model)
    so = roi_ops.session_options()
    so.enable_profiling = True
    so.profile_file_prefix = str(tmp_path / "profile")
    session = ort.InferenceSession(with_bodies.SerializeToString(), so, providers=["CPUExecutionProvider"])
    got = session.run(None, feeds)[0]
    profile = session.end_profiling()
    with open(profile) as f:
        ops = {e["args"]["op_name"] for e in json.load(f) if "op_name" in e.get("args", {})}
    op_type = model.graph.node[0].op_type
    body_ops = {n.op_type for n in with_bodies.functions[0].node}
    assert op_type in ops and not (ops & body_ops - {op_type}), (ops, body_ops)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("how", ["inlined", "roi_ops extensions"])
@pytest.mark.parametrize("case", CASES)
def test_openvino_runs_the_body(case, how):
    """(c) OpenVINO 2026.4 does not expand model-local functions: it runs the bodies once onnx's
    inliner has expanded them, or reads the model as it is with roi_ops.openvino_frontend."""
    openvino_or_skip()
    model, feeds, _, want = CASES[case]()
    with_bodies = attach_functions(model)
    if how == "inlined":
        with_bodies = onnx.inliner.inline_local_functions(with_bodies)
        assert not with_bodies.functions and all(n.domain != "roi_ops" for n in with_bodies.graph.node)
    (got,) = openvino_run(static_inputs(with_bodies, feeds).SerializeToString(), feeds,
                          roi_ops_extensions=how != "inlined")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_openvino_reading_a_roi_ops_model_without_bodies_and_a_form_without_one():
    """roi_ops.openvino_frontend builds the bodies itself, so a model without them reads too; a
    form without a body fails naming the node and the reason."""
    ov = openvino_or_skip()
    from roi_ops.openvino_frontend import conversion_extensions

    model, feeds, _, want = CASES["MultiScaleRoIAlign max rescaled skipped rois5, opset 17"]()
    (got,) = openvino_run(static_inputs(model, feeds).SerializeToString(), feeds, roi_ops_extensions=True)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    node = builders.make_roi_align_node("X", "rois", "bi", "Y", mode="max", name="true_max")
    model = builders.make_model([node], [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)], [vi("Y")])
    core = ov.Core()
    core.add_extension(conversion_extensions())
    with pytest.raises(RuntimeError, match="true_max.*mode 'max' with sampling_ratio 0 \\(adaptive\\)"):
        core.read_model(model.SerializeToString(), b"")


def test_nodes_without_a_body_are_named_with_the_reason():
    node = builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", name="rotated_head")
    model = builders.make_model([node], [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)], [vi("Y")])
    report = FunctionReport()
    out = attach_functions(model, report=report)
    assert not out.functions and not report.attached
    assert report.without == ["RoIAlignRotated node 'rotated_head': sampling_ratio 0 (adaptive): the number of "
                              "samples per bin depends on the RoI, which no fixed-size standard-op grid expresses"]
    node = builders.make_roi_align_node("X", "rois", "bi", "Y", mode="max", name="true_max")
    report = FunctionReport()
    attach_functions(builders.make_model([node], [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)], [vi("Y")]),
                     report=report)
    assert report.without == ["RoIAlign node 'true_max': mode 'max' with sampling_ratio 0 (adaptive): the number of "
                              "samples per bin depends on the RoI, which no fixed-size standard-op grid expresses"]


def test_one_body_per_distinct_form():
    nodes = [builders.make_roi_align_node("X", "rois", "bi", f"Y{i}", output_height=oh, output_width=2)
             for i, oh in enumerate([2, 2, 3])]
    model = builders.make_model(nodes, [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)],
                                [vi(f"Y{i}") for i in range(3)])
    report = FunctionReport()
    with pytest.warns(UserWarning, match="2 RoIAlign bodies, told apart by their overload: onnxruntime before 1.27"):
        out = attach_functions(model, report=report)
    assert len(out.functions) == 2 and len(report.warnings) == 1
    assert out.graph.node[0].overload == out.graph.node[1].overload != out.graph.node[2].overload


def test_bodies_told_apart_by_overload_each_compute_their_node(onnxruntime_runs_overloads):
    """Two RoIAlign nodes alike but for spatial_scale: onnxruntime 1.21-1.26 ran one body for both
    (0.27 off, no error), hence the warning; 1.27 on runs each its own, as inlining does. Before
    1.27 the inlined form is what the warning offers, so only it runs there."""
    size = dict(output_height=2, output_width=2)
    nodes = [builders.make_roi_align_node("X", "rois", "bi", f"Y{i}", spatial_scale=s, sampling_ratio=2, **size)
             for i, s in enumerate([0.5, 0.25])]
    model = builders.make_model(nodes, [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)], [vi("Y0"), vi("Y1")])
    feeds = {"X": X, "rois": BOXES, "bi": BI}
    want = [reference.roi_align(X, BOXES, BI, spatial_scale=s, sampling_ratio=2, **size) for s in (0.5, 0.25)]
    with pytest.warns(UserWarning, match="2 RoIAlign bodies"):
        with_bodies = attach_functions(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inlining resolves the overloads: no warning
        inlined = inline_functions(model)
    for m in (with_bodies, inlined) if onnxruntime_runs_overloads else (inlined,):
        for got, w in zip(plain_session(m).run(None, feeds), want):
            np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-5)


def _detector_feeds():
    sys.path.insert(0, os.path.join(HERE, ".."))
    from roi_ops.bench.cases import detector_cases

    case = next(detector_cases(os.path.join(HERE, "..", "models")))
    return case.model, case.feeds


def test_demo_detector_with_bodies_gives_the_librarys_detections_without_it():
    model, feeds = _detector_feeds()
    with_bodies = attach_functions(model)
    want = roi_ops.make_session(model).run(None, feeds)
    got = plain_session(with_bodies).run(None, feeds)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)
    inlined = onnx.inliner.inline_local_functions(with_bodies)
    for model_bytes, extensions in ((inlined.SerializeToString(), False), (with_bodies.SerializeToString(), True)):
        for got_ov, w in zip(openvino_run(model_bytes, feeds, roi_ops_extensions=extensions), want):
            np.testing.assert_allclose(got_ov, w, rtol=1e-3, atol=1e-3)


def _convert(tmp_path, model, *args):
    """`roi-ops convert` of `model` into tmp_path/out.onnx."""
    onnx.save(model, tmp_path / "m.onnx")
    return subprocess.run([sys.executable, "-m", "roi_ops.cli", "convert", str(tmp_path / "m.onnx"), "-o",
                           str(tmp_path / "out.onnx"), *args], capture_output=True, text=True)


def test_cli_convert_with_functions(tmp_path):
    model, feeds, want, _ = CASES["MultiScaleRoIAlign"]()
    r = _convert(tmp_path, model, "--with-functions")
    assert r.returncode == 0, r.stderr
    assert "attached 1 function body(ies); 0 roi_ops node(s) without one" in r.stdout
    np.testing.assert_allclose(plain_session(onnx.load(tmp_path / "out.onnx")).run(None, feeds)[0], want, rtol=1e-5,
                               atol=1e-5)
    assert not glob.glob(str(tmp_path / "*.json"))
    # Again on its output: the body is there already, and it says so rather than "attached 0".
    again = _convert(tmp_path, onnx.load(tmp_path / "out.onnx"), "--with-functions")
    assert again.returncode == 0, again.stderr
    assert "attached 0 function body(ies) (1 more the model already had); 0 roi_ops node(s)" in again.stdout
    assert "  body already there: MultiScaleRoIAlign (" in again.stdout
    assert len(onnx.load(tmp_path / "out.onnx").functions) == 1


def test_cli_convert_to_standard_with_functions_inlines_the_bodies(tmp_path):
    """--to standard refuses a form no single standard op computes and points to
    --with-functions, which writes every roi_ops node as its body: standard ops only, the
    reference's numbers in onnxruntime without the library and in onnx.reference."""
    model, feeds, want, _ = CASES["RoIAlignRotated, opset 17"]()
    r = _convert(tmp_path, model, "--to", "standard")
    assert r.returncode == 1 and "RoIAlignRotated has no equivalent" in r.stderr and "--with-functions" in r.stderr
    assert r.stderr.strip().count("\n") == 0, r.stderr
    r = _convert(tmp_path, model, "--to", "standard", "--with-functions")
    assert r.returncode == 0 and "converted 1 roi_ops node(s) to standard ops" in r.stdout, r.stderr
    out = onnx.load(tmp_path / "out.onnx")
    assert not out.functions and all(n.domain == "" for n in out.graph.node)
    assert [o.domain for o in out.opset_import] == [""]
    np.testing.assert_allclose(plain_session(out).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ReferenceEvaluator(out).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)


def test_cli_convert_to_standard_with_functions_names_a_node_without_a_body(tmp_path):
    node = builders.make_roi_align_node("X", "rois", "bi", "Y", mode="max", name="true_max")
    model = builders.make_model([node], [vi("X"), vi("rois"), vi("bi", TensorProto.INT64)], [vi("Y")])
    r = _convert(tmp_path, model, "--to", "standard", "--with-functions")
    assert r.returncode == 1 and not (tmp_path / "out.onnx").exists()
    assert r.stderr.strip() == ("roi-ops: error: no standard-op body for RoIAlign node 'true_max': mode 'max' with "
                                "sampling_ratio 0 (adaptive): the number of samples per bin depends on the RoI, "
                                "which no fixed-size standard-op grid expresses"), r.stderr


def test_torch_export_with_functions_runs_without_the_library():
    torch = pytest.importorskip("torch", reason="needs torch (pip install 'roi-ops[test]')")
    import roi_ops.torch as rt

    class Head(torch.nn.Module):
        def forward(self, x, rois):
            return rt.roi_align(x, rois, output_height=3, output_width=3, spatial_scale=0.25, sampling_ratio=2)

    x, rois = torch.from_numpy(X), torch.from_numpy(ROIS5)
    model = rt.export(Head().eval(), (x, rois), with_functions=True)
    assert [f.name for f in model.functions] == ["RoIAlign"]
    feeds = {i.name: a.numpy() for i, a in zip(model.graph.input, (x, rois))}
    want = reference.roi_align(X, ROIS5, output_height=3, output_width=3, spatial_scale=0.25, sampling_ratio=2)
    np.testing.assert_allclose(plain_session(model).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)


def test_openvino_frontend_without_openvino_names_the_extra(monkeypatch):
    from roi_ops.openvino_frontend import conversion_extensions

    monkeypatch.setitem(sys.modules, "openvino", None)  # what a missing package looks like to import
    with pytest.raises(ImportError, match=r"pip install 'roi-ops\[openvino\]'"):
        conversion_extensions()
