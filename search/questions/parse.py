"""From a question to a frame and a shape.

A question is rewritten into a *frame*: place names become ``Ⓙ``, year expressions ``Ⓨ``,
quoted spans and names the graph knows stay as written (so that 天水市 inside
《天水市海绵城市建设管理条例》 is not read as a place). The shapes of ``data/shapes.toml`` are
regular expressions over frames; the first that matches says what is asked and where the name
of the thing asked about sits. Nothing here looks at the graph except through the
:class:`~search.questions.link.Linker` it is given, and nothing here builds a query.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

PLACE_TOKEN = "Ⓙ"
YEAR_TOKEN = "Ⓨ"
_DATA = "questions/data"


def _load_toml(name: str) -> dict:
    with resources.files("search").joinpath(f"{_DATA}/{name}").open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=1)
def lexicon() -> dict:
    """The words of ``data/lexicon.toml`` (levels, verbs, kinds, years, linking settings)."""
    return _load_toml("lexicon.toml")


def normalize(question: str) -> str:
    """One character for one: NFKC where it keeps a character single, ASCII lower-cased, and
    runs of whitespace made single spaces — so that offsets into the result are offsets into
    the question.

    >>> normalize("哪些县开展了“法律明白人”？")
    '哪些县开展了“法律明白人”?'
    """
    out = []
    for char in question:
        folded = unicodedata.normalize("NFKC", char)
        char = folded if len(folded) == 1 else char
        if char.isspace():
            char = " "
        out.append(char.lower() if char.isascii() else char)
    return "".join(out)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class YearMention(Span):
    #: inclusive bounds; None leaves that side open
    year_from: int | None = None
    year_to: int | None = None


@dataclass(frozen=True)
class PlaceMention(Span):
    #: gazetteer places (ingest.report.Place) the name may denote
    candidates: tuple = ()


def quoted_spans(text: str) -> list[Span]:
    """Spans of ``text`` between a pair of quotation marks, the marks included.

    >>> [s.text for s in quoted_spans('哪些县开展了“法律明白人”和《宪法》?')]
    ['“法律明白人”', '《宪法》']
    """
    pairs = lexicon()["quotes"]
    spans, i = [], 0
    while i < len(text):
        closing = pairs.get(text[i])
        if closing is not None:
            end = text.find(closing, i + 1)
            if end > i + 1:
                spans.append(Span(i, end + 1, text[i:end + 1]))
                i = end + 1
                continue
        i += 1
    return spans


def _inside(start: int, end: int, spans) -> bool:
    return any(s.start <= start and end <= s.end and (s.start, s.end) != (start, end) for s in spans)


def _overlaps(start: int, end: int, spans) -> bool:
    return any(start < s.end and s.start < end for s in spans)


def year_mentions(text: str, blocked: list[Span]) -> list[YearMention]:
    """Year expressions (single years, ranges, "since", "until") outside ``blocked`` spans."""
    found: list[YearMention] = []
    for kind in ("range", "since", "until", "single"):
        for pattern in lexicon()["years"][kind]:
            for match in re.finditer(pattern, text):
                if _overlaps(match.start(), match.end(), blocked) or _overlaps(match.start(), match.end(), found):
                    continue
                groups = match.groupdict()
                if kind == "single":
                    low = high = int(groups["year"])
                else:
                    low = int(groups["from"]) if groups.get("from") else None
                    high = int(groups["to"]) if groups.get("to") else None
                    if kind == "since":
                        high = None
                    if kind == "until":
                        # 2023年以前 is up to 2022: the year named is excluded
                        high, low = high - 1, None
                found.append(YearMention(match.start(), match.end(), match.group(), low, high))
    return sorted(found, key=lambda m: m.start)


def leftmost_longest(matches: list[tuple[int, int, object]]) -> list[tuple[int, int, object]]:
    """Non-overlapping matches, preferring the earliest start and then the longest.

    >>> leftmost_longest([(0, 3, "a"), (0, 6, "b"), (3, 6, "c"), (7, 9, "d")])
    [(0, 6, 'b'), (7, 9, 'd')]
    """
    chosen: list[tuple[int, int, object]] = []
    for start, end, value in sorted(matches, key=lambda m: (m[0], -(m[1] - m[0]))):
        if chosen and start < chosen[-1][1]:
            continue
        chosen.append((start, end, value))
    return chosen


@dataclass
class Frame:
    """A question rewritten for shape matching, and the mentions its tokens stand for."""

    question: str
    normalized: str
    #: the frame text: tokens in place of places and years
    text: str
    places: list[PlaceMention]
    years: list[YearMention]
    quoted: list[Span]
    #: frame index → (start, end) in ``normalized``
    origin: list[tuple[int, int]] = field(default_factory=list)

    def original(self, start: int, end: int) -> str:
        """The normalised question text behind frame[start:end] (tokens back to their words)."""
        if start >= end:
            return ""
        return self.normalized[self.origin[start][0]:self.origin[end - 1][1]]



def _strip_affixes(text: str, lex: dict) -> tuple[int, int]:
    """Bounds of ``text`` without the polite prefixes, particles and punctuation of the lexicon."""
    frame = lex["frame"]
    start, end = 0, len(text)
    changed = True
    while changed:
        changed = False
        while end > start and text[end - 1] in frame["trailing"]:
            end -= 1
            changed = True
        for suffix in frame["drop_suffixes"]:
            if end - start > len(suffix) and text[start:end].endswith(suffix):
                end -= len(suffix)
                changed = True
        for prefix in sorted(frame["drop_prefixes"], key=len, reverse=True):
            if text.startswith(prefix, start) and end - start > len(prefix):
                start += len(prefix)
                changed = True
                break
        while start < end and text[start] in " ,，:：":
            start += 1
            changed = True
    return start, end


def build_frame(question: str, linker) -> Frame:
    """Rewrite ``question`` into a :class:`Frame`.

    ``linker`` supplies ``scan_places(text)`` (place names with their gazetteer candidates) and
    ``scan_labels(text)`` (names of things the graph knows, to keep place names inside them).

    >>> from search.questions.link import Linker
    >>> frame = build_frame("2024年四川省有哪些乡镇开展了“枫桥经验”?", Linker.offline())
    >>> frame.text
    'ⓎⒿ有哪些乡镇开展了“枫桥经验”'
    """
    lex = lexicon()
    normalized = normalize(question)
    start, end = _strip_affixes(normalized, lex)
    body = normalized[start:end]
    quoted = [Span(s.start + start, s.end + start, s.text) for s in quoted_spans(body)]
    labels = [Span(s + start, e + start, body[s:e]) for s, e in linker.scan_labels(body)]
    blocked = quoted + labels
    years = [YearMention(m.start + start, m.end + start, m.text, m.year_from, m.year_to)
             for m in year_mentions(body, blocked)]
    places = []
    for s, e, candidates in linker.scan_places(body):
        s, e = s + start, e + start
        if _overlaps(s, e, quoted) or _inside(s, e, labels) or _overlaps(s, e, years):
            continue
        places.append(PlaceMention(s, e, normalized[s:e], tuple(candidates)))
    tokens = {m.start: (m.end, YEAR_TOKEN) for m in years}
    tokens.update({m.start: (m.end, PLACE_TOKEN) for m in places})
    text, origin, i = [], [], start
    while i < end:
        if i in tokens:
            stop, token = tokens[i]
            text.append(token)
            origin.append((i, stop))
            i = stop
        else:
            text.append(normalized[i])
            origin.append((i, i + 1))
            i += 1
    return Frame(question, normalized, "".join(text), places, years, quoted, origin)


# --- shapes ------------------------------------------------------------------------------------

def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _placeholders() -> dict[str, str]:
    lex = lexicon()
    filler = f"[{PLACE_TOKEN}{YEAR_TOKEN}在于的,、 ]*"
    return {
        "J": PLACE_TOKEN,
        "Y": YEAR_TOKEN,
        "F": filler,
        "EF": rf"(?:\s*(?:in|during|of|within|since|from|until|for)?\s*[{PLACE_TOKEN}{YEAR_TOKEN}])*",
        "level": f"(?P<level>{_alternation(lex['levels'])})",
        "verb": f"(?P<verb>{_alternation(lex['verbs'])})",
        "kind": f"(?P<kind>{_alternation(lex['kinds'])})",
        "which": f"(?:{_alternation(lex['frame']['which'])})",
        "thing": "(?P<thing>.+?)",
    }


@dataclass(frozen=True)
class Shape:
    name: str
    template: str
    places: str
    description: str
    patterns: tuple[re.Pattern, ...]
    options: dict
    examples: tuple[dict, ...]


def _compile(pattern: str, values: dict[str, str]) -> re.Pattern:
    # placeholders are {name}; regex quantifiers like {2} are digits and stay as they are
    expanded = re.sub(r"\{([A-Za-z]+)\}", lambda m: values[m.group(1)], pattern)
    return re.compile(expanded)


@lru_cache(maxsize=1)
def shapes() -> tuple[Shape, ...]:
    """The shapes of ``data/shapes.toml``, patterns compiled, in the order they are tried."""
    values = _placeholders()
    result = []
    for entry in _load_toml("shapes.toml")["shapes"]:
        result.append(Shape(
            name=entry["name"], template=entry["template"], places=entry["places"],
            description=entry["description"],
            patterns=tuple(_compile(p, values) for p in entry["patterns"]),
            options=dict(entry.get("options", {})), examples=tuple(entry.get("examples", ())),
        ))
    return tuple(result)


@dataclass
class Match:
    """A frame matched by a shape: the groups of the pattern, and the thing's text."""

    shape: Shape
    frame: Frame
    groups: dict[str, str | None]
    #: the question text where the pattern has {thing} (tokens put back), else None
    thing: str | None
    #: places outside the thing, in question order
    places: list[PlaceMention]
    #: year expressions outside the thing
    years: list[YearMention]
    #: where the thing's text lies in ``frame.normalized``
    thing_span: tuple[int, int] | None = None


def match_shape(frame: Frame) -> Match | None:
    """The first shape whose pattern matches the whole frame, or None.

    >>> from search.questions.link import Linker
    >>> m = match_shape(build_frame("哪些县开展了“法律明白人”?", Linker.offline()))
    >>> m.shape.name, m.groups["level"], m.groups["verb"], m.thing
    ('jurisdictions_with', '县', '开展', '“法律明白人”')
    """
    for shape in shapes():
        for pattern in shape.patterns:
            found = pattern.fullmatch(frame.text)
            if found is None:
                continue
            groups = found.groupdict()
            thing, span, places, years = None, None, list(frame.places), list(frame.years)
            if groups.get("thing") is not None:
                start, end = found.span("thing")
                thing = frame.original(start, end).strip()
                span = lo, hi = frame.origin[start][0], frame.origin[end - 1][1]
                places = [p for p in places if not lo <= p.start < hi]
                years = [y for y in years if not lo <= y.start < hi]
            return Match(shape, frame, groups, thing, places, years, span)
    return None
