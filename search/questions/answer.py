"""Answering a question: parse it, link its names, bind a template, run it, group the rows.

:func:`answer_question` is the one entry point for the command line and the web. Its
:class:`Answer` is understood (rows with evidence and the SPARQL that produced them) or not —
no shape fits, a name is unknown, or a name is ambiguous — and then carries suggestions, the
choices to pick from, and a full-text fallback. A question is never answered from a guess:
wherever linking is unsure, the answer says so instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from ontology import FZ, level_iri, relation_iri
from search.questions.link import KINDS, Link, Linker, PlaceLink, Thing
from search.questions.parse import Frame, Match, PLACE_TOKEN, YEAR_TOKEN, build_frame, lexicon, match_shape, shapes
from search.questions.grouped import companion_groups, statement_groups
from search.questions.rows import Evidence, Paging, Row
from search.questions.sparql import bind, template, with_prefixes

#: the statement class of each kind of thing
MENTION_CLASS = {"law": FZ.LawMention, "program": FZ.ProgramMention,
                 "initiative": FZ.InitiativeMention, "document": FZ.DocumentMention}
_KIND_OF_CLASS = {str(cls): kind for kind, cls in MENTION_CLASS.items()}
#: kinds a co-occurrence question counts when it names none (documents would drown the rest)
COMPANION_KINDS = ("program", "initiative", "law")
MAX_CHOICES = 20
MAX_SUGGESTIONS = 3


@dataclass
class Answer:
    """What :func:`answer_question` returns; :meth:`to_json` is what ``fzkg ask --format json``
    prints and what a page renders."""

    question: str
    understood: bool
    sparql: str | None = None
    #: parameter → the values bound to it (IRIs as strings, numbers, None for "any")
    bindings: dict[str, list] = field(default_factory=dict)
    answers: list[Row] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    shape: str | None = None
    #: what the question was read as: the shape, the linked things, places, level, years
    interpretation: dict[str, Any] = field(default_factory=dict)
    #: a count the shape asks for (how many jurisdictions …)
    total: int | None = None
    #: why it was not understood
    reason: str | None = None
    #: names that denote several things or places, with the choices
    ambiguous: list[dict] = field(default_factory=list)
    #: full-text search for the key terms of a question that was not understood
    fallback: dict | None = None
    #: the template with UNDEF rows: the query's structure, whatever was bound
    template: str | None = None
    #: the rows of the answer in all; ``answers`` holds those of ``paging`` only
    row_count: int | None = None
    paging: Paging = field(default_factory=Paging)
    #: where the rows came from: "graph" (the SPARQL above ran) or "summaries" (the same rows read
    #: from :class:`search.summaries.SummaryStore`); not part of the JSON, which is the same either way
    answered_from: str | None = None

    def to_json(self) -> dict:
        data = {"question": self.question, "understood": self.understood, "sparql": self.sparql,
                "bindings": self.bindings, "answers": [row.to_json() for row in self.answers],
                "suggestions": self.suggestions, "shape": self.shape,
                "interpretation": self.interpretation}
        if self.understood:
            data["row_count"] = self.row_count
            data["paging"] = self.paging.to_json()
        if self.total is not None:
            data["total"] = self.total
        if self.reason is not None:
            data["reason"] = self.reason
        if self.ambiguous:
            data["ambiguous"] = self.ambiguous
        if self.fallback is not None:
            data["fallback"] = self.fallback
        return data

    @property
    def labels(self) -> set[str]:
        return {row.label for row in self.answers}


# --- entry point -----------------------------------------------------------------------------

def answer_question(question: str, store, index=None, linker: Linker | None = None, summaries=None,
                    paging: Paging | None = None) -> Answer:
    """Answer ``question`` from the graph ``store`` (:class:`ingest.store.GraphStore`).

    ``index`` (:class:`search.index.SearchIndex`) feeds the full-text fallback of questions that
    are not understood; ``linker`` may be passed to reuse one across questions. With
    ``summaries`` (:class:`search.summaries.SummaryStore`, current for the store's reports), the
    aggregate shapes read their rows from it instead of running their SPARQL: the same rows, in
    milliseconds instead of seconds on a large corpus. ``paging`` (by default the first
    :data:`~search.questions.rows.ROWS_PER_PAGE` rows) says which rows to return and how much
    evidence of each; ``row_count`` and each row's ``evidence_count`` count them all.

    >>> from ingest.store import GraphStore                      # doctest: +SKIP
    >>> with GraphStore.open("data/graph", read_only=True) as store:   # doctest: +SKIP
    ...     answer = answer_question("哪些县开展了“法律明白人”?", store)
    ...     sorted(answer.labels)
    ['甘谷县']
    """
    linker = linker or Linker.from_store(store)
    frame = build_frame(question, linker)
    match = match_shape(frame)
    if match is None:
        return _not_understood(question, frame, None, linker, index,
                               "no supported question shape fits this question")
    return _Answering(question, match, linker, store, index, summaries, paging or Paging()).run()


class _Unanswerable(Exception):
    """Raised while reading a matched question to give up with an Answer already made."""

    def __init__(self, answer: Answer):
        self.answer = answer


class _Answering:
    """One matched question on its way to an answer."""

    def __init__(self, question: str, match: Match, linker: Linker, store, index, summaries, paging: Paging):
        self.question, self.match, self.linker, self.store, self.index = question, match, linker, store, index
        self.summaries = summaries
        self.paging = paging
        self.shape = match.shape
        self.groups = match.groups
        self.lex = lexicon()
        self.interpretation: dict[str, Any] = {"shape": self.shape.name, "description": self.shape.description}

    def fail(self, reason: str, **extra) -> None:
        answer = _not_understood(self.question, self.match.frame, self.match, self.linker, self.index, reason)
        answer.shape = self.shape.name
        for key, value in extra.items():
            setattr(answer, key, value)
        raise _Unanswerable(answer)

    def run(self) -> Answer:
        try:
            places = self.places()
            years = self.years()
            level = self.level()
            thing = self.thing()
            return getattr(self, f"answer_{self.shape.template.removesuffix('.rq')}")(places, years, level, thing)
        except _Unanswerable as stop:
            return stop.answer

    # -- reading the match ---------------------------------------------------------------------

    def places(self) -> list[PlaceLink]:
        links = self.linker.resolve_places(self.match.places)
        ambiguous = [link for link in links if link.place is None]
        if ambiguous:
            choices = [self.place_choices(link) for link in ambiguous]
            suggestions = []
            for link, entry in zip(ambiguous, choices):
                for choice in entry["choices"][:MAX_SUGGESTIONS]:
                    suggestions.append(self.rewrite(link.start, link.end, choice["qualified"]))
            self.fail("a place name denotes several divisions; say which", ambiguous=choices,
                      suggestions=suggestions)
        wanted = {"subject": 1, "pair": 2, "none": 0}.get(self.shape.places)
        if wanted is not None and len(links) != wanted:
            self.fail(f"this kind of question needs {wanted} place name(s), the question has {len(links)}")
        if self.shape.places == "pair" and links[0].place.code == links[1].place.code:
            self.fail("the two places compared are the same")
        self.interpretation["places"] = [self.place_json(link.place) | {"written": link.text} for link in links]
        return links

    def place_choices(self, link: PlaceLink) -> dict:
        # divisions with a report first: they are the likely ones, and the only ones with answers
        ordered = sorted(link.candidates, key=lambda p: (not self.linker.has_report(p), p.code))
        choices = [self.place_json(p) | {"context": self.linker.place_context(p),
                                         "qualified": self.linker.qualified_name(p),
                                         "has_report": self.linker.has_report(p)} for p in ordered[:MAX_CHOICES]]
        return {"mention": link.text, "kind": "jurisdiction", "count": len(link.candidates), "choices": choices}

    def place_json(self, place) -> dict:
        return {"label": place.name, "iri": self.linker.place_iri(place), "code": place.code, "level": place.level}

    def years(self) -> tuple[int | None, int | None] | None:
        mentions = self.match.years
        if not mentions:
            return None
        lows = [m.year_from for m in mentions]
        highs = [m.year_to for m in mentions]
        # several year expressions ("2023年和2024年") span from the earliest to the latest
        low = None if any(v is None for v in lows) else min(lows)
        high = None if any(v is None for v in highs) else max(highs)
        if low is not None and high is not None and low > high:
            self.fail("the years given leave no year")
        self.interpretation["years"] = {"from": low, "to": high}
        return low, high

    def level(self) -> dict | None:
        word = self.groups.get("level")
        if not word:
            return None
        entry = self.lex["levels"][word]
        if not entry["levels"]:
            return None
        self.interpretation["level"] = {"word": word, "levels": entry["levels"], "suffix": entry.get("suffix")}
        return entry

    def verb_relations(self) -> dict[str, str] | None:
        """kind → relation the question's verb means for it, or None when it names no verb."""
        verb = self.groups.get("verb")
        if not verb:
            return None
        return dict(self.lex["verbs"][verb])

    def kind_words(self) -> list[str] | None:
        word = self.groups.get("kind")
        return list(self.lex["kinds"][word]["kinds"]) if word else None

    def thing(self) -> Thing | None:
        if self.match.thing is None:
            return None
        relations = self.verb_relations()
        kinds = [k for k in KINDS if relations is None or k in relations]
        link = self.linker.link(self.match.thing, kinds)
        if link.ambiguous:
            self.fail("the name asked about fits several things; say which",
                      ambiguous=[self.thing_choices(link)],
                      suggestions=[self.rewrite(*self.match.thing_span, f"“{t.label}”")
                                   for t in link.things[:MAX_SUGGESTIONS]])
        if link.linked is None:
            self.fail(f"nothing in the graph is called {self.match.thing}")
        thing = link.linked
        self.interpretation["thing"] = thing.to_json()
        return thing

    def thing_choices(self, link: Link) -> dict:
        return {"mention": link.term, "kind": "thing", "count": len(link.things),
                "choices": [{"label": t.label, "iris": list(t.iris), "kinds": list(t.kinds)}
                            for t in link.things[:MAX_CHOICES]]}

    def rewrite(self, start: int, end: int, replacement: str) -> str:
        text = self.match.frame.normalized
        return text[:start] + replacement + text[end:]

    def relation_rows(self, thing: Thing) -> list[tuple]:
        """(object, relation) VALUES rows: each IRI of the thing with the verb's relation for
        its kind (None: any relation)."""
        relations = self.verb_relations()
        rows = []
        for iri, kind in thing.members:
            relation = relations.get(kind) if relations is not None else "any"
            rows.append((URIRef(iri), None if relation == "any" else relation_iri(relation)))
        self.interpretation["relations"] = sorted({str(r) if r else "any" for _, r in rows})
        return rows

    # -- running ---------------------------------------------------------------------------------

    def prepared(self, values: dict[tuple[str, ...], list[tuple]], answered_from: str) -> Answer:
        """The answer, without rows yet, for the shape's template bound with ``values``."""
        text = template(self.shape.template)
        query = with_prefixes(bind(text, values))
        bindings: dict[str, list] = {}
        for variables, value_rows in values.items():
            for position, variable in enumerate(variables):
                bindings[variable] = [_plain(row[position]) for row in value_rows]
        return Answer(self.question, True, sparql=query, bindings=bindings, shape=self.shape.name,
                      interpretation=self.interpretation, template=text, answered_from=answered_from,
                      paging=self.paging)

    def execute(self, values: dict[tuple[str, ...], list[tuple]]) -> tuple[Answer, list]:
        """The answer and every row of the template: from the summaries when they hold them."""
        rows = self.summaries.template_rows(self.shape.template, values) if self.summaries is not None else None
        answered_from = "summaries" if rows is not None else "graph"
        answer = self.prepared(values, answered_from)
        if rows is None:
            rows = list(self.store.query(answer.sparql))
        return answer, rows

    def grouped(self, values: dict, group) -> Answer | None:
        """The answer with the page's rows grouped in SQL (``group`` takes the summaries, the
        values and the paging), or None without summaries or for a binding they do not answer."""
        if self.summaries is None:
            return None
        grouped = group(self.summaries, values, self.paging)
        if grouped is None:
            return None
        answer = self.prepared(values, "summaries")
        answer.row_count, answer.answers = grouped
        return answer

    def paged(self, answer: Answer, rows: list[Row]) -> Answer:
        answer.row_count = len(rows)
        answer.answers = self.paging.cut(rows)
        return answer

    def filters(self, places, years, level, area: bool = True) -> dict:
        values: dict[tuple[str, ...], list[tuple]] = {}
        if level:
            values[("level",)] = [(level_iri(name),) for name in level["levels"]]
            if level.get("suffix"):
                values[("suffix",)] = [(level["suffix"],)]
        if area and places:
            values[("area",)] = [(URIRef(self.linker.place_iri(link.place)),) for link in places]
        if years is not None:
            values[("yearFrom", "yearTo")] = [years]
        return values

    # -- shapes ----------------------------------------------------------------------------------

    def answer_jurisdictions_with(self, places, years, level, thing) -> Answer:
        values = {("object", "relation"): self.relation_rows(thing), **self.filters(places, years, level)}
        group = self.shape.options.get("group", "jurisdiction")
        answer = self.grouped(values, lambda summaries, v, paging: statement_groups(summaries, v, paging, group))
        if answer is None:
            answer, rows = self.execute(values)
            self.paged(answer, _by_year(rows) if group == "year" else _by_jurisdiction(rows))
        if self.shape.options.get("count"):
            answer.total = answer.row_count
        return answer

    def answer_first_mention(self, places, years, level, thing) -> Answer:
        values = {("object", "relation"): self.relation_rows(thing), **self.filters(places, None, level)}
        answer = self.grouped(values, lambda summaries, v, paging: statement_groups(summaries, v, paging,
                                                                                      first_year=True))
        if answer is None:
            answer, rows = self.execute(values)
            self.paged(answer, _by_jurisdiction(rows))
        if answer.answers:
            answer.interpretation["first_year"] = answer.answers[0].extra["years"][0]
        return answer

    def answer_items_of(self, places, years, level, thing) -> Answer:
        # a comparison that names no kind compares practices and laws, not every document
        kinds = self.kind_words() or list(COMPANION_KINDS)
        relations = self.verb_relations()
        pairs = []
        for kind in kinds:
            relation = "any" if relations is None else relations.get(kind)
            if relation is not None:
                pairs.append((MENTION_CLASS[kind], None if relation == "any" else relation_iri(relation)))
        if not pairs:
            self.fail(f"“{self.groups.get('verb')}” does not go with {self.groups.get('kind')}")
        self.interpretation["kinds"] = [k for k in kinds if relations is None or k in relations]
        values = {("j",): [(URIRef(self.linker.place_iri(link.place)),) for link in places],
                  ("kind", "relation"): pairs, **self.filters([], years, None)}
        answer, rows = self.execute(values)
        wanted = [self.linker.place_iri(link.place) for link in places]
        return self.paged(answer, _by_object(rows, wanted, self.shape.options.get("mode", "one")))

    def answer_cooccurring(self, places, years, level, thing) -> Answer:
        kinds = self.kind_words() or list(COMPANION_KINDS)
        self.interpretation["kinds"] = kinds
        values = {("object",): [(URIRef(iri),) for iri in thing.iris],
                  ("otherKind",): [(MENTION_CLASS[kind],) for kind in kinds]}
        if self.shape.options.get("scope") == "sentence":
            values[("sentenceOnly",)] = [(True,)]
        answer = self.grouped(values, companion_groups)
        if answer is None:
            answer, rows = self.execute(values)
            self.paged(answer, _companions(rows, set(thing.iris)))
            _places_of_listed_reports(answer.answers)
        return answer


# --- grouping rows ------------------------------------------------------------------------------

def _plain(value):
    if value is None or isinstance(value, (int, bool)):
        return value
    return str(value)


def _evidence(row) -> Evidence:
    return Evidence(str(row.report), str(row.exact), int(row.start), int(row.end))


def _year(row) -> int | None:
    return int(row.year) if row.year is not None else None


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _by_jurisdiction(rows) -> list[Row]:
    found: dict[str, Row] = {}
    for row in rows:
        key = str(row.j)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = Row(str(row.jLabel), key, "jurisdiction", str(row.code),
                                     extra={"level": _local(row.level), "years": []})
        year = _year(row)
        if year is not None and year not in entry.extra["years"]:
            entry.extra["years"].append(year)
        entry.add_evidence(_evidence(row))
    for entry in found.values():
        entry.extra["years"].sort()
    return sorted(found.values(), key=lambda r: (r.extra["years"][:1] or [9999], r.code))


def _by_year(rows) -> list[Row]:
    found: dict[int | None, Row] = {}
    # the places each year holds, as a set: a year of a common program lists thousands of them
    listed: dict[int | None, set[tuple[str, str, str]]] = {}
    for row in rows:
        year = _year(row)
        entry = found.get(year)
        if entry is None:
            entry = found[year] = Row(str(year) if year is not None else "?", None, "year",
                                      extra={"year": year, "count": 0, "jurisdictions": []})
            listed[year] = set()
        place = {"label": str(row.jLabel), "iri": str(row.j), "code": str(row.code)}
        key = (place["label"], place["iri"], place["code"])
        if key not in listed[year]:
            listed[year].add(key)
            entry.extra["jurisdictions"].append(place)
            entry.extra["count"] += 1
        entry.add_evidence(_evidence(row))
    return sorted(found.values(), key=lambda r: (r.extra["year"] is None, r.extra["year"] or 0))


def _by_object(rows, jurisdictions: list[str], mode: str) -> list[Row]:
    found: dict[str, Row] = {}
    for row in rows:
        key = str(row.object)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = Row(str(row.objectLabel), key, _KIND_OF_CLASS.get(str(row.kind), _local(row.kind)),
                                     extra={"relations": [], "jurisdictions": []})
        relation = _local(row.relation)
        if relation not in entry.extra["relations"]:
            entry.extra["relations"].append(relation)
        place = str(row.jLabel)
        if place not in entry.extra["jurisdictions"]:
            entry.extra["jurisdictions"].append(place)
        entry.extra.setdefault("_iris", set()).add(str(row.j))
        entry.add_evidence(_evidence(row))
    result = []
    for entry in found.values():
        present = entry.extra.pop("_iris")
        if mode == "both" and not all(j in present for j in jurisdictions):
            continue
        result.append(entry)
    return sorted(result, key=lambda r: (KINDS.index(r.kind) if r.kind in KINDS else len(KINDS), r.label))


def _companions(rows, anchors: set[str]) -> list[Row]:
    found: dict[str, Row] = {}
    # (companion, report, start) of the sentences that also name an anchor: a sentence counts once
    # however many anchor statements it pairs with, and whichever pair comes first
    shared: set[tuple[str, str, int]] = set()
    # reports and jurisdiction names already listed per companion (the lists keep their order)
    listed: dict[str, tuple[set[str], set[str]]] = {}
    for row in rows:
        key = str(row.other)
        if key in anchors:
            continue
        entry = found.get(key)
        if entry is None:
            entry = found[key] = Row(str(row.otherLabel), key, _KIND_OF_CLASS.get(str(row.otherKind), "thing"),
                                     extra={"reports": [], "same_sentence": 0, "jurisdictions": [],
                                            "_place_of_report": {}})
        reports, places = listed.setdefault(key, (set(), set()))
        report = str(row.report)
        if report not in reports:
            reports.add(report)
            entry.extra["reports"].append(report)
            entry.extra["_place_of_report"][report] = str(row.jLabel)
        if str(row.jLabel) not in places:
            places.add(str(row.jLabel))
            entry.extra["jurisdictions"].append(str(row.jLabel))
        evidence = _evidence(row)
        entry.add_evidence(evidence)
        if bool(row.sameSentence) and (key, evidence.report, evidence.start) not in shared:
            shared.add((key, evidence.report, evidence.start))
            entry.extra["same_sentence"] += 1
    for entry in found.values():
        entry.extra["report_count"] = len(entry.extra["reports"])
    # the IRI last: two things of one name (a program and its same-named initiative) keep one order
    return sorted(found.values(), key=lambda r: (-r.extra["report_count"], -r.extra["same_sentence"], r.label, r.iri))


def _places_of_listed_reports(rows: list[Row]) -> None:
    """A companion's ``jurisdictions``: the places of the reports it lists (its count stays that of
    every report), as :func:`search.questions.grouped.companion_groups` gives them."""
    for row in rows:
        place_of_report = row.extra.pop("_place_of_report")
        row.extra["jurisdictions"] = list(dict.fromkeys(place_of_report[r] for r in row.extra["reports"]))


# --- not understood -----------------------------------------------------------------------------

def _not_understood(question: str, frame: Frame, match: Match | None, linker: Linker, index, reason: str) -> Answer:
    terms = _key_terms(frame, match)
    return Answer(question, False, reason=reason, suggestions=suggest(frame, match, linker),
                  fallback=full_text_fallback(terms, index))


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def _example_frame(example: str) -> str:
    return example.replace("{place}", PLACE_TOKEN).replace("{place2}", PLACE_TOKEN).replace("{thing}", "Ⓣ")


def suggest(frame: Frame, match: Match | None, linker: Linker, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Supported questions nearest to ``frame`` (character bigrams), filled with the question's
    own places and term where it has them."""
    text = frame.text.replace(YEAR_TOKEN, "")
    for span in frame.quoted:
        text = text.replace(span.text, "Ⓣ")
    mine = _bigrams(text)
    places = [link.place.name for link in linker.resolve_places(frame.places) if link.place is not None]
    term = match.thing if match is not None and match.thing else (frame.quoted[0].text if frame.quoted else None)
    scored = []
    for order, shape in enumerate(shapes()):
        for example in shape.examples:
            theirs = _bigrams(_example_frame(example["question"]))
            score = 2 * len(mine & theirs) / (len(mine) + len(theirs))
            filled = example["question"].format(
                place=places[0] if places else example.get("place", ""),
                place2=places[1] if len(places) > 1 else example.get("place2", ""),
                thing=term or example.get("thing", ""))
            scored.append((-score, order, filled))
    result = []
    for _, _, filled in sorted(scored):
        if filled not in result:
            result.append(filled)
    return result[:limit]


def _key_terms(frame: Frame, match: Match | None) -> list[str]:
    """What to look for in full text: the term asked about, else the quoted spans, else the
    question's content words."""
    settings = lexicon()["fallback"]
    pairs = lexicon()["quotes"]

    def unquote(text: str) -> str:
        text = text.strip()
        while len(text) > 2 and pairs.get(text[0]) == text[-1]:
            text = text[1:-1].strip()
        return text

    if match is not None and match.thing:
        terms = [unquote(match.thing)]
    elif frame.quoted:
        terms = [unquote(span.text) for span in frame.quoted]
    else:
        from ingest.segment import default_segmenter

        stop = set(settings["stop_words"]) | set(lexicon()["frame"]["which"])
        words = [w for w in default_segmenter().words(frame.normalized)
                 if len(w) > 1 and w not in stop and any(c.isalnum() for c in w)]
        terms = sorted(dict.fromkeys(words), key=len, reverse=True)
    return [t for t in terms if t][:settings["max_terms"]]


def full_text_fallback(terms: list[str], index) -> dict:
    """Key-word-in-context lines for each term from the full-text ``index`` (none without one).

    The terms go to the concordance as plain phrases — no query language is parsed from them.
    """
    from search.query import And, Phrase, explain, normalise

    settings = lexicon()["fallback"]
    phrases = [normalise(t) for t in terms if normalise(t)]
    query = explain(And(tuple(Phrase(p) for p in phrases))) if len(phrases) > 1 else (
        explain(Phrase(phrases[0])) if phrases else "")
    result: dict[str, Any] = {"query": query, "terms": phrases, "total": None, "hits": []}
    if index is None or not phrases:
        return result
    total = 0
    for phrase in phrases:
        concordance = index.concordance(phrase, width=settings["width"], page_size=settings["hits_per_term"])
        total += concordance.total
        result["hits"] += [line.to_json() | {"term": phrase} for line in concordance.lines]
    result["total"] = total
    return result
