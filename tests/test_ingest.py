"""Ingest of the embedded corpus: idempotence, SHACL conformance, evidence offsets, bad input, SPARQL."""
from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET

import pyshacl
import pytest
from rdflib import Graph

import ontology
from conftest import CORPUS
from ingest.datadir import DataDir
from ingest.store import GraphStore
from web.cli import main

LAW_QUESTION = """SELECT DISTINCT ?name ?code WHERE {
  ?m a fz:LawMention ; fz:relation fz:studied ; fz:object ?law ; fz:jurisdiction ?j .
  ?law rdfs:label "中华人民共和国黄河保护法"@zh . ?j rdfs:label ?name ; skos:notation ?code } ORDER BY ?code"""
PROGRAM_QUESTION = """SELECT DISTINCT ?name ?code WHERE {
  ?j fz:ranProgram ?p . ?p skos:prefLabel "法律明白人"@zh . ?j rdfs:label ?name ; skos:notation ?code } ORDER BY ?code"""


def fzkg(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    assert main(["ingest", "--quiet", "--data", str(data), str(CORPUS)]) == 0
    return data


def test_ingest_twice_leaves_the_same_graph(corpus_data, tmp_path):
    copy = tmp_path / "again"
    shutil.copytree(corpus_data, copy)
    with GraphStore.open(copy / "graph") as store:
        before_count, before = len(store), store.serialize("nquads")
    assert main(["ingest", "--quiet", "--data", str(copy), str(CORPUS)]) == 0
    with GraphStore.open(copy / "graph") as store:
        assert len(store) == before_count
        assert sorted(store.serialize("nquads").splitlines()) == sorted(before.splitlines())
    assert DataDir.at(copy).registry() == DataDir.at(corpus_data).registry()


def test_ingested_corpus_conforms_to_the_shapes(corpus_data):
    data = Graph()
    with GraphStore.open(corpus_data / "graph", read_only=True) as store:
        data.parse(data=store.serialize("nt"), format="nt")
    ontology_graph = Graph().parse(ontology.data_path("fzkg.ttl"))
    shapes = Graph().parse(ontology.data_path("shapes.ttl"))
    conforms, _graph, text = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology_graph, inference="rdfs")
    assert conforms, text


def test_every_fact_cites_the_exact_sentence(corpus_data):
    datadir = DataDir.at(corpus_data)
    query = """SELECT ?report ?start ?end ?exact WHERE {
      ?fact fz:evidence ?e . ?e oa:start ?start ; oa:end ?end ; oa:exact ?exact ; fz:inReport ?r .
      ?r dct:identifier ?report }"""
    with GraphStore.open(corpus_data / "graph", read_only=True) as store:
        rows = list(store.query(query))
        kinds = {str(row[0]) for row in store.query("SELECT DISTINCT ?c WHERE { ?f fz:evidence ?e ; a ?c }")}
    assert len(rows) > 200
    for cls in ("LawMention", "ProgramMention", "InitiativeMention"):
        assert str(ontology.FZ[cls]) in kinds
    texts = {rid: datadir.read_text(rid) for rid in datadir.registry()}
    for report, start, end, exact in rows:
        original = texts[str(report)]
        assert original[int(start):int(end)] == str(exact)
        # a whole sentence: it does not start or end in the middle of a run of text
        assert int(start) == 0 or original[int(start) - 1] in "\n。!?！？”\" " or original[int(start) - 1].isspace()


def test_sparql_answers_the_card_questions(corpus_data, capsys):
    code, out, _ = fzkg(capsys, "sparql", "--data", str(corpus_data), "--format", "json", PROGRAM_QUESTION)
    names = [b["name"]["value"] for b in json.loads(out)["results"]["bindings"]]
    assert code == 0 and names == ["长冈乡", "洪口镇", "甘谷县"]
    code, out, _ = fzkg(capsys, "sparql", "--data", str(corpus_data), "--format", "csv", LAW_QUESTION)
    assert list(csv.reader(io.StringIO(out))) == [["name", "code"], ["甘谷县", "620523"]]


def test_sparql_exports_tsv_and_xml(corpus_data, capsys):
    code, out, _ = fzkg(capsys, "sparql", "--data", str(corpus_data), "--format", "tsv", PROGRAM_QUESTION)
    lines = out.splitlines()
    assert lines[0] == "?name\t?code" and lines[1].startswith('"长冈乡"') and len(lines) == 4
    code, out, _ = fzkg(capsys, "sparql", "--data", str(corpus_data), "--format", "xml", PROGRAM_QUESTION)
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    literals = [e.text for e in ET.fromstring(out).findall(".//s:binding[@name='name']/s:literal", ns)]
    assert literals == ["长冈乡", "洪口镇", "甘谷县"]


def test_sparql_syntax_error_is_one_line(corpus_data, capsys):
    code, out, err = fzkg(capsys, "sparql", "--data", str(corpus_data), "SELECT ?x WHERE {")
    assert code == 2 and err.count("\n") == 1 and "query error" in err


def _bad_files(folder):
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "truncated.txt").write_bytes("法治政府建设工作报告".encode("gbk")[:-1])
    (folder / "report.xyz").write_text("甘谷县法治政府建设", encoding="utf-8")
    return [folder / "binary.txt", folder / "empty.txt", folder / "truncated.txt", folder / "report.xyz",
            folder / "missing.txt"]


def test_bad_input_is_listed_and_nothing_is_lost(corpus_data, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(corpus_data, data)
    registry_before = DataDir.at(data).registry()
    good = tmp_path / "good.txt"
    good.write_bytes((CORPUS / "2024-河南省-社旗县-法治政府建设工作报告.txt").read_text(encoding="utf-8")
                     .replace("社旗县", "方城县").encode("gb18030"))
    bad = _bad_files(tmp_path)
    code, out, err = fzkg(capsys, "ingest", "--quiet", "--data", str(data), *map(str, bad), str(good))
    assert code == 1
    failure_lines = [line.strip() for line in err.splitlines()[1:]]
    assert len(failure_lines) == len(bad)
    for path, line in zip(bad, failure_lines):
        assert line.startswith(str(path) + ": ") and len(line) > len(str(path)) + 3
    assert "unsupported format" in failure_lines[3]
    registry = DataDir.at(data).registry()
    assert set(registry_before) < set(registry)  # the old reports are all still there
    added = [meta for rid, meta in registry.items() if rid not in registry_before]
    assert [m["jurisdiction"] for m in added] == ["方城县"]


def test_extract_json_shape(capsys):
    code, out, _ = fzkg(capsys, "extract", str(CORPUS / "2020-四川省-宣汉县-法治政府建设工作总结.txt"))
    data = json.loads(out)
    assert set(data) == {"source", "title", "year", "published", "jurisdiction", "publisher", "laws",
                         "documents", "programs", "initiatives", "figures"}
    assert data["publisher"] == {"name": "宣汉县司法局", "kind": "department"}
    assert data["jurisdiction"]["parents"] == [{"name": "四川省", "code": "510000"}, {"name": "达州市", "code": "511700"}]
    law = data["laws"][0]
    assert set(law) >= {"title", "written", "relation", "evidence"}
    assert set(data["figures"][0]) == {"what", "value", "unit", "approx", "evidence"}


def test_a_file_named_twice_in_one_batch_is_indexed_once(tmp_path, capsys):
    report = CORPUS / "2024-甘肃省-甘谷县-法治政府建设工作总结.txt"
    code, _, _ = fzkg(capsys, "ingest", "--quiet", "--data", str(tmp_path), str(report), str(report))
    assert code == 0
    code, out, _ = fzkg(capsys, "search", "--data", str(tmp_path), "--format", "json", '"法律明白人"')
    assert json.loads(out)["total"] == 1
