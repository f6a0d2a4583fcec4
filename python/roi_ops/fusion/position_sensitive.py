"""PSRoIAlign in the standard form that ``convert --to standard`` writes for it
(``standard_models.ps_roi_align_nodes``): ``RoiAlign`` of every channel at every bin, then
Reshape ``[0, -1, B*B]``, Gather (axis 2) of each bin's own channel ``b*B + b`` and Reshape
``[0, -1, oh, ow]``, with B = oh * ow bins. Once the ``RoiAlign`` is a roi_ops ``RoIAlign``, the
four nodes become one ``PSRoIAlign``, which computes B times fewer values and the same numbers.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import onnx

from .._library import DOMAIN
from ..attributes import defaults
from ..builders import make_ps_roi_align_node
from ..graph import attribute_values, node_label
from .index import STANDARD, GraphIndex
from .rewrite import drop_newly_dead, live_nodes


def fuse_position_sensitive(model: onnx.ModelProto) -> list[str]:
    """Replaces, in ``model``'s main graph, each roi_ops ``RoIAlign`` (avg, aligned) whose output
    only the standard form's Reshape, Gather and Reshape read by one ``PSRoIAlign``; returns a
    line for each (``ConversionReport.position_sensitive``)."""
    graph, ix, nodes = model.graph, GraphIndex(model.graph), list(model.graph.node)
    live_before, fused, picking, lines = live_nodes(graph, nodes), {}, set(), []
    for n in nodes:
        if n.domain == DOMAIN and n.op_type == "RoIAlign":
            steps = _picking_steps(ix, n)
            if steps is not None:
                fused[id(n)] = _ps_node(n, steps[-1])
                picking.update(id(s) for s in steps)
                lines.append(f"{node_label(n)}: PSRoIAlign's standard form (RoIAlign of every channel at every "
                             f"bin, Reshape, Gather, Reshape), 4 nodes -> 1 PSRoIAlign")
    if fused:
        drop_newly_dead(graph, live_before, [fused.get(id(n), n) for n in nodes if id(n) not in picking])
    return lines


def _only_reader(ix: GraphIndex, tensor: str, op_type: str) -> Optional[onnx.NodeProto]:
    readers = ix.consumers.get(tensor, [])
    if tensor in ix.graph_outputs or len(readers) != 1 or readers[0].op_type != op_type or \
            readers[0].domain not in STANDARD:
        return None
    return readers[0]


def _picking_steps(ix: GraphIndex, n: onnx.NodeProto) -> Optional[list[onnx.NodeProto]]:
    """The Reshape, Gather, Reshape that keep each bin's own channel group of RoIAlign ``n``'s
    output, or None where ``n`` is not read only so."""
    a = _attributes(n)
    if a["mode"] != "avg" or a["aligned"] != 1:
        return None
    oh, ow = a["output_height"], a["output_width"]
    bins = oh * ow
    grouped = _only_reader(ix, n.output[0], "Reshape")
    picked = grouped and _only_reader(ix, grouped.output[0], "Gather")
    back = picked and _only_reader(ix, picked.output[0], "Reshape")
    if back is None or ix.attr(picked, "axis", 0) != 2:
        return None
    expected = [(grouped.input[1], [0, -1, bins * bins]), (picked.input[1], [b * bins + b for b in range(bins)]),
                (back.input[1], [0, -1, oh, ow])]
    for tensor, value in expected:
        const = ix.const(tensor)
        if const is None or not np.array_equal(const.reshape(-1), value):
            return None
    return [grouped, picked, back]


def _attributes(n: onnx.NodeProto) -> dict:
    return {**defaults("RoIAlign"), **attribute_values(n)}


def _ps_node(n: onnx.NodeProto, last: onnx.NodeProto) -> onnx.NodeProto:
    """The PSRoIAlign that writes ``last``'s output, under its name (to_standard gives that node
    the PSRoIAlign's own)."""
    a = _attributes(n)
    return make_ps_roi_align_node(n.input[0], n.input[1], n.input[2] if len(n.input) > 2 and n.input[2] else None,
                                  last.output[0], name=last.name or n.name, output_height=a["output_height"],
                                  output_width=a["output_width"], spatial_scale=a["spatial_scale"],
                                  sampling_ratio=a["sampling_ratio"])
