"""Ingest: read a report, extract its facts, and hand triples and text to the stores.

One :class:`~ingest.report.Report` flows through small steps (see :mod:`ingest.pipeline`).
"""
