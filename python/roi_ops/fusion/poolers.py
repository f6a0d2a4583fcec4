"""Recognising the multi-level RoI pooling that exporters unroll (level assignment, per level
select + ``RoiAlign``, scatter back) and replacing it with one ``roi_ops.MultiScaleRoIAlign``
node (docs/fusion.md lists the exporters and the graphs they write).

The match is anchored on the merge: a chain of ``ScatterElements`` (axis 0; torchvision's
``_onnx_merge_levels``) or ``ScatterND`` (``index_put_``; detectron2, mmdeploy) nodes that start
from zeros, each writing one level's ``RoiAlign`` output at the rows where ``levels == l``. From
there every piece is checked: the rows each ``RoiAlign`` reads are the same rows of one RoI
tensor (batch index in column 0), its attributes agree across levels, the scales form a pyramid,
and the level formula (``levels.py``) gives canonical scale, level and eps. Shape plumbing
(Reshape, Expand, Squeeze, Transpose, Shape) is walked through, nothing else.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import onnx

from ..standard_attributes import roi_align_from_standard
from .index import STANDARD, GraphIndex, NoMatch
from .levels import column, columns, parse_levels

# Ops that only move index values around (NonZero's [1,n] output to an index vector, and that
# vector to ScatterElements' or ScatterND's index shape).
_INDEX_PLUMBING = ("Expand", "Reshape", "Unsqueeze", "Squeeze", "Transpose", "Split", "Flatten", "Cast", "Identity")
_SCATTERS = ("ScatterElements", "ScatterND")
# Between a level's RoiAlign and the scatter: a Cast to the output type, and index_put's Reshape
# of the values to [n, C, oh, ow] (a reshape keeps the row-major order the scatter writes).
_UPDATE_PLUMBING = ("Cast", "Reshape", "Identity")


# The pattern of the standard form that to_standard writes for a MultiScaleRoIAlign.
_OWN_FORM = "roi_ops standard form"

# The warning of convert's fix_onnx_max, for a fused pooler and for a single node.
FIX_ONNX_MAX = "converting ONNX RoiAlign max to roi_ops max (the max of bilinear samples); the numbers change"


@dataclass
class PoolerMatch:
    """A recognised pooler: what the fused node reads, writes and computes."""
    label: str
    name: str                        # the fused node's
    pattern: str
    rois: str
    maps: list[str]
    output: str
    attrs: dict
    roi_aligns: list[onnx.NodeProto]
    merge: list[onnx.NodeProto]      # the scatters (and mmdeploy's final Slice)
    box_inputs: list[str]            # the box tensors the level formula reads (where the block starts)
    batch_indices: Optional[str] = None  # beside [K,4] rois; None when rois carry the batch index
    warnings: list[str] = field(default_factory=list)


def _scope(nodes: list[onnx.NodeProto]) -> str:
    """The common scope of the nodes' names (exporters name nodes after the module path), or ''."""
    names = [n.name for n in nodes if n.name]
    return os.path.commonprefix(names).rsplit("/", 1)[0] if names else ""


def _label(nodes: list[onnx.NodeProto]) -> str:
    """The pooler's name for reports: the common scope of its RoiAlign nodes, else their names."""
    names = [repr(n.name) for n in nodes if n.name] or ["unnamed RoiAlign nodes"]
    return _scope(nodes) or "pooler of " + ", ".join(names)


def _fused_name(roi_aligns: list[onnx.NodeProto], last: onnx.NodeProto, pattern: str) -> str:
    """The exporter's module scope + '/MultiScaleRoIAlign'; for roi_ops' standard form (and where
    the RoiAlign nodes share no scope), the name of the node that writes the output, which
    to_standard gave the MultiScaleRoIAlign's own."""
    scope = _scope(roi_aligns)
    if last.name and (pattern == _OWN_FORM or not scope):
        return last.name
    return f"{scope}/MultiScaleRoIAlign" if scope else "MultiScaleRoIAlign"


def _level_of_index(ix: GraphIndex, t: str) -> tuple[str, int]:
    """An index tensor derived from ``NonZero(levels == l)`` -> (levels, l)."""
    t = ix.skip(t, *_INDEX_PLUMBING)
    nz = ix.node(t, "NonZero")
    eq = ix.node(nz.input[0], "Equal")
    for levels, c in (eq.input, reversed(eq.input)):
        value = ix.const(c)
        if value is not None and value.size == 1:
            return levels, int(value.reshape(-1)[0])
    raise NoMatch(f"Equal {eq.name!r} does not compare the levels with a constant")


def _is_zeros(ix: GraphIndex, t: str) -> bool:
    t = ix.skip(t, "Cast", "CastLike", "Identity")
    value = ix.const(t)
    if value is not None:
        return not np.any(value)
    op = ix.op(t)
    n = ix.producer.get(t)
    if op == "ConstantOfShape":
        fill = ix.attr(n, "value")
        return fill is None or not np.any(onnx.numpy_helper.to_array(fill))
    if op == "Expand":
        return _is_zeros(ix, n.input[0])
    if op == "Concat":
        return all(_is_zeros(ix, i) for i in n.input)
    return False


def _merge_chain(ix: GraphIndex, scatter: onnx.NodeProto) -> list[onnx.NodeProto]:
    first = scatter
    while ix.op(first.input[0]) in _SCATTERS:
        first = ix.producer[first.input[0]]
    chain = [first]
    while True:
        users = [u for u in ix.consumers.get(chain[-1].output[0], []) if u.op_type != "Shape"]
        if len(users) == 1 and users[0].op_type in _SCATTERS and users[0].input[0] == chain[-1].output[0]:
            chain.append(users[0])
        else:
            return chain


def _scatter_of(ix: GraphIndex, roi_align: onnx.NodeProto) -> onnx.NodeProto:
    t = roi_align.output[0]
    while True:
        users = [u for u in ix.consumers.get(t, []) if u.op_type != "Shape"]
        if len(users) == 1 and users[0].op_type in _UPDATE_PLUMBING:
            t = users[0].output[0]
            continue
        if len(users) == 1 and users[0].op_type in _SCATTERS and list(users[0].input).index(t) == 2:
            return users[0]
        raise NoMatch(f"the output of RoiAlign {roi_align.name!r} is not merged by a scatter")


def chain_key(chain: list[onnx.NodeProto]) -> str:
    """A merge chain's identity across rewrites: its first scatter's output (node names may be
    empty; tensor names are unique)."""
    return chain[0].output[0]


def candidate_merges(ix: GraphIndex) -> list[list[onnx.NodeProto]]:
    """The scatter chains fed by RoiAlign nodes, each once, in graph order."""
    seen, chains = set(), []
    for n in ix.graph.node:
        if n.op_type != "RoiAlign" or n.domain not in STANDARD:
            continue
        try:
            chain = _merge_chain(ix, _scatter_of(ix, n))
        except NoMatch:
            continue
        if chain_key(chain) not in seen:
            seen.add(chain_key(chain))
            chains.append(chain)
    return chains


def match_pooler(ix: GraphIndex, chain: list[onnx.NodeProto], opset: int, *, fold_aligned_shift: bool,
                 fix_onnx_max: bool = False) -> PoolerMatch:
    """Checks one merge chain against the pattern; raises ``NoMatch`` saying what differs.
    ``RoiAlign`` in max mode fuses as ``onnx_max`` (what it computes), or with ``fix_onnx_max`` as
    the true ``max``, with a warning, as ``convert`` maps single nodes."""
    levels_tensor, rois_tensor, batch_tensor, per_level = None, None, None, {}
    roi_aligns = []
    for s in chain:
        if s.op_type == "ScatterElements" and ix.attr(s, "axis", 0) != 0:
            raise NoMatch(f"ScatterElements {s.name!r} does not write rows (axis != 0)")
        if ix.attr(s, "reduction", "none") != "none":
            raise NoMatch(f"{s.op_type} {s.name!r} reduces ({ix.attr(s, 'reduction')}) instead of writing")
        ra = ix.node(ix.skip(s.input[2], *_UPDATE_PLUMBING), "RoiAlign")
        roi_aligns.append(ra)
        levels, lvl = _level_of_index(ix, s.input[1])
        boxes, shift = ix.added_constant(ra.input[1])
        select, batch = _selected_rois(ix, ra, boxes)
        if _level_of_index(ix, select.input[1]) != (levels, lvl):
            raise NoMatch(f"RoiAlign {ra.name!r} reads other RoIs than {s.op_type} {s.name!r} writes")
        if levels_tensor not in (None, levels) or (rois_tensor, batch_tensor) not in (
                (None, None), (select.input[0], batch)):
            raise NoMatch(f"RoiAlign {ra.name!r} reads other levels or RoIs than the first level")
        if lvl in per_level:
            raise NoMatch(f"level {lvl} is pooled twice")
        levels_tensor, rois_tensor, batch_tensor = levels, select.input[0], batch
        per_level[lvl] = (ra, shift)
    L = len(per_level)
    if sorted(per_level) != list(range(L)):
        raise NoMatch(f"the pooled levels {sorted(per_level)} are not 0..{L - 1}")
    if not _is_zeros(ix, chain[0].input[0]):
        raise NoMatch(f"{chain[0].op_type} {chain[0].name!r} does not start from zeros")

    factor = 1.0
    if batch_tensor is not None and ix.op(rois_tensor) == "Concat":
        rois_tensor, factor = _rescaled_rois(ix, rois_tensor)

    label = _label(roi_aligns)
    # mmdeploy prepends 2L dummy rows (levels 0..L-1 twice) and slices them off after the merge.
    dummy, output, merge, levels_used = 0, chain[-1].output[0], list(chain), levels_tensor
    if ix.op(levels_tensor) == "Concat":
        dummy, levels_used, rois_tensor, output = _dummy_rows(ix, levels_tensor, rois_tensor, output)
        merge.append(ix.consumers[chain[-1].output[0]][0])
    f = parse_levels(ix, levels_used)
    if f.off != f.lo:
        raise NoMatch(f"levels clamped to [{f.lo}, {f.hi}] minus {f.off} do not start at map 0")
    # Levels above hi - lo are never selected (torchvision's mobilenet FPN pools two maps of one
    # scale: every RoI goes to the first); their RoiAlign nodes go with the merge. Levels past the
    # last map (non-consecutive scales, e.g. torchvision's featmap_names ['feat1', 'feat3']) keep
    # the zeros the merge starts from, as the fused node gives them (docs/spec.md).
    used = f.hi - f.lo + 1
    L = min(L, used)
    _check_boxes(ix, f.boxes, rois_tensor, 0 if batch_tensor else 1)

    attrs = []
    for lvl in range(L):
        try:
            attrs.append(roi_align_from_standard(per_level[lvl][0], opset, fix_onnx_max=fix_onnx_max))
        except ValueError as e:
            raise NoMatch(f"RoiAlign {per_level[lvl][0].name!r}: {e}") from None
    scales = [a.pop("spatial_scale") for a in attrs]
    if any(a != attrs[0] for a in attrs):
        raise NoMatch(f"the levels' RoiAlign attributes differ: {attrs}")
    ks = [-math.log2(s) if s > 0 else math.nan for s in (scales[0], scales[-1])]
    # The fused node's level range runs from the first scale's 1/2^k to the last's.
    if any(not abs(k - round(k)) <= 1e-6 for k in ks):
        raise NoMatch(f"spatial scales {scales} do not start and end at pyramid levels (1/2^k)")
    k_min, k_max = round(ks[0]), round(ks[1])
    if k_max - k_min != used - 1:
        raise NoMatch(f"levels reach {used - 1}, but spatial scales {scales} give levels 0..{k_max - k_min}")

    warnings, aligned = [], attrs[0]["aligned"]
    shifts = [per_level[lvl][1] for lvl in range(L)]
    if any(shifts):
        if aligned or not all(abs(sh + 0.5 / s) <= 1e-6 / s for sh, s in zip(shifts, scales)):
            raise NoMatch(f"the RoIs are shifted by {shifts} before RoiAlign")
        if not fold_aligned_shift:
            raise NoMatch("the RoIs are shifted by -0.5/spatial_scale before RoiAlign (mmdeploy's aligned=True "
                          "below opset 16); fold it into aligned=1 with --fold-aligned-shift (numbers change for "
                          "RoIs under one feature cell)")
        aligned = 1
        warnings.append(f"{label}: RoIs shifted by -0.5/spatial_scale folded into aligned=1; outputs change for "
                        f"RoIs smaller than one feature cell")

    mode = {} if attrs[0]["mode"] == "avg" else {"mode": attrs[0]["mode"]}
    if attrs[0]["mode"] == "max":
        warnings.append(f"{label}: {FIX_ONNX_MAX}")
    pattern = "mmdeploy SingleRoIExtractor" if dummy else _OWN_FORM if batch_tensor else (
        "torchvision MultiScaleRoIAlign" if chain[0].op_type == "ScatterElements" else "detectron2 ROIPooler")
    return PoolerMatch(
        label=label, name=_fused_name(roi_aligns, merge[-1], pattern), pattern=pattern, rois=rois_tensor,
        maps=[per_level[lvl][0].input[0] for lvl in range(L)], output=output, roi_aligns=roi_aligns, merge=merge,
        box_inputs=[b for b, _ in f.boxes], warnings=warnings, batch_indices=batch_tensor,
        attrs=dict(**mode, spatial_scales=scales, output_height=attrs[0]["output_height"],
                   output_width=attrs[0]["output_width"], sampling_ratio=attrs[0]["sampling_ratio"],
                   aligned=aligned, canonical_scale=f.canonical_scale, canonical_level=f.lvl0 + k_min - f.lo,
                   eps=f.eps, eps_in_log=int(f.eps_in_log), **({"roi_scale_factor": factor} if factor != 1 else {})))


def _dummy_rows(ix: GraphIndex, levels: str, rois: str, output: str) -> tuple[int, str, str, str]:
    """mmdeploy's rows for empty levels: levels = Concat(constant dummy levels, the RoIs' levels),
    rois = Concat(zero rows, the RoIs), output = merged[dummy:] -> (dummy, the RoIs' levels,
    the RoIs, the sliced output)."""
    cat = ix.producer[levels]
    head = [ix.const(i) for i in cat.input[:-1]]
    if ix.attr(cat, "axis") != 0 or any(h is None for h in head):
        raise NoMatch(f"Concat {cat.name!r} of levels is not constant dummy levels then the RoIs' levels")
    dummy = int(sum(h.size for h in head))
    rois_cat = ix.node(rois, "Concat")
    if ix.attr(rois_cat, "axis") != 0 or len(rois_cat.input) != 2 or not _is_zeros(ix, rois_cat.input[0]):
        raise NoMatch(f"Concat {rois_cat.name!r}: expected {dummy} zero dummy RoIs before the RoIs")
    users = ix.consumers.get(output, [])
    sl = users[0] if len(users) == 1 and users[0].op_type == "Slice" else None
    consts = [ix.const(i) if i else None for i in (list(sl.input[1:]) if sl is not None else [])]
    if sl is None or len(consts) < 2 or consts[0] is None or consts[1] is None or \
            [int(v) for v in consts[0].reshape(-1)] != [dummy] or int(consts[1].reshape(-1)[0]) < 2**31 - 1 or \
            (len(consts) > 2 and (consts[2] is None or [int(v) for v in consts[2].reshape(-1)] != [0])):
        raise NoMatch(f"the merged output keeps its {dummy} dummy rows (no Slice [{dummy}:] after it)")
    return dummy, cat.input[-1], rois_cat.input[1], sl.output[0]


def _selected_rois(ix: GraphIndex, ra: onnx.NodeProto, boxes: str) -> tuple[onnx.NodeProto, Optional[str]]:
    """The Gather that selects a level's RoIs for RoiAlign ``ra`` (reading ``boxes``), and the
    batch indices beside them: None where the batch index is column 0 of the same rows (the
    exporters), the [K] tensor where ``boxes`` are rows of [K,4] boxes (roi_ops' own form)."""
    batch = ix.skip(ra.input[2], "Cast", "Identity")
    rows = ix.producer.get(boxes)
    if rows is not None and rows.op_type == "Gather" and ix.attr(rows, "axis", 0) == 0:
        picked = ix.node(batch, "Gather")
        if ix.attr(picked, "axis", 0) != 0 or _level_of_index(ix, picked.input[1]) != \
                _level_of_index(ix, rows.input[1]):
            raise NoMatch(f"RoiAlign {ra.name!r} reads the batch indices of other rows than its boxes")
        return rows, picked.input[0]
    src, cols = columns(ix, boxes)
    src_b, col_b = column(ix, batch)
    if cols != [1, 2, 3, 4] or src_b != src or col_b != 0:
        raise NoMatch(f"RoiAlign {ra.name!r} does not read (batch index, x1, y1, x2, y2) rows of one tensor")
    select = ix.node(src, "Gather")
    if ix.attr(select, "axis", 0) != 0:
        raise NoMatch(f"Gather {select.name!r} does not select RoIs (axis != 0)")
    return select, None


def _rescaled_rois(ix: GraphIndex, t: str) -> tuple[str, float]:
    """roi_ops' own form of roi_scale_factor (``standard_models.rescaled_boxes``): Concat(cx - hw,
    cy - hh, cx + hw, cy + hh) with c = (lo + hi) * 0.5 and h = (hi - lo) * f * 0.5 of the columns
    of one box tensor -> (the boxes, f)."""
    cat = ix.node(t, "Concat")
    if ix.attr(cat, "axis") not in (1, -1) or len(cat.input) != 4:
        raise NoMatch(f"Concat {cat.name!r} is not four box columns")
    parts = [ix.node(i, op) for i, op in zip(cat.input, ("Sub", "Sub", "Add", "Add"))]
    sources, factors = set(), set()
    for axis in (0, 1):
        low, high = parts[axis], parts[axis + 2]
        if list(low.input) != list(high.input):
            raise NoMatch(f"{low.op_type} {low.name!r} and {high.op_type} {high.name!r} are not one centre and "
                          "half side")
        total, half_c = ix.multiplied_constant(low.input[0], "box centre")
        side_f, half_h = ix.multiplied_constant(low.input[1], "half box side")
        side, factor = ix.multiplied_constant(side_f, "roi_scale_factor")
        add, sub = ix.node(total, "Add"), ix.node(side, "Sub")
        cols = [column(ix, i) for i in (*add.input, *sub.input)]
        if (half_c, half_h) != (0.5, 0.5) or [c for _, c in cols] != [axis, axis + 2, axis + 2, axis]:
            raise NoMatch(f"Concat {cat.name!r} does not scale boxes about their centres")
        sources |= {src for src, _ in cols}
        factors.add(factor)
    if len(sources) != 1 or len(factors) != 1:
        raise NoMatch(f"Concat {cat.name!r} scales the columns of several boxes or by several factors")
    return sources.pop(), factors.pop()


def _check_boxes(ix: GraphIndex, boxes: list[tuple[str, int]], rois: str, first: int) -> None:
    """The level formula must read the boxes of ``rois`` (their x1 in column ``first``): either
    ``rois`` itself or, for rois with the batch index first, the per-image box tensors that
    ``rois`` puts after its batch-index column (torchvision: Concat(ids, Concat(boxes...));
    detectron2: Concat(Concat(id_i, boxes_i)...))."""
    if boxes == [(rois, first)]:
        return
    if first == 0:
        raise NoMatch("the level formula reads other boxes than the pooled RoIs")
    if any(c != 0 for _, c in boxes) or [b for b, _ in boxes] != _box_parts(ix, rois):
        raise NoMatch("the level formula reads other boxes than the pooled RoIs")


def _box_parts(ix: GraphIndex, rois: str) -> list[str]:
    def pair(t: str) -> Optional[str]:  # Concat((batch index, boxes), axis=1) -> boxes
        n = ix.producer.get(t)
        ok = n is not None and n.op_type == "Concat" and ix.attr(n, "axis") in (1, -1) and len(n.input) == 2
        return n.input[1] if ok else None

    def rows(t: str) -> list[str]:  # Concat(parts, axis=0) -> parts
        n = ix.producer.get(t)
        return list(n.input) if n is not None and n.op_type == "Concat" and ix.attr(n, "axis") == 0 else [t]

    whole = pair(rois)
    if whole is not None:
        return rows(whole)
    parts = [pair(p) for p in rows(rois)]
    if any(p is None for p in parts):
        raise NoMatch("the RoIs are not (batch index, boxes) rows built from the boxes the levels are computed of")
    return parts
