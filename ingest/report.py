"""The report object that flows through the ingest pipeline, and the spans it carries.

Every offset is a character offset into ``Report.original`` (the decoded text as published).
``Report.text`` is the matching form of the same text: exactly as long, character for character,
so an offset found in one is valid in the other.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, NamedTuple

LEVELS = ("province", "city", "county", "district", "township")
LAW_RELATIONS = ("studied", "applied", "cited")
DOCUMENT_RELATIONS = ("issued", "implemented", "cited")


@dataclass(frozen=True)
class Evidence:
    """The sentence that proves a fact: its original text and where it sits in the report."""

    text: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.text, self.start, self.end)


class Token(NamedTuple):
    """A word from segmentation: its surface (normalised) form and offsets.

    A named tuple, not a dataclass: a report has thousands, and building them is on the ingest
    path (segmenting, and unpickling reports sent back from extraction workers).
    """

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Place:
    """One administrative division of the gazetteer."""

    name: str
    code: str
    level: str
    parent_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code}


@dataclass
class Jurisdiction:
    """The area a report speaks for, with its parents from the highest level down."""

    name: str
    level: str
    code: str
    parents: list[Place] = field(default_factory=list)
    #: Other divisions the clues also fit; non-empty means the choice is recorded as ambiguous.
    alternatives: list[Place] = field(default_factory=list)
    #: What decided it (e.g. "title", "signature", "source line", "self-reference").
    basis: str = ""
    evidence: Evidence | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "code": self.code,
            "parents": [p.to_json() for p in self.parents],
        }


@dataclass
class Publisher:
    name: str
    kind: str  # department | government | party | other
    evidence: Evidence | None = None
    #: a department's full name without its area (人力资源和社会保障局), from the department list
    department: str | None = None
    #: the division name written before the department (长沙县), or the level a bare level word
    #: gives (县司法局 → county)
    area: str | None = None
    level: str | None = None
    #: offsets of the name as written; equal when the name was inferred from the line of work
    start: int = 0
    end: int = 0
    #: what found it: title, source line, signature, opening sentence, self-reference, line of work
    basis: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind}


@dataclass
class LawMention:
    title: str  # canonical title
    written: str  # as written in the report (inside 《》 or bare)
    relation: str  # studied | applied | cited
    rank: str  # 法律 | 行政法规 | 地方性法规 | 规章 | 党内法规 | 宪法 | 司法解释 | unknown
    key: str  # stable identifier of the act
    evidence: Evidence
    listed: bool = False  # found in the shipped law list
    #: offsets of the title as written (inside 《》 when quoted)
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "written": self.written, "relation": self.relation,
                "rank": self.rank, "evidence": self.evidence.to_json()}


@dataclass
class DocumentMention:
    title: str
    relation: str  # issued | implemented | cited
    evidence: Evidence
    #: offsets of the mention itself
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "relation": self.relation, "evidence": self.evidence.to_json()}


@dataclass
class ProgramMention:
    name: str  # the program's preferred label
    key: str  # the program's concept key in the vocabulary
    written: str  # as written
    evidence: Evidence
    #: offsets of the mention itself
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "written": self.written, "evidence": self.evidence.to_json()}


@dataclass
class InitiativeMention:
    name: str
    evidence: Evidence
    #: offsets of the mention itself
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "evidence": self.evidence.to_json()}


@dataclass
class Figure:
    what: str
    value: int | float
    unit: str
    approx: bool
    evidence: Evidence
    #: offsets of the number-and-unit in the original text
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "value": self.value, "unit": self.unit,
                "approx": self.approx, "evidence": self.evidence.to_json()}


def content_hash(text: str) -> str:
    """Identity of a report: the hash of its decoded text (same text in any encoding → same id)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Report:
    source: str
    original: str
    text: str = ""
    format: str = "txt"
    encoding: str = "utf-8"
    #: (start, end) spans of web-page boilerplate, blanked in ``text``
    boilerplate: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    title: str | None = None
    year: int | None = None
    published: str | None = None
    jurisdiction: Jurisdiction | None = None
    publisher: Publisher | None = None
    laws: list[LawMention] = field(default_factory=list)
    documents: list[DocumentMention] = field(default_factory=list)
    programs: list[ProgramMention] = field(default_factory=list)
    initiatives: list[InitiativeMention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    #: things the extractor noticed but could not settle (ambiguity, missing clues)
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        # hashing ~10 KB of text costs ~0.1 ms and the writers ask for the id once per fact;
        # the hash is kept with the very string it was computed from, so a new text gets a new id
        cached = self.__dict__.get("_id_of_text")
        if cached is None or cached[0] is not self.original:
            cached = self.__dict__["_id_of_text"] = (self.original, content_hash(self.original))
        return cached[1]

    def sentence_at(self, offset: int) -> Sentence:
        """The sentence that contains ``offset``."""
        sentence = self.sentence_containing(offset)
        if sentence is None:
            raise ValueError(f"offset {offset} lies in no sentence of {self.source}")
        return sentence

    def sentence_containing(self, offset: int) -> Sentence | None:
        """The sentence that contains ``offset``, or None (a title or signature line between sentences)."""
        import bisect

        starts = [s.start for s in self.sentences]
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0 or offset >= self.sentences[i].end:
            return None
        return self.sentences[i]

    def to_json(self) -> dict[str, Any]:
        """The ``fzkg extract --format json`` shape (one object per report)."""
        return {
            "source": self.source,
            "title": self.title,
            "year": self.year,
            "published": self.published,
            "jurisdiction": self.jurisdiction.to_json() if self.jurisdiction else None,
            "publisher": self.publisher.to_json() if self.publisher else None,
            "laws": [m.to_json() for m in self.laws],
            "documents": [m.to_json() for m in self.documents],
            "programs": [m.to_json() for m in self.programs],
            "initiatives": [m.to_json() for m in self.initiatives],
            "figures": [m.to_json() for m in self.figures],
        }
