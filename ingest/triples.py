"""Turn a :class:`~ingest.report.Report` into RDF.

Three graphs, each stored as its own named graph:

* :func:`report_nquads` — everything one report says (report, statements, evidence, figures) as
  N-Quads of ``report_graph_iri(report.id)``, so that re-ingesting or removing a report touches
  nothing else. Every IRI is derived from the report and the fact, never from a counter or a
  clock, so the same report always gives the same bytes. :func:`report_graph` gives the same
  triples as an rdflib graph.
* :func:`gazetteer_nquads` (or :func:`gazetteer_graph`) — the report's jurisdiction and its parents
  as the official table describes them, for the shared ``GAZETTEER_GRAPH`` (the same facts from
  many reports).
* :func:`vocabulary_graph` — ontology, law list and program scheme, in ``VOCABULARY_GRAPH``.

A report without a jurisdiction keeps its description but gets no statements or figures: a
statement is about a jurisdiction, and the shapes require one.

The report and gazetteer graphs are written as N-Triples terms (plain strings) rather than rdflib
terms: building an rdflib Graph of a report's ~1,100 triples and serialising it cost ~20 ms, twice
the extraction itself, and every ingest worker pays it on every report. The rdflib graphs are
parsed from those same lines, so there is one mapping from a report to RDF.

Provenance is stated once per report: the report node is ``prov:wasAttributedTo`` the extractor,
and ``fz:report`` is a subproperty of ``prov:wasDerivedFrom`` (see ``fzkg.ttl``), so each statement
and observation is derived from its report without a triple of its own saying so.
"""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, ORG, PROV, QB, RDF, RDFS, SKOS, XSD

from ingest.lawlist import LawList, load_laws
from ingest.report import Evidence, Jurisdiction, Place, Report
from ontology import (
    ELI, EXTRACTOR, FIGURE_DATASET, FZ, GAZETTEER_GRAPH, OA, SCHEMA, bind_prefixes, data_path,
    department_iri, document_iri, document_property, evidence_iri, initiative_iri, jurisdiction_iri,
    law_iri, law_property, level_iri, observation_iri, organization_iri, program_iri, relation_iri,
    report_graph_iri, report_iri, skolem_iri, stable_key, statement_iri,
)

ONTOLOGY_FILE = "fzkg.ttl"
PROGRAM_FILE = "programs.ttl"

_DATE_TYPES = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), XSD.date),
    (re.compile(r"\d{4}-\d{2}"), XSD.gYearMonth),
    (re.compile(r"\d{4}"), XSD.gYear),
)


def _date_datatype(text: str) -> URIRef | None:
    """The XSD date type whose lexical form ``text`` has, or None for free text."""
    for pattern, datatype in _DATE_TYPES:
        if pattern.fullmatch(text):
            return datatype
    return None


# -- N-Triples terms ---------------------------------------------------------------------------------

# What N-Triples forbids inside <…>: space, the delimiters, and every control character.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
# Inside "…" the quote, the backslash and the line breaks must be escaped; the other control
# characters may stand raw, but escaped they survive any tool that reads the file line by line.
_LITERAL_ESCAPES = {code: f"\\u{code:04X}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_LITERAL_ESCAPES.update({ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r"})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')


class _InvalidIRI(ValueError):
    """An IRI that N-Triples cannot hold; :func:`_iri_errors_name` adds the report it came from."""


def _iri(value: str) -> str:
    """``value`` as an N-Triples IRI term, refused if N-Triples cannot hold it (as rdflib refused it)."""
    if _IRI_FORBIDDEN.search(value):
        raise _InvalidIRI(f"{str(value)!r} is not a valid IRI")
    return f"<{value}>"


def _escaped(text: str) -> str:
    # most texts need no escape, and the search is much cheaper than translate
    return text.translate(_LITERAL_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _plain(text: str) -> str:
    """A literal of type xsd:string."""
    return f'"{_escaped(text)}"'


def _zh(text: str) -> str:
    """Chinese text."""
    return f'"{_escaped(text)}"@zh'


class _IRITerms:
    """A namespace whose attributes are N-Triples IRI terms: ``_fz.year`` is ``"<…ontology#year>"``.

    A term is made and checked on first use and then kept as a plain attribute, so the writer reads
    a string where ``FZ.year`` would build and validate a new URIRef on every call.
    """

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        term = _iri(self._namespace[name])  # item, not attribute: str methods shadow names like "title"
        setattr(self, name, term)
        return term


_dct, _fz, _oa, _org, _prov, _qb, _rdf, _rdfs, _skos, _xsd = (
    _IRITerms(namespace) for namespace in (DCTERMS, FZ, OA, ORG, PROV, QB, RDF, RDFS, SKOS, XSD))
_EXTRACTOR = _iri(EXTRACTOR)
_FIGURE_DATASET = _iri(FIGURE_DATASET)
_GAZETTEER_GRAPH = _iri(GAZETTEER_GRAPH)


def _typed(lexical: str, datatype: str) -> str:
    """A literal whose lexical form needs no escape (numbers, dates, booleans)."""
    return f'"{lexical}"^^{datatype}'


def _integer(value: int) -> str:
    return _typed(str(value), _xsd.integer)


def _offset(value: int) -> str:
    return _typed(str(value), _xsd.nonNegativeInteger)


def _decimal(value: int | float) -> str:
    # str() first so that 0.1 stays 0.1 instead of the float's binary expansion; format "f" as
    # rdflib writes a Decimal, since str(Decimal) writes 1E-7, which is no xsd:decimal
    return _typed(format(Decimal(str(value)), "f"), _xsd.decimal)


def _boolean(value: bool) -> str:
    return _typed("true" if value else "false", _xsd.boolean)


def _date(text: str) -> str:
    datatype = _date_datatype(text)
    return _plain(text) if datatype is None else _typed(text, _iri(datatype))


class _Triples:
    """N-Triples statements ("subject predicate object", without the closing dot), each held once:
    a graph is a set, and one evidence sentence backs every statement read from it."""

    def __init__(self):
        self.lines: set[str] = set()

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.lines.add(f"{subject} {predicate} {obj}")

    def nquads(self, graph: str) -> bytes:
        """The statements as N-Quads of the named graph ``graph`` (a serialized IRI), sorted so that
        the same triples always give the same bytes."""
        tail = f" {graph} .\n"
        return "".join([line + tail for line in sorted(self.lines)]).encode("utf-8")

    def graph(self) -> Graph:
        graph = _new_graph()
        graph.parse(data="".join([line + " .\n" for line in self.lines]), format="nt")
        return graph


@contextmanager
def _iri_errors_name(report: Report) -> Iterator[None]:
    """Name the report in the error when one of its IRIs cannot be written."""
    try:
        yield
    except _InvalidIRI as error:
        raise ValueError(f"{error} (from {report.source})") from error


def _new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    return graph


# -- the report graph --------------------------------------------------------------------------------

class _ReportWriter:
    """Writes one report's triples; keeps the terms that several facts share."""

    def __init__(self, report: Report, laws: LawList):
        self.report = report
        self.laws = laws
        self.triples = _Triples()
        # Report.id hashes the whole text on every access; a report has hundreds of IRIs
        self.report_id = report.id
        self.subject = _iri(report_iri(self.report_id))
        jurisdiction = report.jurisdiction
        self.jurisdiction = _iri(jurisdiction_iri(jurisdiction.code)) if jurisdiction else None
        self.year = _integer(report.year) if report.year is not None else None
        # (start, end, text) → evidence node: one sentence often backs several statements
        self.evidence_nodes: dict[tuple[int, int, str], str] = {}

    def add(self, s: str, p: str, o: str) -> None:
        self.triples.add(s, p, o)

    def evidence(self, evidence: Evidence) -> str:
        key = (evidence.start, evidence.end, evidence.text)
        node = self.evidence_nodes.get(key)
        if node is None:
            node = self.evidence_nodes[key] = self.describe_evidence(evidence)
        return node

    def describe_evidence(self, evidence: Evidence) -> str:
        original = self.report.original
        if not 0 <= evidence.start < evidence.end <= len(original):
            raise ValueError(f"evidence span {evidence.start}-{evidence.end} lies outside "
                             f"{self.report.source} ({len(original)} characters)")
        if original[evidence.start:evidence.end] != evidence.text:
            raise ValueError(f"evidence text at {evidence.start}-{evidence.end} of {self.report.source} "
                             "differs from the report's original text")
        node = _iri(evidence_iri(self.report_id, evidence.start, evidence.end))
        self.add(node, _rdf.type, _fz.Evidence)
        self.add(node, _oa.start, _offset(evidence.start))
        self.add(node, _oa.end, _offset(evidence.end))
        self.add(node, _oa.exact, _plain(evidence.text))
        self.add(node, _fz.inReport, self.subject)
        return node

    def describe_report(self) -> None:
        report, node = self.report, self.subject
        self.add(node, _rdf.type, _fz.Report)
        self.add(node, _dct.identifier, _plain(self.report_id))
        self.add(node, _dct.source, _plain(report.source))
        # once here instead of on every statement: they reach the extractor through fz:report
        self.add(node, _prov.wasAttributedTo, _EXTRACTOR)
        if report.title:
            self.add(node, _dct.title, _zh(report.title))
        if self.year is not None:
            self.add(node, _fz.year, self.year)
        if report.published:
            self.add(node, _dct.issued, _date(report.published))
        for note in report.notes:
            self.add(node, _fz.extractionNote, _plain(note))
        if report.jurisdiction:
            self.describe_jurisdiction(report.jurisdiction)
        if report.publisher:
            self.describe_publisher()

    def describe_jurisdiction(self, jurisdiction: Jurisdiction) -> None:
        self.add(self.subject, _dct.spatial, self.jurisdiction)
        if jurisdiction.basis:
            self.add(self.subject, _fz.jurisdictionBasis, _plain(jurisdiction.basis))
        if jurisdiction.evidence:
            self.add(self.subject, _fz.jurisdictionEvidence, self.evidence(jurisdiction.evidence))
        # the alternatives are this report's doubt, not a fact of the gazetteer
        for place in jurisdiction.alternatives:
            self.add(self.jurisdiction, _fz.ambiguousWith, _iri(jurisdiction_iri(place.code)))

    def describe_publisher(self) -> None:
        publisher = self.report.publisher
        if publisher.kind == "government" and self.jurisdiction is not None:
            # a jurisdiction stands for its people's government
            node = self.jurisdiction
        else:
            code = self.report.jurisdiction.code if self.report.jurisdiction else None
            node = _iri(department_iri(code, publisher.name) if code else organization_iri(publisher.name))
            self.add(node, _rdf.type, _org.Organization)
            self.add(node, _rdfs.label, _zh(publisher.name))
            if self.jurisdiction is not None:
                link = _org.subOrganizationOf if publisher.kind == "department" else _org.linkedTo
                self.add(node, link, self.jurisdiction)
        self.add(self.subject, _dct.publisher, node)
        if publisher.evidence:
            self.add(self.subject, _fz.publisherEvidence, self.evidence(publisher.evidence))

    def mention_span(self, node: str, start: int, end: int) -> None:
        """Where the mention itself stands (inside its evidence sentence), for highlighting."""
        self.add(node, _fz.mentionStart, _offset(start))
        self.add(node, _fz.mentionEnd, _offset(end))

    def statement(self, cls: str, kind: str, object_key: str, obj: str, relation: str,
                  evidence: Evidence, span: tuple[int, int], written: str | None = None,
                  canonical: str | None = None) -> str:
        """One statement per mention: two mentions of an act in one sentence are two statements."""
        evidence_node = self.evidence(evidence)
        if not evidence.start <= span[0] < span[1] <= evidence.end:
            raise ValueError(f"mention {span} of {self.report.source} lies outside its sentence "
                             f"{evidence.start}-{evidence.end}")
        node = _iri(statement_iri(self.report_id, kind, object_key, span[0]))
        self.add(node, _rdf.type, cls)
        self.add(node, _fz.jurisdiction, self.jurisdiction)
        self.add(node, _fz.object, obj)
        self.add(node, _fz.relation, _iri(relation_iri(relation)))
        if self.year is not None:
            self.add(node, _fz.year, self.year)
        self.add(node, _fz.report, self.subject)
        self.add(node, _fz.evidence, evidence_node)
        if written and written != canonical:
            self.add(node, _fz.writtenAs, _zh(written))
        self.mention_span(node, *span)
        return node

    def law_mentions(self) -> None:
        for mention in self.report.laws:
            entry = self.laws.by_key(mention.key) if mention.listed else None
            if entry is not None:
                # listed acts are described once, in the vocabulary graph
                key, law = entry.key, _iri(law_iri(entry.key))
            else:
                key = stable_key(mention.title)
                law = _iri(law_iri(key))
                self.add(law, _rdf.type, _fz.Law)
                self.add(law, _rdfs.label, _zh(mention.title))
                self.add(law, _fz.rank, _plain(mention.rank or "unknown"))
            self.statement(_fz.LawMention, f"law/{mention.relation}", key, law, mention.relation,
                           mention.evidence, (mention.start, mention.end), mention.written, mention.title)
            self.add(self.jurisdiction, _iri(law_property(mention.relation)), law)

    def document_mentions(self) -> None:
        for mention in self.report.documents:
            document = _iri(document_iri(mention.title))
            title = _zh(mention.title)
            self.add(document, _rdf.type, _fz.PolicyDocument)
            self.add(document, _dct.title, title)
            self.add(document, _rdfs.label, title)
            self.statement(_fz.DocumentMention, f"document/{mention.relation}", mention.title, document,
                           mention.relation, mention.evidence, (mention.start, mention.end))
            self.add(self.jurisdiction, _iri(document_property(mention.relation)), document)

    def program_mentions(self) -> None:
        for mention in self.report.programs:
            # the program itself is described by the program scheme in the vocabulary graph
            program = _iri(program_iri(mention.key))
            self.statement(_fz.ProgramMention, "program", mention.key, program, "ran",
                           mention.evidence, (mention.start, mention.end), mention.written, mention.name)
            self.add(self.jurisdiction, _fz.ranProgram, program)

    def initiative_mentions(self) -> None:
        for mention in self.report.initiatives:
            initiative = _iri(initiative_iri(mention.name))
            self.add(initiative, _rdf.type, _fz.Initiative)
            self.add(initiative, _skos.prefLabel, _zh(mention.name))
            self.add(initiative, _skos.inScheme, _fz.InitiativeScheme)
            self.statement(_fz.InitiativeMention, "initiative", mention.name, initiative, "ran",
                           mention.evidence, (mention.start, mention.end))
            self.add(self.jurisdiction, _fz.ranInitiative, initiative)

    def figures(self) -> None:
        period = _typed(f"{self.report.year:04d}", _xsd.gYear) if self.report.year is not None else None
        for figure in self.report.figures:
            if isinstance(figure.value, float) and not math.isfinite(figure.value):
                raise ValueError(f"figure {figure.what!r} of {self.report.source} has no finite value")
            start, end = (figure.start, figure.end) if figure.end else (figure.evidence.start, figure.evidence.end)
            node = _iri(observation_iri(self.report_id, start, end, figure.what))
            self.add(node, _rdf.type, _qb.Observation)
            self.add(node, _qb.dataSet, _FIGURE_DATASET)
            self.add(node, _fz.measureName, _zh(figure.what))
            self.add(node, _fz.value, _decimal(figure.value))
            self.add(node, _fz.unit, _plain(figure.unit))
            self.add(node, _fz.approximate, _boolean(bool(figure.approx)))
            self.add(node, _fz.refArea, self.jurisdiction)
            if period is not None:
                self.add(node, _fz.refPeriod, period)
            self.add(node, _fz.evidence, self.evidence(figure.evidence))
            if figure.end:
                self.mention_span(node, figure.start, figure.end)
            self.add(node, _fz.report, self.subject)


def _report_triples(report: Report, laws: LawList | None) -> _Triples:
    writer = _ReportWriter(report, laws if laws is not None else load_laws())
    writer.describe_report()
    if writer.jurisdiction is not None:
        writer.law_mentions()
        writer.document_mentions()
        writer.program_mentions()
        writer.initiative_mentions()
        writer.figures()
    return writer.triples


def report_nquads(report: Report, laws: LawList | None = None) -> bytes:
    """All triples of one report as N-Quads of its named graph ``report_graph_iri(report.id)``,
    sorted (the same report gives the same bytes), ready for :meth:`GraphStore.load_nquads`."""
    with _iri_errors_name(report):
        return _report_triples(report, laws).nquads(_iri(report_graph_iri(report.id)))


def report_graph(report: Report, laws: LawList | None = None) -> Graph:
    """All triples of one report, for the named graph ``report_graph_iri(report.id)``."""
    with _iri_errors_name(report):
        return _report_triples(report, laws).graph()


# -- the gazetteer -----------------------------------------------------------------------------------

def _describe_place(triples: _Triples, place: Place, parent_code: str | None) -> None:
    node = _iri(jurisdiction_iri(place.code))
    triples.add(node, _rdf.type, _fz.Jurisdiction)
    triples.add(node, _rdfs.label, _zh(place.name))
    triples.add(node, _skos.notation, _plain(place.code))
    triples.add(node, _fz.level, _iri(level_iri(place.level)))
    if parent_code:
        triples.add(node, _org.subOrganizationOf, _iri(jurisdiction_iri(parent_code)))


def _gazetteer_triples(report: Report) -> _Triples:
    triples = _Triples()
    jurisdiction = report.jurisdiction
    if jurisdiction is None:
        return triples
    above: str | None = None
    for place in jurisdiction.parents:  # highest level first
        _describe_place(triples, place, place.parent_code or above)
        above = place.code
    _describe_place(triples, Place(jurisdiction.name, jurisdiction.code, jurisdiction.level), above)
    for place in jurisdiction.alternatives:
        _describe_place(triples, place, place.parent_code)
    return triples


def gazetteer_nquads(report: Report) -> bytes:
    """The report's jurisdiction, its parents and its alternatives as the official table has them,
    as N-Quads of ``GAZETTEER_GRAPH`` (empty for a report without a jurisdiction)."""
    with _iri_errors_name(report):
        return _gazetteer_triples(report).nquads(_GAZETTEER_GRAPH)


def gazetteer_graph(report: Report) -> Graph:
    """The triples of :func:`gazetteer_nquads` as an rdflib graph."""
    with _iri_errors_name(report):
        return _gazetteer_triples(report).graph()


# -- the vocabulary ----------------------------------------------------------------------------------

def _zh_literal(text: str) -> Literal:
    return Literal(text, lang="zh")


def _date_literal(text: str) -> Literal:
    return Literal(text, datatype=_date_datatype(text))


def law_list_graph(laws: LawList | None = None) -> Graph:
    """The law list as ``fz:Law`` resources."""
    graph = _new_graph()
    for entry in laws if laws is not None else load_laws():
        law = law_iri(entry.key)
        graph.add((law, RDF.type, FZ.Law))
        graph.add((law, RDFS.label, _zh_literal(entry.title)))
        graph.add((law, DCTERMS.identifier, Literal(entry.key)))
        graph.add((law, FZ.rank, Literal(entry.rank)))
        if entry.status:
            graph.add((law, FZ.status, Literal(entry.status)))
        for short in entry.shorts:
            graph.add((law, SCHEMA.alternateName, _zh_literal(short)))
        if entry.published:
            graph.add((law, ELI.date_publication, _date_literal(entry.published)))
        for issuer in filter(None, entry.issuer.split("、")):
            body = organization_iri(issuer)
            graph.add((law, ELI.passed_by, body))
            graph.add((body, RDF.type, ORG.Organization))
            graph.add((body, RDFS.label, _zh_literal(issuer)))
    return graph


def _skolemized(graph: Graph, scope: str) -> Graph:
    """``graph`` with every blank node replaced by an IRI that depends only on the graph's content.

    A store gives each loaded blank node a fresh identity, so a graph with blank nodes would
    differ after every reload; canonical labels make the replacement IRIs the same every time.
    """
    def skolem(term):
        return skolem_iri(scope, str(term)) if isinstance(term, BNode) else term

    result = _new_graph()
    for triple in to_canonical_graph(graph):
        result.add(tuple(skolem(term) for term in triple))
    return result


def vocabulary_graph(laws: LawList | None = None) -> Graph:
    """Ontology, law list and (when the file exists) the program scheme, for ``VOCABULARY_GRAPH``.

    Blank nodes of the files (the cube's components, lists) come back as stable skolem IRIs.
    """
    graph = _new_graph()
    graph.parse(data_path(ONTOLOGY_FILE), format="turtle")
    programs = data_path(PROGRAM_FILE)
    if programs.exists():
        graph.parse(programs, format="turtle")
    graph += law_list_graph(laws)
    return _skolemized(graph, "vocabulary")
