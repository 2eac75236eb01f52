"""Locally named initiatives: names in quotation marks that the words around them call an activity.

“兴法铺子”综合服务阵地, “亮剑”护企专项行动 and “三级审核四级把关制度” are initiatives; “关键少数”,
“全贯通” and “走在前、勇争先、善作为”目标要求 are slogans or targets and are left out. A quoted name
that is a program label, contains one, or starts with a place name (an office or a title) is not an
initiative either.
"""
from __future__ import annotations

import re

from ingest.extract.text import CLAUSE_BREAK, QUOTE, Quoted, clause_span, inside_title, quoted_spans
from ingest.gazetteer import default_gazetteer
from ingest.report import InitiativeMention, Report
from ingest.vocab import cues, programs, squeeze

#: A count with its measure word ("1名法律顾问") is a quantity, not a name.
QUANTITY = re.compile(r"^\d+[名个人项件次位家户]")
LIST_MARK = "、"
NUMERAL = "一二三四五六七八九十两百千万"
#: Two or more numbered parts (一村一警, 一规划一方案一清单, 三级审核四级把关): a local name by shape.
NUMBERED_PARTS = re.compile(r"^(?:[%s]+[\u4e00-\u9fff]{1,3}){2,4}$" % NUMERAL)
#: One numbered part (七进, 两大体系) or a number code (1177): a name when the words before it give
#: its field (习近平法治思想“七进”, 县委“1177”) or an activity word follows; “三大战略” alone is a
#: development formula.
NUMBERED = re.compile(r"^[%s双]+[\u4e00-\u9fff]{1,3}$|^\d{3,6}$|^\d+(?:\+[\dN])+$" % NUMERAL)
#: “党建+”, “司法所+法律顾问”: a “X+” name, always a name.
PLUS = re.compile(r"^[\u4e00-\u9fffA-Za-z\d]{1,8}(?:\+[\u4e00-\u9fffA-Za-z\d]{0,8})+$")
#: “法治住建”, “法治立局”: a 法治 brand, unless it is a place's goal (法治甘谷, 法治中国).
BRAND = re.compile(r"^法治([\u4e00-\u9fff]{2})$")


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


def is_initiative_name(name: str, tail: str, before: str = "") -> bool:
    """Whether a quoted ``name`` followed by ``tail`` (and after ``before``, its clause) names an initiative.

    >>> is_initiative_name("一规划一方案一清单", "工作落实")
    True
    >>> is_initiative_name("四个意识", "")
    False
    """
    settings = cues()["initiatives"]
    squeezed = squeeze(name)
    if not 2 <= len(squeezed) <= settings["max_length"]:
        return False
    if any(mark in name for mark in settings["slogan_marks"]) or QUANTITY.match(squeezed):
        return False
    if squeezed in settings["formulas"] or any(before.endswith(word) for word in settings["honour_before"]):
        return False
    if LIST_MARK in name and min(len(part) for part in squeezed.split(LIST_MARK)) <= 1:
        return False  # “人、财、物和机制” lists things
    if any(start == 0 for start, _e, _n in default_gazetteer().scan(squeezed)):
        return False
    if any(label in squeezed for program in programs() for label in program.labels + program.quoted_labels
           if len(label) > 1):
        return False
    return (any(cue in tail for cue in settings["tail"])
            or any(squeezed.endswith(cue) for cue in settings["ending"])
            or _local_name_shape(squeezed, before))


def _local_name_shape(name: str, before: str) -> bool:
    """Whether ``name`` has the shape of a local name that needs no activity word after it."""
    if PLUS.match(name) or NUMBERED_PARTS.match(name):
        return True
    brand = BRAND.match(name)
    if brand:
        stem = brand.group(1)
        return stem not in cues()["initiatives"]["brand_goals"] and not default_gazetteer().is_stem(stem)
    if NUMBERED.match(name):
        return before.endswith(tuple(cues()["initiatives"]["field_before"]))
    return False


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
            if inside_title(text, quoted.start, sentence.start):
                continue  # 《关于服务“六稳”“六保”…的通知》 names a document
            name = report.original[quoted.start:quoted.end].strip()
            lo, _hi = clause_span(text, quoted.start - 1, sentence.start, sentence.end)
            before = text[lo:quoted.start - 1]
            if not is_initiative_name(name, _tail(text, quoted, spans, window), before):
                continue
            report.initiatives.append(InitiativeMention(
                name=name, evidence=sentence.evidence, start=quoted.start, end=quoted.end))
    return report
