"""One table of attribute defaults (roi_ops.attributes): every Python signature, the ONNX schemas
and docs/ops.md agree with it, and the library's own C++ parse defaults give the reference's
numbers when a node omits every optional attribute."""
from __future__ import annotations

import inspect
import pathlib
import re

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, defs, helper

import roi_ops
from roi_ops import builders, reference, standard_models
from roi_ops.attributes import ATTRIBUTES, OP_TYPES, defaults
from roi_ops.evaluator import make_evaluator
from roi_ops.schemas import register_schemas

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "ops.md"
SNAKE = {"RoIAlign": "roi_align", "RoIPool": "roi_pool", "PSRoIAlign": "ps_roi_align", "PSRoIPool": "ps_roi_pool",
         "RoIAlignRotated": "roi_align_rotated", "MultiScaleRoIAlign": "multi_scale_roi_align",
         "MultiScaleRoIAlignRotated": "multi_scale_roi_align_rotated", "CropAndResize": "crop_and_resize"}


def _signatures(op: str):
    name = SNAKE[op]
    yield f"builders.make_{name}_node", getattr(builders, f"make_{name}_node")
    yield f"reference.{name}", getattr(reference, name)
    if op == "MultiScaleRoIAlign":
        yield "reference.fpn_levels", reference.fpn_levels
    if op == "PSRoIAlign":
        yield "standard_models.ps_roi_align_nodes", standard_models.ps_roi_align_nodes
    try:
        import roi_ops.torch as rt
    except ImportError:  # the torch extra is optional; the rest of the table is still checked
        return
    yield f"roi_ops.torch.{name}", getattr(rt, name)
    if op == "MultiScaleRoIAlign":
        yield "roi_ops.torch.MultiScaleRoIAlign", rt.MultiScaleRoIAlign.__init__


@pytest.mark.parametrize("op", OP_TYPES)
def test_every_signature_takes_the_table_defaults(op):
    table = ATTRIBUTES[op]
    checked = 0
    for where, fn in _signatures(op):
        for p in inspect.signature(fn).parameters.values():
            if p.name not in table:
                continue
            a = table[p.name]
            checked += 1
            if p.default is inspect.Parameter.empty:
                continue  # a signature may ask for it (torchvision's MultiScaleRoIAlign requires sampling_ratio)
            assert not a.required, f"{where}: {p.name} is required, has a default"
            assert p.default == a.default, f"{where}: {p.name} defaults to {p.default!r}, table {a.default!r}"
    assert checked >= len(table)


@pytest.mark.parametrize("op", OP_TYPES)
def test_schema_attributes_are_the_table(op):
    register_schemas()
    schema = defs.get_schema(op, 1, roi_ops.DOMAIN)
    assert set(schema.attributes) == set(ATTRIBUTES[op])
    for name, a in ATTRIBUTES[op].items():
        s = schema.attributes[name]
        assert s.required == a.required
        if not a.required:
            value = helper.get_attribute_value(s.default_value)
            value = value.decode() if isinstance(value, bytes) else value
            assert value == (a.default if a.kind == "string" else pytest.approx(a.default))


def _docs_section(op: str) -> str:
    text = DOCS.read_text()
    for part in re.split(r"^## ", text, flags=re.M):
        heading = part.split("\n", 1)[0]
        if re.search(rf"\b{op}\b", heading):
            return part
    raise AssertionError(f"docs/ops.md has no section for {op}")


def _docs_value(cell: str):
    cell = cell.strip()
    if cell.startswith('"'):
        return cell.split('"')[1]
    return float(cell.split()[0])


@pytest.mark.parametrize("op", OP_TYPES)
def test_docs_state_the_table(op):
    section = _docs_section(op)
    for name in ATTRIBUTES[op]:
        assert re.search(rf"\b{name}\b", section), f"docs/ops.md, {op}: attribute {name} not described"
    for row in re.findall(r"^\| ([a-z_, ]+) \| ([^|]*) \| ([^|]*) \|$", section, flags=re.M):
        names, kind, default = (c.strip() for c in row)
        if names == "attribute":
            continue
        for name in names.split(", "):
            a = ATTRIBUTES[op][name]
            if kind.startswith("as "):  # "as RoIAlign": that op's default
                other = kind.split()[1]
                assert a.default == ATTRIBUTES[other][name].default, f"{op}.{name} differs from {other}"
            elif a.required:
                assert default.startswith("required"), f"docs/ops.md, {op}.{name}: {default!r}"
            else:
                assert kind == a.kind, f"docs/ops.md, {op}.{name}: type {kind!r}, table {a.kind!r}"
                assert _docs_value(default) == a.default, f"docs/ops.md, {op}.{name}: {default!r}"


# One model per op with only the required attributes; the library's parse defaults must give the
# numbers of the reference run with no attributes at all (the table's defaults).
rng = np.random.default_rng(7)
X = rng.standard_normal((2, 8, 12, 14)).astype(np.float32)  # default bins are 1x1: the PS ops keep C
BOXES = np.array([[0, 1.2, 2.3, 9.7, 8.1], [1, 3.5, 0.4, 6.6, 11.2], [0, 0.0, 0.0, 13.0, 11.0]], np.float32)
ROTATED = np.array([[0, 6.0, 5.0, 7.0, 4.0, 30.0], [1, 7.5, 6.5, 3.0, 8.0, -65.0]], np.float32)
CROPS = np.array([[0.1, 0.2, 0.8, 0.7], [0.0, 0.0, 1.0, 1.0]], np.float32)


def _case(op: str):
    """(node inputs, feeds, required attributes) for a node of ``op``."""
    if op.startswith("MultiScaleRoIAlign"):
        # Image 160 x 160; boxes of side ~30 and ~110 go to X_0, ~140 to X_1 (224 * 2^-1.x).
        maps = {"X_0": rng.standard_normal((2, 4, 40, 40)).astype(np.float32),
                "X_1": rng.standard_normal((2, 4, 20, 20)).astype(np.float32)}
        rois = np.array([[0, 10, 10, 40, 40], [1, 5, 8, 150, 140], [0, 0, 0, 120, 100], [1, 20, 30, 160, 160]],
                        np.float32)
        if op == "MultiScaleRoIAlignRotated":  # the same boxes as (cx, cy, w, h, angle)
            rois = np.concatenate([rois[:, :1], (rois[:, 1:3] + rois[:, 3:5]) / 2, rois[:, 3:5] - rois[:, 1:3],
                                   np.array([[20.0], [-35.0], [90.0], [0.0]], np.float32)], 1)
        return ["rois", "", "X_0", "X_1"], dict(rois=rois, **maps), {"spatial_scales": [0.25, 0.125]}
    if op == "CropAndResize":
        return ["X", "boxes", "box_indices"], dict(X=X, boxes=CROPS, box_indices=np.array([1, 0], np.int64)), \
            {"crop_height": 3, "crop_width": 4}
    return ["X", "rois"], dict(X=X, rois=ROTATED if op == "RoIAlignRotated" else BOXES), {}


@pytest.mark.parametrize("op", OP_TYPES)
def test_omitted_attributes_mean_the_same_in_library_and_reference(op):
    names, feeds, required = _case(op)
    node = helper.make_node(op, names, ["Y"], domain=roi_ops.DOMAIN, **required)
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64 if n == "box_indices" else TensorProto.FLOAT, None)
              for n in names if n]
    model = builders.make_model([node], inputs, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    so = ort.SessionOptions()
    so.register_custom_ops_library(roi_ops.get_library_path())
    got = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    args = [feeds[n] if n else None for n in names]
    want = reference.BY_OP_TYPE[op](*args, **required)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(want).max() > 0  # the case samples real values
    evaluated = make_evaluator(model).run(None, feeds)[0]  # schema defaults from the table
    np.testing.assert_array_equal(evaluated, want)


def test_defaults_leave_out_the_required_ones():
    assert "spatial_scales" not in defaults("MultiScaleRoIAlign")
    assert defaults("RoIAlignRotated")["aligned"] == 1 and defaults("RoIAlign")["aligned"] == 0
