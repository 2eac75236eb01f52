"""Result formats of the SPARQL endpoint: their names, media types and pyoxigraph serializers.

Kept free of Flask: the query workers import this module to serialise, and a worker should
start with as little imported as possible.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph

TABLE = "table"  # SELECT and ASK: SPARQL query results
GRAPH = "graph"  # CONSTRUCT and DESCRIBE: RDF triples


@dataclass(frozen=True)
class Format:
    #: The short name used in ``format=`` and passed to the worker.
    name: str
    #: Which kind of query this format serialises.
    kind: str
    #: The Content-Type sent when the client did not ask for a particular alias.
    media_type: str
    #: Other names and media types a client may use for the same format.
    aliases: tuple[str, ...] = ()
    #: Whether the format can carry an ASK answer (CSV and TSV define no boolean form).
    boolean: bool = True

    @property
    def oxigraph(self) -> pyoxigraph.QueryResultsFormat | pyoxigraph.RdfFormat:
        return _OXIGRAPH[self.name]

    @property
    def iri(self) -> str:
        """The W3C format IRI (``http://www.w3.org/ns/formats/…``) used in the service description."""
        return self.oxigraph.iri

    def names(self) -> tuple[str, ...]:
        return (self.name, self.media_type, *self.aliases)


TABLE_FORMATS = (
    Format("json", TABLE, "application/sparql-results+json", ("application/json",)),
    Format("xml", TABLE, "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", TABLE, "text/csv", boolean=False),
    Format("tsv", TABLE, "text/tab-separated-values", boolean=False),
)
GRAPH_FORMATS = (
    Format("turtle", GRAPH, "text/turtle", ("ttl", "application/x-turtle")),
    Format("ntriples", GRAPH, "application/n-triples", ("nt", "n-triples")),
    # A JSON-asking client of a graph query gets JSON-LD, the one JSON form of RDF.
    Format("jsonld", GRAPH, "application/ld+json", ("json-ld", "json", "application/json")),
    Format("rdfxml", GRAPH, "application/rdf+xml", ("xml", "rdf+xml", "rdf", "application/xml")),
)
FORMATS = {fmt.name: fmt for fmt in TABLE_FORMATS + GRAPH_FORMATS}

_OXIGRAPH = {
    "json": pyoxigraph.QueryResultsFormat.JSON,
    "xml": pyoxigraph.QueryResultsFormat.XML,
    "csv": pyoxigraph.QueryResultsFormat.CSV,
    "tsv": pyoxigraph.QueryResultsFormat.TSV,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
}


class NotAcceptable(Exception):
    """No format the client accepts fits the query; carries the formats that would."""

    def __init__(self, offered: list[Format], asked: str):
        self.offered = offered
        names = ", ".join(f"{fmt.name} ({fmt.media_type})" for fmt in offered)
        super().__init__(f"cannot answer in {asked}; available formats: {names}")


@dataclass(frozen=True)
class Choice:
    """A negotiated format and the Content-Type to answer with."""

    format: Format
    content_type: str


def formats_for(kind: str, *, boolean: bool = False) -> list[Format]:
    """The formats that can answer a query of ``kind`` (ASK when ``boolean``), default first."""
    offered = TABLE_FORMATS if kind == TABLE else GRAPH_FORMATS
    return [fmt for fmt in offered if fmt.boolean or not boolean]


def _content_type(media_type: str) -> str:
    # Text formats carry Chinese literals; say the encoding rather than let clients guess Latin-1.
    if media_type.startswith("text/"):
        return f"{media_type}; charset=utf-8"
    return media_type


def by_name(value: str, offered: list[Format]) -> Choice | None:
    """The offered format that ``value`` (a short name, alias or media type) names, if any."""
    wanted = value.strip().lower()
    for fmt in offered:
        if wanted in fmt.names():
            media_type = wanted if "/" in wanted else fmt.media_type
            return Choice(fmt, _content_type(media_type))
    return None


def negotiate(kind: str, *, boolean: bool, format_values: list[str], accept) -> Choice:
    """Choose the answer format: an explicit ``format`` parameter wins, then the Accept header.

    ``accept`` is a werkzeug ``MIMEAccept``. Several ``format`` values are allowed because
    SPARQLWrapper sends both a name and a media type (``format=tsv&format=text/tab-separated-values``);
    the first one understood wins.
    """
    offered = formats_for(kind, boolean=boolean)
    values = [value for value in format_values if value.strip()]
    if values:
        for value in values:
            choice = by_name(value, offered)
            if choice is not None:
                return choice
        raise NotAcceptable(offered, "format=" + "|".join(values))
    if not accept:
        return Choice(offered[0], _content_type(offered[0].media_type))
    # Defaults come first, so a bare */* picks them.
    candidates = [name for fmt in offered for name in (fmt.media_type, *fmt.aliases) if "/" in name]
    best = accept.best_match(candidates)
    if best is None:
        raise NotAcceptable(offered, "Accept: " + accept.to_header())
    return by_name(best, offered)
