"""``fzkg extract PATH…``: extract facts without storing anything."""
from __future__ import annotations

import json
import sys

from ingest.batch import expand_paths
from ingest.pipeline import extract_file
from ingest.read import ReadError


def register(subparsers) -> None:
    parser = subparsers.add_parser("extract", help="print the facts extracted from report files (stores nothing)")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--format", choices=("json", "table"), default="json",
                        help="json: one object per report per line (JSON Lines); table: a readable summary")
    parser.set_defaults(handler=run)


def _summary(data: dict) -> str:
    j = data["jurisdiction"] or {}
    lines = [f"{data['source']}",
             f"  title: {data['title']}  year: {data['year']}  published: {data['published']}",
             f"  jurisdiction: {j.get('name')} ({j.get('level')}, {j.get('code')}) "
             + " > ".join(p["name"] for p in j.get("parents", [])),
             f"  publisher: {(data['publisher'] or {}).get('name')}"]
    for key, label in (("laws", "title"), ("documents", "title"), ("programs", "name"), ("initiatives", "name")):
        names = sorted({item[label] for item in data[key]})
        lines.append(f"  {key} ({len(names)}): " + "、".join(names))
    lines.append(f"  figures: {len(data['figures'])}")
    return "\n".join(lines)


def run(args) -> int:
    failed = 0
    for path, _folder in expand_paths(args.paths):
        try:
            data = extract_file(path).to_json()
        except ReadError as error:
            print(f"fzkg extract: {error}", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(data, ensure_ascii=False) if args.format == "json" else _summary(data))
    return 1 if failed else 0
