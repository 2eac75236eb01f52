"""The graph store on a SPARQL 1.1 server, for when one process is outgrown.

:class:`RemoteStore` has the API of :class:`ingest.store.GraphStore`, with the triples kept on a
server that takes SPARQL 1.1 queries and updates at one URL (Virtuoso's ``/sparql``, a Fuseki
dataset URL, …). The named graphs are the same: one per report plus the gazetteer and vocabulary.

Writes are SPARQL 1.1 Update (``DROP SILENT GRAPH``, then ``INSERT DATA`` in chunks of
:data:`INSERT_TRIPLES` triples) rather than the Graph Store Protocol: the one URL serves both
reading and writing on every server (the GSP path differs: Virtuoso ``/sparql-graph-crud``,
Fuseki ``/data``), and one request can fill the graphs of many reports, where GSP takes one
request per graph. Virtuoso 7.2 refuses blank nodes in ``INSERT DATA`` (error SP031, "not allowed
in a constant clause", although SPARQL 1.1 allows them), so the triples of a graph that hold blank
nodes are sent together in one ``INSERT { … } WHERE {}``, whose labels are scoped to the request.

Queries see the union of the project's named graphs as their default graph, as on Oxigraph.
Virtuoso's default graph is already the union of all graphs, but that includes its own (a fresh
database holds ~2,500 triples of configuration in them), so on Virtuoso every query without its
own dataset is prefixed with ``define input:default-graph-exclude`` for each graph outside
:data:`ontology.GRAPH_NAMESPACE` (listed once per store). Other servers must be set up so that
their default graph is the union of the named graphs (Fuseki: ``tdb2:unionDefaultGraph true``).

Everything goes over http.client with one connection per request: a store is shared by the web
service's request threads, and a whole ``ASK {}`` round trip to Virtuoso on loopback takes ~1.3 ms.
"""
from __future__ import annotations

import http.client
import io
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import IO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.query import Result
from rdflib.term import Identifier

from ingest.store import FORMATS, Store, graph_nquads, serialize_oxigraph
from ontology import bind_prefixes, is_project_graph, report_graph_iri, report_id_of_graph

#: Seconds one request may take, reading its whole answer included.
DEFAULT_TIMEOUT = 120.0
#: Triples per INSERT DATA request. Loading 185,000 triples into Virtuoso 7.2 took 5.2 s with
#: 1,000 a request, 3.6 s with 5,000 and 5.0 s with 20,000; smaller requests also keep the
#: server's transaction log small.
INSERT_TRIPLES = 5000
#: Graphs dropped per DROP request.
DROP_GRAPHS = 500

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"
#: What a query of the store accepts: a result table, or a graph for CONSTRUCT and DESCRIBE (asked
#: for by name: Virtuoso would also write a graph as a JSON table of ?s ?p ?o).
TABLE_ACCEPT = f"{JSON_RESULTS}, {XML_RESULTS};q=0.9"
GRAPH_ACCEPT = f"{N_TRIPLES}, text/turtle;q=0.8"
#: Media types that carry a graph, with their rdflib and pyoxigraph parser names.
GRAPH_TYPES = {
    N_TRIPLES: ("nt", ox.RdfFormat.N_TRIPLES),
    "text/plain": ("nt", ox.RdfFormat.N_TRIPLES),  # Virtuoso's older name for N-Triples
    "text/turtle": ("turtle", ox.RdfFormat.TURTLE),
    "application/rdf+xml": ("xml", ox.RdfFormat.RDF_XML),
}
QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


class RemoteStoreError(RuntimeError):
    """The SPARQL server could not be reached, or refused or failed a request.

    The message is one line and names the endpoint; ``detail`` is the server's own message, if any.
    """

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


class RemoteQueryError(RemoteStoreError, ValueError):
    """The server rejected a query's text (HTTP 400); a ValueError like a local syntax error."""


class RemoteTimeout(RemoteStoreError, TimeoutError):
    """No complete answer within the request's time."""


def one_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of a server's message, shortened (servers append the whole query)."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[:limit - 1] + "…"
    return "(no message)"


class Reply:
    """One HTTP answer being read; every read must end before the request's deadline."""

    def __init__(self, endpoint: "SparqlEndpoint", connection: http.client.HTTPConnection,
                 response: http.client.HTTPResponse, expires: float):
        self.endpoint = endpoint
        self.connection = connection
        self.response = response
        self.expires = expires

    @property
    def content_type(self) -> str:
        return (self.response.getheader("Content-Type") or "").split(";")[0].strip().lower()

    def header(self, name: str) -> str | None:
        return self.response.getheader(name)

    def _arm(self) -> None:
        remaining = self.expires - time.monotonic()
        if remaining <= 0:
            raise self.endpoint.timeout_error()
        if self.connection.sock is not None:
            self.connection.sock.settimeout(remaining)

    def _guarded(self, read, *args):
        self._arm()
        try:
            return read(*args)
        except TimeoutError:  # socket.timeout is TimeoutError
            raise self.endpoint.timeout_error() from None
        except (OSError, http.client.HTTPException) as error:
            raise RemoteStoreError(f"{self.endpoint.url}: the answer broke off: {error}") from None

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        while True:
            chunk = self._guarded(self.response.read1, size)
            if not chunk:
                return
            yield chunk

    def lines(self) -> Iterator[bytes]:
        while True:
            line = self._guarded(self.response.readline)
            if not line:
                return
            yield line

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        self.response.close()
        self.connection.close()

    def __enter__(self) -> "Reply":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class SparqlEndpoint:
    """A SPARQL 1.1 Protocol endpoint taking queries and updates at ``url``."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL of a SPARQL endpoint: {url!r}")
        self.url = url
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._lock = threading.Lock()
        self._server: str | None = None
        self._union_prologue: str | None = None

    def timeout_error(self, seconds: float | None = None) -> RemoteTimeout:
        return RemoteTimeout(f"{self.url}: no complete answer within {seconds or self.timeout:g} s")

    def post(self, body: bytes, content_type: str, accept: str, expires: float | None = None) -> Reply:
        """Send one POST; the answer is read from the returned :class:`Reply` (close it)."""
        if expires is None:
            expires = time.monotonic() + self.timeout
        remaining = expires - time.monotonic()
        if remaining <= 0:
            raise self.timeout_error()
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = kind(self._host, self._port, timeout=remaining)
        try:
            connection.request("POST", self._target, body=body, headers={
                "Content-Type": content_type, "Accept": accept, "Connection": "close"})
            if connection.sock is not None:
                connection.sock.settimeout(max(expires - time.monotonic(), 0.001))
            response = connection.getresponse()
        except TimeoutError:  # socket.timeout is TimeoutError
            connection.close()
            raise self.timeout_error() from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise RemoteStoreError(f"cannot reach the SPARQL endpoint {self.url}: {reason}") from None
        self._server = response.getheader("Server") or ""
        reply = Reply(self, connection, response, expires)
        if response.status >= 300:
            with reply:
                try:
                    message = reply.response.read(1 << 16).decode("utf-8", "replace")
                except (OSError, http.client.HTTPException):
                    message = ""
            error = RemoteQueryError if response.status == 400 else RemoteStoreError
            detail = one_line(message)
            raise error(f"{self.url}: HTTP {response.status} {response.reason}: {detail}", detail)
        return reply

    def query(self, text: str, accept: str, *, expires: float | None = None,
              params: Iterable[tuple[str, str]] = ()) -> Reply:
        form = urllib.parse.urlencode([("query", text), *params]).encode("ascii")
        return self.post(form, "application/x-www-form-urlencoded", accept, expires)

    def update(self, text: str) -> None:
        with self.post(text.encode("utf-8"), "application/sparql-update; charset=utf-8", "*/*") as reply:
            reply.read()

    def select(self, text: str, expires: float | None = None) -> Result:
        """A SELECT or ASK query's answer as an rdflib result."""
        with self.query(text, JSON_RESULTS, expires=expires) as reply:
            body = reply.read()
        return parse_answer(body, JSON_RESULTS, self.url)

    def is_virtuoso(self, expires: float | None = None) -> bool:
        if self._server is None:
            self.select("ASK {}", expires)
        return (self._server or "").startswith("Virtuoso")

    def union_prologue(self, expires: float | None = None) -> str:
        """Text to put before a query that names no dataset, so that its default graph is the
        union of the project's named graphs only (see the module doc); empty on most servers.
        Learning it takes up to two requests, which end by ``expires`` like the query's own."""
        with self._lock:
            if self._union_prologue is None:
                self._union_prologue = self._exclusions(expires) if self.is_virtuoso(expires) else ""
            return self._union_prologue

    def forget_graphs(self) -> None:
        """Make the next query list the server's other graphs again."""
        with self._lock:
            self._union_prologue = None

    def graph_sizes(self, expires: float | None = None) -> dict[str, int]:
        """Every named graph on the server (the project's and others) → its number of triples.

        Grouped on the server and sorted out here: on Virtuoso a GROUP BY ?g is answered from
        its graph index (10 ms with 200,000 triples), a FILTER on ?g tests every triple (0.5 s).
        """
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", expires)
        return {str(graph): int(count) for graph, count in rows}

    def _exclusions(self, expires: float | None) -> str:
        names = []
        for graph in self.graph_sizes(expires):
            if is_project_graph(graph):
                continue
            try:
                names.append(URIRef(graph).n3())
            except Exception:  # noqa: BLE001 - an IRI that cannot be written is one no query can name either
                continue
        return "".join(f"define input:default-graph-exclude {name}\n" for name in sorted(names))


def _as_local(term):
    # Oxigraph (through oxrdflib) gives every simple literal the datatype xsd:string, which RDF 1.1
    # says it has; rdflib keeps "x" and "x"^^xsd:string apart, so the remote answers do the same.
    if isinstance(term, Literal) and term.language is None and term.datatype is None:
        return Literal(str(term), datatype=XSD.string)
    return term


def table_says_yes(values: list) -> bool:
    """The answer to an ASK that came back as a table, as Virtuoso 7.2 sends it: one column
    (``__ASK_RETVAL``), one row holding 1 for yes, no row for no."""
    return any(value is not None and str(value).strip().lower() not in ("0", "false") for value in values)


def parse_answer(body: bytes, content_type: str, url: str, form: str | None = None) -> Result:
    """An HTTP answer to a query as an rdflib :class:`Result` (rows, boolean or graph), with terms
    as :class:`ingest.store.GraphStore` gives them; ``form`` is the query's (SELECT, ASK …)."""
    try:
        if content_type in (JSON_RESULTS, "application/json", XML_RESULTS, "application/xml", "text/xml"):
            result = Result.parse(io.BytesIO(body), format="json" if "json" in content_type else "xml")
            if form == "ASK" and result.type == "SELECT":
                answer = Result("ASK")
                answer.askAnswer = table_says_yes([term for row in result.bindings for term in row.values()])
                return answer
            if result.type == "SELECT":
                result.bindings = [{name: _as_local(term) for name, term in row.items()} for row in result.bindings]
            return result
        if content_type in GRAPH_TYPES:
            parsed = Graph().parse(data=body, format=GRAPH_TYPES[content_type][0])
            graph = Graph()
            bind_prefixes(graph)
            for s, p, o in parsed:
                graph.add((s, p, _as_local(o)))
            result = Result("CONSTRUCT")
            result.graph = graph
            return result
    except Exception as error:  # noqa: BLE001 - any parser failure means the server sent something malformed
        raise RemoteStoreError(f"{url}: unreadable {content_type} answer: {one_line(str(error))}") from None
    raise RemoteStoreError(f"{url}: unexpected answer type {content_type or '(none)'}")


# --------------------------------------------------------------------------- query text

# Strings, IRIs and comments are consumed whole, so that braces and keywords inside them are not
# taken for syntax; "<" followed by a space is the less-than operator, not an IRI.
_TOKEN = re.compile(r"""
      \#[^\r\n]*
    | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
    | "(?:[^"\\\r\n]|\\.)*" | '(?:[^'\\\r\n]|\\.)*'
    | <[^<>"{}|^`\\\x00-\x20]*>
    | [?$]\w+
    | (?P<word>[^\W\d]\w*)
    | (?P<punct>[{}()])
    """, re.VERBOSE | re.DOTALL)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words_and_braces(text: str) -> Iterator[tuple[str, int]]:
    """Bare words (upper-cased) and brackets of a query, each with the offset just after it."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word":
            # neither part of a prefixed name is a keyword
            if text[match.start() - 1:match.start()] == ":" or text[match.end():match.end() + 1] == ":":
                continue
            yield match.group().upper(), match.end()
        elif match.lastgroup == "punct":
            yield match.group(), match.end()


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first of them in the text (None for other text)."""
    return next((word for word, _ in _words_and_braces(text) if word in QUERY_FORMS), None)


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (FROM / FROM NAMED)."""
    return any(word == "FROM" for word, _ in _words_and_braces(text))


def with_bindings(query: str, bindings: Mapping) -> str:
    """``query`` with ``bindings`` (variable name → rdflib term) as a VALUES block opening its WHERE group.

    The terms are written with rdflib's ``n3()``, which quotes literals and refuses IRIs that would
    break out of ``<…>``. A VALUES block at the end of the query would be the SPARQL way, but
    Virtuoso 7.2 joins it after LIMIT (and fails on an aggregate).
    """
    names, terms = [], []
    for name, value in bindings.items():
        name = str(name).lstrip("?$")
        if not _VARIABLE_NAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
        if isinstance(value, BNode):
            raise ValueError(f"a blank node cannot be bound to ?{name}")
        term = value if isinstance(value, Identifier) and not isinstance(value, Variable) else Literal(value)
        names.append(f"?{name}")
        terms.append(term.n3())
    if not names:
        return query
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "
    form = None
    after_where = False
    braces = parentheses = 0
    for word, end in _words_and_braces(query):
        if word in QUERY_FORMS and form is None:
            form = word
        elif word == "WHERE" and braces == 0:
            after_where = True
        elif word == "(":
            parentheses += 1
        elif word == ")":
            parentheses -= 1
        elif word == "{":
            # a CONSTRUCT template comes before WHERE; a SELECT expression may hold EXISTS { … }
            if braces == 0 and parentheses == 0 and (after_where or form in ("SELECT", "ASK", "DESCRIBE")):
                return query[:end] + block + query[end:]
            braces += 1
        elif word == "}":
            braces -= 1
    raise ValueError("init_bindings need a query with a WHERE group")


def _prefix_declarations() -> str:
    graph = Graph()
    bind_prefixes(graph)
    return "".join(f"PREFIX {prefix}: {URIRef(namespace).n3()}\n" for prefix, namespace in sorted(graph.namespaces()))


# --------------------------------------------------------------------------- writing


def _triples_by_graph(data: bytes) -> dict[str, tuple[list[str], list[str]]]:
    """N-Quads grouped by named graph: (triples without blank nodes, triples with), as SPARQL text."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for quad in ox.parse(data, ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise ValueError(f"a quad outside any named graph: {quad}")
        plain, with_blanks = groups.setdefault(str(quad.graph_name), ([], []))
        # pyoxigraph writes each term in N-Triples syntax, which SPARQL reads as it is
        triple = f"{quad.subject} {quad.predicate} {quad.object} ."
        blank = isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)
        (with_blanks if blank else plain).append(triple)
    return groups


def _insert_requests(groups: Mapping[str, tuple[list[str], list[str]]], size: int) -> Iterator[str]:
    """The update texts that add ``groups``: INSERT DATA of at most ``size`` triples each, and one
    INSERT … WHERE {} per graph that holds blank nodes."""
    parts: list[str] = []
    count = 0
    for graph, (plain, _) in groups.items():
        start = 0
        while start < len(plain):
            taken = plain[start:start + size - count]
            parts.append(f"GRAPH {graph} {{\n" + "\n".join(taken) + "\n}\n")
            count += len(taken)
            start += len(taken)
            if count >= size:
                yield "INSERT DATA {\n" + "".join(parts) + "}"
                parts, count = [], 0
    if parts:
        yield "INSERT DATA {\n" + "".join(parts) + "}"
    for graph, (_, with_blanks) in groups.items():
        if with_blanks:
            yield f"INSERT {{ GRAPH {graph} {{\n" + "\n".join(with_blanks) + "\n} } WHERE {}"


class RemoteStore(Store):
    """The project's graphs on the SPARQL server at ``url``; open with :meth:`open`, close when done."""

    def __init__(self, endpoint: SparqlEndpoint, read_only: bool):
        self.endpoint = endpoint
        self._read_only = read_only
        self._prefixes = _prefix_declarations()
        self._closed = False

    @classmethod
    def open(cls, url: str, read_only: bool = False, timeout: float = DEFAULT_TIMEOUT) -> "RemoteStore":
        """Connect to ``url``; fails at once, with a one-line reason, when the server does not answer."""
        endpoint = SparqlEndpoint(url, timeout)
        endpoint.select("ASK {}")
        return cls(endpoint, read_only)

    @property
    def url(self) -> str:
        return self.endpoint.url

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"the store at {self.url} is closed")

    def _writable(self) -> SparqlEndpoint:
        self._check_open()
        if self._read_only:
            raise PermissionError(f"graph store {self.url} is open read-only")
        return self.endpoint

    # -- writing ---------------------------------------------------------------------------

    def _drop(self, graph_iris: Iterable) -> None:
        names = [URIRef(str(iri)).n3() for iri in graph_iris]
        for start in range(0, len(names), DROP_GRAPHS):
            self._writable().update(" ;\n".join(f"DROP SILENT GRAPH {name}" for name in names[start:start + DROP_GRAPHS]))

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        self._writable()
        self._drop(graphs)
        self.load_nquads(b"".join(graph_nquads(iri, graph) for iri, graph in graphs.items()))

    def add_to_graph(self, graph_iri: URIRef, graph: Graph) -> None:
        self.load_nquads(graph_nquads(graph_iri, graph))

    def load_nquads(self, data: bytes) -> None:
        endpoint = self._writable()
        if not data:
            return
        groups = _triples_by_graph(data)
        for text in _insert_requests({URIRef(g[1:-1]).n3(): lists for g, lists in groups.items()}, INSERT_TRIPLES):
            endpoint.update(text)

    def remove_report(self, report_id: str) -> None:
        self._drop([report_graph_iri(report_id)])

    # -- reading ---------------------------------------------------------------------------

    def _project_graph_sizes(self) -> dict[URIRef, int]:
        self._check_open()
        return {URIRef(graph): size for graph, size in self.endpoint.graph_sizes().items() if is_project_graph(graph)}

    def _project_graphs(self) -> list[URIRef]:
        return sorted(self._project_graph_sizes())

    def report_ids(self) -> list[str]:
        ids = (report_id_of_graph(graph) for graph in self._project_graphs())
        return sorted(i for i in ids if i)

    def __len__(self) -> int:
        return sum(self._project_graph_sizes().values())

    def graph_size(self, graph_iri: URIRef) -> int:
        self._check_open()
        rows = self.endpoint.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {URIRef(str(graph_iri)).n3()} {{ ?s ?p ?o }} }}")
        return int(next(iter(rows))[0])

    def query(self, sparql: str, init_bindings: Mapping | None = None) -> Result:
        """Run a SPARQL query over the union of the project's named graphs; the project prefixes
        are predeclared. ``init_bindings`` (variable name → rdflib term) pre-bind variables."""
        self._check_open()
        text = with_bindings(sparql, init_bindings) if init_bindings else sparql
        prologue = "" if has_dataset_clause(sparql) else self.endpoint.union_prologue()
        form = query_form(sparql)
        accept = GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else TABLE_ACCEPT
        with self.endpoint.query(prologue + self._prefixes + text, accept) as reply:
            body, content_type = reply.read(), reply.content_type
        return parse_answer(body, content_type, self.url, form)

    def serialize(self, fmt: str, destination: str | IO[bytes] | None = None) -> bytes | None:
        """As :meth:`GraphStore.serialize`; the graphs are fetched one by one into memory first."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        copy = ox.Store()
        for graph in self._project_graphs():
            with self.endpoint.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph.n3()} {{ ?s ?p ?o }} }}",
                                     f"{N_TRIPLES}, text/turtle;q=0.5") as reply:
                body, content_type = reply.read(), reply.content_type
            if content_type not in GRAPH_TYPES:
                raise RemoteStoreError(f"{self.url}: unexpected answer type {content_type or '(none)'} to CONSTRUCT")
            copy.load(body, format=GRAPH_TYPES[content_type][1], to_graph=ox.NamedNode(str(graph)))
        return serialize_oxigraph(copy, fmt, destination)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Nothing is held open between requests; the store refuses further use."""
        self._closed = True
