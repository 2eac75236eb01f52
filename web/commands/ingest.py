"""``fzkg ingest [PATH…]``: read reports into the graph store and the full-text index."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ingest.batch import ingest_paths
from ingest.datadir import DataDir
from web.cli import add_data_option

#: The embedded corpus, used when no path is given.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def default_corpus() -> Path:
    """The embedded corpus, as a relative path when run from the project (sources read "corpus/…")."""
    relative = Path(os.path.relpath(DEFAULT_CORPUS))
    return DEFAULT_CORPUS if relative.parts[:1] == ("..",) else relative


def register(subparsers) -> None:
    parser = subparsers.add_parser("ingest", help="read reports into the knowledge graph and the search index",
                                   description="Read report files (.txt .html .docx .pdf) or folders of them. "
                                   "Re-ingesting a report replaces its facts; a bad file is listed and skipped.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the embedded corpus)")
    from search.engine import engine_names

    parser.add_argument("--engine", default=None, choices=engine_names(),
                        help="full-text engine for a new data directory (default: whoosh)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="keep the graph of a new data directory on this SPARQL 1.1 endpoint (query and "
                        "update at one URL, e.g. Virtuoso's http://host:8890/sparql) instead of its own "
                        "Oxigraph store; recorded in settings.json, so later commands use it too")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--workers", type=_positive, default=None, metavar="N",
                        help="processes reading and extracting files (default: one per core, none for fewer "
                        "than 32 files; 1: no extra process)")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def run_ingest(paths, datadir: DataDir, engine: str | None = None, quiet: bool = False,
               workers: int | None = None, store: str | None = None):
    """Ingest into graph, index and summaries together, so all three always hold the same reports.

    ``store`` (a SPARQL endpoint URL) chooses where a new data directory keeps its graph.
    """
    from search.index import SearchIndex
    from search.summaries import kept_in_step

    settings = datadir.settings()
    if store is not None:
        _record_store(datadir, settings, store)
    if engine and settings.get("engine") not in (None, engine) and datadir.exists():
        from web.cli import CommandError
        raise CommandError(f"{datadir.root} was built with engine {settings['engine']!r}; "
                           f"use a new --data directory for {engine!r}")
    if engine or "engine" not in settings:
        settings["engine"] = engine or settings.get("engine", "whoosh")
        datadir.root.mkdir(parents=True, exist_ok=True)
        datadir.save_settings(settings)
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(unit="report", file=sys.stderr)
    with SearchIndex.open(datadir, create=True) as index, kept_in_step(datadir) as summaries:
        result = ingest_paths(paths or [default_corpus()], datadir, sinks=[index, *summaries],
                              progress=(lambda path: bar.update(1)) if bar else None, workers=workers)
    if bar:
        bar.close()
    return result


def _record_store(datadir: DataDir, settings: dict, url: str) -> None:
    """Record ``url`` as the graph store of ``datadir``; a directory that already holds a graph
    elsewhere keeps it (its registry and index describe that graph)."""
    from ingest.remote_store import SparqlEndpoint
    from ingest.stores import STORE_SETTING, describe
    from web.cli import CommandError

    try:
        SparqlEndpoint(url)
    except ValueError as error:
        raise CommandError(f"--store: {error}") from None
    recorded = settings.get(STORE_SETTING)
    if recorded == url:
        return
    if datadir.exists() or datadir.graph.exists():
        raise CommandError(f"{datadir.root} was built with {describe(recorded)}; "
                           f"use a new --data directory for {url}")
    settings[STORE_SETTING] = url
    datadir.root.mkdir(parents=True, exist_ok=True)
    datadir.save_settings(settings)


def run(args) -> int:
    datadir = DataDir.at(args.data)
    result = run_ingest(args.paths, datadir, engine=args.engine, quiet=args.quiet, workers=args.workers,
                        store=args.store)
    print(f"ingested {len(result.ingested)} report(s) into {datadir.root}"
          + (f", replaced {len(result.removed)} older version(s)" if result.removed else ""))
    for report in result.ingested:
        for note in report.notes:
            print(f"note: {report.source}: {note}")
    if result.failures:
        print(f"{len(result.failures)} file(s) failed:", file=sys.stderr)
        for failure in result.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0
