"""A folder's ``manifest.tsv``: where each file came from, and values that fill gaps the text leaves.

Columns: ``file`` (name in the folder), ``origin``, ``notes``, then optional ``title``, ``year``,
``published``. Extraction always runs first; a manifest value is used only where extraction found
nothing, and the report notes that it was.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ingest.report import Report

MANIFEST_NAME = "manifest.tsv"
GAP_FIELDS = ("title", "year", "published")


class ManifestError(ValueError):
    pass


@dataclass
class ManifestEntry:
    file: str
    origin: str = ""
    notes: str = ""
    gaps: dict[str, str] = field(default_factory=dict)


def read_manifest(folder: Path) -> dict[str, ManifestEntry]:
    """Entries by file name; an absent manifest is an empty one."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    entries = {}
    for number, row in enumerate(csv.DictReader(lines, delimiter="\t"), 2):
        if not row.get("file"):
            raise ManifestError(f"{path}: row {number} has no file name")
        entries[row["file"]] = ManifestEntry(
            file=row["file"], origin=row.get("origin") or "", notes=row.get("notes") or "",
            gaps={k: row[k] for k in GAP_FIELDS if row.get(k)})
    return entries


def fill_gaps(report: Report, entry: ManifestEntry) -> Report:
    for name, value in entry.gaps.items():
        if getattr(report, name) is None:
            setattr(report, name, int(value) if name == "year" else value)
            report.notes.append(f"{name} taken from the manifest")
    return report
