"""Output formats for tabular results, one registry shared by the command line and the web.

Every export carries its provenance: the query, the data version (``DataDir.version()``) and the
time of export (UTC, ISO 8601).

``json``
    One object: the provenance keys, then any extra keys of the table (``total``, ``facets`` …),
    then the rows under the table's ``rows_key`` as a list of objects.
``csv``
    UTF-8 with a byte-order mark (without it Excel reads the file in a legacy code page and the
    Chinese is garbled), RFC 4180 quoting, CRLF line ends. The provenance is in three trailing
    columns repeated on every row — ``query``, ``data_version``, ``exported_at``. We chose columns
    over ``# key: value`` comment lines because Excel shows comment lines as data rows and
    ``pandas.read_csv`` needs ``comment="#"`` for them (which also cuts any value containing ``#``);
    with columns a plain ``pandas.read_csv(path)`` reads the file, and rows keep their provenance
    when several exports are concatenated or filtered. Cost: an export with no rows is the header
    alone and carries no provenance (use json when that matters).
``tsv``
    The same columns without the byte-order mark (it is for ``cut``, ``awk`` and the like). Tabs
    and line breaks inside a value become spaces so that one line is one record; csv and json keep
    text exactly.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

PROVENANCE = ("query", "data_version", "exported_at")
BOM = "\ufeff"


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]
    #: the keys of :data:`PROVENANCE`
    provenance: dict[str, Any]
    #: further top-level keys, written by json only (they are not per row)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the key under which json lists the rows
    rows_key: str = "rows"


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    render: Callable[[Table], str]


FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt


def provenance(query: str, data_version: str, now: datetime | None = None) -> dict[str, str]:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {"query": query, "data_version": data_version, "exported_at": moment.isoformat(timespec="seconds")}


def render(table: Table, name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r} (formats: {', '.join(FORMATS)})")
    return FORMATS[name].render(table)


#: A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # a leading apostrophe makes Excel and LibreOffice show the text instead of evaluating it
        return "'" + value
    return str(value)


def _records(table: Table) -> tuple[list[str], list[list[str]]]:
    header = list(table.columns) + [key for key in PROVENANCE if key not in table.columns]
    stamp = [_cell(table.provenance.get(key)) for key in PROVENANCE if key not in table.columns]
    return header, [[_cell(row.get(column)) for column in table.columns] + stamp for row in table.rows]


def _render_csv(table: Table) -> str:
    header, records = _records(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(records)
    return BOM + out.getvalue()


_TSV_BREAKS = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def _render_tsv(table: Table) -> str:
    header, records = _records(table)
    lines = ["\t".join(cell.translate(_TSV_BREAKS) for cell in record) for record in [header, *records]]
    return "\n".join(lines) + "\n"


def _render_json(table: Table) -> str:
    document = {key: table.provenance.get(key) for key in PROVENANCE}
    document.update(table.extra)
    document[table.rows_key] = [{column: row.get(column) for column in table.columns} for row in table.rows]
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


register_format(Format("csv", "text/csv; charset=utf-8", "csv", _render_csv))
register_format(Format("tsv", "text/tab-separated-values; charset=utf-8", "tsv", _render_tsv))
register_format(Format("json", "application/json", "json", _render_json))
