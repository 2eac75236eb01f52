"""The publisher: the organisation that signs or issues the report (e.g. a county's 司法局)."""
from __future__ import annotations

import re

from ingest.extract.meta import head_lines, signature_lines, title_span
from ingest.report import Publisher, Report
from ingest.vocab import cues

ORG_LINE_MAX = 30
NOT_A_NAME = re.compile(r"[,，。;；:：!?！？《》\"\d]")


def publisher_kind(name: str) -> str | None:
    """The kind of organisation a name ends with, or None if it does not look like one."""
    for suffix, kind in sorted(cues()["publisher"]["suffixes"], key=lambda pair: -len(pair[0])):
        if name.endswith(suffix):
            return kind
    return None


def _as_publisher(report: Report, start: int, end: int) -> Publisher | None:
    name = report.text[start:end].strip()
    if not name or len(name) > ORG_LINE_MAX or NOT_A_NAME.search(name):
        return None
    kind = publisher_kind(name)
    if kind is None:
        return None
    sentence = next((s for s in report.sentences if s.start <= start < s.end), None)
    return Publisher(name=report.original[start:end].strip(), kind=kind,
                     evidence=sentence.evidence if sentence else None)


def extract_publisher(report: Report) -> Report:
    text = report.text
    markers = cues()["report"]["source_markers"]
    # 1. a web page's source line: "2024-03-29 13:09 来源: 通江县洪口镇人民政府"
    for start, end in head_lines(report):
        line = text[start:end]
        for marker in markers:
            at = line.find(marker)
            if at >= 0:
                name_start = start + at + len(marker)
                while name_start < end and text[name_start].isspace():
                    name_start += 1
                name_end = name_start
                while name_end < end and not text[name_end].isspace():
                    name_end += 1
                found = _as_publisher(report, name_start, name_end)
                if found:
                    report.publisher = found
                    return report
    # 2. a signature line at the end: "宣汉县司法局"
    for start, end in reversed(signature_lines(report)):
        found = _as_publisher(report, start, end)
        if found:
            report.publisher = found
            return report
    # 3. a title that names its issuer: "XX县司法局关于2023年度法治政府建设情况的报告"
    span = title_span(report)
    if span:
        title = text[span[0]:span[1]]
        at = title.find("关于")
        if at > 0:
            found = _as_publisher(report, span[0], span[0] + at)
            if found:
                report.publisher = found
    return report
