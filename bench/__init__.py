"""Qualibot benchmarks: engine, service, end to end, connections, growth (``python -m bench``)."""
