"""Word segmentation: jieba in accurate mode, with the project's own words added.

Each :class:`Segmenter` owns a private ``jieba.Tokenizer`` so that adding words here never changes
what other code gets from jieba's module-level functions. Offsets count characters of the text
that was segmented; whitespace is dropped because no search or extraction step wants it as a word.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import re
import threading
from collections.abc import Iterable

import jieba

from ingest.report import Token

# jieba logs "Building prefix dict…" at DEBUG on every first use; that is noise on a command line.
jieba.setLogLevel(logging.WARNING)


#: Segmenter choice: "jieba", "jieba-fast-dat", or "auto" (the fast one when it is installed).
BACKEND_VARIABLE = "FZKG_SEGMENTER"
#: jieba's block split: runs it segments with the dictionary, and the rest (spaces, punctuation).
_HAN_BLOCK = jieba.re_han_default
_SKIP = jieba.re_skip_default
#: What jieba's HMM step keeps whole inside a block (finalseg's re_skip): 97.3%, 100%, abc123.
_ASCII_FIGURE = re.compile(r"[a-zA-Z0-9]+(?:\.\d+)?%?")


class _JiebaBackend:
    name = "jieba"

    def __init__(self):
        self._tokenizer = jieba.Tokenizer()

    def add_word(self, word: str) -> None:
        # No explicit frequency: jieba then computes one high enough to keep the word whole.
        self._tokenizer.add_word(word)

    def cut(self, text: str) -> Iterable[str]:
        return self._tokenizer.cut(text, HMM=True)

    def frequency(self, word: str) -> int:
        return self._tokenizer.FREQ.get(word, 0)


class _FastBackend:
    """jieba-fast-dat with jieba's own dictionary, cutting exactly as jieba does.

    The library's C++ core matches jieba word for word once it loads jieba's dict.txt (it ships
    a different one) and once runs of letters, digits, '.' and '%' are re-joined the way jieba's
    HMM step joins them; ``tests/test_segment.py`` pins this against jieba on the corpus and on
    random text.
    """

    name = "jieba-fast-dat"

    def __init__(self):
        import jieba_fast_dat

        jieba_fast_dat.setLogLevel(logging.WARNING)
        self._tokenizer = jieba_fast_dat.Tokenizer(dictionary=os.path.join(os.path.dirname(jieba.__file__), "dict.txt"))
        self._tokenizer.initialize()  # the library will not cut before this

    def add_word(self, word: str) -> None:
        self._tokenizer.add_word(word)

    def cut(self, text: str) -> Iterable[str]:
        for block in _HAN_BLOCK.split(text):
            if not block:
                continue
            if _HAN_BLOCK.match(block):
                yield from _join_ascii_figures(self._tokenizer.lcut(block, HMM=True))
            else:
                for piece in _SKIP.split(block):
                    if _SKIP.match(piece):
                        yield piece
                    else:
                        yield from piece

    def frequency(self, word: str) -> int:
        return self._tokenizer.get_freq(word) or 0


def _join_ascii_figures(words: list[str]) -> Iterable[str]:
    i = 0
    while i < len(words):
        if not (_ASCII_FIGURE.fullmatch(words[i]) or words[i] in (".", "%")):
            yield words[i]
            i += 1
            continue
        j = i
        while j < len(words) and (_ASCII_FIGURE.fullmatch(words[j]) or words[j] in (".", "%")):
            j += 1
        run = "".join(words[i:j])
        position = 0
        for match in _ASCII_FIGURE.finditer(run):
            yield from run[position:match.start()]
            yield match.group()
            position = match.end()
        yield from run[position:]
        i = j


def available_backends() -> list[str]:
    names = ["jieba"]
    if importlib.util.find_spec("jieba_fast_dat") is not None:
        names.append("jieba-fast-dat")
    return names


def _backend(name: str):
    if name == "auto":
        name = available_backends()[-1]
    if name == "jieba":
        return _JiebaBackend()
    if name == "jieba-fast-dat":
        if "jieba-fast-dat" not in available_backends():
            raise ValueError("segmenter jieba-fast-dat is not installed (pip install 'fzkg[fast]')")
        return _FastBackend()
    raise ValueError(f"unknown segmenter {name!r} (choose jieba, jieba-fast-dat or auto)")


class Segmenter:
    """Cuts text into words (jieba accurate mode, HMM for unknown words).

    ``backend`` is "jieba", "jieba-fast-dat" (same words, several times faster) or "auto".
    """

    def __init__(self, user_words: Iterable[str] = (), backend: str = "jieba"):
        self._backend = _backend(backend)
        self._user_words = tuple(dict.fromkeys(w.strip() for w in user_words if w and w.strip()))
        self._ready = False
        # the dictionary is loaded lazily; two threads must not both add the user words.
        self._lock = threading.Lock()
        # Reports repeat their words a lot; looking each one up once is enough.
        self.parts = functools.lru_cache(maxsize=1 << 16)(self._parts)

    @property
    def backend(self) -> str:
        return self._backend.name

    @property
    def user_words(self) -> tuple[str, ...]:
        return self._user_words

    def _ready_backend(self):
        if not self._ready:
            with self._lock:
                if not self._ready:
                    for word in self._user_words:
                        self._backend.add_word(word)
                    self._ready = True
        return self._backend

    def tokens(self, text: str) -> list[Token]:
        """The words of ``text`` with character offsets into ``text``; whitespace is left out."""
        if not text:
            return []
        tokens = []
        start = 0
        for word in self._ready_backend().cut(text):
            end = start + len(word)
            if not word.isspace():
                tokens.append(Token(word, start, end))
            start = end
        return tokens

    def words(self, text: str) -> list[str]:
        return [token.text for token in self.tokens(text)]

    def _parts(self, word: str) -> tuple[str, ...]:
        """Dictionary words of two or more characters inside a longer ``word``, left to right
        (法律明白人 → 法律, 明白, 明白人). Indexing them lets a search for 明白人 find 法律明白人."""
        if len(word) < 3:
            return ()
        frequency = self._ready_backend().frequency
        return tuple(word[i:j] for i in range(len(word) - 1) for j in range(i + 2, len(word) + 1)
                     if j - i < len(word) and frequency(word[i:j]))


@functools.cache
def default_segmenter() -> Segmenter:
    """The shared segmenter, with the vocabulary's words when :mod:`ingest.vocab` is available."""
    # Only the module's absence means "no extra words"; an error inside it must still surface.
    backend = os.environ.get(BACKEND_VARIABLE, "auto")
    if importlib.util.find_spec("ingest.vocab") is None:
        return Segmenter(backend=backend)
    vocab = importlib.import_module("ingest.vocab")
    return Segmenter(vocab.user_words(), backend=backend)
