"""OpenVINO reads roi_ops models: conversion extensions for its ONNX frontend that build each
roi_ops node from its standard-op body (``roi_ops.functions``).

OpenVINO (2026.4) does not expand model-local ONNX functions, so a model with bodies attached
fails there with "No conversion rule found for operations: roi_ops.<op>". With these extensions
it reads such a model as it is, with or without bodies attached; no compiled library is involved:

    import openvino as ov
    from roi_ops.openvino_frontend import conversion_extensions
    core = ov.Core()
    core.add_extension(conversion_extensions())
    compiled = core.compile_model(core.read_model("model.onnx"), "CPU")

Each node becomes the nodes of the body ``function_for`` gives its form (the body is read by
OpenVINO's own ONNX frontend and spliced in), so OpenVINO computes what it computes for the
bodies: the library's numbers within float32 rounding, except ``onnx_max``, whose ONNX
``RoiAlign`` max OpenVINO takes as max(largest sample, 0). A form without a body fails to convert
with the reason ``attach_functions`` reports. Needs the ``openvino`` extra.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from ._library import DOMAIN
from .attributes import ATTRIBUTES, FLOAT, FLOATS, INT
from .functions import function_for
from .graph import DEFAULT_OPSET

_CAST = {INT: int, FLOAT: float, FLOATS: lambda v: [float(x) for x in v]}


def _attribute(ctx, a) -> onnx.AttributeProto:
    value = ctx.get_attribute(a.name)
    return helper.make_attribute(a.name, _CAST.get(a.kind, str)(value))


def _is_given(output) -> bool:
    # An absent optional input reaches the converter as OpenVINO's NullNode.
    return output.get_node().get_type_name() != "NullNode"


def _value_info(name: str, output) -> onnx.ValueInfoProto:
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(output.get_element_type().to_dtype()))
    shape = output.get_partial_shape()
    dims = [d.get_length() if d.is_static else None for d in shape] if shape.rank.is_static else None
    return helper.make_tensor_value_info(name, elem, dims)


def _converter(op_type: str, core):
    def convert(ctx) -> list:
        inputs = [ctx.get_input(i) for i in range(ctx.get_input_size())]
        given = [_is_given(i) for i in inputs]
        node = helper.make_node(op_type, [f"in{i}" if g else "" for i, g in enumerate(given)], ["Y"], domain=DOMAIN)
        node.attribute.extend(_attribute(ctx, a) for a in ATTRIBUTES[op_type].values() if ctx.has_attribute(a.name))
        fn = function_for(node, DEFAULT_OPSET)  # raises with the node's reason when it has none
        formal = [(f, i) for f, i, g in zip(fn.input, inputs, given) if g]
        features = inputs[2] if op_type.startswith("MultiScale") else inputs[0]
        graph = helper.make_graph(list(fn.node), op_type, [_value_info(f, i) for f, i in formal],
                                  [_value_info("Y", features)])
        body = core.read_model(helper.make_model(graph, opset_imports=list(fn.opset_import),
                                                 ir_version=10).SerializeToString(), b"")
        for op in body.get_ops():  # the body's tensor names would repeat for every node of this form
            for out in op.outputs():
                out.get_tensor().set_names(set())
        parameters = {p.get_friendly_name(): p for p in body.get_parameters()}
        for name, source in formal:
            if name in parameters:  # a body may leave an input unused; OpenVINO then drops it
                for target in list(parameters[name].output(0).get_target_inputs()):
                    target.replace_source_output(source)
        return [r.input_value(0) for r in body.get_results()]

    return convert


def conversion_extensions() -> list:
    """One OpenVINO ONNX-frontend ``ConversionExtension`` per roi_ops op, for ``Core.add_extension``."""
    try:
        import openvino as ov
        from openvino.frontend.onnx import ConversionExtension
    except ImportError as e:
        raise ImportError(f"roi_ops.openvino_frontend needs openvino ({e}): pip install 'roi-ops[openvino]'") from None

    core = ov.Core()  # reads the bodies; kept apart from the user's core and its extensions
    return [ConversionExtension(op, DOMAIN, _converter(op, core)) for op in ATTRIBUTES]
