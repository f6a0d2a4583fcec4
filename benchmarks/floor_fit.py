"""How much of W2, W3 and C1's distance from their floors is the day's memory speed: the paired
runs of sessions 37 to 51 (`python benchmarks/paired.py floor "<workload>" --seconds 5`, 1 thread,
the kernels as at 091b832), copied from the tables of amd-epyc-zen4/RESULTS.md, fitted by least
squares as op = a + b * floor. `a` is the part of the op that does not move with the floor's copy
(the kernels' arithmetic and cache work), `b` the floors its memory traffic takes; the ratio
op / floor = a / floor + b then meets a target t only where floor >= a / (t - b).

    python benchmarks/floor_fit.py
"""
import numpy as np

# (op ms, floor ms) per run: sessions 46, 39-44, 38, 37 as their tables list them, then 47, 48, 49, 50, 51.
RUNS = {
    "W2 mask head": (3.0, [
        (9.13, 3.27), (8.44, 3.29), (9.99, 3.54),
        (8.84, 3.32), (8.76, 3.17), (8.34, 3.06), (7.68, 2.61), (8.18, 3.23), (9.21, 3.40), (8.58, 3.17),
        (8.86, 3.61), (9.37, 3.66), (11.46, 4.40), (8.66, 3.32), (8.89, 3.37), (9.04, 3.43),
        (10.92, 4.79), (8.38, 3.22),
        (7.94, 2.89), (7.71, 2.65),
        (7.69, 2.41), (7.59, 2.29), (7.61, 2.59),
        (8.60, 3.21), (8.28, 2.82), (8.28, 2.97),
        (8.25, 3.01), (11.96, 4.60), (11.27, 4.17),
        (8.35, 3.09), (8.99, 3.36), (11.78, 4.54),
        (9.10, 3.48), (8.60, 3.21), (8.31, 3.10)]),
    "W3 batch": (3.0, [
        (17.00, 5.04), (17.30, 5.34), (17.11, 5.32),
        (15.42, 4.78), (15.78, 4.26), (15.73, 4.68), (14.39, 4.18), (15.97, 4.77), (16.02, 4.77), (16.10, 4.85),
        (15.62, 5.26), (20.43, 6.20), (18.80, 5.86), (16.26, 5.15), (16.43, 5.22), (16.28, 4.95),
        (17.16, 7.01), (15.36, 4.67),
        (14.71, 4.79), (14.57, 4.14),
        (14.15, 3.63), (14.04, 3.64), (15.58, 4.11),
        (15.23, 4.59), (16.67, 4.25), (15.57, 4.44),
        (14.91, 4.34), (15.07, 4.78), (20.35, 6.19), (17.04, 5.90),
        (14.69, 4.72), (17.24, 5.24), (17.50, 5.23),
        (16.21, 4.96), (16.42, 4.97), (16.52, 4.90)]),
    "C1 crops 14x14": (2.0, [
        (27.09, 11.26), (26.98, 11.89), (26.51, 11.65),
        (25.12, 10.67), (24.31, 9.99), (24.53, 9.90), (21.96, 9.07), (23.99, 10.20), (22.37, 10.86),
        (24.51, 10.66), (23.52, 10.90), (27.20, 12.40), (29.08, 12.26), (26.42, 11.74), (21.60, 10.73),
        (25.92, 11.23),
        (25.55, 11.38), (25.38, 10.78),
        (21.59, 10.13), (24.99, 9.65),
        (22.06, 8.28), (21.80, 8.50), (23.33, 9.11),
        (22.41, 10.16), (22.85, 8.67), (25.60, 9.82),
        (22.74, 10.24), (38.75, 14.40), (32.61, 12.67),
        (22.59, 10.07), (27.62, 11.61), (27.48, 13.35),
        (27.66, 12.22), (24.27, 10.41), (24.59, 10.48)]),
}


def fit(runs, target: float) -> dict:
    """The least-squares line op = a + b * floor through `runs` [(op ms, floor ms)], and the
    floor from which op / floor <= target (None when b alone reaches it)."""
    op, floor = np.array(runs, float).T
    b, a = np.polyfit(floor, op, 1)
    ratio = op / floor
    return {"a": a, "b": b, "ratio": (ratio.min(), ratio.max()), "met": int(np.sum(ratio <= target)),
            "floor": (floor.min(), floor.max()), "corr": np.corrcoef(floor, ratio)[0, 1],
            "met_from": a / (target - b) if b < target else None, "a_needed": (target - b) * floor.min()}


def main() -> None:
    for name, (target, runs) in RUNS.items():
        f = fit(runs, target)
        needs = f"floor >= {f['met_from']:.2f} ms" if f["met_from"] is not None else "never"
        print(f"{name}: {len(runs)} runs, floor {f['floor'][0]:.2f}-{f['floor'][1]:.2f} ms, op / floor "
              f"{f['ratio'][0]:.2f}-{f['ratio'][1]:.2f} (<= {target:g} in {f['met']}); corr(floor, op / floor) "
              f"{f['corr']:.2f}; op = {f['a']:.2f} ms + {f['b']:.2f} x floor; <= {target:g} where {needs}; at the "
              f"fastest floor it needs a <= {f['a_needed']:.2f} ms")


if __name__ == "__main__":
    main()
