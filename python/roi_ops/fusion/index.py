"""A read-only index of one ONNX graph for pattern matching: who produces and who reads each
tensor, and the value of every constant (``Constant`` nodes and initializers, through
``Identity``), so patterns can be matched on structure and constants whatever the exporter or
constant folder did with names and node order."""
from __future__ import annotations

from typing import Optional

import numpy as np
import onnx
from onnx import helper, numpy_helper

STANDARD = ("", "ai.onnx")


class NoMatch(Exception):
    """The subgraph differs from the pattern; the message says where (shown by ``convert -v``)."""


class GraphIndex:
    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.producer: dict[str, onnx.NodeProto] = {}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in graph.node:
            for o in n.output:
                if o:
                    self.producer[o] = n
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)
        self.initializers = {t.name: t for t in graph.initializer}
        self.graph_outputs = {o.name for o in graph.output}

    # --- nodes ---------------------------------------------------------------------------------
    def node(self, tensor: str, *op_types: str) -> onnx.NodeProto:
        """The standard-domain node producing ``tensor``, which must be one of ``op_types``."""
        n = self.producer.get(tensor)
        if n is None or n.domain not in STANDARD or (op_types and n.op_type not in op_types):
            got = "a graph input or initializer" if n is None else f"{n.op_type} node {n.name!r}"
            raise NoMatch(f"expected {' or '.join(op_types)} producing {tensor!r}, found {got}")
        return n

    def op(self, tensor: str) -> Optional[str]:
        n = self.producer.get(tensor)
        return n.op_type if n is not None and n.domain in STANDARD else None

    def skip(self, tensor: str, *op_types: str) -> str:
        """Walks up through nodes of ``op_types`` (first input each) and returns the first tensor
        produced otherwise: Identity and same-type Casts that exporters insert or folders drop."""
        while self.op(tensor) in op_types:
            tensor = self.producer[tensor].input[0]
        return tensor

    # --- constants -----------------------------------------------------------------------------
    def const(self, tensor: str) -> Optional[np.ndarray]:
        """The value of a constant tensor, or None if it is computed at run time."""
        # CastLike: roi_ops' own standard form casts its float constants to the RoIs' type
        tensor = self.skip(tensor, "Identity", "CastLike")
        if tensor in self.initializers:
            return numpy_helper.to_array(self.initializers[tensor])
        n = self.producer.get(tensor)
        if n is None or n.op_type != "Constant" or n.domain not in STANDARD:
            return None
        a = n.attribute[0]
        value = helper.get_attribute_value(a)
        if isinstance(value, onnx.TensorProto):
            return numpy_helper.to_array(value)
        return np.asarray(value)

    def scalar(self, tensor: str, what: str) -> float:
        value = self.const(tensor)
        if value is None or value.size != 1:
            raise NoMatch(f"{what}: expected a constant scalar in {tensor!r}")
        return float(value.reshape(-1)[0])

    def added_constant(self, tensor: str) -> tuple[str, float]:
        """``x + c`` / ``x - c`` with a constant scalar c -> (x, c or -c); else (tensor, 0)."""
        if self.op(tensor) not in ("Add", "Sub"):
            return tensor, 0.0
        n = self.producer[tensor]
        for i, other in ((1, 0), (0, 1)):
            value = self.const(n.input[i])
            if value is not None and value.size == 1 and not (n.op_type == "Sub" and i == 0):
                v = float(value.reshape(-1)[0])
                return n.input[other], -v if n.op_type == "Sub" else v
        return tensor, 0.0

    def multiplied_constant(self, tensor: str, what: str) -> tuple[str, float]:
        """``x * c`` with a constant scalar c (either side) -> (x, c); else ``NoMatch`` naming `what`."""
        n = self.node(tensor, "Mul")
        for a, b in (n.input, reversed(n.input)):
            value = self.const(b)
            if value is not None and value.size == 1 and float(value.reshape(-1)[0]) != 0:
                return a, float(value.reshape(-1)[0])
        raise NoMatch(f"{what}: expected a product with a constant at {n.name!r}")

    def attr(self, node: onnx.NodeProto, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                v = helper.get_attribute_value(a)
                return v.decode() if isinstance(v, bytes) else v
        return default

    def axes(self, node: onnx.NodeProto) -> Optional[list[int]]:
        """The axes of Squeeze / Unsqueeze, from the attribute (opset < 13) or the input."""
        if len(node.input) > 1 and node.input[1]:
            value = self.const(node.input[1])
            return None if value is None else [int(v) for v in value.reshape(-1)]
        axes = self.attr(node, "axes")
        return None if axes is None else list(axes)
