"""The N-Quads a report becomes (ingest.triples.report_nquads, gazetteer_nquads), read back by rdflib
and by Oxigraph: for every corpus report, and for texts that are hard to escape."""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal
from rdflib import namespace as rdf_namespace  # not XSD itself: pytest probes module attributes and XSD warns
from rdflib.namespace import DCTERMS, ORG, PROV, QB, RDF, RDFS, SKOS

from ingest.pipeline import extract_file
from ingest.report import Evidence, Figure, InitiativeMention, Jurisdiction, Place, Publisher, Report
from ingest.triples import gazetteer_graph, gazetteer_nquads, report_graph, report_nquads
from ontology import (
    EXTRACTOR, FIGURE_DATASET, FZ, GAZETTEER_GRAPH, OA, department_iri, evidence_iri, initiative_iri,
    jurisdiction_iri, observation_iri, report_graph_iri, report_iri, statement_iri,
)

# rdflib's own N-Quads parser uses its deprecated Dataset.default_context
pytestmark = pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning")

CORPUS_FILES = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.txt"))

INTEGER = rdf_namespace.XSD.integer
OFFSET = rdf_namespace.XSD.nonNegativeInteger
DECIMAL = rdf_namespace.XSD.decimal
G_YEAR = rdf_namespace.XSD.gYear
G_YEAR_MONTH = rdf_namespace.XSD.gYearMonth
# the lexical space of xsd:decimal: no exponent, at most one point
DECIMAL_LEXICAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def read_back(data: bytes, graph_iri) -> set:
    """The triples of N-Quads ``data`` as rdflib reads them; every quad must lie in ``graph_iri``."""
    dataset = Dataset()
    dataset.parse(data=data, format="nquads")
    quads = list(dataset.quads())
    assert {graph for *_, graph in quads} <= {graph_iri}
    return {(s, p, o) for s, p, o, _ in quads}


def oxigraph_store(data: bytes) -> ox.Store:
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    return store


def assert_one_line_per_triple(data: bytes, triples: set) -> None:
    lines = data.splitlines()
    assert len(lines) == len(set(lines)) == len(triples)
    assert len(oxigraph_store(data)) == len(triples)


# -- the corpus ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=CORPUS_FILES, ids=lambda path: path.name[:12])
def corpus_report(request) -> Report:
    return extract_file(request.param)


def value_of(triples: set, subject, predicate):
    values = [o for s, p, o in triples if s == subject and p == predicate]
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def test_corpus_report_reads_back_as_its_graph(corpus_report):
    data = report_nquads(corpus_report)
    triples = read_back(data, report_graph_iri(corpus_report.id))
    assert_one_line_per_triple(data, triples)
    assert triples == set(report_graph(corpus_report))


def test_corpus_report_says_what_the_report_says(corpus_report):
    report = corpus_report
    triples = read_back(report_nquads(report), report_graph_iri(report.id))
    subject = report_iri(report.id)
    assert value_of(triples, subject, DCTERMS.identifier) == Literal(report.id)
    assert value_of(triples, subject, DCTERMS.source) == Literal(report.source)
    assert value_of(triples, subject, PROV.wasAttributedTo) == EXTRACTOR
    if report.title:
        assert value_of(triples, subject, DCTERMS.title) == Literal(report.title, lang="zh")
    if report.year is not None:
        assert value_of(triples, subject, FZ.year) == Literal(report.year, datatype=INTEGER)
    # provenance is the report's, through fz:report; no fact repeats it
    assert not [t for t in triples if t[1] == PROV.wasDerivedFrom]
    assert [t for t in triples if t[1] == PROV.wasAttributedTo] == [(subject, PROV.wasAttributedTo, EXTRACTOR)]
    for evidence in {t[0] for t in triples if t[1:] == (RDF.type, FZ.Evidence)}:
        start = value_of(triples, evidence, OA.start).toPython()
        end = value_of(triples, evidence, OA.end).toPython()
        assert value_of(triples, evidence, OA.exact) == Literal(report.original[start:end])
    statements = {t[0] for t in triples if t[1] == FZ.jurisdiction}
    mentions = [*report.laws, *report.documents, *report.programs, *report.initiatives]
    assert len(statements) == len({(type(m), getattr(m, "relation", ""), m.start) for m in mentions})
    for statement in statements:
        assert value_of(triples, statement, FZ.report) == subject
    for figure in report.figures:
        start, end = (figure.start, figure.end) if figure.end else (figure.evidence.start, figure.evidence.end)
        observation = observation_iri(report.id, start, end, figure.what)
        value = value_of(triples, observation, FZ.value)
        assert value.datatype == DECIMAL and value.toPython() == Decimal(str(figure.value))
        assert value_of(triples, observation, FZ.approximate).toPython() is bool(figure.approx)
        assert value_of(triples, observation, FZ.measureName) == Literal(figure.what, lang="zh")
        assert value_of(triples, observation, FZ.report) == subject


def test_corpus_gazetteer_reads_back_as_its_graph(corpus_report):
    data = gazetteer_nquads(corpus_report)
    triples = read_back(data, GAZETTEER_GRAPH)
    assert_one_line_per_triple(data, triples)
    assert triples == set(gazetteer_graph(corpus_report))
    jurisdiction = corpus_report.jurisdiction
    for place in [*jurisdiction.parents, Place(jurisdiction.name, jurisdiction.code, jurisdiction.level)]:
        node = jurisdiction_iri(place.code)
        assert value_of(triples, node, RDFS.label) == Literal(place.name, lang="zh")
        assert value_of(triples, node, SKOS.notation) == Literal(place.code)
        assert value_of(triples, node, FZ.level) == FZ[place.level]


def test_the_same_report_gives_the_same_bytes(corpus_report):
    again = extract_file(corpus_report.source)
    assert report_nquads(corpus_report) == report_nquads(again) == report_nquads(corpus_report)
    assert gazetteer_nquads(corpus_report) == gazetteer_nquads(again)


# -- texts that are hard to escape ------------------------------------------------------------------------

HARD = '"法治\\同行"\t𠀀\n'  # quote, backslash, tab, an astral character, a line break
ORIGINAL = (
    '甘谷县"法治\\政府"\n建设\t𠀀报告\n'
    '2024年甘谷县法治政府建设工作报告。\n'
    '开展"法治\\同行"\t活动𠀀，\r\n继续推进。\n'
    '服务率0.1，误差1e-05，新建100个，增长2.50倍。\n'
)
FIGURE_VALUES = (("服务率", 0.1, "0.1"), ("误差", 1e-05, "1e-05"), ('新建"站点"\\' + HARD, 100, "100"),
                 ("增长", 2.50, "2.50"))


def sentence(text: str) -> Evidence:
    start = ORIGINAL.index(text)
    return Evidence(text, start, start + len(text))


def span(needle: str, within: Evidence) -> tuple[int, int]:
    start = ORIGINAL.index(needle, within.start)
    return start, start + len(needle)


def hard_report() -> Report:
    title_line = sentence('2024年甘谷县法治政府建设工作报告。')
    initiative = sentence('开展"法治\\同行"\t活动𠀀，\r\n继续推进。')
    figures = sentence('服务率0.1，误差1e-05，新建100个，增长2.50倍。')
    return Report(
        source="/tmp/报告 \"一\"\\.txt", original=ORIGINAL, text=ORIGINAL, year=2024, published="2024-03",
        title='甘谷县"法治\\政府"\n建设\t𠀀报告', notes=['年份"不明"\\\x01\x7f\r'],
        jurisdiction=Jurisdiction("甘谷县", "county", "620523",
                                  parents=[Place("甘肃省", "620000", "province"),
                                           Place("天水市", "620500", "city", "620000")],
                                  basis="title", evidence=title_line),
        publisher=Publisher('甘谷县"司法局"', "department"),
        initiatives=[InitiativeMention(HARD, initiative, *span('"法治\\同行"', initiative))],
        figures=[Figure(what, value, "个", what == "误差", figures, *span(written, figures))
                 for what, value, written in FIGURE_VALUES],
    )


def evidence_triples(report_id: str, evidence: Evidence) -> set:
    node = evidence_iri(report_id, evidence.start, evidence.end)
    return {(node, RDF.type, FZ.Evidence), (node, OA.start, Literal(evidence.start, datatype=OFFSET)),
            (node, OA.end, Literal(evidence.end, datatype=OFFSET)), (node, OA.exact, Literal(evidence.text)),
            (node, FZ.inReport, report_iri(report_id))}


def description_triples(report: Report) -> set:
    subject = report_iri(report.id)
    return {
        (subject, RDF.type, FZ.Report), (subject, DCTERMS.identifier, Literal(report.id)),
        (subject, DCTERMS.source, Literal(report.source)), (subject, PROV.wasAttributedTo, EXTRACTOR),
        (subject, DCTERMS.title, Literal(report.title, lang="zh")),
        (subject, FZ.year, Literal(2024, datatype=INTEGER)),
        (subject, DCTERMS.issued, Literal("2024-03", datatype=G_YEAR_MONTH)),
        (subject, FZ.extractionNote, Literal(report.notes[0])),
    }


def expected_hard_triples(report: Report) -> set:
    """Every triple of :func:`hard_report`, written out."""
    rid, subject, county = report.id, report_iri(report.id), jurisdiction_iri("620523")
    jurisdiction, publisher = report.jurisdiction, department_iri("620523", '甘谷县"司法局"')
    expected = description_triples(report) | evidence_triples(rid, jurisdiction.evidence) | {
        (subject, DCTERMS.spatial, county), (subject, FZ.jurisdictionBasis, Literal("title")),
        (subject, FZ.jurisdictionEvidence, evidence_iri(rid, jurisdiction.evidence.start, jurisdiction.evidence.end)),
        (subject, DCTERMS.publisher, publisher), (publisher, RDF.type, ORG.Organization),
        (publisher, RDFS.label, Literal('甘谷县"司法局"', lang="zh")), (publisher, ORG.subOrganizationOf, county),
    }
    mention = report.initiatives[0]
    initiative = initiative_iri(HARD)
    statement = statement_iri(rid, "initiative", HARD, mention.start)
    expected |= evidence_triples(rid, mention.evidence) | {
        (initiative, RDF.type, FZ.Initiative), (initiative, SKOS.prefLabel, Literal(HARD, lang="zh")),
        (initiative, SKOS.inScheme, FZ.InitiativeScheme), (county, FZ.ranInitiative, initiative),
        (statement, RDF.type, FZ.InitiativeMention), (statement, FZ.jurisdiction, county),
        (statement, FZ.object, initiative), (statement, FZ.relation, FZ.ran),
        (statement, FZ.year, Literal(2024, datatype=INTEGER)), (statement, FZ.report, subject),
        (statement, FZ.evidence, evidence_iri(rid, mention.evidence.start, mention.evidence.end)),
        (statement, FZ.mentionStart, Literal(mention.start, datatype=OFFSET)),
        (statement, FZ.mentionEnd, Literal(mention.end, datatype=OFFSET)),
    }
    for figure in report.figures:
        observation = observation_iri(rid, figure.start, figure.end, figure.what)
        expected |= evidence_triples(rid, figure.evidence) | {
            (observation, RDF.type, QB.Observation), (observation, QB.dataSet, FIGURE_DATASET),
            (observation, FZ.measureName, Literal(figure.what, lang="zh")),
            (observation, FZ.value, Literal(Decimal(str(figure.value)), datatype=DECIMAL)),
            (observation, FZ.unit, Literal("个")), (observation, FZ.approximate, Literal(figure.what == "误差")),
            (observation, FZ.refArea, county), (observation, FZ.refPeriod, Literal("2024", datatype=G_YEAR)),
            (observation, FZ.evidence, evidence_iri(rid, figure.evidence.start, figure.evidence.end)),
            (observation, FZ.mentionStart, Literal(figure.start, datatype=OFFSET)),
            (observation, FZ.mentionEnd, Literal(figure.end, datatype=OFFSET)),
            (observation, FZ.report, subject),
        }
    return expected


def test_hard_text_reads_back_exactly():
    report = hard_report()
    data = report_nquads(report)
    triples = read_back(data, report_graph_iri(report.id))
    assert triples == expected_hard_triples(report)
    assert_one_line_per_triple(data, triples)  # four figures share one evidence sentence: written once
    assert data == report_nquads(hard_report())


def test_oxigraph_reads_the_hard_text_unchanged():
    report = hard_report()
    store = oxigraph_store(report_nquads(report))
    titles = list(store.quads_for_pattern(ox.NamedNode(str(report_iri(report.id))),
                                          ox.NamedNode(str(DCTERMS.title)), None))
    assert [(q.object.value, q.object.language) for q in titles] == [(report.title, "zh")]
    exact = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(str(OA.exact)), None)}
    assert exact == {ORIGINAL[e.start:e.end] for e in (report.jurisdiction.evidence, report.initiatives[0].evidence,
                                                       report.figures[0].evidence)}


def test_control_characters_are_escaped_and_read_back():
    report = hard_report()
    data = report_nquads(report)
    assert b"\\u0001\\u007F\\r" in data and b"\x01" not in data and b"\x7f" not in data
    assert b"\\t" not in data and b"\\u0009" in data  # a tab, written as a code point escape
    subject = report_iri(report.id)
    assert value_of(read_back(data, report_graph_iri(report.id)), subject, FZ.extractionNote) == \
        Literal('年份"不明"\\\x01\x7f\r')


@pytest.mark.parametrize("value", [0.1, 1e-05, 1e-07, 100, 100.0, 2.50, 1.5e20, 12345678901234567890, -3.25])
def test_figure_values_keep_their_decimal_value(value):
    report = hard_report()
    report.figures = [replace(report.figures[0], value=value)]
    data = report_nquads(report)
    figure = report.figures[0]
    observation = observation_iri(report.id, figure.start, figure.end, figure.what)
    literal = value_of(read_back(data, report_graph_iri(report.id)), observation, FZ.value)
    assert literal.datatype == DECIMAL
    assert literal.toPython() == Decimal(str(value))
    # the lexical form as written (rdflib would normalise "1E-7" while parsing)
    written = next(line for line in data.decode().splitlines() if f"<{FZ.value}>" in line)
    lexical = written.split('"')[1]
    assert DECIMAL_LEXICAL.fullmatch(lexical), written
    stored = next(oxigraph_store(data).quads_for_pattern(None, ox.NamedNode(str(FZ.value)), None)).object
    assert stored.datatype == ox.NamedNode(str(DECIMAL)) and Decimal(stored.value) == Decimal(str(value))


def test_a_report_without_jurisdiction_is_only_described():
    report = replace(hard_report(), jurisdiction=None, publisher=None)
    data = report_nquads(report)
    assert read_back(data, report_graph_iri(report.id)) == description_triples(report)
    assert gazetteer_nquads(report) == b""
    assert len(gazetteer_graph(report)) == 0


@pytest.mark.parametrize("code", ["62 0523", "620523>", '6205"23', "620523\x07", "{620523}"])
def test_an_iri_that_nquads_cannot_hold_is_refused(code):
    report = hard_report()
    report.jurisdiction = replace(report.jurisdiction, code=code)
    for write in (report_nquads, gazetteer_nquads, report_graph):
        with pytest.raises(ValueError, match=re.escape(report.source)):
            write(report)
