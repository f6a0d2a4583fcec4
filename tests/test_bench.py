"""`roi-ops bench` on shrunken workloads (--quick): every case runs, the table has a row per case
and thread count with the speed-up its own times give, the cases that compute the same numbers
as their baseline agree, the plot is a PNG, and --results rewrites only its block."""
from __future__ import annotations

import importlib.util
import os
import re

import pytest

pytest.importorskip("matplotlib", reason="matplotlib is not installed (the test extras)")
pytest.importorskip("tqdm", reason="tqdm is not installed (the test extras)")

from peers import SANITIZED  # noqa: E402

from roi_ops.cli import main  # noqa: E402

# TensorFlow works out crop_and_resize's sample positions in float32, the spec in double: ~1e-4
# apart on these maps (values up to ~4, positions up to ~270).
TF_LIMIT = 5e-4
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
ROW = re.compile(r"^\| (?P<workload>[^|]+) \| (?P<op>[^|]+) \| (?P<dtype>\w+) \| (?P<threads>\d+) \| (?P<ours>[\d.]+) "
                 r"\| (?P<baseline>[^|]+) \| (?P<base_ms>[^|]+) \| (?P<speedup>[^|]+) \| (?P<diff>[^|]+) "
                 r"\| (?P<floor>[^|]+) \| (?P<over_floor>[^|]+) \|$")
PAIRED = re.compile(r"^\| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([^|]+) \|$")


def test_quick_bench_table_plot_and_results_block(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nkept text\n")
    # Under the sanitizers OpenVINO cannot load in this process (tests/peers.py): no peer rows there.
    peers = [] if SANITIZED else ["O1", "O2", "O3", "O4", *(["O5", "O6"] if HAS_TENSORFLOW else [])]
    argv = ["bench", "--quick", "--warmup", "0", "--repeat", "1", "--threads", "1", "2", "--models", MODELS_DIR,
            "--cache-dir", str(tmp_path / "cache"), *([] if peers else ["--no-peers"]), "--results", str(results),
            "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = [m.groupdict() for m in map(ROW.match, out.splitlines()) if m]
    assert out.startswith("Quick run: small inputs") and all(r["workload"].endswith(" (quick)") for r in rows)
    workloads = {r["workload"].split()[0] for r in rows}
    assert workloads == {"W1", "W2", "W3", "W4", "W5", "W6", "M1", "M2", "P1", "P2", "R1", "C1", "F1", "F2", "D1",
                         "T1", *peers}
    # 2 threads x (W1-W6 with W4's and W6's RoIPool, two dtypes, + 9 others + W6 for the 6 ops of
    # M1-C1 + the OpenVINO and TensorFlow rows + T1's whole model and pooler block)
    assert len(rows) == 2 * (2 * 8 + 9 + 6 + len(peers) + 2)
    w6_ops = {r["op"].strip() for r in rows if r["workload"].startswith("W6")}
    assert w6_ops == {"RoIAlign", "RoIPool", "MultiScaleRoIAlign", "MultiScaleRoIAlignRotated", "PSRoIAlign",
                      "PSRoIPool", "RoIAlignRotated", "CropAndResize"}
    for r in rows:
        # Op-level rows have a floor, timed in the same run; the whole-model rows (D1, T1) none.
        whole_model = r["workload"][:2] in ("D1", "T1")
        assert (r["floor"].strip() == "-") == whole_model, r
        if not whole_model:
            assert float(r["floor"]) > 0 and float(r["over_floor"]) > 0, r
        if r["base_ms"].strip() == "no kernel":
            assert (r["op"].strip(), r["dtype"]) == ("RoIPool", "float16")
            continue
        # Times are printed to 0.01 ms: the printed speed-up lies within what that rounding allows.
        base, ours, h = float(r["base_ms"]), float(r["ours"]), 0.005
        assert (base - h) / (ours + h) - 0.005 <= float(r["speedup"].rstrip("x ")) <= (base + h) / (ours - h) + 0.005
        if r["diff"].strip() != "proxy":
            limit = 5e-3 if r["dtype"] == "float16" else 1e-4
            if r["workload"][:2] in ("O5", "O6"):
                limit = TF_LIMIT
            if r["workload"].startswith("T1"):
                # torchvision's pooler on its FPN maps (values in the hundreds: 1e-5 relative), and its
                # detections (1e-4 of the 320 px image)
                limit = 5e-3 if r["op"].strip() == "pooler block" else 0.032
            assert float(r["diff"]) <= limit, r
    # The targets' ratios timed in alternation (roi_ops.bench.paired): op / floor at 1 thread for
    # W1-W4, M1, R1 and C1, W1-W3's scaling to 2 threads beside the floor copy's. A ratio is the
    # median of per-turn ratios, near (not equal to) the ratio of the two medians printed with it.
    paired = [m.groups() for m in map(PAIRED.match, out.splitlines()) if m]
    assert [(w.split()[0], pair) for w, _, pair, *_ in paired] == \
        [(w, "roi_ops / floor, 1 thread") for w in ("W1", "W2", "W3", "W4", "M1", "R1", "C1")] + \
        [(w, "1 thread / 2 threads") for w in ("W1", "W2", "W3")]
    for _, _, pair, first, second, ratio, copy in paired:
        assert float(first) > 0 and float(second) > 0 and 0.5 < float(ratio) / (float(first) / float(second)) < 2
        assert (copy.strip() == "-") == pair.startswith("roi_ops")
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = results.read_text()
    assert text.startswith("# Results\n\nkept text\n") and "![speed-up per workload](bench.png)" in text
    # A second run replaces the block instead of adding one.
    assert main(argv[:-3] + ["--results", str(results), "--no-progress", "--dtypes", "float32"]) == 0
    assert results.read_text().count("<!-- roi-ops bench: begin -->") == 1


def test_bench_rejects_bad_counts(capsys):
    assert main(["bench", "--repeat", "0", "--no-progress"]) == 1
    assert "--repeat" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux), a file every write to fails")
def test_results_file_it_cannot_write_is_named_and_a_device_is_not_read():
    # /dev/full reads as endless zeros: the block is merged into a regular file's text only.
    # Writing it fails as a full disk does, whose OSError carries no file name.
    from roi_ops._files import FileProblem
    from roi_ops.bench import report

    with pytest.raises(FileProblem, match=r"^/dev/full: cannot write it: No space left on device$"):
        report.update_results("/dev/full", "a table")


def test_timing_runs_on_for_min_seconds():
    """A full bench run times each workload for at least MIN_SECONDS (its medians of 15 runs of a
    0.4 ms workload moved by 1.4x between runs); the progress bar still counts warmup + repeat."""
    import time

    from roi_ops._timing import median_ms, median_ms_interleaved

    calls, ticks = [], []
    median_ms(lambda: calls.append(time.sleep(0.002)), warmup=1, repeat=3, tick=lambda: ticks.append(1))
    assert len(calls) == 4 and len(ticks) == 4
    calls.clear()
    ticks.clear()
    start = time.perf_counter()
    median_ms(lambda: calls.append(time.sleep(0.002)), warmup=1, repeat=3, tick=lambda: ticks.append(1),
              min_seconds=0.1)
    assert time.perf_counter() - start >= 0.1 and len(calls) > 20 and len(ticks) == 4
    a, b = [], []
    median_ms_interleaved(lambda: a.append(0), lambda: b.append(0), warmup=0, repeat=2, min_seconds=0.05)
    assert len(a) == len(b) > 2


def test_paired_timing_script(capsys):
    """benchmarks/paired.py, which RESULTS.md quotes: the same build twice (each in a process of
    its own) is bit-identical; float16 against float32, an op against its baseline or its floor,
    and 1 thread against 2 print their ratios; a baseline that cannot run, a workload that does
    not exist and a library that does not load are named."""
    import roi_ops

    paired = _load_script("paired.py")
    lib = roi_ops.get_library_path(cuda=False)
    assert paired.main(["libs", "W1 box head", lib, lib, "--quick", "--seconds", "0.1"]) == 0
    assert "outputs bit-identical" in capsys.readouterr().out
    assert paired.main(["libs", "W6 few RoIs", lib, lib, "--op", "RoIAlign", "--dtype", "float16", "--quick",
                        "--seconds", "0.1"]) == 0
    assert "(RoIAlign, float16)" in (out := capsys.readouterr().out) and "outputs bit-identical" in out, out
    assert paired.main(["dtypes", "W6 few RoIs", "--op", "RoIPool", "--quick", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"float16 takes \d+\.\d+x the float32 time", out), out
    assert paired.main(["baseline", "W6 few RoIs", "--op", "CropAndResize", "--quick", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"roi_ops \d+\.\d+ ms, RoiAlign 14x14, 1 sample \d+\.\d+ ms, roi_ops is \d+\.\d+x", out), out
    assert paired.main(["threads", "W3 batch", "--threads", "2", "--quick", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"2 threads \d+\.\d+ ms, scaling \d+\.\d+x .*the floor's copy scaling \d+\.\d+x", out), out
    assert paired.main(["floor", "C1 crops 14x14", "--quick", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"roi_ops \d+\.\d+ ms, floor \d+\.\d+ ms, roi_ops / floor \d+\.\d+", out), out
    with pytest.raises(SystemExit):
        paired.main(["threads", "W3 batch", "--quick"])
    assert "--threads, which must be at least 2" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="MaxRoiPool does not run here"):
        paired.main(["baseline", "W6 few RoIs", "--op", "RoIPool", "--dtype", "float16", "--quick"])
    with pytest.raises(SystemExit, match="no float32 workload 'W9'"):
        paired.main(["libs", "W9", lib, lib, "--quick"])
    with pytest.raises(SystemExit, match="paired.py: /nonexistent/libroi_ops.so: .*Failed to load library"):
        paired.main(["libs", "W5 tiny", lib, "/nonexistent/libroi_ops.so", "--quick"])


def test_bound_output_script(capsys):
    """benchmarks/bound_output.py, which RESULTS.md quotes: the op writing into a buffer bound at
    each offset past a line, against its own buffer, one row per offset (the outputs equal);
    a workload that does not exist and an offset outside a line are named."""
    bound = _load_script("bound_output.py")
    assert bound.main(["W3 batch", "--op", "RoIAlign", "--offsets", "0,16", "--quick", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^\| (0|16) \| \d+\.\d+ \| \d+\.\d+ \| \d+\.\d+ \|$", out, re.M)) == 2, out
    assert bound.main(["W3 batch", "--dtype", "float16", "--offsets", "2", "--quick", "--seconds", "0.1"]) == 0
    assert "(RoIAlign, float16)" in capsys.readouterr().out
    assert bound.main(["W9", "--quick"]) == 2
    assert "no float32 workload 'W9'" in capsys.readouterr().err
    assert bound.main(["W3 batch", "--offsets", "0,64", "--quick"]) == 2
    assert "--offsets '0,64': give bytes past a line, 0-63" in capsys.readouterr().err


def test_tensorflow_peer_agrees():
    """O5, O6 (TensorFlow's crop_and_resize as a peer of CropAndResize, tensorflow_peer.py): each
    runs in a child process on the quick C1 and W6 crops, and both outputs agree."""
    if not HAS_TENSORFLOW:
        pytest.skip("tensorflow is not installed (an optional peer: pip install 'roi-ops[tensorflow]')")
    from roi_ops.bench.cases import tensorflow_cases
    from roi_ops.bench.tensorflow_peer import time_in_child

    cases = list(tensorflow_cases(quick=True))
    assert [c.workload for c in cases] == ["O5 crops 14x14", "O6 few RoIs"]
    for case in cases:
        ours_ms, tf_ms, diff = time_in_child(case, 1, 0, 1)
        assert ours_ms > 0 and tf_ms > 0
        assert diff <= TF_LIMIT, case.workload


def _spy_on_sessions(monkeypatch, module, name):
    """Records the `spinning` argument of every session `module.name` makes."""
    made = []
    real = getattr(module, name)

    def session(model, threads, plugin, library=None, spinning=True):
        made.append(spinning)
        return real(model, threads, plugin, library, spinning)
    monkeypatch.setattr(module, name, session)
    return made


def test_sessions_timed_in_turns_do_not_spin(monkeypatch):
    """Where the bench times two onnxruntime sessions in turns (T1), they do not spin between
    calls: one pool's spinning threads took the other's vCPUs (two 2-thread sessions in turns ran
    M1 at 1-thread speed; paired.py). A workload timed alone keeps onnxruntime's default."""
    import dataclasses

    import numpy as np

    from roi_ops.bench import run
    from roi_ops.bench.cases import roi_align_pool_cases

    made = _spy_on_sessions(monkeypatch, run, "session")
    w5 = next(c for c in roi_align_pool_cases(np.float32, quick=True) if c.workload.startswith("W5"))
    run.time_case(w5, 2, 0, 1, min_seconds=0)
    assert made == [True, True]
    made.clear()
    run.time_case(dataclasses.replace(w5, interleaved=True), 2, 0, 1, min_seconds=0)
    assert made == [False, False]


def test_tensorflow_child_session_does_not_spin(monkeypatch, tmp_path):
    """roi_ops' session in the TensorFlow child of O5, O6 does not spin between calls either."""
    if not HAS_TENSORFLOW:
        pytest.skip("tensorflow is not installed (an optional peer: pip install 'roi-ops[tensorflow]')")
    import numpy as np
    import onnx

    from roi_ops.bench import tensorflow_peer
    from roi_ops.bench.cases import tensorflow_cases

    made = _spy_on_sessions(monkeypatch, tensorflow_peer, "roi_session")
    o6 = list(tensorflow_cases(quick=True))[1]
    onnx.save(o6.model, str(tmp_path / "model.onnx"))
    np.savez(tmp_path / "feeds.npz", **o6.feeds)
    assert tensorflow_peer.main([str(tmp_path), "--warmup", "0", "--repeat", "1", "--min-seconds", "0"]) == 0
    assert made == [False]


def test_broken_tensorflow_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    """A tensorflow that is installed but does not import (here one that needs a module that is
    missing, as a TensorFlow without its dependencies does) leaves out O5 and O6 with one line
    naming the error; the other rows still run."""
    import numpy as np

    from roi_ops.bench.cases import roi_align_pool_cases, tensorflow_cases
    from roi_ops.bench.run import run_all

    fake = tmp_path / "site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import requests_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path / "site"),
                                                                    os.environ.get("PYTHONPATH")])))
    w5 = [c for c in roi_align_pool_cases(np.float32, quick=True) if c.workload.startswith("W5")]
    rows = run_all([*tensorflow_cases(quick=True), *w5], threads=(1,), warmup=0, repeat=1, progress=False)
    assert [r.case.workload for r in rows] == ["W5 tiny"]
    err = capsys.readouterr().err
    assert err.count("roi-ops bench:") == 1, err
    assert "TensorFlow failed to run (ModuleNotFoundError: No module named 'requests_that_is_not_installed')" in err
    assert "Traceback" not in err


def _load_script(name: str):
    import importlib.util

    path = os.path.join(os.path.dirname(MODELS_DIR), "benchmarks", name)
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_traffic_script_counts_cells_per_bin(capsys):
    """benchmarks/traffic.py, which RESULTS.md quotes: the distinct cells a bin's samples read
    along an axis, against counts worked out by hand, and its table has a row per workload."""
    traffic = _load_script("traffic.py")
    # Extent 8 in 2 bins of 2 samples: samples at 1, 3 | 5, 7, each reading its cell and the next.
    assert traffic.cells_per_bin(0, 8, 1.0, False, 2, 2, 100).tolist() == [4, 4]
    # Extent 2: samples at 0.25, 0.75 | 1.25, 1.75 share cells: {0, 1} | {1, 2}.
    assert traffic.cells_per_bin(0, 2, 1.0, False, 2, 2, 100).tolist() == [2, 2]
    # On a map of 3 cells: 0.5, 1.5 read {0, 1, 2}; 2.5 reads the last cell only, 3.5 nothing.
    assert traffic.cells_per_bin(0, 4, 1.0, False, 2, 2, 3).tolist() == [3, 1]
    traffic.main()
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.startswith("| W")]
    assert [r.split(" |")[0][2:4] for r in rows] == ["W1", "W2", "W3", "W4", "W6"]
    # M1: a row per FPN map, and every one of its 1000 RoIs on exactly one of them.
    maps = [line for line in out if line.startswith("| M1 map")]
    assert len(maps) == 4
    assert sum(int(r.split("(")[1].split(" RoIs")[0]) for r in maps) == 1000


def test_floor_fit_script_fits_the_line_resultsmd_quotes(capsys):
    """benchmarks/floor_fit.py, which RESULTS.md quotes: on runs that lie on op = 2 + 1.5 * floor
    it finds that line and the floor (2 / 1.5) from which op / floor <= 3, and its W3 and C1 lines
    are the fits amd-epyc-zen4/RESULTS.md ("Session 51") gives."""
    floor_fit = _load_script("floor_fit.py")
    f = floor_fit.fit([(2 + 1.5 * x, x) for x in (1.0, 2.0, 4.0)], 3.0)
    assert f["a"] == pytest.approx(2) and f["b"] == pytest.approx(1.5) and f["met_from"] == pytest.approx(4 / 3)
    assert f["met"] == 2 and f["a_needed"] == pytest.approx(1.5)  # 3.5 / 1 > 3; at floor 1, a <= 1.5
    floor_fit.main()
    out = capsys.readouterr().out
    assert "W3 batch: 36 runs" in out and "op = 8.06 ms + 1.66 x floor; <= 3 where floor >= 6.00 ms" in out
    assert "op = 3.05 ms + 2.06 x floor; <= 2 where never" in out


@pytest.mark.parametrize("name", ["random_loads.cc", "bin_loop.cc", "few_rois_reads.cc", "crop_loads.cc",
                                  "load_bound.cc", "rotated_cells.cc", "crop_nchw.cc", "l2_plane.cc",
                                  "staging_bound.cc", "transpose_parts.cc"])
def test_benchmark_programs_compile(name, tmp_path):
    """The C++ programs in benchmarks/ that RESULTS.md quotes still build (bin_loop.cc, l2_plane.cc,
    staging_bound.cc, rotated_cells.cc, crop_nchw.cc and transpose_parts.cc against the library's
    own code; running them takes seconds and their figures belong to the machine, so the test only
    compiles them)."""
    import shutil
    import subprocess

    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler (g++ or c++) on PATH")
    root = os.path.dirname(MODELS_DIR)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # not the sanitized run's runtimes
    run = subprocess.run([compiler, "-O2", "-std=c++17", "-Wall", "-Werror", "-I", root, "-o",
                          str(tmp_path / "program"), os.path.join(root, "benchmarks", name)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
