"""The tantivy engine: the same query semantics as the Whoosh engine, evaluated in Rust.

Fields of a document (:func:`schema`):

``words``     jieba words of the normalised text, each followed by the dictionary words inside it
              (:meth:`Segmenter.parts`), as in the Whoosh engine; frequencies only, for BM25.
``bigrams``   the bigram starting at every character of the normalised text, at that character's
              position (overlapping, whitespace and punctuation included).
``chars``     every character of the normalised text; frequencies only, for one-character phrases.
``text``, ``original``, ``meta``
              stored only: the normalised text, the published text, the metadata as JSON.
``report_id`` and ``order_key`` (source, NUL, report id) for look-ups and ordering; ``f_*`` the
              filter values as :func:`search.query.filter_matches` compares them; ``facet_*`` and
              ``year`` the facet values, counted by tantivy's terms aggregation.

Phrase search is exact without a second look at the text: a phrase of n ≥ 3 characters occurs at
offset p exactly when the bigrams starting at p, p+2, p+4, … (and at p+n-2 for an odd n) stand at
those positions, which is a tantivy phrase query with explicit offsets; two characters are one
bigram term, one character a ``chars`` term. Whoosh had to check candidates in the stored text
because decoding positions in Python was slow; tantivy's positional intersection is not.

Filters are indexed as exact terms precomputed from :func:`filter_matches`' own rules (names
normalised, every jurisdiction name of the report in one field, every prefix of the significant
digits of every division code in another), so a whole query — text, filters, AND/OR/NOT — is one
tantivy query, and facets are one aggregation over the same query.

Tokens reach tantivy as a string of tokens joined by NUL, cut again by a regex tokenizer in Rust:
building that string costs Python one join, where a list of token objects cost a Python object per
character. A report whose text or words contain NUL is tokenised in Python instead.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import tantivy

from ingest.normalize import normalise
from search.document import IndexDoc
from search.engine import FACETS, SORTS, Hit, IndexNotFound, SearchEngine, SearchResult
from search.highlight import match_spans, occurrences, snippet_html
from search.query import (PUBLISHER_KINDS, And, Field, Node, Not, Or, Phrase, Word, YearRange, code_prefix,
                          positive_leaves)

#: Oldest tantivy (Python bindings) this engine runs on: before 0.27, sorting by a text fast field
#: hands back per-segment term ordinals instead of the text, which would order and name reports
#: wrongly without any error.
MIN_TANTIVY = (0, 27)
#: Bumped when the fields change; an index of another version must be rebuilt.
SCHEMA_VERSION = 1
VERSION_FILE = "fzkg-tantivy.json"
#: Memory of the index writer (all its threads together), in bytes; more means fewer segments.
WRITER_HEAP_BYTES = 256 * 1024 * 1024
#: Separator of the pre-cut tokens handed to tantivy (see the module docstring).
SEP = "\x00"
SEP_TOKENIZER = "fzkg_sep"
CHAR_TOKENIZER = "fzkg_char"
#: Upper bound of distinct values per facet (tantivy wants one); far above China's ~340 cities.
FACET_BUCKETS = 65_000
#: Metadata of this many reports is kept per searcher generation (KWIC asks for it per report).
META_CACHE_SIZE = 20_000
#: Report id → document address look-ups kept per searcher generation.
ADDRESS_CACHE_SIZE = 200_000
#: Reports fetched by the first ordered search of :meth:`TantivyEngine.phrase_reports`; each
#: further search fetches REPORT_BATCH_GROWTH times more (each search scans every match again, so
#: growing batches keep a long walk to a few searches while the first page stays one small one).
FIRST_REPORT_BATCH = 64
REPORT_BATCH_GROWTH = 4
MAX_REPORT_BATCH = 65_536
#: Longest time a view is trusted on the file status of meta.json alone (see _refresh).
RECHECK_SECONDS = 1.0

#: Facet name → the fast field counted for it.
FACET_FIELDS = {"province": "facet_province", "city": "facet_city", "level": "facet_level",
                "year": "year", "publisher_kind": "facet_publisher_kind"}
#: Place fields compared by normalised equality (:func:`filter_matches`).
NAME_FILTERS = ("province", "city", "county", "level")
CODE_KEYS = ("code", "province_code", "city_code", "county_code")
PLACE_KEYS = ("jurisdiction", "province", "city", "county")


def require_version(found: str) -> None:
    """Refuse a tantivy release older than :data:`MIN_TANTIVY` (``found`` as "0.27.0")."""
    major, minor = (int("".join(c for c in part if c.isdigit()) or 0) for part in found.split(".")[:2])
    if (major, minor) < MIN_TANTIVY:
        raise ImportError(f"the tantivy engine needs tantivy >= {'.'.join(map(str, MIN_TANTIVY))}, "
                          f"this environment has {found}")


require_version(importlib.metadata.version("tantivy"))


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("report_id", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("order_key", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("meta", stored=True)
    builder.add_bytes_field("text", stored=True)
    builder.add_bytes_field("original", stored=True)
    builder.add_text_field("words", tokenizer_name=SEP_TOKENIZER, index_option="freq")
    builder.add_text_field("bigrams", tokenizer_name=SEP_TOKENIZER, index_option="position")
    builder.add_text_field("chars", tokenizer_name=CHAR_TOKENIZER, index_option="freq")
    for name in (*NAME_FILTERS, "publisher", "publisher_kind", "place", "code"):
        builder.add_text_field(f"f_{name}", tokenizer_name="raw", index_option="basic")
    for name, field in FACET_FIELDS.items():
        if field != "year":
            builder.add_text_field(field, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    return builder.build()


def _register_tokenizers(index: tantivy.Index) -> None:
    # Tokenizers are not saved with the index: every opening registers them again.
    index.register_tokenizer(SEP_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[^\x00]+")).build())
    # every character, whitespace included; its positions are all 0, which a frequency field ignores
    index.register_tokenizer(CHAR_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(1, 1)).build())


# --- documents -----------------------------------------------------------------------------------

def _pre_tokenized(tokens: list[str]) -> tantivy.PreTokenizedString:
    return tantivy.PreTokenizedString("", [tantivy.Token(token, position, 0, 0)
                                           for position, token in enumerate(tokens)])


def _add_tokens(document: tantivy.Document, field: str, tokens: list[str], separator_inside: bool) -> None:
    """Index ``tokens`` at positions 0, 1, 2, … of ``field``."""
    if separator_inside:
        document.add_pre_tokenized_text(field, _pre_tokenized(tokens))
    else:
        document.add_text(field, SEP.join(tokens))


def _words(doc: IndexDoc, parts) -> tuple[list[str], bool]:
    """The words field of the Whoosh engine: each word followed by the dictionary words inside it,
    blank ones dropped; and whether one contains :data:`SEP`."""
    words: list[str] = []
    separator_inside = False
    # A report repeats its words: expanding each distinct word once is the expensive part saved.
    for word, count in Counter(token.text for token in doc.tokens).items():
        expanded = [found for found in (word, *parts(word)) if found.strip()]
        separator_inside = separator_inside or SEP in word
        words.extend(expanded * count)
    return words, separator_inside


def _code_prefixes(meta: dict[str, Any]) -> set[str]:
    """Every prefix a ``jurisdiction:<digits>`` filter can ask for and this report satisfies."""
    prefixes = set()
    for key in CODE_KEYS:
        code = meta.get(key)
        if code:
            significant = code_prefix(code)
            prefixes.update(significant[:end] for end in range(1, len(significant) + 1))
    return prefixes


def _document(doc: IndexDoc, parts) -> tantivy.Document:
    meta = doc.metadata()
    document = tantivy.Document()
    document.add_text("report_id", doc.report_id)
    document.add_text("order_key", f"{doc.source or ''}{SEP}{doc.report_id}")
    document.add_bytes("meta", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    document.add_bytes("text", doc.text.encode("utf-8"))
    document.add_bytes("original", doc.original.encode("utf-8"))
    words, separator_inside = _words(doc, parts)
    _add_tokens(document, "words", words, separator_inside)
    text = doc.text
    _add_tokens(document, "bigrams", list(map(str.__add__, text, text[1:])), SEP in text)
    document.add_text("chars", text)

    for name in NAME_FILTERS:
        if meta[name]:
            document.add_text(f"f_{name}", normalise(meta[name]))
    if meta["publisher"]:
        document.add_text("f_publisher", normalise(meta["publisher"]))
    if meta["publisher_kind"]:
        document.add_text("f_publisher_kind", meta["publisher_kind"])
    for name in {normalise(meta[key]) for key in PLACE_KEYS if meta[key]}:
        document.add_text("f_place", name)
    for prefix in _code_prefixes(meta):
        document.add_text("f_code", prefix)
    for name, field in FACET_FIELDS.items():
        if field != "year" and meta[name]:
            document.add_text(field, meta[name])
    if meta["year"] is not None:
        document.add_integer("year", meta["year"])
    return document


# --- queries -------------------------------------------------------------------------------------

def _boolean(occur: tantivy.Occur, queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(occur, query) for query in queries])


def _unscored(query: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.const_score_query(query, 0.0)


class _Compiler:
    """Turns a query tree into one tantivy query over the fields above."""

    def __init__(self, schema: tantivy.Schema):
        self.schema = schema

    def term(self, field: str, value: Any) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def phrase(self, phrase: str) -> tantivy.Query:
        """Documents whose normalised text contains ``phrase`` (see the module docstring)."""
        size = len(phrase)
        if size == 1:
            return self.term("chars", phrase)
        if size == 2:
            return self.term("bigrams", phrase)
        offsets = list(range(0, size - 1, 2))
        if offsets[-1] != size - 2:
            offsets.append(size - 2)
        return tantivy.Query.phrase_query(self.schema, "bigrams", [(i, phrase[i:i + 2]) for i in offsets])

    def word(self, word: Word) -> tantivy.Query:
        terms = [self.term("words", term) for term in dict.fromkeys(word.terms)]
        return terms[0] if len(terms) == 1 else _boolean(tantivy.Occur.Must, terms)

    def filter(self, node: Field | YearRange) -> tantivy.Query:
        """The reports :func:`search.query.filter_matches` lets through, unscored."""
        if isinstance(node, YearRange):
            if node.start is None and node.end is None:
                query = tantivy.Query.exists_query("year")
            else:
                query = tantivy.Query.range_query(self.schema, "year", tantivy.FieldType.Integer,
                                                  node.start, node.end)
        elif node.name in NAME_FILTERS:
            query = self.term(f"f_{node.name}", node.value)
        elif node.name == "publisher":
            kind = node.value in PUBLISHER_KINDS
            query = self.term("f_publisher_kind" if kind else "f_publisher", node.value)
        elif node.name == "jurisdiction":
            if node.value.isdigit():
                query = self.term("f_code", code_prefix(node.value))
            else:
                query = self.term("f_place", node.value)
        else:
            raise ValueError(f"not a filter field: {node.name}")
        return _unscored(query)

    def everything(self) -> tantivy.Query:
        return _unscored(tantivy.Query.all_query())

    def compile(self, node: Node) -> tantivy.Query:
        if isinstance(node, Phrase):
            return self.phrase(node.text)
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, (Field, YearRange)):
            return self.filter(node)
        if isinstance(node, Not):
            # tantivy's MustNot only removes: something must select the documents first
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, self.everything()),
                                                (tantivy.Occur.MustNot, self.compile(node.item))])
        if isinstance(node, And):
            return _boolean(tantivy.Occur.Must, [self.compile(item) for item in node.items])
        if isinstance(node, Or):
            return _boolean(tantivy.Occur.Should, [self.compile(item) for item in node.items])
        raise TypeError(f"not a query node: {node!r}")

    def positive(self, node: Node) -> tantivy.Query | None:
        """Matches of any phrase or word a matching report contains: what ranks it."""
        leaves = [self.compile(leaf) for leaf in dict.fromkeys(positive_leaves(node))]
        if not leaves:
            return None
        return leaves[0] if len(leaves) == 1 else _boolean(tantivy.Occur.Should, leaves)


def _always_scored(node: Node) -> bool:
    """Whether every report matching ``node`` contains one of its positive phrases or words."""
    if isinstance(node, (Phrase, Word)):
        return True
    if isinstance(node, And):
        return any(_always_scored(item) for item in node.items)
    if isinstance(node, Or):
        return all(_always_scored(item) for item in node.items)
    return False


def _facet_key(item: tuple[Any, int]) -> tuple:
    value, count = item
    return (-count, str(value))


# --- reading -------------------------------------------------------------------------------------

class _View:
    """One searcher generation, with what is cached for it (evicted oldest first)."""

    def __init__(self, searcher: tantivy.Searcher, stamp: bytes, schema: tantivy.Schema):
        self.searcher = searcher
        self.stamp = stamp
        self.schema = schema
        #: status of meta.json when last compared, and when (time.monotonic)
        self.quick: tuple = ()
        self.checked_at = 0.0
        self._addresses: OrderedDict[str, tantivy.DocAddress] = OrderedDict()
        self._meta: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, cache: OrderedDict, key: str, value: Any, size: int) -> None:
        with self._lock:
            cache[key] = value
            if len(cache) > size:
                cache.popitem(last=False)

    def remember(self, report_id: str, address: tantivy.DocAddress, meta: bytes | None = None) -> None:
        self._remember(self._addresses, report_id, address, ADDRESS_CACHE_SIZE)
        if meta is not None:
            self._remember(self._meta, report_id, meta, META_CACHE_SIZE)

    def address(self, report_id: str) -> tantivy.DocAddress:
        address = self._addresses.get(report_id)
        if address is None:
            query = tantivy.Query.term_query(self.schema, "report_id", report_id)
            hits = self.searcher.search(query, 1, count=False).hits
            if not hits:
                raise KeyError(report_id)
            address = hits[0][1]
            self.remember(report_id, address)
        return address

    def document(self, address: tantivy.DocAddress) -> tantivy.Document:
        return self.searcher.doc(address)

    def meta(self, report_id: str) -> dict[str, Any]:
        raw = self._meta.get(report_id)
        if raw is None:
            raw = self.document(self.address(report_id)).get_first("meta")
            self._remember(self._meta, report_id, raw, META_CACHE_SIZE)
        return json.loads(raw)

    def count(self, query: tantivy.Query) -> int:
        return self.searcher.search(query, 1, count=True).count


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, path: Path, create: bool = False):
        self.path = Path(path)
        version_file = self.path / VERSION_FILE
        if self.path.is_dir() and tantivy.Index.exists(str(self.path)):
            version = json.loads(version_file.read_text(encoding="utf-8")).get("schema") \
                if version_file.exists() else None
            if version != SCHEMA_VERSION:
                raise IndexNotFound(f"{self.path} holds a tantivy index of another layout "
                                    f"(version {version}, this program reads {SCHEMA_VERSION}); "
                                    f"ingest into a new data directory")
            self._index = tantivy.Index.open(str(self.path))
        elif create:
            self.path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(schema(), path=str(self.path), reuse=False)
            version_file.write_text(json.dumps({"schema": SCHEMA_VERSION}), encoding="utf-8")
        else:
            raise IndexNotFound(f"no search index in {self.path}")
        _register_tokenizers(self._index)
        # Reloaded by _current when meta.json changes, so one query never straddles two commits.
        self._index.config_reader(reload_policy="manual")
        self._schema = self._index.schema
        self._compiler = _Compiler(self._schema)
        self._writer: tantivy.IndexWriter | None = None
        self._pending: set[str] = set()
        self._view: _View | None = None
        self._lock = threading.Lock()

    # --- writing ---------------------------------------------------------------------------------

    def _writing(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=WRITER_HEAP_BYTES)
            self._pending = set()  # ids added by this writer, not yet committed
        return self._writer

    def add(self, docs: Iterable[IndexDoc]) -> int:
        from ingest.segment import default_segmenter

        parts = default_segmenter().parts
        writer = self._writing()
        searcher = self._current().searcher
        count = 0
        for doc in docs:
            if doc.report_id in self._pending:
                # the id is the hash of the text: the same report twice in one batch (as Whoosh)
                continue
            # doc_freq also counts deleted documents: at worst a needless delete, never a missed one
            if searcher.doc_freq("report_id", doc.report_id):
                writer.delete_documents_by_term("report_id", doc.report_id)
            writer.add_document(_document(doc, parts))
            self._pending.add(doc.report_id)
            count += 1
        return count

    def remove(self, report_ids: Iterable[str]) -> int:
        view = self._current()
        writer = self._writing()
        count = 0
        for report_id in report_ids:
            count += view.count(self._compiler.term("report_id", report_id)) > 0
            # A delete applies to every earlier addition, uncommitted ones included.
            writer.delete_documents_by_term("report_id", report_id)
            self._pending.discard(report_id)
        return count

    def commit(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.commit()
            # Let the merges this commit started finish, then release the writer's lock, as the
            # Whoosh engine does: another process may want to write next.
            writer.wait_merging_threads()
            self._pending = set()
        self._refresh(force=True)

    # --- reading ---------------------------------------------------------------------------------

    def _refresh(self, force: bool = False) -> _View:
        """The view of the last commit, whichever process made it."""
        # tantivy replaces meta.json at every commit and merge. Its status is cheap to read but an
        # inode and a time can repeat within one clock tick; its content (the opstamp grows with
        # every commit) cannot, so that is what decides, read when the status changes and at least
        # every RECHECK_SECONDS.
        meta_file = self.path / "meta.json"
        status = os.stat(meta_file)
        quick = (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        now = time.monotonic()
        view = self._view
        if not force and view is not None and view.quick == quick and now - view.checked_at < RECHECK_SECONDS:
            return view
        with self._lock:
            content = meta_file.read_bytes()
            if self._view is None or self._view.stamp != content:
                self._index.reload()
                self._view = _View(self._index.searcher(), content, self._schema)
            self._view.quick, self._view.checked_at = quick, now
            return self._view

    def _current(self) -> _View:
        return self._refresh()

    def search(self, query: Node, *, sort: str = "relevance", page: int = 1, page_size: int | None = 20,
               facets: bool = True) -> SearchResult:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (sorts: {', '.join(SORTS)})")
        if page < 1 or (page_size is not None and page_size < 1):
            raise ValueError("page and page_size count from 1")
        view = self._current()
        compiled = self._compiler.compile(query)
        facet_counts = self._facets(view, compiled) if facets else {}
        if sort == "relevance":
            total, ranked = self._ranked(view, query, compiled, page, page_size)
            hits = [self._hit(view, address, score, query) for address, score in ranked]
        else:
            years = dict(facet_counts["year"]) if facets else self._counts(view, compiled, "year")
            total = view.count(compiled)
            ranked_by_year = self._by_year(view, compiled, years, total, *self._window(page, page_size, total))
            hits = [self._hit(view, address, 0.0, query) for address in ranked_by_year]
            scores = self._scores(view, query, compiled, [hit.report_id for hit in hits])
            for hit in hits:
                hit.score = scores.get(hit.report_id, 0.0)
        return SearchResult(total=total, hits=hits, facets=facet_counts, page=page, page_size=page_size)

    @staticmethod
    def _window(page: int, page_size: int | None, total: int) -> tuple[int, int]:
        if page_size is None:
            return 0, total
        return min((page - 1) * page_size, total), min(page * page_size, total)

    def _ranked(self, view: _View, query: Node, compiled: tantivy.Query, page: int, page_size: int | None
                ) -> tuple[int, list[tuple[tantivy.DocAddress, float]]]:
        """The page by score; matches without a positive phrase or word (a query of filters only,
        or NOT) follow in source order, as in the Whoosh engine."""
        searcher = view.searcher
        positive = self._compiler.positive(query)
        if positive is not None and _always_scored(query):
            # the common case: one pass counts and ranks
            limit = page_size or max(1, searcher.num_docs)
            offset = 0 if page_size is None else (page - 1) * page_size
            result = searcher.search(compiled, limit, count=True, offset=offset)
            return result.count, [(address, float(score)) for score, address in result.hits]
        total = view.count(compiled)
        first, last = self._window(page, page_size, total)
        ranked: list[tuple[tantivy.DocAddress, float]] = []
        scored_total = 0
        if positive is not None:
            scored = _boolean(tantivy.Occur.Must, [compiled, _unscored(positive)])
            scored_total = view.count(scored)
            if first < scored_total:
                hits = searcher.search(scored, min(last, scored_total) - first, count=False, offset=first).hits
                ranked.extend((address, float(score)) for score, address in hits)
            rest = tantivy.Query.boolean_query([(tantivy.Occur.Must, compiled), (tantivy.Occur.MustNot, positive)])
        else:
            rest = compiled
        if last > max(first, scored_total):
            offset = max(first, scored_total) - scored_total
            ranked.extend((address, 0.0) for address in self._in_source_order(view, rest, offset,
                                                                              last - max(first, scored_total)))
        return total, ranked

    @staticmethod
    def _in_source_order(view: _View, query: tantivy.Query, offset: int, limit: int) -> list[tantivy.DocAddress]:
        if limit <= 0:
            return []
        hits = view.searcher.search(query, limit, count=False, order_by_field="order_key",
                                    offset=offset, order=tantivy.Order.Asc).hits
        return [address for _, address in hits]

    def _by_year(self, view: _View, compiled: tantivy.Query, years: dict[int, int], total: int,
                 first: int, last: int) -> list[tantivy.DocAddress]:
        """Newest first, unknown years last, then by source and id (the Whoosh engine's order):
        tantivy sorts by one field, so each year the page reaches is sorted by source apart."""
        groups: list[tuple[int | None, int]] = sorted(years.items(), key=lambda item: -item[0])
        groups.append((None, total - sum(years.values())))
        ranked: list[tantivy.DocAddress] = []
        start = 0
        for year, size in groups:
            end = start + size
            if size and end > first and start < last:
                if year is None:
                    in_group = tantivy.Query.boolean_query([
                        (tantivy.Occur.Must, compiled),
                        (tantivy.Occur.MustNot, tantivy.Query.exists_query("year"))])
                else:
                    in_group = _boolean(tantivy.Occur.Must, [compiled, self._compiler.filter(YearRange(year, year))])
                low, high = max(first, start) - start, min(last, end) - start
                ranked.extend(self._in_source_order(view, in_group, low, high - low))
            start = end
            if start >= last:
                break
        return ranked

    def _scores(self, view: _View, query: Node, compiled: tantivy.Query, report_ids: list[str]) -> dict[str, float]:
        """Relevance scores of reports already chosen by another order."""
        positive = self._compiler.positive(query)
        if positive is None or not report_ids:
            return {}
        chosen = tantivy.Query.term_set_query(self._schema, "report_id", report_ids)
        scoring = _boolean(tantivy.Occur.Must, [compiled, _unscored(chosen)])
        hits = view.searcher.search(scoring, len(report_ids), count=False, order_by_field=None).hits
        addresses = {(address.segment_ord, address.doc): score for score, address in hits}
        return {report_id: float(addresses.get(self._key(view.address(report_id)), 0.0)) for report_id in report_ids}

    @staticmethod
    def _key(address: tantivy.DocAddress) -> tuple[int, int]:
        return (address.segment_ord, address.doc)

    @staticmethod
    def _counts(view: _View, compiled: tantivy.Query, facet: str) -> dict[Any, int]:
        request = {facet: {"terms": {"field": FACET_FIELDS[facet], "size": FACET_BUCKETS}}}
        buckets = view.searcher.aggregate(compiled, request)[facet]["buckets"]
        return {bucket["key"]: bucket["doc_count"] for bucket in buckets}

    @staticmethod
    def _facets(view: _View, compiled: tantivy.Query) -> dict[str, list[tuple[Any, int]]]:
        request = {name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_BUCKETS}} for name in FACETS}
        result = view.searcher.aggregate(compiled, request)
        return {name: sorted(((bucket["key"], bucket["doc_count"]) for bucket in result[name]["buckets"]),
                             key=_facet_key)
                for name in FACETS}

    @staticmethod
    def _hit(view: _View, address: tantivy.DocAddress, score: float, query: Node) -> Hit:
        document = view.document(address)
        meta = json.loads(document.get_first("meta"))
        view.remember(meta["report_id"], address)
        spans = match_spans(document.get_first("text").decode("utf-8"), query)
        original = document.get_first("original").decode("utf-8")
        return Hit(report_id=meta["report_id"], source=meta.get("source") or "", title=meta.get("title") or "",
                   jurisdiction=meta.get("jurisdiction") or "", code=meta.get("code") or "",
                   year=meta.get("year"), score=score, snippet_html=snippet_html(original, spans), matches=spans)

    def _phrase_query(self, phrase: str, filter_ast: Node | None) -> tantivy.Query:
        query = self._compiler.phrase(phrase)
        if filter_ast is not None:
            query = _boolean(tantivy.Occur.Must, [query, self._compiler.compile(filter_ast)])
        return query

    def phrase_occurrences(self, phrase: str, filter_ast: Node | None = None) -> Iterator[tuple[str, int, int]]:
        if not phrase:
            return iter(())
        view = self._current()
        query = self._phrase_query(phrase, filter_ast)
        # sorted by report id in tantivy, so texts can be read one at a time
        hits = view.searcher.search(query, max(1, view.searcher.num_docs), count=False,
                                    order_by_field="report_id", order=tantivy.Order.Asc).hits
        return self._occurrences(view, phrase, hits)

    #: one count query: the phrase query is exact, no stored text is read
    counts_phrase_reports_cheaply = True

    def phrase_reports(self, phrase: str, filter_ast: Node | None = None) -> Iterator[str]:
        if not phrase:
            return iter(())
        view = self._current()
        return self._by_order_key(view, self._phrase_query(phrase, filter_ast))

    @staticmethod
    def _by_order_key(view: _View, query: tantivy.Query) -> Iterator[str]:
        """Ids of the reports matching ``query`` in order_key order, i.e. by (source, report id),
        fetched in growing batches as the caller walks on."""
        offset, batch = 0, FIRST_REPORT_BATCH
        while True:
            hits = view.searcher.search(query, batch, count=False, order_by_field="order_key",
                                        offset=offset, order=tantivy.Order.Asc).hits
            for order_key, address in hits:
                report_id = order_key.rpartition(SEP)[2]
                # the caller reads these reports next: spare stored() its look-up by id
                view.remember(report_id, address)
                yield report_id
            if len(hits) < batch:
                return
            offset += batch
            batch = min(batch * REPORT_BATCH_GROWTH, MAX_REPORT_BATCH)

    def phrase_report_count(self, phrase: str, filter_ast: Node | None = None) -> int:
        if not phrase:
            return 0
        return self._current().count(self._phrase_query(phrase, filter_ast))

    def report_count(self) -> int:
        return self._current().searcher.num_docs

    @staticmethod
    def _occurrences(view: _View, phrase: str, hits) -> Iterator[tuple[str, int, int]]:
        for report_id, address in hits:
            document = view.document(address)
            # KWIC asks for the metadata of each report next
            view.remember(report_id, address, document.get_first("meta"))
            for start, end in occurrences(document.get_first("text").decode("utf-8"), phrase):
                yield report_id, start, end

    def stored(self, report_id: str) -> dict:
        view = self._current()
        document = view.document(view.address(report_id))
        return dict(json.loads(document.get_first("meta")),
                    original=document.get_first("original").decode("utf-8"),
                    text=document.get_first("text").decode("utf-8"))

    def metadata(self, report_id: str) -> dict:
        return self._current().meta(report_id)

    def report_ids(self) -> list[str]:
        searcher = self._current().searcher
        # the filter leaves out ids whose only documents are deleted (the term dictionary keeps them)
        terms = searcher.terms_with_prefix("report_id", "", filter_query=tantivy.Query.all_query())
        return sorted(term for term, _ in terms)

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.rollback()
            writer.wait_merging_threads()
        self._view = None
