"""``fzkg stats``: what the data directory holds."""
from __future__ import annotations

import json
from collections import Counter

from ingest.datadir import DataDir
from ingest.stores import open_store
from web.cli import CommandError, add_data_option



def register(subparsers) -> None:
    parser = subparsers.add_parser("stats", help="counts of reports, jurisdictions, facts and triples")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def collect(datadir: DataDir) -> dict:
    registry = datadir.registry()
    with open_store(datadir, read_only=True) as store:
        kinds = {}
        for name, cls in (("law mentions", "fz:LawMention"), ("document mentions", "fz:DocumentMention"),
                          ("program mentions", "fz:ProgramMention"), ("initiative mentions", "fz:InitiativeMention"),
                          ("figures", "qb:Observation")):
            row = next(iter(store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {cls} }}")))
            kinds[name] = int(row[0])
        triples = len(store)
    return {
        "data": str(datadir.root), "version": datadir.version(), "reports": len(registry),
        "jurisdictions": len({m["code"] for m in registry.values() if m.get("code")}),
        "years": dict(sorted(Counter(str(m["year"]) for m in registry.values()).items())),
        **kinds, "triples": triples,
    }


def run(args) -> int:
    datadir = DataDir.at(args.data)
    if not datadir.exists():
        raise CommandError(f"no data in {datadir.root}: run `fzkg ingest` first")
    stats = collect(datadir)
    if args.format == "json":
        print(json.dumps(stats, ensure_ascii=False, indent=1))
    else:
        for key, value in stats.items():
            print(f"{key:>20}: {value}")
    return 0
