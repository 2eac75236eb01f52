"""Concordance (key word in context) of a phrase, on top of any engine.

Every occurrence counts, overlapping ones included, as :meth:`SearchEngine.phrase_occurrences`
yields them. Contexts and hits are cut from the ORIGINAL text, so ``original[start:end] == hit``;
newlines stay in the contexts (a display may replace them, the data does not).

As in corpus tools such as BlackLab or CQPweb, the lines of a page and the counts over every
occurrence are two jobs. ``concordance(..., count=False)`` in text order ("position") walks the
matching reports in that order (:meth:`SearchEngine.phrase_reports`) and reads only as many as
the page needs, leaving the total and the distributions to :func:`concordance_counts`, which
reads every matching report once and remembers its answer. The other sorts and ``sample`` need
every occurrence, so they count anyway.
"""
from __future__ import annotations

import random
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from search.engine import SearchEngine
from search.highlight import occurrences
from search.query import QUOTE, Node, normalise

KWIC_SORTS = ("position", "left", "right", "year", "jurisdiction")
#: concordance counts remembered per engine (the most recently asked for)
COUNTS_CACHE_SIZE = 64


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
    #: occurrences matching phrase and filter, before sampling and paging; None when they were not
    #: counted (``count=False`` and the page did not need them: see :func:`concordance_counts`)
    total: int | None
    lines: list[KwicLine]
    #: counts of ALL occurrences (not only the sampled or paged lines): by_year, by_province,
    #: by_level → [(value, count)], most frequent first; empty when ``total`` is None
    distribution: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)
    #: reports holding an occurrence; None when not counted (an engine that cannot count them
    #: without reading every text leaves that to :func:`concordance_counts`)
    reports: int | None = None
    #: whether occurrences follow the last line of the page (what paging needs without a total)
    more: bool = False


@dataclass(frozen=True)
class ConcordanceCounts:
    """What a concordance counts over every occurrence, apart from its lines."""
    phrase: str
    total: int
    reports: int
    #: as :attr:`Concordance.distribution`
    distribution: dict[str, list[tuple[Any, int]]]

    def to_json(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "total": self.total, "reports": self.reports,
                "distribution": {name: [[value, count] for value, count in values]
                                 for name, values in self.distribution.items()}}


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


def _needle(phrase: str) -> str:
    needle = normalise(phrase)
    if not needle:
        raise ValueError("empty phrase")
    return needle


def _line(fields: dict, original: str, start: int, end: int, width: int) -> KwicLine:
    return KwicLine(report=fields["report_id"], source=fields.get("source") or "", start=start, end=end,
                    left=original[max(0, start - width):start], hit=original[start:end],
                    right=original[end:end + width], year=fields.get("year"),
                    jurisdiction=fields.get("jurisdiction") or "",
                    province=fields.get("province") or "", level=fields.get("level") or "")


def _distribution(per_report: Iterable[tuple[dict, int]]) -> dict[str, list[tuple[Any, int]]]:
    """Occurrences by year, province and level, from (metadata, occurrences) of each report."""
    counters: dict[str, Counter] = {"by_year": Counter(), "by_province": Counter(), "by_level": Counter()}
    for fields, count in per_report:
        for name, value in (("by_year", fields.get("year")), ("by_province", fields.get("province")),
                            ("by_level", fields.get("level"))):
            if value not in (None, ""):
                counters[name][value] += count
    return {name: sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
            for name, counter in counters.items()}


def concordance(engine: SearchEngine, phrase: str, *, width: int = 20, sort: str = "position",
                filter_ast: Node | None = None, sample: int | None = None, seed: int = 0,
                page: int = 1, page_size: int | None = None, count: bool = True) -> Concordance:
    """KWIC lines for ``phrase`` (normalised here, like a quoted phrase in a query).

    ``sample`` picks that many occurrences at random, reproducibly for a given ``seed``, before
    sorting; ``page_size=None`` returns all lines.

    ``count=False`` lets the counts go (``total`` None, ``distribution`` empty) when the lines do
    not need every occurrence: a page in "position" order without a sample. Then only the
    matching reports up to the end of the page are read; :func:`concordance_counts` counts the
    rest. The lines are the same either way, and when the walk reaches the last occurrence the
    counts come along, complete.
    """
    key = _sort_key(sort)
    if width < 0:
        raise ValueError("width must not be negative")
    if page < 1 or (page_size is not None and page_size < 1):
        raise ValueError("page and page_size count from 1")
    if sample is not None and sample < 1:
        raise ValueError("sample must be at least 1")
    needle = _needle(phrase)
    if not count and sort == "position" and sample is None and page_size is not None:
        return _page_in_text_order(engine, needle, filter_ast, width, page, page_size)

    found = sorted(engine.phrase_occurrences(needle, filter_ast))
    metadata: dict[str, dict] = {}
    per_report: Counter[str] = Counter()
    for report_id, _, _ in found:
        if report_id not in metadata:
            metadata[report_id] = engine.metadata(report_id)
        per_report[report_id] += 1

    chosen = found
    if sample is not None and sample < len(found):
        chosen = random.Random(seed).sample(found, sample)
    originals: dict[str, str] = {}
    lines = []
    for report_id, start, end in chosen:
        if report_id not in originals:
            originals[report_id] = engine.stored(report_id)["original"]
        lines.append(_line(metadata[report_id], originals[report_id], start, end, width))
    lines.sort(key=key)
    more = False
    if page_size is not None:
        more = len(lines) > page * page_size
        lines = lines[(page - 1) * page_size:page * page_size]
    return Concordance(phrase=needle, total=len(found), lines=lines, reports=len(metadata), more=more,
                       distribution=_distribution((metadata[report_id], number)
                                                  for report_id, number in per_report.items()))


def _page_in_text_order(engine: SearchEngine, needle: str, filter_ast: Node | None, width: int,
                        page: int, page_size: int) -> Concordance:
    """Page ``page`` of the lines in (source, report id, start) order, reading the matching
    reports in that order only until the page is full, then one report id further to know
    whether more lines follow."""
    first, last = (page - 1) * page_size, page * page_size
    reports = engine.phrase_reports(needle, filter_ast)
    lines: list[KwicLine] = []
    # (metadata, occurrences) of every report read: the counts, should the walk reach the end
    seen: list[tuple[dict, int]] = []
    passed = 0  # occurrences in the reports read so far
    more = False
    for report_id in reports:
        fields = engine.stored(report_id)
        original, text = fields.pop("original"), fields.pop("text")
        spans = occurrences(text, needle)
        seen.append((fields, len(spans)))
        for start, end in spans[max(0, first - passed):max(0, last - passed)]:
            lines.append(_line(fields, original, start, end, width))
        passed += len(spans)
        if passed >= last:
            more = passed > last or next(reports, None) is not None
            break
    if more:
        return Concordance(phrase=needle, total=None, lines=lines, more=True,
                           reports=engine.phrase_report_count(needle, filter_ast)
                           if engine.counts_phrase_reports_cheaply else None)
    # every matching report was read: the counts are complete and cost nothing more
    return Concordance(phrase=needle, total=passed, lines=lines, reports=len(seen), more=False,
                       distribution=_distribution(seen))


# engine → (phrase, filter, version) → counts, least recently used first; weak, so that a closed
# and dropped engine takes its counts with it
_counts_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_counts_lock = threading.Lock()


def cached_concordance_counts(engine: SearchEngine, phrase: str, filter_ast: Node | None = None,
                              version: str | None = None) -> ConcordanceCounts | None:
    """What :func:`concordance_counts` remembers for these arguments (None if nothing), without
    counting."""
    if version is None:
        return None
    key = (_needle(phrase), filter_ast, version)
    with _counts_lock:
        cache = _counts_cache.get(engine)
        if cache is None or key not in cache:
            return None
        cache.move_to_end(key)
        return cache[key]


def concordance_counts(engine: SearchEngine, phrase: str, filter_ast: Node | None = None,
                       version: str | None = None) -> ConcordanceCounts:
    """Total occurrences, matching reports and distributions of ``phrase`` within ``filter_ast``:
    what ``concordance(..., count=False)`` may leave out, equal to what ``count=True`` gives.

    It reads every matching report, so the answer is remembered (the last
    :data:`COUNTS_CACHE_SIZE` per engine) when ``version`` names the state of the index — e.g. the
    data version, which changes when the indexed reports do. Without one nothing is remembered:
    a later commit would make the answer stale unnoticed.
    """
    needle = _needle(phrase)
    known = cached_concordance_counts(engine, needle, filter_ast, version)
    if known is not None:
        return known
    per_report = Counter(report_id for report_id, _, _ in engine.phrase_occurrences(needle, filter_ast))
    counts = ConcordanceCounts(phrase=needle, total=sum(per_report.values()), reports=len(per_report),
                               distribution=_distribution((engine.metadata(report_id), number)
                                                          for report_id, number in per_report.items()))
    if version is not None:
        key = (needle, filter_ast, version)
        with _counts_lock:
            cache = _counts_cache.setdefault(engine, OrderedDict())
            cache[key] = counts
            cache.move_to_end(key)
            while len(cache) > COUNTS_CACHE_SIZE:
                cache.popitem(last=False)
    return counts


def phrase_argument(argument: str) -> str:
    """A concordance phrase as typed: people quote phrases out of habit, so one pair of outer quote
    marks (any character that normalises to '"') is dropped.

    >>> phrase_argument("“兴法铺子”")
    '兴法铺子'
    """
    if len(argument) > 2 and normalise(argument[0]) == QUOTE == normalise(argument[-1]):
        return argument[1:-1]
    return argument
