"""Small text helpers shared by the extractors: clauses, quotation pairs, squeezed views."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.vocab import IGNORED_IN_LABELS, cues

#: Punctuation that closes a clause inside a sentence.
CLAUSE_BREAK = re.compile(r"[,，;；:：。!?！？\n]")
#: After normalisation every double quote is '"'; pairs are found by alternation within a sentence.
QUOTE = '"'
TITLE = re.compile(r"《([^《》\n]{1,80})》")


def clause_span(text: str, position: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """The clause of ``text`` around ``position``, bounded by ``lo``/``hi`` (usually a sentence)."""
    hi = len(text) if hi is None else hi
    start = position
    while start > lo and not CLAUSE_BREAK.match(text[start - 1]):
        start -= 1
    end = position
    while end < hi and not CLAUSE_BREAK.match(text[end]):
        end += 1
    return start, end


def inside_title(text: str, position: int, lo: int = 0) -> bool:
    """Whether ``position`` lies inside a 《title》 opened at or after ``lo``."""
    opened = text.rfind("《", lo, position)
    return opened >= 0 and text.rfind("》", opened, position) < 0


def names_a_superior(clause: str) -> bool:
    """Whether a clause speaks of the report's superiors: "在县委、县政府和市公安局党委的坚强领导下"."""
    return clause.startswith("在") and any(word in clause for word in cues()["report"]["superior_clause"])


@dataclass(frozen=True)
class Quoted:
    start: int  # offset of the first character inside the quotes
    end: int  # offset of the closing quote

    def inner(self, text: str) -> str:
        return text[self.start:self.end]


def quoted_spans(text: str, lo: int, hi: int) -> list[Quoted]:
    """Quoted spans inside ``text[lo:hi]`` (a sentence), pairing '"' marks in order."""
    marks = [i for i in range(lo, hi) if text[i] == QUOTE]
    return [Quoted(a + 1, b) for a, b in zip(marks[0::2], marks[1::2]) if b > a + 1]


class SqueezedView:
    """``text[lo:hi]`` with quotes and spaces removed, and a map back to original offsets.

    >>> v = SqueezedView('深入实施"八五"普法规划', 0, 12)
    >>> v.text
    '深入实施八五普法规划'
    >>> v.span(4, 8)
    (5, 10)
    """

    def __init__(self, text: str, lo: int, hi: int):
        kept = [i for i in range(lo, hi) if not IGNORED_IN_LABELS.match(text[i])]
        self.text = "".join(text[i] for i in kept)
        self._offsets = kept

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of squeezed characters ``start..end``."""
        return self._offsets[start], self._offsets[end - 1] + 1


def find_all(haystack: str, needle: str):
    """Start offsets of every (possibly overlapping) occurrence of ``needle``."""
    start = haystack.find(needle)
    while start != -1:
        yield start
        start = haystack.find(needle, start + 1)
