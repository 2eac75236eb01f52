"""Extraction steps. Each takes a prepared :class:`~ingest.report.Report` (normalised text,
sentences, tokens) and fills one part of it; offsets are found in ``report.text`` and are valid in
``report.original`` because normalisation maps character for character."""
