"""``fzkg search QUERY``: full-text search of the ingested reports."""
from __future__ import annotations

import argparse
import sys
import unicodedata

from ingest.datadir import DataDir
from search.engine import FACETS, SORTS, IndexNotFound, SearchResult
from search.export import FORMATS, Table, provenance, render
from search.highlight import snippet_text
from search.index import SearchIndex
from search.query import QueryError, explain
from web.cli import CommandError, add_data_option

SYNTAX = """query syntax:
  法治政府            words (segmented; all must occur; ranked)
  "法治政府建设"       exact phrase in the normalised text (“…” works too)
  a b, a AND b, a OR b, NOT a, -a, ( … )
  province:甘肃省 city:天水市 county:甘谷县 jurisdiction:甘谷县 (or a division code)
  level:county publisher:government year:2024 year:2020..2024"""

HIT_COLUMNS = ["report", "source", "title", "jurisdiction", "code", "year", "snippet"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "search", help="search the reports (words, exact phrases, filters)",
        description="Search the ingested reports. Snippets are HTML with <mark> in json, and "
                    "use 【】 around matches in table, csv and tsv.",
        epilog=SYNTAX, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("query", metavar="QUERY")
    parser.add_argument("--facets", action="store_true",
                        help="also count matches by " + ", ".join(FACETS) + " (always in json)")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="hits per page, 0 for all (default 20)")
    parser.add_argument("--page", type=int, default=1, metavar="P", help="page number, from 1")
    parser.add_argument("--sort", choices=SORTS, default="relevance", help="relevance (default) or year, newest first")
    parser.add_argument("--format", choices=["table", *FORMATS], default="table")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def open_index(data: str | None) -> SearchIndex:
    datadir = DataDir.at(data)
    if not datadir.root.is_dir():
        raise CommandError(f"no data directory at {datadir.root} (run fzkg ingest, or give --data)")
    try:
        return SearchIndex.open(datadir)
    except IndexNotFound:
        raise CommandError(f"no search index in {datadir.root} (run fzkg ingest first)") from None


def write(text: str) -> None:
    """Write UTF-8 whatever the terminal's locale (a CSV's byte-order mark included)."""
    stream = sys.stdout
    stream.flush()
    if hasattr(stream, "buffer"):
        stream.buffer.write(text.encode("utf-8"))
        stream.buffer.flush()
    else:
        stream.write(text)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def run(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise CommandError("--limit must be 0 (all) or more")
    if args.page < 1:
        raise CommandError("--page counts from 1")
    try:
        node = SearchIndex.parse(args.query)
    except QueryError as error:
        raise CommandError(str(error)) from None
    with open_index(args.data) as index:
        result = index.search(node, sort=args.sort, page=1 if args.limit == 0 else args.page,
                              page_size=None if args.limit == 0 else args.limit,
                              facets=args.facets or args.format == "json")
        version = index.data_version()
    parsed = explain(node)
    if args.format == "table":
        write(_table(args.query, parsed, result, args.facets))
        return 0
    html = args.format == "json"
    rows = [{"report": hit.report_id, "source": hit.source, "title": hit.title, "jurisdiction": hit.jurisdiction,
             "code": hit.code, "year": hit.year,
             "snippet": hit.snippet_html if html else one_line(snippet_text(hit.snippet_html))}
            for hit in result.hits]
    table = Table(columns=HIT_COLUMNS, rows=rows, provenance=provenance(args.query, version),
                  extra={"parsed": parsed, "total": result.total,
                         "facets": {name: [[value, count] for value, count in values]
                                    for name, values in result.facets.items()}},
                  rows_key="hits")
    write(render(table, args.format))
    return 0


def _table(query: str, parsed: str, result: SearchResult, facets: bool) -> str:
    lines = [f"{result.total} report{'s' if result.total != 1 else ''} match {parsed}"]
    offset = (result.page - 1) * (result.page_size or 0)
    for number, hit in enumerate(result.hits, start=offset + 1):
        place = hit.jurisdiction or "?"
        lines.append(f"{number:>3}. {hit.year or '----'}  {place}  {hit.title or '(no title)'}")
        lines.append(f"     {hit.source}  [{hit.report_id}]")
        lines.append(f"     {one_line(snippet_text(hit.snippet_html))}")
    shown = len(result.hits)
    if result.total > offset + shown:
        lines.append(f"… {result.total - offset - shown} more (use --page or --limit 0)")
    if facets:
        for name, values in result.facets.items():
            counts = "  ".join(f"{value} {count}" for value, count in values) or "-"
            lines.append(f"{name}: {counts}")
    return "\n".join(lines) + "\n"
