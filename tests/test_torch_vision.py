"""roi_ops.torch.vision: torchvision.ops' RoI functions and modules with torchvision's own
signatures (compared with torchvision's), computing the reference's numbers with torchvision's
conventions (boxes as [K,5] or per-image lists, output_size int or pair, sampling_ratio -1 =
adaptive), exported as roi_ops nodes."""
from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[torch]')")

import roi_ops  # noqa: E402
from roi_ops import reference  # noqa: E402
from roi_ops.torch import vision  # noqa: E402

RNG = np.random.default_rng(3)
X = torch.from_numpy(RNG.standard_normal((2, 18, 12, 14)).astype(np.float32))  # 18 = 2 * 3 * 3
PER_IMAGE = [torch.tensor([[1.0, 2, 30, 40], [5, 5, 6, 7]]), torch.tensor([[0.0, 0, 55, 47]])]
ROIS5 = torch.tensor([[0, 1.0, 2, 30, 40], [0, 5, 5, 6, 7], [1, 0, 0, 55, 47]])


@pytest.fixture(scope="module")
def torchvision_ops():
    from exporters import torchvision_or_skip

    tv = torchvision_or_skip()
    return tv.ops


@pytest.mark.parametrize("name", ["roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool"])
def test_functions_have_torchvisions_signature(torchvision_ops, name):
    ours, theirs = inspect.signature(getattr(vision, name)), inspect.signature(getattr(torchvision_ops, name))
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values()]


@pytest.mark.parametrize("name", ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "MultiScaleRoIAlign"])
def test_modules_have_torchvisions_constructor_and_forward(torchvision_ops, name):
    ours, theirs = getattr(vision, name), getattr(torchvision_ops, name)
    for method in ("__init__", "forward"):
        b = [(p.name, p.default, p.kind) for p in inspect.signature(getattr(theirs, method)).parameters.values()]
        names = {n for n, _, _ in b}  # roi_ops' MultiScaleRoIAlign adds keyword-only options (aligned, eps, ...)
        a = [(p.name, p.default, p.kind) for p in inspect.signature(getattr(ours, method)).parameters.values()
             if p.name in names or p.kind != p.KEYWORD_ONLY]
        assert a == b, (name, method)


@pytest.mark.parametrize("boxes", [PER_IMAGE, ROIS5], ids=["per-image list", "Tensor[K,5]"])
def test_numbers_follow_torchvisions_conventions(boxes):
    x64, r64 = X.double().numpy(), ROIS5.double().numpy()
    got = vision.roi_align(X, boxes, (3, 2), 0.25, -1, True)  # -1: adaptive
    want = reference.roi_align(x64, r64, output_height=3, output_width=2, spatial_scale=0.25, sampling_ratio=0,
                               aligned=1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vision.RoIAlign(3, 0.25, 2)(X, boxes).numpy(),
                               reference.roi_align(x64, r64, output_height=3, output_width=3, spatial_scale=0.25,
                                                   sampling_ratio=2), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(vision.RoIPool(3, 0.25)(X, boxes).numpy(),
                                  reference.roi_pool(X.numpy(), ROIS5.numpy(), output_height=3, output_width=3,
                                                     spatial_scale=0.25))
    np.testing.assert_allclose(vision.ps_roi_align(X, boxes, 3, 0.25).numpy(),
                               reference.ps_roi_align(x64, r64, output_height=3, output_width=3, spatial_scale=0.25),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vision.PSRoIPool(3, 0.25)(X, boxes).numpy(),
                               reference.ps_roi_pool(x64, r64, output_height=3, output_width=3, spatial_scale=0.25),
                               rtol=1e-5, atol=1e-5)


def test_bad_arguments_get_the_library_messages():
    with pytest.raises(ValueError, match=r"RoIAlign: attribute 'spatial_scale' must be finite and > 0; got -1"):
        vision.roi_align(X, ROIS5, 2, spatial_scale=-1.0)
    with pytest.raises(ValueError, match=r"RoIAlign: input 'rois' must be 2-D \[K,4\] \(with batch_indices\) or "
                                         r"\[K,5\]"):
        vision.roi_align(X, ROIS5[:, :3], 2)
    with pytest.raises(ValueError, match=r"PSRoIPool: input 'X' has C = 18 channels, which is not a multiple"):
        vision.ps_roi_pool(X, ROIS5, 4)
    import roi_ops.torch as rt  # roi_ops' own signatures refuse what the library refuses too

    with pytest.raises(ValueError, match=r"RoIAlign: attribute 'sampling_ratio' must be in \[0, 1024\]"):
        rt.roi_align(X, ROIS5, sampling_ratio=-1)
    with pytest.raises(ValueError, match=r"MultiScaleRoIAlign: attribute 'spatial_scales' must hold finite scales"):
        rt.multi_scale_roi_align(ROIS5, None, [X], spatial_scales=[-0.25])
    with pytest.raises(ValueError, match=r"CropAndResize: input 'box_indices' has 1 entries but input 'boxes' has 2"):
        rt.crop_and_resize(X, torch.zeros(2, 4), torch.zeros(1, dtype=torch.int64), crop_height=2, crop_width=2)


@pytest.mark.parametrize("boxes, problem", [
    ([], "input 'boxes' is an empty list; give one Tensor[L, 4] per image"),
    ([PER_IMAGE[0], torch.zeros(4)], "input 'boxes'[1] must be a Tensor[L, 4] of one image's boxes; got shape [4]"),
    ([PER_IMAGE[0], ROIS5], "input 'boxes'[1] must be a Tensor[L, 4] of one image's boxes; got shape [3,5]"),
    ([PER_IMAGE[0], [1.0, 2, 3, 4]], "input 'boxes'[1] must be a Tensor[L, 4] of one image's boxes; got list"),
])
def test_per_image_boxes_of_another_form_are_named(boxes, problem):
    # torch.cat's own messages ("Tensors must have same number of dimensions") named neither.
    for fn, op in ((vision.roi_align, "RoIAlign"), (vision.ps_roi_pool, "PSRoIPool")):
        with pytest.raises(ValueError, match=re.escape(f"{op}: {problem}")):
            fn(X, boxes, 3)
    with pytest.raises(ValueError, match=re.escape(f"MultiScaleRoIAlign: {problem}")):
        vision.MultiScaleRoIAlign(["0"], 2, 2)({"0": X}, boxes, [(48, 56)] * 2)


def test_modules_export_as_roi_ops_nodes_with_the_eager_numbers():
    import roi_ops.torch as rt

    module = vision.RoIAlign((2, 2), 0.25, -1, aligned=True).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = rt.export(module, (X, ROIS5), dynamo=False)
    assert [n.op_type for n in model.graph.node if n.domain == roi_ops.DOMAIN] == ["RoIAlign"]
    feeds = {i.name: a.numpy() for i, a in zip(model.graph.input, (X, ROIS5))}
    np.testing.assert_allclose(roi_ops.make_session(model).run(None, feeds)[0], module(X, ROIS5).numpy(), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("dynamo", [True, False])
def test_export_keeps_the_number_of_rois_free_as_the_readme_shows(dynamo):
    import roi_ops.torch as rt

    pool = vision.RoIAlign(output_size=7, spatial_scale=1 / 16, sampling_ratio=2, aligned=True).eval()
    x, rois = torch.rand(1, 8, 50, 50), torch.tensor([[0, 10.0, 20, 300, 400]])
    kwargs = (dict(dynamic_shapes={"input": None, "rois": {0: torch.export.Dim("K")}}) if dynamo
              else dict(input_names=["input", "rois"], dynamic_axes={"rois": {0: "K"}}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = rt.export(pool, (x, rois), dynamo=dynamo, **kwargs)
    session = roi_ops.make_session(model)
    for k in (1, 6):
        r = torch.cat([torch.zeros(k, 1), torch.rand(k, 2) * 300, torch.rand(k, 2) * 300 + 300], 1)
        y = session.run(None, {"input": x.numpy(), "rois": r.numpy()})[0]
        assert y.shape == (k, 8, 7, 7)
        np.testing.assert_allclose(y, pool(x, r).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("featmap_names", [["feat1", "feat3"], ["feat1", "feat2", "feat3"], ["feat2"]])
def test_multi_scale_module_skips_levels_as_torchvision_does(torchvision_ops, featmap_names):
    """torchvision's own MultiScaleRoIAlign (its level code in Python) as the oracle: maps
    'feat1' and 'feat3' are 1/4 and 1/16 of the image, so RoIs of level index 2 get zeros there."""
    rng = np.random.default_rng(11)
    # Images 512 x 512: feat1, feat2, feat3 are 1/4, 1/8 and 1/16 of them.
    x = {f"feat{i}": torch.from_numpy(rng.standard_normal((2, 5, 256 >> i, 256 >> i)).astype(np.float32))
         for i in (1, 2, 3)}
    boxes = []
    for _ in range(2):
        b = torch.from_numpy(rng.uniform(0, 400, (12, 4)).astype(np.float32))
        b[:, 2:] = b[:, :2] + torch.from_numpy(rng.uniform(4, 500, (12, 2)).astype(np.float32))
        boxes.append(b)
    sizes = [(512, 512), (512, 512)]
    theirs = torchvision_ops.MultiScaleRoIAlign(featmap_names, 3, 2)(x, boxes, sizes)
    ours = vision.MultiScaleRoIAlign(featmap_names, 3, 2)(x, boxes, sizes)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
    if featmap_names == ["feat1", "feat3"]:
        assert (theirs.flatten(1).abs().amax(1) == 0).any()  # some RoIs really fell on the missing level
