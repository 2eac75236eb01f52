"""The search layer against brute force over the corpus (see conftest_search for the fixture)."""
import html
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest_search import *  # noqa: F401,F403  (fixtures)
from conftest_search import ids_where, result_ids
from ingest.report import Jurisdiction, Place, Publisher, Report
from ingest.segment import default_segmenter
from search.document import IndexDoc
from search.engine import IndexNotFound, open_engine
from search.index import SearchIndex
from search.query import Phrase, QueryError, normalise


def escape_phrase(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("“", "\\“").replace("”", "\\”") + '"'


def brute_occurrences(docs, phrase):
    found = []
    for doc in docs:
        start = doc.text.find(phrase)
        while start != -1:
            found.append((doc.report_id, start, start + len(phrase)))
            start = doc.text.find(phrase, start + 1)
    return sorted(found)


@st.composite
def corpus_substrings(draw, docs):
    """Substrings of the normalised texts (the original may hold blanked boilerplate)."""
    doc = draw(st.sampled_from(docs))
    length = draw(st.integers(1, 12))
    start = draw(st.integers(0, len(doc.text) - length))
    return doc.text[start:start + length]


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- exact phrase semantics ----------------------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_phrase_search_equals_brute_force_on_corpus_substrings(index, docs, data):
    phrase = normalise(data.draw(corpus_substrings(docs)))
    expected = ids_where(docs, lambda d: phrase in d.text)
    assert expected  # a substring of the corpus is always found somewhere
    assert result_ids(index, escape_phrase(phrase)) == expected
    assert list(index.engine.phrase_occurrences(phrase)) == brute_occurrences(docs, phrase)


@PROPERTY
@given(data=st.data())
def test_phrase_search_equals_brute_force_on_random_strings(index, docs, data):
    alphabet = sorted(set("".join(d.text for d in docs)) | set("ab0123456789法治xyz“”\\"))
    phrase = normalise(data.draw(st.text(alphabet=alphabet, min_size=1, max_size=4)))
    if not phrase:
        return
    assert result_ids(index, escape_phrase(phrase)) == ids_where(docs, lambda d: phrase in d.text)
    assert list(index.engine.phrase_occurrences(phrase)) == brute_occurrences(docs, phrase)


@pytest.mark.parametrize("phrase", ["6件", "12348", "法", "、", "。\n", "法律明白人", "0", "%", "“放管服”"])
def test_phrase_examples(index, docs, phrase):
    assert result_ids(index, escape_phrase(phrase)) == ids_where(docs, lambda d: phrase in d.text)


def test_phrase_across_a_word_boundary_is_found(index, docs):
    # "政府建" is no word in any segmentation, but it is in the text.
    doc = next(d for d in docs if "政府建" in d.text)
    assert "政府建" not in {t.text for t in doc.tokens}
    assert doc.report_id in result_ids(index, '"政府建"')


def test_overlapping_occurrences_all_count(engine):
    found = list(engine.phrase_occurrences("、"))
    by_report = Counter(report for report, _, _ in found)
    for report, count in by_report.items():
        assert engine.stored(report)["text"].count("、") == count


def test_curly_quoted_query_is_a_phrase(index, docs):
    assert result_ids(index, "“法律明白人”") == ids_where(docs, lambda d: "法律明白人" in d.text)


# --- words -------------------------------------------------------------------------------------

def test_word_search_matches_reports_with_all_words(index, docs):
    parts = default_segmenter().parts

    def has_words(doc, *words):
        terms = {t.text for t in doc.tokens} | {p for t in doc.tokens for p in parts(t.text)}
        return all(w in terms for w in words)

    assert result_ids(index, "法律明白人") == ids_where(docs, lambda d: has_words(d, "法律明白人"))
    assert result_ids(index, "法治 热线") == ids_where(docs, lambda d: has_words(d, "法治", "热线"))
    assert result_ids(index, "政府 复议") == ids_where(docs, lambda d: has_words(d, "政府", "复议"))


def test_word_search_is_ranked(index):
    result = index.search("法律明白人", page_size=None)
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


# --- boolean logic -----------------------------------------------------------------------------

PARTS = ['"法律明白人"', '"12348"', '"6件"', "热线", '"行政复议"', "province:四川省"]


@pytest.mark.parametrize("a", PARTS)
@pytest.mark.parametrize("b", PARTS[:4])
def test_boolean_operators_are_set_algebra(index, a, b):
    everything = set(index.report_ids())
    sa, sb = result_ids(index, a), result_ids(index, b)
    assert result_ids(index, f"{a} AND {b}") == sa & sb
    assert result_ids(index, f"{a} {b}") == sa & sb
    assert result_ids(index, f"{a} OR {b}") == sa | sb
    assert result_ids(index, f"{a} NOT {b}") == sa - sb
    assert result_ids(index, f"{a} -{b}") == sa - sb
    assert result_ids(index, f"NOT {a}") == everything - sa


def test_parentheses_group(index):
    a, b, c = (result_ids(index, q) for q in ('"12348"', '"6件"', "province:四川省"))
    assert result_ids(index, '("12348" OR "6件") province:四川省') == (a | b) & c
    assert result_ids(index, '"12348" OR ("6件" province:四川省)') == a | (b & c)
    assert result_ids(index, '"12348" OR "6件" province:四川省') == a | (b & c)


# --- filters -----------------------------------------------------------------------------------

def test_province_filter_includes_counties_and_townships(index, docs):
    sichuan = result_ids(index, "province:四川省")
    assert {d.level for d in docs if d.report_id in sichuan} == {"county", "township"}
    assert sichuan == ids_where(docs, lambda d: d.province == "四川省")


@pytest.mark.parametrize("query, predicate", [
    ("jurisdiction:四川省", lambda d: d.province == "四川省"),
    ("jurisdiction:通江县", lambda d: d.county == "通江县"),
    ("jurisdiction:洪口镇", lambda d: d.jurisdiction == "洪口镇"),
    ("jurisdiction:51", lambda d: d.province == "四川省"),
    ("jurisdiction:620500000000", lambda d: d.city == "天水市"),
    ("jurisdiction:620500", lambda d: d.city == "天水市"),
    ("county:兴国县", lambda d: d.county == "兴国县"),
    ("city:南阳市", lambda d: d.city == "南阳市"),
    ("level:township", lambda d: d.level == "township"),
    ("level:county", lambda d: d.level == "county"),
    ("year:2024", lambda d: d.year == 2024),
    ("year:2020..2023", lambda d: 2020 <= d.year <= 2023),
    ("year:..2022", lambda d: d.year <= 2022),
    ("publisher:department", lambda d: d.publisher_kind == "department"),
    ("publisher:甘谷县人民政府", lambda d: d.publisher == "甘谷县人民政府"),
])
def test_field_filters(index, docs, query, predicate):
    expected = ids_where(docs, predicate)
    assert expected  # each filter selects something in the corpus
    assert result_ids(index, query) == expected


# --- facets, snippets, sorting, paging ---------------------------------------------------------

@pytest.mark.parametrize("query, predicate", [
    ('"法律明白人"', lambda d: "法律明白人" in d.text),
    ('"行政复议"', lambda d: "行政复议" in d.text),
    ("year:2024", lambda d: d.year == 2024),
])
def test_facets_count_every_matching_report_not_just_the_page(index, docs, query, predicate):
    matching = [d for d in docs if predicate(d)]
    result = index.search(query, page_size=1)
    assert len(result.hits) == 1 and result.total == len(matching)
    for name, attribute in [("province", "province"), ("city", "city"), ("level", "level"),
                            ("year", "year"), ("publisher_kind", "publisher_kind")]:
        expected = Counter(getattr(d, attribute) for d in matching if getattr(d, attribute) not in ("", None))
        assert dict(result.facets[name]) == dict(expected)
        counts = [count for _, count in result.facets[name]]
        assert counts == sorted(counts, reverse=True)


MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def test_snippet_marks_exactly_the_phrase_in_the_original(index, docs):
    phrase = "法律明白人"
    result = index.search(f'"{phrase}"', page_size=None)
    assert result.hits
    by_id = {d.report_id: d for d in docs}
    for hit in result.hits:
        doc = by_id[hit.report_id]
        assert hit.matches == [(s, s + len(phrase)) for s in range(len(doc.text)) if doc.text.startswith(phrase, s)]
        marked = MARK.findall(hit.snippet_html)
        assert marked and all(html.unescape(m) == phrase for m in marked)
        plain = html.unescape(MARK.sub(r"\1", hit.snippet_html)).strip("…")
        assert plain in doc.original


def test_snippet_is_taken_from_the_original_text(index, docs):
    # The corpus writes curly quotes; normalisation makes them straight in the text.
    doc = next(d for d in docs if "“" in d.original)
    assert "“" not in doc.text
    start = doc.original.index("“")
    phrase = doc.text[start - 2:start + 1]
    hit = next(h for h in index.search(escape_phrase(phrase), page_size=None).hits if h.report_id == doc.report_id)
    assert doc.original[start - 2:start + 1] in {html.unescape(m) for m in MARK.findall(hit.snippet_html)}


def test_snippet_escapes_html(engine, tmp_path):
    text = "甲<b>乙</b>&丙"
    engine2 = open_engine(tmp_path / "ix", create=True)
    engine2.add([IndexDoc("r1", "s", "t", text, text)])
    engine2.commit()
    hit = engine2.search(Phrase("乙"), facets=False).hits[0]
    assert hit.snippet_html == "甲&lt;b&gt;<mark>乙</mark>&lt;/b&gt;&amp;丙"
    engine2.close()


def test_sort_by_year_puts_newest_first(index):
    years = [hit.year for hit in index.search('"法治"', sort="year", page_size=None).hits]
    assert years == sorted(years, reverse=True) and len(set(years)) > 1


def test_pages_partition_the_results(index):
    everything = [hit.report_id for hit in index.search('"法治"', page_size=None).hits]
    paged = []
    for page in range(1, 4):
        result = index.search('"法治"', page=page, page_size=2)
        assert result.total == len(everything)
        paged += [hit.report_id for hit in result.hits]
    assert paged == everything


def test_filter_only_query_lists_everything_it_selects(index, docs):
    result = index.search("level:county OR level:township", page_size=2, page=3)
    assert result.total == len(docs) and len(result.hits) == 1


def test_report_ids_and_stored(engine, docs):
    assert engine.report_ids() == sorted(d.report_id for d in docs)
    doc = docs[0]
    stored = engine.stored(doc.report_id)
    assert stored["original"] == doc.original and stored["text"] == doc.text
    assert stored["province"] == doc.province and stored["year"] == doc.year
    with pytest.raises(KeyError):
        engine.stored("no such report")


# --- index lifecycle ---------------------------------------------------------------------------

def test_remove_and_readd(tmp_path, docs):
    engine = open_engine(tmp_path / "ix", create=True)
    engine.add(docs)
    engine.commit()
    target = next(d for d in docs if "12348" in d.text)
    assert engine.remove([target.report_id, "unknown"]) == 1
    engine.commit()
    assert target.report_id not in engine.report_ids()
    assert target.report_id not in {h.report_id for h in engine.search(Phrase("12348"), page_size=None).hits}
    engine.add([target, target])  # adding again replaces, never duplicates
    engine.commit()
    assert engine.report_ids().count(target.report_id) == 1
    engine.close()


def test_open_missing_index_without_create_raises(tmp_path):
    with pytest.raises(IndexNotFound):
        open_engine(tmp_path / "nothing")
    with pytest.raises(ValueError, match="unknown search engine"):
        open_engine(tmp_path, name="nope")


def test_search_index_records_its_engine(datadir):
    assert datadir.settings()["engine"] == "whoosh"


def test_malformed_query_raises_query_error(index):
    with pytest.raises(QueryError):
        index.search('"unclosed')


# --- IndexDoc.from_report ----------------------------------------------------------------------

def test_index_doc_from_report_files_places_by_level():
    text = "洪口镇法治政府建设"
    report = Report(
        source="x.txt", original=text, text=text, year=2023,
        jurisdiction=Jurisdiction("洪口镇", "township", "511921105000", parents=[
            Place("四川省", "510000000000", "province"), Place("巴中市", "511900000000", "city"),
            Place("通江县", "511921000000", "county")]),
        publisher=Publisher("洪口镇人民政府", "government"))
    doc = IndexDoc.from_report(report)
    assert (doc.province, doc.city, doc.county, doc.jurisdiction) == ("四川省", "巴中市", "通江县", "洪口镇")
    assert (doc.province_code, doc.city_code, doc.county_code) == ("510000000000", "511900000000", "511921000000")
    assert (doc.publisher, doc.publisher_kind, doc.year, doc.level) == ("洪口镇人民政府", "government", 2023, "township")
    assert doc.tokens and all(text[t.start:t.end] == t.text for t in doc.tokens)


def test_index_doc_county_and_district_fill_county():
    for level in ("county", "district"):
        report = Report(source="x", original="文本", text="文本",
                        jurisdiction=Jurisdiction("某区", level, "110101000000",
                                                  parents=[Place("北京市", "110000000000", "province")]))
        doc = IndexDoc.from_report(report)
        assert (doc.province, doc.city, doc.county) == ("北京市", "", "某区")


def test_index_doc_reuses_report_tokens():
    from ingest.report import Token

    report = Report(source="x", original="法治政府", text="法治政府", tokens=[Token("法治政府", 0, 4)])
    assert IndexDoc.from_report(report).tokens == [Token("法治政府", 0, 4)]
    assert IndexDoc.from_report(Report(source="x", original="a", text="a")).jurisdiction == ""


def test_index_doc_rejects_texts_of_different_length():
    with pytest.raises(ValueError):
        IndexDoc("r", "s", "t", "abc", "ab")


def test_search_index_open_with_path(tmp_path, reports):
    with SearchIndex.open(tmp_path, create=True) as index:
        assert index.add_reports(reports[:1]) == 1
        assert index.report_ids() == [reports[0].id]


def test_word_search_finds_dictionary_words_inside_longer_words(index, docs):
    # 法律明白人 is one word (a user word); 明白人 is a dictionary word inside it.
    holders = ids_where(docs, lambda d: "法律明白人" in {t.text for t in d.tokens})
    assert holders
    assert holders <= result_ids(index, "明白人")


def test_phrase_search_is_exact_when_every_bigram_posting_is_intersected(engine, docs, monkeypatch):
    # On a five-report corpus the first posting already leaves few candidates; force the path
    # a large index takes, intersecting every bigram before the text check.
    import random

    import search.whoosh_engine

    monkeypatch.setattr(search.whoosh_engine, "VERIFY_DIRECTLY", 0)
    rng = random.Random(0)
    for _ in range(200):
        doc = rng.choice(docs)
        length = rng.randint(2, 12)
        start = rng.randrange(len(doc.text) - length)
        phrase = doc.text[start:start + length]
        found = {h.report_id for h in engine.search(Phrase(phrase), page_size=None, facets=False).hits}
        assert found == ids_where(docs, lambda d: phrase in d.text)
