import csv
import io
import json
from datetime import datetime, timezone

import pytest

from search.export import BOM, FORMATS, PROVENANCE, Table, provenance, render

MOMENT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def table(rows=None):
    rows = rows if rows is not None else [
        {"report": "r1", "left": "甲,乙", "hit": '"丙"', "right": "丁\n戊", "year": 2024},
        {"report": "r2", "left": "己\t庚", "hit": "辛", "right": "", "year": None},
    ]
    return Table(columns=["report", "left", "hit", "right", "year"], rows=rows,
                 provenance=provenance("法治 AND \"政府\"", "abc123", now=MOMENT),
                 extra={"total": 2}, rows_key="lines")


def test_registry_has_the_three_formats():
    assert {"csv", "tsv", "json"} <= set(FORMATS)
    with pytest.raises(ValueError, match="unknown format"):
        render(table(), "xlsx")


def test_csv_starts_with_bom_and_round_trips_every_value():
    text = render(table(), "csv")
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM):], newline="")))
    assert [r["left"] for r in rows] == ["甲,乙", "己\t庚"]
    assert [r["hit"] for r in rows] == ['"丙"', "辛"]
    assert [r["right"] for r in rows] == ["丁\n戊", ""]
    assert [r["year"] for r in rows] == ["2024", ""]
    for row in rows:
        assert row["query"] == '法治 AND "政府"'
        assert row["data_version"] == "abc123"
        assert row["exported_at"] == "2025-01-02T03:04:05+00:00"
    assert list(rows[0]) == ["report", "left", "hit", "right", "year", *PROVENANCE]


def test_utf8_sig_decoding_reads_the_header_cleanly():
    # What pandas and Excel do with the BOM: the first column name must not carry it.
    data = render(table(), "csv").encode("utf-8")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[0] == "report"


def test_tsv_has_one_record_per_line_and_no_bom():
    text = render(table(), "tsv")
    assert not text.startswith(BOM)
    lines = text.splitlines()
    assert len(lines) == 3
    records = [line.split("\t") for line in lines]
    assert all(len(record) == 8 for record in records)
    assert records[1][3] == "丁 戊" and records[2][1] == "己 庚"


def test_json_wraps_rows_with_provenance_and_extra_keys():
    document = json.loads(render(table(), "json"))
    assert document["query"] == '法治 AND "政府"'
    assert document["data_version"] == "abc123"
    assert document["exported_at"] == "2025-01-02T03:04:05+00:00"
    assert document["total"] == 2
    assert document["lines"][0] == {"report": "r1", "left": "甲,乙", "hit": '"丙"', "right": "丁\n戊", "year": 2024}
    assert document["lines"][1]["year"] is None


def test_empty_table_is_a_header():
    assert render(table([]), "csv") == BOM + "report,left,hit,right,year,query,data_version,exported_at\r\n"
    assert json.loads(render(table([]), "json"))["lines"] == []


def test_text_that_looks_like_a_formula_is_not_exported_as_one():
    from search.export import Table, render

    table = Table(columns=["left", "count"], rows=[{"left": "=HYPERLINK(\"http://x\")", "count": -3}],
                  provenance={})
    import csv
    import io

    header, row = list(csv.reader(io.StringIO(render(table, "csv").lstrip("\ufeff"))))[:2]
    cells = dict(zip(header, row))
    assert cells["left"] == "'=HYPERLINK(\"http://x\")"
    assert cells["count"] == "-3"  # numbers keep their sign
