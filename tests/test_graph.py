"""The RDF of a report (ingest.triples), its conformance to the shapes, and the graph store."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SH, SKOS
from rdflib import namespace as rdf_namespace  # not XSD itself: pytest probes module attributes and XSD warns

from ingest.lawlist import load_laws
from ingest.report import (
    DocumentMention, Evidence, Figure, InitiativeMention, Jurisdiction, LawMention, Place,
    ProgramMention, Publisher, Report,
)
from ingest.store import GraphStore
from ingest.triples import gazetteer_graph, report_graph, vocabulary_graph
from ontology import (
    EXTRACTOR, FZ, GAZETTEER_GRAPH, OA, VOCABULARY_GRAPH, data_path, document_iri, evidence_iri,
    initiative_iri, jurisdiction_iri, law_iri, program_iri, report_graph_iri, report_iri, stable_key,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
GANGU = CORPUS / "2024-甘肃省-甘谷县-法治政府建设工作总结.txt"
SHEQI = CORPUS / "2024-河南省-社旗县-法治政府建设工作报告.txt"


def sentence_with(original: str, needle: str) -> Evidence:
    """The sentence of ``original`` that contains ``needle`` (ends at 。 or a line end)."""
    at = original.index(needle)
    start = max(original.rfind("。", 0, at), original.rfind("\n", 0, at)) + 1
    ends = [i for i in (original.find("。", at), original.find("\n", at)) if i != -1]
    end = min(ends) + 1 if original[min(ends)] == "。" else min(ends)
    return Evidence(original[start:end], start, end)


def span_of(original: str, needle: str) -> tuple[int, int]:
    at = original.index(needle)
    return at, at + len(needle)


def gangu_report() -> Report:
    """The Gangu county report with facts written by hand from its text."""
    original = GANGU.read_text(encoding="utf-8")
    laws = load_laws()
    yellow_river = laws.lookup("中华人民共和国黄河保护法")
    study = sentence_with(original, "《中华人民共和国黄河保护法》")
    stations = sentence_with(original, "公共法律服务工作室415个")
    return Report(
        source=str(GANGU), original=original, text=original, year=2024,
        title="2024年甘谷县法治政府建设工作总结",
        jurisdiction=Jurisdiction(
            name="甘谷县", level="county", code="620523",
            parents=[Place("甘肃省", "620000", "province"), Place("天水市", "620500", "city", "620000")],
            basis="title", evidence=sentence_with(original, "2024年甘谷县法治政府建设"),
        ),
        publisher=Publisher("甘谷县人民政府", "government"),
        laws=[
            LawMention(yellow_river.title, yellow_river.title, "studied", yellow_river.rank,
                       yellow_river.key, study, True, *span_of(original, "《中华人民共和国黄河保护法》")),
            LawMention("天水市海绵城市建设管理条例", "天水市海绵城市建设管理条例", "studied", "地方性法规",
                       stable_key("天水市海绵城市建设管理条例"), study, False,
                       *span_of(original, "《天水市海绵城市建设管理条例》")),
        ],
        documents=[DocumentMention("2024年甘谷县法治政府建设工作要点", "issued",
                                   sentence_with(original, "《2024年甘谷县法治政府建设工作要点》"),
                                   *span_of(original, "《2024年甘谷县法治政府建设工作要点》"))],
        programs=[ProgramMention("八五普法", "bawu-pufa", "“八五”普法规划",
                                 sentence_with(original, "深入实施“八五”普法规划"),
                                 *span_of(original, "“八五”普法规划"))],
        initiatives=[InitiativeMention("乡村振兴 法治同行", sentence_with(original, "“乡村振兴 法治同行”活动"),
                                       *span_of(original, "乡村振兴 法治同行"))],
        figures=[Figure("村(社区)公共法律服务工作室", 415, "个", False, stations,
                        *span_of(original, "415个"))],
    )


def sheqi_report() -> Report:
    original = SHEQI.read_text(encoding="utf-8")
    decision = sentence_with(original, "《河南省重大行政决策程序规定》")
    return Report(
        source=str(SHEQI), original=original, text=original, year=2024,
        jurisdiction=Jurisdiction("社旗县", "county", "411327",
                                  parents=[Place("河南省", "410000", "province"),
                                           Place("南阳市", "411300", "city", "410000")]),
        laws=[LawMention("河南省重大行政决策程序规定", "河南省重大行政决策程序规定", "applied", "规章",
                         stable_key("河南省重大行政决策程序规定"), decision, False,
                         *span_of(original, "《河南省重大行政决策程序规定》"))],
    )


def validate(graph: Graph) -> tuple[bool, Graph]:
    shapes = Graph().parse(data_path("shapes.ttl"))
    ontology = Graph().parse(data_path("fzkg.ttl"))
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="none")
    return conforms, results


def violated_paths(results: Graph) -> set:
    return {results.value(r, SH.resultPath) for r in results.subjects(RDF.type, SH.ValidationResult)}


@pytest.fixture(scope="module")
def report() -> Report:
    return gangu_report()


@pytest.fixture(scope="module")
def graph(report) -> Graph:
    return report_graph(report)


# -- the report graph ----------------------------------------------------------------------------

def test_report_graph_conforms_to_the_shapes(graph):
    conforms, results = validate(graph)
    assert conforms, results.serialize(format="turtle")


def test_report_graph_with_gazetteer_and_vocabulary_conforms(report, graph):
    union = graph + gazetteer_graph(report) + vocabulary_graph()
    conforms, results = validate(union)
    assert conforms, results.serialize(format="turtle")


def test_the_shapes_target_the_facts_of_the_report(graph):
    """Conformance means something only if the shapes actually looked at the nodes."""
    assert len(list(graph.subjects(RDF.type, FZ.LawMention))) == 2
    assert len(list(graph.subjects(RDF.type, FZ.Evidence))) >= 5
    broken = Graph()
    broken += graph
    for statement in list(graph.subjects(RDF.type, FZ.LawMention)):
        broken.remove((statement, FZ.evidence, None))
    conforms, results = validate(broken)
    assert not conforms
    assert len(list(results.subjects(RDF.type, SH.ValidationResult))) == 2


def _drop_start(graph, report):
    evidence = next(graph.subjects(RDF.type, FZ.Evidence))
    graph.remove((evidence, OA.start, None))
    return OA.start


def _swap_offsets(graph, report):
    evidence = next(graph.subjects(RDF.type, FZ.Evidence))
    start, end = graph.value(evidence, OA.start), graph.value(evidence, OA.end)
    graph.set((evidence, OA.start, end))
    graph.set((evidence, OA.end, start))
    return OA.start


def _negative_offset(graph, report):
    evidence = next(graph.subjects(RDF.type, FZ.Evidence))
    graph.set((evidence, OA.start, Literal(-1, datatype=rdf_namespace.XSD.integer)))
    return OA.start


def _offset_as_text(graph, report):
    evidence = next(graph.subjects(RDF.type, FZ.Evidence))
    graph.set((evidence, OA.end, Literal("2070")))
    return OA.end


def _second_jurisdiction(graph, report):
    statement = next(graph.subjects(RDF.type, FZ.LawMention))
    graph.add((statement, FZ.jurisdiction, jurisdiction_iri("620500")))
    return FZ.jurisdiction


def _document_relation_on_law(graph, report):
    statement = next(graph.subjects(RDF.type, FZ.LawMention))
    graph.set((statement, FZ.relation, FZ.issued))
    return FZ.relation


def _rank_not_in_list(graph, report):
    law = next(graph.subjects(RDF.type, FZ.Law))
    graph.set((law, FZ.rank, Literal("法规")))
    return FZ.rank


def _year_as_text(graph, report):
    graph.set((report_iri(report.id), FZ.year, Literal("2024")))
    return FZ.year


def _two_identifiers(graph, report):
    graph.add((report_iri(report.id), DCTERMS.identifier, Literal("another")))
    return DCTERMS.identifier


def _value_as_text(graph, report):
    observation = next(graph.subjects(FZ.refArea, None))
    graph.set((observation, FZ.value, Literal("415")))
    return FZ.value


def _observation_without_unit(graph, report):
    observation = next(graph.subjects(FZ.refArea, None))
    graph.remove((observation, FZ.unit, None))
    return FZ.unit


def _report_without_attribution(graph, report):
    graph.remove((report_iri(report.id), PROV.wasAttributedTo, None))
    return PROV.wasAttributedTo


def _observation_without_report(graph, report):
    observation = next(graph.subjects(FZ.refArea, None))
    graph.remove((observation, FZ.report, None))
    return FZ.report


def _short_code(graph, report):
    graph += gazetteer_graph(report)
    graph.set((jurisdiction_iri("620523"), SKOS.notation, Literal("62052")))
    return SKOS.notation


def _jurisdiction_without_level(graph, report):
    graph += gazetteer_graph(report)
    graph.remove((jurisdiction_iri("620523"), FZ.level, None))
    return FZ.level


@pytest.mark.parametrize("breakage", [
    _drop_start, _swap_offsets, _negative_offset, _offset_as_text, _second_jurisdiction, _document_relation_on_law,
    _rank_not_in_list, _year_as_text, _two_identifiers, _value_as_text, _observation_without_unit,
    _report_without_attribution, _observation_without_report, _short_code, _jurisdiction_without_level,
], ids=lambda f: f.__name__.strip("_"))
def test_a_broken_graph_fails_the_shapes_at_the_broken_property(graph, report, breakage):
    broken = Graph()
    broken += graph
    path = breakage(broken, report)
    conforms, results = validate(broken)
    assert not conforms
    assert path in violated_paths(results)


def test_same_report_gives_the_same_triples(report, graph):
    again = report_graph(gangu_report())
    assert set(again) == set(graph)
    # blank nodes would make two loads of one report differ
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)


def test_law_mention_is_a_qualified_statement_with_a_direct_shortcut(report, graph):
    county = jurisdiction_iri("620523")
    yellow_river = law_iri(load_laws().lookup("黄河保护法").key)
    mention = report.laws[0]
    statement = next(s for s in graph.subjects(FZ.object, yellow_river))
    assert graph.value(statement, RDF.type) == FZ.LawMention
    assert graph.value(statement, FZ.jurisdiction) == county
    assert graph.value(statement, FZ.relation) == FZ.studied
    assert graph.value(statement, FZ.year).toPython() == 2024
    # provenance through fz:report (a subproperty of prov:wasDerivedFrom) and the report's attribution
    assert graph.value(statement, FZ.report) == report_iri(report.id)
    assert graph.value(report_iri(report.id), PROV.wasAttributedTo) == EXTRACTOR
    assert graph.value(statement, PROV.wasDerivedFrom) is None
    assert graph.value(statement, PROV.wasAttributedTo) is None
    evidence = graph.value(statement, FZ.evidence)
    assert evidence == evidence_iri(report.id, mention.evidence.start, mention.evidence.end)
    start, end = graph.value(evidence, OA.start).toPython(), graph.value(evidence, OA.end).toPython()
    assert report.original[start:end] == str(graph.value(evidence, OA.exact))
    assert "《中华人民共和国黄河保护法》" in str(graph.value(evidence, OA.exact))
    assert (county, FZ.studied, yellow_river) in graph
    # a listed act is described by the vocabulary graph, not by every report that names it
    assert graph.value(yellow_river, RDFS.label) is None


def test_unlisted_act_is_named_by_its_title_and_described_in_the_report(graph):
    act = law_iri(stable_key("天水市海绵城市建设管理条例"))
    assert graph.value(act, RDFS.label) == Literal("天水市海绵城市建设管理条例", lang="zh")
    assert str(graph.value(act, FZ.rank)) == "地方性法规"


def test_documents_programs_initiatives_and_figures(report, graph):
    county = jurisdiction_iri("620523")
    document = document_iri("2024年甘谷县法治政府建设工作要点")
    assert (county, FZ.issued, document) in graph
    assert (document, RDF.type, FZ.PolicyDocument) in graph
    assert (county, FZ.ranProgram, program_iri("bawu-pufa")) in graph
    program_statement = next(graph.subjects(RDF.type, FZ.ProgramMention))
    assert graph.value(program_statement, FZ.writtenAs) == Literal("“八五”普法规划", lang="zh")
    initiative = initiative_iri("乡村振兴 法治同行")
    assert (county, FZ.ranInitiative, initiative) in graph
    assert (initiative, SKOS.inScheme, FZ.InitiativeScheme) in graph
    observation = next(graph.subjects(FZ.refArea, county))
    assert graph.value(observation, FZ.value).toPython() == 415
    assert graph.value(observation, FZ.value).datatype == rdf_namespace.XSD.decimal
    assert str(graph.value(observation, FZ.refPeriod)) == "2024"
    assert graph.value(observation, FZ.approximate).toPython() is False


def test_a_cited_document_uses_its_own_direct_property(report):
    cited = replace(report, documents=[replace(report.documents[0], relation="cited")])
    graph = report_graph(cited)
    document = document_iri("2024年甘谷县法治政府建设工作要点")
    assert (jurisdiction_iri("620523"), FZ.citedDocument, document) in graph
    assert (jurisdiction_iri("620523"), FZ.cited, document) not in graph


def test_evidence_that_does_not_match_the_text_is_refused(report):
    wrong = Evidence("并非原文", report.laws[0].evidence.start, report.laws[0].evidence.start + 4)
    broken = replace(report, laws=[replace(report.laws[0], evidence=wrong)])
    with pytest.raises(ValueError, match="differs"):
        report_graph(broken)


def test_gazetteer_holds_the_hierarchy(report):
    gazetteer = gazetteer_graph(report)
    county, city, province = (jurisdiction_iri(c) for c in ("620523", "620500", "620000"))
    assert (county, ORG.subOrganizationOf, city) in gazetteer
    assert (city, ORG.subOrganizationOf, province) in gazetteer
    assert gazetteer.value(province, ORG.subOrganizationOf) is None
    assert (county, FZ.level, FZ.county) in gazetteer
    assert gazetteer.value(county, RDFS.label) == Literal("甘谷县", lang="zh")
    conforms, results = validate(gazetteer)
    assert conforms, results.serialize(format="turtle")


def test_an_ambiguous_jurisdiction_links_its_alternatives(report):
    doubt = replace(report.jurisdiction, alternatives=[Place("甘谷镇", "620523100", "township", "620523")])
    graph = report_graph(replace(report, jurisdiction=doubt))
    assert (jurisdiction_iri("620523"), FZ.ambiguousWith, jurisdiction_iri("620523100")) in graph
    assert (jurisdiction_iri("620523100"), FZ.level, FZ.township) in gazetteer_graph(replace(report, jurisdiction=doubt))


def test_a_department_publisher_belongs_to_the_jurisdiction(report):
    graph = report_graph(replace(report, publisher=Publisher("甘谷县司法局", "department")))
    publisher = graph.value(report_iri(report.id), DCTERMS.publisher)
    assert (publisher, ORG.subOrganizationOf, jurisdiction_iri("620523")) in graph
    assert graph.value(publisher, RDFS.label) == Literal("甘谷县司法局", lang="zh")


def test_vocabulary_graph_describes_every_listed_act():
    vocabulary = vocabulary_graph()
    laws = load_laws()
    penalty = law_iri(laws.lookup("行政处罚法").key)
    assert vocabulary.value(penalty, RDFS.label) == Literal("中华人民共和国行政处罚法", lang="zh")
    assert set(vocabulary.subjects(RDF.type, FZ.Law)) == {law_iri(e.key) for e in laws}
    assert (FZ.Jurisdiction, RDFS.subClassOf, ORG.Organization) in vocabulary


def test_vocabulary_gives_each_concept_one_preferred_label_per_language():
    """The ontology and programs.ttl both speak of fz:ProgramScheme; SKOS allows one prefLabel per language."""
    seen: dict = {}
    for concept, label in vocabulary_graph().subject_objects(SKOS.prefLabel):
        seen.setdefault((concept, label.language), set()).add(str(label))
    assert {key: labels for key, labels in seen.items() if len(labels) > 1} == {}


def test_every_ontology_term_is_documented_in_both_languages():
    ontology = Graph().parse(data_path("fzkg.ttl"))
    terms = {s for s in ontology.subjects() if str(s).startswith(str(FZ))}
    assert FZ.LawMention in terms and FZ.measureName in terms
    for term in terms:
        assert {label.language for label in ontology.objects(term, RDFS.label)} == {"zh", "en"}, term
        assert ontology.value(term, RDFS.comment) is not None, term


# -- the store ----------------------------------------------------------------------------------

def nquads(store: GraphStore) -> list[bytes]:
    return sorted(store.serialize("nquads").splitlines())


def test_replacing_a_report_twice_leaves_the_same_store(tmp_path, report, graph):
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_report(report.id, graph)
        store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
        first_count, first_dump = len(store), nquads(store)
        store.replace_report(report.id, report_graph(gangu_report()))
        store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
        assert len(store) == first_count == len(graph) + len(gazetteer_graph(report))
        assert nquads(store) == first_dump


def test_the_graph_read_back_from_the_store_still_conforms(tmp_path, report, graph):
    """Oxigraph turns xsd:nonNegativeInteger into xsd:integer; the shapes must accept what it stores."""
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_vocabulary()
        store.replace_report(report.id, graph)
        store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
        stored = Graph().parse(data=store.serialize("nt"), format="nt")
    offsets = {o.datatype for o in stored.objects(None, OA.start)}
    assert offsets == {rdf_namespace.XSD.integer}
    conforms, results = validate(stored)
    assert conforms, results.serialize(format="turtle")


def test_replacing_drops_triples_the_new_graph_no_longer_has(tmp_path, report, graph):
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_report(report.id, graph)
        fewer = report_graph(replace(report, figures=[]))
        store.replace_report(report.id, fewer)
        assert len(store) == len(fewer) < len(graph)


def test_removing_a_report_leaves_the_others(tmp_path, report, graph):
    other = sheqi_report()
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_report(other.id, report_graph(other))
        alone = nquads(store)
        store.replace_report(report.id, graph)
        assert store.report_ids() == sorted([report.id, other.id])
        store.remove_report(report.id)
        assert store.report_ids() == [other.id]
        assert nquads(store) == alone


def test_sparql_over_all_graphs(tmp_path, report, graph):
    other = sheqi_report()
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_vocabulary()
        store.replace_report(report.id, graph)
        store.replace_report(other.id, report_graph(other))
        store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
        rows = store.query("SELECT DISTINCT ?j ?title WHERE { ?j fz:studied ?law . ?law rdfs:label ?title }")
        studied = {(row.j, str(row.title)) for row in rows}
        assert (jurisdiction_iri("620523"), "中华人民共和国黄河保护法") in studied
        assert all(j == jurisdiction_iri("620523") for j, _ in studied)
        # the label comes from the vocabulary graph, the fz:studied triple from the report graph
        applied = store.query("SELECT ?j ?law WHERE { ?j fz:applied ?law }",
                              init_bindings={"j": jurisdiction_iri("411327")})
        assert [row.law for row in applied] == [law_iri(stable_key("河南省重大行政决策程序规定"))]
        names = store.query("SELECT ?name WHERE { ?j skos:notation '620523' ; rdfs:label ?name }")
        assert [str(row.name) for row in names] == ["甘谷县"]
        assert store.report_ids() == sorted([report.id, other.id])


def test_many_reports_load_at_once(tmp_path, report, graph):
    other = sheqi_report()
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_reports({report.id: graph, other.id: report_graph(other)})
        assert store.report_ids() == sorted([report.id, other.id])
        assert store.graph_size(report_graph_iri(report.id)) == len(graph)
        assert len(store) == len(graph) + len(report_graph(other))


def test_vocabulary_is_replaced_not_duplicated(tmp_path):
    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_vocabulary()
        once = len(store)
        first = nquads(store)
        store.replace_vocabulary()
        # the ontology's blank nodes (cube components) must neither pile up nor change identity
        assert len(store) == once == store.graph_size(VOCABULARY_GRAPH) == len(vocabulary_graph())
        assert nquads(store) == first
        assert store.report_ids() == []


def test_store_persists_and_opens_read_only(tmp_path, report, graph):
    path = tmp_path / "graph"
    with GraphStore.open(path) as store:
        store.replace_report(report.id, graph)
        count = len(store)
    with GraphStore.open(path, read_only=True) as store:
        assert store.path == path
        assert len(store) == count
        assert store.report_ids() == [report.id]
        with pytest.raises(PermissionError):
            store.remove_report(report.id)
    with GraphStore.open(path) as store:  # closing released the database for a new writer
        store.remove_report(report.id)
        assert len(store) == 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own parsers use deprecated names
@pytest.mark.parametrize("fmt,rdflib_format", [
    ("turtle", "turtle"), ("nt", "nt"), ("trig", "trig"), ("nquads", "nquads"), ("jsonld", "json-ld"),
])
def test_serialisations_read_back(tmp_path, report, graph, fmt, rdflib_format):
    from rdflib import Dataset

    with GraphStore.open(tmp_path / "graph") as store:
        store.replace_report(report.id, graph)
        store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
        destination = tmp_path / f"dump.{fmt}"
        store.serialize(fmt, destination)
        expected = len(graph + gazetteer_graph(report))
    loaded = Dataset()
    loaded.parse(destination, format=rdflib_format)
    if fmt in ("trig", "nquads", "jsonld"):
        assert {g.identifier for g in loaded.graphs() if len(g)} == {report_graph_iri(report.id), GAZETTEER_GRAPH}
        assert sum(len(g) for g in loaded.graphs()) == expected
    else:
        assert len(loaded) == expected


def test_unknown_format_is_refused(tmp_path):
    with GraphStore.open(tmp_path / "graph") as store:
        with pytest.raises(ValueError, match="unknown format"):
            store.serialize("rdfxml")
