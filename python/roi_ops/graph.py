"""Model surgery on ``onnx.ModelProto``: small pure functions that return new models, add the
``roi_ops`` opset import, keep value infos, and leave the model valid for
``onnx.checker.check_model(model, full_check=True)`` (``check`` below)."""
from __future__ import annotations

import difflib
from typing import Callable, Iterable, Iterator, Sequence

import onnx
from onnx import shape_inference

from ._files import one_line
from ._library import DOMAIN
from .attributes import ATTRIBUTES
from .builders import add_opset_import
from .schemas import register_schemas


def check(model: onnx.ModelProto, *, allow_shapeless_io: bool = False) -> None:
    """``onnx.checker.check_model(model, full_check=True)`` with the roi_ops schemas registered.

    The checker requires every graph input and output to declare a shape, which onnxruntime does
    not: with ``allow_shapeless_io`` (the converters' setting, which must take every model
    onnxruntime runs) a model that fails only on that is checked by strict shape and type
    inference instead, which still validates every node against its schema."""
    register_schemas()
    check_roi_ops_nodes(model)
    size = model.ByteSize()
    if size > onnx.checker.MAXIMUM_PROTOBUF:  # onnx's checker and shape inference take no more
        raise ValueError(f"the model is {size / 2**30:.1f} GiB with its weights, past protobuf's 2 "
                         "GiB: load it with onnx.load(path, load_external_data=False), so that its weights "
                         "stay in their data files (roi-ops convert does)")
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        if not allow_shapeless_io or "Field 'shape' of 'type' is required" not in str(e):
            raise
        shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


def require_model(model, caller: str) -> None:
    """A TypeError unless `model` is an ``onnx.ModelProto``: the conversions take one, not a path
    or bytes (whose external data and output place only the caller knows)."""
    if not isinstance(model, onnx.ModelProto):
        how = (" (parse it with onnx.load_model_from_string)" if isinstance(model, bytes) else
               " (read it with onnx.load(path))" if isinstance(model, str) or hasattr(model, "__fspath__") else "")
        raise TypeError(f"{caller} takes an onnx.ModelProto, not {type(model).__name__}{how}")


class InvalidModel(ValueError):
    """The model given to a conversion fails onnx's check itself (the message says why)."""


def check_result(out: onnx.ModelProto, source: onnx.ModelProto) -> None:
    """``check`` of a conversion's result; when it fails and the source fails the same check,
    ``InvalidModel`` with the source's problem (a model onnxruntime would refuse too, such as
    rois of another type than X), since the conversion only carried that problem over."""
    try:
        check(out, allow_shapeless_io=True)
    except (onnx.checker.ValidationError, shape_inference.InferenceError):
        try:
            check(source, allow_shapeless_io=True)
        except (onnx.checker.ValidationError, shape_inference.InferenceError) as e:
            raise InvalidModel(f"the model fails onnx's check before any change: {one_line(e)}") from e
        raise


def check_roi_ops_nodes(model: onnx.ModelProto) -> None:
    """Every node of the roi_ops domain names an op and attributes the domain has; a misspelling
    raises ``onnx.checker.ValidationError`` with the closest name. (onnx's checker lets unknown ops
    of a custom domain pass, and onnxruntime runs a misspelt optional attribute silently: its C API
    cannot list a node's attributes to the library.)"""
    for node in model.graph.node:
        if node.domain != DOMAIN:
            continue
        where = f"roi_ops node '{node.name}'" if node.name else "an unnamed roi_ops node"
        if node.op_type not in ATTRIBUTES:
            raise onnx.checker.ValidationError(
                f"{where}: roi_ops has no op {node.op_type!r}{_did_you_mean(node.op_type, ATTRIBUTES)} "
                f"(ops: {', '.join(ATTRIBUTES)})")
        known = ATTRIBUTES[node.op_type]
        for a in node.attribute:
            if a.name not in known:
                raise onnx.checker.ValidationError(
                    f"{node.op_type} ({where}): unknown attribute {a.name!r}{_did_you_mean(a.name, known)} "
                    f"({node.op_type} takes {', '.join(known)})")


def checker_context(model: onnx.ModelProto) -> onnx.checker.C.CheckerContext:
    """onnx's checker context for ``model``'s nodes (its IR version and imports), with the roi_ops
    schemas registered, so that roi_ops nodes are checked and not passed as unknown ops."""
    register_schemas()
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = model.ir_version or onnx.IR_VERSION
    ctx.opset_imports = {i.domain: i.version for i in model.opset_import}
    return ctx


def _did_you_mean(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def infer_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """``onnx.shape_inference.infer_shapes`` with the roi_ops schemas registered (strict)."""
    register_schemas()
    return shape_inference.infer_shapes(model, strict_mode=True)


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    return out


def _with_imports(model: onnx.ModelProto, nodes: Iterable[onnx.NodeProto]) -> onnx.ModelProto:
    return add_opset_import(model) if any(n.domain == DOMAIN for n in nodes) else model


def _refresh_value_infos(model: onnx.ModelProto) -> onnx.ModelProto:
    """Drops the old intermediate value infos and infers them again."""
    model.graph.ClearField("value_info")
    return infer_shapes(model)


def insert_node(model: onnx.ModelProto, node: onnx.NodeProto, *, rewire: dict[str, str] | None = None,
                new_inputs: Sequence[onnx.ValueInfoProto] = ()) -> onnx.ModelProto:
    """A copy of ``model`` with ``node`` inserted after the producers of its inputs.

    ``new_inputs`` are graph inputs to add first (e.g. the RoIs the node reads).
    ``rewire={old: new}`` puts the node between tensors: every other consumer of ``old`` (and a
    graph output named ``old``) reads ``new`` instead, where ``new`` is one of the node's
    outputs. Value infos of the new tensors are inferred.
    """
    out = _copy(model)
    g = out.graph
    g.input.extend(new_inputs)
    produced = {o: i for i, n in enumerate(g.node) for o in n.output}
    missing = [i for i in node.input if i and i not in produced and i not in {v.name for v in g.input}
               and i not in {t.name for t in g.initializer}]
    if missing:
        raise ValueError(f"node {node.name or node.op_type!r} reads {missing}, which no node, input or initializer "
                         f"of the model provides")
    clash = [o for o in node.output if o in produced or o in {v.name for v in g.input}]
    if clash:
        raise ValueError(f"node {node.name or node.op_type!r} writes {clash}, which the model already defines")
    position = max([produced[i] + 1 for i in node.input if i in produced], default=0)
    for old, new in (rewire or {}).items():
        if new not in node.output:
            raise ValueError(f"rewire target {new!r} is not an output of the inserted node")
        for n in g.node:
            n.input[:] = [new if i == old else i for i in n.input]
        for o in g.output:
            if o.name == old:
                o.name = new
                o.type.tensor_type.ClearField("shape")
                o.type.tensor_type.shape.SetInParent()  # re-inferred below
    g.node.insert(position, node)
    return _refresh_value_infos(_with_imports(out, [node]))


def replace_nodes(model: onnx.ModelProto, match: Callable[[onnx.NodeProto], bool],
                  replace: Callable[[onnx.NodeProto], Sequence[onnx.NodeProto]]) -> onnx.ModelProto:
    """A copy of ``model`` where each node with ``match(node)`` becomes ``replace(node)`` (in
    place, in order), in the main graph and in every subgraph (If / Loop / Scan bodies)."""
    out = _copy(model)
    new_nodes: list[onnx.NodeProto] = []

    def visit(graph: onnx.GraphProto) -> None:
        nodes = list(graph.node)
        graph.ClearField("node")
        for n in nodes:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    visit(a.g)
                for sub in a.graphs:
                    visit(sub)
            if match(n):
                repl = list(replace(n))
                new_nodes.extend(repl)
                graph.node.extend(repl)
            else:
                graph.node.append(n)

    visit(out.graph)
    return _with_imports(out, new_nodes)


def replace_node(model: onnx.ModelProto, name: str, nodes: Sequence[onnx.NodeProto]) -> onnx.ModelProto:
    """A copy of ``model`` with the node called ``name`` replaced by ``nodes``."""
    if not any(n.name == name for n in model.graph.node):
        raise ValueError(f"the model has no node named {name!r}")
    return replace_nodes(model, lambda n: n.name == name, lambda _: nodes)


def all_graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """``graph`` and its subgraphs (If / Loop / Scan bodies), nested ones included."""
    yield graph
    for n in graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(a.g)
            for sub in a.graphs:
                yield from all_graphs(sub)


def all_nodes(graph: onnx.GraphProto) -> Iterator[onnx.NodeProto]:
    """Every node of ``graph``, its subgraphs' included."""
    for g in all_graphs(graph):
        yield from g.node


def fed_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """The graph's inputs a caller feeds: those that no initializer gives a value."""
    initialized = {t.name for t in graph.initializer}
    return [v for v in graph.input if v.name not in initialized]


def infer_leniently(model: onnx.ModelProto) -> onnx.ModelProto:
    """onnx's shape inference in its lenient mode, or ``model`` as it is where inference cannot
    follow it: for callers to whom inferred shapes and types are a help, not a check."""
    try:
        return shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - any failure: the declared shapes and types still count
        return model


def element_types(model: onnx.ModelProto) -> dict[str, int]:
    """Each value's element type (``onnx.TensorProto`` enum) where the model declares it or onnx's
    lenient inference finds it, subgraphs included; values of unknown type are left out."""
    model = infer_leniently(model)
    types = {}
    for g in all_graphs(model.graph):
        types.update((t.name, t.data_type) for t in g.initializer)
        for v in (*g.input, *g.value_info, *g.output):
            if v.type.tensor_type.elem_type:
                types[v.name] = v.type.tensor_type.elem_type
    return types


def type_name(elem_type: int) -> str:
    """ONNX's name of an element type (``onnx.TensorProto`` enum), as in "tensor(float16)"."""
    return onnx.helper.tensor_dtype_to_string(elem_type).removeprefix("TensorProto.").lower()


def uses_domain(model: onnx.ModelProto, domain: str = DOMAIN) -> bool:
    """Whether any node (subgraphs included) belongs to ``domain``."""
    return any(n.domain == domain for n in all_nodes(model.graph))


def drop_unused_import(model: onnx.ModelProto, domain: str = DOMAIN) -> None:
    """Removes ``model``'s import of ``domain`` (in place) when no node uses it."""
    if not uses_domain(model, domain):
        kept = [i for i in model.opset_import if i.domain != domain]
        model.ClearField("opset_import")
        model.opset_import.extend(kept)


# The standard opset a conversion writes into a model that imports none (one of custom-domain
# nodes only, which onnx's checker and onnxruntime take).
DEFAULT_OPSET = 17


def standard_opset(model: onnx.ModelProto) -> int:
    """``model``'s standard (ai.onnx) opset version; a model that imports none gets DEFAULT_OPSET's
    import (in place) for the standard nodes a conversion writes into it."""
    try:
        return opset_version(model)
    except ValueError:
        model.opset_import.append(onnx.helper.make_opsetid("", DEFAULT_OPSET))
        return DEFAULT_OPSET


def opset_version(model: onnx.ModelProto, domain: str = "") -> int:
    for imp in model.opset_import:
        if imp.domain in ((domain,) if domain else ("", "ai.onnx")):
            return imp.version
    raise ValueError(f"the model imports no opset of domain {domain or 'ai.onnx'!r}")


def node_label(node: onnx.NodeProto) -> str:
    return f"{node.op_type} node {node.name!r}" if node.name else f"{node.op_type} node (unnamed)"


__all__ = ["check", "drop_unused_import", "infer_shapes", "insert_node", "replace_node", "replace_nodes", "uses_domain",
           "opset_version"]


def attribute_values(node: onnx.NodeProto) -> dict:
    """The node's attributes as Python values, strings decoded."""
    values = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}
