"""Converters from other toolchains' RoI nodes to roi_ops nodes (docs/foreign.md).

Each toolchain's module registers, per (domain, op_type) and with the inputs a node must give
(a node without them is refused before its converter runs), a function ``convert(node, e, g) ->
None`` that appends the replacement to ``e.nodes`` (a ``NodeEmitter`` whose prefix is unique to
the node; ``g`` answers the graph's constants) or raises ``Refusal`` (or the builders'
ValueError) with the reason. ``convert_foreign`` runs them over a model: every
node converts completely or the whole call fails with one line per refused node, so no model
comes back half converted.
"""
from __future__ import annotations

import itertools
from typing import Callable

import onnx
from onnx import numpy_helper

from ..graph import all_nodes, drop_unused_import, node_label, replace_nodes
from ..standard_models import NodeEmitter


class Refusal(ValueError):
    """A foreign node that roi_ops cannot compute with the same numbers (the reason)."""


class Graph:
    """What a converter may ask of the graph: the value of a constant input."""

    def __init__(self, graph: onnx.GraphProto):
        self._values = {t.name: t for t in graph.initializer}
        for n in graph.node:
            if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
                for a in n.attribute:
                    if a.name == "value":
                        self._values[n.output[0]] = a.t

    def constant(self, name: str):
        """The numpy value of ``name`` if it is an initializer or a Constant's output, else None."""
        t = self._values.get(name)
        return None if t is None else numpy_helper.to_array(t)


Converter = Callable[[onnx.NodeProto, NodeEmitter, Graph], None]
CONVERTERS: dict[tuple[str, str], Converter] = {}
INPUTS: dict[tuple[str, str], tuple[str, ...]] = {}  # the inputs a node must give, in order


def converts(*keys: tuple[str, str], inputs: tuple[str, ...]):
    """Registers a converter for each (domain, op_type), for nodes that give at least `inputs`
    (checked before the converter runs, so that it may index them)."""

    def register(fn: Converter) -> Converter:
        for key in keys:
            CONVERTERS[key] = fn
            INPUTS[key] = inputs
        return fn

    return register


def _missing_inputs(node: onnx.NodeProto) -> str:
    """The refusal for a node that does not give its required inputs, or ""."""
    need = INPUTS[(node.domain, node.op_type)]
    if len(node.input) >= len(need) and all(node.input[:len(need)]):
        return ""
    return f"needs inputs {', '.join(need)}; got {len([i for i in node.input if i])}"


def is_foreign(node: onnx.NodeProto) -> bool:
    return (node.domain, node.op_type) in CONVERTERS


def foreign_nodes(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """The nodes of `model` (subgraphs included) that a converter here takes onto roi_ops."""
    from . import contrib, mmcv, openvino, tensorrt  # noqa: F401 - they register their converters

    return [n for n in all_nodes(model.graph) if is_foreign(n)]


def convert_foreign(model: onnx.ModelProto) -> tuple[onnx.ModelProto, list[str], list[str]]:
    """(model with every foreign RoI node converted, converted labels, refusals). When a node is
    refused the model comes back unchanged: the caller reports the refusals."""
    from . import contrib, mmcv, openvino, tensorrt  # noqa: F401 - they register their converters

    counter = itertools.count()
    converted: list[str] = []
    refused: list[str] = []
    g = Graph(model.graph)

    def replace(node: onnx.NodeProto):
        label = f"{node.domain}::{node_label(node)}"
        e = NodeEmitter(f"{node.name or node.op_type}_roi_ops{next(counter)}_")
        try:
            missing = _missing_inputs(node)
            if missing:
                raise Refusal(missing)
            CONVERTERS[(node.domain, node.op_type)](node, e, g)
        except ValueError as r:  # Refusal, or a builder's message about an attribute
            refused.append(f"{label}: {r}")
            return [node]
        except TypeError as r:  # an attribute of another kind than the toolchain writes (a list for an int)
            given = ", ".join(f"{a.name} ({onnx.AttributeProto.AttributeType.Name(a.type).lower()})"
                              for a in node.attribute)
            refused.append(f"{label}: an attribute of an unexpected kind ({r}); given: {given}")
            return [node]
        converted.append(f"{label} -> {', '.join(n.op_type for n in e.nodes if n.domain == 'roi_ops')}")
        return e.nodes

    out = replace_nodes(model, is_foreign, replace)
    if refused:
        return model, [], refused
    crops = [n.output[0] for n in out.graph.node if n.domain == "roi_ops" and n.op_type == "CropAndResize"]
    contrib.fold_transposes(out, crops)
    for domain in {d for d, _ in CONVERTERS} - {"", "ai.onnx"}:  # foreign imports no node uses any more
        drop_unused_import(out, domain)
    return out, converted, refused


def required(node: onnx.NodeProto, a: dict, name: str):
    if name not in a:
        raise Refusal(f"attribute '{name}' is missing")
    return a[name]


def pyramid(strides, what: str) -> list[float]:
    """spatial_scales for feature maps of `strides` (finest first), which must be consecutive
    powers of two: the foreign ops number levels 0 .. L-1, which roi_ops' level rule expresses
    only for consecutive pyramid levels."""
    import math

    strides = [float(s) for s in strides]
    levels = [math.log2(s) if s > 0 and math.isfinite(s) else 0.5 for s in strides]
    if not strides or any(lv != round(lv) for lv in levels) or any(
            b != a + 1 for a, b in zip(levels, levels[1:])):
        raise Refusal(f"{what} {strides} are not consecutive powers of two (e.g. [4, 8, 16, 32]); roi_ops "
                      f"assigns levels the same way only for consecutive pyramid levels")
    return [1.0 / s for s in strides]
