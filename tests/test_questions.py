"""Question answering (search.questions) on the five corpus reports.

The expected answers live in ``tests/questions.toml``, written from the report texts. A question
may be declined (not understood, ambiguous) — that costs score — but never answered with a
wrong table.
"""
from __future__ import annotations

import doctest
import json
import tomllib
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery

import search.questions.link
import search.questions.parse
import search.questions.sparql
from ingest.datadir import DataDir
from ingest.store import GraphStore
from ontology import jurisdiction_iri, level_iri
from search.index import SearchIndex
from search.questions import answer_question
from search.questions.link import Linker
from search.questions.parse import build_frame, match_shape, shapes
from search.questions.sparql import bind, structure, term
from web.cli import main

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS.parent / "corpus"
QUESTIONS = tomllib.loads((TESTS / "questions.toml").read_text(encoding="utf-8"))["question"]
REQUIRED_KEYS = ["question", "understood", "sparql", "bindings", "answers", "suggestions"]


@pytest.fixture(scope="module")
def data(corpus_datadir) -> DataDir:
    return corpus_datadir


@pytest.fixture(scope="module")
def store(data):
    with GraphStore.open(data.graph, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def linker(store) -> Linker:
    return Linker.from_store(store)


@pytest.fixture(scope="module")
def answers(store, linker) -> dict:
    return {item["q"]: answer_question(item["q"], store, linker=linker) for item in QUESTIONS}


def is_right(item: dict, answer) -> bool:
    if not item.get("understood", True):
        return not answer.understood and (not item.get("ambiguous") or bool(answer.ambiguous))
    if not answer.understood or answer.labels != set(item["expect"]):
        return False
    if "shape" in item and answer.shape != item["shape"]:
        return False
    if "total" in item and answer.total != item["total"]:
        return False
    counts = {row.label: row.extra.get("count") for row in answer.answers}
    return all(counts.get(label) == count for label, count in item.get("counts", {}).items())


def test_the_question_set_is_large_and_mixed():
    assert len(QUESTIONS) >= 40
    declined = [q for q in QUESTIONS if not q.get("understood", True)]
    assert len(declined) >= 5 and any(q.get("ambiguous") for q in declined)
    assert any(q.get("expect") == [] for q in QUESTIONS), "some filters must leave nothing"
    # every shape is asked at least once
    asked = {q["shape"] for q in QUESTIONS if "shape" in q}
    assert {"jurisdictions_with", "items_of", "first_mention", "mentions_per_year", "cooccurring",
            "compare_both", "count_jurisdictions"} <= asked


def test_qa_score_is_at_least_90_percent(answers):
    right = [item["q"] for item in QUESTIONS if is_right(item, answers[item["q"]])]
    wrong = sorted(set(answers) - set(right))
    assert len(right) / len(QUESTIONS) >= 0.9, f"wrong: {wrong}"


@pytest.mark.parametrize("item", QUESTIONS, ids=[q["q"] for q in QUESTIONS])
def test_no_question_is_answered_with_a_wrong_table(item, answers):
    answer = answers[item["q"]]
    if answer.understood:
        assert item.get("understood", True), f"{item['q']} must be declined, got {sorted(answer.labels)}"
        assert is_right(item, answer), f"{item['q']}: got {sorted(answer.labels)}, want {sorted(item['expect'])}"
    else:
        assert answer.suggestions or answer.ambiguous, "a declined question says what to ask instead"


def test_every_row_carries_evidence_that_slices_the_stored_text(answers, data):
    texts: dict[str, str] = {}
    checked = 0
    for answer in answers.values():
        for row in answer.answers:
            assert row.evidence, f"{answer.question}: {row.label} has no evidence"
            for evidence in row.evidence:
                if evidence.report not in texts:
                    texts[evidence.report] = data.read_text(evidence.report)
                assert texts[evidence.report][evidence.start:evidence.end] == evidence.text
                checked += 1
    assert checked > 100


def test_evidence_of_a_jurisdiction_names_the_thing(answers):
    answer = answers["哪些地方学习了《中华人民共和国黄河保护法》?"]
    (row,) = answer.answers
    assert row.code == "620523" and row.iri.endswith("/jurisdiction/620523")
    assert all("黄河保护法" in evidence.text for evidence in row.evidence)


def test_json_has_the_documented_keys(answers):
    understood = answers["哪些县开展了“法律明白人”?"].to_json()
    assert list(understood)[:6] == REQUIRED_KEYS
    assert understood["understood"] is True and "VALUES" in understood["sparql"]
    (row,) = understood["answers"]
    assert {"label": "甘谷县", "code": "620523"}.items() <= row.items()
    assert set(row["evidence"][0]) == {"report", "text", "start", "end"}
    assert understood["bindings"]["level"] == [str(level_iri("county"))]
    declined = answers["城关镇开展了哪些项目?"].to_json()
    assert declined["understood"] is False and declined["sparql"] is None and declined["answers"] == []
    (entry,) = declined["ambiguous"]
    assert entry["mention"] == "城关镇" and entry["count"] == 82
    assert all(choice["label"] == "城关镇" and choice["context"].endswith("城关镇") for choice in entry["choices"])
    json.dumps(understood, ensure_ascii=False)
    json.dumps(declined, ensure_ascii=False)


def test_the_level_word_county_excludes_townships_and_districts(answers):
    answer = answers["哪些县开展了“法律明白人”?"]
    assert answer.interpretation["level"]["levels"] == ["county"]
    townships = answers["哪些乡镇开展了“法律明白人”?"]
    assert {row.extra["level"] for row in townships.answers} == {"township"}


def test_a_qualified_place_resolves_an_ambiguous_one(answers, store, linker):
    suggestion = answers["城关镇开展了哪些项目?"].suggestions[0]
    assert suggestion.endswith("城关镇开展了哪些项目?") and len(suggestion) > len("城关镇开展了哪些项目?")
    answer = answer_question(suggestion, store, linker=linker)
    assert answer.understood and answer.answers == []


def test_suggestions_of_a_declined_question_are_supported_questions(answers, linker):
    for item in QUESTIONS:
        answer = answers[item["q"]]
        if answer.understood or answer.ambiguous:
            continue
        assert answer.suggestions
        for suggestion in answer.suggestions:
            assert match_shape(build_frame(suggestion, linker)) is not None, suggestion


def test_examples_of_every_shape_are_read_as_that_shape(linker):
    for shape in shapes():
        for example in shape.examples:
            question = example["question"].format(place=example.get("place", ""), place2=example.get("place2", ""),
                                                  thing=example.get("thing", ""))
            match = match_shape(build_frame(question, linker))
            assert match is not None and match.shape.name == shape.name, question


def test_an_unknown_term_falls_back_to_full_text(store, linker, data):
    with SearchIndex.open(data) as index:
        answer = answer_question("哪些地方开展了“社区矫正”?", store, index=index, linker=linker)
    assert not answer.understood and "社区矫正" in answer.reason
    fallback = answer.to_json()["fallback"]
    assert fallback["terms"] == ["社区矫正"] and fallback["total"] >= 2
    text = data.read_text(fallback["hits"][0]["report"])
    for hit in fallback["hits"]:
        assert hit["hit"] == "社区矫正"
        assert data.read_text(hit["report"])[hit["start"]:hit["end"]] == "社区矫正"
    assert text


def test_the_cli_prints_the_json_answer(data, capsys):
    assert main(["ask", "哪些县开展了“法律明白人”?", "--format", "json", "--data", str(data.root)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [row["label"] for row in printed["answers"]] == ["甘谷县"]
    assert main(["ask", "今天天气怎么样?", "--data", str(data.root)]) == 1
    assert "not understood" in capsys.readouterr().out


# --- injection ---------------------------------------------------------------------------------

BENIGN = "哪些县开展了“法律明白人”?"
HOSTILE = [
    '哪些县开展了“法律明白人”} UNION { ?s ?p ?o }?',
    '哪些县开展了“法律明白人\\"} . ?x ?y ?z #”?',
    '哪些县开展了"""法律明白人"""?',
    '哪些县开展了“法律明白人\\”?',
    '哪些县开展了“法律明白人”\n} DROP ALL #?',
    '哪些县开展了“法律明白人 UNION”?',
    "哪些县开展了'法律明白人'?",
    '哪些县开展了“> } INSERT DATA { <a> <b> <c> } #”?',
    '哪些县开展了“法律明白人”# } FILTER(false) {?',
    '哪些县开展了“{法律明白人}”?',
]
INJECTED = ["UNION", "?s ?p ?o", "DROP", "INSERT", '"""', "\\", "?x ?y ?z", "FILTER(false)", "{法律明白人}", "<a>"]


def projected(query: str) -> list[str]:
    return [str(v) for v in prepareQuery(query).algebra["PV"]]


@pytest.mark.parametrize("question", HOSTILE)
def test_question_text_never_changes_the_query(question, store, linker):
    benign = answer_question(BENIGN, store, linker=linker)
    answer = answer_question(question, store, linker=linker)
    if not answer.understood:
        assert answer.sparql is None
        return
    assert answer.shape == benign.shape
    assert structure(answer.sparql) == structure(benign.sparql)
    assert projected(answer.sparql) == projected(benign.sparql)
    assert str(prepareQuery(structure(answer.sparql)).algebra) == str(prepareQuery(structure(benign.sparql)).algebra)
    for fragment in INJECTED:
        assert fragment not in answer.sparql
    assert question not in answer.sparql


def test_hostile_questions_are_still_answered_where_the_name_is_clear(store, linker):
    understood = [q for q in HOSTILE if answer_question(q, store, linker=linker).understood]
    assert len(understood) >= 5
    for question in understood:
        assert answer_question(question, store, linker=linker).labels == {"甘谷县"}


def test_values_cells_cannot_carry_query_text():
    with pytest.raises(ValueError):
        term(URIRef(str(jurisdiction_iri("620523")) + "> } UNION { ?s ?p ?o"))
    query = bind("SELECT ?s WHERE { VALUES ?s { UNDEF } }", {("s",): [('"} UNION { ?s ?p ?o } #',)]})
    algebra = prepareQuery(query).algebra
    assert "Union" not in str(algebra) and projected(query) == ["s"]
    with pytest.raises(KeyError):
        bind("SELECT ?s WHERE { VALUES ?s { UNDEF } }", {("t",): [(1,)]})


def test_templates_are_queries_as_they_are():
    from search.questions.sparql import parameters, template, with_prefixes

    for shape in shapes():
        text = template(shape.template)
        prepareQuery(with_prefixes(text))
        assert parameters(text), f"{shape.template} has no VALUES parameter"


@pytest.mark.parametrize("module", [search.questions.parse, search.questions.link, search.questions.sparql])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
