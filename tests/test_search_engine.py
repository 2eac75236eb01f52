"""The search layer against brute force over the corpus (see conftest_search for the fixture)."""
import html
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest_search import *  # noqa: F401,F403  (fixtures)
from conftest_search import Docs, ids_where, new_datadir, result_ids
from ingest.report import Jurisdiction, Place, Publisher, Report
from ingest.segment import default_segmenter
from search.document import IndexDoc
from search.engine import IndexNotFound, open_engine
from search.index import SearchIndex
from search.query import And, Field, Not, Or, Phrase, QueryError, Word, YearRange, filter_matches, normalise


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


def test_snippet_escapes_html(engine_name, tmp_path):
    text = "甲<b>乙</b>&丙"
    engine2 = open_engine(tmp_path / "ix", engine_name, create=True)
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

def test_remove_and_readd(tmp_path, docs, engine_name):
    engine = open_engine(tmp_path / "ix", engine_name, create=True)
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


def test_open_missing_index_without_create_raises(tmp_path, engine_name):
    with pytest.raises(IndexNotFound):
        open_engine(tmp_path / "nothing", engine_name)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFound):
        open_engine(tmp_path / "empty", engine_name)
    with pytest.raises(ValueError, match="unknown search engine"):
        open_engine(tmp_path, name="nope")


def test_search_index_records_its_engine(datadir, engine_name):
    assert datadir.settings()["engine"] == engine_name


def test_search_index_records_the_default_engine_in_a_new_directory(tmp_path):
    with SearchIndex.open(tmp_path, create=True):
        pass
    from ingest.datadir import DataDir
    assert DataDir.at(tmp_path).settings()["engine"] == "whoosh"


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


def test_search_index_open_with_path(tmp_path, reports, engine_name):
    new_datadir(tmp_path, engine_name)
    with SearchIndex.open(tmp_path, create=True) as index:
        assert index.engine.name == engine_name
        assert index.add_reports(reports[:1]) == 1
        assert index.report_ids() == [reports[0].id]


def test_word_search_finds_dictionary_words_inside_longer_words(index, docs):
    # 法律明白人 is one word (a user word); 明白人 is a dictionary word inside it.
    holders = ids_where(docs, lambda d: "法律明白人" in {t.text for t in d.tokens})
    assert holders
    assert holders <= result_ids(index, "明白人")


def test_phrase_search_is_exact_when_every_bigram_posting_is_intersected(engine, docs, monkeypatch):
    # On a five-report corpus the first posting already leaves few candidates; force the path
    # a large index takes in the Whoosh engine, intersecting every bigram before the text check.
    import random

    if engine.name == "whoosh":
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


# --- every engine against a brute-force evaluation, on synthetic reports ---------------------------

#: Places as (province, city, county, jurisdiction, level, code, province/city/county codes); the
#: names include full-width forms that normalisation changes and a province-level report.
SYNTHETIC_PLACES = [
    ("四川省", "巴中市", "通江县", "洪口镇", "township", "511921107000", "510000", "511900", "511921"),
    ("四川省", "达州市", "宣汉县", "宣汉县", "county", "511722", "510000", "511700", ""),
    ("甘肃省", "天水市", "甘谷县", "甘谷县", "county", "620523000000", "620000000000", "620500000000", ""),
    ("甘肃省", "", "", "甘肃省", "province", "620000", "", "", ""),
    ("某（试点）省", "某市", "某区", "某区", "district", "990102", "990000", "990100", ""),
    ("", "", "", "", "", "", "", "", ""),
]
SYNTHETIC_PUBLISHERS = [("某（试点）局", "department"), ("甘谷县人民政府", "government"), ("", ""),
                        ("中共某县委", "party")]
SYNTHETIC_ALPHABET = "法治政府建设 12348、。\n哈甲乙6件明白人"


def synthetic_docs(count=60, seed=5):
    import random

    rng = random.Random(seed)
    segmenter = default_segmenter()
    docs = []
    for i in range(count):
        size = 0 if i == 0 else rng.randint(1, 40)
        text = "".join(rng.choice(SYNTHETIC_ALPHABET) for _ in range(size))
        if i % 17 == 3:
            text += "\x00法\x00"  # a character tantivy's pre-cut tokens use as separator
        province, city, county, jurisdiction, level, code, province_code, city_code, county_code = \
            rng.choice(SYNTHETIC_PLACES)
        publisher, kind = rng.choice(SYNTHETIC_PUBLISHERS)
        docs.append(IndexDoc(
            report_id=f"r{i:03d}", source=f"s/{rng.randint(0, 9)}/{i % 7}.txt", title=f"t{i}",
            original=text, text=normalise(text), tokens=segmenter.tokens(normalise(text)),
            jurisdiction=jurisdiction, code=code, level=level, province=province, city=city, county=county,
            province_code=province_code, city_code=city_code, county_code=county_code,
            publisher=publisher, publisher_kind=kind, year=rng.choice([2019, 2020, 2020, 2024, None])))
    return Docs(docs)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, engine_name):
    docs = synthetic_docs()
    engine = open_engine(tmp_path_factory.mktemp(f"synthetic-{engine_name}"), engine_name, create=True)
    engine.add(docs[:25])
    engine.commit()
    engine.add(docs[25:])
    engine.commit()
    yield engine, docs
    engine.close()


def brute_matches(node, doc, words):
    if isinstance(node, Phrase):
        return node.text in doc.text
    if isinstance(node, Word):
        return all(term in words for term in node.terms)
    if isinstance(node, Not):
        return not brute_matches(node.item, doc, words)
    if isinstance(node, And):
        return all(brute_matches(item, doc, words) for item in node.items)
    if isinstance(node, Or):
        return any(brute_matches(item, doc, words) for item in node.items)
    return filter_matches(node, doc.metadata())


def doc_words(doc):
    parts = default_segmenter().parts
    return {t.text for t in doc.tokens} | {p for t in doc.tokens for p in parts(t.text)}


FILTER_VALUES = {
    "province": ["四川省", "甘肃省", "某(试点)省", "某（试点）省", "天水市"],
    "city": ["巴中市", "天水市", "某市", "甘肃省"],
    "county": ["通江县", "甘谷县", "某区", "宣汉县"],
    "level": ["county", "township", "province", "district", "city"],
    "publisher": ["department", "government", "party", "other", "某(试点)局", "甘谷县人民政府", "中共某县委"],
    "jurisdiction": ["四川省", "通江县", "洪口镇", "甘肃省", "某(试点)省", "某区", "51", "5119", "511921",
                     "511921107", "620500000000", "620000", "62", "99", "990102", "0", "9", "5", "5117", "51192",
                     "5119211", "6205230", "000000"],
}

filters = st.one_of(
    st.sampled_from([(name, value) for name, values in FILTER_VALUES.items() for value in values])
    .map(lambda pair: Field(*pair)),
    st.tuples(st.one_of(st.none(), st.integers(2018, 2025)), st.one_of(st.none(), st.integers(2018, 2025)))
    .map(lambda pair: YearRange(*pair)))
text_leaves = st.one_of(
    st.text(alphabet=SYNTHETIC_ALPHABET + "\x00", min_size=1, max_size=4).map(Phrase),
    st.sampled_from(["法治", "政府", "建设", "明白人", "12348", "哈", "6件"]).map(
        lambda word: Word(word, tuple(default_segmenter().words(word)) or (word,))))
query_trees = st.recursive(
    st.one_of(filters, text_leaves),
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items)))),
    max_leaves=6)


@PROPERTY
@given(node=query_trees)
def test_any_query_matches_what_brute_force_evaluation_matches(synthetic, node):
    engine, docs = synthetic
    expected = {d.report_id for d in docs if brute_matches(node, d, doc_words(d))}
    result = engine.search(node, page_size=None)
    assert result.total == len(result.hits)
    assert {hit.report_id for hit in result.hits} == expected
    matching = [d for d in docs if d.report_id in expected]
    for name in ("province", "city", "level", "year", "publisher_kind"):
        counts = Counter(getattr(d, name) for d in matching if getattr(d, name) not in ("", None))
        assert dict(result.facets[name]) == dict(counts)


def test_every_filter_selects_what_filter_matches_selects(synthetic):
    engine, docs = synthetic
    nodes = [Field(name, value) for name, values in FILTER_VALUES.items() for value in values]
    nodes += [YearRange(start, end) for start in (None, 2019, 2020, 2021) for end in (None, 2020, 2024)]
    for node in nodes:
        expected = {d.report_id for d in docs if filter_matches(node, d.metadata())}
        assert {h.report_id for h in engine.search(node, page_size=None).hits} == expected, node


@PROPERTY
@given(phrase=st.text(alphabet=SYNTHETIC_ALPHABET + "\x00", min_size=1, max_size=5), node=filters)
def test_phrase_occurrences_with_a_filter_equal_brute_force(synthetic, phrase, node):
    engine, docs = synthetic
    selected = [d for d in docs if filter_matches(node, d.metadata())]
    assert list(engine.phrase_occurrences(phrase, node)) == brute_occurrences(selected, phrase)


def year_order(doc):
    return (doc.year is None, -(doc.year or 0), doc.source, doc.report_id)


@pytest.mark.parametrize("query", ['"法"', "level:county OR level:township OR publisher:party", "NOT \"甲\""])
@pytest.mark.parametrize("page_size", [1, 4, 7])
def test_year_sort_pages_newest_first_then_by_source(synthetic, query, page_size):
    engine, docs = synthetic
    node = SearchIndex.parse(query)
    expected = sorted((d for d in docs if brute_matches(node, d, doc_words(d))), key=year_order)
    assert any(d.year is None for d in expected) and len({d.year for d in expected}) > 2
    paged = []
    for page in range(1, len(expected) // page_size + 3):
        result = engine.search(node, sort="year", page=page, page_size=page_size, facets=page % 2 == 0)
        assert result.total == len(expected)
        paged += [hit.report_id for hit in result.hits]
    assert paged == [d.report_id for d in expected]
    assert [h.report_id for h in engine.search(node, sort="year", page_size=None).hits] == paged


def test_relevance_sort_puts_reports_without_a_positive_term_last_in_source_order(synthetic):
    engine, docs = synthetic
    node = SearchIndex.parse('"哈哈" OR publisher:party')
    scored = {d.report_id for d in docs if "哈哈" in d.text}
    rest = sorted((d for d in docs if d.report_id not in scored and d.publisher_kind == "party"),
                  key=lambda d: (d.source, d.report_id))
    assert scored and rest
    hits = engine.search(node, page_size=None).hits
    assert {h.report_id for h in hits[:len(scored)]} == scored
    assert all(h.score > 0 for h in hits[:len(scored)])
    assert [h.report_id for h in hits[len(scored):]] == [d.report_id for d in rest]
    paged = [h.report_id for page in range(1, 30) for h in engine.search(node, page=page, page_size=3).hits]
    assert paged == [h.report_id for h in hits]
    filters_only = engine.search(SearchIndex.parse("publisher:party"), page_size=None).hits
    assert [h.report_id for h in filters_only] == [d.report_id for d in rest]


def test_year_sort_keeps_relevance_scores(synthetic):
    engine, _ = synthetic
    by_relevance = {h.report_id: h.score for h in engine.search(Phrase("法"), page_size=None).hits}
    by_year = engine.search(Phrase("法"), sort="year", page_size=None).hits
    assert {h.report_id: h.score for h in by_year} == pytest.approx(by_relevance)
    assert all(score > 0 for score in by_relevance.values())


def test_a_reader_sees_what_another_engine_commits(tmp_path, engine_name):
    docs = synthetic_docs(count=3)
    writer = open_engine(tmp_path / "ix", engine_name, create=True)
    writer.add(docs[:1])
    writer.commit()
    reader = open_engine(tmp_path / "ix", engine_name)
    assert reader.report_ids() == ["r000"]
    writer.add(docs[1:])
    writer.remove(["r000"])
    writer.commit()
    assert reader.report_ids() == ["r001", "r002"]
    assert reader.stored("r002")["text"] == docs[2].text
    with pytest.raises(KeyError):
        reader.metadata("r000")
    reader.close()
    writer.close()


def test_uncommitted_changes_are_invisible_and_dropped_on_close(tmp_path, engine_name):
    docs = synthetic_docs(count=3)
    engine = open_engine(tmp_path / "ix", engine_name, create=True)
    engine.add(docs[:1])
    engine.commit()
    engine.add(docs[1:])
    engine.remove(["r000"])
    assert engine.report_ids() == ["r000"]
    engine.close()
    engine = open_engine(tmp_path / "ix", engine_name)
    assert engine.report_ids() == ["r000"]
    engine.close()


def test_readding_a_report_replaces_its_metadata(tmp_path, engine_name):
    docs = synthetic_docs(count=2)
    engine = open_engine(tmp_path / "ix", engine_name, create=True)
    assert engine.add(docs) == 2
    engine.commit()
    changed = IndexDoc(**{**vars(docs[0]), "title": "changed", "year": 1999})
    assert engine.add([changed]) == 1
    engine.commit()
    assert engine.report_ids() == ["r000", "r001"]
    assert engine.metadata("r000")["title"] == "changed"
    assert [h.report_id for h in engine.search(SearchIndex.parse("year:1999"), page_size=None).hits] == ["r000"]
    engine.close()
