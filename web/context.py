"""What every page and API of one running service shares: the data directory, the graph store
(read-only) and the search index, reopened when an ingest changes the data."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app

from ingest.datadir import DataDir
from ingest.journal import recover_interrupted
from ingest.store import Store
from ingest.stores import open_store

EXTENSION = "fzkg"


@dataclass
class ServiceContext:
    datadir: DataDir
    #: SPARQL deadline (seconds) and result cap for the endpoint and the query editor
    deadline: float = 30.0
    result_cap: int = 10000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stamp: float | None = field(default=None, repr=False)
    _graph: Store | None = field(default=None, repr=False)
    _index: object | None = field(default=None, repr=False)
    _derived: dict[str, "_Derived"] = field(default_factory=dict, repr=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _data_stamp(self) -> float | None:
        registry = self.datadir.registry_file
        return registry.stat().st_mtime if registry.exists() else None

    def _refresh(self) -> None:
        stamp = self._data_stamp()
        if stamp != self._stamp:
            self.close()
            self._stamp = stamp
        if self._graph is None and self._index is None and recover_interrupted(self.datadir):
            # the data is about to be opened: an ingest killed mid-batch was first undone back to
            # its last checkpoint (one still running holds the journal and is left alone)
            self._stamp = self._data_stamp()

    @property
    def graph(self) -> Store:
        """The graph store, read-only; a new ingest is seen on the next request."""
        with self._lock:
            self._refresh()
            if self._graph is None:
                self._graph = open_store(self.datadir, read_only=True)
            return self._graph

    @property
    def index(self):
        """The full-text index (:class:`search.index.SearchIndex`)."""
        from search.index import SearchIndex

        with self._lock:
            self._refresh()
            if self._index is None:
                self._index = SearchIndex.open(self.datadir)
            return self._index

    def version(self) -> str:
        return self.datadir.version()

    def derived(self, name: str, build: Callable[["ServiceContext"], Any]) -> Any:
        """A value computed from the data (the question linker, the links graph …): built by
        ``build(context)`` at most once per data version and shared by every request thread.

        Each name has its own lock, so that a slow build (seconds for the links graph) holds up
        only the requests that need that value, and ``build`` may use :attr:`graph` freely."""
        with self._derived_lock:
            slot = self._derived.setdefault(name, _Derived())
        version = self.version()
        with slot.lock:
            # the version read before building: data that changes during the build is seen as
            # another version by the next request, which builds again
            if slot.version != version:
                slot.value, slot.version = build(self), version
            return slot.value

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None
        if self._index is not None:
            self._index.close()
            self._index = None


@dataclass
class _Derived:
    lock: threading.Lock = field(default_factory=threading.Lock)
    version: str | None = None
    value: Any = None


def service() -> ServiceContext:
    """The context of the app handling the current request."""
    return current_app.extensions[EXTENSION]
