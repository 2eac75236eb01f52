"""The jurisdiction a report speaks for, resolved against the official table of divisions.

Clues, in the order of their weight: where a division name stands (title, source line, signature,
the "现将…报告如下" sentence, local document titles, running text), how the report refers to itself
("我县", "全乡" give the level), and which of its parents the text also names (that is how a name
shared by many divisions, such as 城关镇, is told apart). When the clues cannot separate two
divisions, the choice is recorded with its alternatives rather than made silently.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from ingest.extract.meta import head_lines, signature_lines, title_span
from ingest.gazetteer import Gazetteer, default_gazetteer
from ingest.report import Jurisdiction, Place, Report
from ingest.vocab import cues

#: Weight of one mention of a division name, by where it stands.
ZONE_WEIGHT = {"title": 6, "source": 6, "signature": 6, "statement": 4, "document": 1, "body": 1}
#: Bonus when a division's level matches how the report refers to itself.
SELF_LEVEL_BONUS = 5
#: Bonus for each parent of a division that the text also names.
PARENT_SUPPORT = 2
#: How many of the tied divisions an ambiguity note names.
NOTE_ALTERNATIVES = 5
#: Self-reference levels and the division levels they fit ("我市" fits a county-level city too).
FITS = {"county": {"county"}, "district": {"district"}, "township": {"township"},
        "city": {"city", "county"}, "province": {"province"}}


def self_level(text: str) -> str | None:
    """The level implied by how the report refers to itself, by the most frequent self-reference."""
    counts = Counter()
    for level, words in cues()["self_reference"].items():
        counts[level] = sum(text.count(word) for word in words)
    level, count = counts.most_common(1)[0]
    return level if count else None


def _zones(report: Report) -> list[tuple[str, int, int]]:
    zones = []
    span = title_span(report)
    if span:
        zones.append(("title", *span))
    markers = cues()["report"]["source_markers"]
    for start, end in head_lines(report):
        if any(marker in report.text[start:end] for marker in markers):
            zones.append(("source", start, end))
    for start, end in signature_lines(report):
        if end - start <= 30:
            zones.append(("signature", start, end))
    endings = cues()["report"]["statement_endings"]
    for sentence in report.sentences:
        if any(ending in report.text[sentence.start:sentence.end] for ending in endings):
            zones.append(("statement", sentence.start, sentence.end))
    return zones


def _zone_of(position: int, zones, text: str) -> str:
    for name, start, end in zones:
        if start <= position < end:
            return name
    opened = text.rfind("《", 0, position)
    if opened >= 0 and text.rfind("》", opened, position) < 0:
        return "document"
    return "body"


def _fits(place: Place, level: str | None) -> bool:
    if level is None:
        return False
    if level == "city" and place.level == "county":
        return place.name.endswith("市")  # a county-level city calls itself 我市
    return place.level in FITS[level]


def score_candidates(report: Report, gazetteer: Gazetteer) -> list[tuple[float, Place]]:
    """Every division the text names, scored as the report's own jurisdiction, best first."""
    text = report.text
    zones = _zones(report)
    weight_by_name: dict[str, float] = defaultdict(float)
    for start, _end, name in gazetteer.scan(text):
        if any(s <= start < e for s, e in report.boilerplate):
            continue
        weight_by_name[name] += ZONE_WEIGHT[_zone_of(start, zones, text)]
    level = self_level(text)
    named = {p.code for name in weight_by_name for p in gazetteer.by_name[name]}
    scored = []
    for name, weight in weight_by_name.items():
        for place in gazetteer.by_name[name]:
            score = weight
            if _fits(place, level):
                score += SELF_LEVEL_BONUS
            parents = gazetteer.chain(place)[:-1]
            score += PARENT_SUPPORT * sum(1 for p in parents if p.code in named)
            scored.append((score, place))
    scored.sort(key=lambda pair: (-pair[0], pair[1].code))
    return scored


def extract_jurisdiction(report: Report, gazetteer: Gazetteer | None = None) -> Report:
    gazetteer = gazetteer or default_gazetteer()
    scored = score_candidates(report, gazetteer)
    if not scored:
        report.notes.append("no administrative division is named in the text")
        return report
    best_score, best = scored[0]
    tied = [place for score, place in scored[1:] if score == best_score and place.level == best.level]
    chain = gazetteer.chain(best)
    first = report.text.find(best.name)
    sentence = next((s for s in report.sentences if s.start <= first < s.end), None)
    report.jurisdiction = Jurisdiction(
        name=best.name, level=best.level, code=best.code, parents=chain[:-1], alternatives=tied,
        basis="score %.0f" % best_score, evidence=sentence.evidence if sentence else None,
    )
    if tied:
        shown = [best] + tied[:NOTE_ALTERNATIVES - 1]
        more = len(tied) + 1 - len(shown)
        report.notes.append(
            f"jurisdiction {best.name} is ambiguous: the text fits {len(tied) + 1} divisions ("
            + ", ".join(f"{p.code} {'/'.join(x.name for x in gazetteer.chain(p)[:-1])}" for p in shown)
            + (f" and {more} more" if more else "") + f"); chose {best.code}, the lowest code")
    return report
