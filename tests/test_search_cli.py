import csv
import io
import json

import pytest

from conftest_search import *  # noqa: F401,F403  (fixtures)
from conftest_search import CORPUS, ids_where
from ingest.datadir import DataDir
from web.cli import main


def run_json(datadir, capsys, *args):
    assert main(["search", *args, "--format", "json", "--data", str(datadir.root)]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_shape(datadir, docs, capsys):
    out = run_json(datadir, capsys, '"法律明白人" province:四川省')
    assert {"query", "parsed", "total", "hits", "facets"} <= set(out)
    assert out["query"] == '"法律明白人" province:四川省'
    assert out["parsed"] == '"法律明白人" AND province:四川省'
    expected = ids_where(docs, lambda d: "法律明白人" in d.text and d.province == "四川省")
    assert out["total"] == len(expected) and {h["report"] for h in out["hits"]} == expected
    by_id = {d.report_id: d for d in docs}
    for hit in out["hits"]:
        assert set(hit) == {"report", "source", "title", "jurisdiction", "code", "year", "snippet"}
        doc = by_id[hit["report"]]
        assert (hit["source"], hit["year"], hit["jurisdiction"]) == (doc.source, doc.year, doc.jurisdiction)
        assert "<mark>法律明白人</mark>" in hit["snippet"]
    assert dict(map(tuple, out["facets"]["province"])) == {"四川省": len(expected)}


def test_limit_zero_returns_all_hits_and_limit_pages(datadir, docs, capsys):
    everything = run_json(datadir, capsys, '"法治"', "--limit", "0")
    assert everything["total"] == len(docs) == len(everything["hits"])
    one = run_json(datadir, capsys, '"法治"', "--limit", "2", "--page", "2")
    assert one["total"] == len(docs)
    assert [h["report"] for h in one["hits"]] == [h["report"] for h in everything["hits"]][2:4]


def test_sort_by_year(datadir, capsys):
    years = [h["year"] for h in run_json(datadir, capsys, '"法治"', "--sort", "year", "--limit", "0")["hits"]]
    assert years == sorted(years, reverse=True)


@pytest.mark.parametrize("query", ['"unclosed', "(a OR b", "a AND", "foo:bar", "year:2024..2020", "", "()"])
def test_malformed_query_prints_one_line_and_exits_2(datadir, capsys, query):
    assert main(["search", query, "--data", str(datadir.root)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("fzkg search: ") and captured.err.count("\n") == 1
    assert "character" in captured.err and "Traceback" not in captured.err


def test_missing_data_directory_is_one_line(tmp_path, capsys):
    assert main(["search", "法治", "--data", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no data directory" in err
    assert main(["search", "法治", "--data", str(tmp_path)]) == 2
    assert "no search index" in capsys.readouterr().err


def test_csv_output_starts_with_bom_and_has_plain_snippets(datadir, docs, capsysbinary):
    assert main(["search", '"12348"', "--format", "csv", "--limit", "0", "--data", str(datadir.root)]) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {r["report"] for r in rows} == ids_where(docs, lambda d: "12348" in d.text)
    assert all("【12348】" in r["snippet"] and "<mark>" not in r["snippet"] for r in rows)
    assert all(r["query"] == '"12348"' and r["data_version"] == rows[0]["data_version"] != "" for r in rows)


def test_table_output_with_facets(datadir, capsysbinary):
    assert main(["search", "热线", "--facets", "--data", str(datadir.root)]) == 0
    text = capsysbinary.readouterr().out.decode("utf-8")
    assert "【热线】" in text
    assert any(line.startswith("province: ") for line in text.splitlines())
    assert any(line.startswith("year: ") for line in text.splitlines())


def test_bad_limit_is_one_line(datadir, capsys):
    assert main(["search", "法治", "--limit", "-1", "--data", str(datadir.root)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_ingest_with_an_engine_then_search_and_kwic(tmp_path, engine_name, docs, capsys):
    data = tmp_path / "data"
    assert main(["ingest", "--quiet", "--engine", engine_name, "--data", str(data), str(CORPUS)]) == 0
    capsys.readouterr()
    assert DataDir.at(data).settings()["engine"] == engine_name
    out = run_json(DataDir.at(data), capsys, '"12348"', "--limit", "0")
    assert out["total"] == len(out["hits"]) == len(ids_where(docs, lambda d: "12348" in d.text)) > 0
    assert all("<mark>12348</mark>" in hit["snippet"] for hit in out["hits"])
    assert main(["kwic", "法律明白人", "--format", "json", "--data", str(data)]) == 0
    kwic = json.loads(capsys.readouterr().out)
    assert kwic["total"] == sum(d.text.count("法律明白人") for d in docs) == len(kwic["lines"]) > 0
    # A directory keeps the engine it was built with.
    other = "tantivy" if engine_name == "whoosh" else "whoosh"
    assert main(["ingest", "--quiet", "--engine", other, "--data", str(data), str(CORPUS)]) == 2
    assert "was built with engine" in capsys.readouterr().err
