"""The home, search, KWIC and report pages and their JSON twins and exports, through Flask's test
client, against a data directory ingested once from the embedded corpus."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ingest.datadir import DataDir
from ingest.store import GraphStore
from ontology import local_id, report_iri
from search.export import BOM, PROVENANCE
from search.index import SearchIndex
from web.commands.kwic import LINE_COLUMNS
from web.commands.search import HIT_COLUMNS
from web.commands.serve import ensure_data

QUERIES = ["法律明白人", "行政执法三项制度", '"兴法铺子"', 'province:四川省 "枫桥经验"', "level:township 法律明白人",
           "法治 NOT 宪法", "year:2023..2024 普法"]

# the statements the report page must show, asked of the graph independently of the page
LAW_MENTIONS = """
SELECT ?report ?statement ?law ?start ?end ?exact WHERE {
  ?statement a fz:LawMention ; fz:report ?report ; fz:object ?law ; fz:evidence ?e .
  ?e oa:start ?start ; oa:end ?end ; oa:exact ?exact }"""
EVIDENCE = """
SELECT ?report ?start ?end ?exact WHERE { ?e fz:inReport ?report ; oa:start ?start ; oa:end ?end ; oa:exact ?exact }"""


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
def index(datadir):
    with SearchIndex.open(datadir) as opened:
        yield opened


@pytest.fixture(scope="module")
def graph(datadir):
    with GraphStore.open(datadir.graph, read_only=True) as store:
        yield store


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def get_html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def search_url(query: str, suffix: str = "", **params) -> str:
    return f"/search{suffix}?" + urlencode({"q": query, **params})


class Elements(HTMLParser):
    """Start tags with their attributes, and the text inside elements carrying data-start."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.leaves: list[tuple[int, int, str]] = []
        self._leaf: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "span" and "seg" in (attributes.get("class") or "").split():
            self._leaf = [int(attributes["data-start"]), int(attributes["data-end"]), ""]

    def handle_data(self, data):
        if self._leaf is not None:
            self._leaf[2] += data

    def handle_endtag(self, tag):
        if tag == "span" and self._leaf is not None:
            self.leaves.append(tuple(self._leaf))
            self._leaf = None


def parse_html(text: str) -> Elements:
    parser = Elements()
    parser.feed(text)
    return parser


# --------------------------------------------------------------------------- home

def test_home_statistics_count_the_corpus(client, datadir, index):
    data = get_json(client, "/index.json")
    statistics = data["statistics"]
    registry = datadir.registry()
    assert statistics["reports"] == len(registry) == 5
    levels = Counter(index.engine.metadata(report_id)["level"] for report_id in registry)
    assert {row["level"]: row["reports"] for row in statistics["levels"]} == dict(levels)
    assert sum(row["reports"] for row in statistics["provinces"]) == 5
    provinces = Counter(index.engine.metadata(report_id)["province"] for report_id in registry)
    assert {row["name"]: row["reports"] for row in statistics["provinces"]} == dict(provinces)
    assert {row["year"]: row["reports"] for row in statistics["years"]} == dict(
        Counter(entry["year"] for entry in registry.values()))
    assert statistics["jurisdictions"] == len({entry["code"] for entry in registry.values()})
    for key in ("top_programs", "top_laws"):
        ranked = [(row["reports"], row["mentions"]) for row in statistics[key]]
        assert ranked and ranked == sorted(ranked, reverse=True)
        assert all(row["url"].startswith("/id/") and row["label"].get("zh") for row in statistics[key])
    assert data["data_version"] == datadir.version()


def test_home_page_shows_statistics_examples_and_the_question_box(client):
    page = get_html(client, "/")
    for query in ["法律明白人", "行政执法三项制度", '"兴法铺子"', 'province:四川省 "枫桥经验"', "level:township 法律明白人"]:
        assert f'href="{search_url(query).replace("&", "&amp;")}"' in page
    county = re.search(r'<tr data-level="county">.*?<td class="num">(\d+)</td>', page, re.S)
    assert county and county.group(1) == "3"
    # the question box asks /ask by GET (tests/test_web_questions.py follows it further)
    form = re.search(r'<form action="/ask" method="get" id="ask-form">(.*?)</form>', page, re.S)
    assert form and "disabled" not in form.group(1) and 'name="q"' in form.group(1)
    assert 'id="ask-status"' in page
    assert get_json(client, "/index.json")["ask"]["available"] is True


def test_home_statistics_are_computed_once_per_data_version(client, app, monkeypatch):
    from web.pages import home

    calls = []
    real = home.corpus_statistics

    def counting(context):
        calls.append(context.version())
        return real(context)

    monkeypatch.setattr(home, "corpus_statistics", counting)
    app.extensions.pop("fzkg_home_statistics", None)
    client.get("/index.json")
    client.get("/")
    assert len(calls) == 1
    context = app.extensions["fzkg"]
    monkeypatch.setattr(context, "version", lambda: "another-version")
    client.get("/index.json")
    assert calls == [calls[0], "another-version"]


# --------------------------------------------------------------------------- search

@pytest.mark.parametrize("query", QUERIES)
def test_search_totals_and_order_are_the_engines(client, index, query):
    data = get_json(client, search_url(query, ".json"))
    expected = index.search(query, page=1, page_size=20)
    assert data["total"] == expected.total
    assert [hit["report"] for hit in data["hits"]] == [hit.report_id for hit in expected.hits]
    assert data["query"] == query and data["parsed"] == index.explain(query)


def test_facet_filter_narrows_the_results(client, index):
    everything = get_json(client, search_url("法律明白人", ".json"))
    province, count = everything["facets"]["province"][0]
    assert count < everything["total"]
    page = get_html(client, search_url("法律明白人"))
    link = search_url("法律明白人", province=province).replace("&", "&amp;")
    assert f'href="{link}"' in page
    narrowed = get_json(client, search_url("法律明白人", ".json", province=province))
    assert narrowed["total"] == count
    assert all(index.engine.metadata(hit["report"])["province"] == province for hit in narrowed["hits"])
    assert narrowed["query"] == f"(法律明白人) province:{province}"
    # the active filter is shown with a link that removes it
    filtered_page = get_html(client, search_url("法律明白人", province=province))
    assert f'<a class="chip-remove" href="{search_url("法律明白人")}"' in filtered_page


def test_filter_parameters_bind_to_the_whole_query(client, index):
    # without the parentheses, "a OR b province:x" would filter only b
    query = "法律明白人 OR 枫桥经验"
    data = get_json(client, search_url(query, ".json", province="四川省", year="2020..2023"))
    assert data["total"] == index.search(f"({query}) province:四川省 year:2020..2023").total
    assert data["filters"] == {"province": "四川省", "year": "2020..2023"}


def test_pages_and_sort(client, index):
    first = get_json(client, search_url("法治", ".json", limit=2))
    second = get_json(client, search_url("法治", ".json", limit=2, page=2))
    expected = index.search("法治", page_size=None)
    assert [h["report"] for h in first["hits"] + second["hits"]] == [h.report_id for h in expected.hits][:4]
    assert first["next"] and first["previous"] is None and second["previous"]
    by_year = get_json(client, search_url("法治", ".json", sort="year", limit=0))
    years = [hit["year"] for hit in by_year["hits"]]
    assert years == sorted(years, reverse=True) and len(years) == expected.total


def test_search_page_shows_parse_snippets_and_links_to_reports(client, index):
    page = get_html(client, search_url("法治政府建设 province:四川省"))
    assert index.explain("法治政府建设 province:四川省") in page.replace("&gt;", ">").replace("&#34;", '"')
    assert "<mark>" in page
    expected = index.search("法治政府建设 province:四川省")
    for hit in expected.hits:
        assert f'href="/report/{hit.report_id}?' in page
    assert 'href="/kwic?' in page


def test_exports_carry_bom_query_version_and_every_row(client, datadir, index):
    query = "法律明白人"
    response = client.get(search_url(query, ".csv", limit=0))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(BOM.encode("utf-8"))
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert list(rows[0]) == HIT_COLUMNS + list(PROVENANCE)
    assert len(rows) == index.search(query, page_size=None).total
    assert {row["query"] for row in rows} == {query}
    assert {row["data_version"] for row in rows} == {datadir.version()}
    assert all("【" in row["snippet"] and "<mark>" not in row["snippet"] for row in rows)
    tsv = client.get(search_url(query, ".tsv", limit=0))
    assert tsv.mimetype == "text/tab-separated-values" and not tsv.data.startswith(BOM.encode())
    assert tsv.get_data(as_text=True).splitlines()[0].split("\t") == HIT_COLUMNS + list(PROVENANCE)
    # ?format= works as well as the suffix
    assert client.get(search_url(query, format="csv")).data.startswith(BOM.encode())
    page = get_html(client, search_url(query))
    assert 'href="/search.csv?q=' in page and 'href="/kwic?' in page


# --------------------------------------------------------------------------- KWIC

def test_kwic_is_the_concordance(client, index, datadir):
    data = get_json(client, "/kwic.json?" + urlencode({"q": "法律明白人", "width": 8}))
    expected = index.concordance("法律明白人", width=8)
    assert data["total"] == expected.total == len(data["lines"])
    assert data["distribution"] == {name: [[value, count] for value, count in values]
                                    for name, values in expected.distribution.items()}
    for line in data["lines"]:
        text = datadir.read_text(line["report"])
        assert text[line["start"]:line["end"]] == line["hit"] == "法律明白人"
        assert text[line["start"] - len(line["left"]):line["start"]] == line["left"] and len(line["left"]) <= 8
        assert line["url"] == f"/report/{line['report']}#char={line['start']},{line['end']}"


def test_kwic_sample_is_reproducible_and_filters_apply(client, index):
    url = "/kwic.json?" + urlencode({"q": "法治", "sample": 5, "seed": 7})
    first, again = get_json(client, url), get_json(client, url)
    assert len(first["lines"]) == 5 and first["lines"] == again["lines"]
    other = get_json(client, "/kwic.json?" + urlencode({"q": "法治", "sample": 5, "seed": 8}))
    assert other["lines"] != first["lines"]
    filtered = get_json(client, "/kwic.json?" + urlencode({"q": "法律明白人", "province": "甘肃省"}))
    assert filtered["total"] == index.concordance("法律明白人", filter_ast="province:甘肃省").total
    assert {line["province"] for line in filtered["lines"]} == {"甘肃省"}


def test_kwic_page_and_export(client, index):
    page = get_html(client, "/kwic?" + urlencode({"q": '"法律明白人"'}))
    assert page.count('<td class="hit">') == index.concordance("法律明白人").total
    assert 'data-distribution="by_province"' in page and 'href="/kwic.csv?' in page
    response = client.get("/kwic.csv?" + urlencode({"q": "法律明白人", "limit": 0}))
    assert response.data.startswith(BOM.encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert list(rows[0]) == LINE_COLUMNS + list(PROVENANCE)
    assert len(rows) == index.concordance("法律明白人").total and rows[0]["query"] == "法律明白人"


def test_search_links_to_kwic_within_its_results(client, index):
    page = get_html(client, search_url('province:四川省 "枫桥经验"'))
    link = re.search(r'href="(/kwic\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"q": ["枫桥经验"], "filter": ['province:四川省 "枫桥经验"']}
    data = get_json(client, link.replace("/kwic?", "/kwic.json?"))
    assert data["total"] == index.concordance("枫桥经验", filter_ast='province:四川省 "枫桥经验"').total


# --------------------------------------------------------------------------- report

def test_report_page_marks_every_law_mention_and_anchors_its_evidence(client, datadir, graph):
    for report_id in datadir.registry():
        text = datadir.read_text(report_id)
        page = get_html(client, f"/report/{report_id}")
        elements = parse_html(page)
        links = {attributes.get("href") for tag, attributes in elements.tags if tag == "a"}
        mentions = list(graph.query(LAW_MENTIONS, {"report": report_iri(report_id)}))
        for row in mentions:
            url = "/id/" + local_id(row["law"])
            assert url in links, (report_id, url)
            start, end = int(row["start"].toPython()), int(row["end"].toPython())
            assert f"#char={start},{end}" in links
        marked = [a for tag, a in elements.tags if tag == "a" and "mention-laws" in (a.get("class") or "")]
        assert {a["href"] for a in marked} == {"/id/" + local_id(row["law"]) for row in mentions}
        # every evidence link slices its sentence out of the stored text
        sentences = {(int(r["start"].toPython()), int(r["end"].toPython())): str(r["exact"])
                     for r in graph.query(EVIDENCE, {"report": report_iri(report_id)})}
        anchors = [a for tag, a in elements.tags if tag == "a" and "evidence-link" in (a.get("class") or "")]
        assert anchors
        for anchor in anchors:
            start, end = map(int, re.fullmatch(r"#char=(\d+),(\d+)", anchor["href"]).groups())
            assert text[start:end] == sentences[(start, end)] == anchor["title"]
        # the leaves carry their offsets and together hold every line of the text
        for start, end, leaf in elements.leaves:
            assert text[start:end] == leaf
        shown = "".join(leaf for _, _, leaf in sorted(elements.leaves))
        assert shown == "".join(line for line in text.splitlines() if line.strip())


def test_report_twin_has_metadata_facts_and_evidence(client, datadir):
    registry = datadir.registry()
    for report_id, entry in registry.items():
        data = get_json(client, f"/report/{report_id}.json")
        text = datadir.read_text(report_id)
        assert data["id"] == report_id and data["source"] == entry["source"] and data["year"] == entry["year"]
        assert data["text"] == text and data["jurisdiction"]["code"] == entry["code"]
        assert [p["level"] for p in data["jurisdiction"]["parents"]][:2] == ["province", "city"]
        for facts in [*data["facts"].values(), data["figures"]]:
            for fact in facts:
                proof = fact["evidence"]
                assert text[proof["start"]:proof["end"]] == proof["text"]
                mention = fact.get("mention")
                if mention:
                    assert proof["start"] <= mention["start"] < mention["end"] <= proof["end"]
                    assert text[mention["start"]:mention["end"]] == mention["text"]
        assert data["facts"]["laws"] and all(f["relation"] in ("studied", "applied", "cited")
                                             for f in data["facts"]["laws"])


def test_report_highlights_a_query(client, datadir):
    report_id = next(iter(datadir.registry()))
    data = get_json(client, f"/report/{report_id}.json?q=法治")
    text = datadir.read_text(report_id)
    assert data["matches"] and all(text[start:end] == "法治" for start, end in data["matches"])
    page = get_html(client, f"/report/{report_id}?q=法治")
    assert page.count('class="seg hit"') >= len(data["matches"])


# --------------------------------------------------------------------------- twins and negotiation

PAGES = ["/", search_url("法律明白人"), "/search", "/kwic?q=法律明白人", "/kwic"]


def test_every_page_has_a_json_twin(client, datadir):
    report_id = next(iter(datadir.registry()))
    for url in PAGES + [f"/report/{report_id}"]:
        page = get_html(client, url)
        twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', page).group(1)
        data = get_json(client, twin.replace("&amp;", "&"))
        assert data["data_version"] == datadir.version() and data["url"]
        by_format = get_json(client, url + ("&" if "?" in url else "?") + "format=json")
        by_accept = client.get(url, headers={"Accept": "application/json"})
        assert by_accept.mimetype == "application/json"
        assert by_format.keys() == data.keys() == json.loads(by_accept.data).keys()


def test_accept_header_negotiation(client):
    assert client.get("/", headers={"Accept": "text/html"}).mimetype == "text/html"
    assert client.get("/", headers={"Accept": "*/*"}).mimetype == "text/html"
    # a browser's header prefers HTML
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/", headers={"Accept": browser}).mimetype == "text/html"
    assert client.get("/", headers={"Accept": "application/json, text/html;q=0.5"}).mimetype == "application/json"
    refused = client.get("/", headers={"Accept": "image/png"})
    assert refused.status_code == 406


# --------------------------------------------------------------------------- errors

BAD = [
    search_url("法治", page="abc"), search_url("法治", page="0"), search_url("法治", limit="-1"),
    search_url("法治", sort="random"), search_url("foo:bar"), search_url('"法治'), search_url("法治 AND"),
    search_url("法治", level="galaxy"), search_url("法治", year="soon"), search_url("法治", format="xml"),
    "/kwic?q=法治&width=-1", "/kwic?q=法治&width=abc", "/kwic?q=法治&sample=0", "/kwic?q=法治&seed=x",
    "/kwic?q=法治&sort=sideways", "/kwic?q=法治&filter=" + "foo:bar", "/kwic?q=法治&page=0",
    "/report/0cc60e079214b703?q=%22open",
]


@pytest.mark.parametrize("url", BAD)
def test_bad_parameters_are_400_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    assert 'class="error-message"' in page or 'class="query-error"' in page
    twin = url.replace("/search?", "/search.json?").replace("/kwic?", "/kwic.json?").replace("format=xml", "format=json")
    if "/report/" in twin:
        twin = twin.replace("?q=", ".json?q=")
    if "format=json" in twin:
        return
    data = get_json(client, twin, status=400)
    assert data["error"]["status"] == 400 and data["error"]["message"]


def test_malformed_query_message_is_the_parsers(client):
    page = get_html(client, search_url('"法治'), status=400)
    assert "unbalanced quote" in page
    data = get_json(client, search_url("foo:bar", ".json"), status=400)
    assert "unknown field" in data["error"]["message"]


def test_unknown_report_is_404(client):
    assert client.get("/report/ffffffffffffffff").status_code == 404
    data = get_json(client, "/report/ffffffffffffffff.json", status=404)
    assert data["error"]["status"] == 404
    assert client.get("/no/such/page").status_code == 404


# --------------------------------------------------------------------------- language, assets, serve

def test_language_is_chinese_by_default_and_english_on_request(client):
    assert "<title>首页" in get_html(client, "/")
    response = client.get("/?lang=en")
    assert "<title>Home" in response.get_data(as_text=True)
    assert "fzkg_lang=en" in response.headers["Set-Cookie"]
    # the choice is remembered, and ?lang= wins over the cookie
    assert '<html lang="en">' in get_html(client, "/search")
    assert "<title>首页" in get_html(client, "/?lang=zh")
    assert '<html lang="zh-Hans">' in get_html(client, "/search")
    fresh = client.application.test_client()
    assert "<title>Home" in fresh.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "<title>首页" in fresh.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)


def test_pages_load_nothing_from_other_origins(client, datadir):
    report_id = next(iter(datadir.registry()))
    for url in PAGES + [f"/report/{report_id}"]:
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        for tag, attributes in parse_html(response.get_data(as_text=True)).tags:
            if tag in ("script", "link", "img"):
                source = attributes.get("src") or attributes.get("href") or ""
                assert source.startswith("/") or source.startswith("data:"), (url, tag, source)
    assert client.get("/static/report.js").status_code == 200
    assert client.get("/static/fzkg.css").status_code == 200


def test_first_run_ingests_the_embedded_corpus(tmp_path):
    empty = DataDir(tmp_path / "data")
    assert ensure_data(empty) is True
    assert len(empty.registry()) == 5
    assert ensure_data(empty) is False


def test_every_message_the_pages_use_exists_in_both_languages():
    from pathlib import Path

    from ingest.report import LEVELS
    from search.engine import FACETS, SORTS
    from search.kwic import KWIC_SORTS
    from web import i18n, twin
    from web.pages.search import FILTER_PARAMS

    web = Path(twin.__file__).parent
    mine = ["base.html", "error.html", "home.html", "search.html", "kwic.html", "report.html", "partials"]
    sources = [path for name in mine for path in ([web / "templates" / name] if name.endswith(".html")
                                                  else sorted((web / "templates" / name).glob("*.html")))]
    sources += [web / "twin.py", web / "pages" / "home.py", web / "pages" / "search.py", web / "pages" / "report.py"]
    used = {key for path in sources for key in re.findall(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""", path.read_text())}
    used |= {f"level.{level}" for level in LEVELS} | {f"facet.{name}" for name in FACETS}
    used |= {f"filter.{name}" for name in FILTER_PARAMS} | {f"sort.{name}" for name in SORTS}
    used |= {f"kwic.sort.{name}" for name in KWIC_SORTS} | {f"lang.{code}" for code in i18n.LANGUAGES}
    used |= {f"publisher_kind.{kind}" for kind in ("government", "department", "party", "other")}
    used |= {f"error.{status}.{part}" for status in twin.ERROR_STATUSES for part in ("title", "message")}
    used |= {"home.top_programs", "home.top_laws", "stat.program", "stat.law"}
    used |= {f"report.{kind}" for kind in ("laws", "documents", "programs", "initiatives")}
    catalogue = i18n.messages()
    missing = sorted(key for key in used if set(catalogue.get(key, {})) != {"zh", "en"})
    assert len(used) > 150 and not missing


def test_a_message_defined_twice_is_refused(tmp_path, monkeypatch):
    from web import i18n

    (tmp_path / "a.toml").write_text('[nav]\nhome = { zh = "首页", en = "Home" }\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('nav.home = { zh = "主页", en = "Start" }\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "MESSAGE_DIR", tmp_path)
    i18n.messages.cache_clear()
    try:
        with pytest.raises(ValueError, match="nav.home"):
            i18n.messages()
    finally:
        monkeypatch.undo()
        i18n.messages.cache_clear()
