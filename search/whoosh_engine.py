"""The Whoosh engine (plain Whoosh 2.7 API, so ``whoosh3`` and ``whoosh-reloaded`` both work).

Fields of a document:

``words``     jieba words of the normalised text, each followed by the dictionary words inside it
              (:meth:`Segmenter.parts`), for ranked word search (BM25F). Frequencies only: word
              queries are AND/OR of terms and never need positions, so the overlapping parts
              cannot disturb anything.
``bigrams``   every pair of adjacent characters of the normalised text, whitespace and punctuation
              included; ``chars`` likewise every single character. Frequencies only.
``text``      the normalised text as a UTF-8 column; ``original`` the published text, compressed.
``meta``      the small metadata fields (stored).

Phrase search, exact by construction: a report can contain the phrase only if it contains every
bigram of it (every character, for a one-character phrase), so intersecting those postings,
rarest first, gives the candidates cheaply; each candidate is then checked with a byte search of
the phrase's UTF-8 in the ``text`` column. UTF-8 is self-synchronising, so a byte match is always a character match. We do
not ask Whoosh for positional phrase queries: decoding positions in pure Python is what made
phrase search slow, and a substring test on the stored text is both faster and exact whatever
the segmentation. Whether an occurrence crosses a word boundary plays no part.

Boolean queries are evaluated as sets of document numbers (phrases verified, filters checked on
the cached metadata); then Whoosh ranks that set with BM25F over the positive words and, for each
positive phrase, its rarest bigram. Facets are counted over the whole set from the cached
metadata, and snippets are cut only for the page shown.
"""
from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing
from whoosh.analysis import Token, Tokenizer
from whoosh.columns import CompressedBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from search.document import IndexDoc
from search.engine import FACETS, SORTS, Hit, IndexNotFound, SearchEngine, SearchResult
from search.highlight import match_spans, occurrences, snippet_html
from search.query import FILTERS, And, Node, Not, Or, Phrase, Word, filter_matches, positive_leaves


#: Memory of the index writer's posting pool, in MB.
WRITER_MEMORY_MB = 256
#: Segments an index may hold before a commit merges the small ones (Whoosh's MERGE_SMALL).
MAX_UNMERGED_SEGMENTS = 12


class WordTokenizer(Tokenizer):
    """Words of a text, with sequential positions.

    At indexing the value is the report's word list (segmented once, upstream); given a string
    it segments it with the shared segmenter.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        if isinstance(value, str):
            from ingest.segment import default_segmenter

            value = default_segmenter().words(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for word in value:
            if not word.strip():
                continue
            token.text = word
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = position
            position += 1
            yield token


class CharGramTokenizer(Tokenizer):
    """Every run of ``size`` adjacent characters, nothing dropped, positions counting characters."""

    def __init__(self, size: int):
        self.size = size

    def __eq__(self, other):
        return isinstance(other, CharGramTokenizer) and other.size == self.size

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        size = self.size
        for i in range(len(value) - size + 1):
            token.text = value[i:i + size]
            token.boost = 1.0
            if positions:
                token.pos = start_pos + i
            if chars:
                token.startchar = start_char + i
                token.endchar = start_char + i + size
            yield token


def schema() -> Schema:
    return Schema(
        report_id=ID(stored=True, unique=True),
        words=TEXT(analyzer=WordTokenizer(), phrase=False),
        bigrams=TEXT(analyzer=CharGramTokenizer(2), phrase=False),
        chars=TEXT(analyzer=CharGramTokenizer(1), phrase=False),
        text=COLUMN(VarBytesColumn()),
        original=COLUMN(CompressedBytesColumn()),
        meta=STORED(),
    )


#: below this many candidates a phrase is checked in the text without intersecting more postings
VERIFY_DIRECTLY = 64


def _phrase_score_query(phrase: str, searcher) -> wq.Query:
    """What ranks reports that contain ``phrase``: the frequency of its rarest bigram (its own
    character for one character). That bounds the phrase's frequency and follows it closely; a
    single term lets Whoosh skip blocks, where an AND of every bigram scored all candidates."""
    if len(phrase) == 1:
        return wq.Term("chars", phrase)
    grams = {phrase[i:i + 2] for i in range(len(phrase) - 1)}
    return wq.Term("bigrams", min(grams, key=lambda gram: (searcher.doc_frequency("bigrams", gram), gram)))


def _word_query(word: Word) -> wq.Query:
    terms = [wq.Term("words", term) for term in dict.fromkeys(word.terms)]
    return terms[0] if len(terms) == 1 else wq.And(terms)


class _View:
    """One searcher generation: the searcher plus what we cache per generation (metadata of every
    live document, report id → document number, column readers per segment)."""

    def __init__(self, searcher):
        self.searcher = searcher
        reader = searcher.reader()
        self.meta: dict[int, dict[str, Any]] = {docnum: fields["meta"] for docnum, fields in reader.iter_docs()}
        self.live = frozenset(self.meta)
        self.by_id = {meta["report_id"]: docnum for docnum, meta in self.meta.items()}
        leaves = reader.leaf_readers()
        self._offsets = [offset for _, offset in leaves]
        # Per segment, not Whoosh's multi-column reader: that one skips segments lacking a column
        # and would then map their documents to the neighbouring segment.
        self._columns = {name: [leaf.column_reader(name, translate=False) if leaf.has_column(name) else None
                                for leaf, _ in leaves]
                         for name in ("text", "original")}

    def column(self, name: str, docnum: int) -> bytes:
        i = bisect.bisect_right(self._offsets, docnum) - 1
        reader = self._columns[name][i]
        return reader[docnum - self._offsets[i]] if reader is not None else b""

    def text(self, docnum: int) -> str:
        return self.column("text", docnum).decode("utf-8")

    def original(self, docnum: int) -> str:
        return self.column("original", docnum).decode("utf-8")

    def contains(self, docnum: int, phrase: str) -> bool:
        """Whether the normalised text of ``docnum`` contains ``phrase`` (a byte search)."""
        return phrase.encode("utf-8") in self.column("text", docnum)


class _Evaluation:
    """Sets of document numbers for the nodes of one query, each computed once."""

    def __init__(self, view: _View):
        self.view = view
        self.searcher = view.searcher
        self._terms: dict[tuple[str, str], frozenset[int]] = {}

    def term_docs(self, field: str, text: str) -> frozenset[int]:
        key = (field, text)
        if key not in self._terms:
            self._terms[key] = frozenset(self.searcher.docs_for_query(wq.Term(field, text)))
        return self._terms[key]

    def phrase_docs(self, phrase: str, within: frozenset[int] | set[int] | None = None) -> set[int]:
        contains = self.view.contains
        return {docnum for docnum in self.phrase_candidates(phrase, within) if contains(docnum, phrase)}

    def phrase_candidates(self, phrase: str, within: frozenset[int] | set[int] | None = None) -> set[int]:
        """A superset of the documents containing ``phrase``, from postings alone: those holding
        its rarest bigrams (see :meth:`phrase_docs` for the check), within ``within`` when given."""
        if len(phrase) == 1:
            candidates = set(self.term_docs("chars", phrase))
        else:
            # Rarest bigrams first (document frequency is a cheap lookup, postings are not);
            # once few candidates are left, checking their text costs less than more postings.
            frequency = self.searcher.doc_frequency
            grams = sorted({phrase[i:i + 2] for i in range(len(phrase) - 1)},
                           key=lambda gram: frequency("bigrams", gram))
            candidates = set(self.term_docs("bigrams", grams[0]))
            if within is not None:
                candidates &= within
            for gram in grams[1:]:
                if len(candidates) <= VERIFY_DIRECTLY:
                    break
                candidates &= self.term_docs("bigrams", gram)
        if within is not None:
            candidates &= within
        return candidates

    def word_docs(self, word: Word) -> set[int]:
        sets = sorted((self.term_docs("words", term) for term in set(word.terms)), key=len)
        result = set(sets[0])
        for other in sets[1:]:
            result &= other
        return result

    def docs(self, node: Node, within: set[int] | frozenset[int] | None = None) -> set[int]:
        """Live documents matching ``node`` (restricted to ``within`` when given)."""
        universe = self.view.live if within is None else within
        if isinstance(node, Phrase):
            return self.phrase_docs(node.text, None if within is None else within) & universe
        if isinstance(node, Word):
            return self.word_docs(node) & universe
        if isinstance(node, FILTERS):
            meta = self.view.meta
            return {docnum for docnum in universe if filter_matches(node, meta[docnum])}
        if isinstance(node, Not):
            return set(universe) - self.docs(node.item, universe)
        if isinstance(node, Or):
            result: set[int] = set()
            for item in node.items:
                result |= self.docs(item, universe)
            return result
        if isinstance(node, And):
            # Text terms first (they come from postings), then filters and negations only on
            # what is left, so that NOT and filters never scan the whole index needlessly.
            def cost(item: Node) -> int:
                return 0 if isinstance(item, (Phrase, Word)) else 1 if isinstance(item, (And, Or)) else 2

            result = set(universe)
            for item in sorted(node.items, key=cost):
                result = self.docs(item, result)
                if not result:
                    break
            return result
        raise TypeError(f"not a query node: {node!r}")


def _scoring_query(node: Node, searcher) -> wq.Query | None:
    parts = []
    for leaf in dict.fromkeys(positive_leaves(node)):
        parts.append(_phrase_score_query(leaf.text, searcher) if isinstance(leaf, Phrase) else _word_query(leaf))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _facet_key(item: tuple[Any, int]) -> tuple:
    value, count = item
    return (-count, str(value))


class WhooshEngine(SearchEngine):
    name = "whoosh"

    def __init__(self, path: Path, create: bool = False):
        self.path = Path(path)
        if self.path.is_dir() and whoosh_index.exists_in(str(self.path)):
            self._index = whoosh_index.open_dir(str(self.path))
        elif create:
            self.path.mkdir(parents=True, exist_ok=True)
            self._index = whoosh_index.create_in(str(self.path), schema())
        else:
            raise IndexNotFound(f"no search index in {self.path}")
        self._writer = None
        self._view: _View | None = None
        self._lock = threading.Lock()

    # --- writing ---------------------------------------------------------------------------------

    def _writing(self):
        if self._writer is None:
            # a larger in-memory pool means fewer sorted runs to merge at commit
            self._writer = self._index.writer(limitmb=WRITER_MEMORY_MB)
            self._pending: set[str] = set()  # ids written by this writer, not yet visible to readers
        return self._writer

    def add(self, docs: Iterable[IndexDoc]) -> int:
        from ingest.segment import default_segmenter

        parts = default_segmenter().parts
        writer = self._writing()
        known = self._current().by_id
        count = 0
        for doc in docs:
            # update_document searches for the old version first; a new report has none
            if doc.report_id in self._pending:
                # an id is the hash of the text: the same report again in one batch. Whoosh's
                # update_document cannot see documents of its own unfinished writer, so skip it.
                continue
            store = writer.update_document if doc.report_id in known else writer.add_document
            self._pending.add(doc.report_id)
            words = []
            for token in doc.tokens:
                words.append(token.text)
                words.extend(parts(token.text))
            store(
                report_id=doc.report_id,
                words=words,
                bigrams=doc.text,
                chars=doc.text,
                text=doc.text.encode("utf-8"),
                original=doc.original.encode("utf-8"),
                meta=doc.metadata(),
            )
            count += 1
        return count

    def remove(self, report_ids: Iterable[str]) -> int:
        known = self._current().by_id
        writer = self._writing()
        count = 0
        for report_id in report_ids:
            count += report_id in known
            writer.delete_by_term("report_id", report_id)
        return count

    def commit(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            # Merging segments at every commit rewrote the whole index again and again as it grew
            # (one merge took 11 minutes at 8,000 reports); merge only once segments pile up.
            segments = len(self._index._segments())
            writer.commit(mergetype=None if segments >= MAX_UNMERGED_SEGMENTS else writing.NO_MERGE)
        self._refresh()

    # --- reading ---------------------------------------------------------------------------------

    def _refresh(self) -> None:
        with self._lock:
            if self._view is None or not self._view.searcher.up_to_date():
                # A new searcher rather than Searcher.refresh(): whoosh3's refresh can hand back
                # the old segment readers, so deletions stay invisible. The old searcher is not
                # closed here: another thread may still be reading from it (a web server shares
                # one engine); it is released when the last query holding it ends.
                self._view = _View(self._index.searcher())

    def _current(self) -> _View:
        self._refresh()
        assert self._view is not None
        return self._view

    def search(self, query: Node, *, sort: str = "relevance", page: int = 1, page_size: int | None = 20,
               facets: bool = True) -> SearchResult:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (sorts: {', '.join(SORTS)})")
        if page < 1 or (page_size is not None and page_size < 1):
            raise ValueError("page and page_size count from 1")
        view = self._current()
        # Whoosh takes a plain set (not a frozenset) as a filter.
        matched = set(_Evaluation(view).docs(query))
        total = len(matched)
        if page_size is None:
            first, last = 0, total
        else:
            first, last = (page - 1) * page_size, page * page_size
        scoring = _scoring_query(query, view.searcher)
        if sort == "relevance":
            ranked, scores = self._ranked(view, scoring, matched, min(last, total))
        else:
            ranked = sorted(matched, key=lambda d: self._year_key(view, d))[:last]
            scores = self._scores(view, scoring, set(ranked[first:last]))
        hits = [self._hit(view, docnum, scores.get(docnum, 0.0), query) for docnum in ranked[first:last]]
        facet_counts = self._facets(view, matched) if facets else {}
        return SearchResult(total=total, hits=hits, facets=facet_counts, page=page, page_size=page_size)

    @staticmethod
    def _year_key(view: _View, docnum: int) -> tuple:
        meta = view.meta[docnum]
        year = meta.get("year")
        return (year is None, -(year or 0), meta.get("source") or "", meta["report_id"])

    @staticmethod
    def _source_key(view: _View, docnum: int) -> tuple:
        meta = view.meta[docnum]
        return (meta.get("source") or "", meta["report_id"])

    def _ranked(self, view: _View, scoring: wq.Query | None, matched: set[int], needed: int
                ) -> tuple[list[int], dict[int, float]]:
        """The first ``needed`` matches by score; matches the scoring query misses (a query of
        filters only, or NOT) follow, in source order."""
        ranked: list[int] = []
        scores: dict[int, float] = {}
        if scoring is not None and needed > 0:
            results = view.searcher.search(scoring, filter=matched, limit=needed)
            for hit in results:
                ranked.append(hit.docnum)
                scores[hit.docnum] = float(hit.score)
        if len(ranked) < needed:
            seen = set(ranked)
            rest = sorted((d for d in matched if d not in seen), key=lambda d: self._source_key(view, d))
            ranked.extend(rest[:needed - len(ranked)])
        return ranked, scores

    @staticmethod
    def _scores(view: _View, scoring: wq.Query | None, docnums: set[int]) -> dict[int, float]:
        if scoring is None or not docnums:
            return {}
        return {hit.docnum: float(hit.score)
                for hit in view.searcher.search(scoring, filter=docnums, limit=len(docnums))}

    @staticmethod
    def _facets(view: _View, matched: set[int]) -> dict[str, list[tuple[Any, int]]]:
        counters = {name: Counter() for name in FACETS}
        meta = view.meta
        for docnum in matched:
            fields = meta[docnum]
            for name, counter in counters.items():
                value = fields.get(name)
                if value not in (None, ""):
                    counter[value] += 1
        return {name: sorted(counter.items(), key=_facet_key) for name, counter in counters.items()}

    @staticmethod
    def _hit(view: _View, docnum: int, score: float, query: Node) -> Hit:
        meta = view.meta[docnum]
        spans = match_spans(view.text(docnum), query)
        return Hit(report_id=meta["report_id"], source=meta.get("source") or "", title=meta.get("title") or "",
                   jurisdiction=meta.get("jurisdiction") or "", code=meta.get("code") or "",
                   year=meta.get("year"), score=score,
                   snippet_html=snippet_html(view.original(docnum), spans), matches=spans)

    def phrase_occurrences(self, phrase: str, filter_ast: Node | None = None) -> Iterator[tuple[str, int, int]]:
        if not phrase:
            return iter(())
        view = self._current()
        evaluation = _Evaluation(view)
        within = None if filter_ast is None else evaluation.docs(filter_ast)
        docs = evaluation.phrase_docs(phrase, within)
        return self._occurrences(view, phrase, sorted(docs, key=lambda d: view.meta[d]["report_id"]))

    def phrase_reports(self, phrase: str, filter_ast: Node | None = None) -> Iterator[str]:
        if not phrase:
            return iter(())
        view = self._current()
        evaluation = _Evaluation(view)
        within = None if filter_ast is None else evaluation.docs(filter_ast)
        # Candidates come from postings alone; ordering them costs only the cached metadata, so
        # only the texts of the reports actually taken are read to confirm the phrase.
        candidates = sorted(evaluation.phrase_candidates(phrase, within), key=lambda d: self._source_key(view, d))
        return (view.meta[docnum]["report_id"] for docnum in candidates if view.contains(docnum, phrase))

    def phrase_report_count(self, phrase: str, filter_ast: Node | None = None) -> int:
        if not phrase:
            return 0
        evaluation = _Evaluation(self._current())
        within = None if filter_ast is None else evaluation.docs(filter_ast)
        return len(evaluation.phrase_docs(phrase, within))

    def report_count(self) -> int:
        return len(self._current().by_id)

    @staticmethod
    def _occurrences(view: _View, phrase: str, docnums: list[int]) -> Iterator[tuple[str, int, int]]:
        for docnum in docnums:
            report_id = view.meta[docnum]["report_id"]
            for start, end in occurrences(view.text(docnum), phrase):
                yield report_id, start, end

    def stored(self, report_id: str) -> dict:
        view = self._current()
        docnum = view.by_id[report_id]
        return dict(view.meta[docnum], original=view.original(docnum), text=view.text(docnum))

    def metadata(self, report_id: str) -> dict:
        view = self._current()
        return dict(view.meta[view.by_id[report_id]])

    def report_ids(self) -> list[str]:
        return sorted(self._current().by_id)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        if self._view is not None:
            self._view.searcher.close()
            self._view = None
        self._index.close()
