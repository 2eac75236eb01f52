"""``fzkg serve``: the web service (pages, JSON twins, exports, SPARQL endpoint) on waitress.

On first run the data directory is empty: the embedded corpus is ingested before serving, so
``fzkg serve`` alone gives a working site.
"""
from __future__ import annotations

import os
import sys
import threading

from ingest.datadir import DataDir
from web.cli import CommandError, add_data_option

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the web pages, their JSON twins and the SPARQL endpoint",
        description="Serve the site with waitress. An empty data directory is first filled with the "
                    "embedded corpus. Environment: FZKG_DATA (data directory), FZKG_SPARQL_DEADLINE "
                    "(seconds per SPARQL query, default 30), FZKG_SPARQL_RESULT_CAP (rows per answer, "
                    "default 10000), FZKG_LINKS_GRAPH_MAX_REPORTS (the most reports the links pages build their "
                    "in-memory graph for, default 20000), FZKG_STATISTICS_MAX_REPORTS (the most reports the VoID "
                    "statistics are counted for, default 5000); the options below override the first three.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}; "
                        "0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"request threads (default {DEFAULT_THREADS})")
    parser.add_argument("--sparql-deadline", type=float, default=None, metavar="SECONDS",
                        help="stop a SPARQL query after this long (default $FZKG_SPARQL_DEADLINE or 30)")
    parser.add_argument("--sparql-result-cap", type=int, default=None, metavar="N",
                        help="at most N rows or triples per SPARQL answer (default $FZKG_SPARQL_RESULT_CAP or 10000)")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def ensure_data(datadir: DataDir) -> bool:
    """Ingest the embedded corpus when the data directory holds no report; True if it did."""
    if datadir.registry():
        return False
    from web.commands.ingest import default_corpus, run_ingest

    print(f"no reports in {datadir.root}: ingesting the embedded corpus ({default_corpus()}) first …",
          file=sys.stderr, flush=True)
    result = run_ingest([], datadir, quiet=False)
    if not result.ingested:
        raise CommandError(f"ingesting the embedded corpus into {datadir.root} failed: "
                           + "; ".join(str(failure) for failure in result.failures))
    print(f"ingested {len(result.ingested)} report(s)", file=sys.stderr, flush=True)
    return True


def _positive(name: str, value) -> None:
    if value is not None and value <= 0:
        raise CommandError(f"{name} must be positive")


def run(args) -> int:
    import waitress

    from web.app import create_app

    if not 0 <= args.port <= 65535:
        raise CommandError("--port must be between 0 and 65535")
    _positive("--threads", args.threads)
    _positive("--sparql-deadline", args.sparql_deadline)
    _positive("--sparql-result-cap", args.sparql_result_cap)
    datadir = DataDir.at(args.data)
    ensure_data(datadir)
    app = create_app(datadir.root, deadline=args.sparql_deadline, result_cap=args.sparql_result_cap)
    _warm_up()
    threading.Thread(target=_build_linker, args=(app,), name="fzkg-warm-up", daemon=True).start()
    executor = getattr(app.blueprints.get("sparql"), "executor", None)
    if executor is not None and hasattr(executor, "start"):
        executor.start()  # worker processes up before the first query, not during it
    server = waitress.create_server(app, host=args.host, port=args.port, threads=args.threads,
                                    ident="fzkg")
    host = args.host if ":" not in args.host else f"[{args.host}]"
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else host
    print(f"fzkg serving {os.path.abspath(datadir.root)} at http://{shown}:{server.effective_port}/ "
          "(Ctrl-C stops)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if executor is not None and hasattr(executor, "close"):
            executor.close()
    return 0


def _build_linker(app) -> None:
    """The question linker of the data, built while the server already answers (1–2 s at 100,000
    reports): the first question then finds it ready, or waits for this build, never a second."""
    from web.pages.ask import question_linker

    try:
        question_linker(app.extensions["fzkg"])
    except Exception as error:  # the first question builds it again, and reports what fails
        print(f"fzkg: building the question linker at start-up failed: {error}", file=sys.stderr, flush=True)


def _warm_up() -> None:
    # Loading the word segmenter's dictionary takes about a second; pay it before the first
    # visitor's search does.
    from search.query import parse

    parse("法治政府建设")
