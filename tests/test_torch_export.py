"""PyTorch: the roi_ops custom ops (eager mode: the NumPy reference, checked here for dtype, device and errors),
and export through both ONNX exporters (dynamo and TorchScript) for roi_ops' ops, for
torchvision's RoI ops (defined here with torchvision's exact schemas, since torchvision has no
CPU build here) and for MultiScaleRoIAlign. Every exported model runs in onnxruntime with the
plugin and is compared with the PyTorch output."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]' installs it)")
pytest.importorskip("onnxscript", reason="onnxscript is not installed (the dynamo exporter needs it)")

import roi_ops  # noqa: E402
import roi_ops.torch as rt  # noqa: E402
from roi_ops import reference  # noqa: E402

RNG = np.random.default_rng(7)
X = torch.from_numpy(RNG.standard_normal((2, 18, 12, 14)).astype(np.float32))
BOXES = torch.tensor([[1.0, 1, 20, 30], [5, 4, 40, 44], [0, 0, 55, 47], [10, 12, 10.5, 13], [30, 2, 12, 20]])
BI = torch.tensor([0, 1, 1, 0, 1])
ROIS5 = torch.cat([BI[:, None].float(), BOXES], 1)
ROT = torch.cat([(BOXES[:, :2] + BOXES[:, 2:]) / 2, (BOXES[:, 2:] - BOXES[:, :2]).abs(),
                 torch.tensor([[0.0], [30], [-45], [90], [200]])], 1)
MAPS = [torch.from_numpy(RNG.standard_normal((2, 6, 48 >> i, 56 >> i)).astype(np.float32)) for i in range(3)]
CROPS = torch.tensor([[0.0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], [-0.2, -0.1, 1.2, 1.1]])
CROP_IDX = torch.tensor([0, 1, 0])
COMMON = dict(output_height=3, output_width=3, spatial_scale=0.25)

# (name, torch call, reference call)
CASES = {
    "roi_align": (lambda: rt.roi_align(X, BOXES, BI, sampling_ratio=2, aligned=1, **COMMON),
                  lambda: reference.roi_align(X.numpy(), BOXES.numpy(), BI.numpy(), sampling_ratio=2, aligned=1,
                                              **COMMON)),
    "roi_align_max_rois5": (lambda: rt.roi_align(X, ROIS5, mode="max", **COMMON),
                            lambda: reference.roi_align(X.numpy(), ROIS5.numpy(), mode="max", **COMMON)),
    "roi_align_onnx_max": (lambda: rt.roi_align(X, BOXES, BI, mode="onnx_max", sampling_ratio=2, **COMMON),
                           lambda: reference.roi_align(X.numpy(), BOXES.numpy(), BI.numpy(), mode="onnx_max",
                                                       sampling_ratio=2, **COMMON)),
    "roi_pool": (lambda: rt.roi_pool(X, ROIS5, **COMMON), lambda: reference.roi_pool(X.numpy(), ROIS5.numpy(), **COMMON)),
    "ps_roi_align": (lambda: rt.ps_roi_align(X, BOXES, BI, sampling_ratio=0, **COMMON),
                     lambda: reference.ps_roi_align(X.numpy(), BOXES.numpy(), BI.numpy(), **COMMON)),
    "ps_roi_pool": (lambda: rt.ps_roi_pool(X, ROIS5, **COMMON),
                    lambda: reference.ps_roi_pool(X.numpy(), ROIS5.numpy(), **COMMON)),
    "roi_align_rotated": (lambda: rt.roi_align_rotated(X, ROT, BI, sampling_ratio=2, **COMMON),
                          lambda: reference.roi_align_rotated(X.numpy(), ROT.numpy(), BI.numpy(), sampling_ratio=2,
                                                              **COMMON)),
    "multi_scale_roi_align": (
        lambda: rt.multi_scale_roi_align(BOXES * 4, BI, MAPS, spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                         output_width=3, sampling_ratio=2, canonical_scale=64),
        lambda: reference.multi_scale_roi_align((BOXES * 4).numpy(), BI.numpy(), *[m.numpy() for m in MAPS],
                                                spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                                output_width=3, sampling_ratio=2, canonical_scale=64)),
    "multi_scale_roi_align_max_rescaled": (
        lambda: rt.multi_scale_roi_align(BOXES * 4, BI, MAPS[::2], spatial_scales=[0.25, 0.0625], output_height=3,
                                         output_width=3, mode="max", roi_scale_factor=1.5, canonical_scale=64),
        lambda: reference.multi_scale_roi_align((BOXES * 4).numpy(), BI.numpy(), MAPS[0].numpy(), MAPS[2].numpy(),
                                                spatial_scales=[0.25, 0.0625], output_height=3, output_width=3,
                                                mode="max", roi_scale_factor=1.5, canonical_scale=64)),
    "multi_scale_roi_align_rotated": (
        lambda: rt.multi_scale_roi_align_rotated(ROT * 4, BI, MAPS, spatial_scales=[0.25, 0.125, 0.0625],
                                                 output_height=3, output_width=3, canonical_scale=28,
                                                 canonical_level=2, eps_in_log=1, roi_scale_factor=1.2),
        lambda: reference.multi_scale_roi_align_rotated((ROT * 4).numpy(), BI.numpy(), *[m.numpy() for m in MAPS],
                                                        spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                                        output_width=3, canonical_scale=28, canonical_level=2,
                                                        eps_in_log=1, roi_scale_factor=1.2)),
    "crop_and_resize": (lambda: rt.crop_and_resize(X, CROPS, CROP_IDX, crop_height=4, crop_width=5, method="bilinear"),
                        lambda: reference.crop_and_resize(X.numpy(), CROPS.numpy(), CROP_IDX.numpy(), crop_height=4,
                                                          crop_width=5)),
    "crop_nearest": (lambda: rt.crop_and_resize(X, CROPS, CROP_IDX, crop_height=4, crop_width=5, method="nearest",
                                                extrapolation_value=-1.0),
                     lambda: reference.crop_and_resize(X.numpy(), CROPS.numpy(), CROP_IDX.numpy(), crop_height=4,
                                                       crop_width=5, method="nearest", extrapolation_value=-1.0)),
}


@pytest.mark.parametrize("case", CASES)
def test_pytorch_ops_match_the_reference(case):
    got, want = CASES[case]
    np.testing.assert_allclose(got().numpy(), want(), rtol=1e-6, atol=1e-6)


class Call(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


# (name, module call on inputs, inputs)
EXPORTS = {
    "roi_align": (lambda x, r, b: rt.roi_align(x, r, b, sampling_ratio=2, aligned=1, **COMMON), (X, BOXES, BI)),
    "roi_align_rois5": (lambda x, r: rt.roi_align(x, r, mode="onnx_max", **COMMON), (X, ROIS5)),
    "roi_pool": (lambda x, r: rt.roi_pool(x, r, **COMMON), (X, ROIS5)),
    "ps_roi_align": (lambda x, r, b: rt.ps_roi_align(x, r, b, sampling_ratio=2, **COMMON), (X, BOXES, BI)),
    "ps_roi_pool": (lambda x, r: rt.ps_roi_pool(x, r, **COMMON), (X, ROIS5)),
    "roi_align_rotated": (lambda x, r, b: rt.roi_align_rotated(x, r, b, clockwise=1, **COMMON), (X, ROT, BI)),
    "multi_scale_roi_align": (
        lambda r, a, b, c: rt.multi_scale_roi_align(r, None, [a, b, c], spatial_scales=[0.25, 0.125, 0.0625],
                                                    output_height=3, output_width=3, sampling_ratio=2,
                                                    canonical_scale=64),
        (torch.cat([ROIS5[:, :1], ROIS5[:, 1:] * 4], 1), *MAPS)),
    "multi_scale_roi_align_onnx_max": (
        lambda r, b, x0, x1: rt.multi_scale_roi_align(r, b, [x0, x1], spatial_scales=[0.25, 0.0625], output_height=3,
                                                      output_width=3, mode="onnx_max", roi_scale_factor=0.8,
                                                      canonical_scale=64),
        (BOXES * 4, BI, MAPS[0], MAPS[2])),
    "multi_scale_roi_align_rotated": (
        lambda r, b, x0, x1, x2: rt.multi_scale_roi_align_rotated(
            r, b, [x0, x1, x2], spatial_scales=[0.25, 0.125, 0.0625], output_height=3, output_width=3,
            canonical_scale=28, canonical_level=2, eps_in_log=1, angle_unit="degrees", clockwise=1,
            roi_scale_factor=1.2),
        (ROT * 4, BI, *MAPS)),
    "crop_and_resize": (lambda x, b, i: rt.crop_and_resize(x, b, i, crop_height=4, crop_width=5), (X, CROPS, CROP_IDX)),
}
OP_TYPES = {"roi_align": "RoIAlign", "roi_align_rois5": "RoIAlign", "roi_pool": "RoIPool",
            "ps_roi_align": "PSRoIAlign", "ps_roi_pool": "PSRoIPool", "roi_align_rotated": "RoIAlignRotated",
            "multi_scale_roi_align": "MultiScaleRoIAlign", "multi_scale_roi_align_onnx_max": "MultiScaleRoIAlign",
            "multi_scale_roi_align_rotated": "MultiScaleRoIAlignRotated", "crop_and_resize": "CropAndResize"}


def run_exported(model, args):
    feeds = {i.name: a.numpy() for i, a in zip(model.graph.input, args)}
    return roi_ops.make_session(model).run(None, feeds)[0]


def export(fn, args, dynamo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rt.export(Call(fn).eval(), args, dynamo=dynamo, verbose=False) if dynamo else \
            rt.export(Call(fn).eval(), args, dynamo=False)


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
@pytest.mark.parametrize("case", EXPORTS)
def test_export_emits_roi_ops_and_onnxruntime_matches_pytorch(case, dynamo):
    fn, args = EXPORTS[case]
    model = export(fn, args, dynamo)
    ours = [n for n in model.graph.node if n.domain == roi_ops.DOMAIN]
    assert [n.op_type for n in ours] == [OP_TYPES[case]]
    expected = fn(*args).numpy()
    np.testing.assert_allclose(run_exported(model, args), expected, rtol=1e-5, atol=1e-5)
    # the output's C, height and width are known (the TorchScript exporter named each dimension,
    # warning on stderr that it could not infer the op's shape)
    dims = model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims][1:] == list(expected.shape[1:])


# --- torchvision's ops ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def torchvision_ops():
    """torchvision's RoI ops: its compiled ones, or where they do not load with this torch, the
    plain-PyTorch stand-ins with its schemas (roi_ops.torch.torchvision_ops)."""
    import importlib.util

    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("needs torchvision (pip install 'roi-ops[test]')")
    from roi_ops.torch.torchvision_ops import import_torchvision

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import_torchvision()
    return torch.ops.torchvision


TV_CALLS = {
    "roi_align": (lambda tv: (lambda x, r: tv.roi_align(x, r, 0.25, 3, 3, 2, True)), "RoIAlign"),
    "roi_pool": (lambda tv: (lambda x, r: tv.roi_pool(x, r, 0.25, 3, 3)[0]), "RoIPool"),
    "ps_roi_align": (lambda tv: (lambda x, r: tv.ps_roi_align(x, r, 0.25, 3, 3, 2)[0]), "PSRoIAlign"),
    "ps_roi_pool": (lambda tv: (lambda x, r: tv.ps_roi_pool(x, r, 0.25, 3, 3)[0]), "PSRoIPool"),
}


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
@pytest.mark.parametrize("name", TV_CALLS)
def test_torchvision_ops_export_as_roi_ops(torchvision_ops, name, dynamo):
    make, op_type = TV_CALLS[name]
    fn = make(torchvision_ops)
    model = export(fn, (X, ROIS5), dynamo)
    assert [n.op_type for n in model.graph.node if n.domain == roi_ops.DOMAIN] == [op_type]
    assert not [n for n in model.graph.node if n.op_type in ("RoiAlign", "MaxRoiPool")]
    np.testing.assert_allclose(run_exported(model, (X, ROIS5)), fn(X, ROIS5).numpy(), rtol=1e-5, atol=1e-5)


class TorchvisionStylePooler(torch.nn.Module):
    """A stand-in with torchvision.ops.MultiScaleRoIAlign's class name and attributes."""

    def __init__(self):
        super().__init__()
        self.featmap_names, self.output_size, self.sampling_ratio = ["p2", "p3", "p4"], (3, 3), 2
        self.canonical_scale, self.canonical_level = 64, 4


TorchvisionStylePooler.__name__ = "MultiScaleRoIAlign"


class BoxHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pooler = TorchvisionStylePooler()

    def forward(self, p2, p3, p4, boxes0, boxes1):
        return self.pooler({"p2": p2, "p3": p3, "p4": p4}, [boxes0, boxes1], [(192, 224), (192, 224)])


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_multi_scale_roi_align_module_exports_as_one_node(dynamo):
    head = rt.replace_torchvision_poolers(BoxHead()).eval()
    assert isinstance(head.pooler, rt.MultiScaleRoIAlign)
    boxes0, boxes1 = BOXES[:3] * 4, BOXES[3:] * 4
    args = (*MAPS, boxes0, boxes1)
    y = head(*args)
    rois = torch.cat([torch.cat([torch.zeros(3, 1), boxes0], 1), torch.cat([torch.ones(2, 1), boxes1], 1)])
    want = reference.multi_scale_roi_align(rois.numpy(), None, *[m.numpy() for m in MAPS],
                                           spatial_scales=[0.25, 0.125, 0.0625], output_height=3, output_width=3,
                                           sampling_ratio=2, canonical_scale=64)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = rt.export(head, args, dynamo=dynamo)
    assert [n.op_type for n in model.graph.node if n.domain == roi_ops.DOMAIN] == ["MultiScaleRoIAlign"]
    np.testing.assert_allclose(run_exported(model, args), y.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op, call", [
    ("RoIAlign", lambda x, r, bi: rt.roi_align(x, r, bi, output_height=2, output_width=2)),
    ("RoIPool", lambda x, r, bi: rt.roi_pool(x, r, bi, output_height=2, output_width=2)),
    ("PSRoIAlign", lambda x, r, bi: rt.ps_roi_align(x, r, bi, output_height=2, output_width=2)),
    ("PSRoIPool", lambda x, r, bi: rt.ps_roi_pool(x, r, bi, output_height=2, output_width=2)),
])
def test_torch_ops_refuse_batch_indices_the_library_refuses(op, call):
    """A NaN, fractional or out-of-range batch index is the library's error in PyTorch too (it
    used to become image 0, or wrap to the last image for -1)."""
    x = torch.rand(2, 8, 10, 10)
    boxes = torch.tensor([[1.0, 1, 6, 6], [2, 2, 8, 8]])
    for first, message in ((float("nan"), "is not an integer"), (0.5, "is not an integer"),
                           (-1.0, r"is outside \[0, N\) with N = 2"), (2.0, r"is outside \[0, N\) with N = 2")):
        rois = torch.cat([torch.tensor([[0.0], [first]]), boxes], 1)
        with pytest.raises(Exception, match=rf"{op}: input 'rois'\[1,0\] \(batch index\) = .* {message}"):
            call(x, rois, None)
    with pytest.raises(Exception, match=rf"{op}: input 'batch_indices'\[1\] = -1 is outside \[0, N\) with N = 2"):
        call(x, boxes, torch.tensor([0, -1]))
    y = call(x, torch.cat([torch.tensor([[0.0], [1.0]]), boxes], 1), None)  # valid: runs
    assert y.shape[0] == 2 and torch.isfinite(y).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_torch_ops_keep_dtype_and_device_and_match_the_library(dtype):
    """The eager op's output has the input's dtype and device, and equals what onnxruntime with
    the library computes for the same values (the kernel is the independent oracle here)."""
    x, rois = X.to(dtype), ROIS5.to(dtype)
    y = rt.roi_align(x, rois, mode="max", **COMMON)
    assert y.dtype == dtype and y.device == x.device
    model = export(lambda a, b: rt.roi_align(a, b, mode="max", **COMMON), (x, rois), dynamo=False)
    tol = 1e-3 if dtype == torch.float16 else 1e-5
    np.testing.assert_allclose(run_exported(model, (x, rois)).astype(np.float64), y.double().numpy(), rtol=tol,
                               atol=tol)


def _run_with_types(rois, batch_indices):
    """A RoIAlign model with the element types of these inputs, run by onnxruntime with the library."""
    from onnx import helper

    def value(name, a):
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)

    x, r, b = X.numpy(), rois.numpy(), batch_indices.numpy()
    node = helper.make_node("RoIAlign", ["X", "rois", "batch_indices"], ["Y"], domain=roi_ops.DOMAIN, **COMMON)
    graph = helper.make_graph([node], "types", [value("X", x), value("rois", r), value("batch_indices", b)],
                              [helper.make_tensor_value_info("Y", 1, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid(roi_ops.DOMAIN, 1)], ir_version=10)
    return roi_ops.make_session(model).run(None, {"X": x, "rois": r, "batch_indices": b})[0]


@pytest.mark.parametrize("rois_dtype, index_dtype", [(torch.float64, torch.int64), (torch.int64, torch.int64),
                                                    (torch.float32, torch.int32)])
def test_torch_ops_refuse_rois_and_index_types_the_library_refuses(rois_dtype, index_dtype):
    """RoIs of another type than X, or batch indices other than int64: onnxruntime with the library
    refuses such a model (the oracle), so the eager op and the export refuse them too, in the
    library's words (torchvision's roi_align also refuses RoIs of another type than its input)."""
    rois, index = BOXES.to(rois_dtype), BI.to(index_dtype)
    if rois_dtype != torch.float32:
        library = r"RoIAlign: input 'rois' must have the element type of input 'X' \(tensor\(float\)\); got tensor\("
        message = rf"RoIAlign: input 'rois' must have the element type of input 'X' \(torch.float32\); got {rois_dtype}"
    else:
        library = r"Type 'tensor\(int32\)' of input parameter \(batch_indices\)"
        message = rf"RoIAlign: input 'batch_indices' must be torch.int64; got {index_dtype}"
    with pytest.raises(Exception, match=library):
        _run_with_types(rois, index)
    with pytest.raises(TypeError, match=message):
        rt.roi_align(X, rois, index, **COMMON)
    with pytest.raises(Exception, match=message):
        export(lambda a, b, c: rt.roi_align(a, b, c, **COMMON), (X, rois, index), dynamo=True)
    np.testing.assert_allclose(_run_with_types(BOXES, BI), rt.roi_align(X, BOXES, BI, **COMMON).numpy(), atol=1e-5)


def test_torch_ops_refuse_maps_and_boxes_of_another_type():
    with pytest.raises(TypeError, match=r"MultiScaleRoIAlign: input 'X_1' must have the element type of input 'X_0' "
                                        r"\(torch.float32\); got torch.float64"):
        rt.multi_scale_roi_align(BOXES, BI, [MAPS[0], MAPS[1].double()], spatial_scales=[0.25, 0.125])
    with pytest.raises(TypeError, match=r"MultiScaleRoIAlign: input 'rois' must have the element type of input "
                                        r"'X_0' \(torch.float32\); got torch.float64"):
        rt.multi_scale_roi_align(BOXES.double(), BI, MAPS[:2], spatial_scales=[0.25, 0.125])
    with pytest.raises(TypeError, match=r"CropAndResize: input 'boxes' must have the element type of input 'X'"):
        rt.crop_and_resize(X, CROPS.double(), CROP_IDX, crop_height=4, crop_width=5)


@pytest.mark.parametrize("op, call", [
    ("RoIAlign", lambda x: rt.roi_align(x, ROIS5, **COMMON)),
    ("MultiScaleRoIAlign", lambda x: rt.multi_scale_roi_align(BOXES, BI, [x, MAPS[1]], spatial_scales=[0.25, 0.125])),
    ("CropAndResize", lambda x: rt.crop_and_resize(x, CROPS, CROP_IDX, crop_height=4, crop_width=5))])
def test_torch_ops_say_they_have_no_gradient(op, call):
    # torch's own message told the user to register an autograd formula
    x = (MAPS[0] if op == "MultiScaleRoIAlign" else X).clone().requires_grad_()
    y = call(x)
    assert y.requires_grad
    with pytest.raises(RuntimeError, match=rf"^{op}: roi_ops' PyTorch ops have no gradient; they are for export and "
                                           r"inference .*; train with torchvision.ops$"):
        y.sum().backward()


def test_torch_ops_refuse_feature_types_the_library_has_no_kernel_for():
    with pytest.raises(TypeError, match=r"RoIAlign: input 'X' has element type torch.int32; roi_ops takes float16"):
        rt.roi_align(X.to(torch.int32), ROIS5, **COMMON)
    with pytest.raises(TypeError, match=r"MultiScaleRoIAlign: input 'X_1' has element type torch.bfloat16"):
        rt.multi_scale_roi_align(BOXES, BI, [MAPS[0], MAPS[1].bfloat16()], spatial_scales=[0.25, 0.125])
