"""Benchmark of ingest and search on synthetic reports (``python -m bench.generate``, ``python -m bench.run``)."""
