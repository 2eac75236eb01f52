"""Search (``/search``) and concordance (``/kwic``) pages, their JSON twins and their exports.

Both take the facet filters as parameters of their own (``province``, ``city``, ``county``,
``jurisdiction``, ``level``, ``publisher``, ``year``) rather than rewriting ``q``: the search box
keeps what the reader typed, each active filter can be removed on its own, and the query that
actually ran — ``(q) province:… year:…`` — is reported as the provenance ``query`` of every
export, where ``fzkg search`` accepts it unchanged.

The JSON twins have the shape of ``fzkg search --format json`` and ``fzkg kwic --format json``
(provenance keys, then the result), plus the paging and filter keys of the page. ``.csv`` and
``.tsv`` give the rows of the same request; the export links on the page ask for all rows
(``limit=0``).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, request
from markupsafe import Markup, escape
from werkzeug.exceptions import ServiceUnavailable

from ingest.normalize import normalise
from search.engine import FACETS, SORTS, IndexNotFound
from search.export import Table, provenance
from search.highlight import snippet_text
from ingest.report import LEVELS
from search.kwic import KWIC_SORTS, ConcordanceCounts, cached_concordance_counts, phrase_argument
from search.query import QUOTE, QueryError, explain, parse, positive_leaves
from web.commands.kwic import LINE_COLUMNS
from web.commands.search import HIT_COLUMNS, one_line
from web.context import service
from web.i18n import t
from web.twin import (bad_request, choice_arg, export_response, int_arg, json_response, page_blueprint, paging,
                      paging_without_total, render_page, requested_format, twin_route, url_with)

#: filter parameters, in the order they are shown and appended to the query
FILTER_PARAMS = ("province", "city", "county", "jurisdiction", "level", "publisher", "year")
#: facet of the search result → the filter parameter a click on one of its values sets
FACET_PARAMS = {"province": "province", "city": "city", "level": "level", "year": "year",
                "publisher_kind": "publisher"}
#: KWIC distribution → filter parameter
DISTRIBUTION_PARAMS = {"by_year": "year", "by_province": "province", "by_level": "level"}
PAGE_SIZE = 20
KWIC_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_WIDTH = 200
MAX_SAMPLE = 100_000
#: A concordance page counts every occurrence itself (so it needs no script) when the index holds
#: at most this many reports or the phrase occurs in at most this many; otherwise the page shows
#: its lines at once and its script fetches the counts from /kwic/counts.json.
COUNT_WITH_PAGE_REPORTS = 1000
FORMATS = ("html", "json", "csv", "tsv")
#: characters the query lexer treats specially inside a field value
_SPECIAL = frozenset({QUOTE, "(", ")", "\\"})


class QueryProblem(Exception):
    """A query or filter the parser refused; shown on the page itself with status 400."""


@dataclass
class Query:
    #: what the reader typed
    base: str
    #: (parameter, value) of each active filter
    filters: list[tuple[str, str]]
    #: the query that runs: ``(base) filter:value …``
    text: str
    node: object | None


def filter_term(name: str, value: str) -> str:
    """``name:value`` in the query syntax, quoted when the value has spaces or syntax characters."""
    normal = normalise(value)
    if normal and not any(char.isspace() or char in _SPECIAL for char in normal):
        return f"{name}:{value}"
    escaped = "".join("\\" + char if normalise(char) in ('"', "\\") else char for char in value)
    return f'{name}:"{escaped}"'


def active_filters() -> list[tuple[str, str]]:
    return [(name, request.args[name].strip()) for name in FILTER_PARAMS if request.args.get(name, "").strip()]


def build_query(base: str, filters: list[tuple[str, str]]) -> Query:
    """Validate the typed query and each filter on its own, so an error names what is wrong."""
    terms = []
    for name, value in filters:
        term = filter_term(name, value)
        try:
            parse(term)
        except QueryError as error:
            raise QueryProblem(t("error.filter", name=name, message=error.message)) from None
        terms.append(term)
    base = base.strip()
    if base:
        try:
            parse(base)
        except QueryError as error:
            raise QueryProblem(t("error.query", message=str(error))) from None
    parts = ([f"({base})" if terms else base] if base else []) + terms
    text = " ".join(parts)
    return Query(base, filters, text, parse(text) if text else None)


def open_index():
    try:
        return service().index
    except IndexNotFound:
        raise ServiceUnavailable(t("error.no_index")) from None


def filter_chips(filters: list[tuple[str, str]]) -> list[dict]:
    return [{"name": name, "value": value, "remove": url_with(**{name: None, "page": None})}
            for name, value in filters]


def kwic_phrases(node) -> list[str]:
    """The strings of the query a concordance can be made of (its positive words and phrases)."""
    if node is None:
        return []
    texts = [leaf.text for leaf in positive_leaves(node)]
    return list(dict.fromkeys(text for text in texts if text.strip()))


def kwic_url(phrase: str, query: Query | None) -> str:
    params = {"q": phrase}
    # the concordance of a phrase within the reports the whole search matched
    if query is not None and query.base and query.base.strip() not in (phrase, QUOTE + phrase + QUOTE):
        params["filter"] = query.base
    for name, value in (query.filters if query else []):
        params[name] = value
    return "/kwic?" + urlencode(params)


def report_url(report_id: str, span: tuple[int, int] | None = None, query: str | None = None) -> str:
    url = f"/report/{report_id}"
    if query:
        url += "?" + urlencode({"q": query})
    if span:
        url += f"#char={span[0]},{span[1]}"
    return url


def kwic_request() -> tuple[str, str, str, list[tuple[str, str]]]:
    """(q as typed, the phrase, the filter query as typed, the filter parameters) of a KWIC request."""
    raw = request.args.get("q", "")
    return raw, phrase_argument(raw.strip()), request.args.get("filter", ""), active_filters()


def kwic_provenance_query(phrase: str, query: Query) -> str:
    return phrase if not query.text else f"{phrase} [filter: {query.text}]"


def kwic_counts_url(raw: str, filter_text: str, filters: list[tuple[str, str]]) -> str:
    params = {"q": raw, **({"filter": filter_text} if filter_text else {}), **dict(filters)}
    return "/kwic/counts.json?" + urlencode(params)


def kwic_counts_with_page(index, result, phrase: str, node, version: str) -> ConcordanceCounts | None:
    """The counts of a concordance page when they are cheap now (known with the lines, remembered,
    or over few reports); None leaves them to /kwic/counts.json."""
    if result.total is not None:
        return ConcordanceCounts(phrase=result.phrase, total=result.total, reports=result.reports,
                                 distribution=result.distribution)
    remembered = cached_concordance_counts(index.engine, phrase, node, version)
    if remembered is not None:
        return remembered
    few = (result.reports is not None and result.reports <= COUNT_WITH_PAGE_REPORTS) \
        or index.engine.report_count() <= COUNT_WITH_PAGE_REPORTS
    return index.concordance_counts(phrase, node, version=version) if few else None


_MARK = re.compile(r"(</?mark>)")


def snippet_markup(snippet: str) -> Markup:
    """A search snippet as markup, trusting nothing in it but balanced ``<mark>`` tags.

    The engine already escapes the text between the marks; unescaping and escaping it again
    leaves that text as it was and neutralises anything else that might have slipped in.
    """
    parts, inside = [], False
    for piece in _MARK.split(snippet or ""):
        if piece == "<mark>" and not inside:
            parts.append(piece)
            inside = True
        elif piece == "</mark>" and inside:
            parts.append(piece)
            inside = False
        else:
            parts.append(str(escape(html.unescape(piece))))
    if inside:
        parts.append("</mark>")
    return Markup("".join(parts))


def create_blueprint(context) -> Blueprint:
    blueprint = page_blueprint("search", __name__)
    blueprint.add_app_template_filter(snippet_markup, "snippet")

    @twin_route(blueprint, "/search", formats=("json", "csv", "tsv"))
    def search():
        fmt = requested_format(FORMATS)
        q = request.args.get("q", "")
        page = int_arg("page", 1, minimum=1)
        limit = int_arg("limit", PAGE_SIZE, minimum=0, maximum=MAX_PAGE_SIZE)
        sort = choice_arg("sort", SORTS, "relevance")
        filters = active_filters()
        try:
            query = build_query(q, filters)
        except QueryProblem as problem:
            if fmt != "html":
                bad_request(str(problem))
            return render_page("search.html", {"q": q, "error": str(problem), "filters": dict(filters)},
                               status=400, chips=filter_chips(filters))
        if query.node is None:
            if fmt in ("csv", "tsv"):
                bad_request(t("error.empty_query"))
            return render_page("search.html", {"q": q, "query": "", "total": None, "hits": [],
                                               "filters": []})
        index = open_index()
        page_size = limit or None
        if page_size is None:
            page = 1
        result = index.search(query.node, sort=sort, page=page, page_size=page_size, facets=True)
        version = index.data_version()
        parsed = explain(query.node)
        html_snippets = fmt in ("html", "json")
        rows = [{"report": hit.report_id, "source": hit.source, "title": hit.title,
                 "jurisdiction": hit.jurisdiction, "code": hit.code, "year": hit.year,
                 "snippet": hit.snippet_html if html_snippets else one_line(snippet_text(hit.snippet_html))}
                for hit in result.hits]
        facets = {name: [[value, count] for value, count in values] for name, values in result.facets.items()}
        if fmt in ("csv", "tsv"):
            table = Table(columns=HIT_COLUMNS, rows=rows, provenance=provenance(query.text, version),
                          extra={}, rows_key="hits")
            return export_response(table, fmt, f"fzkg-search-{version}")
        for row, hit in zip(rows, result.hits):
            row["url"] = report_url(hit.report_id, hit.matches[0] if hit.matches else None, query.text)
        data = {**provenance(query.text, version), "q": q, "filters": dict(filters), "parsed": parsed,
                "sort": sort, "limit": limit, "total": result.total,
                **paging(page, page_size, result.total), "facets": facets, "hits": rows}
        offset = (page - 1) * (page_size or 0)
        facet_links = {name: [{"value": value, "count": count, "param": FACET_PARAMS.get(name),
                               "active": (FACET_PARAMS.get(name), str(value)) in filters,
                               "href": url_with(**{FACET_PARAMS[name]: value, "page": None})
                               if name in FACET_PARAMS else None}
                              for value, count in values]
                       for name, values in result.facets.items()}
        return render_page("search.html", data, offset=offset, facet_links=facet_links,
                           facet_order=[name for name in FACETS if name in facet_links],
                           chips=filter_chips(filters),
                           kwic_links=[(phrase, kwic_url(phrase, query)) for phrase in kwic_phrases(query.node)],
                           sorts=SORTS)

    @twin_route(blueprint, "/kwic", formats=("json", "csv", "tsv"))
    def kwic():
        fmt = requested_format(FORMATS)
        raw, phrase, filter_text, filters = kwic_request()
        width = int_arg("width", 20, minimum=0, maximum=MAX_WIDTH)
        sort = choice_arg("sort", KWIC_SORTS, "position")
        sample = int_arg("sample", None, minimum=1, maximum=MAX_SAMPLE)
        seed = int_arg("seed", 0)
        page = int_arg("page", 1, minimum=1)
        limit = int_arg("limit", KWIC_PAGE_SIZE, minimum=0, maximum=MAX_PAGE_SIZE)
        try:
            query = build_query(filter_text, filters)
        except QueryProblem as problem:
            if fmt != "html":
                bad_request(str(problem))
            return render_page("kwic.html", {"q": raw, "error": str(problem), "filters": dict(filters)},
                               status=400, chips=filter_chips(filters))
        base = {"q": raw, "phrase": phrase, "filter": filter_text, "filters": dict(filters),
                "width": width, "sort": sort, "sample": sample, "seed": seed, "limit": limit}
        if not normalise(phrase).strip():
            if fmt in ("csv", "tsv") or (raw and fmt == "json"):
                bad_request(t("error.empty_phrase"))
            return render_page("kwic.html", {**base, "total": None, "lines": []}, chips=filter_chips(filters),
                               sorts=KWIC_SORTS)
        index = open_index()
        page_size = limit or None
        if page_size is None:
            page = 1
        # The lines first; the counts only when cheap (see kwic_counts_with_page), else the
        # page's script asks /kwic/counts.json for them.
        result = index.concordance(phrase, width=width, sort=sort, filter_ast=query.node, sample=sample,
                                   seed=seed, page=page, page_size=page_size, count=False)
        version = index.data_version()
        provenance_query = kwic_provenance_query(phrase, query)
        lines = [line.to_json() for line in result.lines]
        if fmt in ("csv", "tsv"):
            table = Table(columns=LINE_COLUMNS, rows=lines, provenance=provenance(provenance_query, version),
                          rows_key="lines")
            return export_response(table, fmt, f"fzkg-kwic-{version}")
        for line in lines:
            line["url"] = report_url(line["report"], (line["start"], line["end"]))
        counts = kwic_counts_with_page(index, result, phrase, query.node, version)
        total = counts.total if counts else None
        shown = min(total, sample) if sample and total is not None else total
        distribution = {name: [[value, count] for value, count in values]
                        for name, values in counts.distribution.items()} if counts else None
        counts_url = None if counts else kwic_counts_url(raw, filter_text, filters)
        data = {**provenance(provenance_query, version), **base, "phrase": result.phrase,
                "total": total, "reports": counts.reports if counts else result.reports,
                "sampled": shown if sample else None,
                **(paging(page, page_size, shown) if shown is not None else paging_without_total(page, result.more)),
                "distribution": distribution, "counts_url": counts_url, "lines": lines}
        distribution_links = {
            name: [{"value": value, "count": count, "share": count / total if total else 0,
                    "href": url_with(**{DISTRIBUTION_PARAMS[name]: value, "page": None}),
                    "active": (DISTRIBUTION_PARAMS[name], str(value)) in filters}
                   for value, count in values]
            for name, values in counts.distribution.items()} if counts else None
        search_query = query.base or QUOTE + phrase + QUOTE
        return render_page("kwic.html", data, chips=filter_chips(filters), distribution_links=distribution_links,
                           sorts=KWIC_SORTS, offset=(page - 1) * (page_size or 0), searched=True,
                           level_labels={level: t("level." + level) for level in LEVELS},
                           search_link="/search?" + urlencode({"q": search_query, **dict(filters)}))

    @blueprint.route("/kwic/counts.json")
    def kwic_counts():
        """Total, matching reports and distributions of a concordance (the parameters of /kwic
        that choose occurrences: q, filter and the filter parameters)."""
        raw, phrase, filter_text, filters = kwic_request()
        try:
            query = build_query(filter_text, filters)
        except QueryProblem as problem:
            bad_request(str(problem))
        if not normalise(phrase).strip():
            bad_request(t("error.empty_phrase"))
        index = open_index()
        version = index.data_version()
        counts = index.concordance_counts(phrase, query.node, version=version)
        return json_response({**provenance(kwic_provenance_query(phrase, query), version), **counts.to_json(),
                              "url": request.url})

    return blueprint


