"""The jurisdiction a report speaks for, resolved against the official table of divisions.

Clues, in the order of their weight: where a division name stands (title, source line, signature,
the "现将…报告如下" sentence, local document titles, running text), how the report refers to itself
("我县", "全乡" give the level), and which of its parents the text also names (that is how a name
shared by many divisions, such as 城关镇, is told apart). When the clues cannot separate two
divisions, the choice is recorded with its alternatives rather than made silently.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from ingest.extract.meta import head_lines, signature_lines, title_span
from ingest.extract.text import clause_span, find_all, inside_title, names_a_superior
from ingest.gazetteer import Gazetteer, default_gazetteer
from ingest.report import Jurisdiction, Place, Report
from ingest.vocab import cues

#: Weight of one mention of a division name, by where it stands.
ZONE_WEIGHT = {"addressee": 0, "publisher": 8, "title": 6, "source": 6, "signature": 6, "statement": 4, "document": 1, "body": 1}
#: Bonus when a division's level matches how the report refers to itself.
SELF_LEVEL_BONUS = 5
#: Levels from the top down, to tell a division above the report's own level.
RANK = {"province": 0, "city": 1, "county": 2, "district": 2, "township": 3}
#: How many of the tied divisions an ambiguity note names.
NOTE_ALTERNATIVES = 5
#: Self-reference levels and the division levels they fit ("我市" fits a county-level city too).
FITS = {"county": {"county"}, "district": {"district"}, "township": {"township"},
        "city": {"city", "county"}, "province": {"province"}}


def self_level(text: str) -> str | None:
    """The level implied by how the report refers to itself, by the weightiest self-reference.

    "我县" and "本县" speak for the report's own area; "全省" often speaks of the superior one
    ("在全省率先", "全省首批"), so a 全 word counts less, and not at all in those phrases.
    """
    settings = cues()["self_reference"]
    superior = re.compile("|".join(re.escape(w) for w in settings["superior_after"]))
    counts = Counter()
    for level, words in settings["levels"].items():
        for word in words:
            weight = settings["whole_area_weight"] if word.startswith("全") else settings["own_weight"]
            for at in find_all(text, word):
                if word.startswith("全") and (text[at - 1:at] == "在" or superior.match(text, at + len(word))):
                    continue
                counts[level] += weight
    if not counts:
        return None
    level, count = counts.most_common(1)[0]
    return level if count else None


def _zones(report: Report) -> list[tuple[str, int, int]]:
    zones = []
    publisher = report.publisher
    if publisher is not None and publisher.end > publisher.start:
        zones.append(("publisher", publisher.start, publisher.end))
    # "中共某州委、某州人民政府:" addresses the superior; it names a parent, not the report's area
    for start, end in head_lines(report):
        line = report.text[start:end]
        if line.endswith((":", "：")) and any(body in line for body in cues()["report"]["addressee_bodies"]):
            zones.append(("addressee", start, end))
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
    return "document" if inside_title(text, position) else "body"


def fits_level(place: Place | Jurisdiction, level: str | None) -> bool:
    """Whether a division is of the level a self-reference or level word gives (我市 fits a 县级市 too)."""
    if level is None:
        return False
    if level == "city" and place.level == "county":
        return place.name.endswith("市")  # a county-level city calls itself 我市
    return place.level in FITS[level]


def _names_a_parent(gazetteer: Gazetteer, name: str, child: str) -> bool:
    """Whether a division called ``name`` is a parent of one called ``child``."""
    parents = gazetteer.by_name[name]
    return any(gazetteer.is_within(place, parent) for place in gazetteer.by_name[child] for parent in parents
               if place.code != parent.code)


def _in_superior_clause(report: Report, position: int) -> bool:
    """Whether ``position`` lies in a clause like "在某市委、市政府的坚强领导下"."""
    sentence = report.sentence_containing(position)
    if sentence is None:
        return False
    return names_a_superior(report.text[slice(*clause_span(report.text, position, sentence.start, sentence.end))])


def score_candidates(report: Report, gazetteer: Gazetteer) -> list[tuple[float, int, Place]]:
    """Every division the text names as (score, parents named, place), best first."""
    text = report.text
    zones = _zones(report)
    weight_by_name: dict[str, float] = defaultdict(float)
    found = gazetteer.scan(text)
    name_at = {start: name for start, _end, name in found}
    for start, end, name in found:
        if any(s <= start < e for s, e in report.boilerplate):
            continue
        zone = _zone_of(start, zones, text)
        if end in name_at and _names_a_parent(gazetteer, name, name_at[end]):
            zone = "body"  # 通江县洪口镇: the county is named as the township's parent
        elif _in_superior_clause(report, start):
            zone = "addressee"  # "在临夏州委、州政府的坚强领导下": a parent, not the report's area
        weight_by_name[name] += ZONE_WEIGHT[zone]
    # a department's own level word (县司法局) says more than the counts of 我县 and 全省
    level = report.publisher.level if report.publisher and report.publisher.level else self_level(text)
    named = {p.code for name in weight_by_name for p in gazetteer.by_name[name]} | gazetteer.support_codes(text)
    scored = []
    for name, weight in weight_by_name.items():
        for place in gazetteer.by_name[name]:
            score = weight
            if fits_level(place, level):
                score += SELF_LEVEL_BONUS
            parents = gazetteer.chain(place)[:-1]
            support = sum(1 for p in parents if p.code in named)
            scored.append((score, support, place))
    # parents named in the text tell apart divisions of one name (城关镇); they do not make a
    # county named once as an example outweigh the city the report speaks for
    scored.sort(key=lambda triple: (-triple[0], -triple[1], triple[2].code))
    return scored


def extract_jurisdiction(report: Report, gazetteer: Gazetteer | None = None) -> Report:
    gazetteer = gazetteer or default_gazetteer()
    scored = score_candidates(report, gazetteer)
    if not scored:
        report.notes.append("no administrative division is named in the text")
        return report
    best_score, best_support, best = scored[0]
    written = report.publisher.level if report.publisher else None
    if written and RANK[written] > RANK[best.level] and not fits_level(best, written):
        # "市水务局" in a report that names only its province: the city is not named, and the
        # province is not the report's jurisdiction
        report.notes.append(f"the report speaks for a {written} it does not name (the highest division "
                            f"named is {best.name}); no jurisdiction recorded")
        return report
    tied = [place for score, support, place in scored[1:]
            if (score, support) == (best_score, best_support) and place.level == best.level]
    chain = gazetteer.chain(best)
    first = report.text.find(best.name)
    sentence = report.sentence_containing(first)
    report.jurisdiction = Jurisdiction(
        name=best.name, level=best.level, code=best.code, parents=chain[:-1], alternatives=tied,
        basis="score %.0f, %d parents named" % (best_score, best_support), evidence=sentence.evidence if sentence else None,
    )
    if tied:
        shown = [best] + tied[:NOTE_ALTERNATIVES - 1]
        more = len(tied) + 1 - len(shown)
        report.notes.append(
            f"jurisdiction {best.name} is ambiguous: the text fits {len(tied) + 1} divisions ("
            + ", ".join(f"{p.code} {'/'.join(x.name for x in gazetteer.chain(p)[:-1])}" for p in shown)
            + (f" and {more} more" if more else "") + f"); chose {best.code}, the lowest code")
    return report
