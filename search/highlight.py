"""Match spans and snippets, shared by every engine.

Spans are found in the normalised text and cut from the original one: the two have the same
length, so the marked characters are exactly the ones that matched, as they were published.
"""
from __future__ import annotations

import html
from collections.abc import Iterable

from search.query import Node, Phrase, positive_leaves

#: characters of context shown before the first match of a snippet
SNIPPET_BEFORE = 30
#: total characters of a snippet, matches included
SNIPPET_LENGTH = 160
ELLIPSIS = "…"


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Every (start, end) of ``needle`` in ``text``, overlapping occurrences included."""
    spans = []
    if not needle:
        return spans
    start = text.find(needle)
    while start != -1:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined (touching ones stay apart: they are two matches)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def match_spans(text: str, query: Node) -> list[tuple[int, int]]:
    """Where the query's positive phrases and word terms occur in the normalised ``text``.

    Word terms are marked wherever the string occurs, also inside longer words: a reader looks for
    the characters, and a report matched by the word always contains them.
    """
    needles: set[str] = set()
    for leaf in positive_leaves(query):
        if isinstance(leaf, Phrase):
            needles.add(leaf.text)
        else:
            needles.update(term for term in leaf.terms if term.strip())
    spans: list[tuple[int, int]] = []
    for needle in needles:
        spans.extend(occurrences(text, needle))
    return merge(spans)


def snippet_html(original: str, spans: list[tuple[int, int]], length: int = SNIPPET_LENGTH,
                 before: int = SNIPPET_BEFORE) -> str:
    """A passage of ``original`` around the first match, HTML-escaped, matches in ``<mark>``.

    An ellipsis stands where the passage was cut from a longer text. With no spans, the beginning.
    """
    first = spans[0][0] if spans else 0
    start = max(0, first - before)
    end = min(len(original), start + length)
    start = max(0, min(start, end - length))
    parts = [ELLIPSIS] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(html.escape(original[cursor:span_start]))
        parts.append(f"<mark>{html.escape(original[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(html.escape(original[cursor:end]))
    if end < len(original):
        parts.append(ELLIPSIS)
    return "".join(parts)


def snippet_text(snippet: str, open_mark: str = "【", close_mark: str = "】") -> str:
    """A snippet for plain-text output: marks become brackets, entities become characters."""
    return html.unescape(snippet.replace("<mark>", open_mark).replace("</mark>", close_mark))
