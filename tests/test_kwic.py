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


# --------------------------------------------------------------------------- first page without counting

from search.engine import open_engine  # noqa: E402
from search.kwic import cached_concordance_counts, concordance_counts  # noqa: E402
from test_search_engine import synthetic_docs  # noqa: E402
from test_tantivy_engine import make_doc  # noqa: E402

PAGES = [(1, 1), (1, 5), (2, 5), (3, 7), (1, 100), (2, 100), (40, 3), (1000, 10)]


def assert_same_page(engine, phrase, filter_ast, page, page_size):
    full = concordance(engine, phrase, width=6, filter_ast=filter_ast, page=page, page_size=page_size)
    lazy = concordance(engine, phrase, width=6, filter_ast=filter_ast, page=page, page_size=page_size,
                       count=False)
    where = (phrase, filter_ast, page, page_size)
    assert lazy.lines == full.lines, where
    assert lazy.more == full.more == (full.total > page * page_size), where
    if lazy.total is None:
        assert lazy.more and lazy.distribution == {}, where
    else:  # the walk reached the end: then the counts came along
        assert (lazy.total, lazy.distribution) == (full.total, full.distribution), where
    assert lazy.reports in (None, full.reports), where
    if engine.counts_phrase_reports_cheaply:
        assert lazy.reports == full.reports, where
    return full


@pytest.mark.parametrize("phrase", ["法治", "法律明白人", "、", "12348", "的"])
@pytest.mark.parametrize("filter_text", [None, "province:四川省", "year:2024", '"枫桥经验"', "NOT year:2020"])
def test_first_pages_without_counting_are_the_counted_ones(engine, phrase, filter_text):
    filter_ast = parse(filter_text) if filter_text else None
    for page, page_size in PAGES:
        assert_same_page(engine, phrase, filter_ast, page, page_size)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, engine_name):
    """Reports whose sources and ids sort differently, sources shared by several reports, one
    report holding a phrase hundreds of times (overlapping), and synthetic texts and metadata."""
    docs = list(synthetic_docs(count=80, seed=11))
    docs += [make_doc("zz-first", "哈哈哈甲哈哈" * 2, year=2020, province="四川省"),
             make_doc("aa-last", "乙哈哈", year=2024, province="甘肃省"),
             make_doc("mm-many", "哈" * 300 + "。法治" * 40, year=2019, province="四川省")]
    docs[-3].source, docs[-2].source, docs[-1].source = "a/0.txt", "zz/9.txt", "s/5/1.txt"
    engine = open_engine(tmp_path_factory.mktemp(f"kwic-{engine_name}"), engine_name, create=True)
    engine.add(docs[:40])
    engine.commit()
    engine.add(docs[40:])
    engine.commit()
    yield engine, docs
    engine.close()


def test_lazy_pages_over_synthetic_reports(synthetic):
    engine, docs = synthetic
    for phrase in ("哈", "哈哈", "哈哈哈", "法治", "、", "12348", "明白人", "件"):
        for filter_text in (None, "province:四川省", "year:2019..2020", "level:county", '"法"'):
            filter_ast = parse(filter_text) if filter_text else None
            for page, page_size in (*PAGES, (2, 150), (3, 150), (1, 299), (2, 299)):
                assert_same_page(engine, phrase, filter_ast, page, page_size)
    # the position order is by source first, so "zz-first" (source a/0.txt) leads
    first = concordance(engine, "哈哈", page_size=3, count=False)
    assert [line.report for line in first.lines] == ["zz-first"] * 3
    assert [(line.start, line.end) for line in first.lines] == [(0, 2), (1, 3), (4, 6)]


def test_phrase_reports_are_in_source_order_and_match_the_occurrences(synthetic):
    engine, docs = synthetic
    by_id = {doc.report_id: doc for doc in docs}
    for phrase in ("哈哈", "法", "明白人", "、"):
        for filter_text in (None, "province:四川省", 'NOT "法治"'):
            filter_ast = parse(filter_text) if filter_text else None
            expected = {report_id for report_id, _, _ in engine.phrase_occurrences(phrase, filter_ast)}
            ids = list(engine.phrase_reports(phrase, filter_ast))
            assert ids == sorted(expected, key=lambda report_id: (by_id[report_id].source, report_id))
            assert engine.phrase_report_count(phrase, filter_ast) == len(expected)
    assert list(engine.phrase_reports("不存在的短语")) == [] and engine.phrase_report_count("不存在的短语") == 0
    assert engine.report_count() == len(docs)


def brute_counts(docs, phrase, keep=lambda doc: True):
    by_id = {doc.report_id: doc for doc in docs}
    found = [(r, s, e) for r, s, e in brute(docs, phrase) if keep(by_id[r])]
    distribution = {}
    for name, attribute in (("by_year", "year"), ("by_province", "province"), ("by_level", "level")):
        counter = Counter(getattr(by_id[r], attribute) for r, _, _ in found)
        counter.pop(None, None)
        counter.pop("", None)
        distribution[name] = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
    return len(found), len({r for r, _, _ in found}), distribution


def test_counts_are_the_brute_force_ones(synthetic):
    engine, docs = synthetic
    for phrase, filter_text, keep in [("哈哈", None, lambda d: True), ("法治", None, lambda d: True),
                                      ("、", "province:四川省", lambda d: d.province == "四川省"),
                                      ("法", "year:2020", lambda d: d.year == 2020),
                                      ("不存在的短语", None, lambda d: True)]:
        counts = concordance_counts(engine, phrase, parse(filter_text) if filter_text else None)
        assert (counts.total, counts.reports, counts.distribution) == brute_counts(docs, phrase, keep), phrase
        full = concordance(engine, phrase, filter_ast=parse(filter_text) if filter_text else None)
        assert (counts.total, counts.reports, counts.distribution) == (full.total, full.reports, full.distribution)


def test_counts_are_remembered_per_version(synthetic, monkeypatch):
    engine, docs = synthetic
    assert cached_concordance_counts(engine, "哈哈", None, "v-test") is None
    first = concordance_counts(engine, "哈哈", version="v-test")
    calls = []
    original = type(engine).phrase_occurrences
    monkeypatch.setattr(type(engine), "phrase_occurrences",
                        lambda self, *args: calls.append(args) or original(self, *args))
    assert concordance_counts(engine, "“哈哈”"[1:-1], version="v-test") is first and not calls
    assert cached_concordance_counts(engine, "哈哈", None, "v-test") is first
    # another version, another filter, or no version at all: counted again
    assert concordance_counts(engine, "哈哈", version="v-other") == first and len(calls) == 1
    concordance_counts(engine, "哈哈", parse("province:四川省"), version="v-test")
    concordance_counts(engine, "哈哈")
    assert len(calls) == 3


class CountingStored:
    """An engine whose stored() calls are counted (everything else passes through)."""

    def __init__(self, engine):
        self._engine = engine
        self.stored_calls = 0

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def stored(self, report_id):
        self.stored_calls += 1
        return self._engine.stored(report_id)


def test_the_first_page_reads_only_the_reports_it_shows(tmp_path, engine_name):
    # every report matches, three times each
    docs = [make_doc(f"r{i:03d}", f"第{i}段，法治政府建设。又一次法治政府建设；再一次法治政府建设。",
                     year=2020 + i % 3, province="四川省") for i in range(60)]
    with open_engine(tmp_path / "ix", engine_name, create=True) as opened:
        opened.add(docs)
        opened.commit()
        engine = CountingStored(opened)
        lazy = concordance(engine, "法治政府建设", page_size=5, count=False)
        assert len(lazy.lines) == 5 and lazy.more and lazy.total is None
        assert engine.stored_calls <= 2  # five lines: the first two reports
        engine.stored_calls = 0
        assert concordance(engine, "法治政府建设", page=3, page_size=5, count=False).lines == \
            concordance(opened, "法治政府建设", page=3, page_size=5).lines
        assert engine.stored_calls <= 5
        engine.stored_calls = 0
        counted = concordance(engine, "法治政府建设", page_size=5)
        # the counted path builds every line before cutting the page: it reads every report
        assert counted.lines == lazy.lines and counted.total == 180 and engine.stored_calls == 60
        counts = concordance_counts(engine, "法治政府建设")
        assert (counts.total, counts.reports) == (180, 60)


def test_other_sorts_and_samples_still_count_everything(engine, docs):
    total = len(brute(docs, "法治"))
    for options in ({"sort": "left"}, {"sort": "year"}, {"sample": 7}, {"page_size": None}):
        result = concordance(engine, "法治", count=False, **options)
        assert result.total == total and result.distribution and result.reports == 5, options
        assert result.lines == concordance(engine, "法治", **options).lines


# --------------------------------------------------------------------------- web: counts fetched later

def test_kwic_page_defers_the_counts_to_a_json_endpoint(corpus_app, corpus_datadir, monkeypatch):
    import web.pages.search as search_page
    from urllib.parse import urlencode

    from search.index import SearchIndex

    client = corpus_app.test_client()
    small = client.get("/kwic?" + urlencode({"q": "法律明白人", "limit": 5})).get_data(as_text=True)
    assert "data-counts-url" not in small and "/static/kwic.js" not in small

    monkeypatch.setattr(search_page, "COUNT_WITH_PAGE_REPORTS", 0)
    url = "/kwic?" + urlencode({"q": "法治", "limit": 5, "province": "四川省", "width": 3})
    twin = json.loads(client.get(url.replace("/kwic?", "/kwic.json?")).get_data(as_text=True))
    assert twin["total"] is None and twin["distribution"] is None and len(twin["lines"]) == 5
    assert twin["pages"] is None and twin["next"] and twin["counts_url"].startswith("/kwic/counts.json?")
    page = client.get(url).get_data(as_text=True)
    assert 'data-counts-url="/kwic/counts.json?' in page and "/static/kwic.js" in page
    assert 'rel="next"' in page and page.count('<td class="hit">') == 5
    assert client.get("/static/kwic.js").status_code == 200

    counts = json.loads(client.get(twin["counts_url"]).get_data(as_text=True))
    with SearchIndex.open(corpus_datadir) as index:
        expected = index.concordance("法治", filter_ast="province:四川省")
    assert (counts["total"], counts["reports"]) == (expected.total, expected.reports)
    assert counts["distribution"] == {name: [[v, c] for v, c in values] for name, values in expected.distribution.items()}
    assert counts["query"] == "法治 [filter: province:四川省]" and counts["data_version"]
    # now remembered: the page shows the numbers itself
    again = client.get(url).get_data(as_text=True)
    assert "data-counts-url" not in again and f"{expected.total}" in again
    assert client.get("/kwic/counts.json?" + urlencode({"q": "法治", "filter": "foo:bar"})).status_code == 400
    assert client.get("/kwic/counts.json?q=").status_code == 400
