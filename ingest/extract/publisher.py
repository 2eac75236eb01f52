"""The publisher: the organisation that signs or issues the report (e.g. a county's 司法局).

Where a publisher shows, strongest first: a web page's source line, a department named in the
title ("长沙县司法局2023年…报告"), a signature line, a title's issuer before 关于, a department
that opens the first sentences as their subject ("2025年,泾源县公安局在县委…领导下"), and for a
report that calls itself 我局 / 我厅 the department it names most, or else the line of work it
names most ("全市司法行政系统" → 司法局). A department's written form (人社局, 市场监管局) is
mapped to its full name from ``ingest/data/departments.tsv``; after the jurisdiction is known,
:func:`complete_publisher` writes the area in front (东丽区市场监管局 → 天津市东丽区市场监督管理局).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ingest.extract.jurisdiction import fits_level
from ingest.extract.meta import head_lines, signature_lines, title_span
from ingest.extract.text import clause_span, find_all, inside_title, names_a_superior
from ingest.gazetteer import default_gazetteer
from ingest.report import Publisher, Report
from ingest.vocab import Department, cues, departments

ORG_LINE_MAX = 30
NOT_A_NAME = re.compile(r"[,，。;；:：!?！？《》\"\d]")
#: A single level word before a department names the level of its area: 县司法局, 市水务局.
LEVEL_WORDS = {"省": "province", "市": "city", "州": "city", "盟": "city", "县": "county", "旗": "county",
               "区": "district", "乡": "township", "镇": "township"}
#: How far back from a department name its area's name may start (宁夏回族自治区固原市泾源县 …).
AREA_WINDOW = 24
#: How many of the first sentences are searched for a department that opens them.
OPENING_SENTENCES = 3
#: How far into its clause a department may start and still be the clause's subject.
SUBJECT_OFFSET = 1


def publisher_kind(name: str) -> str | None:
    """The kind of organisation a name ends with, or None if it does not look like one."""
    for suffix, kind in sorted(cues()["publisher"]["suffixes"], key=lambda pair: -len(pair[0])):
        if name.endswith(suffix):
            return kind
    return None


@dataclass(frozen=True)
class DepartmentMention:
    """A department named in the text, with the area written before it (if any)."""
    department: Department
    start: int  # where the area's name (or the level word) starts, else the department's name
    end: int
    area: str | None  # a division name written before it: 长沙县
    level: str | None  # the level a bare level word gives: 县司法局 → county


@lru_cache(maxsize=1)
def _department_pattern() -> tuple[re.Pattern, dict[str, Department]]:
    by_form = {form: department for department in departments() for form in department.forms}
    return re.compile("|".join(re.escape(f) for f in sorted(by_form, key=len, reverse=True))), by_form


def _area_before(text: str, position: int) -> tuple[int, str | None, str | None]:
    """(start, area name, level) of what names the area right before ``position``."""
    lo = max(0, position - AREA_WINDOW)
    ends = [(s, name) for s, e, name in default_gazetteer().scan(text[lo:position]) if lo + e == position]
    if not ends and position - 1 > lo and text[position - 1] in LEVEL_WORDS:
        # 元谋县县卫生健康局: the area's level word written twice
        ends = [(s, name) for s, e, name in default_gazetteer().scan(text[lo:position - 1])
                if lo + e == position - 1 and name.endswith(text[position - 1])]
    if ends:
        start, name = min(ends)
        return lo + start, name, None
    if position > 0 and text[position - 1] in LEVEL_WORDS:
        return position - 1, None, LEVEL_WORDS[text[position - 1]]
    return position, None, None


def department_mentions(text: str, lo: int = 0, hi: int | None = None) -> list[DepartmentMention]:
    """Every department named in ``text[lo:hi]`` outside 《》 titles, in order."""
    pattern, by_form = _department_pattern()
    found = []
    for match in pattern.finditer(text, lo, len(text) if hi is None else hi):
        if inside_title(text, match.start()):
            continue
        start, area, level = _area_before(text, match.start())
        found.append(DepartmentMention(by_form[match.group()], max(lo, start), match.end(), area, level))
    return found


def _evidence(report: Report, position: int):
    sentence = report.sentence_containing(position)
    return sentence.evidence if sentence else None


def _from_mention(report: Report, mention: DepartmentMention, basis: str) -> Publisher:
    return Publisher(name=report.original[mention.start:mention.end], kind="department",
                     evidence=_evidence(report, mention.start), department=mention.department.name,
                     area=mention.area, level=mention.level, start=mention.start, end=mention.end, basis=basis)


def _as_publisher(report: Report, start: int, end: int, basis: str) -> Publisher | None:
    name = report.text[start:end].strip()
    if not name or len(name) > ORG_LINE_MAX or NOT_A_NAME.search(name):
        return None
    kind = publisher_kind(name)
    if kind is None:
        return None
    mentions = [m for m in department_mentions(report.text, start, end) if m.end == end]
    if mentions:
        return _from_mention(report, mentions[-1], basis)
    return Publisher(name=report.original[start:end].strip(), kind=kind,
                     evidence=_evidence(report, start), start=start, end=end, basis=basis)


def _source_line(report: Report) -> Publisher | None:
    """A web page's source line: "2024-03-29 13:09 来源: 通江县洪口镇人民政府"."""
    text = report.text
    for start, end in head_lines(report):
        line = text[start:end]
        for marker in cues()["report"]["source_markers"]:
            at = line.find(marker)
            if at >= 0:
                name_start = start + at + len(marker)
                while name_start < end and text[name_start].isspace():
                    name_start += 1
                name_end = name_start
                while name_end < end and not text[name_end].isspace():
                    name_end += 1
                found = _as_publisher(report, name_start, name_end, "source line")
                if found:
                    return found
    return None


def _title_department(report: Report) -> Publisher | None:
    """The department a title opens with: "长沙县司法局2023年…", "市水务局2025年度…"."""
    span = title_span(report)
    if span:
        mentions = department_mentions(report.text, *span)
        if mentions and not report.text[span[0]:mentions[0].start].strip(" \n"):
            return _from_mention(report, mentions[0], "title")
    return None


def _signature(report: Report) -> Publisher | None:
    for start, end in reversed(signature_lines(report)):
        found = _as_publisher(report, start, end, "signature")
        if found:
            return found
    return None


def _title_issuer(report: Report) -> Publisher | None:
    """A title that names its issuer: "XX县司法局关于2023年度法治政府建设情况的报告"."""
    span = title_span(report)
    if span:
        at = report.text[span[0]:span[1]].find("关于")
        if at > 0:
            return _as_publisher(report, span[0], span[0] + at, "title")
    return None


def _opening_subject(report: Report) -> Publisher | None:
    """A department that opens a clause of the first sentences: "2022年,县交通运输局以…"."""
    text = report.text
    title = title_span(report)
    body = [s for s in report.sentences if not title or s.start >= title[1]]
    for sentence in body[:OPENING_SENTENCES]:
        for mention in department_mentions(text, sentence.start, sentence.end):
            lo, hi = clause_span(text, mention.start, sentence.start, sentence.end)
            if mention.start - lo > SUBJECT_OFFSET:
                continue
            if names_a_superior(text[lo:hi]):
                continue  # "在县委、县政府和市公安局党委的坚强领导下" names a superior
            return _from_mention(report, mention, "opening sentence")
    return None


def _self_reference(report: Report) -> Publisher | None:
    """A report that calls itself 我局: the department it names most, or its most named line of work."""
    text = report.text
    if not any(word in text for word in cues()["publisher"]["self_reference"]):
        return None
    mentions = department_mentions(text)
    if mentions:
        counts = Counter(m.department.name for m in mentions)
        name = counts.most_common(1)[0][0]
        return _from_mention(report, next(m for m in mentions if m.department.name == name), "self-reference")
    followers = tuple(cues()["publisher"]["field_followers"])
    counts = Counter()
    for department in departments():
        if department.name.endswith("局"):  # a 局 says 我局; 厅 and 委 have their own self-reference
            counts[department] = sum(1 for word in department.fields for at in find_all(text, word)
                                     if text.startswith(followers, at + len(word)) and not inside_title(text, at))
    if counts and counts.most_common(1)[0][1]:
        department = counts.most_common(1)[0][0]
        return Publisher(name=department.name, kind="department", department=department.name,
                         basis="line of work")
    return None


CLUES = (_source_line, _title_department, _signature, _title_issuer, _opening_subject, _self_reference)


def extract_publisher(report: Report) -> Report:
    for clue in CLUES:
        found = clue(report)
        if found:
            report.publisher = found
            return report
    return report


def complete_publisher(report: Report) -> Report:
    """A department's full name: its area's name as the jurisdiction gives it, then its own.

    Run after :func:`ingest.extract.jurisdiction.extract_jurisdiction`. A district's department
    carries its city's name too (天津市东丽区市场监督管理局), as official names do.
    """
    publisher, jurisdiction = report.publisher, report.jurisdiction
    if publisher is None or publisher.department is None or jurisdiction is None:
        return report
    written_area = {p.code for p in default_gazetteer().by_name[publisher.area]} if publisher.area else set()
    if (publisher.area and jurisdiction.code not in written_area) or not (
            publisher.level is None or fits_level(jurisdiction, publisher.level)):
        return report  # another area's department, or a level the jurisdiction does not have
    area = jurisdiction.name
    if jurisdiction.level == "district" and jurisdiction.parents:
        area = jurisdiction.parents[-1].name + area
    publisher.name = area + publisher.department
    return report

