"""What a search engine indexes for one report."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.report import Place, Report, Token

#: Levels whose division is filed under ``county``: a district is a county-level division.
COUNTY_LEVELS = ("county", "district")


@dataclass
class IndexDoc:
    """One report as an engine sees it.

    ``text`` is the normalised form of ``original`` (same length), and ``tokens`` are words of
    ``text`` with offsets into it. Place names are empty strings when the report has none at that
    level (a province's report has no city); ``year`` is ``None`` when unknown.
    """

    report_id: str
    source: str
    title: str
    original: str
    text: str
    tokens: list[Token] = field(default_factory=list)
    jurisdiction: str = ""
    code: str = ""
    level: str = ""
    province: str = ""
    city: str = ""
    county: str = ""
    province_code: str = ""
    city_code: str = ""
    county_code: str = ""
    publisher: str = ""
    publisher_kind: str = ""
    year: int | None = None

    def __post_init__(self) -> None:
        if len(self.text) != len(self.original):
            raise ValueError(f"{self.source}: normalised text has {len(self.text)} characters, "
                             f"the original {len(self.original)}; offsets would not carry over")

    @classmethod
    def from_report(cls, report: Report, tokens: list[Token] | None = None) -> "IndexDoc":
        """Build from a report; segments ``report.text`` only when neither ``tokens`` nor
        ``report.tokens`` are given."""
        from ingest.normalize import normalise

        text = report.text or normalise(report.original)
        if tokens is None:
            tokens = report.tokens
        if not tokens:
            from ingest.segment import default_segmenter

            tokens = default_segmenter().tokens(text)
        places = _places_by_level(report)
        jurisdiction = report.jurisdiction
        publisher = report.publisher
        return cls(
            report_id=report.id,
            source=report.source,
            title=report.title or "",
            original=report.original,
            text=text,
            tokens=list(tokens),
            jurisdiction=jurisdiction.name if jurisdiction else "",
            code=jurisdiction.code if jurisdiction else "",
            level=jurisdiction.level if jurisdiction else "",
            province=places["province"].name if "province" in places else "",
            city=places["city"].name if "city" in places else "",
            county=places["county"].name if "county" in places else "",
            province_code=places["province"].code if "province" in places else "",
            city_code=places["city"].code if "city" in places else "",
            county_code=places["county"].code if "county" in places else "",
            publisher=publisher.name if publisher else "",
            publisher_kind=publisher.kind if publisher else "",
            year=report.year,
        )

    def metadata(self) -> dict:
        """Every field except the texts and tokens (what an engine stores beside the text)."""
        return {
            "report_id": self.report_id, "source": self.source, "title": self.title,
            "jurisdiction": self.jurisdiction, "code": self.code, "level": self.level,
            "province": self.province, "city": self.city, "county": self.county,
            "province_code": self.province_code, "city_code": self.city_code,
            "county_code": self.county_code, "publisher": self.publisher,
            "publisher_kind": self.publisher_kind, "year": self.year,
        }


def _places_by_level(report: Report) -> dict[str, Place]:
    """The report's jurisdiction and its parents, keyed province / city / county."""
    jurisdiction = report.jurisdiction
    if jurisdiction is None:
        return {}
    chain = list(jurisdiction.parents) + [Place(jurisdiction.name, jurisdiction.code, jurisdiction.level)]
    found: dict[str, Place] = {}
    for place in chain:
        key = "county" if place.level in COUNTY_LEVELS else place.level
        if key in ("province", "city", "county"):
            # Parents run from the highest level down, so the last one of a level is the nearest.
            found[key] = place
    return found
