"""Builders check their attributes; the library exports one symbol and loads in a session."""
from __future__ import annotations

import re
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import roi_ops
from roi_ops import builders


@pytest.mark.parametrize("kwargs,needle", [
    (dict(output_height=0), "RoIAlign: attribute 'output_height' must be in [1, 65536]; got 0"),
    (dict(output_width=2.0), "RoIAlign: attribute 'output_width' must be an int"),
    (dict(spatial_scale=0), "RoIAlign: attribute 'spatial_scale' must be finite and > 0; got 0"),
    (dict(spatial_scale=float("nan")), "RoIAlign: attribute 'spatial_scale' must be finite and > 0; got nan"),
    (dict(sampling_ratio=-1), "RoIAlign: attribute 'sampling_ratio' must be in [0, 1024] (0 = adaptive); got -1"),
    (dict(mode="mean"), "RoIAlign: attribute 'mode' must be \"avg\", \"max\" or \"onnx_max\"; got \"mean\""),
    (dict(aligned=2), "RoIAlign: attribute 'aligned' must be 0 or 1; got 2"),
])
def test_roi_align_builder_rejects_bad_values(kwargs, needle):
    # The library's messages (tests/test_attribute_checks.py compares them with the library's own).
    with pytest.raises(ValueError, match=None) as info:
        builders.make_roi_align_node("X", "rois", "bi", "Y", **kwargs)
    assert needle in str(info.value)


def test_roi_pool_builder_rejects_bad_values():
    with pytest.raises(ValueError, match="RoIPool: attribute 'spatial_scale'"):
        builders.make_roi_pool_node("X", "rois", None, "Y", spatial_scale=-1)


@pytest.mark.parametrize("builder", [builders.make_multi_scale_roi_align_node,
                                     builders.make_multi_scale_roi_align_rotated_node])
def test_multi_scale_builders_name_spatial_scales_that_are_not_a_list(builder):
    # a float was list()ed first: "'float' object is not iterable"
    with pytest.raises(ValueError, match=r"attribute 'spatial_scales' must be a list of floats; got 0.25"):
        builder("rois", None, ["A"], "Y", spatial_scales=0.25)
    assert builder("rois", None, ["A", "B"], "Y", spatial_scales=(0.25, 0.125)).attribute


def test_builders_make_valid_nodes_and_models():
    node = builders.make_roi_align_node("X", "rois", None, "Y", output_height=7, output_width=7,
                                        spatial_scale=0.25, sampling_ratio=2, mode="max", aligned=True)
    assert node.domain == "roi_ops" and list(node.input) == ["X", "rois"]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    assert attrs == dict(output_height=7, output_width=7, spatial_scale=pytest.approx(0.25), sampling_ratio=2,
                         mode=b"max", aligned=1)
    ins = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2, 8, 8]),
           helper.make_tensor_value_info("rois", TensorProto.FLOAT, [3, 5])]
    model = builders.make_model([node], ins, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 2, 7, 7])])
    assert {(o.domain, o.version) for o in model.opset_import} >= {("roi_ops", 1)}
    onnx.checker.check_model(model)
    again = builders.add_opset_import(model)
    assert len(again.opset_import) == len(model.opset_import)


def test_library_exports_only_register_custom_ops():
    out = subprocess.run(["nm", "-D", "--defined-only", roi_ops.get_library_path()], capture_output=True, text=True,
                         check=True).stdout
    symbols = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert symbols == ["RegisterCustomOps"]


def test_library_links_nothing_of_onnxruntime():
    out = subprocess.run(["ldd", roi_ops.get_library_path()], capture_output=True, text=True, check=True).stdout
    assert "onnxruntime" not in out


def test_make_session_runs_both_ops():
    nodes = [builders.make_roi_align_node("X", "rois", None, "A", output_height=2, output_width=2),
             builders.make_roi_pool_node("X", "rois", None, "P", output_height=2, output_width=2)]
    ins = [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
           helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in "AP"]
    sess = roi_ops.make_session(builders.make_model(nodes, ins, outs), intra_op_num_threads=1)
    a, p = sess.run(None, {"X": np.ones((1, 2, 4, 4), np.float32), "rois": np.array([[0, 0, 0, 3, 3]], np.float32)})
    np.testing.assert_array_equal(a, np.ones((1, 2, 2, 2), np.float32))
    np.testing.assert_array_equal(p, np.ones((1, 2, 2, 2), np.float32))


def _one_roi_align_model():
    node = builders.make_roi_align_node("X", "rois", None, "A", output_height=2, output_width=2)
    return builders.make_model([node], [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
                                        helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)],
                               [helper.make_tensor_value_info("A", TensorProto.FLOAT, None)])


def test_make_session_takes_options_it_registered_before():
    """onnxruntime refuses a second registration of the roi_ops domain on one options object
    ("Domain already set in registry"): options from session_options(), or reused for a second
    session, failed make_session."""
    import onnxruntime as ort

    model = _one_roi_align_model()
    feeds = {"X": np.ones((1, 2, 4, 4), np.float32), "rois": np.array([[0, 0, 0, 3, 3]], np.float32)}
    for so in (roi_ops.session_options(intra_op_num_threads=1), ort.SessionOptions()):
        for _ in range(2):
            out = roi_ops.make_session(model, options=so).run(None, feeds)[0]
            np.testing.assert_array_equal(out, np.ones((1, 2, 2, 2), np.float32))
        assert roi_ops.session_options(so) is so


@pytest.mark.parametrize("providers", ["CPUExecutionProvider", None, [("CPUExecutionProvider", {})]])
def test_make_session_takes_one_provider_name_alone(providers, recwarn):
    # a lone name was taken letter by letter by onnxruntime: a warning per letter and its
    # "EP Error" fallback to the CPU
    feeds = {"X": np.ones((1, 2, 4, 4), np.float32), "rois": np.array([[0, 0, 0, 3, 3]], np.float32)}
    sess = roi_ops.make_session(_one_roi_align_model(), providers=providers)
    assert sess.get_providers() == ["CPUExecutionProvider"] and not recwarn.list
    np.testing.assert_array_equal(sess.run(None, feeds)[0], np.ones((1, 2, 2, 2), np.float32))


@pytest.mark.parametrize("providers,needle", [
    (["CPUExecutionProvider", 3], "providers[1] is 3; give a provider name such as 'CPUExecutionProvider', or "
                                  "(name, options dict)"),
    ([("CPUExecutionProvider",)], "providers[0] is ('CPUExecutionProvider',);"),
    (7, "providers must be provider names or (name, options) pairs, not int"),
])
def test_make_session_names_a_provider_entry_onnxruntime_cannot_take(providers, needle):
    with pytest.raises(TypeError) as e:
        roi_ops.make_session(_one_roi_align_model(), providers=providers)
    assert str(e.value).startswith("make_session: ") and needle in str(e.value)


@pytest.mark.parametrize("threads", [-1, 2.5, "2", True])
def test_session_helpers_name_a_thread_count_that_is_not_one(threads):
    # -1 and True were passed on to onnxruntime, 2.5 and "2" failed in pybind11's words
    for make in (lambda: roi_ops.make_session(_one_roi_align_model(), intra_op_num_threads=threads),
                 lambda: roi_ops.session_options(intra_op_num_threads=threads)):
        with pytest.raises(ValueError) as e:
            make()
        assert "intra_op_num_threads must be a whole number >= 0 (0: onnxruntime's choice); got " \
            f"{threads!r}" in str(e.value)


def test_get_library_path_names_a_cuda_value_that_is_not_a_choice():
    with pytest.raises(TypeError, match=re.escape("get_library_path: cuda must be True, False or None; got 'yes'")):
        roi_ops.get_library_path(cuda="yes")  # was KeyError: 'yes'


def test_make_session_names_options_that_hold_the_library_already():
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.register_custom_ops_library(roi_ops.get_library_path())
    with pytest.raises(ValueError, match="the options given already hold a library of the roi_ops domain"):
        roi_ops.make_session(_one_roi_align_model(), options=so)


def test_library_path_override(monkeypatch, tmp_path):
    monkeypatch.setenv("ROI_OPS_LIBRARY", str(tmp_path / "missing.so"))
    with pytest.raises(FileNotFoundError, match="ROI_OPS_LIBRARY"):
        roi_ops.get_library_path()


def test_make_session_names_a_library_onnxruntime_cannot_load(monkeypatch, tmp_path):
    # was onnxruntime's "[ONNXRuntimeError] : 1 : FAIL : Failed to load library ..."
    junk = tmp_path / "libroi_ops.so"
    junk.write_bytes(b"not a shared library")
    monkeypatch.setenv("ROI_OPS_LIBRARY", str(junk))
    for make in (roi_ops.session_options, lambda: roi_ops.make_session(_one_roi_align_model())):
        with pytest.raises(OSError, match=f"^onnxruntime cannot load the library {junk}: Failed to load library .*"
                                          "file too short$"):
            make()
