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


# --- the faster segmenter must cut exactly as jieba does ------------------------------------------
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.segment import Segmenter, available_backends
from ingest.vocab import user_words

fast_only = pytest.mark.skipif("jieba-fast-dat" not in available_backends(),
                               reason="jieba-fast-dat is not installed (pip install 'fzkg[fast]')")


@pytest.fixture(scope="module")
def segmenter_pair():
    words = user_words()
    return Segmenter(words, backend="jieba"), Segmenter(words, backend="jieba-fast-dat")


@fast_only
def test_fast_segmenter_cuts_the_corpus_exactly_as_jieba(segmenter_pair):
    from conftest import CORPUS

    plain, fast = segmenter_pair
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert fast.tokens(text) == plain.tokens(text), path.name


_CORPUS_CHARACTERS = sorted(set("".join(p.read_text(encoding="utf-8") for p in
                                        __import__("conftest").CORPUS.glob("*.txt"))))


@fast_only
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_CORPUS_CHARACTERS + list("abcXYZ0123456789.%-_ +#&\t")), max_size=60))
def test_fast_segmenter_cuts_any_text_exactly_as_jieba(segmenter_pair, text):
    plain, fast = segmenter_pair
    assert fast.tokens(text) == plain.tokens(text)
    assert fast.parts("法律明白人") == plain.parts("法律明白人")


def test_unknown_segmenter_is_refused():
    with pytest.raises(ValueError, match="unknown segmenter"):
        Segmenter(backend="hanlp")
