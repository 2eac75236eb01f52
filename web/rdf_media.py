"""RDF answers of the Linked Data pages: media types, file suffixes and negotiation.

A Linked Data URL answers a browser with HTML and an RDF client with RDF: the same URL with an
``Accept`` header, or the URL with a suffix (``.ttl`` ``.jsonld`` ``.nt`` ``.rdf``) for a link
that names its format. ``.json`` is the JSON twin of the HTML page (see :mod:`web.twin`), not
RDF: JSON-LD has a media type of its own and clients that want it ask for it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from flask import Response, request
from rdflib import BNode, Graph, URIRef

from ontology import ID, PREFIXES


@dataclass(frozen=True)
class RdfFormat:
    name: str
    media_type: str
    suffix: str
    rdflib_name: str

    @property
    def content_type(self) -> str:
        # the text form carries Chinese literals: name the encoding rather than let clients guess
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


RDF_FORMATS = (
    RdfFormat("turtle", "text/turtle", "ttl", "turtle"),
    RdfFormat("jsonld", "application/ld+json", "jsonld", "json-ld"),
    RdfFormat("ntriples", "application/n-triples", "nt", "nt"),
    RdfFormat("rdfxml", "application/rdf+xml", "rdf", "xml"),
)
BY_NAME = {fmt.name: fmt for fmt in RDF_FORMATS}
BY_SUFFIX = {fmt.suffix: fmt for fmt in RDF_FORMATS}
#: Older or looser names clients send for the same formats.
MEDIA_ALIASES = {"application/x-turtle": "turtle"}

HTML = "html"
JSON = "json"
#: What a Linked Data page offers, in the order that breaks ties (``*/*`` → HTML).
PAGE_TYPES = ("text/html", "application/xhtml+xml", *(fmt.media_type for fmt in RDF_FORMATS),
              "application/x-turtle", "application/json")


class NotAcceptable(Exception):
    def __init__(self, offered: tuple[str, ...]):
        self.offered = offered
        super().__init__("none of the accepted types is available; available: " + ", ".join(offered))


def negotiate(offered: tuple[str, ...] = PAGE_TYPES) -> str:
    """``"html"``, ``"json"`` or an RDF format name for the current request's ``Accept``.

    HTML wins ties and a missing header; an ``Accept`` that rules out everything offered
    (not even ``*/*``) raises :class:`NotAcceptable`. JSON (the page's twin) is chosen only when
    the client prefers it to HTML, which browsers never do.
    """
    accept = request.accept_mimetypes
    if not accept:
        return HTML
    best = accept.best_match(offered)
    if best is None:
        raise NotAcceptable(tuple(t for t in offered if t not in MEDIA_ALIASES))
    if best in ("text/html", "application/xhtml+xml"):
        return HTML
    if best == "application/json":
        return JSON if accept.quality("application/json") > accept.quality("text/html") else HTML
    for fmt in RDF_FORMATS:
        if best == fmt.media_type:
            return fmt.name
    return MEDIA_ALIASES.get(best) or HTML


def not_acceptable_response(error: NotAcceptable) -> Response:
    """406 with the list of types, as plain text: the client accepts none of our richer forms."""
    body = "406 Not Acceptable\nThis resource is available as:\n" + "".join(f"  {t}\n" for t in error.offered)
    response = Response(body, status=406, mimetype="text/plain")
    response.charset = "utf-8"
    response.vary.add("Accept")
    return response


def _used_prefixes(graph: Graph) -> dict[str, str]:
    iris = {str(term) for triple in graph for term in triple}
    iris |= {str(o.datatype) for o in graph.objects() if getattr(o, "datatype", None)}
    return {prefix: str(ns) for prefix, ns in PREFIXES.items() if any(i.startswith(str(ns)) for i in iris)}


def _oxigraph_term(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def serialize(graph: Graph, fmt: RdfFormat) -> bytes:
    """``graph`` in ``fmt`` with the project prefixes (JSON-LD gets them as its ``@context``)."""
    if fmt.name == "turtle":
        # Oxigraph writes Turtle about 17 times faster than rdflib (a jurisdiction's ~1000 triples:
        # 12 ms against 210 ms); sorted, so that each subject's triples come together
        triples = [ox.Triple(*map(_oxigraph_term, triple)) for triple in sorted(graph)]
        # resource names hold "/", which a prefixed name must escape (fzid:report\/…): full IRIs read better
        prefixes = {p: ns for p, ns in _used_prefixes(graph).items() if ns != str(ID)}
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    if fmt.name == "jsonld":
        return graph.serialize(format="json-ld", context=_used_prefixes(graph), auto_compact=True, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")


def rdf_response(graph: Graph, fmt: RdfFormat, *, etag: str | None = None) -> Response:
    response = Response(serialize(graph, fmt), content_type=fmt.content_type)
    response.vary.add("Accept")
    if etag:
        response.set_etag(etag)
    return response


def alternate_links(base_path: str) -> list[dict]:
    """The RDF forms of a page, for ``<link rel=alternate>``, the ``Link`` header and buttons."""
    return [{"href": f"{base_path}.{fmt.suffix}", "type": fmt.media_type, "suffix": fmt.suffix, "name": fmt.name}
            for fmt in RDF_FORMATS]


def link_header(links: list[dict]) -> str:
    return ", ".join(f'<{link["href"]}>; rel="alternate"; type="{link["type"]}"' for link in links)
