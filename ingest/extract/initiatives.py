"""Locally named initiatives: names in quotation marks that the words around them call an activity.

“兴法铺子”综合服务阵地, “亮剑”护企专项行动 and “三级审核四级把关制度” are initiatives; “关键少数”,
“全贯通” and “走在前、勇争先、善作为”目标要求 are slogans or targets and are left out. A quoted name
that is a program label, contains one, or starts with a place name (an office or a title) is not an
initiative either.
"""
from __future__ import annotations

import re

from ingest.extract.text import CLAUSE_BREAK, QUOTE, Quoted, quoted_spans
from ingest.gazetteer import default_gazetteer
from ingest.report import InitiativeMention, Report
from ingest.vocab import cues, programs, squeeze

#: A count with its measure word ("1名法律顾问") is a quantity, not a name.
QUANTITY = re.compile(r"^\d+[名个人项件次位家户]")
LIST_MARK = "、"


def _tail(text: str, quoted: Quoted, siblings: list[Quoted], window: int) -> str:
    """The words after a closing quote, skipping sibling names (“A”“B”工程) up to the next break."""
    position = quoted.end + 1
    following = {q.start - 1: q for q in siblings}
    while True:
        while position < len(text) and text[position] in LIST_MARK + " ":
            position += 1
        if position in following:
            position = following[position].end + 1
            continue
        break
    tail = []
    while position < len(text) and len(tail) < window:
        char = text[position]
        if CLAUSE_BREAK.match(char) or char in (QUOTE, LIST_MARK):
            break
        tail.append(char)
        position += 1
    return "".join(tail)


def is_initiative_name(name: str, tail: str) -> bool:
    """Whether a quoted ``name`` followed by ``tail`` names an initiative."""
    settings = cues()["initiatives"]
    squeezed = squeeze(name)
    if not 2 <= len(squeezed) <= settings["max_length"]:
        return False
    if any(mark in name for mark in settings["slogan_marks"]) or QUANTITY.match(squeezed):
        return False
    if any(start == 0 for start, _e, _n in default_gazetteer().scan(squeezed)):
        return False
    if any(label in squeezed for program in programs() for label in program.labels + program.quoted_labels
           if len(label) > 1):
        return False
    return (any(cue in tail for cue in settings["tail"])
            or any(squeezed.endswith(cue) for cue in settings["ending"]))


def extract_initiatives(report: Report) -> Report:
    """Every initiative mention; run after :func:`ingest.extract.programs.extract_programs`."""
    text = report.text
    window = cues()["initiatives"]["tail_window"]
    program_ranges = [(m.start, m.end) for m in report.programs]
    for sentence in report.sentences:
        spans = quoted_spans(text, sentence.start, sentence.end)
        for quoted in spans:
            if any(s < quoted.end and quoted.start < e for s, e in program_ranges):
                continue
            name = report.original[quoted.start:quoted.end].strip()
            if not is_initiative_name(name, _tail(text, quoted, spans, window)):
                continue
            report.initiatives.append(InitiativeMention(
                name=name, evidence=sentence.evidence, start=quoted.start, end=quoted.end))
    return report
