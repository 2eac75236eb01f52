"""Ingest many files into the data directory: graph store, report texts, registry and any sinks.

A sink is another store kept in step with the graph (the full-text index): an object with
``add_reports(reports, commit=False)``, ``remove(report_ids, commit=False)`` and ``commit()``.
A file that cannot be read or extracted is listed with its reason and the batch goes on; what was
stored before is never removed because a later file failed.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.datadir import DataDir
from ingest.manifest import MANIFEST_NAME, read_manifest, fill_gaps
from ingest.pipeline import extract_file
from ingest.read import SUPPORTED, ReadError
from ingest.report import Report
from ingest.store import GraphStore
from ingest.triples import gazetteer_graph, report_graph
from ontology import GAZETTEER_GRAPH


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


def ingest_paths(paths: Iterable[str | os.PathLike], datadir: DataDir, sinks: Iterable[Sink] = (),
                 progress: Callable[[Path], None] | None = None) -> BatchResult:
    result = BatchResult()
    sinks = list(sinks)
    datadir.root.mkdir(parents=True, exist_ok=True)
    datadir.texts.mkdir(parents=True, exist_ok=True)
    registry = datadir.registry()
    manifests: dict[Path, dict] = {}
    with GraphStore.open(datadir.graph) as store:
        store.replace_vocabulary()
        for path, folder in expand_paths(paths):
            if progress:
                progress(path)
            try:
                report = extract_file(path)
            except ReadError as error:
                result.failures.append(Failure(str(path), error.reason))
                continue
            except Exception as error:  # a bug on one report must not stop the batch
                result.failures.append(Failure(str(path), f"extraction failed: {type(error).__name__}: {error}"))
                continue
            if folder is not None:
                if folder not in manifests:
                    manifests[folder] = read_manifest(folder)
                entry = manifests[folder].get(path.name)
                if entry:
                    fill_gaps(report, entry)
            # the same file with new content replaces its old version
            stale = [rid for rid, meta in registry.items() if meta["source"] == report.source and rid != report.id]
            store.replace_report(report.id, report_graph(report))
            store.add_to_graph(GAZETTEER_GRAPH, gazetteer_graph(report))
            datadir.text_path(report.id).write_text(report.original, encoding="utf-8")
            for old in stale:
                store.remove_report(old)
                datadir.text_path(old).unlink(missing_ok=True)
                del registry[old]
                result.removed.append(old)
            for sink in sinks:
                if stale:
                    sink.remove(stale, commit=False)
                sink.add_reports([report], commit=False)
            registry[report.id] = registry_entry(report)
            result.ingested.append(report)
    for sink in sinks:
        sink.commit()
    datadir.save_registry(registry)
    return result


def remove_reports(report_ids: Iterable[str], datadir: DataDir, sinks: Iterable[Sink] = ()) -> list[str]:
    """Remove reports (by id) from graph, texts, registry and sinks; returns the ids removed."""
    registry = datadir.registry()
    ids = [rid for rid in report_ids if rid in registry]
    with GraphStore.open(datadir.graph) as store:
        for rid in ids:
            store.remove_report(rid)
            datadir.text_path(rid).unlink(missing_ok=True)
            del registry[rid]
    for sink in sinks:
        sink.remove(ids, commit=True)
    datadir.save_registry(registry)
    return ids
