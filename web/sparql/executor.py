"""Run read-only SPARQL queries against the graph store under a deadline that really stops them.

pyoxigraph cannot interrupt a running query from another thread, so queries run in worker
processes (plain child interpreters talking over a socket pair with multiprocessing's
Connection framing). Each worker opens the store read-only, evaluates one query at a time and sends the
serialised answer back over a pipe. When the deadline passes the parent kills that worker (so
the evaluation stops, not just the wait for it), starts a fresh one in its place and raises
:class:`QueryTimeout`.

A read-only store is a snapshot of the store as it was when opened, so a worker compares a
cheap stamp of the data directory (registry file, graph directory and its entries) before every
query and reopens when it changed; opening costs a few milliseconds, keeping it open keeps the
store's caches warm between queries.

Workers import only pyoxigraph and the light modules of this package, which is why the Flask
side lives in :mod:`web.sparql.protocol` and is imported lazily by the package.
"""
from __future__ import annotations

import contextlib
import io
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph

from ingest.datadir import DataDir
from web.sparql.formats import FORMATS, GRAPH, TABLE
from web.sparql.querytext import QueryText, inspect_query

#: Bytes per message when a worker sends an answer back, so no single pickle gets huge.
CHUNK = 1 << 18
#: How often a worker checks that the server that started it is still alive.
ORPHAN_CHECK_SECONDS = 0.5


class SparqlError(Exception):
    """Base of every error the executor reports to its caller."""


class QueryRefused(SparqlError):
    """The request is well formed but this endpoint does not run that kind of operation."""


class UpdateRefused(QueryRefused):
    pass


class ServiceRefused(QueryRefused):
    pass


class QuerySyntaxError(SparqlError):
    """The query text does not parse; the message is the parser's."""


class QueryTimeout(SparqlError):
    def __init__(self, deadline: float):
        self.deadline = deadline
        super().__init__(f"the query did not finish within {deadline:g} s and was stopped")


class ExecutorBusy(SparqlError):
    """Every worker stayed busy until the deadline."""


class StoreUnavailable(SparqlError):
    """There is no graph store to query yet (nothing ingested) or it cannot be opened."""


class QueryFailed(SparqlError):
    """Evaluation failed for a reason that is not the client's query text (store error, worker crash)."""


class ExtensionRefused(QueryRefused):
    """The text calls a server's non-SPARQL extension (Virtuoso's SQL functions and procedures)."""


@dataclass(frozen=True)
class QueryResult:
    #: The serialised answer in the requested format.
    body: bytes
    #: Name of the format in :data:`web.sparql.formats.FORMATS`.
    format: str
    #: "table" (SELECT), "boolean" (ASK) or "graph" (CONSTRUCT/DESCRIBE).
    kind: str
    #: Rows (SELECT) or triples (CONSTRUCT/DESCRIBE) in the body; None for ASK.
    count: int | None
    #: True when the answer was cut at ``cap`` rows or triples.
    truncated: bool
    cap: int
    elapsed: float


@dataclass(frozen=True)
class NamedGraph:
    name: str
    triples: int


@dataclass(frozen=True)
class DatasetSummary:
    """What the service description says about the data: the named graphs and their sizes.

    There is no size for the default graph: it is the union of the named graphs, in which a
    triple held by two graphs appears twice, and counting distinct triples would cost a hash
    set of the whole store.
    """

    named_graphs: list[NamedGraph] = field(default_factory=list)


def check_allowed(text: QueryText) -> None:
    """Refuse what a read-only, local endpoint must not run: updates and federated SERVICE calls.

    pyoxigraph would refuse update text only as a syntax error, and it *would* evaluate
    SERVICE by calling out over HTTP, so both are stopped before a worker sees them.
    """
    if text.is_update:
        raise UpdateRefused(f"SPARQL Update ({text.form}) is not allowed: this endpoint is read-only")
    if text.uses_service:
        raise ServiceRefused("SERVICE (federated query) is not supported by this endpoint")


# --------------------------------------------------------------------------- worker process


def store_stamp(graph: Path, registry: Path) -> tuple:
    """Something that changes whenever ingest has written to the store or the registry.

    The registry is rewritten at the end of every ingest; the graph directory's own mtime moves
    when RocksDB adds or removes files, and the newest entry mtime catches appends in place.
    """
    parts: list = []
    for path in (registry, graph):
        try:
            status = path.stat()
            parts.append((status.st_mtime_ns, status.st_size))
        except FileNotFoundError:
            parts.append(None)
    try:
        with os.scandir(graph) as entries:
            parts.append(max((entry.stat().st_mtime_ns for entry in entries), default=0))
    except (FileNotFoundError, NotADirectoryError):
        parts.append(None)
    return tuple(parts)


class _StoreReader:
    """The worker's side: one read-only store, reopened when the data directory changes."""

    def __init__(self, graph: Path, registry: Path, prefixes: dict[str, str]):
        self.graph = graph
        self.registry = registry
        self.prefixes = prefixes
        self.store: pyoxigraph.Store | None = None
        self.stamp: tuple | None = None
        self.summary: tuple[tuple, DatasetSummary] | None = None

    def current(self) -> pyoxigraph.Store:
        stamp = store_stamp(self.graph, self.registry)
        if self.store is None or stamp != self.stamp:
            self.reopen(stamp)
        return self.store

    def reopen(self, stamp: tuple | None = None) -> None:
        self.store = None  # drop the old snapshot before opening the new one
        if not self.graph.is_dir():
            raise StoreUnavailable("there is no graph store in the data directory yet (run ingest first)")
        try:
            self.store = pyoxigraph.Store.read_only(str(self.graph))
        except OSError as error:
            raise StoreUnavailable(f"the graph store cannot be opened: {error}") from error
        self.stamp = stamp if stamp is not None else store_stamp(self.graph, self.registry)

    def query(self, request: dict) -> tuple[dict, bytes]:
        try:
            return self._answer(self.current(), request)
        except OSError:
            # A snapshot can lose files to a compaction run by a concurrent ingest; one fresh
            # snapshot is worth a try before reporting a store error.
            self.reopen()
            return self._answer(self.store, request)

    def _answer(self, store: pyoxigraph.Store, request: dict) -> tuple[dict, bytes]:
        fmt = FORMATS[request["format"]]
        cap = request["cap"]
        options: dict = {}
        if request["default_graphs"] is not None or request["named_graphs"] is not None:
            options["default_graph"] = [pyoxigraph.NamedNode(g) for g in request["default_graphs"] or ()]
            options["named_graphs"] = [pyoxigraph.NamedNode(g) for g in request["named_graphs"] or ()]
        elif not request["has_dataset_clause"]:
            # The store keeps every fact in a named graph; an unqualified pattern means "anywhere".
            # A query with FROM keeps its own dataset (the union flag would override it).
            options["use_default_graph_as_union"] = True
        try:
            results = store.query(request["query"], **options)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from None
        except ValueError as error:
            raise QuerySyntaxError(str(error)) from None

        if isinstance(results, pyoxigraph.QueryBoolean):
            _expect(fmt, TABLE, "ASK")
            return {"kind": "boolean", "count": None, "truncated": False}, results.serialize(format=fmt.oxigraph)
        if isinstance(results, pyoxigraph.QuerySolutions):
            _expect(fmt, TABLE, "SELECT")
            body, count, truncated = _capped_solutions(results, fmt, cap)
            return {"kind": "table", "count": count, "truncated": truncated}, body
        _expect(fmt, GRAPH, "CONSTRUCT/DESCRIBE")
        triples = []
        truncated = False
        for triple in results:
            if len(triples) == cap:
                truncated = True
                break
            triples.append(triple)
        prefixes = _used_prefixes(triples, self.prefixes) if fmt.name == "turtle" else None
        body = pyoxigraph.serialize(triples, format=fmt.oxigraph, prefixes=prefixes)
        return {"kind": "graph", "count": len(triples), "truncated": truncated}, body or b""

    def dataset_summary(self) -> DatasetSummary:
        store = self.current()
        if self.summary is not None and self.summary[0] == self.stamp:
            return self.summary[1]
        counts = {graph.value: 0 for graph in store.named_graphs()}
        for row in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
            counts[row["g"].value] = int(row["n"].value)
        summary = DatasetSummary([NamedGraph(name, n) for name, n in sorted(counts.items())])
        self.summary = (self.stamp, summary)
        return summary


def _used_prefixes(triples: list, prefixes: dict[str, str]) -> dict[str, str]:
    """The project prefixes that shorten at least one IRI in ``triples`` (Turtle lists only those)."""
    iris = {term.value for triple in triples for term in triple if isinstance(term, pyoxigraph.NamedNode)}
    return {prefix: namespace for prefix, namespace in prefixes.items()
            if any(iri.startswith(namespace) for iri in iris)}


def _expect(fmt, kind: str, form: str) -> None:
    if fmt.kind != kind:
        raise QueryFailed(f"format {fmt.name} cannot serialise a {form} answer")


class _RowLimit(Exception):
    """Raised by :class:`_LineCutter` to stop pyoxigraph's serializer (and so the evaluation)."""


class _LineCutter(io.RawIOBase):
    """A binary sink that keeps the first ``limit`` lines and stops the writer after that.

    In SPARQL TSV one solution is exactly one line (tabs and newlines inside literals are
    escaped), after one header line.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _RowLimit
        return len(chunk)

    def kept(self) -> bytes:
        text = b"".join(self.parts)
        end = -1
        for _ in range(self.limit):
            end = text.find(b"\n", end + 1)
            if end < 0:
                return text
        return text[:end + 1]


def _capped_solutions(results: pyoxigraph.QuerySolutions, fmt, cap: int) -> tuple[bytes, int, bool]:
    """Serialise at most ``cap`` solutions, with pyoxigraph's own serializers.

    pyoxigraph serialises a whole QuerySolutions or nothing, so the solutions are first written
    as TSV into a sink that stops the serializer once one row beyond the cap has arrived (that
    row is how truncation is known, and stopping the writer stops the evaluation). The kept
    TSV is parsed back and serialised in the requested format; TSV is lossless for this
    (terms in N-Triples syntax) and the round trip gives byte-identical output.
    """
    sink = _LineCutter(cap + 1)  # header line + cap rows
    truncated = False
    try:
        results.serialize(sink, format=pyoxigraph.QueryResultsFormat.TSV)
    except _RowLimit:
        truncated = True
    table = sink.kept()
    count = max(table.count(b"\n") - 1, 0)
    if fmt.name == "tsv":
        return table, count, truncated
    parsed = pyoxigraph.parse_query_results(table, format=pyoxigraph.QueryResultsFormat.TSV)
    return parsed.serialize(format=fmt.oxigraph), count, truncated


def _exit_when_orphaned(parent: int) -> None:
    """End the worker soon after the server process dies, even in the middle of a query.

    A worker notices a closed pipe only between queries; a killed server would otherwise
    leave a runaway query behind with nobody to enforce its deadline. pyoxigraph releases the
    GIL while it evaluates, so this thread gets to run.
    """
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(3)


def _worker_main(fd: int) -> None:
    """Entry point of a worker process: answer requests on the socket ``fd`` until the parent closes it."""
    # Ctrl-C in a development server reaches the whole process group; the parent decides when workers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-watch", daemon=True).start()
    connection = Connection(fd)
    try:
        _, config = connection.recv()
    except (EOFError, OSError):
        return
    reader = _StoreReader(Path(config["graph"]), Path(config["registry"]), config["prefixes"])
    while True:
        try:
            operation, request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if operation == "query":
                meta, body = reader.query(request)
                connection.send(("ok", meta, len(body)))
                for start in range(0, len(body), CHUNK):
                    connection.send_bytes(body[start:start + CHUNK])
            elif operation == "summary":
                connection.send(("ok", reader.dataset_summary(), 0))
            else:
                connection.send(("error", "QueryFailed", f"unknown operation {operation!r}"))
        except SparqlError as error:
            connection.send(("error", type(error).__name__, str(error)))
        except Exception as error:  # noqa: BLE001 - any evaluation failure must reach the caller, not kill the worker
            connection.send(("error", "QueryFailed", f"{type(error).__name__}: {error}"))


_ERRORS = {cls.__name__: cls for cls in (QuerySyntaxError, StoreUnavailable, QueryFailed)}


# --------------------------------------------------------------------------- parent side


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection

    def alive(self) -> bool:
        return self.process.poll() is None


class _Expired(Exception):
    pass


#: The command a worker runs: a fresh interpreter that imports only what a worker needs.
_WORKER_CODE = "import sys; from web.sparql.executor import _worker_main; _worker_main(int(sys.argv[1]))"


def _set_limits(executor, datadir: DataDir | str | os.PathLike, workers: int, deadline: float,
                result_cap: int) -> None:
    """The data directory and limits every executor has, checked."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if result_cap < 0:
        raise ValueError("result_cap must not be negative")
    executor.datadir = datadir if isinstance(datadir, DataDir) else DataDir.at(datadir)
    executor.workers = workers
    executor.deadline = deadline
    executor.result_cap = result_cap


class QueryExecutor:
    """A small pool of query worker processes for one data directory.

    Workers start on first use (or :meth:`start`); each runs one query at a time. ``run`` is
    safe to call from many threads: a caller waits for a free worker within its own deadline.
    """

    def __init__(self, datadir: DataDir | str | os.PathLike, *, workers: int = 2, deadline: float = 30.0,
                 result_cap: int = 10000):
        _set_limits(self, datadir, workers, deadline, result_cap)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # LIFO: the warmest worker goes first
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._started = False
        self._closed = False
        self._config = {"graph": str(self.datadir.graph), "registry": str(self.datadir.registry_file),
                        "prefixes": _prefixes()}

    # -- lifecycle

    def start(self) -> "QueryExecutor":
        """Start the workers now instead of on the first query."""
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is closed")
            if not self._started:
                for _ in range(self.workers):
                    self._idle.put(self._spawn())
                self._started = True
        return self

    def close(self) -> None:
        """Stop every worker. Queries still running are killed."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            _stop(worker)

    def __enter__(self) -> "QueryExecutor":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._all]

    def _spawn(self) -> _Worker:
        # A plain child interpreter rather than multiprocessing's spawn: spawn re-imports the
        # parent's __main__ in every worker, which runs the top level of any server script
        # that lacks a main guard. Popen also starts faster (nothing to unpickle).
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=_worker_environment(),
                close_fds=True)
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        connection.send(("config", self._config))
        worker = _Worker(process, connection)
        self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        _stop(worker)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            if not self._closed:
                self._idle.put(self._spawn())

    # -- queries

    def run(self, query: str, fmt: str = "json", *, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, deadline: float | None = None) -> QueryResult:
        """Evaluate a read-only query and return its answer serialised in ``fmt``.

        ``default_graphs``/``named_graphs`` replace the dataset (SPARQL protocol
        ``default-graph-uri``/``named-graph-uri``); without them the default graph is the union
        of all graphs, unless the query has its own FROM clause.
        """
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        text = inspect_query(query)
        check_allowed(text)
        request = {
            "query": query, "format": fmt, "cap": self.result_cap,
            "default_graphs": default_graphs, "named_graphs": named_graphs,
            "has_dataset_clause": text.has_dataset_clause,
        }
        started = time.monotonic()
        meta, body = self._exchange(("query", request), deadline)
        return QueryResult(body=body, format=fmt, kind=meta["kind"], count=meta["count"],
                           truncated=meta["truncated"], cap=self.result_cap,
                           elapsed=time.monotonic() - started)

    def dataset_summary(self, *, deadline: float | None = None) -> DatasetSummary:
        """Named graphs and triple counts (cached by the worker until the store changes)."""
        summary, _ = self._exchange(("summary", None), deadline)
        return summary

    def _exchange(self, message: tuple, deadline: float | None):
        limit = self.deadline if deadline is None else deadline
        expires = time.monotonic() + limit
        if not self._started:
            self.start()
        worker = self._checkout(expires)
        answered = False  # once the whole answer is read the pipe is clean and the worker reusable
        try:
            worker.connection.send(message)
            status, meta, size = self._receive(worker, expires)
            if status == "error":
                answered = True
                raise _ERRORS.get(meta, QueryFailed)(size)
            body = bytearray()
            while len(body) < size:
                _wait(worker, expires)
                body += worker.connection.recv_bytes()
            answered = True
        except _Expired:
            self._replace(worker)
            raise QueryTimeout(limit) from None
        except (EOFError, OSError) as error:
            code = worker.process.poll()
            self._replace(worker)
            raise QueryFailed(f"the query worker stopped unexpectedly (exit code {code})") from error
        except BaseException:
            if answered:
                self._idle.put(worker)
            else:
                # Interrupted mid-answer (e.g. KeyboardInterrupt): unread bytes would corrupt the next exchange.
                self._replace(worker)
            raise
        self._idle.put(worker)
        return meta, bytes(body)

    def _checkout(self, expires: float) -> _Worker:
        while True:
            remaining = expires - time.monotonic()
            try:
                worker = self._idle.get(timeout=max(remaining, 0.0)) if remaining > 0 else self._idle.get_nowait()
            except queue.Empty:
                raise ExecutorBusy("every query worker stayed busy until the deadline; try again later") from None
            if worker.alive():
                return worker
            self._replace(worker)

    def _receive(self, worker: _Worker, expires: float):
        _wait(worker, expires)
        return worker.connection.recv()


def _wait(worker: _Worker, expires: float) -> None:
    remaining = expires - time.monotonic()
    if remaining <= 0 or not worker.connection.poll(remaining):
        raise _Expired


def _stop(worker: _Worker) -> None:
    # SIGKILL: the worker may be deep inside a Rust evaluation loop that no signal handler reaches.
    if worker.alive():
        worker.process.kill()
    worker.process.wait(timeout=5)
    worker.connection.close()


def _worker_environment() -> dict[str, str]:
    """The parent's environment, with this project importable even when it is not installed."""
    root = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ)
    paths = [root] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


def _prefixes() -> dict[str, str]:
    from ontology import PREFIXES

    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


# --------------------------------------------------------------------------- remote store


def create_executor(datadir: DataDir | str | os.PathLike, **options) -> "QueryExecutor | RemoteQueryExecutor":
    """The executor for ``datadir``'s graph: worker processes over the local Oxigraph store, or
    :class:`RemoteQueryExecutor` when the data directory keeps its graph on a SPARQL server."""
    from ingest.stores import store_url

    datadir = datadir if isinstance(datadir, DataDir) else DataDir.at(datadir)
    url = store_url(datadir)
    if url is None:
        return QueryExecutor(datadir, **options)
    return RemoteQueryExecutor(datadir, url, **options)


def check_remote_allowed(query: str, text: QueryText) -> None:
    """What a remote server would run but this endpoint must not: anything that is not a SPARQL 1.1
    query form (Virtuoso also takes its ``define`` pragmas and SQL there), and calls into the
    server's SQL (Virtuoso's ``bif:`` and ``sql:`` names), which can reach past read-only SPARQL."""
    from ontology import SQL_CALL_SCHEMES
    from web.sparql.querytext import iris_and_names

    if text.form is None:
        raise QuerySyntaxError("not a SPARQL 1.1 query: after its PREFIX and BASE declarations it must "
                               "start with SELECT, CONSTRUCT, DESCRIBE or ASK")
    for token in iris_and_names(query):
        if token.strip("<>").lower().startswith(SQL_CALL_SCHEMES):
            raise ExtensionRefused(f"{token} calls the database server's SQL, which this endpoint does not allow")


class RemoteQueryExecutor:
    """Runs the endpoint's queries on the SPARQL server that holds the graph (see
    :mod:`ingest.remote_store`), with the same refusals, deadline, result cap and formats as
    :class:`QueryExecutor`.

    The deadline is the HTTP request's time: when it passes the connection is closed and the
    client gets :class:`QueryTimeout` (the server may go on evaluating until its own limit,
    Virtuoso's ``MaxQueryExecutionTime``). The answer is read as it arrives and cut after
    ``result_cap`` rows or triples, so a huge answer is never held whole. ``workers`` bounds the
    queries sent at once. Clients see the server's own error text but never its URL.
    """

    #: Answers asked of the server: streamable, one solution or triple at a time.
    TABLE_ACCEPT = "application/sparql-results+xml"
    GRAPH_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.5"

    def __init__(self, datadir: DataDir | str | os.PathLike, url: str, *, workers: int = 2,
                 deadline: float = 30.0, result_cap: int = 10000):
        from ingest.remote_store import SparqlEndpoint

        _set_limits(self, datadir, workers, deadline, result_cap)
        self.endpoint = SparqlEndpoint(url)
        self._slots = threading.BoundedSemaphore(workers)
        self._prefixes = _prefixes()
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._summary: DatasetSummary | None = None

    # -- lifecycle: nothing to start or stop, the server runs elsewhere

    def start(self) -> "RemoteQueryExecutor":
        return self

    def close(self) -> None:
        pass

    def __enter__(self) -> "RemoteQueryExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def worker_pids(self) -> list[int]:
        return []

    # -- queries

    def run(self, query: str, fmt: str = "json", *, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, deadline: float | None = None) -> QueryResult:
        """As :meth:`QueryExecutor.run`, evaluated by the remote server."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        text = inspect_query(query)
        check_allowed(text)
        check_remote_allowed(query, text)
        limit = self.deadline if deadline is None else deadline
        started = time.monotonic()
        expires = started + limit
        params = [("default-graph-uri", g) for g in default_graphs or ()]
        params += [("named-graph-uri", g) for g in named_graphs or ()]
        with self._slot(expires), self._errors(limit):
            self._refresh()
            prologue = "" if params or text.has_dataset_clause else self.endpoint.union_prologue(expires)
            accept = self.GRAPH_ACCEPT if text.is_graph_query else self.TABLE_ACCEPT
            with self.endpoint.query(prologue + query, accept, expires=expires, params=params) as reply:
                if text.is_graph_query:
                    meta, body = self._graph_answer(reply, FORMATS[fmt])
                else:
                    meta, body = self._table_answer(reply, FORMATS[fmt], ask=text.form == "ASK")
        return QueryResult(body=body, format=fmt, kind=meta["kind"], count=meta["count"],
                           truncated=meta["truncated"], cap=self.result_cap,
                           elapsed=time.monotonic() - started)

    def dataset_summary(self, *, deadline: float | None = None) -> DatasetSummary:
        """The project's named graphs on the server and their sizes (cached until an ingest)."""
        from ontology import is_project_graph

        limit = self.deadline if deadline is None else deadline
        expires = time.monotonic() + limit
        with self._slot(expires), self._errors(limit):
            self._refresh()
            if self._summary is not None:
                return self._summary
            counts = {name: n for name, n in self.endpoint.graph_sizes(expires).items() if is_project_graph(name)}
            self._summary = DatasetSummary([NamedGraph(name, n) for name, n in sorted(counts.items())])
            return self._summary

    def _refresh(self) -> None:
        # an ingest may have added graphs, and the server's own graph list is read anew with them
        stamp = store_stamp(self.datadir.graph, self.datadir.registry_file)
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._summary = stamp, None
                self.endpoint.forget_graphs()

    @contextlib.contextmanager
    def _slot(self, expires: float):
        if not self._slots.acquire(timeout=max(expires - time.monotonic(), 0.0)):
            raise ExecutorBusy("every query slot stayed busy until the deadline; try again later")
        try:
            yield
        finally:
            self._slots.release()

    @staticmethod
    @contextlib.contextmanager
    def _errors(limit: float):
        """The store's errors as the endpoint's: the server's message reaches the client, its URL does not."""
        from ingest.remote_store import RemoteQueryError, RemoteStoreError, RemoteTimeout

        try:
            yield
        except RemoteTimeout:
            raise QueryTimeout(limit) from None
        except RemoteQueryError as error:
            raise QuerySyntaxError(error.detail or "the query was rejected") from None
        except RemoteStoreError as error:
            if error.detail is None:
                raise StoreUnavailable("the SPARQL server that holds the graph did not answer") from None
            raise QueryFailed(f"the SPARQL server failed: {error.detail}") from None

    def _table_answer(self, reply, fmt, ask: bool) -> tuple[dict, bytes]:
        from ingest.remote_store import table_says_yes

        variables, rows, answer = _read_xml_results(reply.chunks(), cap=self.result_cap)
        if ask and answer is None:
            answer = table_says_yes([term.value for row in rows for term in row if term is not None])
        if answer is not None:
            _expect(fmt, TABLE, "ASK")
            parsed = pyoxigraph.parse_query_results(b'{"head":{},"boolean":%s}' % (b"true" if answer else b"false"),
                                                    format=pyoxigraph.QueryResultsFormat.JSON)
            return {"kind": "boolean", "count": None, "truncated": False}, parsed.serialize(format=fmt.oxigraph)
        _expect(fmt, TABLE, "SELECT")
        truncated = len(rows) > self.result_cap
        rows = rows[:self.result_cap]
        # The same path as the local executor: W3C TSV (terms in N-Triples syntax) parsed back
        # by pyoxigraph and written in the asked format, so both modes answer byte for byte alike.
        lines = ["\t".join(f"?{name}" for name in variables)]
        lines += ["\t".join("" if term is None else str(term) for term in row) for row in rows]
        table = ("\n".join(lines) + "\n").encode("utf-8")
        if fmt.name == "tsv":
            return {"kind": "table", "count": len(rows), "truncated": truncated}, table
        parsed = pyoxigraph.parse_query_results(table, format=pyoxigraph.QueryResultsFormat.TSV)
        return {"kind": "table", "count": len(rows), "truncated": truncated}, parsed.serialize(format=fmt.oxigraph)

    def _graph_answer(self, reply, fmt) -> tuple[dict, bytes]:
        _expect(fmt, GRAPH, "CONSTRUCT/DESCRIBE")
        cap = self.result_cap
        if reply.content_type in ("application/n-triples", "text/plain"):
            # one triple per line: stop reading once one beyond the cap has arrived
            kept: list[bytes] = []
            for line in reply.lines():
                if not line.strip() or line.lstrip().startswith(b"#"):
                    continue
                kept.append(line)
                if len(kept) > cap:
                    break
            triples = [_as_triple(t) for t in pyoxigraph.parse(b"".join(kept), pyoxigraph.RdfFormat.N_TRIPLES)]
        elif reply.content_type == "text/turtle":
            triples = [_as_triple(t) for t in pyoxigraph.parse(reply.read(), pyoxigraph.RdfFormat.TURTLE)]
        else:
            raise QueryFailed(f"the SPARQL server answered a graph query with {reply.content_type or 'no type'}")
        truncated = len(triples) > cap
        triples = triples[:cap]
        prefixes = _used_prefixes(triples, self._prefixes) if fmt.name == "turtle" else None
        body = pyoxigraph.serialize(triples, format=fmt.oxigraph, prefixes=prefixes)
        return {"kind": "graph", "count": len(triples), "truncated": truncated}, body or b""


def _as_triple(statement) -> pyoxigraph.Triple:
    return statement.triple if isinstance(statement, pyoxigraph.Quad) else statement


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_xml_results(chunks, cap: int | None) -> tuple[list[str], list[list], bool | None]:
    """Variables, rows of pyoxigraph terms (None where unbound) and the ASK answer of SPARQL XML
    results, read as they arrive and abandoned once ``cap`` + 1 rows are in (that last row tells
    that the answer was cut)."""
    from xml.etree.ElementTree import ParseError, XMLPullParser

    parser = XMLPullParser(events=("start", "end"))
    variables: list[str] = []
    rows: list[list] = []
    answer: bool | None = None
    blanks: dict[str, pyoxigraph.BlankNode] = {}
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for event, element in parser.read_events():
                name = _local_name(element.tag)
                if event == "start":
                    if name == "variable":
                        variables.append(element.get("name"))
                    continue
                if name == "boolean":
                    answer = (element.text or "").strip() == "true"
                elif name == "result":
                    row = [None] * len(variables)
                    for binding in element:
                        variable = binding.get("name")
                        if variable in variables and len(binding):
                            row[variables.index(variable)] = _xml_term(binding[0], blanks)
                    rows.append(row)
                    element.clear()
                    if cap is not None and len(rows) > cap:
                        return variables, rows, None
        parser.close()
    except ParseError as error:
        raise QueryFailed(f"the SPARQL server sent unreadable XML results: {error}") from None
    return variables, rows, answer


def _xml_term(element, blanks: dict[str, pyoxigraph.BlankNode]):
    kind = _local_name(element.tag)
    value = element.text or ""
    if kind == "uri":
        return pyoxigraph.NamedNode(value)
    if kind == "bnode":
        # servers name blank nodes as they like (Virtuoso: nodeID://b10001); a label per answer will do
        return blanks.setdefault(value, pyoxigraph.BlankNode(f"b{len(blanks)}"))
    language = next((v for k, v in element.attrib.items() if _local_name(k) == "lang"), None)
    if language:
        return pyoxigraph.Literal(value, language=language)
    datatype = element.get("datatype")
    return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(datatype) if datatype else None)
