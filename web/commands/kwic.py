"""``fzkg kwic PHRASE``: every occurrence of a phrase in context (a concordance)."""
from __future__ import annotations

import argparse

from search.export import FORMATS, Table, provenance, render
from search.kwic import KWIC_SORTS, Concordance, phrase_argument
from search.query import QueryError
from web.cli import CommandError, add_data_option
from web.commands.search import display_width, open_index, write

LINE_COLUMNS = ["report", "source", "start", "end", "left", "hit", "right", "year", "jurisdiction", "province", "level"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kwic", help="concordance: every occurrence of a phrase with its context",
        description="Every occurrence of PHRASE (exact, in the normalised text; overlapping "
                    "occurrences count) with the original text around it.")
    parser.add_argument("phrase", metavar="PHRASE",
                        help="the exact string; one pair of enclosing quotes is dropped")
    parser.add_argument("--width", type=int, default=20, metavar="N", help="characters of context each side")
    parser.add_argument("--sort", choices=KWIC_SORTS, default="position",
                        help="position (default), left (by the reversed left context), right, year, jurisdiction")
    parser.add_argument("--filter", metavar="QUERY", default=None,
                        help="only reports matching this query, e.g. 'province:四川省 year:2020..2024'")
    parser.add_argument("--sample", type=int, default=None, metavar="N", help="a random sample of N lines")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the sample (default 0)")
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="at most N lines, 0 for all (default)")
    parser.add_argument("--format", choices=["table", *FORMATS], default="table")
    add_data_option(parser)
    parser.set_defaults(handler=run)



def run(args: argparse.Namespace) -> int:
    phrase = phrase_argument(args.phrase)
    if not phrase:
        raise CommandError("empty phrase")
    if args.width < 0:
        raise CommandError("--width must not be negative")
    if args.limit < 0:
        raise CommandError("--limit must be 0 (all) or more")
    if args.sample is not None and args.sample < 1:
        raise CommandError("--sample must be at least 1")
    with open_index(args.data) as index:
        try:
            filter_ast = index.parse(args.filter) if args.filter else None
        except QueryError as error:
            raise CommandError(f"--filter: {error}") from None
        result = index.concordance(phrase, width=args.width, sort=args.sort, filter_ast=filter_ast,
                                   sample=args.sample, seed=args.seed, page_size=args.limit or None)
        version = index.data_version()
    if args.format == "table":
        write(_table(result, args.width))
        return 0
    query = phrase if not args.filter else f"{phrase} [filter: {args.filter}]"
    table = Table(columns=LINE_COLUMNS, rows=[line.to_json() for line in result.lines],
                  provenance=provenance(query, version),
                  extra={"phrase": result.phrase, "total": result.total,
                         "distribution": {name: [[value, count] for value, count in values]
                                          for name, values in result.distribution.items()}},
                  rows_key="lines")
    write(render(table, args.format))
    return 0


def _flat(text: str) -> str:
    # Contexts keep their line breaks in the data; on a terminal they would break the columns.
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _table(result: Concordance, width: int) -> str:
    lines = [f"{result.total} occurrence{'s' if result.total != 1 else ''} of {result.phrase}"
             + (f", {len(result.lines)} shown" if len(result.lines) != result.total else "")]
    column = 2 * width
    for line in result.lines:
        left, right = _flat(line.left), _flat(line.right)
        pad = " " * max(0, column - display_width(left))
        lines.append(f"{pad}{left} 【{_flat(line.hit)}】 {right}{' ' * max(0, column - display_width(right))}"
                     f"  {line.year or '----'} {line.jurisdiction or '?'}  {line.source}:{line.start}")
    return "\n".join(lines) + "\n"
