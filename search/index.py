"""The search index of a data directory: what ingest writes to and the command line reads from."""
from __future__ import annotations

import os
from collections.abc import Iterable

from ingest.datadir import DataDir
from ingest.report import Report
from search.document import IndexDoc
from search.engine import SearchEngine, SearchResult, open_engine
from search.kwic import Concordance, ConcordanceCounts, concordance, concordance_counts
from search.query import Node, explain, parse

#: key of ``settings.json`` naming the engine the index was built with
ENGINE_SETTING = "engine"
DEFAULT_ENGINE = "whoosh"


class SearchIndex:
    """A data directory's full-text index, whatever engine it was built with."""

    def __init__(self, engine: SearchEngine, datadir: DataDir):
        self.engine = engine
        self.datadir = datadir

    @classmethod
    def open(cls, datadir: DataDir | str | os.PathLike, create: bool = False) -> "SearchIndex":
        """Open the index of ``datadir``; ``create`` makes it (and records the engine) if missing.

        Raises :class:`search.engine.IndexNotFound` when there is none and ``create`` is false.
        """
        if not isinstance(datadir, DataDir):
            datadir = DataDir.at(datadir)
        settings = datadir.settings()
        name = settings.get(ENGINE_SETTING, DEFAULT_ENGINE)
        engine = open_engine(datadir.index, name, create=create)
        if create and ENGINE_SETTING not in settings:
            datadir.save_settings({**settings, ENGINE_SETTING: name})
        return cls(engine, datadir)

    def add_reports(self, reports: Iterable[Report], commit: bool = True) -> int:
        """Index reports (a report already segmented by ingest is not segmented again)."""
        count = self.engine.add(IndexDoc.from_report(report) for report in reports)
        if commit:
            self.engine.commit()
        return count

    def add_docs(self, docs: Iterable[IndexDoc], commit: bool = True) -> int:
        count = self.engine.add(docs)
        if commit:
            self.engine.commit()
        return count

    def remove(self, report_ids: Iterable[str], commit: bool = True) -> int:
        count = self.engine.remove(report_ids)
        if commit:
            self.engine.commit()
        return count

    def commit(self) -> None:
        self.engine.commit()

    @staticmethod
    def parse(query: str) -> Node:
        """The syntax tree of ``query``; raises :class:`search.query.QueryError`."""
        return parse(query)

    @staticmethod
    def explain(query: str | Node) -> str:
        return explain(parse(query) if isinstance(query, str) else query)

    def search(self, query: str | Node, *, sort: str = "relevance", page: int = 1, page_size: int | None = 20,
               facets: bool = True) -> SearchResult:
        node = parse(query) if isinstance(query, str) else query
        return self.engine.search(node, sort=sort, page=page, page_size=page_size, facets=facets)

    def concordance(self, phrase: str, **options) -> Concordance:
        """Key-word-in-context lines; ``options`` as for :func:`search.kwic.concordance`, and
        ``filter_ast`` may also be given as a query string."""
        filter_ast = options.pop("filter_ast", None)
        if isinstance(filter_ast, str):
            filter_ast = parse(filter_ast)
        return concordance(self.engine, phrase, filter_ast=filter_ast, **options)

    def concordance_counts(self, phrase: str, filter_ast: Node | str | None = None,
                           version: str | None = None) -> ConcordanceCounts:
        """Total, reports and distributions of a concordance (:func:`search.kwic.concordance_counts`),
        remembered under the data version (``version`` if the caller already has it)."""
        if isinstance(filter_ast, str):
            filter_ast = parse(filter_ast)
        return concordance_counts(self.engine, phrase, filter_ast,
                                  version=self.data_version() if version is None else version)

    def data_version(self) -> str:
        return self.datadir.version()

    def report_ids(self) -> list[str]:
        return self.engine.report_ids()

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
