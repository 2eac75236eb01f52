"""The ingest pipeline: one report object through small steps, in order.

    read → normalise → sentences → words → title, date, year, publisher, jurisdiction, publisher's full name
         → laws and documents → programs → initiatives → figures

Each step takes the report and returns it, so a step can be run, tested or replaced alone.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from ingest.extract.figures import extract_figures
from ingest.extract.initiatives import extract_initiatives
from ingest.extract.jurisdiction import extract_jurisdiction
from ingest.extract.laws import extract_laws
from ingest.extract.meta import extract_published, extract_title, extract_year
from ingest.extract.programs import extract_programs
from ingest.extract.publisher import complete_publisher, extract_publisher
from ingest.normalize import prepare
from ingest.read import read_report
from ingest.report import Report
from ingest.segment import default_segmenter
from ingest.sentences import split_sentences

Step = Callable[[Report], Report]


def segment(report: Report) -> Report:
    """Words of the normalised text; extraction and the full-text index both use them."""
    report.tokens = default_segmenter().tokens(report.text)
    return report


STEPS: tuple[Step, ...] = (
    prepare,
    split_sentences,
    segment,
    extract_title,
    extract_published,
    extract_year,
    extract_publisher,
    extract_jurisdiction,
    complete_publisher,
    extract_laws,
    extract_programs,
    extract_initiatives,
    extract_figures,
)


def process(report: Report, steps: tuple[Step, ...] = STEPS) -> Report:
    for step in steps:
        report = step(report)
    return report


def extract_file(path: str | os.PathLike) -> Report:
    """Read one file and extract its facts (raises :class:`ingest.read.ReadError` on bad input)."""
    return process(read_report(path))
