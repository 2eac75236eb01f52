"""The report page (``/report/<id>``, ``/report/<id>.json``): the original text with every extracted
mention marked and linked to its entity page, and a panel of the report's facts, each with an
evidence link ``#char=START,END`` (RFC 5147 character offsets into the original text).

Everything shown comes from the graph and the stored text; nothing is extracted again here.
Each fact carries its evidence sentence (``oa:start``/``oa:end``/``oa:exact``) and where the
mention itself stands (``fz:mentionStart``/``fz:mentionEnd``). The jurisdiction and the publisher
have only their sentence, so their names are found inside it (exactly, else in the normalised
text, which has the same length so the offsets hold).

The text is rendered so the browser can find any character offset: each paragraph is cut into
leaf ``<span class="seg" data-start data-end>`` pieces holding only text, cut at every evidence
and mention boundary. ``static/report.js`` marks the span named in the URL fragment.
"""
from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Blueprint, current_app, request
from markupsafe import Markup, escape

from ingest.normalize import normalise
from ingest.report import DOCUMENT_RELATIONS, LAW_RELATIONS, LEVELS
from ontology import FZ, level_iri, relation_iri, report_graph_iri, report_iri
from search.highlight import match_spans
from search.query import QueryError, parse
from web.context import service
from web.i18n import t
from web.twin import bad_request, entity_url, not_found, page_blueprint, render_page, twin_route

#: fact kind → statement class
KINDS = {"laws": FZ.LawMention, "documents": FZ.DocumentMention, "programs": FZ.ProgramMention,
         "initiatives": FZ.InitiativeMention}
_KIND_OF_CLASS = {str(cls): kind for kind, cls in KINDS.items()}
_RELATIONS = {str(relation_iri(name)): name for name in (*LAW_RELATIONS, *DOCUMENT_RELATIONS, "ran")}
_LEVELS = {str(level_iri(name)): name for name in LEVELS}
#: characters that end a line (the normaliser folds the rarer ones onto "\n")
_LINE = re.compile(r"[^\r\n]+")

_DESCRIPTION = """
SELECT ?report ?g ?title ?source ?year ?issued ?place ?basis
WHERE {
  GRAPH ?g { ?report a fz:Report .
    OPTIONAL { ?report dct:title ?title } OPTIONAL { ?report dct:source ?source }
    OPTIONAL { ?report fz:year ?year } OPTIONAL { ?report dct:issued ?issued }
    OPTIONAL { ?report dct:spatial ?place } OPTIONAL { ?report fz:jurisdictionBasis ?basis } }
} LIMIT 1"""

# A query of its own: as an OPTIONAL of the description, a report without a publisher would leave
# ?publisher unbound and the label pattern would then match any labelled resource.
_PUBLISHER = """
SELECT ?report ?g ?publisher (SAMPLE(?name) AS ?label) (SAMPLE(?parent) AS ?department_of) WHERE {
  GRAPH ?g { ?report dct:publisher ?publisher . OPTIONAL { ?publisher org:subOrganizationOf ?parent } }
  OPTIONAL { ?publisher rdfs:label ?name }
} GROUP BY ?report ?g ?publisher LIMIT 1"""

_NOTES = """
SELECT ?report ?g ?note WHERE { GRAPH ?g { ?report fz:extractionNote ?note } } ORDER BY ?note"""

# The evidence of the report's own attributions: jurisdiction and publisher.
_ATTRIBUTIONS = """
SELECT ?report ?g ?which ?start ?end ?exact WHERE {
  VALUES ?which { fz:jurisdictionEvidence fz:publisherEvidence }
  GRAPH ?g { ?report ?which ?e . ?e oa:start ?start ; oa:end ?end ; oa:exact ?exact } }"""

# Zero or more steps up from the report's jurisdiction: itself and every division above it.
_PLACES = """
SELECT ?report ?place ?name ?code ?level WHERE {
  ?report dct:spatial ?jurisdiction . ?jurisdiction org:subOrganizationOf* ?place .
  ?place a fz:Jurisdiction .
  OPTIONAL { ?place rdfs:label ?name } OPTIONAL { ?place skos:notation ?code }
  OPTIONAL { ?place fz:level ?level } }"""

_ALTERNATIVES = """
SELECT ?report ?g ?place ?name ?code WHERE {
  GRAPH ?g { ?report dct:spatial ?jurisdiction . ?jurisdiction fz:ambiguousWith ?place }
  OPTIONAL { ?place rdfs:label ?name } OPTIONAL { ?place skos:notation ?code } }"""

# Labels are asked for apart (_OBJECT_LABELS, _RELATION_LABELS): joined into this query as
# OPTIONALs they made it twice as slow.
_STATEMENTS = """
SELECT ?report ?g ?statement ?kind ?object ?relation ?written ?start ?end ?exact ?mention_start ?mention_end WHERE {
  VALUES ?kind { fz:LawMention fz:DocumentMention fz:ProgramMention fz:InitiativeMention }
  GRAPH ?g { ?statement fz:report ?report ; a ?kind ; fz:object ?object ; fz:relation ?relation ;
                        fz:evidence ?e ; fz:mentionStart ?mention_start ; fz:mentionEnd ?mention_end .
    ?e oa:start ?start ; oa:end ?end ; oa:exact ?exact .
    OPTIONAL { ?statement fz:writtenAs ?written } } }
ORDER BY ?start ?statement"""

_OBJECT_LABELS = """
SELECT ?report ?g ?object (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en) (SAMPLE(?rank_) AS ?rank) WHERE {
  GRAPH ?g { ?statement fz:report ?report ; fz:object ?object }
  OPTIONAL { ?object rdfs:label|skos:prefLabel ?zh FILTER(lang(?zh) = "zh") }
  OPTIONAL { ?object rdfs:label|skos:prefLabel ?en FILTER(lang(?en) = "en") }
  OPTIONAL { ?object fz:rank ?rank_ }
} GROUP BY ?report ?g ?object"""

_RELATION_LABELS = """
SELECT ?relation (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en) WHERE {
  ?relation a fz:Relation .
  OPTIONAL { ?relation rdfs:label ?zh FILTER(lang(?zh) = "zh") }
  OPTIONAL { ?relation rdfs:label ?en FILTER(lang(?en) = "en") }
} GROUP BY ?relation"""

_FIGURES = """
SELECT ?report ?g ?observation ?what ?value ?unit ?approximate ?start ?end ?exact WHERE {
  GRAPH ?g { ?observation fz:report ?report ; a qb:Observation ; fz:measureName ?what ; fz:value ?value ;
                          fz:evidence ?e .
    OPTIONAL { ?observation fz:unit ?unit } OPTIONAL { ?observation fz:approximate ?approximate }
    ?e oa:start ?start ; oa:end ?end ; oa:exact ?exact } }
ORDER BY ?start ?observation"""


def evidence(start, end, exact) -> dict:
    start, end = int(start.toPython()), int(end.toPython())
    return {"start": start, "end": end, "text": str(exact), "anchor": f"#char={start},{end}"}


def locate(text: str, sentence: dict, candidates: list[str]) -> tuple[int, int] | None:
    """Where the first findable candidate stands in the evidence sentence (absolute offsets)."""
    start, end = sentence["start"], sentence["end"]
    passage = text[start:end]
    for candidate in candidates:
        if not candidate:
            continue
        at = passage.find(candidate)
        if at < 0:
            # curly and straight quotes, full- and half-width forms: same length, same offsets
            at = normalise(passage).find(normalise(candidate))
        if at >= 0:
            return start + at, start + at + len(candidate)
    return None


@dataclass
class Span:
    """A stretch of the text drawn as a link to an entity page."""

    start: int
    end: int
    kind: str
    url: str | None
    title: str
    statement: str = ""


def _labels(row) -> dict[str, str]:
    return {lang: str(row[f"label_{lang}"]) for lang in ("zh", "en") if row[f"label_{lang}"] is not None}


@dataclass
class ReportView:
    report_id: str
    text: str
    data: dict = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)


def read_report(report_id: str, text: str) -> ReportView:
    graph = service().graph
    bindings = {"report": report_iri(report_id), "g": report_graph_iri(report_id)}
    view = ReportView(report_id, text)
    rows = list(graph.query(_DESCRIPTION, bindings))
    row = rows[0] if rows else None

    def value(name):
        term = row[name] if row is not None else None
        return term.toPython() if term is not None else None

    data = {"id": report_id, "iri": str(report_iri(report_id)), "title": value("title"), "source": value("source"),
            "year": value("year"), "published": str(value("issued")) if value("issued") is not None else None,
            "notes": [str(r["note"]) for r in graph.query(_NOTES, bindings)], "characters": len(text)}
    attributions = {str(r["which"]): evidence(r["start"], r["end"], r["exact"])
                    for r in graph.query(_ATTRIBUTIONS, bindings)}
    place = row["place"] if row is not None else None
    data["jurisdiction"] = None
    if place is not None:
        chain = []
        for r in graph.query(_PLACES, {"report": bindings["report"]}):
            level = _LEVELS.get(str(r["level"])) if r["level"] is not None else None
            chain.append({"iri": str(r["place"]), "url": entity_url(r["place"]), "name": str(r["name"] or ""),
                          "code": str(r["code"] or ""), "level": level})
        chain.sort(key=lambda p: (LEVELS.index(p["level"]) if p["level"] in LEVELS else len(LEVELS), len(p["code"])))
        own = next((p for p in chain if p["iri"] == str(place)), {"iri": str(place), "url": entity_url(place),
                                                                   "name": "", "code": "", "level": None})
        proof = attributions.get(str(FZ.jurisdictionEvidence))
        data["jurisdiction"] = {
            **own, "basis": value("basis"), "evidence": proof,
            "parents": [p for p in chain if p["iri"] != str(place)],
            "alternatives": [{"iri": str(r["place"]), "url": entity_url(r["place"]), "name": str(r["name"] or ""),
                              "code": str(r["code"] or "")} for r in graph.query(_ALTERNATIVES, bindings)]}
        if proof and own["name"]:
            at = locate(text, proof, [own["name"]])
            if at:
                view.spans.append(Span(*at, "jurisdiction", own["url"], own["name"]))
    publishers = list(graph.query(_PUBLISHER, bindings))
    data["publisher"] = None
    if publishers:
        found = publishers[0]
        publisher = found["publisher"]
        if place is not None and publisher == place:
            kind = "government"  # a jurisdiction stands for its people's government
        elif found["department_of"] is not None:
            kind = "department"
        else:
            kind = "other"
        name = str(found["label"] or "")
        proof = attributions.get(str(FZ.publisherEvidence))
        data["publisher"] = {"iri": str(publisher), "url": entity_url(publisher), "name": name, "kind": kind,
                             "evidence": proof}
        if proof and name and kind != "government":
            at = locate(text, proof, [name])
            if at:
                view.spans.append(Span(*at, "publisher", entity_url(publisher), name))

    objects = {str(r["object"]): (_labels(r), str(r["rank"]) if r["rank"] is not None else None)
               for r in graph.query(_OBJECT_LABELS, bindings)}
    relations = {str(r["relation"]): _labels(r) for r in graph.query(_RELATION_LABELS)}
    facts = {kind: [] for kind in KINDS}
    for r in graph.query(_STATEMENTS, bindings):
        kind = _KIND_OF_CLASS.get(str(r["kind"]))
        if kind is None:
            continue
        labels, rank = objects.get(str(r["object"]), ({}, None))
        written = str(r["written"]) if r["written"] is not None else None
        proof = evidence(r["start"], r["end"], r["exact"])
        at = (int(r["mention_start"].toPython()), int(r["mention_end"].toPython()))
        fact = {"statement": str(r["statement"]), "object": str(r["object"]), "url": entity_url(r["object"]),
                "label": labels, "relation": _RELATIONS.get(str(r["relation"]), str(r["relation"])),
                "relation_label": relations.get(str(r["relation"]), {}), "written": written,
                "evidence": proof, "mention": {"start": at[0], "end": at[1], "text": text[at[0]:at[1]]}}
        if kind == "laws":
            fact["rank"] = rank
        facts[kind].append(fact)
        view.spans.append(Span(*at, kind, fact["url"], labels.get("zh") or written or "", fact["statement"]))
    data["facts"] = facts
    data["figures"] = [{"observation": str(r["observation"]), "what": str(r["what"]), "value": r["value"].toPython(),
                        "unit": str(r["unit"] or ""), "approximate": bool(r["approximate"].toPython())
                        if r["approximate"] is not None else False,
                        "evidence": evidence(r["start"], r["end"], r["exact"])}
                       for r in graph.query(_FIGURES, bindings)]
    view.data = data
    return view


#: how many report views are kept (a view is the report's facts and mention spans, some 100 kB)
CACHED_REPORTS = 32
_cache_lock = threading.Lock()


def cached_report(report_id: str, text: str) -> ReportView:
    """:func:`read_report`, kept per data version: a report's facts change only with an ingest."""
    key = (service().version(), report_id)
    cache = current_app.extensions.setdefault("fzkg_report_views", OrderedDict())
    with _cache_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    view = read_report(report_id, text)
    with _cache_lock:
        cache[key] = view
        while len(cache) > CACHED_REPORTS:
            cache.popitem(last=False)
    return view


def drawable(spans: list[Span]) -> list[Span]:
    """Spans that do not overlap: earlier first, and of two starting together the longer.
    Links cannot nest, so a mention inside another (宪法 in 宪法宣传周) keeps only its panel entry."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.end > span.start and (not kept or span.start >= kept[-1].end):
            kept.append(span)
    return kept


def render_text(text: str, spans: list[Span], cuts: set[int], hits: list[tuple[int, int]]) -> Markup:
    """The text as paragraphs of leaf pieces, cut at every boundary of ``cuts``, ``spans`` and ``hits``."""
    boundaries = set(cuts)
    for span in spans:
        boundaries.update((span.start, span.end))
    for start, end in hits:
        boundaries.update((start, end))
    ordered = sorted(boundaries)
    spans = sorted(spans, key=lambda s: s.start)
    hits = sorted(hits)
    out: list[str] = []
    span_index = hit_index = 0
    for line in _LINE.finditer(normalise(text)):
        start, end = line.span()
        if not text[start:end].strip():
            continue
        out.append(f'<p data-start="{start}" data-end="{end}">')
        points = [start, *ordered[bisect.bisect_right(ordered, start):bisect.bisect_left(ordered, end)], end]
        open_span: Span | None = None
        for a, b in zip(points, points[1:]):
            if a == b:
                continue
            while span_index < len(spans) and spans[span_index].end <= a:
                span_index += 1
            current = spans[span_index] if span_index < len(spans) and spans[span_index].start <= a else None
            if current is not open_span:
                if open_span is not None:
                    out.append("</a>" if open_span.url else "</span>")
                if current is not None:
                    tag = "a" if current.url else "span"
                    href = f' href="{escape(current.url)}"' if current.url else ""
                    out.append(f'<{tag} class="mention mention-{current.kind}"{href} title="{escape(current.title)}"'
                               f' data-start="{current.start}" data-end="{current.end}">')
                open_span = current
            while hit_index < len(hits) and hits[hit_index][1] <= a:
                hit_index += 1
            is_hit = hit_index < len(hits) and hits[hit_index][0] <= a
            css = "seg hit" if is_hit else "seg"
            out.append(f'<span class="{css}" data-start="{a}" data-end="{b}">{escape(text[a:b])}</span>')
        if open_span is not None:
            out.append("</a>" if open_span.url else "</span>")
        out.append("</p>\n")
    return Markup("".join(out))


def query_hits(report_id: str, text: str, query: str) -> list[tuple[int, int]]:
    try:
        node = parse(query)
    except QueryError as error:
        bad_request(t("error.query", message=str(error)))
    try:
        matched = service().index.engine.stored(report_id)["text"]
    except Exception:  # no index, or the report not in it: the text itself, normalised, will do
        matched = normalise(text)
    return match_spans(matched, node)


def create_blueprint(context) -> Blueprint:
    blueprint = page_blueprint("report", __name__)

    @twin_route(blueprint, "/report/<report_id>")
    def report(report_id: str):
        registry = service().datadir.registry()
        if report_id not in registry:
            not_found(t("error.unknown_report", id=report_id))
        try:
            text = service().datadir.read_text(report_id)
        except FileNotFoundError:
            not_found(t("error.unknown_report", id=report_id))
        view = cached_report(report_id, text)
        query = request.args.get("q", "").strip()
        hits = query_hits(report_id, text, query) if query else []
        # the cached view is shared between requests: add to a new dict, never change its contents
        data = {**view.data, "q": query or None, "matches": [list(span) for span in hits],
                "text": text}
        if not data.get("source"):
            data["source"] = registry[report_id].get("source")
        spans = drawable(view.spans)
        cuts = set()
        for fact in [f for facts in data["facts"].values() for f in facts] + data["figures"]:
            cuts.update((fact["evidence"]["start"], fact["evidence"]["end"]))
        for attribution in (data["jurisdiction"], data["publisher"]):
            if attribution and attribution.get("evidence"):
                cuts.update((attribution["evidence"]["start"], attribution["evidence"]["end"]))
        located = sum(1 for facts in data["facts"].values() for f in facts if f["mention"])
        total = sum(len(facts) for facts in data["facts"].values())
        return render_page("report.html", data, body=render_text(text, spans, cuts, hits),
                           located=located, mention_total=total, drawn=len(spans))

    return blueprint
