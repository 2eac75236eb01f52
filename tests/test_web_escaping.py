"""Hostile input in every parameter of the home, search, KWIC and report pages is never reflected
as markup, never evaluated as a template, and never makes the server fail."""
from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest

from ingest.datadir import DataDir
from web.app import create_app
from web.commands.ingest import run_ingest

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*'7'}}",
    "'><svg/onload=alert(1)>",
    "法治<script>alert(1)</script>",
    '"法治<b>bold</b>"',
    "province:<script>alert(1)</script>",
]
#: what a payload would put in the page if it got through unescaped or evaluated
DANGER = [
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img\b", re.I),
    re.compile(r"<svg", re.I),
    re.compile(r"<b>bold", re.I),
    re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
    re.compile(r"7777777"),  # {{7*'7'}} rendered by a template engine
]

REPORT = "0cc60e079214b703"
SEARCH_PARAMS = ["q", "page", "limit", "sort", "province", "city", "county", "jurisdiction", "level", "publisher",
                 "year", "lang", "format"]
KWIC_PARAMS = ["q", "width", "sort", "sample", "seed", "page", "limit", "filter", "province", "city", "county",
               "jurisdiction", "level", "publisher", "year", "lang", "format"]
LINKS_PARAMS = ["node", "measure", "k", "lang", "format"]
#: path → (parameters, values the other parameters keep so that the page has results)
PAGES = {
    "/": (["q", "lang", "format"], {}),
    "/index.json": (["lang"], {}),
    "/search": (SEARCH_PARAMS, {"q": "法律明白人"}),
    "/search.json": (SEARCH_PARAMS, {"q": "法律明白人"}),
    "/search.csv": (SEARCH_PARAMS, {"q": "法律明白人"}),
    "/kwic": (KWIC_PARAMS, {"q": "法律明白人"}),
    "/kwic.json": (KWIC_PARAMS, {"q": "法律明白人"}),
    "/kwic.tsv": (KWIC_PARAMS, {"q": "法律明白人"}),
    f"/report/{REPORT}": (["q", "lang", "format"], {}),
    f"/report/{REPORT}.json": (["q", "lang"], {}),
    "/ask": (["q", "lang", "format"], {"q": "哪些县开展了“法律明白人”?"}),
    "/ask.json": (["q", "lang"], {"q": "哪些县开展了“法律明白人”?"}),
    "/links/related": (LINKS_PARAMS, {"node": "法律明白人"}),
    "/links/related.json": (LINKS_PARAMS, {"node": "法律明白人"}),
    "/links/neighbours": (LINKS_PARAMS, {"node": "甘谷县"}),
    "/links/path": (["from", "to", "lang", "format"], {"from": "法律明白人", "to": "兴法铺子"}),
    "/links/timeline": (["node", "lang", "format"], {"node": "法律明白人"}),
    "/links/timeline.csv": (["node", "lang"], {"node": "法律明白人"}),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = DataDir(tmp_path_factory.mktemp("web-escaping"))
    run_ingest([], data, quiet=True)
    assert REPORT in data.registry()
    app = create_app(data.root)
    app.config.update(TESTING=True)
    yield app.test_client()
    executor = getattr(app.blueprints.get("sparql"), "executor", None)
    if executor is not None:
        executor.close()


def cases():
    for path, (params, base) in PAGES.items():
        for param in params:
            for payload in PAYLOADS:
                yield path, {**base, param: payload}


def check(response, where: str, allowed=(200, 400, 404, 406)) -> None:
    assert response.status_code in allowed, (where, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body, where
    if response.mimetype == "application/json":
        json.loads(body)  # a reflected payload is data inside a JSON string, nothing more
        return
    if response.mimetype in ("text/csv", "text/tab-separated-values", "text/plain"):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        return
    assert response.mimetype == "text/html", where
    for danger in DANGER:
        assert not danger.search(body), (where, danger.pattern)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path,params", list(cases()),
                         ids=[f"{path}-{'&'.join(params)}-{i % len(PAYLOADS)}" for i, (path, params) in enumerate(cases())])
def test_parameters_are_never_reflected_as_markup(client, path, params):
    check(client.get(path + "?" + urlencode(params)), f"{path}?{params}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_report_id_is_never_reflected_as_markup(client, payload):
    for suffix in ("", ".json"):
        response = client.get(f"/report/{quote(payload, safe='')}{suffix}")
        check(response, payload + suffix)
        assert response.status_code == 404


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unknown_paths_and_headers_are_never_reflected(client, payload):
    check(client.get("/" + quote(payload, safe="")), payload)
    check(client.get("/search?q=法治", headers={"Accept-Language": payload, "Cookie": f"fzkg_lang={quote(payload)}"}),
          payload)
    # questions are asked by GET: a POST is refused, and still nothing reflected
    check(client.post("/ask", data={"q": payload}), payload, allowed=(405,))


def test_a_facet_value_with_markup_stays_text(client):
    # filter values end up in chips, links and the parsed query: all of them escaped
    response = client.get("/search?" + urlencode({"q": "法治", "province": '<script>alert(1)</script>"',
                                                  "publisher": "a b\"c"}))
    check(response, "facet value")
    assert "&lt;script&gt;" in response.get_data(as_text=True)
