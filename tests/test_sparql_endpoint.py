"""The /sparql endpoint over real HTTP: a waitress server on loopback, queried by real clients
(SPARQLWrapper, rdflib's SPARQLStore) and by plain urllib for status codes and headers."""
from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import waitress
from flask import Flask
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, URLENCODED, XML, SPARQLWrapper

from ontology import FZ, ID, SD, VOID, report_graph_iri, report_iri
from sparql_store import CONCEPTS, REPORTS, TRICKY_TEXT, VOCABULARY_GRAPH, build_store
from web.sparql import create_blueprint

DEADLINE = 2.0
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TITLES = f"""PREFIX dct: <{DCTERMS}>
SELECT ?report ?title WHERE {{ ?report dct:title ?title }} ORDER BY ?title"""
CONCEPT_LABELS = f"SELECT ?c ?l WHERE {{ ?c <{SKOS.prefLabel}> ?l }} ORDER BY ?l"
ASK_ANY = "ASK { ?s ?p ?o }"


def create_test_app(datadir, **options) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(datadir, **options))
    return app


@contextmanager
def live_server(app: Flask):
    """Serve ``app`` with waitress on a free loopback port; yields the endpoint URL."""
    # A short loop timeout lets close() stop the server thread quickly.
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/sparql"
    finally:
        # close() must run on the server's own loop thread: closing the sockets from here
        # would pull them out from under its select().
        server.trigger.pull_trigger(server.close)
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        app.blueprints["sparql"].executor.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("endpoint"))


@pytest.fixture(scope="module")
def endpoint(sample):
    with live_server(create_test_app(sample.datadir, deadline=DEADLINE, result_cap=1000)) as url:
        yield url


@pytest.fixture(scope="module")
def capped_endpoint(sample):
    with live_server(create_test_app(sample.datadir, result_cap=5, workers=1)) as url:
        yield url


@dataclass
class Reply:
    status: int
    headers: object
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


def http(url: str, *, params: dict | list | None = None, data: bytes | None = None,
         headers: dict | None = None, method: str | None = None) -> Reply:
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def wrapper(url: str, query: str, return_format: str) -> SPARQLWrapper:
    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    return client


def expected_titles() -> list[tuple[str, str]]:
    return sorted(((str(report_iri(key)), title) for key, title in REPORTS.items()), key=lambda pair: pair[1])


# --------------------------------------------------------------------------- real clients


def test_sparqlwrapper_json(endpoint):
    result = wrapper(endpoint, TITLES, JSON).query().convert()
    rows = [(row["report"]["value"], row["title"]["value"]) for row in result["results"]["bindings"]]
    assert rows == expected_titles()
    assert {row["title"]["xml:lang"] for row in result["results"]["bindings"]} == {"zh"}
    assert "fzkg" not in result  # only truncated answers carry the marker


def test_sparqlwrapper_xml(endpoint):
    document = wrapper(endpoint, TITLES, XML).query().convert()
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == [title for _, title in expected_titles()]


def test_sparqlwrapper_csv(endpoint):
    body = wrapper(endpoint, TITLES, CSV).query().convert()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["report", "title"]
    assert [tuple(row) for row in rows[1:]] == expected_titles()


def test_sparqlwrapper_tsv_keeps_escapes(endpoint):
    query = f"SELECT ?comment WHERE {{ ?r <{RDFS.comment}> ?comment }}"
    body = wrapper(endpoint, query, TSV).query().convert().decode("utf-8")
    header, row = body.rstrip("\n").split("\n")
    assert header == "?comment"
    # One line per row: tab, newline, quotes and backslash are escaped as in N-Triples.
    escaped = TRICKY_TEXT.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    assert row == f'"{escaped}"@zh'



@pytest.mark.parametrize("method", [URLENCODED, POSTDIRECTLY])
def test_sparqlwrapper_post_methods(endpoint, method):
    query = f'SELECT ?c WHERE {{ ?c <{SKOS.prefLabel}> "概念07"@zh }}'
    client = wrapper(endpoint, query, JSON)
    client.setMethod(POST)
    client.setRequestMethod(method)
    rows = client.query().convert()["results"]["bindings"]
    assert [row["c"]["value"] for row in rows] == [str(FZ.Concept7)]


def test_sparqlwrapper_ask(endpoint):
    assert wrapper(endpoint, ASK_ANY, JSON).query().convert()["boolean"] is True
    assert wrapper(endpoint, f"ASK {{ ?s ?p <{ID['absent']}> }}", JSON).query().convert()["boolean"] is False


@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore_select(endpoint, return_format):
    graph = Graph(store=SPARQLStore(query_endpoint=endpoint, returnFormat=return_format))
    rows = [(str(row.report), row.title) for row in graph.query(TITLES)]
    assert rows == [(iri, Literal(title, lang="zh")) for iri, title in expected_titles()]


def test_rdflib_sparqlstore_construct(endpoint):
    graph = Graph(store=SPARQLStore(query_endpoint=endpoint))
    result = graph.query(f"CONSTRUCT {{ ?c <{SKOS.prefLabel}> ?l }} WHERE {{ ?c a <{SKOS.Concept}> ; "
                         f"<{SKOS.prefLabel}> ?l }}")
    expected = Graph()
    for k in range(CONCEPTS):
        expected.add((FZ[f"Concept{k}"], SKOS.prefLabel, Literal(f"概念{k:02d}", lang="zh")))
    assert isomorphic(result.graph, expected)


@pytest.mark.parametrize("fmt, rdflib_format", [
    ("turtle", "turtle"), ("nt", "nt"), ("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml"),
    ("xml", "xml"),
])
def test_construct_formats_parse_to_the_same_graph(endpoint, fmt, rdflib_format):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{report_graph_iri('r1')}> {{ ?s ?p ?o }} }}"
    reply = http(endpoint, params={"query": query, "format": fmt})
    assert reply.status == 200, reply.text
    graph = Graph().parse(data=reply.body, format=rdflib_format)
    turtle = http(endpoint, params={"query": query})  # CONSTRUCT defaults to Turtle
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert isomorphic(graph, Graph().parse(data=turtle.body, format="turtle"))
    assert (report_iri("r1"), DCTERMS.title, Literal(REPORTS["r1"], lang="zh")) in graph


# --------------------------------------------------------------------------- protocol details


def test_get_form_post_and_direct_post_agree(endpoint):
    query = f'SELECT ?r WHERE {{ ?r <{DCTERMS.title}> "{REPORTS["r2"]}"@zh }}'
    accept = {"Accept": "application/sparql-results+json"}
    replies = [
        http(endpoint, params={"query": query}, headers=accept),
        http(endpoint, data=urllib.parse.urlencode({"query": query}).encode(),
             headers={**accept, "Content-Type": "application/x-www-form-urlencoded"}),
        http(endpoint, data=query.encode("utf-8"),
             headers={**accept, "Content-Type": "application/sparql-query; charset=utf-8"}),
    ]
    for reply in replies:
        assert reply.status == 200, reply.text
        assert [row["r"]["value"] for row in reply.json()["results"]["bindings"]] == [str(report_iri("r2"))]


@pytest.mark.parametrize("accept, content_type", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    # A browser prefers application/xml (q=0.9) to anything else (q=0.8): XML results, as asked.
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
    ("text/html,*/*;q=0.8", "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
])
def test_accept_header_chooses_the_format(endpoint, accept, content_type):
    reply = http(endpoint, params={"query": CONCEPT_LABELS}, headers={"Accept": accept} if accept else {})
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == content_type


def test_format_parameter_wins_over_accept(endpoint):
    reply = http(endpoint, params={"query": CONCEPT_LABELS, "format": "csv"},
                 headers={"Accept": "application/sparql-results+xml"})
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert reply.text.splitlines()[1].endswith("概念00")


@pytest.mark.parametrize("params, headers", [
    ({"query": CONCEPT_LABELS, "format": "turtle"}, {}),
    ({"query": CONCEPT_LABELS}, {"Accept": "image/png"}),
    ({"query": ASK_ANY, "format": "csv"}, {}),
    ({"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "tsv"}, {}),
    ({"service-description": "", "format": "csv"}, {}),
])
def test_unknown_format_is_406_with_the_list(endpoint, params, headers):
    reply = http(endpoint, params=params, headers=headers)
    assert reply.status == 406
    assert "available formats" in reply.text
    assert ("json" in reply.text) or ("turtle" in reply.text)


def test_default_and_named_graph_uri(endpoint):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    reply = http(endpoint, params={"query": count, "default-graph-uri": str(VOCABULARY_GRAPH)})
    assert reply.json()["results"]["bindings"][0]["n"]["value"] == str(2 * CONCEPTS)
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    reply = http(endpoint, params=[("query", graphs), ("named-graph-uri", str(report_graph_iri("r1"))),
                                   ("named-graph-uri", str(report_graph_iri("r3")))])
    assert [row["g"]["value"] for row in reply.json()["results"]["bindings"]] == sorted(
        [str(report_graph_iri("r1")), str(report_graph_iri("r3"))])


def test_bad_graph_iri_is_400_and_escaped_in_html(endpoint):
    reply = http(endpoint, params={"query": ASK_ANY, "default-graph-uri": "<script>alert(1)</script>"},
                 headers={"Accept": "text/html"})
    assert reply.status == 400
    assert "&lt;script&gt;" in reply.text and "<script>" not in reply.text


def test_data_version_on_every_response(endpoint, sample):
    version = sample.datadir.version()
    assert version != "empty"
    replies = [
        http(endpoint, params={"query": ASK_ANY}),
        http(endpoint, params={"query": "SELECT * WHERE {"}),
        http(endpoint, params={"update": "CLEAR ALL"}),
        http(endpoint, method="PUT", data=b"x"),
        http(endpoint, headers={"Accept": "text/turtle"}),
    ]
    assert [reply.status for reply in replies] == [200, 400, 403, 405, 200]
    assert {reply.headers["X-Fzkg-Data-Version"] for reply in replies} == {version}


def test_data_version_follows_the_registry(tmp_path):
    sample = build_store(tmp_path / "data")
    app = create_test_app(sample.datadir, workers=1)
    old_version = sample.datadir.version()
    with app.test_client() as client:
        before = client.get("/sparql", query_string={"query": ASK_ANY}).headers["X-Fzkg-Data-Version"]
        sample.datadir.save_registry({**sample.datadir.registry(), "r5": {"title": "新增"}})
        after = client.get("/sparql", query_string={"query": ASK_ANY}).headers["X-Fzkg-Data-Version"]
    app.blueprints["sparql"].executor.close()
    assert before == old_version
    assert after == sample.datadir.version() != old_version


def test_head_answers_like_get_without_a_body(endpoint):
    reply = http(endpoint, params={"query": ASK_ANY}, method="HEAD")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["Content-Type"] == "application/sparql-results+json"


def test_unsupported_post_body_is_415(endpoint):
    reply = http(endpoint, data=ASK_ANY.encode(), headers={"Content-Type": "text/plain"})
    assert reply.status == 415
    assert "application/sparql-query" in reply.text


# --------------------------------------------------------------------------- read-only, local only


@pytest.mark.parametrize("operation", [
    f"INSERT DATA {{ <{ID['a']}> <{ID['b']}> \"新\"@zh }}",
    f"DELETE WHERE {{ ?s ?p ?o }}",
    f"LOAD <{ID['remote.ttl']}>",
    "CLEAR ALL",
    f"PREFIX fz: <{FZ}> DROP GRAPH <{VOCABULARY_GRAPH}>",
])
def test_update_as_query_is_refused(endpoint, operation):
    reply = http(endpoint, params={"query": operation})
    assert reply.status == 403
    assert "read-only" in reply.text
    assert reply.headers["X-Fzkg-Error"] == "update-refused"


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY])
def test_sparqlwrapper_update_is_refused(endpoint, request_method):
    client = SPARQLWrapper(endpoint)
    client.setQuery(f"INSERT DATA {{ <{ID['a']}> <{ID['b']}> <{ID['c']}> }}")
    client.setMethod(POST)
    client.setRequestMethod(request_method)  # update= form field, or an application/sparql-update body
    with pytest.raises(urllib.error.HTTPError) as raised:
        client.query()
    assert raised.value.code == 403
    assert b"read-only" in raised.value.read()
    count = http(endpoint, params={"query": f"ASK {{ <{ID['a']}> ?p ?o }}"})
    assert count.json()["boolean"] is False


@pytest.mark.parametrize("query", [
    f"SELECT * WHERE {{ SERVICE <{ID['sparql']}> {{ ?s ?p ?o }} }}",
    f"select * where {{ ?s ?p ?o . service silent <{ID['sparql']}> {{ ?s ?q ?x }} }}",
])
def test_service_is_refused(endpoint, query):
    reply = http(endpoint, params={"query": query})
    assert reply.status == 400
    assert "SERVICE" in reply.text and "federated" in reply.text


def test_service_inside_a_string_is_not_refused(endpoint):
    query = f'SELECT ?r WHERE {{ ?r ?p ?text FILTER(CONTAINS(STR(?text), "SERVICE")) }}  # SERVICE <{ID["x"]}>'
    reply = http(endpoint, params={"query": query})
    assert reply.status == 200, reply.text
    assert [row["r"]["value"] for row in reply.json()["results"]["bindings"]] == [str(report_iri("r1"))]


def test_syntax_error_is_400_with_the_parser_message(endpoint):
    reply = http(endpoint, params={"query": "SELECT ?s WHERE { ?s ?p }"}, headers={"Accept": "application/json"})
    assert reply.status == 400
    assert reply.json()["error"] == "syntax-error"
    assert "error at 1:" in reply.json()["message"]


# --------------------------------------------------------------------------- deadline and cap


def test_pathological_query_times_out_and_the_server_recovers(endpoint):
    outcome = {}

    def run_slow_query():
        started = time.monotonic()
        outcome["reply"] = http(endpoint, params={"query": CROSS_PRODUCT})
        outcome["elapsed"] = time.monotonic() - started

    slow = threading.Thread(target=run_slow_query)
    slow.start()
    time.sleep(0.3)
    # The other worker keeps answering while one is stuck.
    started = time.monotonic()
    assert http(endpoint, params={"query": ASK_ANY}).json()["boolean"] is True
    assert time.monotonic() - started < 1.0
    slow.join()

    reply = outcome["reply"]
    assert reply.status in (503, 504)
    assert reply.headers["X-Fzkg-Error"] == "timeout"
    assert f"{DEADLINE:g} s" in reply.text
    assert outcome["elapsed"] < DEADLINE + 1.0
    after = http(endpoint, params={"query": TITLES})
    assert after.status == 200 and len(after.json()["results"]["bindings"]) == len(REPORTS)


def test_result_cap_is_reported(capped_endpoint):
    reply = http(capped_endpoint, params={"query": CONCEPT_LABELS})  # 20 rows, cap 5
    assert reply.status == 200
    assert reply.headers["X-Fzkg-Result-Cap"] == "5"
    assert reply.headers["X-Fzkg-Truncated"] == "true"
    assert reply.json()["fzkg"] == {"truncated": True, "cap": 5}
    assert len(reply.json()["results"]["bindings"]) == 5

    csv_reply = http(capped_endpoint, params={"query": CONCEPT_LABELS, "format": "csv"})
    assert csv_reply.headers["X-Fzkg-Truncated"] == "true"
    assert len(csv_reply.text.splitlines()) == 1 + 5

    small = http(capped_endpoint, params={"query": TITLES})
    assert small.headers["X-Fzkg-Truncated"] == "false" and "fzkg" not in small.json()


def test_truncation_marker_does_not_break_clients(capped_endpoint):
    result = wrapper(capped_endpoint, CONCEPT_LABELS, JSON).query().convert()
    assert [row["l"]["value"] for row in result["results"]["bindings"]] == [f"概念{k:02d}" for k in range(5)]
    assert result["fzkg"]["truncated"] is True
    graph = Graph(store=SPARQLStore(query_endpoint=capped_endpoint, returnFormat="json"))
    assert len(list(graph.query(CONCEPT_LABELS))) == 5


# --------------------------------------------------------------------------- service description


@pytest.mark.parametrize("params, headers", [
    ({}, {"Accept": "text/turtle"}),
    ({"service-description": ""}, {}),
    ({}, {}),
])
def test_service_description(endpoint, sample, params, headers):
    reply = http(endpoint, params=params, headers=headers)
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=reply.body, format="turtle")
    [service] = graph.subjects(RDF.type, SD.Service)
    assert (service, SD.endpoint, URIRef(endpoint)) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    result_formats = set(graph.objects(service, SD.resultFormat))
    assert len(result_formats) == 8
    dataset = graph.value(service, SD.defaultDataset)
    assert (graph.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in graph
    sizes = {graph.value(entry, SD.name): graph.value(graph.value(entry, SD.graph), VOID.triples).toPython()
             for entry in graph.objects(dataset, SD.namedGraph)}
    assert set(sizes) == {report_graph_iri(key) for key in REPORTS} | {VOCABULARY_GRAPH}
    assert sum(sizes.values()) == sample.triples


def test_browser_without_query_is_told_to_send_one(endpoint):
    reply = http(endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert reply.status == 400
    assert "query is needed" in reply.text


def test_query_editor_hook_serves_browsers(sample):
    app = create_test_app(sample.datadir, query_editor=lambda: ("<p>editor</p>", 200))
    with app.test_client() as client:
        page = client.get("/sparql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.data == b"<p>editor</p>"
        description = client.get("/sparql", headers={"Accept": "text/turtle"})
        assert description.status_code == 200 and b"sd:endpoint" in description.data
    app.blueprints["sparql"].executor.close()


def test_service_description_without_a_store(tmp_path):
    app = create_test_app(tmp_path / "empty", workers=1)
    with app.test_client() as client:
        reply = client.get("/sparql", headers={"Accept": "text/turtle"})
        assert reply.status_code == 200
        assert reply.headers["X-Fzkg-Data-Version"] == "empty"
        graph = Graph().parse(data=reply.data, format="turtle")
        assert not list(graph.objects(None, SD.namedGraph))
        assert client.get("/sparql", query_string={"query": ASK_ANY}).status_code == 503
    app.blueprints["sparql"].executor.close()
