"""Fusing the multi-level RoI pooling that exporters unroll into one ``roi_ops.MultiScaleRoIAlign``
node (``roi_ops.convert.to_roi_ops`` runs it by default; docs/fusion.md)."""
from __future__ import annotations

from dataclasses import dataclass, field

import onnx

from .index import GraphIndex, NoMatch
from .poolers import PoolerMatch, candidate_merges, chain_key, match_pooler
from .rewrite import replace_pooler


@dataclass
class FusionResult:
    fused: list[str] = field(default_factory=list)      # "label: pattern, L levels, n nodes -> 1"
    refused: list[str] = field(default_factory=list)    # "label: reason"
    warnings: list[str] = field(default_factory=list)


def find_poolers(graph: onnx.GraphProto, opset: int, *, fold_aligned_shift: bool = False) -> list[PoolerMatch]:
    """The poolers of ``graph`` that ``fuse_poolers`` would fuse, without changing it."""
    ix, found = GraphIndex(graph), []
    for chain in candidate_merges(ix):
        try:
            found.append(match_pooler(ix, chain, opset, fold_aligned_shift=fold_aligned_shift))
        except NoMatch:
            continue
    return found


def fuse_poolers(graph: onnx.GraphProto, opset: int, *, fold_aligned_shift: bool = False,
                 fix_onnx_max: bool = False) -> FusionResult:
    """Fuses every recognised pooler of ``graph`` in place (the main graph; subgraphs are left
    as they are) and says what it fused and what it left alone, with the reason."""
    result, refused = FusionResult(), set()
    while True:
        ix = GraphIndex(graph)
        chains = [c for c in candidate_merges(ix) if chain_key(c) not in refused]
        if not chains:
            return result
        chain = chains[0]
        label = chain[0].name
        try:
            m = match_pooler(ix, chain, opset, fold_aligned_shift=fold_aligned_shift, fix_onnx_max=fix_onnx_max)
            label = m.label
            count = len(graph.node)
            replace_pooler(graph, m)
        except NoMatch as e:
            refused.add(chain_key(chain))
            result.refused.append(f"{label}: {e}")
            continue
        result.fused.append(f"{m.label}: {m.pattern}, {len(m.maps)} levels, {count - len(graph.node) + 1} nodes -> "
                            f"1 MultiScaleRoIAlign")
        result.warnings.extend(m.warnings)


__all__ = ["FusionResult", "NoMatch", "PoolerMatch", "find_poolers", "fuse_poolers"]
