#!/usr/bin/env python3
"""Regenerates the detector models in this folder (one command, no downloads):

    python models/generate.py

For each model of detectors.py: `<name>.onnx`, exported from PyTorch through the roi_ops
translations (dynamo exporter), and, where standard ONNX ops can express the RoI op,
`<name>.standard.onnx` (roi_ops.convert.to_standard: MultiScaleRoIAlign unrolled per level,
RoIAlign as RoiAlign-16). PSRoIPool and RoIAlignRotated have no standard form.
"""
from __future__ import annotations

import os
import sys
import warnings

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detectors  # noqa: E402

import roi_ops.torch as rt  # noqa: E402
from roi_ops import convert  # noqa: E402


def export(name: str) -> onnx.ModelProto:
    model = detectors.build(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_model = rt.export(model, detectors.example_inputs(name), dynamo=True,
                               input_names=detectors.input_names(name),
                               output_names=detectors.MODELS[name][2], verbose=False)
    onnx_model.producer_name = "roi-ops models/generate.py"
    strip_trace_metadata(onnx_model.graph)
    return onnx_model


def strip_trace_metadata(graph: onnx.GraphProto) -> None:
    """Drops the exporter's per-node metadata (stack traces with this machine's paths and line
    numbers), so the files depend only on the models and regenerate byte for byte."""
    for node in graph.node:
        del node.metadata_props[:]
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                strip_trace_metadata(attr.g)
    for value in list(graph.value_info) + list(graph.input) + list(graph.output) + list(graph.initializer):
        del value.metadata_props[:]


def main() -> int:
    for name in detectors.MODELS:
        m = export(name)
        onnx.save(m, os.path.join(HERE, f"{name}.onnx"))
        print(f"wrote models/{name}.onnx")
        try:
            std = convert.to_standard(m)
        except convert.ConversionError as e:
            print(f"  no standard-op form: {e}")
            continue
        onnx.save(std, os.path.join(HERE, f"{name}.standard.onnx"))
        print(f"wrote models/{name}.standard.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
