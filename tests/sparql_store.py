"""A small graph store for the SPARQL tests, written directly with pyoxigraph.

Shaped like what ingest writes (one named graph per report plus a vocabulary graph, Chinese
literals), and large enough (~600 triples) that a three-way cross product of all triples
(~2×10^8 rows) takes many seconds, which the deadline tests rely on.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from ingest.datadir import DataDir
from ontology import FZ, ID, VOCABULARY_GRAPH, report_graph_iri, report_iri

REPORTS = {
    "r1": "2024年社旗县法治政府建设工作报告",
    "r2": "2024年甘谷县法治政府建设工作总结",
    "r3": "2023年洪口镇法治政府建设工作情况的报告",
    "r4": "2020年宣汉县法治政府建设工作总结",
}
STATEMENTS_PER_REPORT = 70
CONCEPTS = 20
#: A literal with the word SERVICE and characters that TSV and JSON must escape.
TRICKY_TEXT = '包含 SERVICE 一词\t与"引号"、反斜杠\\和\n换行'


def node(term) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(str(term))


def zh(text: str) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(text, language="zh")


def statement_text(report: str, k: int) -> str:
    return f"{REPORTS[report][5:8]}第{k}项：推进严格规范公正文明执法"


@dataclass(frozen=True)
class SampleData:
    datadir: DataDir
    triples: int


def quads() -> list[pyoxigraph.Quad]:
    result = []
    for number, (key, title) in enumerate(REPORTS.items()):
        graph = node(report_graph_iri(key))
        report = node(report_iri(key))
        result += [
            pyoxigraph.Quad(report, node(RDF.type), node(FZ.Report), graph),
            pyoxigraph.Quad(report, node(DCTERMS.title), zh(title), graph),
            pyoxigraph.Quad(report, node(FZ.year), pyoxigraph.Literal(title[:4], datatype=node(XSD.gYear)), graph),
        ]
        for k in range(STATEMENTS_PER_REPORT):
            statement = node(ID[f"statement/{key}-{k}"])
            result += [
                pyoxigraph.Quad(statement, node(RDFS.label), zh(statement_text(key, k)), graph),
                pyoxigraph.Quad(statement, node(FZ.inReport), report, graph),
            ]
        if number == 0:
            result.append(pyoxigraph.Quad(report, node(RDFS.comment), zh(TRICKY_TEXT), graph))
            # A blank node, so result formats are exercised with one.
            evidence = pyoxigraph.BlankNode("evidence1")
            result += [
                pyoxigraph.Quad(report, node(FZ.evidence), evidence, graph),
                pyoxigraph.Quad(evidence, node(RDFS.label), zh("证据：依法行政"), graph),
            ]
    vocabulary = node(VOCABULARY_GRAPH)
    for k in range(CONCEPTS):
        concept = node(FZ[f"Concept{k}"])
        result += [
            pyoxigraph.Quad(concept, node(RDF.type), node(SKOS.Concept), vocabulary),
            pyoxigraph.Quad(concept, node(SKOS.prefLabel), zh(f"概念{k:02d}"), vocabulary),
        ]
    return result


def build_store(root) -> SampleData:
    """Write the test store and a registry (so ``DataDir.version()`` works) under ``root``."""
    datadir = DataDir.at(root)
    datadir.root.mkdir(parents=True, exist_ok=True)
    store = pyoxigraph.Store(str(datadir.graph))
    data = quads()
    store.extend(data)
    store.flush()
    del store  # release the RocksDB lock before workers open the store read-only
    datadir.save_registry({key: {"title": title} for key, title in REPORTS.items()})
    return SampleData(datadir, len(data))
