"""Summaries of the stored reports in SQLite (``summaries.sqlite`` in the data directory).

Aggregates over every report — jurisdictions per year, first mentions, co-occurrence, adoption
timelines, corpus statistics — take seconds as SPARQL over a graph of 100,000 reports, because
the store joins millions of statements for each. The same facts in indexed tables answer in
milliseconds. The tables (``summaries.sql``) hold, per report, its year and jurisdiction (with the
province, the city and every division above it), and per statement of the graph its kind, object,
relation, mention offsets and evidence sentence; objects carry the label answers show.

:class:`SummaryStore` is an ingest sink (``add_reports``, ``remove``, ``commit``): every row
belongs to a report, so adding a report replaces its rows and removing it deletes them, and the
tables always equal those :func:`rebuild` computes from the graph. Its rows mirror
:mod:`ingest.triples` (the same IRIs, relations and labels); ``tests/test_summaries.py`` holds the
two ways of filling them, and the SPARQL and SQL answers, to each other.

The summaries are used only while they describe exactly the stored reports: a commit records a
digest of the report ids, and :meth:`SummaryStore.open_current` opens the file only when that
digest is the registry's. Anything else (no file yet, an older schema, an ingest that ran
without this sink, a crash between the graph and the summaries) makes readers fall back to
SPARQL until the next ingest rebuilds them.
"""
from __future__ import annotations

import hashlib
import queue
import sqlite3
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from ingest.datadir import DataDir
from ingest.report import DOCUMENT_RELATIONS, LAW_RELATIONS, LEVELS, Report
from ontology import (
    FZ, data_path, document_iri, initiative_iri, jurisdiction_iri, law_iri, level_iri, program_iri,
    relation_iri, report_iri, stable_key,
)

SUMMARIES_NAME = "summaries.sqlite"
#: Bump when the tables change: a file of another version is not read, and the next ingest rebuilds it.
SCHEMA_VERSION = "1"
#: Reports written between two commits of a long batch, so the write-ahead log stays small.
COMMIT_EVERY = 1000
#: Reports whose statements one graph query reads during a rebuild (memory stays bounded).
REBUILD_CHUNK = 500
#: Pages of cache per connection (negative: KiB), so several request threads stay well under the
#: service's memory budget.
CACHE_KIB = 32 * 1024
#: Connections kept open for request threads.
POOL_SIZE = 8

KINDS = ("program", "initiative", "law", "document")
#: The statement class of each kind of mention.
MENTION_CLASSES = {"law": FZ.LawMention, "document": FZ.DocumentMention,
                   "program": FZ.ProgramMention, "initiative": FZ.InitiativeMention}
_KIND_OF_CLASS = {str(cls): kind for kind, cls in MENTION_CLASSES.items()}
#: Programs and initiatives are "ran"; laws and documents have their own relations.
RELATIONS = ("ran", *LAW_RELATIONS, *(r for r in DOCUMENT_RELATIONS if r not in LAW_RELATIONS))
_RELATION_OF_IRI = {str(relation_iri(name)): name for name in RELATIONS}
_LEVEL_OF_IRI = {str(level_iri(name)): name for name in LEVELS}
_JURISDICTION_PREFIX = str(jurisdiction_iri(""))
#: Stands for an IRI that no row can hold, so that a parameter naming something unknown selects
#: nothing, as it does in SPARQL.
_NOTHING = "\x00"

#: The row shape of ``items_of.rq``: the SPARQL variables the answer builder reads.
ItemRow = namedtuple("ItemRow", "j jLabel code object objectLabel kind relation year report start end exact")


@dataclass(frozen=True)
class Selection:
    """Statements a question template selects, as SQL over ``mentions`` and ``reports r``."""

    #: (object IRI, relation name or None for any relation)
    pairs: list[tuple[str, str | None]]
    #: a condition on the report row ``r``, with its parameters
    where: str
    params: list


def ids_digest(report_ids: Iterable[str]) -> str:
    """What a commit records of the report set, compared with the registry's."""
    return hashlib.sha256("\n".join(sorted(report_ids)).encode("utf-8")).hexdigest()


def summaries_path(datadir: DataDir) -> Path:
    return datadir.root / SUMMARIES_NAME


# --- rows of one report -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportRow:
    report: str
    year: int | None
    code: str | None = None
    name: str | None = None
    level: str | None = None
    province: tuple[str, str] | None = None  # (code, name)
    city: tuple[str, str] | None = None
    #: the jurisdiction's code and those of every division above it
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class MentionRow:
    kind: str
    iri: str
    label: str
    label_en: str | None
    relation: str
    mention_start: int
    mention_end: int
    start: int
    end: int
    text: str


@dataclass
class _ReportFacts:
    row: ReportRow
    mentions: list[MentionRow] = field(default_factory=list)


@lru_cache(maxsize=1)
def _program_labels() -> dict[str, tuple[str, str | None]]:
    """Program IRI → (label, English label) as the graph gives them: the Chinese preferred label,
    else any plain label, else the IRI (see the label column of the question templates)."""
    graph = Graph()
    graph.parse(data_path("programs.ttl"), format="turtle")
    labels = {}
    for concept in set(graph.subjects(SKOS.inScheme, None)):
        def of(prop, lang):
            found = sorted(str(o) for o in graph.objects(concept, prop)
                           if lang is None or getattr(o, "language", None) == lang)
            return found[0] if found else None
        label = of(SKOS.prefLabel, "zh") or of(RDFS.label, None) or str(concept)
        labels[str(concept)] = (label, of(SKOS.prefLabel, "en"))
    return labels


@lru_cache(maxsize=1)
def level_labels() -> dict[str, dict[str, str]]:
    """Level name → {"zh": …, "en": …}, from the ontology the vocabulary graph is loaded from."""
    graph = Graph()
    graph.parse(data_path("fzkg.ttl"), format="turtle")
    result = {}
    for name in LEVELS:
        result[name] = {o.language: str(o) for o in graph.objects(level_iri(name), RDFS.label)
                        if getattr(o, "language", None) in ("zh", "en")}
    return result


def report_facts(report: Report, laws=None) -> _ReportFacts:
    """The rows of one report, made as :mod:`ingest.triples` makes its statements: a report
    without a jurisdiction has none."""
    jurisdiction = report.jurisdiction
    if jurisdiction is None:
        return _ReportFacts(ReportRow(report.id, report.year))
    chain = [*jurisdiction.parents, jurisdiction]

    def first_of(level):
        place = next((p for p in chain if p.level == level), None)
        return (place.code, place.name) if place else None

    row = ReportRow(report.id, report.year, jurisdiction.code, jurisdiction.name, jurisdiction.level,
                    first_of("province"), first_of("city"), tuple(dict.fromkeys(p.code for p in chain)))
    facts = _ReportFacts(row)
    if laws is None:
        from ingest.lawlist import load_laws
        laws = load_laws()

    def add(kind, iri, label, label_en, relation, mention, evidence):
        facts.mentions.append(MentionRow(kind, str(iri), label, label_en, relation, mention.start, mention.end,
                                         evidence.start, evidence.end, evidence.text))

    for mention in report.laws:
        entry = laws.by_key(mention.key) if mention.listed else None
        if entry is not None:
            add("law", law_iri(entry.key), entry.title, None, mention.relation, mention, mention.evidence)
        else:
            add("law", law_iri(stable_key(mention.title)), mention.title, None, mention.relation, mention,
                mention.evidence)
    for mention in report.documents:
        add("document", document_iri(mention.title), mention.title, None, mention.relation, mention, mention.evidence)
    programs = _program_labels()
    for mention in report.programs:
        iri = str(program_iri(mention.key))
        label, label_en = programs.get(iri, (iri, None))
        add("program", iri, label, label_en, "ran", mention, mention.evidence)
    for mention in report.initiatives:
        add("initiative", initiative_iri(mention.name), mention.name, None, "ran", mention, mention.evidence)
    return facts


# --- the store ----------------------------------------------------------------------------------------

class SummaryStore:
    """The summaries file of a data directory; open with :meth:`open` (writing) or
    :meth:`open_current` (reading, only when it describes the stored reports), and close it."""

    def __init__(self, path: Path, read_only: bool):
        self.path = Path(path)
        self.read_only = read_only
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._writer: sqlite3.Connection | None = None
        self._in_transaction = False
        self._written = 0
        #: object IRI → (id, label, label_en) of rows this writer has seen
        self._objects: dict[str, tuple[int, str, str | None]] = {}
        #: objects that lost mentions in this transaction; dropped at commit if they have none left
        self._orphans: set[int] = set()
        self._laws = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, datadir: DataDir, read_only: bool = False) -> "SummaryStore":
        path = summaries_path(datadir)
        store = cls(path, read_only)
        if read_only:
            if not path.exists():
                raise FileNotFoundError(f"no summaries at {path}")
            with store.reading():
                pass
            return store
        datadir.root.mkdir(parents=True, exist_ok=True)
        store._writer = store._connect()
        store._writer.execute("PRAGMA journal_mode=WAL")
        if store.schema_version() not in (None, SCHEMA_VERSION):
            store._drop_all()
        store._writer.executescript(_schema())
        store._set_meta("schema", SCHEMA_VERSION)
        if store._meta("reports") is None:
            # a new file describes the reports it holds (none): current for an empty data directory
            store._set_meta("reports", ids_digest(store.report_ids()))
        return store

    @classmethod
    def open_current(cls, datadir: DataDir, report_ids: Iterable[str] | None = None) -> "SummaryStore | None":
        """The summaries for reading when they describe exactly the stored reports (``report_ids``,
        by default the registry's), else None: the caller asks the graph instead."""
        if not summaries_path(datadir).exists():
            return None
        try:
            store = cls.open(datadir, read_only=True)
        except sqlite3.Error:
            return None
        ids = datadir.registry() if report_ids is None else report_ids
        if store.is_current(ids):
            return store
        store.close()
        return None

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA query_only=1")
        else:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return connection

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for one read (request threads share the pool; a writer reads on its own)."""
        if self._writer is not None:
            yield self._writer
            return
        try:
            connection = self._pool.get_nowait()
        except queue.Empty:
            connection = self._connect()
        try:
            yield connection
        finally:
            if self._pool.qsize() < POOL_SIZE:
                self._pool.put(connection)
            else:
                connection.close()

    def close(self) -> None:
        if self._writer is not None:
            if self._in_transaction:
                self._writer.execute("ROLLBACK")
                self._in_transaction = False
            self._writer.close()
            self._writer = None
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                break

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- state ---------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        with self.reading() as connection:
            try:
                row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:  # no tables yet
                return None
        return row[0] if row else None

    def schema_version(self) -> str | None:
        return self._meta("schema")

    def is_current(self, report_ids: Iterable[str]) -> bool:
        """True when the last commit described exactly ``report_ids`` with this schema."""
        return self.schema_version() == SCHEMA_VERSION and self._meta("reports") == ids_digest(report_ids)

    def report_ids(self) -> list[str]:
        with self.reading() as connection:
            return [row[0] for row in connection.execute("SELECT report FROM reports ORDER BY report")]

    def __len__(self) -> int:
        with self.reading() as connection:
            return connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0]

    # -- writing (the sink) --------------------------------------------------------------------

    def _write(self) -> sqlite3.Connection:
        if self._writer is None:
            raise PermissionError(f"summaries {self.path} are open read-only")
        if not self._in_transaction:
            self._writer.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            # until the commit that ends this batch, the rows describe no report set: readers
            # that compare digests fall back to the graph meanwhile
            self._set_meta("reports", "")
        return self._writer

    def _set_meta(self, key: str, value: str) -> None:
        self._writer.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def add_reports(self, reports: Iterable[Report], commit: bool = False) -> int:
        """Store the rows of each report, replacing whatever an earlier version of it left."""
        if self._laws is None:
            from ingest.lawlist import load_laws
            self._laws = load_laws()
        count = 0
        for report in reports:
            self.add_facts(report_facts(report, self._laws))
            count += 1
        if commit:
            self.commit()
        return count

    def add_facts(self, facts: _ReportFacts) -> None:
        connection = self._write()
        row = facts.row
        self._delete(connection, [row.report])
        province, city = row.province or (None, None), row.city or (None, None)
        rid = connection.execute(
            "INSERT INTO reports (report, year, code, name, level, province_code, province_name, city_code, city_name) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.report, row.year, row.code, row.name, row.level, *province, *city)).lastrowid
        connection.executemany("INSERT OR IGNORE INTO areas (report, area) VALUES (?, ?)",
                               [(rid, area) for area in row.areas])
        mentions, sentences = [], {}
        for mention in facts.mentions:
            object_id = self._object_id(connection, mention)
            mentions.append((rid, object_id, mention.relation, mention.mention_start, mention.mention_end,
                             mention.start, mention.end, mention.kind))
            sentences[(mention.start, mention.end)] = mention.text
        # OR IGNORE: the graph names a statement by report, object, relation and mention start,
        # so two mentions alike in these are one statement there and one row here
        connection.executemany("INSERT OR IGNORE INTO mentions (report, object, relation, mention_start, mention_end, "
                               "start, end, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", mentions)
        connection.executemany("INSERT INTO sentences (report, start, end, text) VALUES (?, ?, ?, ?)",
                               [(rid, start, end, text) for (start, end), text in sentences.items()])
        self._written += 1
        if self._written % COMMIT_EVERY == 0:
            self._commit_pending()

    def _object_id(self, connection: sqlite3.Connection, mention: MentionRow) -> int:
        known = self._objects.get(mention.iri)
        if known is not None and known[1:] == (mention.label, mention.label_en):
            return known[0]
        object_id = connection.execute(
            "INSERT INTO objects (iri, kind, label, label_en) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (iri) DO UPDATE SET label = excluded.label, label_en = excluded.label_en RETURNING id",
            (mention.iri, mention.kind, mention.label, mention.label_en)).fetchone()[0]
        self._objects[mention.iri] = (object_id, mention.label, mention.label_en)
        return object_id

    def remove(self, report_ids: Iterable[str], commit: bool = False) -> int:
        """Delete every row of these reports; returns how many were stored."""
        removed = self._delete(self._write(), list(report_ids))
        if commit:
            self.commit()
        return removed

    def _delete(self, connection: sqlite3.Connection, report_ids: list[str]) -> int:
        removed = 0
        for report in report_ids:
            found = connection.execute("SELECT id FROM reports WHERE report = ?", (report,)).fetchone()
            if found is None:
                continue
            rid = found[0]
            self._orphans.update(row[0] for row in connection.execute(
                "SELECT DISTINCT object FROM mentions WHERE report = ?", (rid,)))
            for table in ("mentions", "sentences", "areas"):
                connection.execute(f"DELETE FROM {table} WHERE report = ?", (rid,))
            connection.execute("DELETE FROM reports WHERE id = ?", (rid,))
            removed += 1
        return removed

    def _drop_orphans(self) -> None:
        gone = set()
        for object_id in self._orphans:
            deleted = self._writer.execute("DELETE FROM objects WHERE id = ? AND NOT EXISTS "
                                           "(SELECT 1 FROM mentions WHERE object = objects.id)", (object_id,))
            if deleted.rowcount:
                gone.add(object_id)
        if gone:
            self._objects = {iri: known for iri, known in self._objects.items() if known[0] not in gone}
        self._orphans.clear()

    def _commit_pending(self) -> None:
        """Make the rows written so far durable without declaring them complete."""
        if self._in_transaction:
            self._drop_orphans()
            self._writer.execute("COMMIT")
            self._in_transaction = False

    def commit(self) -> None:
        """End the batch: the rows now describe the reports they hold, and readers may use them."""
        connection = self._write()
        self._drop_orphans()
        ids = [row[0] for row in connection.execute("SELECT report FROM reports")]
        self._set_meta("reports", ids_digest(ids))
        connection.execute("COMMIT")
        self._in_transaction = False

    def clear(self) -> None:
        """Delete every row (inside the current batch; a rebuild fills the tables again)."""
        connection = self._write()
        for table in ("mentions", "sentences", "areas", "reports", "objects"):
            connection.execute(f"DELETE FROM {table}")
        self._objects.clear()
        self._orphans.clear()

    def _drop_all(self) -> None:
        tables = [row[0] for row in self._writer.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            self._writer.execute(f"DROP TABLE IF EXISTS {table}")

    # -- reading: question templates -------------------------------------------------------------

    def template_rows(self, template: str, values: dict[tuple[str, ...], list[tuple]]) -> list | None:
        """The rows the SPARQL ``template`` bound with ``values`` gives (as in
        :func:`search.questions.sparql.bind`), in its order; None for a template or a binding
        these tables do not answer. Only ``items_of.rq`` (a place's few statements): the
        aggregate templates are grouped and paged in SQL instead
        (:mod:`search.questions.grouped`, which reads :meth:`statement_selection` and
        :meth:`companion_selection`)."""
        if template == "items_of.rq":
            return self._item_rows(values)
        return None

    def statement_selection(self, values: dict, first_year: bool) -> "Selection | None":
        """What the statement templates (``jurisdictions_with.rq``, ``first_mention.rq``) bound with
        ``values`` select, as SQL: the (object, relation) pairs and a condition on the report row
        ``r``; None for a binding these tables do not answer."""
        handled = {("object", "relation"), ("level",), ("suffix",), ("area",)}
        if not first_year:
            handled.add(("yearFrom", "yearTo"))
        if not set(values) <= handled:
            return None
        wanted = values.get(("object", "relation"))
        if wanted is None or any(obj is None for obj, _ in wanted):
            return None  # "any object" is a scan of everything: the graph does it as well
        pairs = [(str(obj), None if relation is None else _RELATION_OF_IRI.get(str(relation), _NOTHING))
                 for obj, relation in wanted]
        where, params = ["r.code IS NOT NULL"], []
        if ("level",) in values:
            levels = [_LEVEL_OF_IRI.get(str(row[0]), _NOTHING) for row in values[("level",)] if row[0] is not None]
            if len(levels) < len(values[("level",)]):
                levels = None  # an UNDEF row: any level
            if levels is not None:
                where.append(f"r.level IN ({', '.join('?' * len(levels))})")
                params += levels
        if ("suffix",) in values:
            suffixes = [row[0] for row in values[("suffix",)]]
            # an UNDEF row or an empty ending: any name
            if None not in suffixes and "" not in suffixes:
                where.append("(" + (" OR ".join("substr(r.name, ?) = ?" for _ in suffixes) or "0") + ")")
                for suffix in suffixes:
                    params += [-len(suffix), suffix]
        if ("area",) in values:
            areas = [_code_of(row[0]) for row in values[("area",)]]
            if None not in areas:
                where.append(f"EXISTS (SELECT 1 FROM areas a WHERE a.report = r.id AND a.area IN "
                             f"({', '.join('?' * len(areas))}))")
                params += areas
        if ("yearFrom", "yearTo") in values:
            where.append(_year_ranges(values[("yearFrom", "yearTo")], params))
        return Selection(pairs, " AND ".join(where), params)

    def object_relation_pairs(self, connection: sqlite3.Connection, selection: "Selection") -> list[tuple[int, str]]:
        """(object id, relation) of each pair of ``selection`` whose object has rows; a pair of
        any relation stands for one pair per relation, so that every look-up is an index range."""
        ids = dict(connection.execute(
            f"SELECT iri, id FROM objects WHERE iri IN ({', '.join('?' * len(selection.pairs))})",
            [iri for iri, _ in selection.pairs])) if selection.pairs else {}
        found = []
        for iri, relation in selection.pairs:
            if iri in ids:
                found += [(ids[iri], name) for name in ([relation] if relation is not None else RELATIONS)]
        return list(dict.fromkeys(found))

    def _item_rows(self, values: dict) -> list[ItemRow] | None:
        if not set(values) <= {("j",), ("kind", "relation"), ("yearFrom", "yearTo")}:
            return None
        places = [_code_of(row[0]) for row in values.get(("j",), [])]
        wanted = values.get(("kind", "relation"), [])
        if None in places or not places or any(kind is None for kind, _ in wanted):
            return None  # any place or any kind of statement: left to the graph
        if not wanted:
            return []
        params: list = []
        for kind, relation in wanted:
            params += [_KIND_OF_CLASS.get(str(kind), _NOTHING),
                       None if relation is None else _RELATION_OF_IRI.get(str(relation), _NOTHING)]
        params += places
        where = [f"r.code IN ({', '.join('?' * len(places))})"]
        if ("yearFrom", "yearTo") in values:
            where.append(_year_ranges(values[("yearFrom", "yearTo")], params))
        with self.reading() as connection:
            rows = connection.execute(f"""
                WITH wanted (kind, relation) AS (VALUES {', '.join('(?, ?)' for _ in wanted)})
                SELECT r.code, r.name, o.iri, o.label, m.kind, m.relation, r.year, r.report, m.start, m.end, s.text
                -- the place's reports first, then their mentions by primary key (CROSS JOIN fixes the
                -- order; the planner would otherwise walk every mention of the kind)
                FROM reports r
                CROSS JOIN mentions m ON m.report = r.id
                JOIN wanted w ON m.kind = w.kind AND (w.relation IS NULL OR m.relation = w.relation)
                JOIN objects o ON o.id = m.object
                JOIN sentences s ON s.report = m.report AND s.start = m.start AND s.end = m.end
                WHERE {' AND '.join(where)}
                ORDER BY o.label, r.code, r.report, m.start""", params).fetchall()
        return [ItemRow(str(jurisdiction_iri(code)), name, code, iri, label, str(MENTION_CLASSES[kind]),
                        str(relation_iri(relation)), year, report, start, end, text)
                for code, name, iri, label, kind, relation, year, report, start, end, text in rows]

    @staticmethod
    def companion_selection(values: dict) -> tuple[list[str], list[str], bool] | None:
        """What ``cooccurring.rq`` bound with ``values`` asks for: the anchors' IRIs, the
        companions' kinds and whether only sentences naming an anchor count; None for a binding
        these tables do not answer."""
        if not set(values) <= {("object",), ("otherKind",), ("sentenceOnly",)}:
            return None
        anchors = [row[0] for row in values.get(("object",), [])]
        kinds = [row[0] for row in values.get(("otherKind",), [(None,)])]
        sentence_only = [row[0] for row in values.get(("sentenceOnly",), [(None,)])]
        if None in anchors or None in kinds or sentence_only not in ([None], [True]):
            return None  # "anything" as anchor or companion kind: left to the graph
        kind_names = list(dict.fromkeys(_KIND_OF_CLASS.get(str(k), _NOTHING) for k in kinds))
        return [str(a) for a in anchors], kind_names, sentence_only == [True]

    @staticmethod
    def object_ids(connection: sqlite3.Connection, iris: list[str]) -> list[int]:
        marks = ", ".join("?" * len(iris))
        return [row[0] for row in connection.execute(f"SELECT id FROM objects WHERE iri IN ({marks})", iris)]

    @staticmethod
    def _companions_sql(ids: list[int], kinds: list[str]) -> tuple[str, list]:
        """``companion``: the statements of ``kinds`` in the reports that mention any of the objects
        ``ids``, other than those objects, each with ``same``: whether a statement of those objects
        has the same evidence sentence; with its parameters. Both look-ups go through the primary
        key (report, object …), never through a scan of the anchors."""
        anchors = ", ".join("?" * len(ids)) or "NULL"
        return f"""
            WITH anchor_reports AS (SELECT DISTINCT report FROM mentions WHERE object IN ({anchors})),
            companion AS (
              SELECT c.report, c.object, c.kind, c.start, c.end,
                     EXISTS (SELECT 1 FROM mentions a WHERE a.report = c.report AND a.object IN ({anchors})
                             AND a.start = c.start AND a.end = c.end) AS same
              FROM anchor_reports ar JOIN mentions c ON c.report = ar.report
              WHERE c.kind IN ({', '.join('?' * len(kinds))}) AND c.object NOT IN ({anchors}))""", \
            [*ids, *ids, *kinds, *ids]

    # -- reading: adoption, counts, statistics ----------------------------------------------------

    def first_years(self, iris: Iterable[str]) -> list[tuple]:
        """(code, name, level, province name, first year) of every jurisdiction whose reports
        mention any of ``iris`` in a known year: the rows of an adoption timeline, without their
        sentences (:meth:`first_year_sentences` reads those for a page of them)."""
        iris = [str(i) for i in iris]
        if not iris:
            return []
        with self.reading() as connection:
            return connection.execute(f"""
                WITH said AS (
                  SELECT DISTINCT m.report FROM objects o CROSS JOIN mentions m ON m.object = o.id
                  WHERE o.iri IN ({', '.join('?' * len(iris))}))
                SELECT r.code, MIN(r.name), MIN(r.level), MIN(r.province_name), MIN(r.year)
                FROM said s JOIN reports r ON r.id = s.report
                WHERE r.year IS NOT NULL AND r.code IS NOT NULL GROUP BY r.code""", iris).fetchall()

    def first_year_sentences(self, iris: Iterable[str], firsts: list[tuple[str, int]]) -> dict[str, list[tuple]]:
        """code → the (report, start, end, text) of the sentences that mention any of ``iris`` in
        the reports of that jurisdiction and year, for each (code, year) of ``firsts``; ordered by
        report and offset."""
        iris = [str(i) for i in iris]
        found: dict[str, list[tuple]] = {}
        if not iris or not firsts:
            return found
        with self.reading() as connection:
            rows = connection.execute(f"""
                WITH wanted (code, year) AS (VALUES {', '.join('(?, ?)' for _ in firsts)}),
                named AS (SELECT id FROM objects WHERE iri IN ({', '.join('?' * len(iris))}))
                SELECT DISTINCT r.code, r.report, m.start, m.end, s.text
                FROM wanted w JOIN reports r ON r.code = w.code AND r.year = w.year
                CROSS JOIN named n
                JOIN mentions m ON m.report = r.id AND +m.object = n.id
                JOIN sentences s ON s.report = m.report AND s.start = m.start AND s.end = m.end
                ORDER BY r.code, r.report, m.start, m.end""",
                [value for pair in firsts for value in pair] + iris).fetchall()
        for code, report, start, end, text in rows:
            found.setdefault(code, []).append((report, start, end, text))
        return found

    def link_node(self, iri: str) -> dict | None:
        """What the links graph holds about a thing or a jurisdiction (``label``, ``kind``,
        ``reports``: how many placed reports mention it, or are about it), or None when it
        holds nothing of it."""
        with self.reading() as connection:
            if iri.startswith(_JURISDICTION_PREFIX):
                code = iri[len(_JURISDICTION_PREFIX):]
                name, level, count = connection.execute(
                    "SELECT MIN(name), MIN(level), COUNT(*) FROM reports WHERE code = ?", [code]).fetchone()
                return {"label": name, "kind": "jurisdiction", "code": code, "level": level,
                        "reports": count} if count else None
            found = connection.execute("""
                SELECT o.kind, o.label, (SELECT COUNT(DISTINCT m.report) FROM mentions m
                                         JOIN reports r ON r.id = m.report
                                         WHERE m.object = o.id AND r.code IS NOT NULL)
                FROM objects o WHERE o.iri = ?""", [iri]).fetchone()
        if found is None or not found[2]:
            return None
        return {"label": found[1], "kind": found[0], "reports": found[2]}

    def per_year(self, iris: Iterable[str]) -> list[dict]:
        """Year by year, how many jurisdictions and reports mention any of ``iris``."""
        iris = [str(i) for i in iris]
        if not iris:
            return []
        query = f"""
            SELECT r.year, COUNT(DISTINCT r.code), COUNT(DISTINCT r.id)
            FROM objects o JOIN mentions m ON m.object = o.id JOIN reports r ON r.id = m.report
            WHERE o.iri IN ({', '.join('?' * len(iris))}) AND r.year IS NOT NULL
            GROUP BY r.year ORDER BY r.year"""
        with self.reading() as connection:
            return [{"year": year, "jurisdictions": places, "reports": reports}
                    for year, places, reports in connection.execute(query, iris)]

    def top_objects(self, kind: str, limit: int = 10, province: str | None = None,
                    year: int | None = None) -> list[dict]:
        """The objects of ``kind`` mentioned by most reports (then by most statements, then by
        label), optionally only in reports of one province (its code) and one year."""
        where, params = ["m.kind = ?"], [kind]
        if province is not None:
            where.append("r.province_code = ?")
            params.append(province)
        if year is not None:
            where.append("r.year = ?")
            params.append(year)
        if province is None and year is None:
            source = "mentions m"
        else:
            source = "reports r JOIN mentions m ON m.report = r.id"
        query = f"""
            SELECT o.iri, o.label, o.label_en, t.reports, t.mentions FROM (
              SELECT m.object, COUNT(DISTINCT m.report) AS reports, COUNT(*) AS mentions
              FROM {source} WHERE {' AND '.join(where)} GROUP BY m.object) t
            JOIN objects o ON o.id = t.object
            ORDER BY t.reports DESC, t.mentions DESC, o.label, o.iri LIMIT ?"""
        with self.reading() as connection:
            rows = connection.execute(query, [*params, limit]).fetchall()
        return [{"object": iri, "label_zh": label, "label_en": label_en, "reports": reports, "mentions": mentions}
                for iri, label, label_en, reports, mentions in rows]

    def cooccurrence(self, iris: Iterable[str], kinds: Iterable[str] = KINDS) -> list[dict]:
        """What is mentioned with any of ``iris``: per object, the reports naming both and the
        sentences naming both, most reports first."""
        iris, kinds = [str(i) for i in iris], list(kinds)
        if not iris or not kinds:
            return []
        with self.reading() as connection:
            ids = self.object_ids(connection, iris)
            companions, params = self._companions_sql(ids, kinds)
            rows = connection.execute(f"""
                {companions}
                SELECT o.iri, o.label, o.kind, COUNT(DISTINCT c.report),
                       COUNT(DISTINCT CASE WHEN c.same THEN c.report || ':' || c.start || ':' || c.end END)
                FROM companion c JOIN objects o ON o.id = c.object
                GROUP BY o.id ORDER BY 4 DESC, 5 DESC, o.label, o.iri""", params).fetchall()
        return [{"object": iri, "label": label, "kind": kind, "reports": reports, "sentences": sentences}
                for iri, label, kind, reports, sentences in rows]

    def statistics(self, top: int = 10) -> dict[str, list[dict]]:
        """The home page's counts, as rows keyed like the variables of its SPARQL queries
        (``web/pages/home.py``): totals, levels, provinces, years, top programs and laws."""
        labels = level_labels()
        with self.reading() as connection:
            reports, places = connection.execute("SELECT COUNT(*), COUNT(DISTINCT code) FROM reports").fetchone()
            levels = [{"level": str(level_iri(level)), "label_zh": labels.get(level, {}).get("zh"),
                       "label_en": labels.get(level, {}).get("en"), "reports": count, "jurisdictions": distinct}
                      for level, count, distinct in connection.execute(
                          "SELECT level, COUNT(*), COUNT(DISTINCT code) FROM reports WHERE code IS NOT NULL "
                          "GROUP BY level")]
            provinces = [{"province": str(jurisdiction_iri(code)), "label": name, "code": code, "reports": count,
                          "jurisdictions": distinct}
                         for code, name, count, distinct in connection.execute(
                             "SELECT province_code, province_name, COUNT(*), COUNT(DISTINCT code) FROM reports "
                             "WHERE province_code IS NOT NULL GROUP BY province_code "
                             "ORDER BY 3 DESC, province_name, province_code")]
            years = [{"year": year, "reports": count} for year, count in connection.execute(
                "SELECT year, COUNT(*) FROM reports WHERE year IS NOT NULL GROUP BY year ORDER BY year")]
        return {"totals": [{"reports": reports, "jurisdictions": places}], "levels": levels,
                "provinces": provinces, "years": years,
                "top_programs": self.top_objects("program", top), "top_laws": self.top_objects("law", top)}

    # -- reading: the links graph -----------------------------------------------------------------

    def link_rows(self) -> Iterator[tuple[str, int, int, str, str, str]]:
        """(report, start, end, object IRI, kind, label) of every mention in a placed report,
        ordered by report, sentence start and object: the rows, and the order, in which
        :func:`search.links.build_graph` reads ``link_statements.rq``. Streamed, not listed.

        >>> next(summaries.link_rows())                                   # doctest: +SKIP
        ('0a1b…', 120, 188, 'https://…/program/falv-mingbairen', 'program', '法律明白人')
        """
        with self.reading() as connection:
            yield from connection.execute(
                "SELECT r.report, m.start, m.end, o.iri, o.kind, o.label "
                "FROM reports r JOIN mentions m ON m.report = r.id JOIN objects o ON o.id = m.object "
                "WHERE r.code IS NOT NULL ORDER BY r.report, m.start, o.iri")

    def object_labels(self) -> list[tuple[str, str, str, str]]:
        """(IRI, kind, label, "pref") of every thing some stored statement has as object (an object
        no statement names any more is dropped at ingest), in the shape of the linker's entity
        rows (:mod:`search.questions.link`)."""
        with self.reading() as connection:
            return [(iri, kind, label, "pref") for iri, kind, label in connection.execute(
                "SELECT iri, kind, label FROM objects ORDER BY iri")]

    def reported_codes(self) -> set[str]:
        """Official codes of the jurisdictions some stored report is about."""
        with self.reading() as connection:
            return {code for (code,) in connection.execute(
                "SELECT DISTINCT code FROM reports WHERE code IS NOT NULL")}

    def sentence_texts(self, spans: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], str]:
        """The text of each evidence sentence ``(report, start, end)`` that is stored.

        >>> summaries.sentence_texts([(report, 120, 188)])                 # doctest: +SKIP
        {('0a1b…', 120, 188): '……推行法律明白人制度……'}
        """
        found = {}
        with self.reading() as connection:
            for report, start, end in set(spans):
                row = connection.execute(
                    "SELECT s.text FROM reports r JOIN sentences s ON s.report = r.id "
                    "WHERE r.report = ? AND s.start = ? AND s.end = ?", (report, start, end)).fetchone()
                if row is not None:
                    found[(report, start, end)] = row[0]
        return found

    # -- comparing -----------------------------------------------------------------------------

    def dump(self) -> dict[str, list[tuple]]:
        """Every row in a canonical order, with IRIs and report ids instead of row ids: two stores
        holding the same facts dump equal, however they were filled."""
        with self.reading() as connection:
            reports = connection.execute(
                "SELECT r.report, r.year, r.code, r.name, r.level, r.province_code, r.province_name, r.city_code, "
                "r.city_name, (SELECT group_concat(area, ' ') FROM (SELECT area FROM areas a WHERE a.report = r.id "
                "ORDER BY area)) FROM reports r ORDER BY r.report").fetchall()
            mentions = connection.execute(
                "SELECT r.report, m.kind, o.iri, o.label, o.label_en, m.relation, m.mention_start, m.mention_end, "
                "m.start, m.end, s.text FROM mentions m JOIN reports r ON r.id = m.report "
                "JOIN objects o ON o.id = m.object "
                "JOIN sentences s ON s.report = m.report AND s.start = m.start AND s.end = m.end "
                "ORDER BY r.report, o.iri, m.relation, m.mention_start").fetchall()
            objects = connection.execute("SELECT iri, kind, label, label_en FROM objects ORDER BY iri").fetchall()
            sentences = connection.execute(
                "SELECT r.report, s.start, s.end FROM sentences s JOIN reports r ON r.id = s.report "
                "ORDER BY r.report, s.start, s.end").fetchall()
        return {"reports": reports, "mentions": mentions, "objects": objects, "sentences": sentences}


def _year_ranges(ranges: list[tuple], params: list) -> str:
    """A condition on the report row ``r``: its year lies in one of the (from, to) ``ranges``
    (None: open), as the templates' FILTERs over their VALUES rows say; appends its parameters."""
    clauses = []
    for low, high in ranges:
        parts = ["1"]
        if low is not None:
            parts.append("r.year >= ?")
            params.append(int(low))
        if high is not None:
            parts.append("r.year <= ?")
            params.append(int(high))
        clauses.append("(" + " AND ".join(parts) + ")")
    return "(" + (" OR ".join(clauses) or "0") + ")"


def _code_of(area) -> str | None:
    if area is None:
        return None
    text = str(area)
    return text[len(_JURISDICTION_PREFIX):] if text.startswith(_JURISDICTION_PREFIX) else _NOTHING


@lru_cache(maxsize=1)
def _schema() -> str:
    return resources.files("search").joinpath("summaries.sql").read_text(encoding="utf-8")


# --- rebuilding from the graph ---------------------------------------------------------------------

_REBUILD_REPORTS = """
SELECT ?report ?year ?j WHERE {
  ?node a fz:Report ; dct:identifier ?report .
  OPTIONAL { ?node fz:year ?year }
  OPTIONAL { ?node dct:spatial ?j }
}"""

_REBUILD_PLACES = """
SELECT ?j ?label ?code ?level ?parent WHERE {
  ?j a fz:Jurisdiction ; rdfs:label ?label ; skos:notation ?code ; fz:level ?level .
  OPTIONAL { ?j org:subOrganizationOf ?parent }
}"""

_REBUILD_STATEMENTS = """
SELECT ?node ?kind ?object ?relation ?mentionStart ?mentionEnd ?start ?end ?exact WHERE {
  VALUES ?node { UNDEF }
  ?statement fz:report ?node ; a ?kind ; fz:object ?object ; fz:relation ?relation ; fz:evidence ?evidence .
  VALUES ?kind { UNDEF }
  ?evidence oa:start ?start ; oa:end ?end ; oa:exact ?exact .
  OPTIONAL { ?statement fz:mentionStart ?mentionStart }
  OPTIONAL { ?statement fz:mentionEnd ?mentionEnd }
}"""

# The labels of objects, each (object, property, label) once. A triple a report graph states is
# seen once per report graph that states it (an initiative's label: once per report naming it), so
# the properties are read apart and deduplicated, never joined to each other.
_REBUILD_LABELS = """
SELECT DISTINCT ?object ?property ?label WHERE {
  VALUES ?object { UNDEF }
  { ?object skos:prefLabel ?label BIND("pref" AS ?property) }
  UNION { ?object rdfs:label ?label BIND("plain" AS ?property) }
}"""


def _labels_of(rows) -> dict[str, tuple[str, str | None, str | None]]:
    """IRI → (label, preferred English label, plain English label). The label is what the question
    templates bind (the Chinese preferred label, else a plain label, else the IRI); of several,
    the least, which is the one their ORDER BY puts first."""
    found: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        language = getattr(row.label, "language", None)
        entry = found.setdefault(str(row.object), {"pref-zh": [], "plain": [], "pref-en": [], "plain-en": []})
        if str(row.property) == "pref":
            if language in ("zh", "en"):
                entry[f"pref-{language}"].append(str(row.label))
        else:
            entry["plain"].append(str(row.label))
            if language == "en":
                entry["plain-en"].append(str(row.label))
    return {iri: (min(entry["pref-zh"] or entry["plain"] or [iri]), min(entry["pref-en"], default=None),
                  min(entry["plain-en"], default=None))
            for iri, entry in found.items()}


def _query(store, text: str, values: dict | None = None):
    from search.questions.sparql import bind, with_prefixes

    return store.query(with_prefixes(bind(text, values or {})))


def facts_from_graph(store, only: set[str] | None = None) -> Iterator[_ReportFacts]:
    """The rows of every report of the graph ``store`` (of those in ``only``, when given), report
    by report."""
    places: dict[str, tuple[str, str, str]] = {}
    parents: dict[str, str] = {}
    for row in _query(store, _REBUILD_PLACES):
        places[str(row.j)] = (str(row.code), str(row.label), _local(row.level))
        if row.parent is not None:
            parents[str(row.j)] = str(row.parent)
    reports = sorted((str(row.report), int(row.year) if row.year is not None else None,
                      str(row.j) if row.j is not None else None) for row in _query(store, _REBUILD_REPORTS)
                     if only is None or str(row.report) in only)
    labels: dict[str, tuple[str, str | None, str | None]] = {}
    kinds = [(cls,) for cls in MENTION_CLASSES.values()]
    for at in range(0, len(reports), REBUILD_CHUNK):
        chunk = reports[at:at + REBUILD_CHUNK]
        statements: dict[str, list] = {report: [] for report, _, _ in chunk}
        nodes = {str(report_iri(report)): report for report, _, _ in chunk}
        for row in _query(store, _REBUILD_STATEMENTS, {("node",): [(URIRef(node),) for node in nodes],
                                                        ("kind",): kinds}):
            statements[nodes[str(row.node)]].append(row)
        new = sorted({str(row.object) for rows in statements.values() for row in rows} - set(labels))
        if new:
            labels.update(_labels_of(_query(store, _REBUILD_LABELS, {("object",): [(URIRef(i),) for i in new]})))
            labels.update((iri, (iri, None, None)) for iri in new if iri not in labels)
        for report, year, j in chunk:
            yield _facts_of(report, year, j, places, parents, statements[report], labels)


def _facts_of(report, year, j, places, parents, statements, labels) -> _ReportFacts:
    if j is None or j not in places:
        return _ReportFacts(ReportRow(report, year))
    chain, node = [], j
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    code, name, level = places[j]

    def first_of(wanted):
        # the nearest division of that level at or above the jurisdiction
        for step in chain:
            if step in places and places[step][2] == wanted:
                return places[step][0], places[step][1]
        return None

    areas = tuple(places[step][0] if step in places else _code_of(step) for step in reversed(chain))
    facts = _ReportFacts(ReportRow(report, year, code, name, level, first_of("province"), first_of("city"), areas))
    for row in statements:
        kind = _KIND_OF_CLASS[str(row.kind)]
        label, pref_en, plain_en = labels[str(row.object)]
        start, end = int(row.start), int(row.end)
        mention_start = int(row.mentionStart) if row.mentionStart is not None else start
        mention_end = int(row.mentionEnd) if row.mentionEnd is not None else end
        facts.mentions.append(MentionRow(kind, str(row.object), label,
                                         pref_en if kind in ("program", "initiative") else plain_en,
                                         _local(row.relation), mention_start, mention_end, start, end, str(row.exact)))
    # the order the graph returned them in is no order: keep the first of two alike as ingest does
    facts.mentions.sort(key=lambda m: (m.iri, m.relation, m.mention_start, m.mention_end, m.start))
    return facts


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def rebuild(datadir: DataDir, store=None) -> int:
    """Recompute the summaries of ``datadir`` from its graph (``store``, by default the data
    directory's, opened read-only); returns the number of reports. Reading the graph is much
    cheaper than extracting the texts again, and gives the same rows.

    Only the reports of the registry are summarised: a batch that stopped on an error leaves the
    graphs it had loaded without registering them, and they are not stored reports."""
    from ingest.stores import open_store

    own = store is None
    if own:
        store = open_store(datadir, read_only=True)
    try:
        with SummaryStore.open(datadir) as summaries:
            summaries.clear()
            count = 0
            for facts in facts_from_graph(store, set(datadir.registry())):
                summaries.add_facts(facts)
                count += 1
            summaries.commit()
        return count
    finally:
        if own:
            store.close()


@contextmanager
def kept_in_step(datadir: DataDir) -> Iterator[list[SummaryStore]]:
    """The summaries as sinks of one ingest or removal (``sinks=[index, *summaries]``): the store
    when it describes the stored reports, none when it does not (an ingest of part of the reports
    would not make it whole). After the block the summaries describe the stored reports: when the
    sink did not keep them so, they are rebuilt from the graph (once, after an upgrade that added
    them to an existing data directory)."""
    with SummaryStore.open(datadir) as summaries:
        current = summaries.is_current(datadir.registry())
        yield [summaries] if current else []
    with SummaryStore.open(datadir) as summaries:
        current = summaries.is_current(datadir.registry())
    if not current:
        rebuild(datadir)


def shared(context) -> SummaryStore | None:
    """The summaries of a running service (:class:`web.context.ServiceContext`), opened once per
    data version and shared by its request threads; None while they do not describe the stored
    reports."""
    return context.derived("summaries", lambda current: SummaryStore.open_current(current.datadir))
