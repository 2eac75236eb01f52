"""The SPARQL 1.1 Protocol over HTTP: a read-only query endpoint as a Flask blueprint.

Query operations only: GET ``?query=``, POST form (``query=``) and POST
``application/sparql-query``. Update requests are refused with 403, federated ``SERVICE``
with 400. A GET without a query returns the SPARQL 1.1 Service Description.
"""
from __future__ import annotations

import json
from typing import Callable

import pyoxigraph
from flask import Blueprint, Response, request
from markupsafe import escape
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ingest.datadir import DataDir
from ontology import SD, VOID, bind_prefixes
from web.sparql import executor as ex
from web.sparql.formats import (GRAPH, GRAPH_FORMATS, TABLE, TABLE_FORMATS, Choice, NotAcceptable, by_name,
                                negotiate)
from web.sparql.querytext import inspect_query

DATA_VERSION_HEADER = "X-Fzkg-Data-Version"
RESULT_CAP_HEADER = "X-Fzkg-Result-Cap"
TRUNCATED_HEADER = "X-Fzkg-Truncated"

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

#: rdflib serializer name for each graph format (the service description is built with rdflib).
_RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}

#: HTTP status for each executor error.
_STATUS = {
    ex.UpdateRefused: 403,
    ex.ServiceRefused: 400,
    ex.ExtensionRefused: 400,
    ex.QuerySyntaxError: 400,
    ex.QueryTimeout: 504,
    ex.ExecutorBusy: 503,
    ex.StoreUnavailable: 503,
    ex.QueryFailed: 500,
}
_ERROR_CODES = {
    ex.UpdateRefused: "update-refused",
    ex.ServiceRefused: "service-refused",
    ex.ExtensionRefused: "extension-refused",
    ex.QuerySyntaxError: "syntax-error",
    ex.QueryTimeout: "timeout",
    ex.ExecutorBusy: "busy",
    ex.StoreUnavailable: "no-store",
    ex.QueryFailed: "query-failed",
}


class ProtocolError(Exception):
    """A request the protocol layer answers with an error status before any query runs."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def create_blueprint(datadir: DataDir | str, *, deadline: float = 30.0, result_cap: int = 10000,
                     workers: int = 2, query_editor: Callable[[], Response] | None = None) -> Blueprint:
    """The ``/sparql`` endpoint over the graph store of ``datadir``.

    ``deadline`` bounds every query in seconds (the query is killed, the client gets 504);
    ``result_cap`` bounds the rows or triples of one answer; ``workers`` is the number of query
    processes. ``query_editor`` is the hook for the HTML query page: when a browser GETs
    ``/sparql`` without a query, its return value is the response (without it: 400).

    The executor is exposed as ``blueprint.executor`` so the application can ``start()`` it
    eagerly and ``close()`` it on shutdown.
    """
    datadir = datadir if isinstance(datadir, DataDir) else DataDir.at(datadir)
    executor = ex.create_executor(datadir, workers=workers, deadline=deadline, result_cap=result_cap)
    blueprint = Blueprint("sparql", __name__, url_prefix="/sparql")
    blueprint.executor = executor

    # Every method is routed here so that even a 405 carries the data-version header.
    @blueprint.route("", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def endpoint() -> Response:
        try:
            return _dispatch(executor, query_editor)
        except ProtocolError as error:
            return _error_response(error.status, error.code, str(error), error.headers)
        except NotAcceptable as error:
            return _error_response(406, "not-acceptable", str(error))
        except ex.SparqlError as error:
            status = _STATUS.get(type(error), 500)
            headers = {"Retry-After": "1"} if isinstance(error, ex.ExecutorBusy) else {}
            return _error_response(status, _ERROR_CODES.get(type(error), "error"), str(error), headers)

    data_version = _DataVersion(datadir)

    @blueprint.after_request
    def describe_response(response: Response) -> Response:
        response.headers[DATA_VERSION_HEADER] = data_version()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.vary.add("Accept")
        return response

    return blueprint


class _DataVersion:
    """``datadir.version()``, re-read only when the registry file changed (it is sent on every response)."""

    def __init__(self, datadir: DataDir):
        self.datadir = datadir
        self.seen: tuple | None = None
        self.version = ""

    def __call__(self) -> str:
        try:
            status = self.datadir.registry_file.stat()
            seen = (status.st_mtime_ns, status.st_size, status.st_ino)
        except FileNotFoundError:
            seen = None
        if seen is None or seen != self.seen:
            self.version, self.seen = self.datadir.version(), seen
        return self.version


def _dispatch(executor: ex.QueryExecutor, query_editor) -> Response:
    if request.method not in ("GET", "HEAD", "POST"):
        raise ProtocolError(405, "method-not-allowed", "use GET or POST for SPARQL queries",
                            {"Allow": "GET, POST, HEAD"})
    params, query = _read_operation()
    if query is None:
        if request.method in ("GET", "HEAD"):
            return _no_query(executor, params, query_editor)
        raise ProtocolError(400, "no-query", "a SPARQL query is needed: send it as query= or as an "
                            f"{QUERY_TYPE} body")
    default_graphs = _graph_iris(params, "default-graph-uri")
    named_graphs = _graph_iris(params, "named-graph-uri")
    text = inspect_query(query)
    ex.check_allowed(text)  # before negotiation: a refusal is the answer whatever the format
    # The format depends on the query form; a text whose form is unknown will fail to parse,
    # and that syntax error is the more useful answer, so negotiate leniently for it.
    kind = GRAPH if text.is_graph_query else TABLE
    try:
        choice = negotiate(kind, boolean=text.form == "ASK", format_values=params.getlist("format"),
                           accept=request.accept_mimetypes)
    except NotAcceptable:
        if text.form is not None:
            raise
        choice = by_name("json", TABLE_FORMATS)
    result = executor.run(query, choice.format.name, default_graphs=default_graphs,
                          named_graphs=named_graphs)
    return _result_response(result, choice)


def _read_operation():
    """The request's parameters and its query text (None when there is none)."""
    mimetype = request.mimetype
    if request.method == "POST" and mimetype == UPDATE_TYPE:
        raise ex.UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    if request.method == "POST" and mimetype == QUERY_TYPE:
        params = request.args
        charset = request.mimetype_params.get("charset", "utf-8")
        try:
            queries = [request.get_data().decode(charset)]
        except (LookupError, UnicodeDecodeError) as error:
            raise ProtocolError(400, "bad-encoding", f"the query body is not valid {charset}: {error}") from None
    elif request.method == "POST" and mimetype not in (FORM_TYPE, ""):
        raise ProtocolError(415, "unsupported-media-type",
                            f"POST a query as {FORM_TYPE} (query=…) or as {QUERY_TYPE}, not {mimetype}")
    else:
        params = request.values
        queries = params.getlist("query")
    if "update" in params:
        raise ex.UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    queries = [q for q in queries if q.strip()]
    if len(queries) > 1:
        raise ProtocolError(400, "several-queries", "send exactly one query parameter")
    return params, (queries[0] if queries else None)


def _graph_iris(params, name: str) -> list[str] | None:
    values = params.getlist(name)
    if not values:
        return None
    for value in values:
        try:
            pyoxigraph.NamedNode(value)
        except ValueError:
            raise ProtocolError(400, "bad-graph-iri", f"{name} is not an absolute IRI: {value!r}") from None
    return values


def _result_response(result: ex.QueryResult, choice: Choice) -> Response:
    body = result.body
    if result.truncated and choice.format.name == "json":
        # Headers tell every client; the JSON key is for readers that never see headers.
        # Clients that parse SPARQL JSON (SPARQLWrapper, rdflib) ignore unknown top-level keys.
        marker = json.dumps({"truncated": True, "cap": result.cap}, separators=(",", ":")).encode()
        body = b'{"fzkg":' + marker + b"," + body[1:]
    response = Response(body, status=200, content_type=choice.content_type)
    if result.kind != "boolean":
        response.headers[RESULT_CAP_HEADER] = str(result.cap)
        response.headers[TRUNCATED_HEADER] = "true" if result.truncated else "false"
    return response


# --------------------------------------------------------------------------- no query: description


def _no_query(executor: ex.QueryExecutor, params, query_editor) -> Response:
    if "service-description" not in params:
        graph_types = [fmt.media_type for fmt in GRAPH_FORMATS]
        accept = request.accept_mimetypes
        wants_page = accept.best_match(["text/html", *graph_types]) == "text/html" and "text/html" in accept.values()
        if wants_page:
            if query_editor is not None:
                return query_editor()
            raise ProtocolError(400, "no-query", "a SPARQL query is needed: pass it as ?query=…")
        if accept and accept.best_match(graph_types) is None:
            raise ProtocolError(400, "no-query", "a SPARQL query is needed: pass it as ?query=… "
                                "(GET without a query and with an RDF Accept type returns the service description)")
    choice = negotiate(GRAPH, boolean=False, format_values=params.getlist("format"),
                       accept=request.accept_mimetypes)
    try:
        summary = executor.dataset_summary()
    except (ex.StoreUnavailable, ex.QueryTimeout, ex.ExecutorBusy):
        # The description of the service stays available when the data is not (yet).
        summary = None
    graph = service_description(request.base_url, summary)
    return Response(graph.serialize(format=_RDFLIB_FORMAT[choice.format.name], encoding="utf-8"),
                    content_type=choice.content_type)


def service_description(endpoint: str, summary: ex.DatasetSummary | None) -> Graph:
    """A SPARQL 1.1 Service Description of this endpoint and, when known, the graphs behind it."""
    graph = Graph()
    bind_prefixes(graph)
    service = BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    # Queries see the union of all graphs as their default graph.
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in TABLE_FORMATS + GRAPH_FORMATS:
        graph.add((service, SD.resultFormat, URIRef(fmt.iri)))

    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode()
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    for named in summary.named_graphs if summary is not None else ():
        entry, description = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, entry))
        graph.add((entry, RDF.type, SD.NamedGraph))
        graph.add((entry, SD.name, URIRef(named.name)))
        graph.add((entry, SD.graph, description))
        graph.add((description, RDF.type, SD.Graph))
        graph.add((description, VOID.triples, Literal(named.triples)))
    return graph


# --------------------------------------------------------------------------- errors


def _error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error in the form the client reads best: JSON, an HTML page (escaped) or plain text."""
    accept = request.accept_mimetypes
    best = accept.best_match(["text/plain", "application/json", "text/html"])
    if best is None:
        # e.g. only application/sparql-results+json accepted: answer in that family.
        best = "application/json" if any("json" in value for value in accept.values()) else "text/plain"
    if best == "application/json":
        body = json.dumps({"error": code, "status": status, "message": message}, ensure_ascii=False)
        response = Response(body, status=status, content_type="application/json")
    elif best == "text/html":
        page = (f"<!doctype html><title>SPARQL error {status}</title>"
                f"<h1>SPARQL error {status}</h1><pre>{escape(message)}</pre>")
        response = Response(page, status=status, content_type="text/html; charset=utf-8")
    else:
        response = Response(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["X-Fzkg-Error"] = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
