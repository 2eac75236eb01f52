"""``fzkg sparql QUERY|FILE``: run a SPARQL query on the stored graph and print the results."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from ingest.datadir import DataDir
from ingest.stores import has_graph, open_store
from web.cli import CommandError, add_data_option

TABULAR = ("table", "csv", "tsv", "json", "xml")
GRAPH = ("turtle", "nt", "jsonld", "xml")


def register(subparsers) -> None:
    parser = subparsers.add_parser("sparql", help="run a SPARQL query (text or a .rq file) on the graph")
    parser.add_argument("query", metavar="QUERY|FILE")
    parser.add_argument("--format", default="table", choices=sorted(set(TABULAR + GRAPH)),
                        help="SELECT/ASK: table, csv, tsv, json, xml; CONSTRUCT/DESCRIBE: turtle, nt, jsonld, xml")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def _term_text(term) -> str:
    return "" if term is None else str(term)


def _tsv(result) -> str:
    # SPARQL 1.1 TSV: header of ?variables, terms in N-Triples syntax
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    for row in result:
        lines.append("\t".join("" if term is None else term.n3() for term in row))
    return "\n".join(lines) + "\n"


def _table(result) -> str:
    header = [str(v) for v in result.vars]
    rows = [[_term_text(term) for term in row] for row in result]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    out = io.StringIO()
    out.write("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip() + "\n")
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


def render(result, fmt: str) -> str:
    """Text of a query result in ``fmt``; raises CommandError when the format does not fit the query form."""
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        if fmt not in GRAPH:
            raise CommandError(f"a {result.type} query returns a graph: use --format turtle, nt, jsonld or xml")
        return result.graph.serialize(format={"xml": "pretty-xml"}.get(fmt, fmt))
    if result.type == "ASK":
        return {"json": '{"head": {}, "boolean": %s}\n' % str(result.askAnswer).lower()}.get(fmt, f"{result.askAnswer}\n".lower())
    if fmt not in TABULAR:
        raise CommandError("a SELECT query returns a table: use --format table, csv, tsv, json or xml")
    if fmt == "table":
        return _table(result)
    if fmt == "tsv":
        return _tsv(result)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([str(v) for v in result.vars])
        for row in result:
            writer.writerow([_term_text(term) for term in row])
        return out.getvalue()
    return result.serialize(format=fmt).decode("utf-8")


def read_query(argument: str) -> str:
    path = Path(argument)
    if len(argument) < 255 and path.suffix in (".rq", ".sparql", ".txt") and path.is_file():
        return path.read_text(encoding="utf-8")
    return argument


def run(args) -> int:
    datadir = DataDir.at(args.data)
    if not has_graph(datadir):
        raise CommandError(f"no graph in {datadir.root}: run `fzkg ingest` first")
    query = read_query(args.query)
    with open_store(datadir, read_only=True) as store:
        try:
            result = store.query(query)
            text = render(result, args.format)
        except (SyntaxError, ValueError) as error:
            raise CommandError(f"query error: {error}") from None
    sys.stdout.write(text)
    return 0
