"""``fzkg remove REPORT…``: remove reports (by id or by the path they were ingested from)."""
from __future__ import annotations

from ingest.batch import remove_reports
from ingest.datadir import DataDir
from web.cli import CommandError, add_data_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("remove", help="remove reports from the graph and the index")
    parser.add_argument("reports", nargs="+", metavar="REPORT", help="report id or source path as ingested")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from search.index import SearchIndex
    from search.summaries import kept_in_step

    datadir = DataDir.at(args.data)
    registry = datadir.registry()
    by_source = {meta["source"]: rid for rid, meta in registry.items()}
    ids = []
    for given in args.reports:
        rid = given if given in registry else by_source.get(given)
        if rid is None:
            raise CommandError(f"no stored report with id or source {given!r}")
        ids.append(rid)
    with SearchIndex.open(datadir) as index, kept_in_step(datadir) as summaries:
        removed = remove_reports(ids, datadir, sinks=[index, *summaries])
    print(f"removed {len(removed)} report(s)")
    return 0
