"""`roi-ops check`: inputs made from the roi_ops nodes' contracts fit the model (valid RoIs, batch
indices in [0, N), maps of the right channels and levels), --dim sizes named dimensions and is an
error when it names none, and the exit status says whether library and reference agree."""
from __future__ import annotations

import os
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import roi_ops
from roi_ops import builders, check, cli, reference

F = TensorProto.FLOAT
MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def roi_align_model(x_shape, rois_shape, bi_shape, *, with_bi=True, **attrs):
    node = builders.make_roi_align_node("X", "rois", "bi" if with_bi else None, "Y", **attrs)
    inputs = [vi("X", x_shape), vi("rois", rois_shape)] + ([vi("bi", bi_shape, TensorProto.INT64)] if with_bi else [])
    return builders.make_model([node], inputs, [vi("Y", None)])


def run_cli(tmp_path, model, *args, capsys):
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    code = cli.main(["check", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_made_inputs_follow_the_contract_with_symbolic_dims():
    model = roi_align_model(["N", 8, "H", "W"], ["K", 4], ["K"], output_height=3, output_width=3, spatial_scale=0.25)
    feeds = check.make_inputs(model, {"K": 9, "N": 3})
    assert feeds["X"].shape == (3, 8, 16, 16) and feeds["rois"].shape == (9, 4) and feeds["bi"].shape == (9,)
    assert feeds["bi"].dtype == np.int64 and feeds["bi"].min() >= 0 and feeds["bi"].max() < 3
    boxes = feeds["rois"]
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    assert boxes.min() >= 0 and boxes[:, 2:].max() <= 16 / 0.25  # inside the image the map covers
    assert all(r.ok for r in check.compare(model, feeds))


def test_unnamed_dims_and_shapeless_inputs_get_role_sizes():
    # The old check made rois [2, 2] from unnamed dims and scalars from shapeless inputs.
    for model in (roi_align_model([None, None, None, None], [None, None], [None]),
                  roi_align_model(None, None, None), roi_align_model(None, None, None, with_bi=False)):
        feeds = check.make_inputs(model)
        with_bi = "bi" in feeds
        assert feeds["X"].ndim == 4 and feeds["rois"].shape == (check.DEFAULT_SIZES["K"], 4 if with_bi else 5)
        if not with_bi:
            index = feeds["rois"][:, 0]
            assert (index == np.floor(index)).all() and index.max() < feeds["X"].shape[0]
        assert all(r.ok for r in check.compare(model, feeds))


def test_position_sensitive_multi_scale_rotated_and_crop_inputs_fit():
    ps = builders.make_ps_roi_pool_node("X", "rois", None, "P", output_height=3, output_width=2)
    ms = builders.make_multi_scale_roi_align_node("boxes", "bi", ["M0", "M1", "M2"], "S",
                                                  spatial_scales=[0.25, 0.125, 0.0625], output_height=2,
                                                  output_width=2)
    rot = builders.make_roi_align_rotated_node("X2", "rot", None, "R", output_height=2, output_width=2,
                                               angle_unit="radians")
    crop = builders.make_crop_and_resize_node("X2", "crops", "idx", "C", crop_height=3, crop_width=3)
    inputs = [vi("X", None), vi("rois", None), vi("boxes", ["K", 4]), vi("bi", ["K"], TensorProto.INT64),
              vi("M0", None), vi("M1", None), vi("M2", None), vi("X2", ["N", 3, 10, 12]), vi("rot", None),
              vi("crops", None), vi("idx", None, TensorProto.INT32)]
    model = builders.make_model([ps, ms, rot, crop], inputs, [vi(n, None) for n in "PSRC"])
    feeds = check.make_inputs(model, {"K": 40})
    assert feeds["X"].shape[1] % 6 == 0
    assert [feeds[f"M{i}"].shape[2] for i in range(3)] == [64, 32, 16]
    levels = reference.fpn_levels(feeds["boxes"], [0.25, 0.125, 0.0625])
    assert len(set(levels.tolist())) > 1  # the made boxes reach more than one level
    assert feeds["rot"].shape[1] == 6 and np.abs(feeds["rot"][:, 5]).max() <= np.pi / 2
    assert feeds["crops"].min() >= 0 and feeds["crops"].max() <= 1 and feeds["idx"].dtype == np.int32
    assert all(r.ok for r in check.compare(model, feeds))


@pytest.mark.parametrize("name", ["mask_rcnn_mask_head", "rotated_head", "rfcn_head"])
def test_maps_a_backbone_computes_give_the_batch_and_image_size(name, capsys):
    # The maps come out of a convolution of the image [1, 3, 256, 256], not from the graph's
    # inputs: the proposals' batch indices were made for the default batch of 2, and every
    # model's check failed on its own batch index 1.
    path = os.path.join(MODELS_DIR, f"{name}.onnx")
    feeds = check.make_inputs(onnx.load(path))
    assert feeds["proposals"][:, 0].max() == 0  # N = 1
    assert cli.main(["check", path]) == 0, capsys.readouterr().err
    assert "every output within tolerance" in capsys.readouterr().out


def test_cli_check_passes_and_honours_dim(tmp_path, capsys):
    model = roi_align_model(["N", 4, 20, 20], ["K", 4], ["K"], output_height=2, output_width=2)
    code, out, err = run_cli(tmp_path, model, "--dim", "K=5", capsys=capsys)
    assert code == 0, err
    assert "Y: shape [5, 4, 2, 2]" in out and "every output within tolerance" in out


def test_cli_check_says_when_a_model_has_no_roi_ops_nodes(tmp_path, capsys):
    # it printed "largest |library - reference|" for a model the library computes none of
    model = onnx.load(os.path.join(MODELS_DIR, "faster_rcnn_fpn.standard.onnx"))
    code, out, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 0 and "every output within tolerance" in out
    assert err.strip() == (f"roi-ops: note: {tmp_path / 'm.onnx'} has no roi_ops nodes, so this checks onnxruntime's "
                           f"own ops against the reference; roi-ops convert {tmp_path / 'm.onnx'} -o OUT.onnx gives "
                           "it roi_ops nodes")
    code, _, err = run_cli(tmp_path, onnx.load(os.path.join(MODELS_DIR, "faster_rcnn_fpn.onnx")), capsys=capsys)
    assert code == 0 and err == ""


def test_cli_check_refuses_a_dim_the_model_does_not_have(tmp_path, capsys):
    model = roi_align_model(["N", 4, 20, 20], ["K", 4], ["K"])
    code, _, err = run_cli(tmp_path, model, "--dim", "Q=3", capsys=capsys)
    assert code == 1 and "--dim Q: the model's inputs have no dimension named Q (named dimensions: K, N)" in err


def test_cli_check_with_no_images_refuses_rois_by_name(tmp_path, capsys):
    """N = 0 leaves no valid batch index for the made RoIs; onnxruntime's error blamed the
    library's op for them. With no RoIs as well, the check runs (empty outputs)."""
    for model, rois in ((roi_align_model(["N", 4, 20, 20], ["K", 4], ["K"]), "bi"),
                        (roi_align_model(["N", 4, 20, 20], ["K", 5], None, with_bi=False), "rois")):
        code, _, err = run_cli(tmp_path, model, "--dim", "N=0", capsys=capsys)
        assert code == 1 and err.strip() == (
            f"roi-ops: error: input '{rois}': RoIAlign node (unnamed) takes the batch indices of its 6 RoIs from "
            "input 'X', which has N = 0 images, so none is valid; give N >= 1 or no RoIs")
        code, out, err = run_cli(tmp_path, model, "--dim", "N=0", "--dim", "K=0", capsys=capsys)
        assert code == 0 and "Y: shape [0, 4, 1, 1]" in out, err


def test_cli_check_exits_1_when_library_and_reference_differ(tmp_path, capsys, monkeypatch):
    import roi_ops.evaluator as evaluator

    real = evaluator.make_evaluator

    class Shifted:  # a reference that is off by 0.01: the check must fail
        def __init__(self, model):
            self.inner = real(model)

        def run(self, names, feeds):
            return [o + np.float32(0.01) for o in self.inner.run(names, feeds)]

    monkeypatch.setattr(evaluator, "make_evaluator", Shifted)
    model = roi_align_model(["N", 4, 20, 20], ["K", 4], ["K"], output_height=2, output_width=2)
    code, out, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and "differ in Y" in err and "largest |library - reference| = 0.01" in out


def _pooled_between_standard_ops():
    """rois and batch indices sliced to their first `end` rows and the map scaled by `a` before a
    RoIAlign named 'pool'; its output scaled by `b` after it."""
    one = np.array([1], np.int64)
    inits = [helper.make_tensor(name, TensorProto.FLOAT, [], [1.5]) for name in "ab"]
    inits += [numpy_helper.from_array(v, name) for name, v in (("zero", 0 * one), ("end", 5 * one))]
    nodes = [helper.make_node("Mul", ["X", "a"], ["Xs"]),
             helper.make_node("Slice", ["rois", "zero", "end", "zero"], ["r"]),
             helper.make_node("Slice", ["bi", "zero", "end", "zero"], ["i"]),
             builders.make_roi_align_node("Xs", "r", "i", "Z", output_height=2, output_width=2, name="pool"),
             helper.make_node("Mul", ["Z", "b"], ["Y"])]
    model = builders.make_model(nodes, [vi("X", ["N", 4, 20, 20]), vi("rois", ["K", 4]),
                                        vi("bi", ["K"], TensorProto.INT64)], [vi("Y", None)])
    model.graph.initializer.extend(inits)
    return model


@pytest.mark.parametrize("change, where", [
    ("end", "the inputs of RoIAlign node 'pool' already differ (r: shape [5, 4] from the library, [4, 4] from the "
            "reference): the difference starts in the standard ops before it, not in the library"),
    ("a", "the inputs of RoIAlign node 'pool' already differ (Xs: shape [2, 4, 20, 20], largest |library - "
          "reference|"),
    ("spatial_scale", "RoIAlign node 'pool' gets the same inputs and its output differs (Z: shape [5, 4, 2, 2], "
                      "largest |library - reference|"),
    ("b", "every roi_ops node gets the same inputs and gives the same outputs in both: the difference starts in "
          "the standard ops after them"),
])
def test_cli_check_says_where_library_and_reference_part(tmp_path, capsys, monkeypatch, change, where):
    """A reference that computes one thing differently (a constant before, the node's attribute,
    a constant after): the failed check names the first place the values part. A detector's
    check on a constant image parts before its pooler (tied scores ranked differently)."""
    import roi_ops.evaluator as evaluator

    real = evaluator.make_evaluator

    def changed(model):
        model = onnx.ModelProto.FromString(model.SerializeToString())
        for t in model.graph.initializer:
            if t.name == change:
                t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) - 1, t.name))
        for n in model.graph.node:
            for attr in n.attribute:
                if attr.name == change:
                    attr.f /= 2
        return real(model)

    monkeypatch.setattr(evaluator, "make_evaluator", changed)
    code, out, err = run_cli(tmp_path, _pooled_between_standard_ops(), "--dim", "K=6", capsys=capsys)
    assert code == 1 and err.count("\n") == 1 and "roi-ops: error:" in err and "differ in Y; " + where in err, err
    if change == "end":  # the output's shape differs too: said, not an error of numpy's broadcasting
        assert "Y: shape [5, 4, 2, 2] from the library, [4, 4, 2, 2] from the reference" in out


def test_cli_check_refuses_inputs_that_contradict_the_node(tmp_path, capsys):
    model = roi_align_model(["N", 4, 20, 20], ["K", 3], ["K"])  # rois [K,3]: no RoI layout has 3 columns
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and "input 'rois' declares 3 columns, but RoIAlign node" in err and "rois [K,4]" in err


def test_cli_check_failure_is_one_clean_line(tmp_path, capsys):
    node = builders.make_ps_roi_align_node("X", "rois", "bi", "Y", output_height=2, output_width=3)
    model = builders.make_model([node], [vi("X", ["N", 8, 10, 10]), vi("rois", ["K", 4]),
                                         vi("bi", ["K"], TensorProto.INT64)], [vi("Y", None)])
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1
    assert err.strip().count("\n") == 0 and "\x1b[" not in err and "ONNXRuntimeError" not in err
    assert ("m.onnx: PSRoIAlign node (unnamed): input 'X' has C = 8 channels, which is not a multiple of "
            "output_height * output_width") in err


def test_cli_check_names_the_standard_node_onnxruntime_fails_in(tmp_path, capsys):
    """onnxruntime names the node it failed in before 'Status Message:', and a failed ORT_ENFORCE
    begins the message with its C++ source line, function signature and condition: the one line
    keeps the node and drops those (it kept only what followed 'Status Message:')."""
    nodes = [builders.make_roi_align_node("X", "rois", "bi", "Z", output_height=2, output_width=2),
             helper.make_node("Reshape", ["Z", "shape"], ["Y"], name="flatten")]
    model = builders.make_model(nodes, [vi("X", ["N", 4, 20, 20]), vi("rois", ["K", 4]),
                                        vi("bi", ["K"], TensorProto.INT64)], [vi("Y", None)])
    model.graph.initializer.append(numpy_helper.from_array(np.array([0, -1], np.int64), "shape"))
    code, _, err = run_cli(tmp_path, model, "--dim", "K=0", capsys=capsys)  # -1 beside a 0: refused
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(f"roi-ops: error: running {tmp_path / 'm.onnx'}: Reshape node 'flatten': The input "
                          "tensor cannot be reshaped to the requested shape. Input shape:{0,4,2,2}, requested "
                          "shape:{0,-1}"), err


def test_cli_check_names_a_standard_roi_align_with_an_undefined_coordinate_mode(tmp_path, capsys):
    # onnxruntime runs it (as output_half_pixel); the reference cannot know what it means.
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], name="pool", coordinate_transformation_mode="corner")
    model = helper.make_model(helper.make_graph([node], "g", [vi("X", [1, 2, 8, 8]), vi("rois", [3, 4]),
                                                              vi("bi", [3], TensorProto.INT64)], [vi("Y", None)]),
                              opset_imports=[helper.make_opsetid("", 16)], ir_version=8)
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and err.strip().splitlines()[-1].endswith(
        "RoiAlign node 'pool': unknown coordinate_transformation_mode 'corner'"), err


@pytest.mark.parametrize("op,inputs,needle", [
    ("RoIAlign", ["X"], "schema(roi_ops::RoIAlign:1) has input size 1 not in range [min=2, max=3]"),
    ("MultiScaleRoIAlign", ["rois"], "schema(roi_ops::MultiScaleRoIAlign:1) has input size 1 not in range [min=3"),
])
def test_cli_check_names_a_node_short_of_inputs(tmp_path, capsys, op, inputs, needle):
    # check's input maker indexed the missing inputs: "list index out of range".
    node = helper.make_node(op, inputs, ["Y"], domain="roi_ops", spatial_scales=[0.25]) if op.startswith("Multi") \
        else helper.make_node(op, inputs, ["Y"], domain="roi_ops")
    model = builders.make_model([node], [vi(i, ["K", 5] if i == "rois" else [1, 4, 8, 8]) for i in inputs],
                                [vi("Y", None)])
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and err.strip().count("\n") == 0 and needle in err, err


def test_cli_check_names_rois_declared_with_another_rank(tmp_path, capsys):
    model = roi_align_model([1, 4, 8, 8], [3, 5, 1], None, with_bi=False)  # was "too many values to unpack"
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and "input 'rois' is declared 3-D, but RoIAlign node" in err and "reads it as rois [K,5]" in err
    model = roi_align_model([1, 4, 8, 8], ["K", 4], ["K", 1])
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and "input 'bi' is declared 2-D, but RoIAlign node" in err and "as batch_indices [K]" in err


@pytest.mark.parametrize("node,needle", [
    (helper.make_node("RoIAlign", ["X", "rois", "bi"], ["Y"], domain="roi_ops", sampling_rate=2, name="pool"),
     "RoIAlign (roi_ops node 'pool'): unknown attribute 'sampling_rate'; did you mean 'sampling_ratio'?"),
    (helper.make_node("RoIAlgn", ["X", "rois", "bi"], ["Y"], domain="roi_ops"),
     "roi_ops has no op 'RoIAlgn'; did you mean 'RoIAlign'?"),
])
def test_misspelt_ops_and_attributes_are_named_with_the_closest_name(tmp_path, capsys, node, needle):
    from roi_ops import graph

    model = builders.make_model([node], [vi("X", [1, 2, 8, 8]), vi("rois", ["K", 4]),
                                         vi("bi", ["K"], TensorProto.INT64)], [vi("Y", ["K", 2, 1, 1])])
    with pytest.raises(onnx.checker.ValidationError, match=re.escape(needle)):
        graph.check(model)
    with pytest.raises(onnx.checker.ValidationError, match=re.escape(needle)):
        roi_ops.make_session(model)  # onnxruntime alone would run the misspelt attribute silently
    code, _, err = run_cli(tmp_path, model, capsys=capsys)
    assert code == 1 and needle in err and err.strip().count("\n") == 0
