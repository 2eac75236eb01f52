"""``fzkg ingest [PATH…]``: read reports into the graph store and the full-text index."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ingest.batch import CHECKPOINT_REPORTS, CHECKPOINT_SECONDS, ingest_paths
from ingest.datadir import DataDir
from web.cli import add_data_option

#: The embedded corpus, used when no path is given.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
#: Environment variables that set how often a batch checkpoints (tests set them small).
CHECKPOINT_REPORTS_VAR = "FZKG_CHECKPOINT_REPORTS"
CHECKPOINT_SECONDS_VAR = "FZKG_CHECKPOINT_SECONDS"


def default_corpus() -> Path:
    """The embedded corpus, as a relative path when run from the project (sources read "corpus/…")."""
    relative = Path(os.path.relpath(DEFAULT_CORPUS))
    return DEFAULT_CORPUS if relative.parts[:1] == ("..",) else relative


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest", help="read reports into the knowledge graph and the search index",
        description="Read report files (.txt .html .docx .pdf) or folders of them. Re-ingesting a report "
        "replaces its facts; a bad file is listed and skipped; a file stored from the same path with the "
        "same text by the same extractor version is skipped as unchanged (--force extracts it again).",
        epilog=f"The stores are made durable and the registry saved every {CHECKPOINT_REPORTS} reports or "
        f"{CHECKPOINT_SECONDS:g} seconds, whichever comes first (set with the environment variables "
        f"{CHECKPOINT_REPORTS_VAR} and {CHECKPOINT_SECONDS_VAR}). An ingest that is interrupted, even by "
        "kill -9, loses only the reports since the last checkpoint: the next command undoes them, and "
        "running the same ingest again skips what was stored and goes on.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the embedded corpus)")
    from search.engine import engine_names

    parser.add_argument("--engine", default=None, choices=engine_names(),
                        help="full-text engine for a new data directory (default: whoosh)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="keep the graph of a new data directory on this SPARQL 1.1 endpoint (query and "
                        "update at one URL, e.g. Virtuoso's http://host:8890/sparql) instead of its own "
                        "Oxigraph store; recorded in settings.json, so later commands use it too")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--force", action="store_true",
                        help="extract every file again, also those stored unchanged")
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


def checkpoint_interval() -> dict:
    """The checkpoint options of :func:`ingest.batch.ingest_paths` the environment sets."""
    from web.cli import CommandError

    options = {}
    for name, option, kind in ((CHECKPOINT_REPORTS_VAR, "checkpoint_reports", int),
                               (CHECKPOINT_SECONDS_VAR, "checkpoint_seconds", float)):
        value = os.environ.get(name)
        if value:
            try:
                options[option] = kind(value)
            except ValueError:
                raise CommandError(f"{name} must be a number, not {value!r}") from None
            if options[option] <= 0:
                raise CommandError(f"{name} must be more than 0")
    return options


def run_ingest(paths, datadir: DataDir, engine: str | None = None, quiet: bool = False,
               workers: int | None = None, store: str | None = None, force: bool = False):
    """Ingest into graph, index and summaries together, so all three always hold the same reports.

    ``store`` (a SPARQL endpoint URL) chooses where a new data directory keeps its graph;
    ``force`` extracts files stored unchanged too.
    """
    from ingest.journal import recover_interrupted
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
    options = checkpoint_interval()
    # undo an interrupted batch with every sink, the summaries included, before they are judged current
    recover_interrupted(datadir)
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(unit="report", file=sys.stderr)
    # "is not None": a tqdm bar without a total has no truth value (bool() raises TypeError)
    with SearchIndex.open(datadir, create=True) as index, kept_in_step(datadir) as summaries:
        result = ingest_paths(paths or [default_corpus()], datadir, sinks=[index, *summaries],
                              progress=(lambda path: bar.update(1)) if bar is not None else None, workers=workers,
                              force=force, **options)
    if bar is not None:
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
                        store=args.store, force=args.force)
    print(f"ingested {len(result.ingested)} report(s) into {datadir.root}"
          + (f", replaced {len(result.removed)} older version(s)" if result.removed else "")
          + (f", skipped {len(result.skipped)} unchanged" if result.skipped else ""))
    for report in result.ingested:
        for note in report.notes:
            print(f"note: {report.source}: {note}")
    if result.failures:
        print(f"{len(result.failures)} file(s) failed:", file=sys.stderr)
        for failure in result.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0
