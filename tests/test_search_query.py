import pytest

from search.query import (And, Field, Not, Or, Phrase, QueryError, Word, YearRange, code_prefix, explain,
                          filter_matches, parse)


def split_chars(text):
    """A predictable segmenter for parser tests: one word per character pair."""
    return [text[i:i + 2] for i in range(0, len(text), 2)]


def p(query):
    return parse(query, segment=split_chars)


def test_phrase_with_straight_and_curly_quotes():
    assert p('"法治政府"') == Phrase("法治政府")
    assert p("“法治政府”") == Phrase("法治政府")


def test_backslash_escapes_a_quote_inside_a_phrase():
    assert p(r'"\“放管服\”改革"') == Phrase('"放管服"改革')  # normalised like the texts


def test_unquoted_run_is_segmented_into_one_word_node():
    assert p("法治政府建设") == Word("法治政府建设", ("法治", "政府", "建设"))


def test_implicit_and_and_precedence():
    a, b, c = Word("aa", ("aa",)), Word("bb", ("bb",)), Word("cc", ("cc",))
    assert p("aa bb") == And((a, b))
    assert p("aa AND bb") == And((a, b))
    assert p("aa OR bb cc") == Or((a, And((b, c))))
    assert p("(aa OR bb) cc") == And((Or((a, b)), c))
    assert p("aa OR bb OR cc") == Or((a, b, c))


def test_not_and_minus():
    a, b = Word("aa", ("aa",)), Word("bb", ("bb",))
    assert p("aa NOT bb") == And((a, Not(b)))
    assert p("aa -bb") == And((a, Not(b)))
    assert p('-"aa"') == Not(Phrase("aa"))
    assert p("-(aa OR bb)") == Not(Or((a, b)))


def test_minus_inside_a_run_is_text():
    assert p("2021-2025") == Word("2021-2025", ("20", "21", "-2", "02", "5"))


def test_lower_case_operators_are_words():
    assert p("and") == Word("and", ("an", "d"))


def test_fields():
    assert p("province:甘肃省") == Field("province", "甘肃省")
    assert p("level:县") == Field("level", "county")
    assert p("level:District") == Field("level", "district")
    assert p('publisher:"甘谷县 人民政府"') == Field("publisher", "甘谷县 人民政府")
    assert p("(city:天水市)") == Field("city", "天水市")


@pytest.mark.parametrize("value, expected", [
    ("2024", YearRange(2024, 2024)), ("2020..2024", YearRange(2020, 2024)),
    ("..2020", YearRange(None, 2020)), ("2020..", YearRange(2020, None)), ("2020-2024", YearRange(2020, 2024)),
])
def test_year_ranges(value, expected):
    assert p(f"year:{value}") == expected


@pytest.mark.parametrize("query, message, position", [
    ("", "empty query", 0),
    ("   ", "empty query", 0),
    ('法治 "政府', "unbalanced quote", 3),
    ("(法治 政府", "never closed", 0),
    ("法治 AND (", "never closed", 7),
    ("法治)", "no matching '('", 2),
    ("法治 AND", "AND needs a term after it", 3),
    ("OR 法治", "OR needs a term before it", 0),
    ("法治 AND OR 政府", "AND needs a term after it", 3),
    ("NOT", "NOT needs a term after it", 0),
    ("法治 - 政府", "'-' must be followed", 3),
    ("()", "empty parentheses", 0),
    ('""', "empty phrase", 0),
    ("foo:bar", "unknown field 'foo'", 0),
    ("法治 year:2024..2020", "2024 comes after 2020", 3),
    ("year:abc", "bad year", 0),
    ("province:", "needs a value", 0),
    ("level:village", "unknown level", 0),
])
def test_malformed_queries_raise_query_error_with_position(query, message, position):
    with pytest.raises(QueryError) as caught:
        p(query)
    assert message in caught.value.message
    assert caught.value.position == position
    assert f"character {position + 1}" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_explain_shows_operators_and_segmentation():
    text = explain(p('法治政府 OR "依法 行政" -province:甘肃省 year:2020..'))
    assert text.startswith('法治政府 OR ("依法 行政" AND NOT province:甘肃省 AND year:2020..)')
    assert "法治政府 → 法治 | 政府" in text


def test_explain_round_trips_through_the_parser():
    for query in ['"a\\"b" OR (cc dd)', "NOT aa", 'publisher:"x y" year:2024', "year:..2020"]:
        node = p(query)
        assert p(explain(node).split("   [")[0]) == node


def test_code_prefix():
    assert code_prefix("620523000000") == "620523"
    assert code_prefix("620500000000") == "6205"
    assert code_prefix("620000") == "62"
    assert code_prefix("511921105000") == "511921105"


META = {"jurisdiction": "洪口镇", "code": "511921105000", "level": "township", "province": "四川省",
        "city": "巴中市", "county": "通江县", "province_code": "510000000000", "city_code": "511900000000",
        "county_code": "511921000000", "publisher": "洪口镇人民政府", "publisher_kind": "government",
        "year": 2023}


@pytest.mark.parametrize("node, expected", [
    (Field("jurisdiction", "洪口镇"), True), (Field("jurisdiction", "通江县"), True),
    (Field("jurisdiction", "四川省"), True), (Field("jurisdiction", "甘肃省"), False),
    (Field("jurisdiction", "51"), True), (Field("jurisdiction", "511900000000"), True),
    (Field("jurisdiction", "511921"), True), (Field("jurisdiction", "511922"), False),
    (Field("county", "通江县"), True), (Field("city", "巴中市"), True), (Field("level", "county"), False),
    (Field("publisher", "government"), True), (Field("publisher", "洪口镇人民政府"), True),
    (Field("publisher", "department"), False),
    (YearRange(2020, 2023), True), (YearRange(2024, None), False), (YearRange(None, 2023), True),
])
def test_filter_semantics(node, expected):
    assert filter_matches(node, META) is expected


def test_year_filter_never_matches_an_unknown_year():
    assert not filter_matches(YearRange(None, None), dict(META, year=None))


def test_corner_quotes_and_full_width_parentheses_work_after_normalisation():
    assert p("「法治」") == Phrase("法治")
    assert p("（aa OR bb）cc") == And((Or((Word("aa", ("aa",)), Word("bb", ("bb",)))), Word("cc", ("cc",))))


def test_field_values_compare_normalised():
    node = p("publisher:“某（试点）局”")
    assert node == Field("publisher", "某(试点)局")
    assert filter_matches(node, dict(META, publisher="某（试点）局"))
    assert filter_matches(node, dict(META, publisher="某(试点)局"))
    assert not filter_matches(node, dict(META, publisher="某试点局"))
