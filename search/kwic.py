"""Concordance (key word in context) of a phrase, on top of any engine.

Every occurrence counts, overlapping ones included, as :meth:`SearchEngine.phrase_occurrences`
yields them. Contexts and hits are cut from the ORIGINAL text, so ``original[start:end] == hit``;
newlines stay in the contexts (a display may replace them, the data does not).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from search.engine import SearchEngine
from search.query import QUOTE, Node, normalise

KWIC_SORTS = ("position", "left", "right", "year", "jurisdiction")


@dataclass(frozen=True)
class KwicLine:
    report: str
    source: str
    start: int
    end: int
    left: str
    hit: str
    right: str
    year: int | None
    jurisdiction: str
    province: str
    level: str

    def to_json(self) -> dict[str, Any]:
        return {"report": self.report, "source": self.source, "start": self.start, "end": self.end,
                "left": self.left, "hit": self.hit, "right": self.right, "year": self.year,
                "jurisdiction": self.jurisdiction, "province": self.province, "level": self.level}


@dataclass
class Concordance:
    phrase: str
    #: occurrences matching phrase and filter, before sampling and paging
    total: int
    lines: list[KwicLine]
    #: counts of ALL occurrences (not only the sampled or paged lines): by_year, by_province,
    #: by_level → [(value, count)], most frequent first
    distribution: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def _sort_key(sort: str):
    if sort == "position":
        return lambda line: (line.source, line.report, line.start)
    if sort == "left":
        # Standard KWIC: order by the character nearest the hit first, then outward.
        return lambda line: (line.left[::-1], line.right, line.source, line.start)
    if sort == "right":
        return lambda line: (line.right, line.left[::-1], line.source, line.start)
    if sort == "year":
        return lambda line: (line.year is None, line.year or 0, line.source, line.start)
    if sort == "jurisdiction":
        return lambda line: (line.province, line.jurisdiction, line.source, line.start)
    raise ValueError(f"unknown sort {sort!r} (sorts: {', '.join(KWIC_SORTS)})")


def concordance(engine: SearchEngine, phrase: str, *, width: int = 20, sort: str = "position",
                filter_ast: Node | None = None, sample: int | None = None, seed: int = 0,
                page: int = 1, page_size: int | None = None) -> Concordance:
    """KWIC lines for ``phrase`` (normalised here, like a quoted phrase in a query).

    ``sample`` picks that many occurrences at random, reproducibly for a given ``seed``, before
    sorting; ``page_size=None`` returns all lines.
    """
    key = _sort_key(sort)
    if width < 0:
        raise ValueError("width must not be negative")
    if page < 1 or (page_size is not None and page_size < 1):
        raise ValueError("page and page_size count from 1")
    if sample is not None and sample < 1:
        raise ValueError("sample must be at least 1")
    needle = normalise(phrase)
    if not needle:
        raise ValueError("empty phrase")
    found = sorted(engine.phrase_occurrences(needle, filter_ast))
    metadata: dict[str, dict] = {}
    distribution = {"by_year": Counter(), "by_province": Counter(), "by_level": Counter()}
    for report_id, _, _ in found:
        if report_id not in metadata:
            metadata[report_id] = engine.metadata(report_id)
        fields = metadata[report_id]
        for name, value in (("by_year", fields.get("year")), ("by_province", fields.get("province")),
                            ("by_level", fields.get("level"))):
            if value not in (None, ""):
                distribution[name][value] += 1

    chosen = found
    if sample is not None and sample < len(found):
        chosen = random.Random(seed).sample(found, sample)
    originals: dict[str, str] = {}
    lines = []
    for report_id, start, end in chosen:
        fields = metadata[report_id]
        if report_id not in originals:
            originals[report_id] = engine.stored(report_id)["original"]
        original = originals[report_id]
        lines.append(KwicLine(report=report_id, source=fields.get("source") or "", start=start, end=end,
                              left=original[max(0, start - width):start], hit=original[start:end],
                              right=original[end:end + width], year=fields.get("year"),
                              jurisdiction=fields.get("jurisdiction") or "",
                              province=fields.get("province") or "", level=fields.get("level") or ""))
    lines.sort(key=key)
    if page_size is not None:
        lines = lines[(page - 1) * page_size:page * page_size]
    return Concordance(phrase=needle, total=len(found), lines=lines,
                       distribution={name: sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
                                     for name, counter in distribution.items()})


def phrase_argument(argument: str) -> str:
    """A concordance phrase as typed: people quote phrases out of habit, so one pair of outer quote
    marks (any character that normalises to '"') is dropped.

    >>> phrase_argument("“兴法铺子”")
    '兴法铺子'
    """
    if len(argument) > 2 and normalise(argument[0]) == QUOTE == normalise(argument[-1]):
        return argument[1:-1]
    return argument
