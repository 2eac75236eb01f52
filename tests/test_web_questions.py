"""The answer page (/ask) and the links pages (/links/…) through Flask's test client, against a
data directory ingested once from the embedded corpus: what a researcher reads on them must be
what the graph, the stored text and the SPARQL endpoint say."""
from __future__ import annotations

import csv
import io
import json
import threading
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import networkx as nx
import pytest

from ingest.datadir import DataDir
from ingest.store import GraphStore
from ontology import initiative_iri, jurisdiction_iri, local_id, program_iri, report_iri
from search import links
from search.export import BOM, PROVENANCE
from search.questions import answer_question
from search.questions.link import Linker
from search.questions.rows import Paging

MINGBAIREN_Q = "哪些县开展了“法律明白人”?"
HUANGHE_Q = "哪些地方学习了《中华人民共和国黄河保护法》?"
CARD_QUESTIONS = [MINGBAIREN_Q, HUANGHE_Q]
AMBIGUOUS_PLACE_Q = "城关镇开展了哪些项目?"
AMBIGUOUS_THING_Q = "哪些地方开展了顾问?"
UNKNOWN_TERM_Q = "哪些地方开展了“社区矫正”?"
OFF_TOPIC_Q = "今天天气怎么样?"
MINGBAIREN = str(program_iri("falv-mingbairen"))
XINGFA = str(initiative_iri("兴法铺子"))
GANGU = str(jurisdiction_iri("620523"))


@pytest.fixture(scope="module")
def datadir(corpus_datadir) -> DataDir:
    return corpus_datadir


@pytest.fixture(scope="module")
def app(corpus_app):
    return corpus_app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def store(datadir):
    with GraphStore.open(datadir.graph, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def graph(store) -> nx.Graph:
    return links.build_graph(store)


def ask_path(question: str, suffix: str = "") -> str:
    return f"/ask{suffix}?" + urlencode({"q": question})


def get(client, url: str, status: int = 200, mimetype: str = "text/html"):
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:600])
    assert response.mimetype == mimetype
    return response


def get_json(client, url: str, status: int = 200) -> dict:
    return json.loads(get(client, url, status, "application/json").get_data(as_text=True))


# --------------------------------------------------------------------------- reading pages

class Element:
    def __init__(self, tag: str, attrs: dict, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []

    @property
    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, id: str | None = None) -> list["Element"]:
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
                and (id is None or e.attrs.get("id") == id)]

    def find(self, tag: str | None = None, cls: str | None = None, id: str | None = None) -> "Element":
        found = self.find_all(tag, cls, id)
        assert found, f"no <{tag or '*'} class={cls} id={id}>"
        return found[0]


class Tree(HTMLParser):
    """The page as a tree of elements (enough of a DOM to read answers, links and tables)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def page(client, url: str, status: int = 200) -> Element:
    tree = Tree()
    tree.feed(get(client, url, status).get_data(as_text=True))
    return tree.root


def answer_labels(root: Element) -> list[str]:
    return [h.find("a").text for h in root.find(id="answer-rows").find_all("h2", cls="answer-label")]


def evidence_of(root: Element) -> list[tuple[str, str]]:
    """(link, sentence) of every evidence quote of the answer rows, folded ones included."""
    found = []
    for quote in root.find(id="answer-rows").find_all("blockquote", cls="evidence"):
        found.append((quote.find("a", cls="evidence-link").attrs["href"], quote.find("p").text))
    return found


def slice_of(datadir: DataDir, href: str) -> str:
    path, fragment = href.split("#char=")
    start, end = map(int, fragment.split(","))
    return datadir.read_text(path.removeprefix("/report/"))[start:end]


# --------------------------------------------------------------------------- the card's questions

@pytest.mark.parametrize("question", CARD_QUESTIONS)
def test_card_questions_answer_ganguxian_with_evidence_that_slices_the_text(client, datadir, question):
    root = page(client, ask_path(question))
    assert root.find(id="answer").attrs["data-understood"] == "true"
    assert answer_labels(root) == ["甘谷县"]
    assert root.find("h2", cls="answer-label").find("a").attrs["href"] == "/id/jurisdiction/620523"
    evidence = evidence_of(root)
    assert evidence
    for href, sentence in evidence:
        assert href.startswith("/report/") and "#char=" in href
        assert slice_of(datadir, href) == sentence
    data = get_json(client, ask_path(question, ".json"))
    (row,) = data["answers"]
    assert len(evidence) == len(row["evidence"])
    if question == HUANGHE_Q:
        assert all("黄河保护法" in sentence for _, sentence in evidence)
    else:
        assert all("法律明白人" in sentence for _, sentence in evidence)


def test_the_page_says_what_was_understood(client):
    root = page(client, ask_path(MINGBAIREN_Q))
    table = root.find(id="interpretation").text
    assert "法律明白人" in table and "县级" in table and "开展" in table
    assert root.find(id="interpretation").find("a").attrs["href"] == "/id/" + local_id(MINGBAIREN)
    bindings = {row.attrs["data-variable"]: row for row in root.find(id="bindings").find_all("tr")
                if "data-variable" in row.attrs}
    assert set(bindings) == {"object", "relation", "level"}
    # bound IRIs are shown by label, with the IRI itself beside it
    assert "法律明白人" in bindings["object"].text and MINGBAIREN in bindings["object"].text
    assert "县级" in bindings["level"].text or "county" in bindings["level"].text


@pytest.mark.parametrize("question", CARD_QUESTIONS)
def test_the_sparql_shown_gives_the_same_labels_on_the_endpoint_and_in_the_editor(client, question):
    root = page(client, ask_path(question))
    shown = root.find(id="sparql-text").text
    data = get_json(client, ask_path(question, ".json"))
    assert shown == data["sparql"] and "VALUES" in shown
    response = client.post("/sparql", data={"query": shown}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    bindings = json.loads(response.get_data(as_text=True))["results"]["bindings"]
    assert {b["jLabel"]["value"] for b in bindings} == {row["label"] for row in data["answers"]} == {"甘谷县"}
    # the rows are the answer's evidence: each sentence the page shows, and no other
    sentences = {(b["report"]["value"], int(b["start"]["value"]), int(b["end"]["value"])) for b in bindings}
    assert sentences == {(e["report"], e["start"], e["end"]) for row in data["answers"] for e in row["evidence"]}
    # the editor link carries the query as it is, and the editor opens with it, ready to run
    link = root.find(id="open-in-editor").attrs["href"]
    assert link.startswith("/query?")
    params = parse_qs(urlsplit(link).query)
    assert params["q"] == [shown] and params["view"] == ["table"]
    editor = get_json(client, link.replace("/query?", "/query.json?"))
    assert editor["query"] == shown and editor["run"] is True


def test_json_twin_is_the_answer_with_the_data_version(client, datadir, store):
    data = get_json(client, ask_path(MINGBAIREN_Q, ".json"))
    expected = answer_question(MINGBAIREN_Q, store).to_json()
    assert data["data_version"] == datadir.version()
    assert {key: value for key, value in data.items() if key not in ("data_version", "url")} == expected


def test_answers_come_in_pages_that_keep_their_counts(client, store):
    """An answer with more rows or sentences than a page holds says how many there are in all,
    and the pages together are the whole answer."""
    question = "哪些地方开展了“法律明白人”?"
    whole = answer_question(question, store, paging=Paging.everything()).to_json()
    assert len(whole["answers"]) >= 2 and any(len(row["evidence"]) >= 2 for row in whole["answers"])
    pages = []
    for number in range(1, len(whole["answers"]) + 2):
        data = get_json(client, "/ask.json?" + urlencode({"q": question, "limit": 1, "page": number, "evidence": 1}))
        assert data["row_count"] == len(whole["answers"])
        assert data["paging"] == {"offset": number - 1, "limit": 1, "evidence": 1, "listed": 100}
        pages += data["answers"]
    assert len(pages) == len(whole["answers"])
    for shown, full in zip(pages, whole["answers"]):
        assert shown["label"] == full["label"]
        assert shown["evidence"] == full["evidence"][:1]
        assert shown["evidence_count"] == len(full["evidence"])
    # the page says what it leaves out and links to the rest
    several = next(i for i, row in enumerate(whole["answers"], 1) if len(row["evidence"]) >= 2)
    root = page(client, ask_path(question) + "&" + urlencode({"limit": 1, "page": several, "evidence": 1}))
    assert root.find(id="answer-range")
    assert "共" in root.find("p", cls="evidence-left").text
    more = root.find("a", cls="more-evidence-link").attrs["href"]
    assert parse_qs(urlsplit(more).query)["evidence"] == ["1000"]
    pager = root.find("nav", cls="pager")
    assert pager is not None and pager.find("a")


@pytest.mark.parametrize("param, value", [("limit", "0"), ("limit", "1001"), ("page", "0"), ("evidence", "-1"),
                                          ("evidence", "many")])
def test_bad_paging_parameters_are_a_400_naming_the_parameter(client, param, value):
    response = client.get("/ask.json?" + urlencode({"q": MINGBAIREN_Q, param: value}))
    assert response.status_code == 400
    assert param in response.get_json()["error"]["message"]


# --------------------------------------------------------------------------- not understood

def test_an_unknown_term_shows_suggestions_and_the_full_text_fallback(client, datadir):
    root = page(client, ask_path(UNKNOWN_TERM_Q))
    section = root.find(id="not-understood")
    assert section.attrs["data-understood"] == "false"
    assert "没有理解" in section.find("h1").text
    data = get_json(client, ask_path(UNKNOWN_TERM_Q, ".json"))
    suggestions = [a.attrs["href"] for a in root.find(id="suggestions").find_all("a")]
    assert suggestions == [ask_path(s) for s in data["suggestions"]] and suggestions
    # the fallback: every hit links to its place in the report, and the text there is the hit
    hits = root.find(id="fallback-hits").find_all("td", cls="hit")
    assert len(hits) == len(data["fallback"]["hits"]) > 0
    for cell in hits:
        link = cell.find("a")
        assert link.text == "社区矫正" == slice_of(datadir, link.attrs["href"])
    search_link = root.find(id="fallback").find("a").attrs["href"]
    assert parse_qs(urlsplit(search_link).query)["q"] == [data["fallback"]["query"]]


def test_an_off_topic_question_is_declined_with_suggestions_that_are_understood(client):
    root = page(client, ask_path(OFF_TOPIC_Q))
    assert root.find(id="not-understood")
    assert "fallback" in get_json(client, ask_path(OFF_TOPIC_Q, ".json"))
    first = root.find(id="suggestions").find("a").attrs["href"]
    followed = get_json(client, first.replace("/ask?", "/ask.json?"))
    assert followed["understood"] is True


def test_an_ambiguous_place_asks_which_and_each_choice_asks_again(client):
    root = page(client, ask_path(AMBIGUOUS_PLACE_Q))
    section = root.find(id="not-understood")
    heading = section.find("div", cls="ambiguity").find("h2").text
    assert "城关镇" in heading and "82" in heading and "哪一个" in heading
    data = get_json(client, ask_path(AMBIGUOUS_PLACE_Q, ".json"))
    (entry,) = data["ambiguous"]
    choices = section.find(id="choices").find_all("a", cls="reask")
    assert len(choices) == len(entry["choices"])
    questions = [parse_qs(urlsplit(a.attrs["href"]).query)["q"][0] for a in choices]
    assert len(set(questions)) == len(questions)
    for question, choice in zip(questions, entry["choices"]):
        assert question == AMBIGUOUS_PLACE_Q.replace("城关镇", choice["qualified"])
    # the answer's own suggestions are the first choices
    assert questions[:len(data["suggestions"])] == data["suggestions"]
    again = get_json(client, ask_path(questions[0], ".json"))
    assert again["understood"] is True and again["interpretation"]["places"][0]["code"] == entry["choices"][0]["code"]


def test_an_ambiguous_thing_offers_each_thing(client):
    root = page(client, ask_path(AMBIGUOUS_THING_Q))
    links_ = root.find(id="choices").find_all("a", cls="reask")
    labels = {a.text for a in links_}
    assert labels == {"一村(社区)一法律顾问", "法律顾问制度"}
    for link in links_:
        followed = get_json(client, link.attrs["href"].replace("/ask?", "/ask.json?"))
        assert followed["understood"] is True and followed["interpretation"]["thing"]["label"] == link.text
        assert followed["answers"]


# --------------------------------------------------------------------------- bad requests

@pytest.mark.parametrize("url", ["/ask", "/ask?q=", "/ask?q=%20%20", ask_path("问" * 301)])
def test_a_missing_empty_or_overlong_question_is_a_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "问题" in response.get_data(as_text=True)
    twin = client.get(url.replace("/ask", "/ask.json", 1))
    assert twin.status_code == 400 and "问题" in twin.get_json()["error"]["message"]


def test_the_question_box_is_a_get_form_to_ask(client):
    root = page(client, "/")
    form = root.find(id="ask-form")
    assert form.attrs["action"] == "/ask" and form.attrs["method"] == "get"
    box = form.find(id="question")
    assert box.attrs["name"] == "q" and "disabled" not in box.attrs
    examples = [a.attrs["href"] for a in root.find("p", cls="ask-examples").find_all("a")]
    assert ask_path(MINGBAIREN_Q) in examples
    assert client.post("/ask", data={"q": MINGBAIREN_Q}).status_code == 405


# --------------------------------------------------------------------------- caching

def test_the_linker_and_links_graph_are_built_once_per_data_version(app, client, monkeypatch):
    context = app.extensions["fzkg"]
    builds = []
    real = Linker.from_store.__func__

    def counting(cls, store, summaries=None):
        builds.append(context.version())
        return real(cls, store, summaries)

    monkeypatch.setattr(Linker, "from_store", classmethod(counting))
    monkeypatch.setattr(context, "version", lambda: "version-a")
    client.get(ask_path(MINGBAIREN_Q))
    client.get(ask_path(HUANGHE_Q, ".json"))
    client.get("/links/related.json?node=" + MINGBAIREN)
    assert builds == ["version-a"]
    monkeypatch.setattr(context, "version", lambda: "version-b")
    client.get(ask_path(MINGBAIREN_Q, ".json"))
    assert builds == ["version-a", "version-b"]


def test_a_timeline_pages_its_jurisdictions_and_needs_no_links_graph(app, client, monkeypatch, store):
    """The timeline reads the summaries; the links graph (minutes and gigabytes on a large corpus)
    is not built for it. Its pages together are the whole timeline, and the chart counts all."""
    monkeypatch.setattr(links, "build_graph", lambda *args, **kwargs: pytest.fail("the links graph was built"))
    context = app.extensions["fzkg"]
    monkeypatch.setattr(context, "version", lambda: "timeline-without-graph")
    whole = links.adoption_timeline(store, [MINGBAIREN])
    assert whole.row_count >= 2
    shown = []
    for number in range(1, whole.row_count + 1):
        data = get_json(client, "/links/timeline.json?" + urlencode({"node": "法律明白人", "limit": 1, "page": number,
                                                                     "evidence": 0}))
        assert data["row_count"] == whole.row_count and data["by_year"] == whole.by_year
        assert all(row["evidence"] == [] and row["evidence_count"] >= 1 for row in data["rows"])
        shown += [(row["iri"], row["first_year"]) for row in data["rows"]]
    assert shown == [(row["iri"], row["first_year"]) for row in whole.rows]
    root = page(client, "/links/timeline?" + urlencode({"node": "法律明白人", "limit": 1}))
    assert root.find(id="timeline-range") and root.find("nav", cls="pager").find("a")


def test_above_its_report_limit_the_service_does_not_build_the_links_graph(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LINKS_GRAPH_MAX_REPORTS", 4)  # the corpus has 5 reports
    for url in ("/links.json", "/links/neighbours.json?node=法律明白人", "/links/related.json?node=法律明白人",
                "/links/export.graphml"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "FZKG_LINKS_GRAPH_MAX_REPORTS" in response.get_data(as_text=True), url
    # what needs no links graph goes on
    assert client.get("/links/timeline.json?node=法律明白人").status_code == 200
    assert client.get(ask_path(MINGBAIREN_Q, ".json")).status_code == 200
    monkeypatch.setitem(app.config, "LINKS_GRAPH_MAX_REPORTS", 5)
    assert client.get("/links/neighbours.json?node=法律明白人").status_code == 200


def test_concurrent_first_requests_build_once(app):
    context = app.extensions["fzkg"]
    builds = []

    def slow(ctx):
        builds.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(context.derived("test-slow", slow))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len({id(r) for r in results}) == 1


# --------------------------------------------------------------------------- links pages

def test_related_page_ranks_as_search_links_does_and_names_the_measure(client, graph):
    for measure in links.MEASURES:
        data = get_json(client, "/links/related.json?" + urlencode({"node": XINGFA, "measure": measure, "k": 5}))
        expected = links.related(graph, XINGFA, measure=measure, k=5)
        assert [r["node"] for r in data["related"]] == [r["node"] for r in expected]
        assert [r["together"] for r in data["related"]] == [r["together"] for r in expected]
        assert data["measure"] == measure and data["node"]["label"] == "兴法铺子"
    root = page(client, "/links/related?" + urlencode({"node": "兴法铺子", "measure": "jaccard", "k": 5}))
    table = root.find(id="related-table")
    assert "Jaccard" in table.find("caption").text
    rows = table.find("tbody").find_all("tr")
    assert [r.attrs["data-node"] for r in rows] == [r["node"] for r in links.related(graph, XINGFA, "jaccard", 5)]


def test_a_node_is_named_by_iri_local_id_or_name(client):
    by_iri = get_json(client, "/links/related.json?" + urlencode({"node": MINGBAIREN}))
    by_local = get_json(client, "/links/related.json?" + urlencode({"node": local_id(MINGBAIREN)}))
    by_name = get_json(client, "/links/related.json?" + urlencode({"node": "法律明白人"}))
    assert by_iri["node"]["node"] == by_local["node"]["node"] == by_name["node"]["node"] == MINGBAIREN
    assert get_json(client, "/links/neighbours.json?node=甘谷县")["node"]["node"] == GANGU


def test_neighbours_are_the_heaviest_edges_and_edges_join_shown_nodes(client, graph):
    data = get_json(client, "/links/neighbours.json?" + urlencode({"node": XINGFA, "k": 8}))
    nodes = [n["node"] for n in data["nodes"]]
    assert nodes[0] == XINGFA and data["nodes"][0]["hop"] == 0 and len(nodes) == 9
    assert data["available"] == graph.degree(XINGFA)
    weights = [graph.edges[XINGFA, n]["weight"] for n in nodes[1:]]
    assert weights == sorted(weights, reverse=True)
    assert min(weights) >= max((graph.edges[XINGFA, n]["weight"] for n in graph[XINGFA] if n not in nodes), default=0)
    assert all(e["source"] in nodes and e["target"] in nodes for e in data["edges"])
    assert all(n["label"] and n["kind"] in links.KINDS for n in data["nodes"])
    # a jurisdiction meets the items its reports mention, through those reports
    gangu = get_json(client, "/links/neighbours.json?" + urlencode({"node": GANGU, "k": 30}))
    hops = {n["node"]: n["hop"] for n in gangu["nodes"]}
    assert hops[MINGBAIREN] == 2
    report = next(n for n in gangu["nodes"] if n["kind"] == "report")["node"]
    assert {"source": report, "target": MINGBAIREN} in [{k: e[k] for k in ("source", "target")} for e in gangu["edges"]]


def test_path_hops_carry_evidence_that_slices_the_text(client, datadir):
    data = get_json(client, "/links/path.json?" + urlencode({"from": "法律明白人", "to": "兴法铺子"}))
    assert data["connected"] and data["hops"]
    assert data["hops"][0]["from"]["node"] == MINGBAIREN and data["hops"][-1]["to"]["node"] == XINGFA
    for hop in data["hops"]:
        for evidence in hop["evidence"]:
            assert datadir.read_text(evidence["report"])[evidence["start"]:evidence["end"]] == evidence["text"]
            assert evidence["href"] == f"/report/{evidence['report']}#char={evidence['start']},{evidence['end']}"
    root = page(client, "/links/path?" + urlencode({"from": "法律明白人", "to": "兴法铺子"}))
    assert len(root.find(id="path-hops").find_all("li", cls="hop")) == len(data["hops"])
    for quote in root.find(id="path-hops").find_all("blockquote"):
        assert slice_of(datadir, quote.find("a").attrs["href"]) == quote.find("p").text


def test_timeline_table_chart_and_csv(client, datadir, store):
    data = get_json(client, "/links/timeline.json?" + urlencode({"node": "法律明白人"}))
    expected = links.adoption_timeline(store, [MINGBAIREN])
    assert [(r["jurisdiction"], r["first_year"]) for r in data["rows"]] == \
        [(r["jurisdiction"], r["first_year"]) for r in expected.rows]
    chart = data["chart"]
    assert chart["years"] == list(range(chart["years"][0], chart["years"][-1] + 1))
    assert chart["total"][-1] == len(data["rows"]) and chart["total"] == sorted(chart["total"])
    assert sum(line["values"][-1] for line in chart["provinces"]) == len(data["rows"])
    root = page(client, "/links/timeline?" + urlencode({"node": "法律明白人"}))
    assert root.find("canvas", id="timeline-chart")
    assert len(root.find(id="timeline-table").find("tbody").find_all("tr")) == len(data["rows"])
    for link in root.find(id="timeline-table").find_all("a", cls="evidence-link"):
        assert "法律明白人" in slice_of(datadir, link.attrs["href"])
    config = json.loads(root.find("script", id="timeline-config").text)
    assert config["chart"] == chart

    response = client.get("/links/timeline.csv?" + urlencode({"node": MINGBAIREN}))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(BOM.encode("utf-8"))
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8")[1:])))
    assert list(table[0]) == links.CASCADE_COLUMNS + list(PROVENANCE)
    assert {row["jurisdiction"] for row in table} == {r["jurisdiction"] for r in data["rows"]}
    assert all(row["data_version"] == datadir.version() and "/links/timeline?" in row["query"] for row in table)
    for row in table:
        assert datadir.read_text(row["report"])[int(row["start"]):int(row["end"])] == row["evidence"]


@pytest.mark.parametrize("fmt,reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_exports_parse_with_networkx(client, graph, fmt, reader):
    response = client.get(f"/links/export.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    exported = reader(io.BytesIO(response.get_data()))
    assert exported.number_of_nodes() == graph.number_of_nodes()
    assert exported.number_of_edges() == graph.number_of_edges()
    assert exported.nodes[MINGBAIREN]["label"] == "法律明白人" and exported.nodes[MINGBAIREN]["kind"] == "program"


@pytest.mark.parametrize("url,status", [
    ("/links/related", 400), ("/links/related?node=", 400), ("/links/related?node=%20", 400),
    ("/links/related?node=没有这个东西", 404), ("/links/related?node=program/no-such-program", 404),
    ("/links/related?node=法律明白人&measure=cosine", 400), ("/links/related?node=法律明白人&k=0", 400),
    ("/links/related?node=法律明白人&k=abc", 400), ("/links/related?node=法律明白人&k=1000", 400),
    ("/links/neighbours?node=法律明白人&k=-1", 400), ("/links/path?from=法律明白人", 400),
    ("/links/path?from=法律明白人&to=法律明白人", 400), ("/links/timeline?node=甘谷县", 400),
    ("/links/timeline?node=", 400), ("/links/timeline.csv?node=甘谷县", 400),
    ("/links/related?node=热线", 400),
])
def test_bad_links_parameters_are_answered_with_a_message(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    if ".csv" in url:
        # a download that cannot be made says why in plain text, not in a page
        assert response.mimetype == "text/plain" and "甘谷县" in response.get_data(as_text=True)
        return
    twin = client.get(url, headers={"Accept": "application/json"})
    assert twin.status_code == status and twin.get_json()["error"]["message"]


def test_entity_pages_embed_the_neighbour_view_where_it_has_meaning(client, store):
    xingfa = page(client, "/id/" + local_id(XINGFA))
    section = xingfa.find(id="neighbours")
    assert parse_qs(urlsplit(section.attrs["data-neighbours-url"]).query)["node"] == [XINGFA]
    assert section.attrs.get("data-related-url")
    assert xingfa.find("a", cls="timeline-link").attrs["href"] == "/links/timeline?" + urlencode({"node": XINGFA})
    gangu = page(client, "/id/" + local_id(GANGU))
    assert gangu.find(id="neighbours") and not gangu.find_all("a", cls="timeline-link")
    report = next(iter(store.query("SELECT ?r WHERE { ?r a fz:Report } LIMIT 1")))[0]
    assert not page(client, "/id/" + local_id(report)).find_all(id="neighbours")
    assert str(report_iri(local_id(report).split("/", 1)[1])) == str(report)


def test_front_end_libraries_are_served_from_node_modules_only(client):
    for url in ("/assets/cytoscape/cytoscape.min.js", "/assets/chart.js/chart.umd.min.js"):
        response = client.get(url)
        assert response.status_code == 200 and len(response.get_data()) > 100_000
    assert client.get("/assets/cytoscape/package.json").status_code == 404
    assert client.get("/assets/chart.js/../../package.json").status_code == 404


def test_missing_front_end_packages_are_named_and_the_lists_stay(client, monkeypatch, tmp_path):
    from web.pages import links as links_page

    monkeypatch.setattr(links_page, "NODE_MODULES", tmp_path)
    root = page(client, "/id/" + local_id(XINGFA))
    section = root.find(id="neighbours")
    assert "scripts/setup" in section.find("div", cls="assets-missing").text
    assert section.find(id="neighbour-list") is not None
    scripts = [s.attrs.get("src", "") for s in root.find_all("script")]
    assert not any("cytoscape" in src for src in scripts) and any("neighbours.js" in src for src in scripts)
    timeline = page(client, "/links/timeline?" + urlencode({"node": "法律明白人"}))
    assert "scripts/setup" in timeline.find("div", cls="assets-missing").text
    assert timeline.find(id="cumulative-table")
    response = client.get("/assets/chart.js/chart.umd.min.js")
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert "scripts/setup" in response.get_data(as_text=True)
