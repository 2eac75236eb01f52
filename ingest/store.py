"""The graph store: an Oxigraph database with one named graph per report.

Named graphs: ``report_graph_iri(id)`` for each report, ``GAZETTEER_GRAPH`` for the divisions,
``VOCABULARY_GRAPH`` for ontology, law list and programs. Queries see the union of all named
graphs as their default graph, so a query need not know where a triple lives.

Graphs are written with Oxigraph's bulk loader (``Store.bulk_load``): the triples are serialised to
N-Quads once and loaded without a transaction. Measured on 300 graphs of 800 triples: one
bulk load of all of them took 2.0 s, one bulk load per graph 5–7 s, one transactional
``Store.load`` per graph 3.6 s and rdflib's per-triple adds 4.9 s; the bulk-loaded store was a
quarter of the size on disk (119 MB against 496 MB) and answered queries faster. So load many
reports with :meth:`GraphStore.replace_reports` in one call where you can. The bulk loader is not
atomic: a crash in the middle of a load can leave a graph partial, and re-ingesting the report
repairs it because every write replaces the whole graph.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Mapping

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, URIRef
from rdflib.query import Result

from ontology import PREFIXES, VOCABULARY_GRAPH, bind_prefixes, report_graph_iri, report_id_of_graph

#: Serialisation name → Oxigraph format; the first group holds whole datasets, the second one graph.
DATASET_FORMATS = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
FORMATS = (*DATASET_FORMATS, *GRAPH_FORMATS)

# the union of all named graphs, each triple once (the union default graph repeats a triple
# once per graph that holds it)
_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def graph_nquads(graph_iri: URIRef, graph: Graph) -> bytes:
    """``graph`` as N-Quads of the named graph ``graph_iri``, for :meth:`GraphStore.load_nquads`.

    Made where the graph is made (an ingest worker), so the process that writes the store only
    concatenates bytes. N-Triples holds one triple per line ending in " ." (a newline inside a
    literal is escaped), so naming the graph before that final dot turns each line into a quad.
    """
    suffix = f" <{graph_iri}> .\n".encode("utf-8")
    ntriples = graph.serialize(format="nt", encoding="utf-8")
    return b"".join(line[:-2] + suffix for line in ntriples.splitlines() if line.endswith(b" ."))


def serialize_oxigraph(store: ox.Store, fmt: str, destination: str | os.PathLike | IO[bytes] | None = None
                       ) -> bytes | None:
    """Write an Oxigraph store whose triples all lie in named graphs as ``fmt`` (see :meth:`Store.serialize`)."""
    if isinstance(destination, (str, os.PathLike)):
        destination = str(destination)
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    if fmt in DATASET_FORMATS:
        return store.dump(destination, DATASET_FORMATS[fmt], prefixes=prefixes)
    if fmt in GRAPH_FORMATS:
        triples = store.query(_UNION, use_default_graph_as_union=True)
        return ox.serialize(triples, destination, GRAPH_FORMATS[fmt], prefixes=prefixes)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


class Store(ABC):
    """What ingest and the service need of a graph store, wherever its triples live.

    :class:`GraphStore` keeps them in a local Oxigraph directory, :class:`ingest.remote_store.RemoteStore`
    on a SPARQL 1.1 server; :func:`ingest.stores.open_store` opens the one a data directory uses.
    Every write replaces or adds whole named graphs; every query sees the union of the project's
    named graphs as its default graph, with the project prefixes predeclared.
    """

    @property
    @abstractmethod
    def read_only(self) -> bool: ...

    # -- writing ---------------------------------------------------------------------------

    @abstractmethod
    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Make each named graph hold exactly the triples given for it."""

    @abstractmethod
    def add_to_graph(self, graph_iri: URIRef, graph: Graph) -> None:
        """Add triples to a shared named graph (the gazetteer); triples already there stay single."""

    @abstractmethod
    def load_nquads(self, data: bytes) -> None:
        """Add N-Quads of any number of named graphs (as :func:`graph_nquads` makes them)."""

    @abstractmethod
    def remove_report(self, report_id: str) -> None: ...

    def replace_reports(self, graphs: Mapping[str, Graph]) -> None:
        """Store many reports' graphs (report id → graph) in one load."""
        self.replace_graphs({report_graph_iri(report_id): graph for report_id, graph in graphs.items()})

    def replace_report(self, report_id: str, graph: Graph) -> None:
        """Store one report's graph, dropping whatever the report's named graph held before."""
        self.replace_reports({report_id: graph})

    def replace_vocabulary(self, graph: Graph | None = None) -> None:
        """Reload the vocabulary graph (ontology, law list, programs) from the shipped files."""
        if graph is None:
            from ingest.triples import vocabulary_graph

            graph = vocabulary_graph()
        self.replace_graphs({VOCABULARY_GRAPH: graph})

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def report_ids(self) -> list[str]:
        """Ids of the reports that have a named graph, sorted."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of triples summed over the project's graphs (a triple in two graphs counts twice)."""

    @abstractmethod
    def graph_size(self, graph_iri: URIRef) -> int: ...

    @abstractmethod
    def query(self, sparql: str, init_bindings: Mapping | None = None) -> Result:
        """Run a SPARQL query over the union of the named graphs; rows as rdflib gives them."""

    @abstractmethod
    def serialize(self, fmt: str, destination: str | os.PathLike | IO[bytes] | None = None) -> bytes | None:
        """Write the store as ``fmt`` (one of :data:`FORMATS`); returns bytes without a destination.

        Dataset formats (trig, nquads, jsonld) keep the named graphs; graph formats (turtle, nt)
        write the union of all graphs with each triple once.
        """

    # -- lifetime --------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class GraphStore(Store):
    """The project's RDF store at ``path``; open it with :meth:`open` and close it (or use ``with``)."""

    def __init__(self, path: Path, store: ox.Store, read_only: bool):
        self._path = path
        self._store = store
        self._read_only = read_only
        self._dataset = Dataset(store=OxigraphStore(store=store), default_union=True)
        bind_prefixes(self._dataset)

    @classmethod
    def open(cls, path: str | os.PathLike, read_only: bool = False) -> "GraphStore":
        path = Path(path)
        if read_only:
            if not path.exists():
                raise FileNotFoundError(f"no graph store at {path}")
            store = ox.Store.read_only(str(path))
        else:
            path.mkdir(parents=True, exist_ok=True)
            store = ox.Store(str(path))
        return cls(path, store, read_only)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def read_only(self) -> bool:
        return self._read_only

    # -- writing ---------------------------------------------------------------------------

    def _writable(self) -> ox.Store:
        if self._read_only:
            raise PermissionError(f"graph store {self._path} is open read-only")
        return self._store

    def _bulk_add(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Load several graphs into their named graphs with one bulk load."""
        lines: list[bytes] = []
        for graph_iri, graph in graphs.items():
            name = b" <" + str(graph_iri).encode("utf-8") + b"> ."
            # an N-Triples statement is one line ending in " ."; naming its graph makes it N-Quads
            for line in graph.serialize(format="nt", encoding="utf-8").splitlines():
                if not line.endswith(b" ."):
                    raise ValueError(f"unexpected N-Triples line from rdflib: {line[:200]!r}")
                lines.append(line[:-2] + name)
        if lines:
            self._writable().bulk_load(b"\n".join(lines) + b"\n", ox.RdfFormat.N_QUADS)

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Make each named graph hold exactly the triples given for it."""
        store = self._writable()
        for graph_iri in graphs:
            store.remove_graph(ox.NamedNode(str(graph_iri)))
        self._bulk_add(graphs)

    def add_to_graph(self, graph_iri: URIRef, graph: Graph) -> None:
        """Add triples to a shared named graph (the gazetteer); triples already there stay single."""
        self._bulk_add({graph_iri: graph})

    def load_nquads(self, data: bytes) -> None:
        """Add N-Quads (of any number of named graphs) with one bulk load.

        The bulk loader writes new database files on every call (~40 ms even for one small report),
        so a batch gathers many reports' quads and loads them together.
        """
        if data:
            self._writable().bulk_load(data, ox.RdfFormat.N_QUADS)

    def remove_report(self, report_id: str) -> None:
        self._writable().remove_graph(ox.NamedNode(str(report_graph_iri(report_id))))

    # -- reading ---------------------------------------------------------------------------

    def report_ids(self) -> list[str]:
        """Ids of the reports that have a named graph, sorted."""
        ids = (report_id_of_graph(graph.value) for graph in self._store.named_graphs()
               if isinstance(graph, ox.NamedNode))
        return sorted(i for i in ids if i)

    def __len__(self) -> int:
        """Number of triples summed over all graphs (a triple held by two graphs counts twice)."""
        return len(self._store)

    def graph_size(self, graph_iri: URIRef) -> int:
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph_iri))))

    def query(self, sparql: str, init_bindings: Mapping | None = None) -> Result:
        """Run a SPARQL query over the union of all named graphs; the project prefixes are predeclared.

        ``init_bindings`` (variable name → rdflib term) become Oxigraph substitutions, which only
        accept variables that the SELECT also projects.
        """
        try:
            return self._dataset.query(sparql, initBindings=dict(init_bindings or {}))
        except RuntimeError as error:
            if "projection" in str(error):
                raise ValueError(f"{error} (a variable in init_bindings must also be selected)") from error
            raise

    def serialize(self, fmt: str, destination: str | os.PathLike | IO[bytes] | None = None) -> bytes | None:
        """Write the store as ``fmt`` (one of :data:`FORMATS`); returns bytes without a destination.

        Dataset formats (trig, nquads, jsonld) keep the named graphs; graph formats (turtle, nt)
        write the union of all graphs with each triple once.
        """
        return serialize_oxigraph(self._store, fmt, destination)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the database (Oxigraph closes it when the last handle goes)."""
        if self._store is None:
            return
        if not self._read_only:
            self._store.flush()
        self._dataset.close()
        self._dataset = None
        self._store = None
