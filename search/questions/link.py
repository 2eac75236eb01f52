"""Entity linking: from the words of a question to IRIs of the knowledge graph.

Things (programs, initiatives, laws, documents) are linked through every name the graph gives
them — a program's skos:prefLabel/altLabel (hiddenLabel only for a whole quoted term), a law's
rdfs:label and schema:alternateName, an initiative's or document's label — in four tiers,
strongest first, a weaker tier tried only when the stronger ones found nothing:

``exact``      the term is a name (after folding quotes, spaces, brackets and case);
``contains``   the term contains names (法律明白人 and 法律顾问 in “1名法律顾问”+N名“法律明白人”); the
               longest non-overlapping ones count;
``contained``  the term is part of names (黄河保护 in 中华人民共和国黄河保护法);
``fuzzy``      difflib similarity at least ``fuzzy_ratio`` (法律名白人).

A tier that finds more than one thing is *ambiguous*: the question is then not answered but
asked back. Documents are considered only when no program, initiative or law fits, because
their long titles contain almost any term.

Places are linked through the official gazetteer (every division, not only those with reports),
so that a name shared by several divisions (城关镇: 82) is known to be ambiguous even when only
one of them has a report. A place written after one of its parents (通江县洪口镇) is resolved by
that parent.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ingest.gazetteer import Gazetteer, default_gazetteer
from ingest.lawlist import load_laws, normalize_title
from ingest.report import Place
from ontology import VOCABULARY_GRAPH, jurisdiction_iri, law_iri

from search.questions.parse import leftmost_longest, lexicon, normalize

#: kinds of thing, in the order a tier prefers them (documents last, see the module doc)
KINDS = ("program", "initiative", "law", "document")
PRIMARY_KINDS = ("program", "initiative", "law")

_IGNORED = re.compile(r"[\s\"'“”‘’「」『』《》〈〉<>]")

# The named things and their labels (patterns only; the queries below wrap them). DISTINCT:
# initiatives and documents are described again in every report graph that names them, and the
# union of the graphs would hand over one row per report (millions at 100k reports).
_ENTITY_PATTERNS = """
  {
    ?entity skos:inScheme fz:ProgramScheme .
    { ?entity skos:prefLabel ?label BIND("pref" AS ?labelKind) }
    UNION { ?entity skos:altLabel ?label BIND("alt" AS ?labelKind) }
    UNION { ?entity skos:hiddenLabel ?label BIND("hidden" AS ?labelKind) }
    BIND("program" AS ?kind)
  } UNION {
    ?entity a fz:Initiative ; skos:prefLabel ?label .
    BIND("pref" AS ?labelKind) BIND("initiative" AS ?kind)
  } UNION {
    ?entity a fz:Law .
    { ?entity rdfs:label ?label BIND("pref" AS ?labelKind) }
    UNION { ?entity schema:alternateName ?label BIND("alt" AS ?labelKind) }
    BIND("law" AS ?kind)
  } UNION {
    ?entity a fz:PolicyDocument ; rdfs:label ?label .
    BIND("pref" AS ?labelKind) BIND("document" AS ?kind)
  }
"""
_ENTITY_QUERY = f"SELECT DISTINCT ?entity ?kind ?label ?labelKind WHERE {{ {_ENTITY_PATTERNS} }}"
#: The same, in the vocabulary graph alone (programs and listed laws, with all their names): what
#: reports name besides comes from the summaries, without a scan of every report graph.
_VOCABULARY_ENTITY_QUERY = (f"SELECT DISTINCT ?entity ?kind ?label ?labelKind WHERE {{ "
                            f"GRAPH {VOCABULARY_GRAPH.n3()} {{ {_ENTITY_PATTERNS} }} }}")
_MENTIONED_QUERY = "SELECT DISTINCT ?entity WHERE { ?statement fz:object ?entity }"
_REPORTED_QUERY = "SELECT DISTINCT ?j WHERE { ?report a fz:Report ; dct:spatial ?j }"


def _named_things(store, summaries=None) -> tuple[list, set[str], set[str]]:
    """(entity rows (IRI, kind, label, label kind), IRIs some statement names, IRIs of jurisdictions
    some report is about): from the summaries and the vocabulary graph when there are summaries,
    else from a scan of the whole graph."""
    if summaries is None:
        return (list(store.query(_ENTITY_QUERY)), {str(row[0]) for row in store.query(_MENTIONED_QUERY)},
                {str(row[0]) for row in store.query(_REPORTED_QUERY)})
    # the summaries hold exactly the things statements name (an orphan is dropped at ingest)
    objects = summaries.object_labels()
    return ([*store.query(_VOCABULARY_ENTITY_QUERY), *objects], {row[0] for row in objects},
            {str(jurisdiction_iri(code)) for code in summaries.reported_codes()})


def fold(text: str) -> str:
    """The comparison form of a name: NFKC, no quotes or spaces, half-width brackets, lower case.

    >>> fold("《中华人民共和国 黄河保护法》") == fold("中华人民共和国黄河保护法")
    True
    """
    return _IGNORED.sub("", normalize_title(text)).lower()


@dataclass
class Entity:
    iri: str
    kind: str
    #: the name answers show (the Chinese preferred label where there is one)
    label: str
    #: folded names matched in every tier
    names: set[str] = field(default_factory=set)
    #: folded names matched only when they are the whole quoted term
    hidden: set[str] = field(default_factory=set)
    #: some statement has it as object
    mentioned: bool = False


@dataclass(frozen=True)
class Thing:
    """What a term was linked to: one name, possibly several IRIs (a program and an initiative
    of the same name are the same thing to a reader)."""

    label: str
    #: (IRI, kind) of every entity of that name
    members: tuple[tuple[str, str], ...]
    #: the tier that found it (exact, contains, contained, fuzzy)
    match: str
    #: the question's own words for it
    written: str

    @property
    def iris(self) -> tuple[str, ...]:
        return tuple(iri for iri, _ in self.members)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kind for _, kind in self.members))

    def to_json(self) -> dict:
        return {"label": self.label, "iris": list(self.iris), "kinds": list(self.kinds),
                "match": self.match, "written": self.written}


@dataclass
class Link:
    """The result of linking one term: ``things`` has one element when linked, more when
    ambiguous, none when unknown."""

    term: str
    things: list[Thing]
    tier: str | None

    @property
    def linked(self) -> Thing | None:
        return self.things[0] if len(self.things) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.things) > 1


@dataclass(frozen=True)
class PlaceLink:
    """A place mention and what it denotes: ``place`` when resolved, else the candidates."""

    text: str
    start: int
    end: int
    place: Place | None
    candidates: tuple[Place, ...]


class Linker:
    """Links terms to things and names to places; build one per data version and reuse it."""

    def __init__(self, entities: list[Entity], gazetteer: Gazetteer, reported: set[str] | None = None):
        self.entities = entities
        self.gazetteer = gazetteer
        #: IRIs of jurisdictions some report is about (None: not known, e.g. offline)
        self.reported = reported
        self._settings = lexicon()["linking"]
        self._by_name: dict[str, list[Entity]] = {}
        for entity in entities:
            for name in entity.names:
                self._by_name.setdefault(name, []).append(entity)
        self._hidden: dict[str, list[Entity]] = {}
        for entity in entities:
            for name in entity.hidden:
                self._hidden.setdefault(name, []).append(entity)
        self._short_names = self._province_and_city_short_names()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_store(cls, store, summaries=None) -> "Linker":
        """Every named thing of the graph, and the gazetteer. With ``summaries``
        (:class:`search.summaries.SummaryStore`, current for the store's reports) what is mentioned
        and which jurisdictions have reports is read from them instead of scanned in the graph."""
        entities: dict[tuple[str, str], Entity] = {}
        preferred: dict[tuple[str, str], str] = {}
        named, mentioned, reported = _named_things(store, summaries)
        for row in named:
            iri, kind, label, label_kind = str(row[0]), str(row[1]), row[2], str(row[3])
            entity = entities.setdefault((iri, kind), Entity(iri, kind, str(label)))
            folded = fold(str(label))
            if not folded:
                continue
            if label_kind == "hidden":
                entity.hidden.add(folded)
            else:
                entity.names.add(folded)
            if label_kind == "pref" and getattr(label, "language", None) in ("zh", None):
                preferred[(iri, kind)] = str(label)
        for key, entity in entities.items():
            entity.label = preferred.get(key, entity.label)
            entity.mentioned = entity.iri in mentioned
        return cls(sorted(entities.values(), key=lambda e: (e.kind, e.iri)), default_gazetteer(), reported)

    @classmethod
    def offline(cls) -> "Linker":
        """A linker from the shipped vocabulary alone (programs, law list, gazetteer): for
        parsing without a store, as in the doctests."""
        from ingest.vocab import programs

        entities = []
        for program in programs():
            entity = Entity(program.iri, "program", program.name)
            entity.names.update(fold(label) for label in program.labels)
            entity.hidden.update(fold(label) for label in program.quoted_labels)
            entities.append(entity)
        for law in load_laws():
            entity = Entity(str(law_iri(law.key)), "law", law.title)
            entity.names.update(fold(name) for name in (law.title, *law.shorts))
            entities.append(entity)
        return cls(entities, default_gazetteer())

    def _province_and_city_short_names(self) -> dict[str, list[Place]]:
        settings = lexicon()["places"]
        suffixes = sorted(settings["short_name_suffixes"], key=len, reverse=True)
        short: dict[str, list[Place]] = {}
        for place in self.gazetteer.by_code.values():
            if place.level not in settings["short_name_levels"]:
                continue
            for suffix in suffixes:
                if place.name.endswith(suffix) and len(place.name) - len(suffix) >= 2:
                    short.setdefault(place.name[:-len(suffix)], []).append(place)
                    break
        # a short name that is also a full name of some division is left to the full name
        return {name: places for name, places in short.items() if name not in self.gazetteer.by_name}

    # -- scanning a question -----------------------------------------------------------------

    def scan_places(self, text: str) -> list[tuple[int, int, list[Place]]]:
        """Non-overlapping place names in ``text`` (full names of three or more characters, and
        short names of provinces and prefecture-level cities), each with all the divisions it
        may denote."""
        found = [(start, end, list(self.gazetteer.by_name[name])) for start, end, name in self.gazetteer.scan(text)]
        for name, places in self._short_names.items():
            at = text.find(name)
            while at != -1:
                found.append((at, at + len(name), list(places)))
                at = text.find(name, at + 1)
        return leftmost_longest(found)

    def scan_labels(self, text: str, min_length: int = 4) -> list[tuple[int, int]]:
        """Spans of ``text`` that are names of things (four characters or more), so that the
        place names and years inside them are not read as filters."""
        haystack = fold_keeping_length(text)
        found = []
        for name in self._by_name:
            if len(name) < min_length:
                continue
            at = haystack.find(name)
            while at != -1:
                found.append((at, at + len(name), name))
                at = haystack.find(name, at + 1)
        return [(start, end) for start, end, _ in leftmost_longest(found)]

    # -- things ------------------------------------------------------------------------------

    def link(self, written: str, kinds=KINDS) -> Link:
        """Link a term of a question to things of the given kinds (see the module doc).

        >>> linker = Linker.offline()
        >>> linker.link("黄河保护法").linked.label
        '中华人民共和国黄河保护法'
        >>> [t.label for t in linker.link("“1名法律顾问”+N名“法律明白人”").things]
        ['法律明白人', '法律顾问制度']
        >>> [t.label for t in linker.link("热线").things]
        ['12345政务服务便民热线', '12348公共法律服务热线']
        """
        kinds = tuple(k for k in KINDS if k in kinds)
        term = fold(written)
        whole_quote = _is_one_quoted_span(written)
        if not term:
            return Link(written, [], None)
        for group in (tuple(k for k in kinds if k in PRIMARY_KINDS), tuple(k for k in kinds if k not in PRIMARY_KINDS)):
            if not group:
                continue
            for tier in ("exact", "contains", "contained", "fuzzy"):
                if tier == "contained" and group[0] not in PRIMARY_KINDS:
                    # a fragment is inside many long titles; a document is named by its title
                    continue
                found = getattr(self, f"_tier_{tier}")(term, group, whole_quote)
                if found:
                    return Link(written, _things(found, tier, written), tier)
        return Link(written, [], None)

    def _of_kinds(self, entities, kinds) -> list[Entity]:
        return [e for e in entities if e.kind in kinds]

    def _tier_exact(self, term: str, kinds, whole_quote: bool) -> list[Entity]:
        candidates = [term] + [term[:-len(a)] for a in self._settings["strip_affixes"]
                               if term.endswith(a) and len(term) > len(a) + 1]
        for candidate in candidates:
            found = self._of_kinds(self._by_name.get(candidate, ()), kinds)
            if whole_quote and not found:
                found = self._of_kinds(self._hidden.get(candidate, ()), kinds)
            if found:
                return found
        return []

    def _tier_contains(self, term: str, kinds, whole_quote: bool) -> list[Entity]:
        spans = []
        for name, entities in self._by_name.items():
            if len(name) < self._settings["min_contained_label"] or len(name) >= len(term):
                continue
            entities = self._of_kinds(entities, kinds)
            if not entities:
                continue
            at = term.find(name)
            while at != -1:
                spans.append((at, at + len(name), name))
                at = term.find(name, at + 1)
        chosen = leftmost_longest(spans)
        # only the longest names count: 法律明白人 in a term, not 明白 beside it
        return [e for _, _, name in chosen for e in self._of_kinds(self._by_name[name], kinds)]

    def _tier_contained(self, term: str, kinds, whole_quote: bool) -> list[Entity]:
        if len(term) < self._settings["min_containing_term"]:
            return []
        return [e for name, entities in self._by_name.items() if term in name and len(name) > len(term)
                for e in self._of_kinds(entities, kinds)]

    def _tier_fuzzy(self, term: str, kinds, whole_quote: bool) -> list[Entity]:
        if len(term) < self._settings["fuzzy_min_length"]:
            return []
        best, found = self._settings["fuzzy_ratio"], []
        for name, entities in self._by_name.items():
            entities = self._of_kinds(entities, kinds)
            if not entities or abs(len(name) - len(term)) > max(2, len(term) // 3):
                continue
            ratio = difflib.SequenceMatcher(None, term, name).ratio()
            if ratio > best + 1e-9:
                best, found = ratio, list(entities)
            elif abs(ratio - best) <= 1e-9:
                found.extend(entities)
        return found

    # -- places ------------------------------------------------------------------------------

    def resolve_places(self, mentions) -> list[PlaceLink]:
        """Resolve place mentions (with their candidate divisions) in question order.

        A mention right after another one (only 的 or spaces between) whose candidates include
        a parent of some of its own candidates is qualified by it, and the two become one
        mention (通江县洪口镇 → 洪口镇 of 通江县). A mention left with several candidates is
        ambiguous (``place`` None).
        """
        links: list[PlaceLink] = []
        for mention in mentions:
            candidates = list(mention.candidates)
            start, text = mention.start, mention.text
            if links:
                previous = links[-1]
                gap = mention.start - previous.end
                parents = [previous.place] if previous.place else list(previous.candidates)
                within = [c for c in candidates if any(self.gazetteer.is_within(c, p) and c.code != p.code
                                                       for p in parents)]
                if 0 <= gap <= 2 and within:
                    links.pop()
                    candidates, start, text = within, previous.start, previous.text + mention.text
            place = candidates[0] if len(candidates) == 1 else None
            links.append(PlaceLink(text, start, mention.end, place, tuple(candidates)))
        return links

    def place_iri(self, place: Place) -> str:
        return str(jurisdiction_iri(place.code))

    def place_context(self, place: Place) -> str:
        """The place's chain of names from its province down (四川省 巴中市 通江县 洪口镇)."""
        return " ".join(p.name for p in self.gazetteer.chain(place))

    def qualified_name(self, place: Place) -> str:
        """The place written after its parent (通江县洪口镇), as a question may qualify it."""
        parent = self.gazetteer.parent(place)
        return f"{parent.name}{place.name}" if parent else place.name

    def has_report(self, place: Place) -> bool | None:
        if self.reported is None:
            return None
        return self.place_iri(place) in self.reported


def fold_keeping_length(text: str) -> str:
    """``text`` normalised character by character (offsets kept), for finding folded names in
    it; quotes stay, so names are only found where the question writes them unquoted."""
    return normalize(text)


def _is_one_quoted_span(written: str) -> bool:
    pairs = lexicon()["quotes"]
    text = written.strip()
    return len(text) > 2 and pairs.get(text[0]) == text[-1] and text.find(pairs[text[0]], 1) == len(text) - 1


def _things(entities: list[Entity], tier: str, written: str) -> list[Thing]:
    """Entities grouped into things: same folded label → one thing (a program and an initiative
    both named 乡村振兴 法治同行)."""
    groups: dict[str, list[Entity]] = {}
    for entity in entities:
        groups.setdefault(fold(entity.label), []).append(entity)
    things = []
    for members in groups.values():
        members = list({e.iri: e for e in members}.values())
        label = next((e.label for e in members if e.kind in PRIMARY_KINDS), members[0].label)
        things.append(Thing(label, tuple(sorted((e.iri, e.kind) for e in members)), tier, written))
    return sorted(things, key=lambda t: t.label)
