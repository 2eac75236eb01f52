"""Checks of the tantivy engine's own machinery; its query semantics are tested with every other
engine's in test_search_engine.py, test_kwic.py and test_search_cli.py."""
import json

import pytest

from ingest.segment import default_segmenter
from search import tantivy_engine
from search.document import IndexDoc
from search.engine import IndexNotFound, open_engine
from search.kwic import concordance
from search.query import And, Field, Phrase, Word

from test_search_engine import brute_occurrences, synthetic_docs


def make_doc(report_id, text, **fields):
    tokens = default_segmenter().tokens(text)
    return IndexDoc(report_id=report_id, source=f"{report_id}.txt", title=report_id, original=text, text=text,
                    tokens=tokens, **fields)


def found(engine, node):
    return {hit.report_id for hit in engine.search(node, page_size=None, facets=False).hits}


@pytest.fixture
def engine(tmp_path):
    opened = open_engine(tmp_path / "ix", "tantivy", create=True)
    yield opened
    opened.close()


def test_a_phrase_needs_its_bigrams_next_to_each_other(engine):
    # Every bigram of the phrases occurs in each text, but only "a" holds them in a row.
    engine.add([make_doc("a", "甲乙丙丁戊"), make_doc("b", "甲乙。乙丙。丙丁。丁戊"), make_doc("c", "丁戊丙丁乙丙甲乙"),
                make_doc("d", "乙丙甲乙丁戊丙丁"), make_doc("e", "了戊")])
    engine.commit()
    for phrase in ("甲乙丙丁戊", "甲乙丙丁", "甲乙丙", "乙丙丁戊", "乙丙丁", "丙丁戊"):
        assert found(engine, Phrase(phrase)) == {"a"}, phrase
    assert found(engine, Phrase("丙丁")) == {"a", "b", "c", "d"}
    # a last character starts no bigram
    assert found(engine, Phrase("戊")) == {"a", "b", "c", "d", "e"}


def test_overlapping_repeats_are_found_and_counted(engine):
    engine.add([make_doc("a", "哈哈哈"), make_doc("b", "哈哈 哈哈"), make_doc("c", "哈哈哈哈")])
    engine.commit()
    assert found(engine, Phrase("哈哈哈")) == {"a", "c"}
    assert found(engine, Phrase("哈哈哈哈")) == {"c"}
    assert list(engine.phrase_occurrences("哈哈哈")) == [("a", 0, 3), ("c", 0, 3), ("c", 1, 4)]


def test_reports_holding_the_token_separator_are_indexed_all_the_same(engine):
    text = "法治\x00政府建设\x00"
    engine.add([make_doc("nul", text), make_doc("plain", "法治政府建设")])
    engine.commit()
    assert found(engine, Phrase("治\x00政")) == {"nul"}
    assert found(engine, Phrase("法治")) == {"nul", "plain"}
    assert found(engine, Phrase("政府建设\x00")) == {"nul"}
    assert found(engine, Word("建设", ("建设",))) == {"nul", "plain"}
    assert list(engine.phrase_occurrences("\x00")) == [("nul", 2, 3), ("nul", 7, 8)]


def test_add_then_remove_in_one_batch_leaves_nothing_and_add_again_brings_it_back(engine):
    docs = synthetic_docs(count=3)
    assert engine.add(docs) == 3
    assert engine.remove(["r000"]) == 0  # not committed: not known yet
    engine.commit()
    assert engine.report_ids() == ["r001", "r002"]
    assert engine.remove(["r001"]) == 1
    assert engine.add(docs[1:2]) == 1
    engine.commit()
    assert engine.report_ids() == ["r001", "r002"]
    assert engine.add(docs[:1] * 3) == 1
    engine.commit()
    assert engine.report_ids() == ["r000", "r001", "r002"]
    assert engine.metadata("r000") == docs[0].metadata()


def test_facets_count_every_value_however_many(engine):
    docs = [make_doc(f"r{i:03d}", "法治", city=f"第{i % 40}市", year=1990 + i % 30) for i in range(200)]
    engine.add(docs)
    engine.commit()
    result = engine.search(Phrase("法治"), page_size=1)
    assert dict(result.facets["city"]) == {f"第{i}市": 5 for i in range(40)}
    assert len(result.facets["year"]) == 30 and sum(count for _, count in result.facets["year"]) == 200


def test_many_commits_merge_and_searches_stay_right(engine):
    docs = synthetic_docs(count=48)
    for start in range(0, 48, 3):
        engine.add(docs[start:start + 3])
        engine.commit()
    searcher = engine._current().searcher
    assert searcher.num_segments < 16  # merged along the way
    assert engine.report_ids() == sorted(d.report_id for d in docs)
    assert list(engine.phrase_occurrences("法")) == brute_occurrences(docs, "法")
    for doc in docs[::7]:
        assert engine.stored(doc.report_id)["original"] == doc.original


def test_caches_are_bounded_and_change_no_answer(engine, monkeypatch):
    monkeypatch.setattr(tantivy_engine, "META_CACHE_SIZE", 2)
    monkeypatch.setattr(tantivy_engine, "ADDRESS_CACHE_SIZE", 3)
    docs = synthetic_docs(count=30)
    engine.add(docs)
    engine.commit()
    result = concordance(engine, "法", width=3)
    assert sorted((l.report, l.start, l.end) for l in result.lines) == brute_occurrences(docs, "法")
    by_id = {d.report_id: d for d in docs}
    for line in result.lines:
        assert line.year == by_id[line.report].year
        assert line.left == by_id[line.report].original[max(0, line.start - 3):line.start]
    view = engine._current()
    assert len(view._meta) <= 2 and len(view._addresses) <= 3


def test_a_cached_answer_never_outlives_a_commit(engine):
    doc = make_doc("a", "法治", province="甲省", year=2020)
    engine.add([doc])
    engine.commit()
    assert engine.metadata("a")["province"] == "甲省"
    list(engine.phrase_occurrences("法"))
    engine.add([IndexDoc(**{**vars(doc), "province": "乙省"})])
    engine.commit()
    assert engine.metadata("a")["province"] == "乙省"
    assert found(engine, And((Phrase("法"), Field("province", "乙省")))) == {"a"}


def test_the_writer_lock_is_released_at_commit(tmp_path):
    first = open_engine(tmp_path / "ix", "tantivy", create=True)
    first.add(synthetic_docs(count=1))
    first.commit()
    second = open_engine(tmp_path / "ix", "tantivy")
    second.add(synthetic_docs(count=2)[1:])
    second.commit()
    assert first.report_ids() == ["r000", "r001"]
    second.close()
    first.close()


def test_an_index_of_another_layout_is_refused(tmp_path):
    engine = open_engine(tmp_path / "ix", "tantivy", create=True)
    engine.close()
    (tmp_path / "ix" / tantivy_engine.VERSION_FILE).write_text(json.dumps({"schema": 0}), encoding="utf-8")
    with pytest.raises(IndexNotFound, match="another layout"):
        open_engine(tmp_path / "ix", "tantivy")


def test_older_tantivy_releases_are_refused():
    with pytest.raises(ImportError, match="tantivy >= 0.27"):
        tantivy_engine.require_version("0.26.2")
    tantivy_engine.require_version("0.27.0")
    tantivy_engine.require_version("1.0.0rc1")
