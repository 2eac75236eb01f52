"""Ingest many files into the data directory: graph store, report texts, registry and any sinks.

A sink is another store kept in step with the graph (the full-text index): an object with
``add_reports(reports, commit=False)``, ``remove(report_ids, commit=False)`` and ``commit()``.
A file that cannot be read or extracted is listed with its reason and the batch goes on; what was
stored before is never removed because a later file failed.

Reading and extraction (segmentation included) depend on the file alone, so they run in worker
processes, one per core by default; each worker also turns its report into the N-Quads of the
report's graph and its gazetteer entries. This process alone writes, taking the results in the
order of the files, a few files ahead at most (memory stays bounded however long the batch), so
the stored result is the same whatever the number of workers.
"""
from __future__ import annotations

import copy
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.datadir import DataDir
from ingest.manifest import MANIFEST_NAME, ManifestEntry, read_manifest, fill_gaps
from ingest.pipeline import extract_file
from ingest.read import SUPPORTED, ReadError
from ingest.report import Report, Token
from ingest.store import GraphStore, graph_nquads
from ingest.stores import open_store
from ingest.triples import gazetteer_graph, report_graph
from ontology import GAZETTEER_GRAPH, report_graph_iri

#: Files handed to the workers ahead of the one being written, per worker: enough to keep them
#: busy while the writer works, few enough that memory does not grow with the batch.
AHEAD_PER_WORKER = 2
#: Below this many files, the default is to extract in this process: a worker spends ~1.5 s
#: loading jieba's dictionary before its first file, as long as extracting ~30 files takes.
SMALL_BATCH = 32
#: N-Quads gathered before one bulk load into the graph store (about a hundred reports).
GRAPH_FLUSH_BYTES = 32 * 1024 * 1024


class Sink(Protocol):
    def add_reports(self, reports: Iterable[Report], commit: bool = ...) -> int: ...
    def remove(self, report_ids: Iterable[str], commit: bool = ...) -> int: ...
    def commit(self) -> None: ...


@dataclass
class Failure:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class BatchResult:
    #: The reports stored, in file order. Their tokens and sentences are released once written:
    #: kept for a batch of 100,000 reports they would take tens of gigabytes.
    ingested: list[Report] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, Path | None]]:
    """(file, folder it was found in) for every file named or found under a named folder.

    Inside folders only supported formats are taken (a folder also holds manifests and notes);
    a file named explicitly is always tried, so an unsupported one is reported, not skipped.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED and child.name != MANIFEST_NAME:
                    yield child, child.parent
        else:
            yield path, None


def registry_entry(report: Report) -> dict:
    jurisdiction = report.jurisdiction
    return {"source": report.source, "title": report.title, "year": report.year,
            "jurisdiction": jurisdiction.name if jurisdiction else None,
            "code": jurisdiction.code if jurisdiction else None}


@dataclass
class Extracted:
    """One file read and extracted, with its graphs as N-Quads, ready to be written."""

    report: Report
    report_quads: bytes
    gazetteer_quads: bytes

    def __getstate__(self) -> dict:
        # Sent back from a worker: a list of Token objects unpickles slowly (a class call and a
        # dict per word, ~5 ms a report in the one writing process); three plain lists take ~1 ms.
        report = copy.copy(self.report)
        report.tokens = []
        tokens = self.report.tokens
        return {"report": report, "report_quads": self.report_quads, "gazetteer_quads": self.gazetteer_quads,
                "words": ([t.text for t in tokens], [t.start for t in tokens], [t.end for t in tokens])}

    def __setstate__(self, state: dict) -> None:
        texts, starts, ends = state.pop("words")
        state["report"].tokens = [Token(text, start, end) for text, start, end in zip(texts, starts, ends)]
        self.__dict__.update(state)


def extract_for_store(path: Path, manifest_entry: ManifestEntry | None = None) -> Extracted | Failure:
    """Everything done to one file before it is written; runs in a worker process."""
    try:
        report = extract_file(path)
    except ReadError as error:
        return Failure(str(path), error.reason)
    except Exception as error:  # a bug on one report must not stop the batch
        return Failure(str(path), f"extraction failed: {type(error).__name__}: {error}")
    if manifest_entry is not None:
        fill_gaps(report, manifest_entry)
    return Extracted(report, graph_nquads(report_graph_iri(report.id), report_graph(report)),
                     graph_nquads(GAZETTEER_GRAPH, gazetteer_graph(report)))


def worker_context() -> multiprocessing.context.BaseContext:
    """How extraction workers are started (the benchmark starts its own pools the same way)."""
    # Not fork: the writer holds the graph store's database threads by then, and a forked child
    # inherits their locks in whatever state they were. A fork server starts clean, and with this
    # module preloaded a worker starts without importing anything.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _manifest_entries(files: list[tuple[Path, Path | None]]) -> Iterator[ManifestEntry | None | Exception]:
    """The manifest entry of each file (a folder's manifest read once); a manifest that cannot be
    read is yielded as its error, raised when that file's turn to be written comes."""
    manifests: dict[Path, dict | Exception] = {}
    for path, folder in files:
        if folder is None:
            yield None
            continue
        if folder not in manifests:
            try:
                manifests[folder] = read_manifest(folder)
            except Exception as error:
                manifests[folder] = error
        manifest = manifests[folder]
        yield manifest if isinstance(manifest, Exception) else manifest.get(path.name)


def extracted_in_order(files: list[tuple[Path, Path | None]], workers: int
                       ) -> Iterator[tuple[Path, Extracted | Failure]]:
    """(file, what extraction made of it) in the order of ``files``; ``workers`` processes (1: here)."""
    entries = _manifest_entries(files)
    if workers <= 1:
        for (path, _folder), entry in zip(files, entries):
            if isinstance(entry, Exception):
                raise entry
            yield path, extract_for_store(path, entry)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())
    pending: deque[tuple[Path, Future | Exception]] = deque()
    try:
        for (path, _folder), entry in zip(files, entries):
            pending.append((path, entry if isinstance(entry, Exception) else pool.submit(extract_for_store, path, entry)))
            if len(pending) > AHEAD_PER_WORKER * workers:
                yield _next(pending)
        while pending:
            yield _next(pending)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _next(pending: deque) -> tuple[Path, Extracted | Failure]:
    path, outcome = pending.popleft()
    if isinstance(outcome, Exception):
        raise outcome
    return path, outcome.result()


class _GraphWriter:
    """Report graphs on their way into the store, loaded many reports at a time (see
    :meth:`GraphStore.load_nquads`); the store ends up as if each report were written alone."""

    def __init__(self, store: GraphStore, flush_bytes: int = GRAPH_FLUSH_BYTES):
        self.store = store
        self.flush_bytes = flush_bytes
        self._pending: dict[str, None] = {}
        self._quads: list[bytes] = []
        self._size = 0
        # The gazetteer graph is shared and only grows during a batch: a quad loaded once need
        # not be loaded again (most reports repeat their province and city).
        self._gazetteer_seen: set[bytes] = set()

    def replace_report(self, report_id: str, report_quads: bytes, gazetteer_quads: bytes) -> None:
        if report_id in self._pending:
            self.flush()  # the same text twice: the later version replaces the earlier, as alone
        self._pending[report_id] = None
        self._add(report_quads)
        for line in gazetteer_quads.splitlines(keepends=True):
            if line not in self._gazetteer_seen:
                self._gazetteer_seen.add(line)
                self._add(line)
        if self._size >= self.flush_bytes:
            self.flush()

    def _add(self, quads: bytes) -> None:
        self._quads.append(quads)
        self._size += len(quads)

    def remove_report(self, report_id: str) -> None:
        if report_id in self._pending:
            self.flush()
        self.store.remove_report(report_id)

    def flush(self) -> None:
        for report_id in self._pending:
            self.store.remove_report(report_id)  # replacing: nothing of an older graph stays
        self.store.load_nquads(b"".join(self._quads))
        self._pending.clear()
        self._quads.clear()
        self._size = 0


def _release(report: Report) -> None:
    report.tokens = []
    report.sentences = []


def ingest_paths(paths: Iterable[str | os.PathLike], datadir: DataDir, sinks: Iterable[Sink] = (),
                 progress: Callable[[Path], None] | None = None, workers: int | None = None) -> BatchResult:
    """Ingest files and folders; ``workers`` extraction processes (default: one per core, or none
    for a batch of fewer than :data:`SMALL_BATCH` files; 1 runs everything in this process).
    ``progress`` is called with each file as its turn to be written comes.

    With more than one worker, a script that calls this needs the ``if __name__ == "__main__":``
    guard: workers start from a fork server, which imports the main module anew.
    """
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    result = BatchResult()
    sinks = list(sinks)
    datadir.root.mkdir(parents=True, exist_ok=True)
    datadir.texts.mkdir(parents=True, exist_ok=True)
    registry = datadir.registry()
    # source → its report ids, so finding a file's older versions does not scan the registry
    by_source: dict[str, dict[str, None]] = {}
    for rid, meta in registry.items():
        by_source.setdefault(meta["source"], {})[rid] = None
    files = list(expand_paths(paths))
    if workers is None:
        workers = 1 if len(files) < SMALL_BATCH else os.cpu_count() or 1
    with open_store(datadir) as store:
        store.replace_vocabulary()
        graph = _GraphWriter(store)
        try:
            for path, outcome in extracted_in_order(files, min(workers, max(1, len(files)))):
                if progress:
                    progress(path)
                if isinstance(outcome, Failure):
                    result.failures.append(outcome)
                    continue
                report = outcome.report
                # the same file with new content replaces its old version
                stale = [rid for rid in by_source.get(report.source, ()) if rid != report.id]
                graph.replace_report(report.id, outcome.report_quads, outcome.gazetteer_quads)
                datadir.text_path(report.id).write_text(report.original, encoding="utf-8")
                for old in stale:
                    graph.remove_report(old)
                    datadir.text_path(old).unlink(missing_ok=True)
                    del registry[old]
                    del by_source[report.source][old]
                    result.removed.append(old)
                for sink in sinks:
                    if stale:
                        sink.remove(stale, commit=False)
                    sink.add_reports([report], commit=False)
                previous = registry.get(report.id)
                if previous is not None and previous["source"] != report.source:
                    by_source[previous["source"]].pop(report.id, None)
                registry[report.id] = registry_entry(report)
                by_source.setdefault(report.source, {})[report.id] = None
                _release(report)
                result.ingested.append(report)
        finally:
            # what was extracted before an error is stored, as when each report was loaded alone
            graph.flush()
    for sink in sinks:
        sink.commit()
    datadir.save_registry(registry)
    return result


def remove_reports(report_ids: Iterable[str], datadir: DataDir, sinks: Iterable[Sink] = ()) -> list[str]:
    """Remove reports (by id) from graph, texts, registry and sinks; returns the ids removed."""
    registry = datadir.registry()
    ids = [rid for rid in report_ids if rid in registry]
    with open_store(datadir) as store:
        for rid in ids:
            store.remove_report(rid)
            datadir.text_path(rid).unlink(missing_ok=True)
            del registry[rid]
    for sink in sinks:
        sink.remove(ids, commit=True)
    datadir.save_registry(registry)
    return ids
