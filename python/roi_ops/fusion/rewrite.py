"""Replacing a matched pooler by its fused node, and removing what only it needed."""
from __future__ import annotations

import onnx

from ..builders import make_multi_scale_roi_align_node
from ..graph import node_label
from .index import NoMatch
from .poolers import PoolerMatch


def _subgraph_reads(node: onnx.NodeProto) -> set[str]:
    """Names a node's subgraphs (If / Loop / Scan bodies) read from the outer scope (a superset)."""
    names: set[str] = set()
    for a in node.attribute:
        for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else []) + list(a.graphs):
            for n in g.node:
                names.update(n.input)
                names |= _subgraph_reads(n)
    return names


def _live(graph_outputs: set[str], nodes: list[onnx.NodeProto]) -> set[int]:
    """ids of the nodes that a graph output depends on (nodes in topological order)."""
    needed, live = set(graph_outputs), set()
    for n in reversed(nodes):
        if any(o in needed for o in n.output):
            live.add(id(n))
            needed.update(n.input)
            needed |= _subgraph_reads(n)
    return live


def live_nodes(graph: onnx.GraphProto, nodes: list[onnx.NodeProto]) -> set[int]:
    """ids of those of ``nodes`` (``list(graph.node)``, held by the caller so that the ids stay
    theirs) that the graph's outputs depend on."""
    return _live({o.name for o in graph.output}, nodes)


def _kept(graph: onnx.GraphProto, after: list[onnx.NodeProto], live_before: set[int]) -> list[onnx.NodeProto]:
    """``after`` (the graph's nodes rewritten, in topological order) less the nodes that were live
    before the rewrite and no longer are. Nodes that were dead already are not the rewrite's to
    remove, unless they read what it removed."""
    live_after, kept, gone = _live({o.name for o in graph.output}, after), [], set()
    for n in after:
        if id(n) in live_after or (id(n) not in live_before and not gone.intersection(n.input)):
            kept.append(n)
        else:
            gone.update(n.output)
    return kept


def _set_nodes(graph: onnx.GraphProto, kept: list[onnx.NodeProto]) -> None:
    produced = {o for n in kept for o in n.output}
    graph.ClearField("node")
    graph.node.extend(kept)
    stale = [v for v in graph.value_info if v.name not in produced]
    for v in stale:
        graph.value_info.remove(v)


def drop_newly_dead(graph: onnx.GraphProto, live_before: set[int], after: list[onnx.NodeProto]) -> None:
    """Sets the graph's nodes to ``after`` (the nodes ``live_nodes`` saw, rewired or replaced)
    less those that were live before the rewrite and no longer are, and drops the value_info of
    what they produced."""
    _set_nodes(graph, _kept(graph, after, live_before))


def replace_pooler(graph: onnx.GraphProto, m: PoolerMatch) -> None:
    """Puts the fused node where the merge's last node was, then drops the nodes that became
    dead; raises ``NoMatch`` (graph unchanged) if a pooled RoiAlign or a merge step is still
    needed by something outside the pooler."""
    before = list(graph.node)
    live_before = live_nodes(graph, before)
    fused = make_multi_scale_roi_align_node(m.rois, m.batch_indices, m.maps, m.output,
                                            name=m.name, **m.attrs)
    last = m.merge[-1]
    kept = _kept(graph, [fused if n is last else n for n in before], live_before)
    survivors = [n for n in m.roi_aligns + m.merge[:-1] if any(k is n for k in kept)]
    if survivors:
        reader = next((u for u in kept for s in survivors if set(s.output) & set(u.input)
                       and not any(u is x for x in m.roi_aligns + m.merge)), None)
        why = f", read by {node_label(reader)}" if reader is not None else ""
        raise NoMatch(f"{node_label(survivors[0])} is also needed outside the pooler{why}")
    _set_nodes(graph, kept)
