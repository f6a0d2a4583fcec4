"""Graph tooling: schemas and shape inference, model surgery, converters between standard ONNX
ops and roi_ops (numbers unchanged), the ReferenceEvaluator backend and the command line."""
from __future__ import annotations

import os
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as T
from onnx import helper

import roi_ops
from roi_ops import builders, convert, graph, reference
from roi_ops.attributes import defaults
from roi_ops.evaluator import make_evaluator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host"))
import make_case  # noqa: E402

F = T.FLOAT


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def plain_session(model):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


# --- schemas -----------------------------------------------------------------------------------

def every_op_symbolic_model():
    nodes = [
        builders.make_roi_align_node("X", "rois", "bi", "Y0", output_height=7, output_width=5),
        builders.make_roi_pool_node("X", "rois5", None, "Y1", output_height=2, output_width=3),
        builders.make_ps_roi_align_node("X", "rois", "bi", "Y2", output_height=2, output_width=2),
        builders.make_ps_roi_pool_node("X", "rois5", None, "Y3", output_height=2, output_width=2),
        builders.make_roi_align_rotated_node("X", "rot", "bi", "Y4", output_height=3, output_width=3),
        builders.make_multi_scale_roi_align_node("rois5", None, ["X", "X2"], "Y5", spatial_scales=[0.25, 0.125],
                                                 output_height=4, output_width=4),
        builders.make_crop_and_resize_node("X", "boxes", "ci", "Y6", crop_height=6, crop_width=8),
    ]
    inputs = [vi("X", F, ["N", 8, "H", "W"]), vi("X2", F, ["N", 8, "H2", "W2"]), vi("rois", F, ["K", 4]),
              vi("bi", T.INT64, ["K"]), vi("rois5", F, ["K", 5]), vi("rot", F, ["K", 5]), vi("boxes", F, ["B", 4]),
              vi("ci", T.INT32, ["B"])]
    outputs = [vi(f"Y{i}", F, [None] * 4) for i in range(7)]
    return builders.make_model(nodes, inputs, outputs)


def test_checker_and_shape_inference_know_every_op():
    model = every_op_symbolic_model()
    graph.check(model)
    inferred = graph.infer_shapes(model)
    shapes = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in inferred.graph.output}
    assert shapes == {"Y0": ["K", 8, 7, 5], "Y1": ["K", 8, 2, 3], "Y2": ["K", 2, 2, 2], "Y3": ["K", 2, 2, 2],
                      "Y4": ["K", 8, 3, 3], "Y5": ["K", 8, 4, 4], "Y6": ["B", 8, 6, 8]}
    assert all(o.type.tensor_type.elem_type == F for o in inferred.graph.output)


def test_checker_rejects_wrong_types():
    node = builders.make_roi_align_node("X", "rois", "bi", "Y")
    model = builders.make_model([node], [vi("X", T.INT32, ["N", 3, 4, 4]), vi("rois", F, ["K", 4]),
                                         vi("bi", T.INT64, ["K"])], [vi("Y", T.INT32, [None] * 4)])
    with pytest.raises((onnx.checker.ValidationError, onnx.shape_inference.InferenceError), match="RoIAlign"):
        graph.check(model)


def test_check_of_a_model_past_2_gb_says_how_to_load_it(monkeypatch):
    # onnx's checker refuses protos past 2 GiB with "call check_model with model path instead",
    # which a converter's caller cannot do; the limit is lowered here rather than a 2 GB model made.
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"])
    model = standard_model(node, 16)
    graph.check(model, allow_shapeless_io=True)
    monkeypatch.setattr(onnx.checker, "MAXIMUM_PROTOBUF", model.ByteSize() - 1)
    with pytest.raises(ValueError, match=r"past protobuf's 2 GiB: load it with onnx.load\(path, "
                                         r"load_external_data=False\)"):
        convert.to_roi_ops(model)


# --- surgery -----------------------------------------------------------------------------------

def backbone():
    nodes = [helper.make_node("Relu", ["image"], ["features"], name="relu"),
             helper.make_node("ReduceMean", ["features"], ["pooled"], name="mean", axes=[2, 3], keepdims=0)]
    g = helper.make_graph(nodes, "backbone", [vi("image", F, ["N", 6, 16, 16])], [vi("pooled", F, ["N", 6])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def test_insert_node_between_tensors_keeps_the_model_valid():
    node = builders.make_roi_align_node("features", "rois", None, "roi_features", output_height=2, output_width=2,
                                        spatial_scale=0.5, name="roi_align")
    model = graph.insert_node(backbone(), node, rewire={"features": "roi_features"},
                              new_inputs=[vi("rois", F, ["K", 5])])
    graph.check(model)
    assert [n.name for n in model.graph.node] == ["relu", "roi_align", "mean"]
    assert any(i.domain == roi_ops.DOMAIN for i in model.opset_import)
    infos = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.value_info}
    assert infos["roi_features"] == ["K", 6, 2, 2]
    image = np.random.default_rng(0).standard_normal((2, 6, 16, 16)).astype(np.float32)
    rois = np.array([[0, 0, 0, 15, 15], [1, 4, 4, 20, 30]], np.float32)
    got = roi_ops.make_session(model).run(None, {"image": image, "rois": rois})[0]
    want = reference.roi_align(np.maximum(image, 0), rois, output_height=2, output_width=2,
                               spatial_scale=0.5).mean(axis=(2, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_insert_node_refuses_unknown_inputs_and_existing_outputs():
    node = builders.make_roi_pool_node("features", "missing_rois", None, "out")
    with pytest.raises(ValueError, match="reads \\['missing_rois'\\]"):
        graph.insert_node(backbone(), node)
    node = builders.make_roi_pool_node("features", "image", None, "pooled")
    with pytest.raises(ValueError, match="writes \\['pooled'\\]"):
        graph.insert_node(backbone(), node)


def test_replace_node():
    model = graph.insert_node(backbone(), builders.make_roi_align_node("features", "rois", None, "roi_features",
                                                                       name="roi"),
                              rewire={"features": "roi_features"}, new_inputs=[vi("rois", F, ["K", 5])])
    pool = builders.make_roi_pool_node("features", "rois", None, "roi_features", name="roi")
    swapped = graph.replace_node(model, "roi", [pool])
    graph.check(swapped)
    assert [n.op_type for n in swapped.graph.node] == ["Relu", "RoIPool", "ReduceMean"]
    with pytest.raises(ValueError, match="no node named 'nope'"):
        graph.replace_node(model, "nope", [pool])


# --- converters --------------------------------------------------------------------------------

RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 5, 12, 14)).astype(np.float32)
BOXES = RNG.uniform(0, 30, (7, 4)).astype(np.float32)
BOXES[:, 2:] += BOXES[:, :2]
BI = RNG.integers(0, 2, 7)
ROIS5 = np.concatenate([BI[:, None].astype(np.float32), BOXES], 1)


def standard_model(node, opset, with_bi=True, rois_cols=4):
    inputs = [vi("X", F, ["N", 5, "H", "W"]), vi("rois", F, ["K", rois_cols])] + ([vi("bi", T.INT64, ["K"])] if with_bi
                                                                                    else [])
    g = helper.make_graph([node], "g", inputs, [vi("Y", F, [None] * 4)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


ROI_ALIGN_CASES = [(10, None, "avg"), (10, None, "max"), (16, None, "avg"), (16, "half_pixel", "avg"),
                   (16, "output_half_pixel", "avg"), (16, "half_pixel", "max"), (16, "output_half_pixel", "max")]


@pytest.mark.parametrize("opset,ctm,mode", ROI_ALIGN_CASES)
def test_roi_align_to_roi_ops_keeps_onnxruntimes_numbers(opset, ctm, mode):
    attrs = dict(mode=mode, output_height=3, output_width=4, sampling_ratio=2, spatial_scale=0.25)
    if ctm:
        attrs["coordinate_transformation_mode"] = ctm
    model = standard_model(helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], name="ra", **attrs), opset)
    feeds = {"X": X, "rois": BOXES, "bi": BI}
    want = plain_session(model).run(None, feeds)[0]
    converted = convert.to_roi_ops(model)
    node = converted.graph.node[0]
    assert (node.domain, node.op_type, node.name) == (roi_ops.DOMAIN, "RoIAlign", "ra")
    got = roi_ops.make_session(converted).run(None, feeds)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    back = convert.to_standard(converted)  # and back: standard ops only, same numbers
    assert [n.op_type for n in back.graph.node] == ["RoiAlign"]
    assert not graph.uses_domain(back)
    np.testing.assert_array_equal(plain_session(back).run(None, feeds)[0], want)


def test_max_roi_pool_to_roi_ops_and_back_is_exact():
    node = helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=[3, 2], spatial_scale=0.5)
    model = standard_model(node, 1, with_bi=False, rois_cols=5)
    want = plain_session(model).run(None, {"X": X, "rois": ROIS5})[0]
    converted = convert.to_roi_ops(model)
    np.testing.assert_array_equal(roi_ops.make_session(converted).run(None, {"X": X, "rois": ROIS5})[0], want)
    np.testing.assert_array_equal(plain_session(convert.to_standard(converted)).run(None, {"X": X, "rois": ROIS5})[0],
                                  want)


@pytest.mark.parametrize("op", ["RoiAlign", "MaxRoiPool"])
def test_opset_22_models_run_only_after_conversion(op):
    if op == "RoiAlign":
        node = helper.make_node(op, ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2, sampling_ratio=2,
                                coordinate_transformation_mode="output_half_pixel")
        model, feeds = standard_model(node, 22), {"X": X, "rois": BOXES, "bi": BI}
        want = reference.roi_align(X, BOXES, BI, output_height=2, output_width=2, sampling_ratio=2)
    else:
        node = helper.make_node(op, ["X", "rois"], ["Y"], pooled_shape=[2, 2])
        model, feeds = standard_model(node, 22, with_bi=False, rois_cols=5), {"X": X, "rois": ROIS5}
        want = reference.roi_pool(X, ROIS5, output_height=2, output_width=2)
    with pytest.raises(Exception):  # onnxruntime 1.32's CPU provider has no opset-22 kernel
        plain_session(model).run(None, feeds)
    got = roi_ops.make_session(convert.to_roi_ops(model)).run(None, feeds)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["RoiAlign", "MaxRoiPool"])
def test_opset_22_bfloat16_poolers_are_refused_by_name(op):
    # Opset 22 admits bfloat16 maps; roi_ops has no bfloat16 kernel (was an InferenceError traceback).
    node = helper.make_node(op, ["X", "rois", "bi"][:3 if op == "RoiAlign" else 2], ["Y"], name="p",
                            **({"pooled_shape": [2, 2]} if op == "MaxRoiPool" else {}))
    model = standard_model(node, 22, with_bi=op == "RoiAlign", rois_cols=4 if op == "RoiAlign" else 5)
    for v in (*model.graph.input[:2], *model.graph.output):
        v.type.tensor_type.elem_type = T.BFLOAT16
    with pytest.raises(convert.ConversionError, match=f"{op} node 'p': its input 'X' is bfloat16; roi_ops takes "
                                                      "float16, float, double"):
        convert.to_roi_ops(model)


@pytest.mark.parametrize("direction", ["to_roi_ops", "to_standard", "inline_functions", "attach_functions"])
def test_a_model_that_fails_the_check_itself_is_named_so(direction):
    # rois float32 beside float16 maps: the schemas of both domains refuse it, and so would
    # onnxruntime; the conversions carried it over and raised onnx's InferenceError traceback.
    from roi_ops import functions

    if direction == "to_roi_ops":
        node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2)
        model = standard_model(node, 16)
    else:
        model = roi_ops_model(builders.make_roi_align_node("X", "rois", "bi", "Y"),
                              [vi("X", F, ["N", 5, "H", "W"]), vi("rois", F, ["K", 4]), vi("bi", T.INT64, ["K"])])
    model.graph.input[0].type.tensor_type.elem_type = T.FLOAT16
    convert_fn = getattr(convert, direction, None) or getattr(functions, direction)
    with pytest.raises(graph.InvalidModel, match=r"the model fails onnx's check before any change: .*rois has "
                                                 r"inconsistent type tensor\(float\)"):
        convert_fn(model)


@pytest.mark.parametrize("direction", ["to_roi_ops", "to_standard", "inline_functions", "attach_functions"])
@pytest.mark.parametrize("given, hint", [("models/faster_rcnn_fpn.onnx", " (read it with onnx.load(path))"),
                                         (b"\x08\x07", " (parse it with onnx.load_model_from_string)"),
                                         (None, "")])
def test_conversions_name_an_argument_that_is_not_a_model(direction, given, hint):
    # a path was an AttributeError ("'str' object has no attribute 'opset_import'")
    from roi_ops import functions

    convert_fn = getattr(convert, direction, None) or getattr(functions, direction)
    with pytest.raises(TypeError, match=re.escape(f"{direction} takes an onnx.ModelProto, not "
                                                  f"{type(given).__name__}{hint}")):
        convert_fn(given)


def test_make_session_names_an_argument_that_is_not_a_model(tmp_path):
    # onnx.load read an int as a file descriptor: "[Errno 9] Bad file descriptor"
    with pytest.raises(TypeError, match="make_session takes an onnx.ModelProto, bytes or a path, not int"):
        roi_ops.make_session(0)
    # these parse as a bare ModelProto; onnxruntime said "No graph was found in the protobuf"
    (tmp_path / "empty.onnx").write_bytes(b"")
    for given in (b"", str(tmp_path / "empty.onnx"), onnx.ModelProto()):
        with pytest.raises(ValueError, match=re.escape("make_session: the model has no graph (empty, or not an "
                                                       "ONNX model)")):
            roi_ops.make_session(given)


def test_fix_onnx_max_warns_and_computes_the_true_max():
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode="max", output_height=2, output_width=2,
                            sampling_ratio=2)
    with pytest.warns(UserWarning, match="the numbers change"):
        fixed = convert.to_roi_ops(standard_model(node, 16), fix_onnx_max=True)
    assert helper.get_attribute_value(next(a for a in fixed.graph.node[0].attribute if a.name == "mode")) == b"max"
    got = roi_ops.make_session(fixed).run(None, {"X": X, "rois": BOXES, "bi": BI})[0]
    want = reference.roi_align(X, BOXES, BI, output_height=2, output_width=2, sampling_ratio=2, mode="max",
                               aligned=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def roi_ops_model(node, inputs):
    return builders.make_model([node], inputs, [vi("Y", F, [None] * 4)], opset=17)


@pytest.mark.parametrize("layout", [4, 5])
@pytest.mark.parametrize("op,attrs", [
    ("RoIAlign", dict(mode="avg", aligned=1, sampling_ratio=2)), ("RoIAlign", dict(mode="onnx_max", aligned=0)),
    ("RoIPool", {}), ("PSRoIAlign", dict(sampling_ratio=2)),
])
def test_roi_ops_to_standard_keeps_the_plugins_numbers(op, attrs, layout):
    make = {"RoIAlign": builders.make_roi_align_node, "RoIPool": builders.make_roi_pool_node,
            "PSRoIAlign": builders.make_ps_roi_align_node}[op]
    x = np.random.default_rng(3).standard_normal((2, 20, 12, 14)).astype(np.float32)
    if layout == 4:
        node = make("X", "rois", "bi", "Y", output_height=2, output_width=2, spatial_scale=0.25, **attrs)
        model = roi_ops_model(node, [vi("X", F, ["N", 20, "H", "W"]), vi("rois", F, ["K", 4]), vi("bi", T.INT64, ["K"])])
        feeds = {"X": x, "rois": BOXES, "bi": BI}
    else:
        node = make("X", "rois", None, "Y", output_height=2, output_width=2, spatial_scale=0.25, **attrs)
        model = roi_ops_model(node, [vi("X", F, ["N", 20, "H", "W"]), vi("rois", F, ["K", 5])])
        feeds = {"X": x, "rois": ROIS5}
    want = roi_ops.make_session(model).run(None, feeds)[0]
    standard = convert.to_standard(model)
    assert not graph.uses_domain(standard)
    np.testing.assert_allclose(plain_session(standard).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", [4, 5])
@pytest.mark.parametrize("op,attrs", [("RoIAlign", dict(mode="avg", aligned=1, sampling_ratio=2)),
                                      ("RoIAlign", dict(mode="onnx_max")), ("RoIPool", {}),
                                      ("PSRoIAlign", dict(sampling_ratio=2))])
def test_to_standard_and_back_gives_the_same_single_node(op, attrs, layout):
    # [K,5] RoIs went through the standard form split into boxes and batch indices; they come back
    # whole, and the split's nodes go. PSRoIAlign's form (RoiAlign of every channel at every bin,
    # then each bin's own channels picked) becomes one PSRoIAlign again, under its own name.
    make = {"RoIAlign": builders.make_roi_align_node, "RoIPool": builders.make_roi_pool_node,
            "PSRoIAlign": builders.make_ps_roi_align_node}[op]
    x = np.random.default_rng(3).standard_normal((2, 20, 12, 14)).astype(np.float32)
    bi = "bi" if layout == 4 else None
    node = make("X", "rois", bi, "Y", name="head", output_height=2, output_width=2, spatial_scale=0.25, **attrs)
    model = roi_ops_model(node, [vi("X", F, ["N", 20, "H", "W"]), vi("rois", F, ["K", layout])]
                          + ([vi("bi", T.INT64, ["K"])] if bi else []))
    feeds = {"X": x, "rois": BOXES, "bi": BI} if bi else {"X": x, "rois": ROIS5}
    back = convert.to_roi_ops(convert.to_standard(model))
    assert _named_ops(back) == _named_ops(model)
    assert _attributes(back.graph.node[0]) == _attributes(node)
    if op == "PSRoIAlign":  # --no-fuse keeps the form: a RoIAlign of every channel and the picking
        kept = convert.to_roi_ops(convert.to_standard(model), fuse=False)
        assert [n.op_type for n in kept.graph.node if n.domain == "roi_ops"] == ["RoIAlign"]
    np.testing.assert_array_equal(roi_ops.make_session(back).run(None, feeds)[0],
                                  roi_ops.make_session(model).run(None, feeds)[0])


def test_a_model_of_roi_ops_nodes_only_converts_both_ways_and_gets_bodies():
    # It imports no standard opset, which onnx's checker and onnxruntime take; to_roi_ops,
    # to_standard and `convert --with-functions` raised "the model imports no opset of domain 'ai.onnx'".
    from roi_ops.functions import attach_functions

    node = builders.make_roi_align_node("X", "rois", None, "Y", name="head", output_height=2, output_width=2,
                                        spatial_scale=0.25, sampling_ratio=2)
    x = np.random.default_rng(5).standard_normal((2, 3, 12, 14)).astype(np.float32)
    model = helper.make_model(helper.make_graph([node], "g", [vi("X", F, [2, 3, 12, 14]), vi("rois", F, [7, 5])],
                                                [vi("Y", F, [7, 3, 2, 2])]),
                              opset_imports=[helper.make_opsetid("roi_ops", 1)])
    onnx.checker.check_model(model)
    feeds = {"X": x, "rois": ROIS5}
    want = roi_ops.make_session(model).run(None, feeds)[0]
    same = convert.to_roi_ops(model)
    assert same.graph.node == model.graph.node and [i.domain for i in same.opset_import] == ["roi_ops"]
    standard = convert.to_standard(model)
    assert [(i.domain, i.version) for i in standard.opset_import] == [("", graph.DEFAULT_OPSET)]
    np.testing.assert_allclose(plain_session(standard).run(None, feeds)[0], want, rtol=1e-5, atol=1e-6)
    with_bodies = attach_functions(convert.to_roi_ops(model))
    assert len(with_bodies.functions) == 1
    np.testing.assert_array_equal(roi_ops.make_session(with_bodies).run(None, feeds)[0], want)


@pytest.mark.parametrize("width", [5, None])
def test_roi_align_fed_columns_of_one_rois_tensor_reads_it_whole_when_it_has_five(width):
    # torchvision's roi_align symbolic: boxes = Gather(rois, [1, 2, 3, 4], axis 1), batch indices =
    # Cast(Squeeze(Gather(rois, [0], axis 1))). Joined only where rois is known to be [K,5]: with
    # more columns, 1-4 are not all of them.
    nodes = [helper.make_node("Constant", [], ["c0"], value=helper.make_tensor("c0", T.INT64, [1], [0])),
             helper.make_node("Gather", ["rois", "c0"], ["g0"], axis=1),
             helper.make_node("Constant", [], ["c1"], value=helper.make_tensor("c1", T.INT64, [1], [1])),
             helper.make_node("Squeeze", ["g0", "c1"], ["s0"]),
             helper.make_node("Cast", ["s0"], ["bi"], to=T.INT64),
             helper.make_node("Constant", [], ["c4"], value=helper.make_tensor("c4", T.INT64, [4], [1, 2, 3, 4])),
             helper.make_node("Gather", ["rois", "c4"], ["boxes"], axis=1),
             helper.make_node("RoiAlign", ["X", "boxes", "bi"], ["Y"], output_height=2, output_width=2)]
    g = helper.make_graph(nodes, "g", [vi("X", F, ["N", 5, "H", "W"]), vi("rois", F, ["K", width])],
                          [vi("Y", F, [None] * 4)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)], ir_version=10)
    out = convert.to_roi_ops(model)
    (node,) = [n for n in out.graph.node if n.domain == "roi_ops"]
    if width == 5:
        assert list(node.input) == ["X", "rois"] and len(out.graph.node) == 1
    else:
        assert list(node.input) == ["X", "boxes", "bi"] and len(out.graph.node) == len(nodes)
    feeds = {"X": X, "rois": ROIS5}
    np.testing.assert_allclose(roi_ops.make_session(out).run(None, feeds)[0], plain_session(model).run(None, feeds)[0],
                               rtol=1e-5, atol=1e-6)


def test_a_roi_ops_node_fed_by_an_opset_9_slice_is_left_as_it_is():
    # Slice before opset 10 takes starts and ends as attributes; the layout check must not index
    # its inputs (it raised IndexError)
    nodes = [helper.make_node("Slice", ["rois"], ["boxes"], starts=[1], ends=[5], axes=[1]),
             helper.make_node("Slice", ["rois"], ["c0"], starts=[0], ends=[1], axes=[1]),
             helper.make_node("Squeeze", ["c0"], ["s0"], axes=[1]),
             helper.make_node("Cast", ["s0"], ["bi"], to=T.INT64),
             builders.make_roi_align_node("X", "boxes", "bi", "Y", output_height=2, output_width=2)]
    g = helper.make_graph(nodes, "g", [vi("X", F, ["N", 5, "H", "W"]), vi("rois", F, ["K", 5])],
                          [vi("Y", F, [None] * 4)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9), helper.make_opsetid("roi_ops", 1)],
                              ir_version=8)
    out = convert.to_roi_ops(model)
    assert [(n.op_type, list(n.input)) for n in out.graph.node] == [(n.op_type, list(n.input)) for n in nodes]
    feeds = {"X": X, "rois": ROIS5}
    np.testing.assert_array_equal(roi_ops.make_session(out).run(None, feeds)[0],
                                  roi_ops.make_session(model).run(None, feeds)[0])


@pytest.mark.parametrize("with_bi,extra", [
    (True, {}), (False, {}), (True, {"mode": "onnx_max", "roi_scale_factor": 1.5}),
    (False, {"spatial_scales": [0.25, 0.0625, 0.03125], "roi_scale_factor": 0.75})])
def test_multi_scale_roi_align_to_standard(with_bi, extra):
    rng = np.random.default_rng(5)
    scales = extra.get("spatial_scales", [0.25, 0.125, 0.0625])
    maps = {f"X_{i}": rng.standard_normal((2, 4, int(256 * s), int(256 * s))).astype(np.float32)
            for i, s in enumerate(scales)}
    boxes = rng.uniform(0, 200, (30, 4)).astype(np.float32)
    boxes[:, 2:] += boxes[:, :2] / 2
    node = builders.make_multi_scale_roi_align_node("rois", "bi" if with_bi else None, list(maps), "Y", name="pooler",
                                                    **{"spatial_scales": scales, **extra}, output_height=3,
                                                    output_width=3, sampling_ratio=2, canonical_scale=64)
    inputs = [vi("rois", F, ["K", 4 if with_bi else 5])] + ([vi("bi", T.INT64, ["K"])] if with_bi else [])
    inputs += [vi(k, F, ["N", 4, f"h{k}", f"w{k}"]) for k in maps]
    model = roi_ops_model(node, inputs)
    feeds = {"rois": boxes if with_bi else np.concatenate([BI[:1].repeat(30)[:, None].astype(np.float32), boxes], 1),
             **maps}
    if with_bi:
        feeds["bi"] = np.zeros(30, np.int64)
    want = roi_ops.make_session(model).run(None, feeds)[0]
    got = plain_session(convert.to_standard(model)).run(None, feeds)[0]
    # The standard graph rescales boxes in float32, the library in double: coordinates differ by
    # float32 rounding, which moves a sample by ~1e-5 of a cell.
    tol = 5e-5 if "roi_scale_factor" in extra else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _pyramid_case(with_bi, dtype, scales, **attrs):
    """A MultiScaleRoIAlign model over maps of `scales` and feeds with boxes of every level, one
    of zero area and one of negative area."""
    rng = np.random.default_rng(7)
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    maps = {f"X_{i}": rng.standard_normal((2, 3, int(512 * s), int(512 * s))).astype(dtype)
            for i, s in enumerate(scales)}
    xy = rng.uniform(0, 300, (40, 2))
    boxes = np.concatenate([xy, xy + np.exp(rng.uniform(np.log(4), np.log(480), (40, 2)))], 1)
    boxes = np.concatenate([boxes, [[10, 10, 10, 30], [50, 50, 20, 20]]]).astype(dtype)
    bi = rng.integers(0, 2, len(boxes))
    node = builders.make_multi_scale_roi_align_node("rois", "bi" if with_bi else None, list(maps), "Y", name="pooler",
                                                    spatial_scales=scales, output_height=3, output_width=2, **attrs)
    inputs = [vi("rois", elem, ["K", 4 if with_bi else 5])] + ([vi("bi", T.INT64, ["K"])] if with_bi else [])
    model = builders.make_model([node], inputs + [vi(k, elem, ["N", 3, None, None]) for k in maps],
                                [vi("Y", elem, [None] * 4)], opset=17)
    feeds = {"rois": boxes if with_bi else np.concatenate([bi[:, None].astype(dtype), boxes], 1), **maps}
    if with_bi:
        feeds["bi"] = bi
    return model, feeds


def _named_ops(model):
    return [(n.op_type, n.name, list(n.input)) for n in model.graph.node]


def _attributes(node):
    return {**defaults(node.op_type), **{a.name: helper.get_attribute_value(a) for a in node.attribute}}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_bi,attrs", [
    (True, {}), (False, {}), (True, dict(aligned=1, eps=1e-8, eps_in_log=1, sampling_ratio=0, roi_scale_factor=1.1)),
    (False, dict(mode="onnx_max", canonical_scale=56, canonical_level=2, eps=0.0, sampling_ratio=3,
                 roi_scale_factor=0.75))])
def test_to_standard_and_back_gives_the_same_node(with_bi, attrs, dtype):
    """convert --to standard, then convert: the per-level nodes fuse back into the node they came
    from (they were converted one RoiAlign at a time) and compute its numbers exactly."""
    model, feeds = _pyramid_case(with_bi, dtype, [0.25, 0.125, 0.0625, 0.03125], **attrs)
    report = convert.ConversionReport()
    back = convert.to_roi_ops(convert.to_standard(model), report=report)
    assert len(report.fused) == 1 and "roi_ops standard form, 4 levels" in report.fused[0], report
    assert not report.converted and not report.not_fused
    # the same name and inputs ([K,5] RoIs as they came, not the standard form's split of them), nothing else left
    assert _named_ops(back) == _named_ops(model)
    assert _attributes(back.graph.node[0]) == _attributes(model.graph.node[0])
    np.testing.assert_array_equal(roi_ops.make_session(back).run(None, feeds)[0],
                                  roi_ops.make_session(model).run(None, feeds)[0])


def test_to_standard_and_back_over_skipped_levels_gives_the_same_node():
    # scales [1/4, 1/16]: the level between them has no map (zeros); it was left unfused
    model, feeds = _pyramid_case(True, np.float32, [0.25, 0.0625])
    report = convert.ConversionReport()
    back = convert.to_roi_ops(convert.to_standard(model), report=report)
    assert len(report.fused) == 1 and not report.converted and not report.not_fused, report
    (node,) = [n for n in back.graph.node if n.domain == "roi_ops"]
    assert _attributes(node) == _attributes(model.graph.node[0])
    want = roi_ops.make_session(model).run(None, feeds)[0]
    np.testing.assert_array_equal(roi_ops.make_session(back).run(None, feeds)[0], want)
    assert (np.abs(want).reshape(len(want), -1).max(1) == 0).any()  # RoIs of the level without a map


@pytest.mark.parametrize("node,needle", [
    (builders.make_roi_align_node("X", "rois", "bi", "Y", mode="max", name="head"),
     "RoIAlign node 'head': mode 'max' (the max of bilinear samples) has no standard equivalent"),
    (builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", name="rot"),
     "RoIAlignRotated node 'rot': RoIAlignRotated has no equivalent in standard ONNX ops"),
    (builders.make_ps_roi_pool_node("X", "rois", "bi", "Y"), "PSRoIPool node (unnamed): PSRoIPool has no equivalent"),
    (builders.make_multi_scale_roi_align_node("rois", "bi", ["X"], "Y", spatial_scales=[0.25], mode="max", name="m"),
     "MultiScaleRoIAlign node 'm': mode 'max' (the max of bilinear samples) has no standard equivalent"),
    (builders.make_crop_and_resize_node("X", "rois", "bi", "Y", crop_height=2, crop_width=2, name="crop"),
     "CropAndResize node 'crop'"),
])
def test_to_standard_names_the_node_it_cannot_convert(node, needle):
    model = roi_ops_model(node, [vi("X", F, ["N", 4, "H", "W"]), vi("rois", F, ["K", 5 if "Rotated" in node.op_type
                                                                                 else 4]), vi("bi", T.INT64, ["K"])])
    with pytest.raises(convert.ConversionError, match=needle.replace("(", "\\(").replace(")", "\\)")):
        convert.to_standard(model)


def test_converters_recurse_into_subgraphs():
    inner = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Yb"], output_height=2, output_width=2,
                             coordinate_transformation_mode="output_half_pixel")
    then_g = helper.make_graph([inner], "then", [], [vi("Yb", F, [None] * 4)])
    else_g = helper.make_graph([helper.make_node("Identity", ["Z"], ["Ye"])], "else", [], [vi("Ye", F, [None] * 4)])
    node = helper.make_node("If", ["cond"], ["Y"], then_branch=then_g, else_branch=else_g)
    g = helper.make_graph([node], "g", [vi("cond", T.BOOL, []), vi("X", F, ["N", 5, "H", "W"]), vi("rois", F, ["K", 4]),
                                        vi("bi", T.INT64, ["K"]), vi("Z", F, ["K", 5, 2, 2])], [vi("Y", F, [None] * 4)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)], ir_version=10)
    converted = convert.to_roi_ops(model)
    assert graph.uses_domain(converted)
    feeds = {"cond": np.array(True), "X": X, "rois": BOXES, "bi": BI, "Z": np.zeros((7, 5, 2, 2), np.float32)}
    np.testing.assert_allclose(roi_ops.make_session(converted).run(None, feeds)[0],
                               plain_session(model).run(None, feeds)[0], rtol=1e-5, atol=1e-5)
    assert not graph.uses_domain(convert.to_standard(converted))


# --- ReferenceEvaluator ------------------------------------------------------------------------

def test_reference_evaluator_runs_every_op():
    model, _, expected, feeds = make_case.case(as_inputs=True)
    outs = make_evaluator(model).run(None, feeds)
    plugin = roi_ops.make_session(model).run(None, feeds)
    for got, want, plug in zip(outs, expected, plugin):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(plug, got, rtol=1e-5, atol=1e-5)


def test_reference_evaluator_with_omitted_batch_indices_and_defaults():
    node = builders.make_multi_scale_roi_align_node("rois", None, ["A", "B"], "Y", spatial_scales=[0.5, 0.25])
    model = builders.make_model([node], [vi("rois", F, ["K", 5]), vi("A", F, [1, 2, 8, 8]), vi("B", F, [1, 2, 4, 4])],
                                [vi("Y", F, ["K", 2, 1, 1])])
    feeds = {"rois": np.array([[0, 1, 1, 6, 6]], np.float32), "A": np.ones((1, 2, 8, 8), np.float32),
             "B": np.full((1, 2, 4, 4), 2, np.float32)}
    np.testing.assert_allclose(make_evaluator(model).run(None, feeds)[0],
                               roi_ops.make_session(model).run(None, feeds)[0], rtol=1e-6)


@pytest.mark.parametrize("op", sorted(reference.BY_OP_TYPE))
def test_reference_names_a_map_that_is_not_4d(op):
    """The reference is public API: a 3-D map gets its own message, not 'not enough values to unpack'."""
    flat = np.zeros((1, 4, 8), np.float32)
    if op.startswith("MultiScale"):
        call = lambda: reference.BY_OP_TYPE[op](np.zeros((1, 6)), None, np.zeros((1, 4, 8, 8)), flat,
                                                spatial_scales=[1.0, 0.5])
        expected = "feature map 1 must be [N, C, H, W]; got shape (1, 4, 8)"
    elif op == "CropAndResize":
        call = lambda: reference.crop_and_resize(flat, np.zeros((1, 4)), np.zeros(1, np.int64), crop_height=2,
                                                 crop_width=2)
        expected = "X must be [N, C, H, W]; got shape (1, 4, 8)"
    else:
        call = lambda: reference.BY_OP_TYPE[op](flat, np.zeros((1, 6 if "Rotated" in op else 5)), None)
        expected = "X must be [N, C, H, W]; got shape (1, 4, 8)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        call()


def test_convert_takes_models_whose_inputs_and_outputs_have_no_shape():
    """onnxruntime runs graphs whose inputs and outputs declare no shape (the README's own
    example model is one); onnx's checker refuses them, the converters must not."""
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2,
                            sampling_ratio=2)
    model = standard_model(node, 16)
    for v in list(model.graph.input) + list(model.graph.output):
        v.type.tensor_type.ClearField("shape")
    with pytest.raises(onnx.checker.ValidationError):
        onnx.checker.check_model(model)
    ours = convert.to_roi_ops(model)
    assert ours.graph.node[0].op_type == "RoIAlign"
    back = convert.to_standard(ours)
    rng = np.random.default_rng(0)
    feeds = {"X": rng.random((1, 2, 8, 8), np.float32), "rois": np.array([[1, 1, 6, 7]], np.float32),
             "bi": np.zeros(1, np.int64)}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(roi_ops.make_session(ours).run(None, feeds)[0], want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ort.InferenceSession(back.SerializeToString(), providers=["CPUExecutionProvider"])
                               .run(None, feeds)[0], want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("node,problem", [
    (helper.make_node("RoiAlign", ["X", "rois"], ["Y"], name="n"), "has input size 2 not in range [min=3, max=3]"),
    (helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], name="n", output_height=[2]),
     "output_height'. Expected: 'INT', actual: 'INTS'"),
    (helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], name="n", mode="median"),
     "mode 'median' is neither avg nor max"),
    (helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], name="n", coordinate_transformation_mode="corner"),
     "unknown coordinate_transformation_mode 'corner'"),
    (helper.make_node("MaxRoiPool", ["X"], ["Y"], name="n", pooled_shape=[2, 2]), "has input size 1"),
    (helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], name="n", pooled_shape=2),
     "Expected: 'INTS', actual: 'INT'"),
    (helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], name="n", pooled_shape=[2]),
     "pooled_shape must hold 2 values (height, width); got [2]"),
])
def test_a_standard_pooler_that_breaks_its_schema_is_refused_by_name(node, problem):
    # Each was an IndexError, TypeError or unpacking ValueError from roi-ops convert.
    model = helper.make_model(helper.make_graph([node], "g", [vi(i, F, None) for i in node.input],
                                                [vi("Y", F, None)]), opset_imports=[helper.make_opsetid("", 16)])
    with pytest.raises(convert.ConversionError) as info:
        convert.to_roi_ops(model)
    assert f"{node.op_type} node 'n': " in str(info.value) and problem in str(info.value), str(info.value)


@pytest.mark.parametrize("node,problem", [
    (helper.make_node("RoIAlign", ["X"], ["Y"], domain="roi_ops", name="n"), "has input size 1 not in range [min=2"),
    (helper.make_node("RoIPool", ["X", "rois"], ["Y"], domain="roi_ops", name="n", output_height=[2]),
     "output_height'. Expected: 'INT', actual: 'INTS'"),
    (helper.make_node("MultiScaleRoIAlign", ["rois", ""], ["Y"], domain="roi_ops", name="n", spatial_scales=[0.25]),
     "has input size 2 not in range [min=3"),
    (helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="roi_ops", name="n", mode="median"),
     "RoIAlign: attribute 'mode' must be"),
    (helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="roi_ops", name="n", output_height=0),
     "RoIAlign: attribute 'output_height' must be in [1, 65536]; got 0"),
])
def test_to_standard_refuses_a_roi_ops_node_the_library_would_refuse(node, problem):
    # The first three were IndexError, TypeError or shape-inference tracebacks; the last two were
    # converted into standard nodes with the same bad values.
    model = helper.make_model(helper.make_graph([node], "g", [vi(i, F, None) for i in node.input if i],
                                                [vi("Y", F, None)]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(roi_ops.DOMAIN, 1)])
    with pytest.raises(convert.ConversionError) as info:
        convert.to_standard(model)
    assert f"{node.op_type} node 'n': " in str(info.value) and problem in str(info.value), str(info.value)
