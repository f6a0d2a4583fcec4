"""The benchmark table (Markdown), its plot (PNG) and the block of benchmarks/RESULTS.md that
shows the latest of both."""
from __future__ import annotations

import os
import platform
import re

from .._files import writing
from .paired import PairedRow
from .run import MIN_SECONDS, Row

BEGIN, END = "<!-- roi-ops bench: begin -->", "<!-- roi-ops bench: end -->"


QUICK = "quick run: small inputs, a smoke test of the command, not figures"


def header(threads, warmup: int, repeat: int, quick: bool = False, min_seconds: float = MIN_SECONDS) -> str:
    import onnxruntime as ort

    from .. import __version__

    quick_note = f"{QUICK.capitalize()}. " if quick else ""
    return (f"{quick_note}onnxruntime {ort.__version__}, roi-ops {__version__}, {platform.machine()}, "
            f"{os.cpu_count()} logical CPUs; intra-op threads {', '.join(map(str, threads))} (inter-op 1); median of "
            f"at least {repeat} runs and {min_seconds:g} s of runs after {warmup} warm-up runs; speed-up = baseline "
            f"ms / roi_ops ms; floor = streaming the op's feature maps once and its output once (a copy of (maps + "
            f"output) / 2 bytes, same threads).")


def table(rows: list[Row], quick: bool = False) -> str:
    lines = ["| workload | op | dtype | threads | roi_ops ms | baseline | baseline ms | speed-up | max abs diff "
             "| floor ms | roi_ops / floor |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r.case
        base = f"{r.baseline_ms:.2f}" if r.baseline_ms else "no kernel"
        speed = f"{r.speedup:.2f}x" if r.speedup else "n/a"
        diff = f"{r.max_diff:.1e}" if r.max_diff is not None else ("proxy" if not c.same_numbers else "-")
        workload = f"{c.workload} (quick)" if quick else c.workload
        # Three significant digits: a small workload's floor is microseconds, and a few RoIs on a
        # large map take a hundredth of theirs.
        floor = "- | -"
        if r.floor_ms:
            ratio = r.over_floor
            floor = f"{r.floor_ms:.3g} | " + (f"{ratio:.1f}" if ratio >= 0.1 else f"{ratio:.2g}")
        lines.append(f"| {workload} | {c.op} | {c.dtype} | {r.threads} | {r.ours_ms:.2f} | {c.baseline} | {base} "
                     f"| {speed} | {diff} | {floor} |")
    return "\n".join(lines)


def paired_table(rows: list[PairedRow], seconds: float, quick: bool = False) -> str:
    """The targets' ratios timed in alternation (paired.py)."""
    lines = [f"Timed in alternation ({seconds:g} s of turns each; the median of the per-turn ratios, which the "
             f"machine's drift between a row's timings above does not move):",
             "",
             "| workload | op | pair | first ms | second ms | paired ratio | the floor's copy, same pair (settled) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r.case
        workload = f"{c.workload} (quick)" if quick else c.workload
        copy = f"{r.copy_ratio:.2f}" if r.copy_ratio is not None else "-"
        lines.append(f"| {workload} | {c.op} | {r.pair} | {r.first_ms:.2f} | {r.second_ms:.2f} | {r.ratio:.2f} "
                     f"| {copy} |")
    return "\n".join(lines)


def plot(rows: list[Row], path: str, title: str, quick: bool = False) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def label(r: Row) -> str:
        return f"{r.case.workload}\n{r.case.op} {r.case.dtype}" + ("" if r.case.same_numbers else " (proxy)")

    labels, threads = [], sorted({r.threads for r in rows})
    for r in rows:
        if label(r) not in labels:
            labels.append(label(r))
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(labels) + 1.4))
    height = 0.8 / len(threads)
    for i, t in enumerate(threads):
        ys, xs = [], []
        for r in rows:
            if r.threads == t and r.speedup:
                ys.append(labels.index(label(r)) + i * height)
                xs.append(r.speedup)
        bars = ax.barh(ys, xs, height=height, label=f"{t} thread{'s' if t > 1 else ''}")
        ax.bar_label(bars, fmt="%.1fx", fontsize=6, padding=2)
    for j, lab in enumerate(labels):  # a row with no baseline says why it has no bar
        if not any(r.speedup for r in rows if label(r) == lab):
            ax.text(1.05, j + 0.4 - height / 2, "no onnxruntime kernel to compare with", va="center", fontsize=6)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    top = max((r.speedup for r in rows if r.speedup), default=2.0)
    ax.set_xlim(right=top * 1.8)  # room for the bar labels
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(labels))], labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up over the baseline (log scale; > 1 is faster)")
    ax.set_title(f"{QUICK.upper()}\n{title}" if quick else title, fontsize=9, color="darkred" if quick else "black")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with writing(path):
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def update_results(results_md: str, block: str) -> None:
    """Replaces the text between the markers of `results_md` (appends the block if it has none)."""
    text = ""
    if os.path.isfile(results_md):  # not a device or a pipe, which may never end (/dev/zero)
        with open(results_md) as f:
            text = f.read()
    new = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: new, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + new + "\n"
    with writing(results_md), open(results_md, "w") as f:
        f.write(text)
