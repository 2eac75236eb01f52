"""The interface every search engine implements, its result types, and the registry of engines.

Semantics every engine must keep (the shared tests hold each engine to them):

- :class:`~search.query.Phrase` matches a report exactly when its normalised text contains the
  phrase as a substring, whatever the segmentation; phrases arrive already normalised.
- :class:`~search.query.Word` matches when every one of its terms is a word of the report or a
  dictionary word inside one (:meth:`ingest.segment.Segmenter.parts`: 明白人 finds 法律明白人);
  words are what relevance (BM25 or the like) is computed on.
- Field filters mean what :func:`search.query.filter_matches` says.
- ``NOT x`` alone means every report without x.
- Offsets count characters and are valid in both the normalised and the original text.
- :meth:`SearchEngine.phrase_occurrences` yields every start position, overlapping ones included
  ("哈哈" occurs twice in "哈哈哈"), ordered by report id then offset.
- :meth:`SearchEngine.phrase_reports` yields the same reports lazily in (source, report id) order,
  so that a reader of the first occurrences in that order (a concordance's first page) touches
  only the first few reports.
"""
from __future__ import annotations

import abc
import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from search.document import IndexDoc
from search.query import Node

SORTS = ("relevance", "year")
FACETS = ("province", "city", "level", "year", "publisher_kind")


class IndexNotFound(FileNotFoundError):
    """No index at the path and ``create`` was not asked for."""


@dataclass
class Hit:
    report_id: str
    source: str
    title: str
    jurisdiction: str
    code: str
    year: int | None
    score: float
    #: a passage of the original text, HTML-escaped, with ``<mark>`` around each match
    snippet_html: str
    #: (start, end) of every match in the report, sorted, overlapping matches merged
    matches: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class SearchResult:
    #: number of matching reports (all of them, not just this page)
    total: int
    hits: list[Hit]
    #: facet name → [(value, count)], most frequent first, counted over every matching report
    facets: dict[str, list[tuple[object, int]]] = field(default_factory=dict)
    page: int = 1
    page_size: int | None = 20


class SearchEngine(abc.ABC):
    """A full-text index of :class:`~search.document.IndexDoc` objects."""

    name: str = ""

    @abc.abstractmethod
    def add(self, docs: Iterable[IndexDoc]) -> int:
        """Index ``docs`` (replacing any with the same report id); visible after :meth:`commit`.
        Returns how many were added."""

    @abc.abstractmethod
    def remove(self, report_ids: Iterable[str]) -> int:
        """Drop these reports (visible after :meth:`commit`); returns how many were known."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make pending additions and removals durable and visible to searches."""

    @abc.abstractmethod
    def search(self, query: Node, *, sort: str = "relevance", page: int = 1, page_size: int | None = 20,
               facets: bool = True) -> SearchResult:
        """Reports matching ``query``; ``page_size=None`` returns every hit on one page.
        ``sort="year"`` puts the newest first (unknown years last)."""

    @abc.abstractmethod
    def phrase_occurrences(self, phrase: str, filter_ast: Node | None = None) -> Iterator[tuple[str, int, int]]:
        """(report id, start, end) of every occurrence of the normalised ``phrase`` in the reports
        that match ``filter_ast`` (all reports if None)."""

    def phrase_reports(self, phrase: str, filter_ast: Node | None = None) -> Iterator[str]:
        """Ids of the reports whose normalised text contains ``phrase`` and that match
        ``filter_ast``, ordered by (source, report id), produced lazily: engines override this so
        that taking the first few reads little. This fallback finds them all first."""
        if not phrase:
            return iter(())
        found = dict.fromkeys(report_id for report_id, _, _ in self.phrase_occurrences(phrase, filter_ast))
        return iter(sorted(found, key=lambda report_id: (self.metadata(report_id).get("source") or "", report_id)))

    #: whether :meth:`phrase_report_count` answers from the index alone, without reading the
    #: stored texts (then a concordance can afford it before its first page)
    counts_phrase_reports_cheaply: bool = False

    def phrase_report_count(self, phrase: str, filter_ast: Node | None = None) -> int:
        """How many reports :meth:`phrase_reports` yields."""
        return sum(1 for _ in self.phrase_reports(phrase, filter_ast))

    def report_count(self) -> int:
        """Number of indexed reports."""
        return len(self.report_ids())

    @abc.abstractmethod
    def stored(self, report_id: str) -> dict:
        """The report's metadata (:meth:`IndexDoc.metadata` keys) plus ``original`` and ``text``.
        Raises KeyError for an unknown id."""

    def metadata(self, report_id: str) -> dict:
        """The report's metadata without the texts (engines override this when it is cheaper)."""
        fields = self.stored(report_id)
        fields.pop("original", None)
        fields.pop("text", None)
        return fields

    @abc.abstractmethod
    def report_ids(self) -> list[str]:
        """Ids of every indexed report, sorted."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release files and locks; pending changes not committed are discarded."""

    def __enter__(self) -> "SearchEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: engine name → "module:Class"; imported only when that engine is opened
_ENGINES: dict[str, str] = {"whoosh": "search.whoosh_engine:WhooshEngine",
                            "tantivy": "search.tantivy_engine:TantivyEngine"}


def register_engine(name: str, target: str) -> None:
    """Make ``open_engine(path, name)`` use ``target`` ("module:Class", the class taking
    ``(path, create=...)``)."""
    _ENGINES[name] = target


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def open_engine(path: str | os.PathLike, name: str = "whoosh", create: bool = False) -> SearchEngine:
    """Open the index at ``path`` with engine ``name``; ``create`` makes an empty one if none exists.
    Raises :class:`IndexNotFound` when there is no index and ``create`` is false."""
    if name not in _ENGINES:
        raise ValueError(f"unknown search engine {name!r} (known: {', '.join(engine_names())})")
    module_name, class_name = _ENGINES[name].split(":")
    engine_class: Callable[..., SearchEngine] = getattr(importlib.import_module(module_name), class_name)
    return engine_class(Path(path), create=create)
