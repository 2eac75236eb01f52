"""``fzkg export``: the whole graph as Turtle, N-Triples, JSON-LD, TriG or N-Quads."""
from __future__ import annotations

import sys

from ingest.datadir import DataDir
from ingest.store import FORMATS
from ingest.stores import has_graph, open_store
from web.cli import CommandError, add_data_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="write the whole graph in an RDF format")
    parser.add_argument("--format", choices=FORMATS, default="turtle",
                        help="turtle/nt: the union graph; trig/nquads/jsonld: with one named graph per report")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    datadir = DataDir.at(args.data)
    if not has_graph(datadir):
        raise CommandError(f"no graph in {datadir.root}: run `fzkg ingest` first")
    with open_store(datadir, read_only=True) as store:
        if args.output:
            store.serialize(args.format, args.output)
        else:
            sys.stdout.buffer.write(store.serialize(args.format))
    return 0
