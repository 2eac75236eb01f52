"""Counted facts: a number with its measure word (办理行政复议案件68件, 培训1400余人, 4.29亿元).

Years, dates, ordinals, codes and numbers inside titles or quotes are not counted facts, and
neither are norms and targets (不少于5个工作日, 应达到100%). "余", "多", "以上" mark a figure as
approximate; 万/亿/千 multiply it.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from ingest.extract.text import CLAUSE_BREAK, QUOTE, clause_span, inside_title
from ingest.report import Figure, Report
from ingest.vocab import cues

#: How far back from a number a norm marker (不少于 …) may stand.
NORM_WINDOW = 6
WHAT_MAX = 16
NOT_BEFORE = re.compile(r"[\d.第\-+/×*]")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    settings = cues()["figures"]
    units = sorted(settings["units"], key=len, reverse=True)
    multipliers = "".join(settings["multipliers"])
    return re.compile(
        r"(?P<number>\d+(?:\.\d+)?)\s*(?P<mult>[%s])?\s*(?P<about>余|多)?\s*(?P<unit>%s)(?P<after>以上|多|左右)?"
        % (multipliers, "|".join(re.escape(u) for u in units)))


def _inside(text: str, position: int, lo: int) -> bool:
    """Whether ``position`` lies inside a 《title》 or a quoted name of the sentence starting at ``lo``."""
    return inside_title(text, position, lo) or text.count(QUOTE, lo, position) % 2 == 1


def _value(number: str, multiplier: str | None) -> int | float:
    value = Decimal(number) * cues()["figures"]["multipliers"].get(multiplier or "", 1)
    return int(value) if value == value.to_integral_value() else float(value)


LEADING_MARKS = "(、\"'-）)"


def _what(text: str, clause_start: int, number_start: int, unit_end: int, clause_end: int) -> str:
    """What is counted: the words before the number in its clause, or after the unit when the
    words before end in a verb (对169名在册社区矫正对象 …)."""
    settings = cues()["figures"]
    before = text[clause_start:number_start].strip().lstrip(LEADING_MARKS)
    for word in sorted(settings["what_leading"], key=len, reverse=True):
        if before.startswith(word):
            before = before[len(word):]
    after = text[unit_end:clause_end]
    after = after[:next((i for i, c in enumerate(after) if CLAUSE_BREAK.match(c)), len(after))]
    if len(before) < 2 or any(before.endswith(verb) for verb in settings["what_verbs"]):
        return (after or before)[:WHAT_MAX].strip()
    return before[-WHAT_MAX:].strip()


def extract_figures(report: Report) -> Report:
    text = report.text
    settings = cues()["figures"]
    for sentence in report.sentences:
        previous_end = sentence.start
        for match in _pattern().finditer(text, sentence.start, sentence.end):
            start, end = match.span()
            if start > 0 and NOT_BEFORE.match(text[start - 1]):
                continue
            unit = match.group("unit")
            if end < len(text) and text[end] in settings["unit_blockers"].get(unit, ()):
                continue
            if _inside(text, start, sentence.start):
                continue
            lo, hi = clause_span(text, start, sentence.start, sentence.end)
            lo = max(lo, previous_end)  # "审结…案件2件15人": 15人 does not describe itself with 2件
            previous_end = end
            window = text[max(lo, start - NORM_WINDOW):start]
            if any(marker in window for marker in settings["norm_markers"]):
                continue
            approx = bool(match.group("about") or match.group("after")
                          or text[max(lo, start - 1):start] in ("近", "约"))
            report.figures.append(Figure(
                what=_what(text, lo, start, end, hi), value=_value(match.group("number"), match.group("mult")),
                unit=unit, approx=approx, evidence=sentence.evidence, start=start, end=end))
    return report
