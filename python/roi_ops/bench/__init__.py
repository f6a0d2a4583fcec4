"""``roi-ops bench``: the benchmark workloads (cases.py) timed against onnxruntime's built-in ops
and the standard-op models (run.py), reported as a Markdown table and a plot (report.py)."""
