"""The parts of an answer: evidence sentences, answer rows, and the page of them to return.

An answer on a large corpus is large: "which counties ran 法律明白人" has thousands of counties
and hundreds of thousands of sentences. :class:`Paging` says which rows to return and how much of
each; the counts (rows in all, sentences per row, jurisdictions per year …) stay whole whatever
is cut, so a reader always knows what a page leaves out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: rows on one page, evidence sentences per row and entries per list of a row, unless asked
ROWS_PER_PAGE = 50
EVIDENCE_PER_ROW = 10
LISTED_PER_ROW = 100
#: the row lists :class:`Paging` cuts, each with the key that keeps its whole count
LISTS = {"jurisdictions": "jurisdiction_count", "reports": "report_count"}


@dataclass(frozen=True)
class Evidence:
    """A sentence of a report: ``DataDir.read_text(report)[start:end] == text``."""

    report: str
    text: str
    start: int
    end: int

    def to_json(self) -> dict:
        return {"report": self.report, "text": self.text, "start": self.start, "end": self.end}


@dataclass
class Row:
    """One answer: a jurisdiction, a thing or a year, with the sentences that prove it."""

    label: str
    iri: str | None
    kind: str
    code: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    #: shape-specific facts (years, counts, which jurisdictions …), JSON-ready
    extra: dict[str, Any] = field(default_factory=dict)
    #: the row's evidence sentences in all (``evidence`` may hold the first of them only)
    evidence_count: int | None = None
    #: (report, start) of the evidence held: a popular thing gathers thousands of sentences, and
    #: scanning the list for each would take minutes
    _held: set[tuple[str, int]] = field(default_factory=set, repr=False, compare=False)

    def add_evidence(self, evidence: Evidence) -> None:
        if len(self._held) != len(self.evidence):
            self._held = {(e.report, e.start) for e in self.evidence}  # the list was set directly
        key = (evidence.report, evidence.start)
        if key not in self._held:
            self._held.add(key)
            self.evidence.append(evidence)

    def to_json(self) -> dict:
        data = {"label": self.label, "iri": self.iri, "code": self.code, "kind": self.kind}
        data.update(self.extra)
        data["evidence_count"] = len(self.evidence) if self.evidence_count is None else self.evidence_count
        data["evidence"] = [e.to_json() for e in self.evidence]
        return data


@dataclass(frozen=True)
class Paging:
    """Rows ``offset`` … ``offset + limit`` of an answer, each with its first ``evidence``
    sentences and the first ``listed`` entries of its lists (None: no limit).

    >>> page = Paging(offset=0, limit=2, evidence=1)
    >>> [row.label for row in page.cut([Row("甲", None, "year"), Row("乙", None, "year"), Row("丙", None, "year")])]
    ['甲', '乙']
    """

    offset: int = 0
    limit: int | None = ROWS_PER_PAGE
    evidence: int | None = EVIDENCE_PER_ROW
    listed: int | None = LISTED_PER_ROW

    def __post_init__(self):
        for name in ("offset", "limit", "evidence", "listed"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"paging: {name} must not be negative, got {value}")

    @classmethod
    def everything(cls) -> "Paging":
        """Every row with all its evidence: what an export or a comparison needs."""
        return cls(0, None, None, None)

    def window(self, total: int) -> range:
        """The positions of the rows on this page among ``total`` rows."""
        end = total if self.limit is None else min(total, self.offset + self.limit)
        return range(min(self.offset, total), end)

    def cut(self, rows: list[Row]) -> list[Row]:
        """The rows of this page, their evidence and lists cut, their counts kept whole."""
        page = [rows[i] for i in self.window(len(rows))]
        for row in page:
            self.trim(row)
        return page

    def trim(self, row: Row) -> None:
        if row.evidence_count is None:
            row.evidence_count = len(row.evidence)
        if self.evidence is not None:
            row.evidence = row.evidence[:self.evidence]
        for key, count_key in LISTS.items():
            if key in row.extra:
                row.extra.setdefault(count_key, len(row.extra[key]))
                if self.listed is not None:
                    row.extra[key] = row.extra[key][:self.listed]

    def to_json(self) -> dict:
        return {"offset": self.offset, "limit": self.limit, "evidence": self.evidence, "listed": self.listed}
