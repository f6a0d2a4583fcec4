"""RoIs that a graph only converts between the two layouts every box op takes (docs/spec.md):
[K,5] with the batch index first, or [K,4] with int64 batch indices. A roi_ops node reads the
tensors from before such a conversion, and the conversion's nodes go when nothing else reads them:

- boxes = R[:, 1:] and batch_indices = Cast(R[:, 0]) of one [K,5] tensor R: the node reads R.
  ``convert --to standard`` splits a [K,5] node so (``standard_models.split_batch_column``), and
  torchvision's ``roi_align`` symbolic feeds ``RoiAlign`` so.
- rois = Concat(Cast(Unsqueeze(b)), boxes) of int64 indices b and [K,4] boxes: the node reads
  boxes and b (``convert --to standard`` feeds ``MaxRoiPool`` so).

So a round trip through the standard form gives back the node it started from. The numbers are
the same for every valid input; a [K,5] batch index that is not an integer, which the Cast
truncated, is now refused by the op, as the [K,5] layout's index must be an exact integer.
"""
from __future__ import annotations

from typing import Optional

import onnx

from .._library import DOMAIN
from ..graph import element_types, infer_leniently
from .index import GraphIndex, NoMatch
from .levels import column, columns
from .rewrite import drop_newly_dead, live_nodes

# The ops whose rois take either layout: the input index of their rois (batch_indices follows).
_ROIS_INPUT = {"RoIAlign": 1, "RoIPool": 1, "PSRoIAlign": 1, "PSRoIPool": 1, "MultiScaleRoIAlign": 0}
_TO_THE_END = 2**31 - 1  # a Slice end at or past this keeps every column after the start


def restore_roi_layouts(model: onnx.ModelProto) -> None:
    """Rewires, in ``model``'s main graph, each roi_ops node whose RoIs go through a layout
    conversion to the tensors before it, and drops the conversion's nodes that no longer have a
    reader."""
    graph, ix, nodes = model.graph, GraphIndex(model.graph), list(model.graph.node)
    known: dict = {}  # widths and element types, each worked out once and only when needed

    def facts(kind: str) -> dict:
        if kind not in known:
            known[kind] = _widths(infer_leniently(model).graph) if kind == "width" else element_types(model)
        return known[kind]

    live_before, rewired = live_nodes(graph, nodes), False
    for n in nodes:
        at = _ROIS_INPUT.get(n.op_type) if n.domain == DOMAIN else None
        if at is None:
            continue
        batch = n.input[at + 1] if len(n.input) > at + 1 else ""
        inputs = _whole(ix, n.input[at], batch, facts) if batch else _split(ix, n.input[at], facts)
        if inputs is None:
            continue
        rois, batch = inputs
        while len(n.input) <= at + 1:
            n.input.append("")
        n.input[at], n.input[at + 1] = rois, batch
        if not batch and len(n.input) == at + 2:  # an optional last input: omitted, not empty
            n.input.pop()
        rewired = True
    if rewired:
        drop_newly_dead(graph, live_before, nodes)


def _whole(ix: GraphIndex, boxes: str, batch: str, facts) -> Optional[tuple[str, str]]:
    """(R, "") where boxes are R's columns 1 onwards, or 1-4 of a known [K,5] R, and batch is R's
    column 0 (through Cast / Identity); None otherwise."""
    try:
        rois, cols = columns(ix, boxes)
        if cols[:4] != [1, 2, 3, 4] or column(ix, ix.skip(batch, "Cast", "Identity")) != (rois, 0):
            return None
    except NoMatch:
        return None
    if len(cols) == 4:  # with more columns than 5, 1-4 are not all of them
        return (rois, "") if facts("width").get(rois) == 5 else None
    sl = ix.producer[boxes]
    end = ix.const(sl.input[2]) if sl.op_type == "Slice" else None
    return (rois, "") if end is not None and int(end.reshape(-1)[0]) >= _TO_THE_END else None


def _split(ix: GraphIndex, rois: str, facts) -> Optional[tuple[str, str]]:
    """(boxes, b) where rois = Concat(Cast or CastLike(Unsqueeze(b, axis 1)), boxes) along axis 1
    and b is int64; None otherwise."""
    if ix.op(rois) != "Concat":
        return None
    cat = ix.producer[rois]
    if ix.attr(cat, "axis") not in (1, -1) or len(cat.input) != 2 or ix.op(ix.skip(cat.input[0], "Cast", "CastLike")) \
            != "Unsqueeze":
        return None
    unsqueeze = ix.producer[ix.skip(cat.input[0], "Cast", "CastLike")]
    b = unsqueeze.input[0]
    if ix.axes(unsqueeze) not in ([1], [-1]) or facts("type").get(b) != onnx.TensorProto.INT64:
        return None
    return cat.input[1], b


def _widths(graph: onnx.GraphProto) -> dict[str, int]:
    """The known last dimension of each 2-D value of ``graph``, declared or inferred."""
    widths = {}
    for v in (*graph.input, *graph.value_info, *graph.output):
        dims = v.type.tensor_type.shape.dim
        if len(dims) == 2 and dims[1].HasField("dim_value"):
            widths[v.name] = dims[1].dim_value
    widths.update((t.name, t.dims[1]) for t in graph.initializer if len(t.dims) == 2)
    return widths
