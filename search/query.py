"""The search query language and its engine-neutral syntax tree.

Syntax::

    法治政府            words: segmented like the reports, every word must occur (ranked, BM25)
    "法治政府建设"       exact phrase: the normalised text contains exactly this string;
    “法治政府建设”       curly quotes work too; inside a phrase ``\\`` escapes the next character
    a b, a AND b        both                  a OR b       either
    NOT a, -a           not                   ( … )        grouping
    province:甘肃省  city:天水市  county:甘谷县        place names (a county filter includes its townships)
    jurisdiction:甘谷县  jurisdiction:620523        that jurisdiction and everything under it
    level:county (or 省 市 县 区 乡 镇)  publisher:甘谷县人民政府  publisher:government
    year:2024  year:2020..2024  year:..2020  year:2020..

Precedence is NOT over AND over OR, so ``a OR b c`` means ``a OR (b AND c)``. Operators are the
upper-case words AND, OR, NOT standing alone; ``-`` negates only when it starts a term.
A field value with spaces is quoted: ``publisher:"…"``.

The whole query is first normalised with the function that normalises the report texts
(:func:`ingest.normalize.normalise`, one character for one, so positions in error messages stay
right). Hence curly and corner quotes delimit phrases like straight ones, full-width parentheses
group, and a full-width comma in a phrase finds the same places as a half-width one.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from ingest.normalize import normalise
from ingest.report import LEVELS

#: the quote character after normalisation (which maps “ ” 「 」 『 』 and the like onto it)
QUOTE = '"'
FIELDS = ("province", "city", "county", "jurisdiction", "level", "publisher", "year")
PUBLISHER_KINDS = ("department", "government", "party", "other")
LEVEL_ALIASES = {"省": "province", "市": "city", "县": "county", "区": "district",
                 "乡": "township", "镇": "township", "乡镇": "township", "街道": "township"}
#: Digits per level in a 12-digit division code: province, city, county, township, village.
CODE_GROUPS = (2, 2, 2, 3, 3)


# --- syntax tree -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    """An exact string (already normalised) that the report's normalised text must contain."""

    text: str


@dataclass(frozen=True)
class Word:
    """An unquoted run of text; ``terms`` is how it was segmented and all of them must occur."""

    text: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """A metadata filter: ``name`` is one of province, city, county, jurisdiction, level, publisher."""

    name: str
    value: str


@dataclass(frozen=True)
class YearRange:
    """Reports whose year lies in ``start..end`` (inclusive; ``None`` leaves that side open)."""

    start: int | None
    end: int | None


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


Node = Union[Phrase, Word, Field, YearRange, And, Or, Not]
FILTERS = (Field, YearRange)


class QueryError(ValueError):
    """A malformed query; ``position`` is the 0-based character index in the query string."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


# --- lexer -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Lexeme:
    kind: str  # LPAREN RPAREN PHRASE FIELD WORD AND OR NOT MINUS
    value: Any
    position: int


_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.S)
_STOP = {QUOTE, "(", ")"}


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    """The text between the quote at ``start`` and its closing quote, and the index after it."""
    chars = []
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query):
            chars.append(query[i + 1])
            i += 2
            continue
        if char == QUOTE:
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise QueryError("unbalanced quote: the phrase opened here is never closed", start)


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char == "(":
            lexemes.append(_Lexeme("LPAREN", char, i))
            i += 1
        elif char == ")":
            lexemes.append(_Lexeme("RPAREN", char, i))
            i += 1
        elif char == QUOTE:
            text, end = _read_quoted(query, i)
            lexemes.append(_Lexeme("PHRASE", text, i))
            i = end
        elif char == "-" and (i + 1 >= n or query[i + 1].isspace() or query[i + 1] == ")"):
            raise QueryError("'-' must be followed directly by the term it excludes", i)
        elif char == "-":
            lexemes.append(_Lexeme("MINUS", char, i))
            i += 1
        else:
            end = i
            while end < n and not query[end].isspace() and query[end] not in _STOP:
                end += 1
            run = query[i:end]
            match = _FIELD_RE.fullmatch(run)
            if match:
                name, value = match.group(1).lower(), match.group(2)
                if name not in FIELDS:
                    raise QueryError(f"unknown field {match.group(1)!r} (fields: {', '.join(FIELDS)})", i)
                if not value and end < n and query[end] == QUOTE:
                    value, end = _read_quoted(query, end)
                if not value.strip():
                    raise QueryError(f"field {name}: needs a value, as in {name}:{_EXAMPLES[name]}", i)
                lexemes.append(_Lexeme("FIELD", (name, value.strip()), i))
            elif run in ("AND", "OR", "NOT"):
                lexemes.append(_Lexeme(run, run, i))
            else:
                lexemes.append(_Lexeme("WORD", run, i))
            i = end
    return lexemes


_EXAMPLES = {"province": "甘肃省", "city": "天水市", "county": "甘谷县", "jurisdiction": "甘谷县",
             "level": "county", "publisher": "government", "year": "2020..2024"}


# --- parser ------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, query: str, lexemes: list[_Lexeme], segment: Callable[[str], list[str]]):
        self.query = query
        self.lexemes = lexemes
        self.i = 0
        self.segment = segment

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.i]
        self.i += 1
        return lexeme

    def end_position(self) -> int:
        return len(self.query.rstrip())

    def need_operand(self, operator: _Lexeme) -> None:
        following = self.peek()
        if following is None or following.kind in ("RPAREN", "AND", "OR"):
            raise QueryError(f"{operator.value} needs a term after it", operator.position)

    def parse(self) -> Node:
        if not self.lexemes:
            raise QueryError("empty query", 0)
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            # parse_or stops only at a ')' without its '('.
            raise QueryError("unbalanced parenthesis: this ')' has no matching '('", extra.position)
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (lexeme := self.peek()) is not None and lexeme.kind == "OR":
            self.take()
            self.need_operand(lexeme)
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(_flatten(Or, items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while (lexeme := self.peek()) is not None and lexeme.kind not in ("RPAREN", "OR"):
            if lexeme.kind == "AND":
                self.take()
                self.need_operand(lexeme)
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(_flatten(And, items))

    def parse_unary(self) -> Node:
        lexeme = self.peek()
        if lexeme is not None and lexeme.kind in ("NOT", "MINUS"):
            self.take()
            self.need_operand(lexeme)
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        lexeme = self.peek()
        if lexeme is None:
            raise QueryError("the query ends where a term was expected", self.end_position())
        self.take()
        if lexeme.kind == "LPAREN":
            closing = self.peek()
            if closing is None:
                raise QueryError("unbalanced parenthesis: this '(' is never closed", lexeme.position)
            if closing.kind == "RPAREN":
                raise QueryError("empty parentheses", lexeme.position)
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise QueryError("unbalanced parenthesis: this '(' is never closed", lexeme.position)
            self.take()
            return node
        if lexeme.kind == "PHRASE":
            if not lexeme.value:
                raise QueryError("empty phrase", lexeme.position)
            return Phrase(lexeme.value)
        if lexeme.kind == "FIELD":
            return _field(*lexeme.value, position=lexeme.position)
        if lexeme.kind == "WORD":
            text = lexeme.value
            terms = tuple(self.segment(text)) or (text,)
            return Word(text, terms)
        if lexeme.kind == "RPAREN":
            raise QueryError("unbalanced parenthesis: this ')' has no matching '('", lexeme.position)
        raise QueryError(f"{lexeme.value} needs a term before it", lexeme.position)


def _flatten(kind: type, items: list[Node]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return tuple(flat)


_YEAR_RANGE = re.compile(r"(\d*)\s*(?:\.\.|-)\s*(\d*)")


def _field(name: str, value: str, *, position: int) -> Node:
    if name == "year":
        return _year(value, position)
    if name == "level":
        level = LEVEL_ALIASES.get(value, value.lower())
        if level not in LEVELS:
            raise QueryError(f"unknown level {value!r} (levels: {', '.join(LEVELS)})", position)
        return Field(name, level)
    return Field(name, value)


def _year(value: str, position: int) -> YearRange:
    value = unicodedata.normalize("NFKC", value)
    if value.isdigit():
        return YearRange(int(value), int(value))
    match = _YEAR_RANGE.fullmatch(value)
    if match is None or not (match.group(1) or match.group(2)):
        raise QueryError(f"bad year {value!r}: write year:2024, year:2020..2024, year:..2020 or "
                         f"year:2020..", position)
    start = int(match.group(1)) if match.group(1) else None
    end = int(match.group(2)) if match.group(2) else None
    if start is not None and end is not None and start > end:
        raise QueryError(f"bad year range {value!r}: {start} comes after {end}", position)
    return YearRange(start, end)


def parse(query: str, segment: Callable[[str], list[str]] | None = None) -> Node:
    """Parse ``query`` into a syntax tree; raise :class:`QueryError` if it is malformed.

    ``segment`` cuts an unquoted run into words (default: the shared segmenter).
    """
    if segment is None:
        from ingest.segment import default_segmenter

        segment = default_segmenter().words
    query = normalise(query)
    return _Parser(query, _lex(query), segment).parse()


# --- reading a tree ----------------------------------------------------------------------------

def _quote(text: str) -> str:
    return QUOTE + text.replace("\\", "\\\\").replace(QUOTE, "\\" + QUOTE) + QUOTE


def _render(node: Node, top: bool) -> str:
    if isinstance(node, Phrase):
        return _quote(node.text)
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Field):
        value = node.value
        plain = not any(char.isspace() or char in _STOP for char in value)
        return f"{node.name}:{value if plain else _quote(value)}"
    if isinstance(node, YearRange):
        if node.start is not None and node.start == node.end:
            return f"year:{node.start}"
        return f"year:{'' if node.start is None else node.start}..{'' if node.end is None else node.end}"
    if isinstance(node, Not):
        return f"NOT {_render(node.item, False)}"
    operator = " AND " if isinstance(node, And) else " OR "
    inner = operator.join(_render(item, False) for item in node.items)
    return inner if top else f"({inner})"


def words(node: Node) -> Iterator[Word]:
    """Every word node of the tree, in query order."""
    if isinstance(node, Word):
        yield node
    elif isinstance(node, (And, Or)):
        for item in node.items:
            yield from words(item)
    elif isinstance(node, Not):
        yield from words(node.item)


def explain(node: Node) -> str:
    """One line: the parse with explicit operators, then how each unquoted run was segmented."""
    rendered = _render(node, True)
    cuts = [f"{word.text} → {' | '.join(word.terms)}" for word in dict.fromkeys(words(node))
            if word.terms != (word.text,)]
    return rendered + (f"   [segmented: {'; '.join(cuts)}]" if cuts else "")


def positive_leaves(node: Node, negated: bool = False) -> Iterator[Phrase | Word]:
    """The phrases and words a matching report contains (those not under an odd number of NOTs)."""
    if isinstance(node, (Phrase, Word)):
        if not negated:
            yield node
    elif isinstance(node, (And, Or)):
        for item in node.items:
            yield from positive_leaves(item, negated)
    elif isinstance(node, Not):
        yield from positive_leaves(node.item, not negated)


# --- filter semantics (shared by every engine) -------------------------------------------------

def code_prefix(code: str) -> str:
    """The significant leading digits of a division code: 620523000000 → 620523, 620500 → 6205."""
    digits = code.strip()
    end, keep = 0, 0
    for size in CODE_GROUPS:
        group = digits[end:end + size]
        if not group:
            break
        end += size
        if group.strip("0"):
            keep = end
    return digits[:keep] if keep else digits


def filter_matches(node: Field | YearRange, doc: Mapping[str, Any]) -> bool:
    """Whether a report with metadata ``doc`` (the keys of :meth:`IndexDoc.metadata`) passes a filter."""
    if isinstance(node, YearRange):
        year = doc.get("year")
        if year is None:
            return False
        return (node.start is None or year >= node.start) and (node.end is None or year <= node.end)
    value = node.value  # normalised with the query; names are compared normalised too

    def name(key: str) -> str:
        return normalise(doc.get(key) or "")

    if node.name in ("province", "city", "county", "level"):
        return name(node.name) == value
    if node.name == "publisher":
        if value in PUBLISHER_KINDS:
            return doc.get("publisher_kind") == value
        return name("publisher") == value
    if node.name == "jurisdiction":
        if value.isdigit():
            # A division's code extends its parent's significant digits, so "under" is a prefix test.
            prefix = code_prefix(value)
            return any(code_prefix(code).startswith(prefix)
                       for code in (doc.get(key) for key in ("code", "province_code", "city_code", "county_code"))
                       if code)
        return value in (name("jurisdiction"), name("province"), name("city"), name("county"))
    raise ValueError(f"not a filter field: {node.name}")
