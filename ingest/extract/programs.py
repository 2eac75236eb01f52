"""Nationwide programs, found by their labels in the SKOS scheme (``ontology/programs.ttl``).

Labels are matched with quotes and spaces ignored (“八五”普法 is 八五普法), leftmost-longest, so
八五普法规划 is one mention and not also the broader 普法规划. Short labels must also start and
end on word boundaries of the segmentation (述法 in 陈述法律意见 is not the program).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ingest.extract.text import SqueezedView, inside_title, quoted_spans
from ingest.report import ProgramMention, Report
from ingest.vocab import Program, programs, squeeze

#: Labels this short or shorter must align with word boundaries.
SHORT_LABEL = 3
DIGIT = re.compile(r"\d")


def _aligned(report: Report, start: int, end: int, starts: set[int], ends: set[int]) -> bool:
    if not report.tokens:
        return True
    return start in starts and end in ends


@lru_cache(maxsize=1)
def _label_index() -> tuple[re.Pattern, dict[str, Program]]:
    """One alternation of every label, longest first, so a scan finds the leftmost-longest label."""
    by_label = {label: program for program in programs() for label in program.labels}
    pattern = re.compile("|".join(re.escape(label) for label in sorted(by_label, key=len, reverse=True)))
    return pattern, by_label


def program_spans(report: Report) -> list[tuple[int, int, Program]]:
    """(start, end, program) of every program mention, offsets into the report text."""
    text = report.text
    starts = {t.start for t in report.tokens}
    ends = {t.end for t in report.tokens}
    pattern, by_label = _label_index()
    found: list[tuple[int, int, Program]] = []
    for sentence in report.sentences:
        view = SqueezedView(text, sentence.start, sentence.end)
        # finditer scans left to right without overlaps; at each position the longest label wins
        for match in pattern.finditer(view.text):
            s, e = match.span()
            program = by_label[match.group()]
            start, end = view.span(s, e)
            label = view.text[s:e]
            if DIGIT.match(label[0]) and (start > 0 and text[start - 1].isdigit()
                                          or end < len(text) and text[end].isdigit()):
                continue  # 12348 inside a longer number
            if len(label) <= SHORT_LABEL and not _aligned(report, start, end, starts, ends):
                continue
            if inside_title(text, start, sentence.start):
                continue  # 《某县法治督察工作实施办法》 names a document, not the program carried out
            found.append((start, end, program))
        for quoted in quoted_spans(text, sentence.start, sentence.end):
            inner = squeeze(quoted.inner(text))
            for program in programs():
                if inner in program.quoted_labels and not any(s <= quoted.start < e for s, e, _ in found):
                    found.append((quoted.start, quoted.end, program))
    found.sort(key=lambda f: f[0])
    return found


def extract_programs(report: Report) -> Report:
    """Every program mention, each with its sentence."""
    for start, end, program in program_spans(report):
        sentence = report.sentence_at(start)
        report.programs.append(ProgramMention(
            name=program.name, key=program.key, written=report.original[start:end],
            evidence=sentence.evidence, start=start, end=end))
    return report
