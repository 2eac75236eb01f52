"""Normalising a report's text for matching, and finding the web-page boilerplate in it.

Normalising maps every character to exactly one character, so ``normalise(s)`` is as long as
``s`` and any offset found in the normalised text is valid in the original.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from ingest.report import Report

BOILERPLATE_FILE = "boilerplate.txt"


def _translation_table() -> dict[int, str]:
    table: dict[int, str] = {}

    def same(target: str, sources: str) -> None:
        for char in sources:
            table[ord(char)] = target

    # Full-width ASCII forms (！ … ～) sit at a fixed distance from their ASCII counterparts.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    # Small form variants and half-width CJK punctuation: same meaning, different width.
    table.update({ord(k): v for k, v in {
        "﹐": ",", "﹑": "、", "﹒": ".", "﹔": ";", "﹕": ":", "﹖": "?", "﹗": "!",
        "﹙": "(", "﹚": ")", "﹛": "{", "﹜": "}", "﹝": "(", "﹞": ")", "﹟": "#", "﹠": "&",
        "﹡": "*", "﹢": "+", "﹣": "-", "﹤": "<", "﹥": ">", "﹦": "=", "﹨": "\\", "﹩": "$",
        "﹪": "%", "﹫": "@", "｡": "。", "､": "、", "｟": "(", "｠": ")",
    }.items()})
    same(" ", "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
              "\u202f\u205f\u3000")
    # Invisible characters cannot be dropped (lengths must match), so they become spaces.
    same(" ", "\u200b\u200c\u200d\u2060\ufeff\u180e")
    # Vertical tab, form feed (PDF page breaks) and the Unicode line separators all end a line.
    same("\n", "\x0b\x0c\x85\u2028\u2029")
    same('"', "“”„‟「」『』＂″〝〞〟｢｣")
    same("'", "‘’‚‛′＇")
    same("-", "—–―‒−－‐‑﹘")
    same("(", "〔（")
    same(")", "〕）")
    return table


TRANSLATION = _translation_table()


def normalise(text: str) -> str:
    """The matching form of ``text``: one character for each character of the input."""
    return text.translate(TRANSLATION)


@lru_cache(maxsize=1)
def boilerplate_patterns() -> tuple[re.Pattern[str], ...]:
    """The boilerplate item regexes from ``ingest/data/boilerplate.txt`` (``#`` starts a comment line)."""
    source = resources.files("ingest").joinpath("data", BOILERPLATE_FILE).read_text(encoding="utf-8")
    patterns = []
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(re.compile(line, re.IGNORECASE))
    return tuple(patterns)


# A line that says when or by whom the page was published is evidence for ingest, even when the
# page squeezed a view counter or font switcher onto the same line.
_PUBLICATION_LINE = re.compile(r"发布时间|发布日期|发文日期|成文日期|(信息|文章)?来源\s*[:：]")
# What may remain of a line once its boilerplate items are taken out: separators, nothing readable.
_SEPARATORS = re.compile(r"[\s|｜/\\·•・>»_\-—,，、;；:：]*")


#: A line made only of page furniture (footer, share bar, breadcrumbs) is short; the long lines
#: are the report's paragraphs, and running every item regex over them was most of this step.
MAX_BOILERPLATE_LINE = 300


def _is_boilerplate_line(line: str) -> bool:
    if not line.strip() or len(line) > MAX_BOILERPLATE_LINE or _PUBLICATION_LINE.search(line):
        return False
    rest = line
    found = False
    for pattern in boilerplate_patterns():
        rest, count = pattern.subn(" ", rest)
        found = found or count > 0
    return found and _SEPARATORS.fullmatch(rest) is not None


def find_boilerplate(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the lines of ``text`` made only of web-page boilerplate.

    A span runs from the line's first character to its last (the newline is not included).
    """
    spans = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if _is_boilerplate_line(line):
            spans.append((start, end))
        start = end + 1
    return spans


def prepare(report: Report) -> Report:
    """Fill ``report.text`` (normalised, boilerplate blanked) and ``report.boilerplate``."""
    text = normalise(report.original)
    spans = find_boilerplate(text)
    if spans:
        chars = list(text)
        for start, end in spans:
            chars[start:end] = " " * (end - start)
        text = "".join(chars)
    report.text = text
    report.boilerplate = spans
    return report
