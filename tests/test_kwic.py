import json
from collections import Counter

import pytest

from conftest_search import *  # noqa: F401,F403  (fixtures)
from search.kwic import concordance
from search.query import parse
from web.cli import main


def brute(docs, phrase):
    return sorted((d.report_id, s, s + len(phrase)) for d in docs
                  for s in range(len(d.text)) if d.text.startswith(phrase, s))


def test_lines_slice_the_original_text_exactly(engine, docs):
    by_id = {d.report_id: d for d in docs}
    result = concordance(engine, "法律明白人", width=7)
    assert result.total == len(brute(docs, "法律明白人")) == len(result.lines) > 3
    for line in result.lines:
        original = by_id[line.report].original
        assert original[line.start:line.end] == line.hit
        assert original[max(0, line.start - 7):line.start] == line.left
        assert original[line.end:line.end + 7] == line.right
        assert line.source == by_id[line.report].source


def test_hit_is_the_original_spelling_when_normalisation_changed_it(engine, docs):
    # Curly quotes are straight in the normalised text; the line shows what was published.
    result = concordance(engine, "“12348”")
    assert result.lines
    assert all(line.hit == "“12348”" for line in result.lines)


def test_every_occurrence_counts_including_overlapping(engine, docs):
    assert sorted((l.report, l.start, l.end) for l in concordance(engine, "、").lines) == brute(docs, "、")
    assert concordance(engine, "、").total == len(brute(docs, "、"))


def test_sort_orders(engine):
    def lines(sort):
        return concordance(engine, "法治", width=6, sort=sort).lines

    left = lines("left")
    assert [l.left[::-1] for l in left] == sorted(l.left[::-1] for l in left)
    right = lines("right")
    assert [l.right for l in right] == sorted(l.right for l in right)
    position = lines("position")
    assert [(l.source, l.start) for l in position] == sorted((l.source, l.start) for l in position)
    years = [l.year for l in lines("year")]
    assert years == sorted(years) and len(set(years)) > 1
    places = [(l.province, l.jurisdiction) for l in lines("jurisdiction")]
    assert places == sorted(places)
    assert Counter(map(tuple, (vars(l).values() for l in left))) == Counter(
        map(tuple, (vars(l).values() for l in position)))


def test_unknown_sort_is_rejected(engine):
    with pytest.raises(ValueError, match="unknown sort"):
        concordance(engine, "法治", sort="alphabetical")


def test_sample_is_reproducible_and_depends_on_the_seed(engine):
    total = concordance(engine, "法治").total
    assert total > 50
    first = concordance(engine, "法治", sample=10, seed=7)
    again = concordance(engine, "法治", sample=10, seed=7)
    other = concordance(engine, "法治", sample=10, seed=8)
    assert first.lines == again.lines and len(first.lines) == 10
    assert first.lines != other.lines
    assert first.total == total  # total counts every occurrence, not the sample
    population = {(l.report, l.start) for l in concordance(engine, "法治").lines}
    assert {(l.report, l.start) for l in first.lines} <= population


def test_sample_larger_than_the_population_returns_everything(engine):
    full = concordance(engine, "法律明白人")
    assert concordance(engine, "法律明白人", sample=10_000).lines == full.lines


def test_filter_and_distribution(engine, docs):
    in_sichuan = {d.report_id for d in docs if d.province == "四川省"}
    result = concordance(engine, "法治", filter_ast=parse("province:四川省"))
    assert result.lines and {l.report for l in result.lines} <= in_sichuan
    assert result.total == sum(1 for r, _, _ in brute(docs, "法治") if r in in_sichuan)
    everything = concordance(engine, "法治", page_size=3)
    assert len(everything.lines) == 3
    by_id = {d.report_id: d for d in docs}
    expected = Counter(by_id[r].year for r, _, _ in brute(docs, "法治"))
    assert dict(everything.distribution["by_year"]) == dict(expected)
    assert sum(c for _, c in everything.distribution["by_province"]) == everything.total


def test_cli_kwic_json(datadir, docs, capsys):
    assert main(["kwic", "法律明白人", "--width", "5", "--format", "json", "--data", str(datadir.root)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["phrase"] == "法律明白人"
    assert out["total"] == len(out["lines"]) == len(brute(docs, "法律明白人"))
    by_id = {d.report_id: d for d in docs}
    for line in out["lines"]:
        assert {"report", "source", "start", "end", "left", "hit", "right"} <= set(line)
        assert by_id[line["report"]].original[line["start"]:line["end"]] == line["hit"]
    assert out["query"] == "法律明白人" and out["data_version"] == datadir.version() and out["exported_at"]


def test_cli_kwic_strips_enclosing_quotes_and_samples(datadir, capsys):
    args = ["kwic", "“法治”", "--sample", "5", "--seed", "3", "--format", "json", "--data", str(datadir.root)]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["phrase"] == "法治" and len(first["lines"]) == 5
    assert first["lines"] == second["lines"]


def test_cli_kwic_table_and_csv(datadir, docs, capsysbinary):
    assert main(["kwic", "12348", "--data", str(datadir.root)]) == 0
    table = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    count = len(brute(docs, "12348"))
    assert table[0] == f"{count} occurrences of 12348"
    assert len(table) == 1 + count and all("【12348】" in line for line in table[1:])
    assert main(["kwic", "12348", "--format", "csv", "--data", str(datadir.root)]) == 0
    assert capsysbinary.readouterr().out.startswith(b"\xef\xbb\xbf")


def test_cli_kwic_bad_filter_is_one_line(datadir, capsys):
    assert main(["kwic", "法治", "--filter", "foo:bar", "--data", str(datadir.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown field" in err and "Traceback" not in err
