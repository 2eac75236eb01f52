"""Which graph store a data directory uses, and opening it.

A data directory keeps its graph in its own Oxigraph directory (``graph/``) unless it was built with
``fzkg ingest --store URL``: then ``settings.json`` records the SPARQL endpoint under ``"store"``,
and every command and the web service read and write the graph there. The search index, the report
texts and the registry stay in the data directory either way.
"""
from __future__ import annotations

from ingest.datadir import DataDir
from ingest.store import GraphStore, Store

#: The settings.json key naming the SPARQL endpoint of a data directory's graph.
STORE_SETTING = "store"


def store_url(datadir: DataDir) -> str | None:
    """The SPARQL endpoint holding the graph of ``datadir``, or None for its local Oxigraph store."""
    return datadir.settings().get(STORE_SETTING)


def describe(url: str | None) -> str:
    """How a store is named in messages."""
    return url or "the local graph store"


def has_graph(datadir: DataDir) -> bool:
    """Whether there is a graph to read (a remote one is taken to be there)."""
    return store_url(datadir) is not None or datadir.graph.exists()


def open_store(datadir: DataDir, read_only: bool = False) -> Store:
    """The graph store of ``datadir``, opened for reading only or for writing too."""
    url = store_url(datadir)
    if url is None:
        return GraphStore.open(datadir.graph, read_only=read_only)
    from ingest.remote_store import RemoteStore

    return RemoteStore.open(url, read_only=read_only)
