"""Reading the FPN level assignment that exporters write as standard ops back into the
attributes of ``roi_ops.MultiScaleRoIAlign`` (docs/fusion.md).

The exported forms all compute, per RoI (docs/fusion.md cites each source):

    level = Clip(Floor(lvl0 + log2(sqrt(area) / s0 [+ eps_in]) [+ eps_out]), lo, hi) [- off]

torchvision ``LevelMapper`` (eps outside the log since 0.8, inside before), detectron2
``assign_boxes_to_levels`` (eps inside), mmdetection ``map_roi_levels`` (lvl0 = 0, no ``- off``).
log2 is exported as ``Log(x) / ln 2``; area as ``(x2 - x1) * (y2 - y1)`` of box columns; a batch
of several images concatenates per-image areas. Every constant is read and checked here; the
caller maps (lvl0, lo, hi, off) onto canonical_level / k_min / k_max.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .index import GraphIndex, NoMatch

_LN2 = math.log(2.0)


@dataclass
class LevelFormula:
    lvl0: int
    canonical_scale: float
    eps: float
    eps_in_log: bool
    lo: int
    hi: int
    off: int
    # The box tensors the areas are computed from, in RoI order: (tensor, first column of x1),
    # i.e. 0 for [K,4] boxes and 1 for [K,5] rois with the batch index first.
    boxes: list[tuple[str, int]] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)  # names of the nodes read (for the report)
    # roi_ops' own form: (level of a RoI without area, the area tensor tested); None elsewhere
    guard: tuple[float, str] | None = None


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b))


def _sum_terms(ix: GraphIndex, t: str) -> list[str]:
    if ix.op(t) == "Add":
        n = ix.producer[t]
        return _sum_terms(ix, n.input[0]) + _sum_terms(ix, n.input[1])
    return [t]


def _split_consts(ix: GraphIndex, terms: list[str]) -> tuple[list[float], list[str]]:
    consts, rest = [], []
    for t in terms:
        value = ix.const(t)
        if value is not None and value.size == 1:
            consts.append(float(value.reshape(-1)[0]))
        else:
            rest.append(t)
    return consts, rest


def _positive_guard(ix: GraphIndex, t: str, f: LevelFormula | None) -> tuple[str, float, str]:
    """``Where(area > 0, x, c)`` with a constant scalar c -> (x, c, area)."""
    where = ix.producer[t]
    cond = ix.node(where.input[0], "Greater")
    zero = ix.const(cond.input[1])
    if zero is None or zero.size != 1 or float(zero.reshape(-1)[0]) != 0:
        raise NoMatch(f"Where {where.name!r}: expected a choice on a positive area (Greater than 0)")
    if f is not None:
        f.nodes.add(where.name)
    return where.input[1], ix.scalar(where.input[2], f"Where {where.name!r}'s value for a RoI without area"), \
        cond.input[0]


def _divided_by(ix: GraphIndex, t: str, what: str) -> tuple[str, float]:
    """``x / c`` or ``x * (1/c)`` -> (x, c)."""
    n = ix.node(t, "Div", "Mul")
    if n.op_type == "Div":
        return n.input[0], ix.scalar(n.input[1], what)
    x, c = ix.multiplied_constant(t, what)
    return x, 1.0 / c


def column(ix: GraphIndex, t: str) -> tuple[str, int]:
    """A single column ``S[:, c]`` (Gather with a scalar index, or Gather/Slice of one column
    followed by Squeeze on axis 1) -> (S, c)."""
    if ix.op(t) == "Split":
        return _split_column(ix, t)
    squeezed = ix.op(t) == "Squeeze"
    if squeezed:
        sq = ix.producer[t]
        if ix.axes(sq) not in ([1], [-1], None):
            raise NoMatch(f"Squeeze {sq.name!r} is not over the column axis")
        t = sq.input[0]
    n = ix.node(t, "Gather", "Slice")
    if n.op_type == "Gather":
        if ix.attr(n, "axis", 0) != 1:
            raise NoMatch(f"Gather {n.name!r} does not select a column (axis != 1)")
        idx = ix.const(n.input[1])
        if idx is None or idx.size != 1 or (idx.ndim == 1) != squeezed:
            raise NoMatch(f"Gather {n.name!r}: expected one constant column index")
        return n.input[0], int(idx.reshape(-1)[0])
    if len(n.input) < 3:  # Slice before opset 10 (starts and ends as attributes): no exporter's
        raise NoMatch(f"Slice {n.name!r} takes its starts and ends as attributes")
    starts, ends = ix.const(n.input[1]), ix.const(n.input[2])
    axes = ix.const(n.input[3]) if len(n.input) > 3 and n.input[3] else None
    steps = ix.const(n.input[4]) if len(n.input) > 4 and n.input[4] else None
    if (not squeezed or starts is None or ends is None or axes is None or list(axes.reshape(-1)) not in ([1], [-1])
            or int(ends.reshape(-1)[0]) != int(starts.reshape(-1)[0]) + 1
            or (steps is not None and int(steps.reshape(-1)[0]) != 1)):
        raise NoMatch(f"Slice {n.name!r} does not select one column")
    return n.input[0], int(starts.reshape(-1)[0])


def _split_column(ix: GraphIndex, t: str) -> tuple[str, int]:
    """An output of ``Split`` into one-column pieces along axis 1 (roi_ops' own standard form)
    -> (S, c)."""
    n = ix.producer[t]
    sizes = ix.const(n.input[1]) if len(n.input) > 1 and n.input[1] else ix.attr(n, "split")
    one_each = sizes is None or [int(v) for v in sizes] == [1] * len(n.output)
    if ix.attr(n, "axis", 0) not in (1, -1) or not one_each:
        raise NoMatch(f"Split {n.name!r} does not split off one column each")
    return n.input[0], list(n.output).index(t)


def columns(ix: GraphIndex, t: str) -> tuple[str, list[int]]:
    """Several columns ``S[:, cols]`` (Gather with a 1-D index, or Slice on axis 1) -> (S, cols)."""
    n = ix.node(t, "Gather", "Slice")
    if n.op_type == "Gather":
        idx = ix.const(n.input[1])
        if ix.attr(n, "axis", 0) != 1 or idx is None or idx.ndim != 1:
            raise NoMatch(f"Gather {n.name!r} does not select columns")
        return n.input[0], [int(v) for v in idx]
    if len(n.input) < 3:
        raise NoMatch(f"Slice {n.name!r} takes its starts and ends as attributes")
    starts, ends = ix.const(n.input[1]), ix.const(n.input[2])
    axes = ix.const(n.input[3]) if len(n.input) > 3 and n.input[3] else None
    steps = ix.const(n.input[4]) if len(n.input) > 4 and n.input[4] else None
    if starts is None or ends is None or axes is None or list(axes.reshape(-1)) not in ([1], [-1]) or \
            (steps is not None and int(steps.reshape(-1)[0]) != 1):
        raise NoMatch(f"Slice {n.name!r} does not select columns")
    s, e = int(starts.reshape(-1)[0]), int(ends.reshape(-1)[0])
    return n.input[0], list(range(s, min(e, s + 16)))  # 16: more than any RoI layout has


def _area(ix: GraphIndex, t: str, nodes: set[str]) -> tuple[str, int]:
    """``(x2 - x1) * (y2 - y1)`` of one box tensor -> (tensor, column of x1)."""
    mul = ix.node(t, "Mul")
    nodes.add(mul.name)
    sides = []
    for d in mul.input:
        sub = ix.node(d, "Sub")
        nodes.add(sub.name)
        (s_hi, c_hi), (s_lo, c_lo) = column(ix, sub.input[0]), column(ix, sub.input[1])
        if s_hi != s_lo or c_hi != c_lo + 2:
            raise NoMatch(f"Sub {sub.name!r} is not a box side (x2 - x1 or y2 - y1 of one tensor)")
        sides.append((s_lo, c_lo))
    (s0, c0), (s1, c1) = sorted(sides, key=lambda s: s[1])
    if s0 != s1 or c1 != c0 + 1:
        raise NoMatch(f"Mul {mul.name!r} is not a box area (width * height of one tensor)")
    return s0, c0


def _ratio(ix: GraphIndex, t: str, f: LevelFormula) -> None:
    """``sqrt(area) / s0`` -> f.canonical_scale and f.boxes."""
    size, f.canonical_scale = _divided_by(ix, t, "canonical scale")
    sqrt = ix.node(size, "Sqrt")
    f.nodes.add(sqrt.name)
    areas = [sqrt.input[0]]
    if ix.op(areas[0]) == "Where":
        area, other, tested = _positive_guard(ix, areas[0], f)
        if f.guard is None or other <= 0 or tested != area:
            raise NoMatch(f"Sqrt {sqrt.name!r}: the area's guard does not match the level's")
        areas = [area]
    if f.guard is not None and f.guard[1] != areas[0]:
        raise NoMatch(f"Sqrt {sqrt.name!r}: the level is guarded on another area than the one it is computed of")
    if ix.op(areas[0]) == "Concat":
        cat = ix.producer[areas[0]]
        if ix.attr(cat, "axis") not in (0, -1):
            raise NoMatch(f"Concat {cat.name!r} of box areas is not along the RoIs")
        areas = list(cat.input)
    f.boxes = [_area(ix, a, f.nodes) for a in areas]


def parse_levels(ix: GraphIndex, levels: str) -> LevelFormula:
    """The level formula behind the int64 tensor ``levels`` (raises ``NoMatch`` with the reason)."""
    t = ix.skip(levels, "Cast", "Identity", "Reshape")
    off = 0
    if ix.op(t) == "Sub":
        sub = ix.producer[t]
        off = int(round(ix.scalar(sub.input[1], "level offset")))
        t = ix.skip(sub.input[0], "Cast", "Identity")
    guard = None
    if ix.op(t) == "Where":  # roi_ops' own standard form: a RoI without area goes to the lowest level
        t, lowest, area = _positive_guard(ix, t, None)
        guard = (lowest, area)
    clip = ix.node(t, "Clip")
    if len(clip.input) >= 3 and clip.input[1] and clip.input[2]:
        lo, hi = ix.scalar(clip.input[1], "lowest level"), ix.scalar(clip.input[2], "highest level")
    else:
        lo, hi = ix.attr(clip, "min"), ix.attr(clip, "max")
        if lo is None or hi is None:
            raise NoMatch(f"Clip {clip.name!r} lacks a constant lower and upper level")
    if lo != int(lo) or hi != int(hi) or hi < lo:
        raise NoMatch(f"Clip {clip.name!r}: levels [{lo}, {hi}] are not an integer range")
    if guard is not None and guard[0] != lo:
        raise NoMatch(f"Clip {clip.name!r}: a RoI without area goes to level {guard[0]}, not to the lowest, {lo}")
    floor = ix.node(clip.input[0], "Floor")
    consts, rest = _split_consts(ix, _sum_terms(ix, floor.input[0]))
    consts = [c for c in consts if c != 0]  # eps = 0 written out
    if len(rest) != 1:
        raise NoMatch(f"Floor {floor.name!r}: expected canonical level + log2(...) + eps")
    whole = [c for c in consts if c == int(c)]
    fractions = [c for c in consts if c != int(c)]
    if len(whole) > 1 or len(fractions) > 1 or any(not 0 < c < 0.5 for c in fractions):
        raise NoMatch(f"Floor {floor.name!r}: constants {consts} are not a canonical level and a small eps")
    log_arg, ln2 = _divided_by(ix, rest[0], "log2")
    if not _close(ln2, _LN2):
        raise NoMatch(f"log2: divided by {ln2}, not ln 2")
    log = ix.node(log_arg, "Log")
    f = LevelFormula(lvl0=int(whole[0]) if whole else 0, canonical_scale=0.0, eps=fractions[0] if fractions else 0.0,
                     eps_in_log=False, lo=int(lo), hi=int(hi), off=off, guard=guard,
                     nodes={clip.name, floor.name, log.name})
    inner_consts, inner = _split_consts(ix, _sum_terms(ix, log.input[0]))
    inner_consts = [c for c in inner_consts if c != 0]
    if inner_consts:
        if fractions or len(inner_consts) != 1 or not 0 < inner_consts[0] < 0.5:
            raise NoMatch(f"Log {log.name!r}: eps {inner_consts} inside the log (with eps {fractions} outside) "
                          f"is not one small constant")
        f.eps, f.eps_in_log = inner_consts[0], True
    if len(inner) != 1:
        raise NoMatch(f"Log {log.name!r}: expected log2(size / canonical_scale [+ eps])")
    _ratio(ix, inner[0], f)
    return f
