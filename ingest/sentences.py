"""Cutting a prepared report into sentences, each with its offsets into the original text."""
from __future__ import annotations

import bisect

from ingest.report import Report, Sentence

# Both the normalised and the original forms, so that a report whose ``text`` is not filled yet
# can be split on its original.
TERMINATORS = frozenset("。！？!?｡")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
# Closing quotes and brackets that belong to the sentence a terminator just ended.
CLOSERS = frozenset("”’」』〞〟）)〕］]｝}】〗》〉﹚﹞")
OPENERS = frozenset("“‘「『〝（(〔［[｛{【〖《〈﹙﹝")
# Quotes that look the same whether they open or close (all quotes once normalised).
PLAIN_QUOTES = frozenset("\"'＂＇″′")


def split_sentences(report: Report) -> Report:
    """Fill ``report.sentences``: boundaries are found in ``report.text``, texts sliced from the original.

    A sentence ends after a run of 。！？!? (with the closing quotes or brackets that follow it) and
    at every line break, so headings and title lines are sentences of their own. Surrounding
    whitespace is trimmed; empty pieces and pieces inside boilerplate are skipped.
    """
    original = report.original
    text = report.text or original
    if len(text) != len(original):
        raise ValueError(f"{report.source}: report.text is {len(text)} characters long but the "
                         f"original is {len(original)}; the text must be normalised 1:1")
    sentences = []
    for start, end in _pieces(text, original):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and not _inside_boilerplate(start, end, report.boilerplate):
            sentences.append(Sentence(start, end, original[start:end]))
    report.sentences = sentences
    return report


def _pieces(text: str, original: str):
    """(start, end) of every stretch between boundaries, untrimmed."""
    length = len(text)
    start = 0
    i = 0
    while i < length:
        char = text[i]
        if char in LINE_BREAKS:
            yield start, i
            i += 1
            start = i
        elif char in TERMINATORS and _ends_sentence(text, original, i):
            i += 1
            while i < length:
                if text[i] in TERMINATORS:
                    i += 1
                elif _closes(text, original, start, i):
                    i += 1
                else:
                    break
            yield start, i
            start = i
        else:
            i += 1
    if start < length:
        yield start, length


def _ends_sentence(text: str, original: str, i: int) -> bool:
    # An ASCII ? or ! between letters or digits is part of a web address or code, not an ending.
    if original[i] in "?!" and 0 < i < len(text) - 1:
        return not (text[i - 1].isascii() and text[i - 1].isalnum()
                    and text[i + 1].isascii() and (text[i + 1].isalnum() or text[i + 1] in "=&_"))
    return True


def _closes(text: str, original: str, start: int, i: int) -> bool:
    """Whether the character at ``i`` closes a quote or bracket of the sentence begun at ``start``."""
    written = original[i]
    if written in CLOSERS or (text[i] in CLOSERS and written not in OPENERS and written not in PLAIN_QUOTES):
        return True
    if written in OPENERS:
        return False
    if text[i] in PLAIN_QUOTES:
        # A direction-less quote closes when the sentence so far has an odd number of them.
        return text.count(text[i], start, i) % 2 == 1
    return False


def _inside_boilerplate(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    k = bisect.bisect_right(spans, (start, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= start and end <= spans[k][1]
