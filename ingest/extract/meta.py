"""Title, report year and publication date, read from the text's own lines."""
from __future__ import annotations

import re

from ingest.report import Report
from ingest.vocab import cues

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
ISO_DATE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
SENTENCE_PUNCTUATION = re.compile(r"[,，。;；!?！？]")
#: Leading lines this long or longer are body text, not a title.
TITLE_LINE_MAX = 40
TITLE_MAX = 60
#: How many lines at the top and bottom count as the head (title, source line) and the signature.
HEAD_LINES = 4
SIGNATURE_LINES = 4


def lines_with_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty line, whitespace trimmed."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped)
            spans.append((start, start + len(stripped)))
        offset += len(line) + 1
    return spans


def head_lines(report: Report) -> list[tuple[int, int]]:
    return lines_with_offsets(report.text)[:HEAD_LINES]


def signature_lines(report: Report) -> list[tuple[int, int]]:
    return lines_with_offsets(report.text)[-SIGNATURE_LINES:]


def title_span(report: Report) -> tuple[int, int] | None:
    """The leading line(s) that name the report, e.g. "2024年甘谷县法治政府建设" + "工作总结"."""
    kinds = cues()["report"]["kinds"]
    lines = []
    for start, end in head_lines(report):
        line = report.text[start:end]
        if len(line) > TITLE_LINE_MAX or SENTENCE_PUNCTUATION.search(line) or ISO_DATE.search(line):
            break
        lines.append((start, end))
    for count in range(len(lines), 0, -1):
        joined = "".join(report.text[s:e] for s, e in lines[:count])
        if len(joined) <= TITLE_MAX and any(kind in joined for kind in kinds):
            return lines[0][0], lines[count - 1][1]
    return None


def extract_title(report: Report) -> Report:
    span = title_span(report)
    if span:
        report.title = "".join(line.strip() for line in report.original[span[0]:span[1]].split("\n"))
    return report


def _outside_titles(text: str, start: int, end: int) -> list[re.Match]:
    """Year mentions in text[start:end] that are not inside a 《…》 title (plan periods like 2021—2025年)."""
    found = []
    depth = 0
    inside = [False] * (end - start)
    for i in range(start, end):
        if text[i] == "《":
            depth += 1
        inside[i - start] = depth > 0
        if text[i] == "》":
            depth = max(0, depth - 1)
    for match in YEAR.finditer(text, start, end):
        if not inside[match.start() - start]:
            found.append(match)
    return found


def extract_year(report: Report) -> Report:
    """The year reported on: from the title, from "…年度…报告如下", or from the opening sentences."""
    text = report.text
    span = title_span(report)
    if span:
        years = _outside_titles(text, *span)
        if years:
            report.year = int(years[0].group(1))
            return report
    endings = cues()["report"]["statement_endings"]
    for sentence in report.sentences:
        segment = text[sentence.start:sentence.end]
        if any(ending in segment for ending in endings):
            years = _outside_titles(text, sentence.start, sentence.end)
            if years:
                report.year = int(years[-1].group(1))
                return report
    for sentence in report.sentences[:3]:
        years = _outside_titles(text, sentence.start, sentence.end)
        # a year opening the sentence ("2024年以来", "2024年,") dates the whole report
        if years and years[0].start() - sentence.start <= 2:
            report.year = int(years[0].group(1))
            return report
    if report.published:
        year, month = int(report.published[:4]), int(report.published[5:7])
        # annual reports are published in the first months of the following year
        report.year = year - 1 if month <= 4 else year
        report.notes.append("year inferred from the publication date")
    return report


def _date(match: re.Match) -> str | None:
    year, month, day = (int(g) for g in match.groups())
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def extract_published(report: Report) -> Report:
    """Publication date: a date-only signature line, else a date on a source/metadata line at the top."""
    text = report.text
    for start, end in reversed(signature_lines(report)):
        line = text[start:end]
        match = CN_DATE.fullmatch(line) or ISO_DATE.fullmatch(line)
        if match and _date(match):
            report.published = _date(match)
            return report
    markers = cues()["report"]["source_markers"]
    for start, end in head_lines(report):
        line = text[start:end]
        match = ISO_DATE.search(line) or CN_DATE.search(line)
        if match and (any(m in line for m in markers) or len(line) <= 30) and _date(match):
            report.published = _date(match)
            return report
    return report
