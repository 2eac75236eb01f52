"""The graph on a SPARQL server (``fzkg ingest --store URL``), against Virtuoso Open Source.

A session fixture starts Virtuoso with ``scripts/virtuoso.sh`` (Debian's binaries, installed by
``scripts/test``) on free loopback ports, with its ini and database in a temporary folder, and
stops it at the end. Where Virtuoso cannot be installed or started the server tests are skipped
with the reason, except in CI, where they fail. The tests of query text and of timeouts need no
Virtuoso (a silent local socket stands in for a server that does not answer).

The server is shared: the store tests start from an empty server; the corpus tests then ingest
the corpus once and compare every answer with a local Oxigraph data directory of the same corpus.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import namespace as rdf_namespace  # not XSD itself: pytest probes module attributes and XSD warns
from rdflib.namespace import RDFS, SKOS

from conftest import CORPUS, ROOT
from ingest.datadir import DataDir
from ingest.remote_store import (
    RemoteQueryError, RemoteStore, RemoteStoreError, RemoteTimeout, with_bindings,
)
from ingest.store import GraphStore
from ingest.stores import open_store
from ingest.triples import gazetteer_graph, report_graph
from ontology import FZ, GAZETTEER_GRAPH, ID, VOID, jurisdiction_iri, law_iri, report_graph_iri, stable_key
from test_graph import gangu_report, sheqi_report
from test_ingest import LAW_QUESTION, PROGRAM_QUESTION
from web.app import create_app
from web.cli import main
from web.sparql import executor as ex

VIRTUOSO = ROOT / "scripts" / "virtuoso.sh"
#: Chinese text that has to come back exactly: a character outside the Basic Multilingual Plane
#: (U+20000), CJK Extension A, full-width punctuation, and what SPARQL strings must escape.
CHINESE = '𠀀㐀中华人民共和国黄河保护法（2022年）“法律明白人”\t引号"与反斜杠\\\n第二行'


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory) -> str:
    """The SPARQL endpoint URL of a Virtuoso started for this session."""
    folder = tmp_path_factory.mktemp("virtuoso")
    try:
        started = subprocess.run(["bash", str(VIRTUOSO), "start", str(folder)], capture_output=True, text=True,
                                 timeout=600)
    except subprocess.TimeoutExpired:
        started = None
    if started is None or started.returncode != 0:
        reason = "timed out" if started is None else (started.stderr.strip().splitlines() or ["failed"])[-1]
        if os.environ.get("CI"):
            pytest.fail(f"Virtuoso did not start in CI: {reason}")
        pytest.skip(f"Virtuoso cannot be installed or started on this machine: {reason}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(VIRTUOSO), "stop", str(folder)], capture_output=True, timeout=120)


def _wipe(url: str) -> None:
    with RemoteStore.open(url) as store:
        store._drop(store._project_graphs())


@pytest.fixture()
def remote(virtuoso):
    """An empty remote store (every project graph dropped first)."""
    _wipe(virtuoso)
    with RemoteStore.open(virtuoso) as store:
        yield store


@pytest.fixture()
def silent_server():
    """The URL of a loopback socket that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def _closed_port_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/sparql"


# --------------------------------------------------------------------------- query text (no server)


def test_bindings_open_the_where_group_and_quote_their_terms():
    query = "CONSTRUCT { ?j rdfs:label ?name } WHERE { ?j skos:notation ?code ; rdfs:label ?name }"
    bound = with_bindings(query, {"code": Literal('620523" } ; DROP ALL ; #')})
    # the template keeps its braces; the values open the WHERE group, the literal stays one term
    assert bound.startswith("CONSTRUCT { ?j rdfs:label ?name } WHERE { VALUES (?code) { (")
    assert '"620523\\" } ; DROP ALL ; #"' in bound
    select = with_bindings('SELECT (EXISTS { ?j a fz:Jurisdiction } AS ?x) ?j { ?j ?p "{" }', {"j": ID["x"]})
    assert select.endswith(f'?j {{ VALUES (?j) {{ ({ID["x"].n3()}) }}  ?j ?p "{{" }}')
    with pytest.raises(ValueError):
        with_bindings(query, {"code) { } DROP ALL": Literal("x")})
    with pytest.raises(ValueError):
        with_bindings(query, {"j": BNode()})
    with pytest.raises(Exception, match="valid URI"):  # rdflib's n3() refuses such an IRI
        with_bindings(query, {"j": URIRef("http://example.org/> } DROP ALL { <x")})


def test_an_unreachable_server_is_named_in_one_line():
    url = _closed_port_url()
    with pytest.raises(RemoteStoreError) as caught:
        RemoteStore.open(url)
    message = str(caught.value)
    assert url in message and "\n" not in message and "cannot reach" in message


def test_a_silent_server_times_out_with_the_endpoint_named(silent_server):
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as caught:
        RemoteStore.open(silent_server, timeout=0.5)
    assert time.monotonic() - started < 5
    assert silent_server in str(caught.value) and "0.5 s" in str(caught.value)


def test_the_endpoint_deadline_is_the_http_timeout(silent_server, tmp_path):
    datadir = DataDir(tmp_path)
    datadir.save_settings({"store": silent_server})
    executor = ex.create_executor(datadir, deadline=0.5)
    assert isinstance(executor, ex.RemoteQueryExecutor)
    started = time.monotonic()
    with pytest.raises(ex.QueryTimeout):
        executor.run("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - started < 5


def test_the_remote_endpoint_refuses_what_the_local_one_refuses(tmp_path):
    datadir = DataDir(tmp_path)
    datadir.save_settings({"store": _closed_port_url()})
    executor = ex.create_executor(datadir)
    # refused before any request: the server is not even there
    with pytest.raises(ex.UpdateRefused):
        executor.run("INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }")
    with pytest.raises(ex.ServiceRefused):
        executor.run("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(ex.ExtensionRefused):
        executor.run('SELECT * WHERE { ?s ?p ?o FILTER(bif:contains(?o, "x")) }')
    with pytest.raises(ex.ExtensionRefused):
        executor.run('PREFIX q: <sql:> SELECT (q:F() AS ?x) WHERE { }')
    with pytest.raises(ex.QuerySyntaxError):
        executor.run("define input:inference 'x' SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(ex.StoreUnavailable):
        executor.run("SELECT * WHERE { ?s ?p ?o }")


# --------------------------------------------------------------------------- the store on Virtuoso


def test_chinese_literals_round_trip_exactly(remote, tmp_path):
    graph_iri = report_graph_iri("0" * 16)
    subject = ID["test/literals"]
    # (a plain literal is an xsd:string in RDF 1.1, so it stands for both)
    literals = [Literal(CHINESE, lang="zh"), Literal(CHINESE), Literal("甘谷县", lang="zh-hans"), Literal(2024),
                Literal("2024-06-30", datatype=rdf_namespace.XSD.date)]
    graph = Graph()
    for literal in literals:
        graph.add((subject, RDFS.comment, literal))
    answers = {}
    with GraphStore.open(tmp_path / "graph") as local:
        for name, store in (("local", local), ("remote", remote)):
            store.replace_graphs({graph_iri: graph})
            rows = store.query("SELECT ?s ?o WHERE { ?s rdfs:comment ?o }", init_bindings={"s": subject})
            found = store.query("SELECT ?s ?o WHERE { ?s rdfs:comment ?o }", init_bindings={"o": Literal(CHINESE, lang="zh")})
            answers[name] = (sorted(row.o for row in rows), [row.s for row in found],
                             set(Graph().parse(data=store.serialize("nt"), format="nt")))
    assert answers["remote"] == answers["local"]
    objects, subjects, dumped = answers["remote"]
    assert sorted(str(o) for o in objects) == sorted(str(literal) for literal in literals)
    assert subjects == [subject]
    assert {str(o) for _, _, o in dumped} == {str(literal) for literal in literals}


def test_store_api_gives_what_the_local_store_gives(remote, tmp_path):
    report, other = gangu_report(), sheqi_report()
    results = {}
    with GraphStore.open(tmp_path / "graph") as local:
        for name, store in (("local", local), ("remote", remote)):
            store.replace_vocabulary()
            store.replace_report(report.id, report_graph(report))
            store.replace_report(other.id, report_graph(other))
            store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
            store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))  # added twice, held once
            count = len(store)
            store.replace_report(report.id, report_graph(report))  # replacing keeps the count
            studied = {(row.j, str(row.title)) for row in store.query(
                "SELECT DISTINCT ?j ?title WHERE { ?j fz:studied ?law . ?law rdfs:label ?title }")}
            applied = [row.law for row in store.query("SELECT ?j ?law WHERE { ?j fz:applied ?law }",
                                                      init_bindings={"j": jurisdiction_iri("411327")})]
            names = [str(row[0]) for row in store.query("SELECT ?name WHERE { ?j skos:notation '620523' ; rdfs:label ?name }")]
            asked = store.query("ASK { ?j skos:notation '620523' }").askAnswer
            described = store.query("CONSTRUCT { ?j ?p ?o } WHERE { ?j ?p ?o }",
                                    init_bindings={"j": jurisdiction_iri("620523")}).graph
            results[name] = {
                "count": count, "again": len(store), "ids": store.report_ids(),
                "size": store.graph_size(report_graph_iri(report.id)),
                "studied": studied, "applied": applied, "names": names, "asked": asked,
                "described": set(described),
                "nquads": sorted(store.serialize("nquads").splitlines()),
                "turtle": set(Graph().parse(data=store.serialize("turtle"), format="turtle")),
            }
            store.remove_report(other.id)
            results[name]["after_remove"] = store.report_ids()
    local_results, remote_results = results["local"], results["remote"]
    assert remote_results == local_results
    assert remote_results["count"] == remote_results["again"] > 1000
    assert (jurisdiction_iri("620523"), "中华人民共和国黄河保护法") in remote_results["studied"]
    assert remote_results["applied"] == [law_iri(stable_key("河南省重大行政决策程序规定"))]
    assert remote_results["names"] == ["甘谷县"] and remote_results["asked"] is True
    assert remote_results["after_remove"] == [report.id]


def test_queries_see_only_the_project_graphs(remote):
    # Virtuoso's own graphs (~2,500 triples of configuration) are in its default graph too
    assert len(remote) == 0
    assert int(next(iter(remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0]) == 0
    remote.replace_vocabulary()
    everything = int(next(iter(remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0])
    assert everything == len(remote) > 0


def test_blank_nodes_keep_their_identity(remote):
    graph_iri = report_graph_iri("1" * 16)
    graph = Graph()
    for k in range(3):
        node = BNode()
        graph.add((ID["test/holder"], FZ.value, node))
        graph.add((node, RDFS.label, Literal(f"第{k}项", lang="zh")))
        graph.add((node, SKOS.notation, Literal(str(k))))
    remote.replace_graphs({graph_iri: graph})
    rows = remote.query("SELECT ?label ?code WHERE { ?h fz:value ?n . ?n rdfs:label ?label ; skos:notation ?code }")
    assert sorted((str(row.label), str(row.code)) for row in rows) == [("第0项", "0"), ("第1项", "1"), ("第2项", "2")]
    assert remote.graph_size(graph_iri) == 9


def test_a_read_only_store_refuses_writes_and_bad_queries_are_value_errors(virtuoso):
    with RemoteStore.open(virtuoso, read_only=True) as store:
        with pytest.raises(PermissionError):
            store.remove_report("0" * 16)
        with pytest.raises(RemoteQueryError) as caught:
            store.query("SELECT ?x WHERE { ?x ?y }")
        assert isinstance(caught.value, ValueError) and virtuoso in str(caught.value)
        assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- the corpus, remote and local


@pytest.fixture(scope="module")
def local_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("local-data")
    assert main(["ingest", "--quiet", "--data", str(data), str(CORPUS)]) == 0
    return data


@pytest.fixture(scope="module")
def remote_data(virtuoso, tmp_path_factory) -> Path:
    _wipe(virtuoso)
    data = tmp_path_factory.mktemp("remote-data")
    assert main(["ingest", "--quiet", "--store", virtuoso, "--data", str(data), str(CORPUS)]) == 0
    return data


def fzkg(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_records_the_store_and_keeps_the_graph_off_the_data_directory(remote_data, virtuoso):
    assert DataDir.at(remote_data).settings()["store"] == virtuoso
    assert not (remote_data / "graph").exists()
    assert (remote_data / "index").exists()  # the search index stays local


@pytest.mark.parametrize("question, expected", [(PROGRAM_QUESTION, ["长冈乡", "洪口镇", "甘谷县"]),
                                                (LAW_QUESTION, ["甘谷县"])], ids=["program", "law"])
def test_the_card_questions_answer_as_on_the_local_store(capsys, remote_data, local_data, question, expected):
    answers = {}
    for name, data in (("local", local_data), ("remote", remote_data)):
        code, out, err = fzkg(capsys, "sparql", "--data", data, "--format", "json", question)
        assert code == 0, err
        answers[name] = json.loads(out)
    assert answers["remote"] == answers["local"]
    assert sorted(b["name"]["value"] for b in answers["remote"]["results"]["bindings"]) == sorted(expected)


@pytest.mark.parametrize("question", ["哪些县开展了“法律明白人”?", "哪些地方学习了《中华人民共和国黄河保护法》?",
                                      "长冈乡开展了哪些项目?"])
def test_questions_answer_as_on_the_local_store(capsys, remote_data, local_data, question):
    answers = {}
    for data in (remote_data, local_data):
        code, out, _ = fzkg(capsys, "ask", "--data", str(data), "--format", "json", question)
        answer = json.loads(out)
        assert code == 0 and answer["understood"]
        answers[data] = sorted(row["label"] for row in answer["answers"])
    assert answers[remote_data] == answers[local_data] and answers[local_data]


def test_stats_and_export_match_the_local_store(capsys, remote_data, local_data):
    outputs = {}
    for name, data in (("local", local_data), ("remote", remote_data)):
        code, stats, err = fzkg(capsys, "stats", "--data", data, "--format", "json")
        assert code == 0, err
        code, export, err = fzkg(capsys, "export", "--data", data, "--format", "nquads")
        assert code == 0, err
        outputs[name] = ({k: v for k, v in json.loads(stats).items() if k != "data"}, sorted(export.splitlines()))
    assert outputs["remote"] == outputs["local"]
    assert outputs["remote"][0]["triples"] > 5000


def test_reingest_leaves_the_same_triples(remote_data):
    datadir = DataDir.at(remote_data)
    with open_store(datadir, read_only=True) as store:
        before, ids = len(store), store.report_ids()
    assert main(["ingest", "--quiet", "--data", str(remote_data), str(CORPUS)]) == 0
    with open_store(datadir, read_only=True) as store:
        assert len(store) == before
        assert store.report_ids() == ids == sorted(datadir.registry())


def test_a_data_directory_keeps_the_store_it_was_built_with(capsys, remote_data, local_data, tmp_path):
    code, _, err = fzkg(capsys, "ingest", "--quiet", "--store", "http://127.0.0.1:9/sparql", "--data", remote_data)
    assert code == 2 and "was built with" in err
    code, _, err = fzkg(capsys, "ingest", "--quiet", "--store", "http://127.0.0.1:9/sparql", "--data", local_data)
    assert code == 2 and "local graph store" in err
    code, _, err = fzkg(capsys, "ingest", "--quiet", "--store", "ftp://example.org/sparql", "--data", tmp_path / "new")
    assert code == 2 and "http" in err


def test_an_unreachable_store_is_a_one_line_error(capsys, tmp_path):
    url = _closed_port_url()
    code, _, err = fzkg(capsys, "ingest", "--quiet", "--store", url, "--data", tmp_path, CORPUS / "manifest.tsv")
    assert code == 2
    assert err.strip().count("\n") == 0 and url in err


# --------------------------------------------------------------------------- the web service


@pytest.fixture(scope="module")
def apps(remote_data, local_data):
    made = {"local": create_app(local_data), "remote": create_app(remote_data)}
    for app in made.values():
        app.config.update(TESTING=True)
    yield made
    for app in made.values():
        app.blueprints["sparql"].executor.close()


def _both(apps, url, method="get", **options):
    return {name: getattr(app.test_client(), method)(url, **options) for name, app in apps.items()}


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_the_sparql_endpoint_answers_through_the_remote_store(apps, fmt):
    answers = _both(apps, "/sparql", query_string={"query": "PREFIX fz: <%s> PREFIX skos: <%s> PREFIX rdfs: <%s> %s"
                                                   % (FZ, SKOS, RDFS, PROGRAM_QUESTION), "format": fmt})
    assert answers["remote"].status_code == 200, answers["remote"].get_data(as_text=True)
    assert answers["remote"].get_data() == answers["local"].get_data()
    assert "甘谷县" in answers["remote"].get_data(as_text=True)
    assert answers["remote"].headers["X-Fzkg-Truncated"] == "false"


def test_endpoint_graphs_asks_caps_and_refusals_match(apps):
    construct = f"CONSTRUCT {{ ?j ?p ?o }} WHERE {{ ?j ?p ?o FILTER(?j = {jurisdiction_iri('620523').n3()}) }}"
    for fmt, parser in (("turtle", "turtle"), ("ntriples", "nt")):
        answers = _both(apps, "/sparql", query_string={"query": construct, "format": fmt})
        assert answers["remote"].status_code == 200
        # the same triples; the order is each server's own
        graphs = {name: set(Graph().parse(data=r.get_data(as_text=True), format=parser)) for name, r in answers.items()}
        assert graphs["remote"] == graphs["local"] and len(graphs["remote"]) > 20
    asked = _both(apps, "/sparql", query_string={"query": "ASK { ?s ?p ?o }", "format": "json"})
    assert asked["remote"].get_data() == asked["local"].get_data()
    for app in apps.values():
        app.blueprints["sparql"].executor.result_cap = 7
    try:
        capped = _both(apps, "/sparql", query_string={"query": "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s", "format": "tsv"})
        assert capped["remote"].headers["X-Fzkg-Truncated"] == "true"
        assert capped["remote"].get_data() == capped["local"].get_data()
        assert capped["remote"].get_data(as_text=True).count("\n") == 8
    finally:
        for app in apps.values():
            app.blueprints["sparql"].executor.result_cap = 10000
    update = _both(apps, "/sparql", method="post", data={"update": "DROP ALL"})
    assert update["remote"].status_code == update["local"].status_code == 403
    description = _both(apps, "/sparql", headers={"Accept": "text/turtle"})
    graphs = {name: {(s, o) for s, o in Graph().parse(data=r.get_data(as_text=True), format="turtle").subject_objects(
        VOID.triples)} for name, r in description.items()}
    assert len(graphs["remote"]) == len(graphs["local"]) > 5
    assert sorted(int(n) for _, n in graphs["remote"]) == sorted(int(n) for _, n in graphs["local"])


def test_report_pages_and_search_read_the_remote_store(apps, remote_data):
    for report_id in DataDir.at(remote_data).registry():
        for url in (f"/report/{report_id}.json", f"/report/{report_id}"):
            answers = _both(apps, url)
            assert answers["remote"].status_code == 200
            assert answers["remote"].get_data() == answers["local"].get_data()
    searched = _both(apps, "/search.json?q=%E6%B3%95%E5%BE%8B%E6%98%8E%E7%99%BD%E4%BA%BA")  # 法律明白人
    assert searched["remote"].status_code == 200
    assert searched["remote"].get_data() == searched["local"].get_data()
    home = {name: r.get_json()["statistics"] for name, r in _both(apps, "/index.json").items()}
    # Virtuoso 7.2 does not sort by a SAMPLE() of stored language-tagged labels (the order follows
    # when the labels were first stored), so lists ranked by count and then by such a label keep
    # their counts in order but their ties in any order; the top lists may cut different ties
    ranked = {"provinces": ("reports",), "top_programs": ("reports", "mentions"), "top_laws": ("reports", "mentions")}
    for key, counts in ranked.items():
        assert [[item[c] for c in counts] for item in home["remote"][key]] == \
            [[item[c] for c in counts] for item in home["local"][key]]
    assert sorted(map(json.dumps, home["remote"]["provinces"])) == sorted(map(json.dumps, home["local"]["provinces"]))
    assert {k: v for k, v in home["remote"].items() if k not in ranked} == \
        {k: v for k, v in home["local"].items() if k not in ranked}


def test_remove_removes_from_the_remote_store(capsys, remote_data):
    datadir = DataDir.at(remote_data)
    gangu = next(rid for rid, meta in datadir.registry().items() if meta["jurisdiction"] == "甘谷县")
    code, _, err = fzkg(capsys, "remove", "--data", remote_data, gangu)
    assert code == 0, err
    with open_store(datadir, read_only=True) as store:
        assert gangu not in store.report_ids()
        assert not list(store.query(LAW_QUESTION))
    code, out, _ = fzkg(capsys, "sparql", "--data", remote_data, "--format", "csv", PROGRAM_QUESTION)
    assert "甘谷县" not in out and "长冈乡" in out
