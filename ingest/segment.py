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
import threading
from collections.abc import Iterable

import jieba

from ingest.report import Token

# jieba logs "Building prefix dict…" at DEBUG on every first use; that is noise on a command line.
jieba.setLogLevel(logging.WARNING)


class Segmenter:
    """Cuts text into words (jieba accurate mode, HMM for unknown words)."""

    def __init__(self, user_words: Iterable[str] = ()):
        self._tokenizer = jieba.Tokenizer()
        self._user_words = tuple(dict.fromkeys(w.strip() for w in user_words if w and w.strip()))
        self._ready = False
        # jieba loads its dictionary lazily; two threads must not both add the user words.
        self._lock = threading.Lock()
        # Reports repeat their words a lot; looking each one up once is enough.
        self.parts = functools.lru_cache(maxsize=1 << 16)(self._parts)

    @property
    def user_words(self) -> tuple[str, ...]:
        return self._user_words

    def _tokenizer_ready(self) -> jieba.Tokenizer:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    for word in self._user_words:
                        # No explicit frequency: jieba then computes one high enough to keep it whole.
                        self._tokenizer.add_word(word)
                    self._ready = True
        return self._tokenizer

    def tokens(self, text: str) -> list[Token]:
        """The words of ``text`` with character offsets into ``text``; whitespace is left out."""
        if not text:
            return []
        tokenizer = self._tokenizer_ready()
        return [Token(word, start, end)
                for word, start, end in tokenizer.tokenize(text, mode="default", HMM=True)
                if not word.isspace()]

    def words(self, text: str) -> list[str]:
        return [token.text for token in self.tokens(text)]

    def _parts(self, word: str) -> tuple[str, ...]:
        """Dictionary words of two or more characters inside a longer ``word``, left to right
        (法律明白人 → 法律, 明白, 明白人). Indexing them lets a search for 明白人 find 法律明白人."""
        if len(word) < 3:
            return ()
        known = self._tokenizer_ready().FREQ
        return tuple(word[i:j] for i in range(len(word) - 1) for j in range(i + 2, len(word) + 1)
                     if j - i < len(word) and known.get(word[i:j]))


@functools.cache
def default_segmenter() -> Segmenter:
    """The shared segmenter, with the vocabulary's words when :mod:`ingest.vocab` is available."""
    # Only the module's absence means "no extra words"; an error inside it must still surface.
    if importlib.util.find_spec("ingest.vocab") is None:
        return Segmenter()
    vocab = importlib.import_module("ingest.vocab")
    return Segmenter(vocab.user_words())
