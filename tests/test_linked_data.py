"""Linked Data over the ingested corpus: entity pages and their RDF, the dumps, the VoID
description and the query editor's examples, through Flask's test client."""
from __future__ import annotations

import gzip
import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import CORPUS
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS

from ingest.datadir import DataDir
from ontology import FZ, ID, OA, VOID, jurisdiction_iri, local_id
from web.app import create_app
from web.pages import editor

HUANGHE = "中华人民共和国黄河保护法"
GANGU = jurisdiction_iri("620523")  # 甘谷县, under 天水市 under 甘肃省
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
             "application/rdf+xml": "xml"}
SUFFIXES = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
            "nt": ("application/n-triples", "nt"), "rdf": ("application/rdf+xml", "xml")}


@pytest.fixture(scope="module")
def datadir(tmp_path_factory) -> DataDir:
    from web.commands.ingest import run_ingest

    datadir = DataDir.at(tmp_path_factory.mktemp("linked") / "data")
    result = run_ingest([CORPUS], datadir, quiet=True)
    assert result.ingested and not result.failures
    return datadir


@pytest.fixture(scope="module")
def app(datadir):
    app = create_app(datadir.root, deadline=10)
    app.config.update(TESTING=True)
    yield app
    app.blueprints["sparql"].executor.close()


@pytest.fixture()
def client(app):
    return app.test_client()


def first(client, query: str):
    """The first row of a SELECT run through the store (for IRIs the tests need)."""
    from web.context import EXTENSION

    rows = list(client.application.extensions[EXTENSION].graph.query(query))
    assert rows, query
    return rows[0]


@pytest.fixture(scope="module")
def huanghe(app) -> URIRef:
    with app.app_context():
        return URIRef(first(app.test_client(), f'SELECT ?law WHERE {{ ?law rdfs:label "{HUANGHE}"@zh }}')[0])


def path_of(iri) -> str:
    return f"/id/{local_id(iri)}"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize("accept", [None, "*/*", "text/html", BROWSER_ACCEPT, "application/x-unknown, */*;q=0.1"])
def test_entity_is_html_for_browsers_and_anything(client, huanghe, accept):
    response = client.get(path_of(huanghe), headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.vary
    assert soup(response).find(id="entity-label").get_text() == HUANGHE


@pytest.mark.parametrize("media_type", sorted(RDF_TYPES))
def test_entity_rdf_by_accept_parses_and_describes_the_entity(client, huanghe, media_type):
    response = client.get(path_of(huanghe), headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = Graph().parse(data=response.get_data(), format=RDF_TYPES[media_type])
    assert (huanghe, RDFS.label, Literal(HUANGHE, lang="zh")) in graph
    assert (huanghe, RDF.type, FZ.Law) in graph
    # the statements about the law come with their evidence sentences
    statements = set(graph.subjects(FZ.object, huanghe))
    assert statements
    for statement in statements:
        assert (statement, FZ.jurisdiction, GANGU) in graph
        evidence = graph.value(statement, FZ.evidence)
        assert HUANGHE in str(graph.value(evidence, OA.exact))
    # every subject is the law, one of its statements or their evidence: a bounded description
    evidence_nodes = {graph.value(s, FZ.evidence) for s in statements}
    assert set(graph.subjects()) == {huanghe} | statements | evidence_nodes


def test_turtle_uses_the_project_prefixes(client, huanghe):
    text = client.get(path_of(huanghe), headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert f"@prefix fz: <{FZ}> ." in text
    assert "rdfs:label" in text and "^^xsd:string" not in text


def test_all_rdf_forms_and_suffixes_carry_the_same_graph(client, huanghe):
    reference = Graph().parse(data=client.get(path_of(huanghe), headers={"Accept": "text/turtle"}).get_data(),
                              format="turtle")
    assert len(reference) > 10
    for suffix, (media_type, parser) in SUFFIXES.items():
        response = client.get(f"{path_of(huanghe)}.{suffix}", headers={"Accept": "text/html"})
        assert response.status_code == 200, suffix
        assert response.mimetype == media_type
        assert isomorphic(Graph().parse(data=response.get_data(), format=parser), reference), suffix
    for media_type, parser in RDF_TYPES.items():
        body = client.get(path_of(huanghe), headers={"Accept": media_type}).get_data()
        assert isomorphic(Graph().parse(data=body, format=parser), reference), media_type


def test_json_suffix_is_the_twin_of_the_page(client, huanghe):
    response = client.get(f"{path_of(huanghe)}.json")
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["iri"] == str(huanghe) and data["label"] == HUANGHE
    assert any(fact["subject"]["label"] == "甘谷县" for fact in data["facts"])
    assert data["data_version"]


def test_unacceptable_type_is_406_with_the_offered_types(client, huanghe):
    response = client.get(path_of(huanghe), headers={"Accept": "application/x-unknown"})
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    for media_type in ("text/html", "text/turtle", "application/ld+json", "application/n-triples",
                       "application/rdf+xml"):
        assert media_type in text


def test_alternate_links_name_every_rdf_form(client, huanghe):
    response = client.get(path_of(huanghe))
    for suffix, (media_type, _) in SUFFIXES.items():
        assert f'<{path_of(huanghe)}.{suffix}>; rel="alternate"; type="{media_type}"' in response.headers["Link"]
        assert soup(response).find("link", rel="alternate", type=media_type)["href"] == f"{path_of(huanghe)}.{suffix}"


@pytest.mark.parametrize("path", ["/id/law/no-such-law", "/id/law/no-such-law.ttl", "/id/nothing",
                                  "/id/law/no-such-law.json"])
def test_unknown_entity_is_404(client, path):
    assert client.get(path, headers={"Accept": "text/turtle"} if "." not in path else {}).status_code == 404


def test_page_names_the_canonical_iri_at_any_host(client, huanghe):
    response = client.get(path_of(huanghe), base_url="http://mirror.example:8080")
    assert soup(response).find(id="entity-iri").get_text() == str(huanghe)
    graph = Graph().parse(data=client.get(path_of(huanghe) + ".ttl", base_url="http://mirror.example:8080").get_data(),
                          format="turtle")
    assert (huanghe, RDF.type, FZ.Law) in graph


# --------------------------------------------------------------------------- what pages show


def entity_link_texts(page: BeautifulSoup) -> list[str]:
    """Texts of the links to entity pages, leaving out the format links (Turtle, RDF/XML …)."""
    main = page.find("main")
    return [a.get_text() for a in main.find_all("a") if a.get("href", "").startswith("/id/")
            and a.find_parent(class_="formats") is None]


def test_entity_page_shows_labels_not_iris(client, huanghe):
    page = soup(client.get(path_of(huanghe)))
    texts = entity_link_texts(page)
    assert "甘谷县" in texts
    assert texts and not any(text.startswith(("http", "fzid:")) or "/" in text for text in texts)
    # properties are named too, including those of other vocabularies
    headers = [th.get_text(" ", strip=True) for th in page.select("table.properties th")]
    assert "效力位阶" in headers and "类型" in headers and "学习 (1)" in headers


def test_evidence_links_slice_the_sentence_out_of_the_report(client, datadir):
    page = soup(client.get(path_of(GANGU)))
    quotes = page.select("blockquote.evidence")
    assert len(quotes) > 20
    for quote in quotes:
        link = quote.select_one("a.evidence-link")
        parts = urlsplit(link["href"])
        report_id = parts.path.removeprefix("/report/")
        start, end = map(int, re.fullmatch(r"char=(\d+),(\d+)", parts.fragment).groups())
        assert datadir.read_text(report_id)[start:end] == quote.p.get_text()


def test_jurisdiction_page_shows_parent_chain_and_children(client):
    page = soup(client.get(path_of(GANGU)))
    assert [li.get_text() for li in page.select(".breadcrumb li")] == ["甘肃省", "天水市", "甘谷县"]
    parent = soup(client.get(page.select(".breadcrumb li a")[-1]["href"]))
    assert "甘谷县" in [a.get_text() for a in parent.select(".children a")]


def test_program_page_lists_who_ran_it(client):
    data = client.get("/id/program/falv-mingbairen.json").get_json()
    assert data["label"] == "法律明白人"
    ran = next(group for group in data["incoming"] if group["property"]["iri"] == str(FZ.ranProgram))
    assert {value["label"] for value in ran["values"]} >= {"甘谷县"}
    assert all(fact["evidence"]["text"] for fact in data["facts"])


def test_labels_follow_the_page_language(client):
    english = client.get("/id/program/falv-mingbairen.json?lang=en").get_json()
    assert english["label"] == "Legally literate villagers"
    ran = next(group for group in english["incoming"] if group["property"]["iri"] == str(FZ.ranProgram))
    assert ran["property"]["label"] == "ran program"
    # a name that exists only in Chinese is still shown
    assert {value["label"] for value in ran["values"]} >= {"甘谷县"}


def test_report_without_title_gets_a_composed_label(client):
    data = client.get("/id/report/1b440f2b7a3af9e8.json")
    if data.status_code == 404:
        pytest.skip("corpus changed: report 1b440f2b7a3af9e8 is gone")
    assert data.get_json()["label"] == "长冈乡2024年法治政府建设报告"
    assert data.get_json()["report_page"] == "/report/1b440f2b7a3af9e8"


def test_statement_and_evidence_nodes_dereference(client, huanghe):
    law = client.get(f"{path_of(huanghe)}.json").get_json()
    fact = law["facts"][0]
    statement = client.get(fact["href"] + ".json").get_json()
    assert statement["label"] == f"甘谷县 学习 {HUANGHE}"
    evidence = client.get(path_of(fact["evidence"]["iri"]) + ".json").get_json()
    assert evidence["facts"][0]["evidence"]["text"] == fact["evidence"]["text"]


def test_labels_api(client, huanghe):
    response = client.post("/labels", json={"iris": [str(huanghe), str(FZ.studied), str(RDF.type)]})
    labels = response.get_json()["labels"]
    assert labels == {str(huanghe): HUANGHE, str(FZ.studied): "学习", str(RDF.type): "类型"}
    assert response.get_json()["links"] == {str(huanghe): path_of(huanghe)}
    assert client.post("/labels", json={"iris": "x"}).status_code == 400


# --------------------------------------------------------------------------- dumps and VoID


def store_triple_count(client) -> int:
    return int(first(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")[0])


@pytest.mark.parametrize("name, parser", [("fzkg.ttl.gz", "turtle"), ("fzkg.nt.gz", "nt")])
def test_dump_gunzips_parses_and_is_cached(client, app, name, parser):
    with app.app_context():
        expected = store_triple_count(client)
    response = client.get(f"/dump/{name}")
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert "attachment" in response.headers["Content-Disposition"]
    graph = Graph().parse(data=gzip.decompress(response.get_data()), format=parser)
    assert len(graph) == expected
    assert client.get(f"/dump/{name}", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    again = client.get(f"/dump/{name}")
    assert again.get_data() == response.get_data()
    assert client.get("/dump/fzkg.zip").status_code == 404


def test_void_counts_and_links(client, app):
    with app.app_context():
        expected = store_triple_count(client)
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(), format="turtle")
    dataset = graph.value(predicate=RDF.type, object=VOID.Dataset)
    assert dataset == ID["dataset/fzkg"]
    assert int(graph.value(dataset, VOID.triples)) == expected
    dumps = {str(o) for o in graph.objects(dataset, VOID.dataDump)}
    assert dumps == {"http://localhost/dump/fzkg.ttl.gz", "http://localhost/dump/fzkg.nt.gz"}
    assert str(graph.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    assert URIRef(str(FZ)) in set(graph.objects(dataset, VOID.vocabulary))
    assert graph.value(dataset, DCTERMS.modified) is not None
    laws = next(part for part in graph.objects(dataset, VOID.classPartition)
                if graph.value(part, VOID["class"]) == FZ.Law)
    with app.app_context():
        count = int(first(client, "SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l a fz:Law }")[0])
    assert int(graph.value(laws, VOID.entities)) == count
    studied = next(part for part in graph.objects(dataset, VOID.propertyPartition)
                   if graph.value(part, VOID.property) == FZ.studied)
    assert int(graph.value(studied, VOID.triples)) >= 1


def test_above_its_report_limit_the_void_leaves_out_the_counts_and_says_why(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STATISTICS_MAX_REPORTS", 4)  # the corpus has 5 reports
    graph = Graph().parse(data=client.get("/void.ttl").get_data(), format="turtle")
    dataset = graph.value(predicate=RDF.type, object=VOID.Dataset)
    assert graph.value(dataset, VOID.triples) is None and not list(graph.objects(dataset, VOID.classPartition))
    assert str(graph.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    data = client.get("/dump.json").get_json()
    assert data["triples"] is None and data["statistics_limit"] == 4
    page = BeautifulSoup(client.get("/dump").get_data(as_text=True), "html.parser")
    assert "FZKG_STATISTICS_MAX_REPORTS" in page.find(id="statistics-limit").text
    assert page.find(id="void-triples") is None
    monkeypatch.setitem(app.config, "STATISTICS_MAX_REPORTS", 5)
    assert client.get("/dump.json").get_json()["triples"] > 0


def test_void_by_negotiation(client):
    turtle = Graph().parse(data=client.get("/void.ttl").get_data(), format="turtle")
    jsonld = client.get("/void", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert isomorphic(Graph().parse(data=jsonld.get_data(), format="json-ld"), turtle)
    html = client.get("/void", headers={"Accept": BROWSER_ACCEPT})
    assert html.mimetype == "text/html"
    assert soup(html).find(id="void-triples").get_text().replace(",", "") == str(int(turtle.value(
        ID["dataset/fzkg"], VOID.triples)))
    assert client.get("/void", headers={"Accept": "application/x-unknown"}).status_code == 406
    assert client.get("/id/dataset/fzkg", headers={"Accept": "text/turtle"}).headers["Location"].endswith("/void.ttl")


def test_dump_page_lists_the_files(client):
    page = soup(client.get("/dump"))
    assert {a["href"] for a in page.select("a.dump-link")} == {"/dump/fzkg.ttl.gz", "/dump/fzkg.nt.gz"}
    data = client.get("/dump.json").get_json()
    assert data["triples"] > 1000 and {d["format"] for d in data["dumps"]} == {"ttl", "nt"}


# --------------------------------------------------------------------------- query editor


@pytest.mark.parametrize("example", editor.examples(), ids=lambda e: e["id"])
def test_every_example_query_returns_rows(client, example):
    response = client.post("/sparql", data={"query": example["query"]},
                           headers={"Accept": "application/sparql-results+json, application/n-triples;q=0.9"})
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.mimetype == "application/n-triples":
        assert len(Graph().parse(data=response.get_data(), format="nt")) >= 1
    else:
        assert len(response.get_json()["results"]["bindings"]) >= 1


def test_example_queries_declare_only_what_they_use():
    for example in editor.examples():
        declared = re.findall(r"^PREFIX (\w+):", example["query"], re.MULTILINE)
        body = example["query"].split("\n\n", 1)[1]
        assert declared and all(f"{prefix}:" in body for prefix in declared), example["id"]
    assert editor.prefix_block("PREFIX fz: <x>\nSELECT * { ?s fz:year ?y ; rdfs:label ?l }") == \
        f"PREFIX rdfs: <{RDFS}>\n"


def test_browser_without_query_at_sparql_lands_in_the_editor(client):
    response = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 303 and response.headers["Location"].endswith("/query")
    # machines still get the service description
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


def test_editor_page_has_gallery_and_reproduces_share_links(client):
    page = soup(client.get("/query"))
    titles = [a.get_text() for a in page.select("a.example")]
    assert len(titles) == len(editor.examples()) and "哪些地方开展了“法律明白人”工作" in titles
    shared = client.get("/query?" + "q=SELECT+%3Fs+WHERE+%7B+%3Fs+a+fz%3ALaw+%7D&view=json")
    page = soup(shared)
    assert page.find(id="query-text").get_text() == "SELECT ?s WHERE { ?s a fz:Law }"
    assert page.select_one("#view-select option[selected]")["value"] == "json"
    config = shared.get_data(as_text=True)
    assert '"run": true' in config
    example = soup(client.get("/query?example=law-huanghe")).find(id="query-text").get_text()
    assert HUANGHE in example and example.startswith("PREFIX")
    assert client.get("/query?example=nope").status_code == 404
    assert client.get("/query?view=pie").status_code == 400


def test_editor_assets_are_served_from_the_npm_package(client):
    if not editor.assets_installed():
        pytest.skip("web/assets/node_modules is missing: run scripts/setup")
    page = soup(client.get("/query"))
    sources = [s["src"] for s in page.find_all("script", src=True)]
    assert "/assets/codemirror/lib/codemirror.js" in sources
    for source in sources + [link["href"] for link in page.find_all("link", rel="stylesheet")]:
        assert client.get(source).status_code == 200, source
    assert client.get("/assets/codemirror/package.json").status_code == 404


def test_missing_assets_give_a_clear_message(client, monkeypatch, tmp_path):
    monkeypatch.setattr(editor, "CODEMIRROR", tmp_path / "codemirror")
    page = soup(client.get("/query"))
    assert page.find(id="assets-missing") is not None
    assert not any("codemirror" in s["src"] for s in page.find_all("script", src=True))
    assert page.find(id="query-text") is not None  # the plain text box still works
    response = client.get("/assets/codemirror/lib/codemirror.js")
    assert response.status_code == 404 and "scripts/setup" in response.get_data(as_text=True)


def test_share_link_of_gallery_entry_round_trips(client):
    example = editor.examples()[0]
    page = soup(client.get("/query", query_string={"q": example["query"], "view": "table"}))
    assert page.find(id="query-text").get_text() == example["query"]
