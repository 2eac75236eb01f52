"""Turn a :class:`~ingest.report.Report` into RDF.

Three graphs, each stored as its own named graph:

* :func:`report_graph` — everything one report says (report, statements, evidence, figures),
  stored in ``report_graph_iri(report.id)`` so that re-ingesting or removing a report touches
  nothing else. Every IRI is derived from the report and the fact, never from a counter or a
  clock, so the same report always gives the same triples.
* :func:`gazetteer_graph` — the report's jurisdiction and its parents as the official table
  describes them, added to the shared ``GAZETTEER_GRAPH`` (the same facts from many reports).
* :func:`vocabulary_graph` — ontology, law list and program scheme, in ``VOCABULARY_GRAPH``.

A report without a jurisdiction keeps its description but gets no statements or figures: a
statement is about a jurisdiction, and the shapes require one.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, ORG, PROV, QB, RDF, RDFS, SKOS, XSD

from ingest.lawlist import LawList, load_laws
from ingest.report import Evidence, Jurisdiction, Place, Report
from ontology import (
    ELI, EXTRACTOR, FIGURE_DATASET, FZ, OA, SCHEMA, bind_prefixes, data_path, department_iri,
    document_iri, document_property, evidence_iri, initiative_iri, jurisdiction_iri, law_iri,
    law_property, level_iri, observation_iri, organization_iri, program_iri, relation_iri,
    report_iri, skolem_iri, stable_key, statement_iri,
)

ONTOLOGY_FILE = "fzkg.ttl"
PROGRAM_FILE = "programs.ttl"

_DATE_TYPES = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), XSD.date),
    (re.compile(r"\d{4}-\d{2}"), XSD.gYearMonth),
    (re.compile(r"\d{4}"), XSD.gYear),
)


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _date(text: str) -> Literal:
    for pattern, datatype in _DATE_TYPES:
        if pattern.fullmatch(text):
            return Literal(text, datatype=datatype)
    return Literal(text)


def _new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    return graph


class _ReportWriter:
    """Writes one report's triples; keeps the IRIs that several facts share."""

    def __init__(self, report: Report, laws: LawList):
        self.report = report
        self.laws = laws
        self.graph = _new_graph()
        self.subject = report_iri(report.id)
        jurisdiction = report.jurisdiction
        self.jurisdiction = jurisdiction_iri(jurisdiction.code) if jurisdiction else None

    def add(self, s, p, o) -> None:
        self.graph.add((s, p, o))

    def evidence(self, evidence: Evidence) -> URIRef:
        original = self.report.original
        if not 0 <= evidence.start < evidence.end <= len(original):
            raise ValueError(f"evidence span {evidence.start}-{evidence.end} lies outside "
                             f"{self.report.source} ({len(original)} characters)")
        if original[evidence.start:evidence.end] != evidence.text:
            raise ValueError(f"evidence text at {evidence.start}-{evidence.end} of {self.report.source} "
                             "differs from the report's original text")
        node = evidence_iri(self.report.id, evidence.start, evidence.end)
        self.add(node, RDF.type, FZ.Evidence)
        self.add(node, OA.start, Literal(evidence.start, datatype=XSD.nonNegativeInteger))
        self.add(node, OA.end, Literal(evidence.end, datatype=XSD.nonNegativeInteger))
        self.add(node, OA.exact, Literal(evidence.text))
        self.add(node, FZ.inReport, self.subject)
        return node

    def describe_report(self) -> None:
        report, node = self.report, self.subject
        self.add(node, RDF.type, FZ.Report)
        self.add(node, DCTERMS.identifier, Literal(report.id))
        self.add(node, DCTERMS.source, Literal(report.source))
        if report.title:
            self.add(node, DCTERMS.title, _zh(report.title))
        if report.year is not None:
            self.add(node, FZ.year, Literal(report.year, datatype=XSD.integer))
        if report.published:
            self.add(node, DCTERMS.issued, _date(report.published))
        for note in report.notes:
            self.add(node, FZ.extractionNote, Literal(note))
        if report.jurisdiction:
            self.describe_jurisdiction(report.jurisdiction)
        if report.publisher:
            self.describe_publisher()

    def describe_jurisdiction(self, jurisdiction: Jurisdiction) -> None:
        self.add(self.subject, DCTERMS.spatial, self.jurisdiction)
        if jurisdiction.basis:
            self.add(self.subject, FZ.jurisdictionBasis, Literal(jurisdiction.basis))
        if jurisdiction.evidence:
            self.add(self.subject, FZ.jurisdictionEvidence, self.evidence(jurisdiction.evidence))
        # the alternatives are this report's doubt, not a fact of the gazetteer
        for place in jurisdiction.alternatives:
            self.add(self.jurisdiction, FZ.ambiguousWith, jurisdiction_iri(place.code))

    def describe_publisher(self) -> None:
        publisher = self.report.publisher
        if publisher.kind == "government" and self.jurisdiction is not None:
            # a jurisdiction stands for its people's government
            node = self.jurisdiction
        else:
            code = self.report.jurisdiction.code if self.report.jurisdiction else None
            node = department_iri(code, publisher.name) if code else organization_iri(publisher.name)
            self.add(node, RDF.type, ORG.Organization)
            self.add(node, RDFS.label, _zh(publisher.name))
            if self.jurisdiction is not None:
                link = ORG.subOrganizationOf if publisher.kind == "department" else ORG.linkedTo
                self.add(node, link, self.jurisdiction)
        self.add(self.subject, DCTERMS.publisher, node)
        if publisher.evidence:
            self.add(self.subject, FZ.publisherEvidence, self.evidence(publisher.evidence))

    def mention_span(self, node: URIRef, start: int, end: int) -> None:
        """Where the mention itself stands (inside its evidence sentence), for highlighting."""
        self.add(node, FZ.mentionStart, Literal(start, datatype=XSD.nonNegativeInteger))
        self.add(node, FZ.mentionEnd, Literal(end, datatype=XSD.nonNegativeInteger))

    def statement(self, cls: URIRef, kind: str, object_key: str, obj: URIRef, relation: str,
                  evidence: Evidence, span: tuple[int, int], written: str | None = None,
                  canonical: str | None = None) -> URIRef:
        """One statement per mention: two mentions of an act in one sentence are two statements."""
        evidence_node = self.evidence(evidence)
        if not evidence.start <= span[0] < span[1] <= evidence.end:
            raise ValueError(f"mention {span} of {self.report.source} lies outside its sentence "
                             f"{evidence.start}-{evidence.end}")
        node = statement_iri(self.report.id, kind, object_key, span[0])
        self.add(node, RDF.type, cls)
        self.add(node, FZ.jurisdiction, self.jurisdiction)
        self.add(node, FZ.object, obj)
        self.add(node, FZ.relation, relation_iri(relation))
        if self.report.year is not None:
            self.add(node, FZ.year, Literal(self.report.year, datatype=XSD.integer))
        self.add(node, FZ.report, self.subject)
        self.add(node, FZ.evidence, evidence_node)
        self.add(node, PROV.wasDerivedFrom, self.subject)
        self.add(node, PROV.wasAttributedTo, EXTRACTOR)
        if written and written != canonical:
            self.add(node, FZ.writtenAs, _zh(written))
        self.mention_span(node, *span)
        return node

    def law_mentions(self) -> None:
        for mention in self.report.laws:
            entry = self.laws.by_key(mention.key) if mention.listed else None
            if entry is not None:
                # listed acts are described once, in the vocabulary graph
                key, law = entry.key, law_iri(entry.key)
            else:
                key = stable_key(mention.title)
                law = law_iri(key)
                self.add(law, RDF.type, FZ.Law)
                self.add(law, RDFS.label, _zh(mention.title))
                self.add(law, FZ.rank, Literal(mention.rank or "unknown"))
            self.statement(FZ.LawMention, f"law/{mention.relation}", key, law, mention.relation,
                           mention.evidence, (mention.start, mention.end), mention.written, mention.title)
            self.add(self.jurisdiction, law_property(mention.relation), law)

    def document_mentions(self) -> None:
        for mention in self.report.documents:
            document = document_iri(mention.title)
            self.add(document, RDF.type, FZ.PolicyDocument)
            self.add(document, DCTERMS.title, _zh(mention.title))
            self.add(document, RDFS.label, _zh(mention.title))
            self.statement(FZ.DocumentMention, f"document/{mention.relation}", mention.title, document,
                           mention.relation, mention.evidence, (mention.start, mention.end))
            self.add(self.jurisdiction, document_property(mention.relation), document)

    def program_mentions(self) -> None:
        for mention in self.report.programs:
            # the program itself is described by the program scheme in the vocabulary graph
            program = program_iri(mention.key)
            self.statement(FZ.ProgramMention, "program", mention.key, program, "ran",
                           mention.evidence, (mention.start, mention.end), mention.written, mention.name)
            self.add(self.jurisdiction, FZ.ranProgram, program)

    def initiative_mentions(self) -> None:
        for mention in self.report.initiatives:
            initiative = initiative_iri(mention.name)
            self.add(initiative, RDF.type, FZ.Initiative)
            self.add(initiative, SKOS.prefLabel, _zh(mention.name))
            self.add(initiative, SKOS.inScheme, FZ.InitiativeScheme)
            self.statement(FZ.InitiativeMention, "initiative", mention.name, initiative, "ran",
                           mention.evidence, (mention.start, mention.end))
            self.add(self.jurisdiction, FZ.ranInitiative, initiative)

    def figures(self) -> None:
        for figure in self.report.figures:
            if isinstance(figure.value, float) and not math.isfinite(figure.value):
                raise ValueError(f"figure {figure.what!r} of {self.report.source} has no finite value")
            start, end = (figure.start, figure.end) if figure.end else (figure.evidence.start, figure.evidence.end)
            node = observation_iri(self.report.id, start, end, figure.what)
            self.add(node, RDF.type, QB.Observation)
            self.add(node, QB.dataSet, FIGURE_DATASET)
            self.add(node, FZ.measureName, _zh(figure.what))
            # str() first so that 0.1 stays 0.1 instead of the float's binary expansion
            self.add(node, FZ.value, Literal(Decimal(str(figure.value)), datatype=XSD.decimal))
            self.add(node, FZ.unit, Literal(figure.unit))
            self.add(node, FZ.approximate, Literal(bool(figure.approx)))
            self.add(node, FZ.refArea, self.jurisdiction)
            if self.report.year is not None:
                self.add(node, FZ.refPeriod, Literal(f"{self.report.year:04d}", datatype=XSD.gYear))
            self.add(node, FZ.evidence, self.evidence(figure.evidence))
            if figure.end:
                self.mention_span(node, figure.start, figure.end)
            self.add(node, FZ.report, self.subject)
            self.add(node, PROV.wasDerivedFrom, self.subject)
            self.add(node, PROV.wasAttributedTo, EXTRACTOR)


def report_graph(report: Report, laws: LawList | None = None) -> Graph:
    """All triples of one report, for the named graph ``report_graph_iri(report.id)``."""
    writer = _ReportWriter(report, laws if laws is not None else load_laws())
    writer.describe_report()
    if writer.jurisdiction is not None:
        writer.law_mentions()
        writer.document_mentions()
        writer.program_mentions()
        writer.initiative_mentions()
        writer.figures()
    return writer.graph


def _describe_place(graph: Graph, place: Place, parent_code: str | None) -> None:
    node = jurisdiction_iri(place.code)
    graph.add((node, RDF.type, FZ.Jurisdiction))
    graph.add((node, RDFS.label, _zh(place.name)))
    graph.add((node, SKOS.notation, Literal(place.code)))
    graph.add((node, FZ.level, level_iri(place.level)))
    if parent_code:
        graph.add((node, ORG.subOrganizationOf, jurisdiction_iri(parent_code)))


def gazetteer_graph(report: Report) -> Graph:
    """The report's jurisdiction, its parents and its alternatives as the official table has them."""
    graph = _new_graph()
    jurisdiction = report.jurisdiction
    if jurisdiction is None:
        return graph
    above: str | None = None
    for place in jurisdiction.parents:  # highest level first
        _describe_place(graph, place, place.parent_code or above)
        above = place.code
    _describe_place(graph, Place(jurisdiction.name, jurisdiction.code, jurisdiction.level), above)
    for place in jurisdiction.alternatives:
        _describe_place(graph, place, place.parent_code)
    return graph


def law_list_graph(laws: LawList | None = None) -> Graph:
    """The law list as ``fz:Law`` resources."""
    graph = _new_graph()
    for entry in laws if laws is not None else load_laws():
        law = law_iri(entry.key)
        graph.add((law, RDF.type, FZ.Law))
        graph.add((law, RDFS.label, _zh(entry.title)))
        graph.add((law, DCTERMS.identifier, Literal(entry.key)))
        graph.add((law, FZ.rank, Literal(entry.rank)))
        if entry.status:
            graph.add((law, FZ.status, Literal(entry.status)))
        for short in entry.shorts:
            graph.add((law, SCHEMA.alternateName, _zh(short)))
        if entry.published:
            graph.add((law, ELI.date_publication, _date(entry.published)))
        for issuer in filter(None, entry.issuer.split("、")):
            body = organization_iri(issuer)
            graph.add((law, ELI.passed_by, body))
            graph.add((body, RDF.type, ORG.Organization))
            graph.add((body, RDFS.label, _zh(issuer)))
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
