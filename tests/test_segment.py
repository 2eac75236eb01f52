from pathlib import Path

import jieba
import pytest

from ingest.segment import Segmenter, default_segmenter

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SENTENCE = "培养法律明白人 2名,洪口镇和长冈乡的“12348”热线受理6件。"


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(["法律明白人", "洪口镇", "长冈乡"])


def test_user_words_stay_whole(segmenter):
    words = segmenter.words(SENTENCE)
    assert {"法律明白人", "洪口镇", "长冈乡"} <= set(words)


def test_without_user_words_jieba_splits_them():
    # The point of user words: plain jieba cuts these names apart.
    words = Segmenter().words(SENTENCE)
    assert "法律明白人" not in words and "洪口镇" not in words


def test_user_words_do_not_leak_into_jiebas_global_tokenizer(segmenter):
    segmenter.words(SENTENCE)
    assert "法律明白人" not in jieba.lcut("培养法律明白人")


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:12])
def test_offsets_slice_the_text_and_cover_every_non_space_character(segmenter, path):
    text = path.read_text(encoding="utf-8")
    tokens = segmenter.tokens(text)
    assert tokens
    for token in tokens:
        assert text[token.start:token.end] == token.text
        assert not token.text.isspace()
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert "".join(token.text for token in tokens) == "".join(text.split())


def test_whitespace_is_dropped_and_offsets_count_it(segmenter):
    tokens = segmenter.tokens("法治 \n政府")
    assert [(t.text, t.start, t.end) for t in tokens] == [("法治", 0, 2), ("政府", 4, 6)]


def test_empty_text_has_no_tokens(segmenter):
    assert segmenter.tokens("") == []
    assert segmenter.words("   ") == []


def test_default_segmenter_is_shared():
    assert default_segmenter() is default_segmenter()


def test_parts_are_dictionary_words_inside_a_longer_word(segmenter):
    parts = segmenter.parts("法律明白人")
    assert "明白人" in parts and "法律" in parts
    assert "法律明白人" not in parts and "律明" not in parts
    assert segmenter.parts("法治") == ()
