"""The converter fuses the multi-level RoI pooling that exporters unroll into one
MultiScaleRoIAlign node, with the numbers of the exported graph: torchvision's own pooler
(TorchScript export, opsets 11-18, eps outside and, as before torchvision 0.8, inside the log),
detectron2's ROIPooler and mmdeploy's SingleRoIExtractor as their sources write them
(tests/exporters/poolers.py), graphs after constant folding, and subgraphs that almost match
(left alone, with the reason)."""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from exporters import torchvision_or_skip

tv = torchvision_or_skip()

import torch  # noqa: E402

import roi_ops  # noqa: E402
from roi_ops import convert, reference  # noqa: E402

from exporters import poolers  # noqa: E402

SCALES = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
IMAGE = 512


def _maps(batch: int, channels: int = 8, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch, channels, IMAGE >> (2 + i), IMAGE >> (2 + i))).astype(np.float32)
            for i in range(4)]


def _boxes(count: int, seed: int) -> np.ndarray:
    """Boxes of every level, plus boxes whose sqrt(area) is exactly on a level boundary (112, 224,
    448: the eps decides) and one just below and above."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, IMAGE * 0.6, (count, 2))
    wh = np.exp(rng.uniform(np.log(4), np.log(IMAGE * 0.9), (count, 2)))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    edges = [[0, 0, 112, 112], [10, 20, 234, 244], [0, 0, 448, 448], [5, 5, 61, 229],
             [0, 0, 111.99, 112], [0, 0, 112.01, 112], [3, 4, 227.5, 228.5]]
    return np.concatenate([boxes, edges]).astype(np.float32)


def _export(module, maps, boxes, opset) -> onnx.ModelProto:
    names = [f"map{i}" for i in range(len(maps))] + [f"boxes{i}" for i in range(len(boxes))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return poolers.export(module, ([torch.from_numpy(m) for m in maps], [torch.from_numpy(b) for b in boxes]),
                              names, ["pooled"], opset, {f"boxes{i}": [0] for i in range(len(boxes))})


def _feeds(model, maps, boxes) -> dict:
    names = [i.name for i in model.graph.input]
    values = list(maps) + list(boxes)
    return {n: v for n, v in zip(names, values)}


def _run_standard(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def _convert(model, **kwargs):
    report = convert.ConversionReport()
    out = convert.to_roi_ops(model, report=report, **kwargs)
    return out, report


def _fused_nodes(model):
    return [n for n in model.graph.node if n.domain == "roi_ops" and n.op_type == "MultiScaleRoIAlign"]


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def assert_same(actual, expected):
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(expected).max(initial=0))))


def assert_fused_keeps_numbers(model, feeds, **kwargs):
    out, report = _convert(model, **kwargs)
    assert len(report.fused) == 1 and not report.not_fused, report
    assert not [n for n in out.graph.node if n.op_type == "RoiAlign"]
    (node,) = _fused_nodes(out)
    assert len(out.graph.node) < len(model.graph.node) - 50
    assert_same(roi_ops.make_session(out).run(None, feeds)[0], _run_standard(model, feeds))
    return out, node, report


@pytest.mark.parametrize("opset", [11, 13, 16, 17, 18])
@pytest.mark.parametrize("images", [1, 2])
def test_torchvision_pooler_fuses_at_every_opset(opset, images):
    maps = _maps(images)
    boxes = [_boxes(40, seed=i) for i in range(images)]
    model = _export(poolers.TorchvisionPooler(4, 7, 2, IMAGE), maps, boxes, opset)
    _, node, _ = assert_fused_keeps_numbers(model, _feeds(model, maps, boxes))
    a = _attrs(node)
    assert a["spatial_scales"] == pytest.approx(SCALES) and a["canonical_scale"] == 224 and a["canonical_level"] == 4
    assert a["eps"] == pytest.approx(1e-6) and a["eps_in_log"] == 0 and a["aligned"] == 0
    assert (a["output_height"], a["output_width"], a["sampling_ratio"]) == (7, 7, 2)


def test_torchvision_pooler_over_skipped_levels_fuses():
    """Maps at 1/4 and 1/16 (torchvision's featmap_names ['feat1', 'feat3']): levels 2..4, and the
    RoIs of level 4 have no map, so they keep the zeros torchvision's merge starts from; the fused
    node gives the same (docs/spec.md). It was left unfused ("non-consecutive pyramid levels")."""
    full = _maps(1)
    maps, boxes = [full[0], full[2]], [_boxes(60, seed=11)]
    module = poolers.TorchvisionPooler(2, 7, 2, IMAGE)
    model = _export(module, maps, boxes, 17)
    feeds = _feeds(model, maps, boxes)
    fused, node, _ = assert_fused_keeps_numbers(model, feeds)
    assert _attrs(node)["spatial_scales"] == pytest.approx([1 / 4, 1 / 16])
    with torch.no_grad():
        expected = module([torch.from_numpy(m) for m in maps], [torch.from_numpy(b) for b in boxes]).numpy()
    got = roi_ops.make_session(fused).run(None, feeds)[0]
    assert_same(got, expected)
    zero_blocks = (np.abs(expected).reshape(len(expected), -1).max(1) == 0).sum()
    assert 0 < zero_blocks < len(expected)  # some RoIs took the level without a map


def test_torchvision_mask_pooler_and_old_eps_inside_the_log(monkeypatch):
    monkeypatch.setattr(tv.ops.poolers.LevelMapper, "__call__", poolers.old_torchvision_level_mapper())
    maps, boxes = _maps(1), [_boxes(60, seed=3)]
    model = _export(poolers.TorchvisionPooler(4, 14, 2, IMAGE), maps, boxes, 16)
    _, node, _ = assert_fused_keeps_numbers(model, _feeds(model, maps, boxes))
    a = _attrs(node)
    assert a["eps_in_log"] == 1 and (a["output_height"], a["output_width"]) == (14, 14)


def test_detectron2_pooler_fuses_and_aligned_repair_restores_its_numbers():
    maps, boxes = _maps(2), [_boxes(30, seed=4), _boxes(20, seed=5)]
    module = poolers.Detectron2ROIPooler(7, SCALES, 2, aligned=True)
    model = _export(module, maps, boxes, 11)  # detectron2's export: tracing at opset 11 drops aligned
    feeds = _feeds(model, maps, boxes)
    _, node, report = assert_fused_keeps_numbers(model, feeds)
    a = _attrs(node)
    assert "detectron2" in report.fused[0]
    assert a["eps_in_log"] == 1 and a["eps"] == pytest.approx(2.220446e-16) and a["aligned"] == 0
    with pytest.warns(UserWarning, match="aligned set to 1"):
        repaired, _ = _convert(model, aligned=True)
    assert _attrs(_fused_nodes(repaired)[0])["aligned"] == 1
    with torch.no_grad():
        expected = module([torch.from_numpy(m) for m in maps], [torch.from_numpy(b) for b in boxes]).numpy()
    assert_same(roi_ops.make_session(repaired).run(None, feeds)[0], expected)
    assert np.abs(_run_standard(model, feeds) - expected).max() > 1e-2  # what the export lost


def test_mmdeploy_extractor_is_refused_without_and_fused_with_the_aligned_shift_fold():
    maps, boxes = _maps(2), [_boxes(30, seed=6), _boxes(25, seed=7)]
    rois = np.concatenate([np.concatenate([np.full((len(b), 1), i, np.float32), b], 1) for i, b in enumerate(boxes)])
    module = poolers.MMDeploySingleRoIExtractor(7, [4, 8, 16, 32], 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = poolers.export(module, ([torch.from_numpy(m) for m in maps], torch.from_numpy(rois)),
                               [f"map{i}" for i in range(4)] + ["rois"], ["pooled"], 11, {"rois": [0]})
    feeds = dict(_feeds(model, maps, []), rois=rois)
    plain, report = _convert(model)
    assert not report.fused and "--fold-aligned-shift" in report.not_fused[0]
    assert_same(roi_ops.make_session(plain).run(None, feeds)[0], _run_standard(model, feeds))
    with pytest.warns(UserWarning, match="folded into aligned=1"):
        fused, report = _convert(model, fold_aligned_shift=True)
    assert "mmdeploy" in report.fused[0]
    a = _attrs(_fused_nodes(fused)[0])
    assert (a["canonical_scale"], a["canonical_level"], a["eps_in_log"], a["aligned"]) == (56, 2, 1, 1)
    with torch.no_grad():
        expected = module([torch.from_numpy(m) for m in maps], torch.from_numpy(rois)).numpy()
    assert_same(roi_ops.make_session(fused).run(None, feeds)[0], expected)


def _ort_folded(model, tmp_path) -> onnx.ModelProto:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(tmp_path / "folded.onnx")
    ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return onnx.load(so.optimized_model_filepath)


def _onnxscript_folded(model, _tmp_path) -> onnx.ModelProto:
    import onnxscript.optimizer

    return onnxscript.optimizer.optimize(model)


@pytest.mark.parametrize("fold", [_ort_folded, _onnxscript_folded], ids=["onnxruntime", "onnxscript"])
def test_constant_folded_graphs_still_fuse(fold, tmp_path):
    maps, boxes = _maps(1), [_boxes(50, seed=8)]
    exported = _export(poolers.TorchvisionPooler(4, 7, 2, IMAGE), maps, boxes, 17)
    model = fold(exported, tmp_path)
    assert len(model.graph.node) < len(exported.graph.node)
    assert_fused_keeps_numbers(model, _feeds(exported, maps, boxes))


def test_zero_rois_and_an_empty_level():
    maps = _maps(1)
    model = _export(poolers.TorchvisionPooler(4, 7, 2, IMAGE), maps, [_boxes(20, seed=9)], 16)
    fused, _ = _convert(model)
    session = roi_ops.make_session(fused)
    empty = session.run(None, _feeds(model, maps, [np.zeros((0, 4), np.float32)]))[0]
    assert empty.shape == (0, 8, 7, 7)
    small = np.array([[0, 0, 8, 8], [4, 4, 20, 30]], np.float32)  # only the finest level
    feeds = _feeds(model, maps, [small])
    assert_same(session.run(None, feeds)[0], _run_standard(model, feeds))


# --- subgraphs that almost match are left alone, with the reason -----------------------------

def _pooler_model():
    maps, boxes = _maps(1), [_boxes(40, seed=10)]
    model = _export(poolers.TorchvisionPooler(4, 7, 2, IMAGE), maps, boxes, 16)
    return model, _feeds(model, maps, boxes)


def _set_scalar(model, value_of_op, op_type: str, new_value: float) -> None:
    """Replaces the constant scalar input of the first ``op_type`` node whose constant equals
    ``value_of_op``."""
    consts = {n.output[0]: n for n in model.graph.node if n.op_type == "Constant"}
    for n in model.graph.node:
        if n.op_type != op_type:
            continue
        for i in n.input:
            c = consts.get(i)
            if c is None:
                continue
            value = onnx.numpy_helper.to_array(c.attribute[0].t)
            if value.size == 1 and np.isclose(float(value), value_of_op):
                c.attribute[0].t.CopyFrom(onnx.numpy_helper.from_array(np.full_like(value, new_value)))
                return
    raise AssertionError(f"no {op_type} with constant {value_of_op}")


@pytest.mark.parametrize("edit, reason", [
    (lambda m: _set_scalar(m, 0.6931471805599453, "Div", 0.7), "not ln 2"),
    (lambda m: _set_scalar(m, 5.0, "Clip", 6.0), "levels reach"),
    (lambda m: _set_scalar(m, 1e-6, "Add", 0.75), "not a canonical level and a small eps"),
    (lambda m: _set_scalar(m, 2, "Equal", 7), "pooled levels"),
    (lambda m: m.graph.output.append(onnx.helper.make_tensor_value_info(
        next(n.output[0] for n in m.graph.node if n.op_type == "RoiAlign"), onnx.TensorProto.FLOAT, [None] * 4)),
     "also needed outside the pooler"),
], ids=["log-base", "clip-bound", "eps", "level-constant", "extra-consumer"])
def test_a_near_match_is_left_alone_and_keeps_its_numbers(edit, reason):
    model, feeds = _pooler_model()
    edit(model)
    out, report = _convert(model)
    assert not report.fused and len(report.not_fused) == 1 and reason in report.not_fused[0], report
    assert not _fused_nodes(out) and len(report.converted) == 4
    expected = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    for a, b in zip(roi_ops.make_session(out).run(None, feeds), expected):
        assert_same(a, b)


def test_a_pooler_in_max_mode_fuses_as_onnx_max_or_with_the_fix_as_max():
    # MultiScaleRoIAlign has a mode (docs/spec.md); such poolers were left alone ("avg only")
    model, feeds = _pooler_model()
    for n in model.graph.node:
        if n.op_type == "RoiAlign":
            n.attribute.append(onnx.helper.make_attribute("mode", "max"))
    out, node, report = assert_fused_keeps_numbers(model, feeds)
    assert _attrs(node)["mode"] == b"onnx_max" and not report.warnings
    with pytest.warns(UserWarning, match="converting ONNX RoiAlign max to roi_ops max"):
        fixed, report = _convert(model, fix_onnx_max=True)
    (node,) = _fused_nodes(fixed)
    assert _attrs(node)["mode"] == b"max" and len(report.warnings) == 1
    maps = [feeds[i.name] for i in model.graph.input if i.name.startswith("map")]
    boxes = feeds[next(i.name for i in model.graph.input if i.name.startswith("boxes"))].astype(np.float64)
    rois = np.concatenate([np.zeros((len(boxes), 1)), boxes], 1)
    want = reference.multi_scale_roi_align(rois, None, *maps, spatial_scales=SCALES, output_height=7, output_width=7,
                                           sampling_ratio=2, mode="max")
    assert_same(roi_ops.make_session(fixed).run(None, feeds)[0], want)


def test_no_fuse_keeps_the_per_level_nodes():
    model, feeds = _pooler_model()
    out, report = _convert(model, fuse=False)
    assert not report.fused and len(report.converted) == 4 and len(out.graph.node) == len(model.graph.node)
    assert_same(roi_ops.make_session(out).run(None, feeds)[0], _run_standard(model, feeds))


# --- command line ------------------------------------------------------------------------------

def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "roi_ops.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_convert_reports_what_it_fused_and_what_it_left(tmp_path):
    model, feeds = _pooler_model()
    onnx.save(model, tmp_path / "pooler.onnx")
    r = _cli("convert", str(tmp_path / "pooler.onnx"), "-o", str(tmp_path / "fused.onnx"), "-v")
    assert r.returncode == 0, r.stderr
    assert "fused 1 multi-level pooler(s), converted 0 node(s), left 0 pooler(s) unfused" in r.stdout
    assert "torchvision MultiScaleRoIAlign, 4 levels" in r.stdout and "Traceback" not in r.stderr
    assert _fused_nodes(onnx.load(tmp_path / "fused.onnx"))
    r = _cli("convert", str(tmp_path / "pooler.onnx"), "-o", str(tmp_path / "kept.onnx"), "--no-fuse")
    assert r.returncode == 0 and "fused 0 multi-level pooler(s), converted 4 node(s)" in r.stdout
    edited = onnx.load(tmp_path / "pooler.onnx")
    _set_scalar(edited, 5.0, "Clip", 6.0)
    onnx.save(edited, tmp_path / "edited.onnx")
    r = _cli("convert", str(tmp_path / "edited.onnx"), "-o", str(tmp_path / "e.onnx"), "-v")
    assert r.returncode == 0 and "left 1 pooler(s) unfused" in r.stdout and "not fused" in r.stdout
    assert "levels reach 4, but spatial scales [0.25, 0.125, 0.0625, 0.03125] give levels 0..3" in r.stdout


class _OneLevel(torch.nn.Module):
    """mmcv's RoIAlign(aligned=True) as mmdeploy exports it below opset 16, on one map."""

    def forward(self, x, rois):
        return poolers._MMDeployRoIAlign.apply(x, rois, 7, 1 / 8, 2)


def test_aligned_shift_fold_on_a_single_roi_align():
    x = _maps(2)[1]
    rois = np.concatenate([np.array([[0], [1], [1]], np.float32),
                           np.array([[0, 0, 60, 60], [10, 12, 13, 14], [100, 50, 300, 200]], np.float32)], 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = poolers.export(_OneLevel(), (torch.from_numpy(x), torch.from_numpy(rois)), ["x", "rois"], ["y"], 11,
                               {"rois": [0]})
    feeds = {"x": x, "rois": rois}
    plain, _ = _convert(model)
    assert_same(roi_ops.make_session(plain).run(None, feeds)[0], _run_standard(model, feeds))
    with pytest.warns(UserWarning, match="folded into aligned=1"):
        folded, _ = _convert(model, fold_aligned_shift=True)
    (node,) = [n for n in folded.graph.node if n.op_type == "RoIAlign"]
    # the [K,5] RoIs as fed, the shift and the split into boxes and batch indices gone
    assert _attrs(node)["aligned"] == 1 and list(node.input) == ["x", "rois"]
    assert not {"Add", "Gather", "Squeeze", "Cast"} & {n.op_type for n in folded.graph.node}
    with torch.no_grad():
        expected = _OneLevel()(torch.from_numpy(x), torch.from_numpy(rois)).numpy()  # mmcv's aligned numbers
    got = roi_ops.make_session(folded).run(None, feeds)[0]
    assert_same(got, expected)
    # The shifted non-aligned op differs only on the RoI under one feature cell (the second).
    exported = _run_standard(model, feeds)
    assert np.abs(exported[1] - expected[1]).max() > 1e-3
    assert_same(exported[[0, 2]], expected[[0, 2]])


def test_unnamed_nodes_fuse_and_a_refused_pooler_does_not_hide_another():
    """Exporters may leave node names empty: poolers are told apart by their tensors."""
    model, feeds = _pooler_model()
    twice = onnx.compose.add_prefix(model, "b_")
    merged = onnx.compose.merge_models(model, twice, io_map=[])
    for n in merged.graph.node:
        n.name = ""
    _set_scalar(merged, 5.0, "Clip", 6.0)  # the first pooler no longer matches
    out, report = _convert(merged)
    assert len(report.fused) == 1 and len(report.not_fused) == 1, report
    feeds2 = {**feeds, **{f"b_{k}": v for k, v in feeds.items()}}
    expected = ort.InferenceSession(merged.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds2)
    for a, b in zip(roi_ops.make_session(out).run(None, feeds2), expected):
        assert_same(a, b)
