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
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.datadir import DataDir
from ingest.journal import REMOVE, REPLACE, STORE, Journal, recover
from ingest.manifest import MANIFEST_NAME, ManifestEntry, read_manifest, fill_gaps
from ingest.pipeline import process
from ingest.read import SUPPORTED, ReadError, read_report
from ingest.report import Report, Token
from ingest.store import GraphStore
from ingest.triples import gazetteer_nquads, report_nquads
from ingest.stores import open_store

#: Files handed to the workers ahead of the one being written, per worker: enough to keep them
#: busy while the writer works, few enough that memory does not grow with the batch.
AHEAD_PER_WORKER = 2
#: Below this many files, the default is to extract in this process: a worker spends ~1.5 s
#: loading jieba's dictionary before its first file, as long as extracting ~30 files takes.
SMALL_BATCH = 32
#: N-Quads gathered before one bulk load into the graph store (about a hundred reports).
GRAPH_FLUSH_BYTES = 32 * 1024 * 1024
#: A checkpoint (every store made durable, the registry saved, the journal emptied: see
#: :mod:`ingest.journal`) after this many reports written or seconds passed, whichever comes
#: first. A crash loses at most the reports since the last one; each costs a registry save
#: (~20 MB at 100,000 reports) and an index commit, so not much more often than this.
CHECKPOINT_REPORTS = 2000
CHECKPOINT_SECONDS = 120.0
#: Version of what ingest makes of a file (its graph, index document and summary rows). A file
#: stored from the same path with the same text by the same version is skipped as unchanged, so
#: bump this with any change to extraction or to :mod:`ingest.triples` that changes what is stored.
EXTRACTOR_VERSION = "2"


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


@dataclass(frozen=True)
class Ingested:
    """What a batch keeps of a report it stored. Not the report itself: with its texts and every
    fact and sentence (~100 KB each), 100,000 of them held the writing process at 12 GB."""

    id: str
    source: str
    #: what the extractor noticed but could not settle (see :attr:`Report.notes`)
    notes: tuple[str, ...]


@dataclass
class BatchResult:
    #: The reports stored, in file order.
    ingested: list[Ingested] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Files not extracted because they are stored as they are (their paths, in file order).
    skipped: list[str] = field(default_factory=list)


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


def registry_entry(report: Report, manifest_entry: ManifestEntry | None = None) -> dict:
    jurisdiction = report.jurisdiction
    entry = {"source": report.source, "title": report.title, "year": report.year,
             "jurisdiction": jurisdiction.name if jurisdiction else None,
             "code": jurisdiction.code if jurisdiction else None,
             "extractor": EXTRACTOR_VERSION}
    if manifest_entry is not None and manifest_entry.gaps:
        entry["manifest_gaps"] = dict(manifest_entry.gaps)
    return entry


def is_unchanged(entry: dict | None, source: str, manifest_entry: ManifestEntry | None) -> bool:
    """Whether a registry entry records its report as extracted from ``source`` as it would be
    now: by this extractor version, with the same manifest values filling its gaps."""
    gaps = manifest_entry.gaps if manifest_entry is not None else {}
    return (entry is not None and entry["source"] == source and entry.get("extractor") == EXTRACTOR_VERSION
            and entry.get("manifest_gaps", {}) == gaps)


@dataclass
class Unchanged:
    """A file whose text is stored, from the same path, as it would be extracted now."""

    source: str
    report_id: str


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


def extract_for_store(path: Path, manifest_entry: ManifestEntry | None = None,
                      unchanged_ids: frozenset[str] = frozenset()) -> Extracted | Unchanged | Failure:
    """Everything done to one file before it is written; runs in a worker process. A file whose
    text has one of ``unchanged_ids`` (stored as it would be extracted now) is only read."""
    try:
        report = read_report(path)
        if report.id in unchanged_ids:
            return Unchanged(report.source, report.id)
        report = process(report)
    except ReadError as error:
        return Failure(str(path), error.reason)
    except Exception as error:  # a bug on one report must not stop the batch
        return Failure(str(path), f"extraction failed: {type(error).__name__}: {error}")
    if manifest_entry is not None:
        fill_gaps(report, manifest_entry)
    return Extracted(report, report_nquads(report), gazetteer_nquads(report))


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


Outcome = Extracted | Unchanged | Failure


def _none_unchanged(path: Path, manifest_entry: ManifestEntry | None) -> frozenset[str]:
    return frozenset()


def extracted_in_order(files: list[tuple[Path, Path | None]], workers: int,
                       unchanged_ids: Callable[[Path, ManifestEntry | None], frozenset[str]] = _none_unchanged
                       ) -> Iterator[tuple[Path, ManifestEntry | None, Outcome]]:
    """(file, its manifest entry, what extraction made of it) in the order of ``files``;
    ``workers`` processes (1: here). ``unchanged_ids(file, entry)``, asked as the file is handed
    out, names the texts it need not be extracted for (see :func:`extract_for_store`)."""
    entries = _manifest_entries(files)
    if workers <= 1:
        for (path, _folder), entry in zip(files, entries):
            if isinstance(entry, Exception):
                raise entry
            yield path, entry, extract_for_store(path, entry, unchanged_ids(path, entry))
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())
    pending: deque[tuple[Path, ManifestEntry | None, Future | Exception]] = deque()
    try:
        for (path, _folder), entry in zip(files, entries):
            if isinstance(entry, Exception):
                pending.append((path, None, entry))
            else:
                pending.append((path, entry, pool.submit(extract_for_store, path, entry, unchanged_ids(path, entry))))
            if len(pending) > AHEAD_PER_WORKER * workers:
                yield _next(pending)
        while pending:
            yield _next(pending)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _next(pending: deque) -> tuple[Path, ManifestEntry | None, Outcome]:
    path, entry, outcome = pending.popleft()
    if isinstance(outcome, Exception):
        raise outcome
    return path, entry, outcome.result()


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


class _Schedule:
    """When the next checkpoint is due: after so many reports or seconds, whichever comes first."""

    def __init__(self, reports: int, seconds: float):
        self.reports = reports
        self.seconds = seconds
        self.restart()

    def restart(self) -> None:
        self._written = 0
        self._since = time.monotonic()

    def written(self) -> None:
        self._written += 1

    def due(self) -> bool:
        return self._written >= self.reports or (self._written > 0 and time.monotonic() - self._since >= self.seconds)


class _Batch:
    """The writing side of one ingest: each outcome into graph, texts, sinks and registry, with the
    journal told first and a checkpoint when one is due (see :mod:`ingest.journal`)."""

    def __init__(self, datadir: DataDir, store, sinks: list[Sink], journal: Journal, schedule: _Schedule,
                 force: bool):
        self.datadir = datadir
        self.sinks = sinks
        self.journal = journal
        self.schedule = schedule
        self.force = force
        self.graph = _GraphWriter(store)
        self.result = BatchResult()
        self.registry = datadir.registry()
        #: the ids of the registry as last saved: writing one of them again replaces a stored report
        self.saved = set(self.registry)
        #: source → its report ids, so finding a file's older versions does not scan the registry
        self.by_source: dict[str, dict[str, None]] = {}
        for rid, meta in self.registry.items():
            self.by_source.setdefault(meta["source"], {})[rid] = None
        #: true while a report is partly written: an error then leaves the journal to recovery
        self.mid_report = False

    def unchanged_ids(self, path: Path, manifest_entry: ManifestEntry | None) -> frozenset[str]:
        """The texts that need no extraction if ``path`` still holds one of them."""
        if self.force:
            return frozenset()
        source = str(path)
        return frozenset(rid for rid in self.by_source.get(source, ())
                         if is_unchanged(self.registry[rid], source, manifest_entry))

    def take(self, path: Path, manifest_entry: ManifestEntry | None, outcome: Outcome) -> None:
        if isinstance(outcome, Unchanged):
            if is_unchanged(self.registry.get(outcome.report_id), outcome.source, manifest_entry):
                self.result.skipped.append(outcome.source)
                return
            # an earlier file of this batch took the text over since the decision: extract it here
            outcome = extract_for_store(path, manifest_entry)
        if isinstance(outcome, Failure):
            self.result.failures.append(outcome)
            return
        self.mid_report = True
        self._write(outcome, manifest_entry)
        self.mid_report = False
        self.schedule.written()
        if self.schedule.due():
            self.checkpoint()

    def _write(self, extracted: Extracted, manifest_entry: ManifestEntry | None) -> None:
        report, registry, by_source = extracted.report, self.registry, self.by_source
        # the same file with new content replaces its old version
        stale = [rid for rid in by_source.get(report.source, ()) if rid != report.id]
        self.journal.append([(REPLACE if report.id in self.saved else STORE, report.id),
                             *((REMOVE, old) for old in stale)])
        self.graph.replace_report(report.id, extracted.report_quads, extracted.gazetteer_quads)
        self.datadir.text_path(report.id).write_text(report.original, encoding="utf-8")
        for old in stale:
            self.graph.remove_report(old)
            self.datadir.text_path(old).unlink(missing_ok=True)
            del registry[old]
            del by_source[report.source][old]
            self.result.removed.append(old)
        for sink in self.sinks:
            if stale:
                sink.remove(stale, commit=False)
            sink.add_reports([report], commit=False)
        previous = registry.get(report.id)
        if previous is not None and previous["source"] != report.source:
            by_source[previous["source"]].pop(report.id, None)
        registry[report.id] = registry_entry(report, manifest_entry)
        by_source.setdefault(report.source, {})[report.id] = None
        self.result.ingested.append(Ingested(report.id, report.source, tuple(report.notes)))

    def checkpoint(self) -> None:
        """Make the stores durable, then record in the registry what they hold, then forget the
        window: in this order, a crash at any point leaves what recovery can undo."""
        self.graph.flush()
        for sink in self.sinks:
            sink.commit()
        self.datadir.save_registry(self.registry)
        self.journal.clear()
        self.saved = set(self.registry)
        self.schedule.restart()


def ingest_paths(paths: Iterable[str | os.PathLike], datadir: DataDir, sinks: Iterable[Sink] = (),
                 progress: Callable[[Path], None] | None = None, workers: int | None = None,
                 force: bool = False, checkpoint_reports: int = CHECKPOINT_REPORTS,
                 checkpoint_seconds: float = CHECKPOINT_SECONDS) -> BatchResult:
    """Ingest files and folders; ``workers`` extraction processes (default: one per core, or none
    for a batch of fewer than :data:`SMALL_BATCH` files; 1 runs everything in this process).
    ``progress`` is called with each file as its turn to be written comes.

    A file stored from the same path with the same text by this :data:`EXTRACTOR_VERSION` is only
    read, not extracted (listed in ``skipped``); ``force`` extracts every file. Every
    ``checkpoint_reports`` reports or ``checkpoint_seconds`` seconds the stores are made durable
    and the registry saved, so a crash loses only the reports since; an interrupted earlier batch
    is undone first (:func:`ingest.journal.recover`).

    With more than one worker, a script that calls this needs the ``if __name__ == "__main__":``
    guard: workers start from a fork server, which imports the main module anew.
    """
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    sinks = list(sinks)
    datadir.root.mkdir(parents=True, exist_ok=True)
    datadir.texts.mkdir(parents=True, exist_ok=True)
    files = list(expand_paths(paths))
    if workers is None:
        workers = 1 if len(files) < SMALL_BATCH else os.cpu_count() or 1
    with Journal.open(datadir) as journal, open_store(datadir) as store:
        recover(datadir, sinks, store=store, journal=journal)
        store.replace_vocabulary()
        batch = _Batch(datadir, store, sinks, journal, _Schedule(checkpoint_reports, checkpoint_seconds), force)
        try:
            for path, manifest_entry, outcome in extracted_in_order(files, min(workers, max(1, len(files))),
                                                                    batch.unchanged_ids):
                if progress:
                    progress(path)
                batch.take(path, manifest_entry, outcome)
        finally:
            # after an error between two reports, what was written before it is stored; after one
            # inside a report the journal stays, and the next recovery undoes the window
            if not batch.mid_report:
                batch.checkpoint()
    return batch.result


def remove_reports(report_ids: Iterable[str], datadir: DataDir, sinks: Iterable[Sink] = ()) -> list[str]:
    """Remove reports (by id) from graph, texts, registry and sinks; returns the ids removed."""
    sinks = list(sinks)
    with Journal.open(datadir) as journal, open_store(datadir) as store:
        recover(datadir, sinks, store=store, journal=journal)
        registry = datadir.registry()
        ids = [rid for rid in report_ids if rid in registry]
        journal.append((REMOVE, rid) for rid in ids)
        for rid in ids:
            store.remove_report(rid)
            datadir.text_path(rid).unlink(missing_ok=True)
            del registry[rid]
        for sink in sinks:
            sink.remove(ids, commit=True)
        datadir.save_registry(registry)
        journal.clear()
    return ids
