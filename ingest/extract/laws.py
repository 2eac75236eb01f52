"""Legal acts and policy documents named in a report, with how the jurisdiction relates to each.

A 《…》 title is resolved against the law list; failing that, its wording decides: titles with
policy words (方案, 意见, 计划 …) are documents; an act ending (条例, 规定, 办法, 法 …) issued in a
province or city's name is a local regulation or rule, in a county's name a normative document.
Bare mentions (学习宪法、民法典) are taken only for acts in the list and only next to a study or
application word or another act, because 宪法 in 宪法宣传周 names a campaign, not the text.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ingest.extract.text import TITLE, clause_span, inside_title
from ingest.gazetteer import default_gazetteer
from ingest.lawlist import load_laws
from ingest.report import DocumentMention, LawMention, Report, Sentence
from ontology import stable_key
from ingest.vocab import cues

PRC = "中华人民共和国"
PARTY = "中国共产党"
PARTY_SHORT = "中共"
#: An act title needs words before its ending (《条例》 alone is an abbreviation).
BARE_FORM_MAX = 2
YEAR_FIRST = re.compile(r"(?:19|20)\d{2}(?:年|—|-)")
#: Characters that may follow a bare act name in an enumeration.
LIST_FOLLOWERS = set("、,，和及与等。;；《\"")
#: How far back from a bare name a context word may stand.
BARE_CONTEXT_WINDOW = 6
ISSUER_WINDOW = 6


@lru_cache(maxsize=1)
def _bare_pattern() -> re.Pattern:
    names = set()
    for entry in load_laws().entries:
        names.add(entry.title)
        names.update(short for short in entry.shorts if len(short) >= 2)
    alternatives = sorted(names, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in alternatives))


def classify_title(title: str, before: str) -> tuple[str, str]:
    """("law", rank) or ("document", "") for an unlisted 《title》; ``before`` is the text just before it.

    The form and the issuer decide, as the Legislation Law does: 法 is a law; 条例 an
    administrative regulation, or a local one when a province or city is named first; 规定 and
    办法 a rule (规章) only when a province or city, or the State Council itself, issues them —
    the same words from the General Offices (中办, 国办), from a county or from an office are
    normative documents; the Party's regulations are its 条例 and 准则. A title that opens with a
    year (2023年度…考评办法) is a body's own document.
    """
    word_cues = cues()["laws"]
    core = re.sub(r"\(.*?\)$", "", title)  # a trailing (试行) or (2021年修订) does not change the kind
    if any(word in core for word in word_cues["document_words"]) or YEAR_FIRST.match(core):
        return "document", ""
    if core.startswith(PARTY) or core.startswith(PARTY_SHORT):
        if core.startswith(PARTY) and any(core.endswith(e) for e in word_cues["party_act_endings"]):
            return "law", "党内法规"
        return "document", ""  # 中共某县委…工作规则 is a Party committee's own rule
    ending = next((e for e in sorted(word_cues["act_endings"], key=len, reverse=True) if core.endswith(e)), None)
    if ending is None or any(core.endswith(e) for e in word_cues["not_act_endings"]):
        return "document", ""
    if len(core) - len(ending) < BARE_FORM_MAX:
        return "document", ""  # 《条例》, 《规则》, 《两法》: an abbreviation without its act
    if ending in ("办法", "细则", "规定") and not _implements_a_law(core):
        if any(word in core for word in word_cues["own_work_words"]):
            return "document", ""  # 考核办法, 督察工作规定, 实施办法 of a policy: a body's own rules
    place = next(((s, e, p) for s, e, name in default_gazetteer().scan(core) if s == 0
                  for p in default_gazetteer().by_name[name]), None)
    if place is not None:
        _s, place_end, place = place
        if core[place_end:].startswith(tuple(word_cues["own_body_words"])):
            return "document", ""  # 某市政府合同管理办法: the government's rules for its own work
        if place.level in ("province", "city"):
            # 条例 and the implementing acts of a law (某省实施〈某法〉办法) come from the people's congress
            return "law", "地方性法规" if ending == "条例" or _implements_a_law(core) else "规章"
        if ending == "条例" and "自治" in place.name:
            return "law", "地方性法规"  # autonomous counties make 自治条例 and 单行条例
        return "document", ""  # counties and townships issue normative documents, not legal acts
    if ending in ("法", "法典"):
        return "law", "法律"
    if any(office in before for office in word_cues["general_offices"]):
        return "document", ""
    if ending == "条例" or any(issuer in before for issuer in word_cues["state_council"]):
        return "law", "行政法规"
    return "document", ""  # a 规定 or 办法 nobody with legislative power is named as issuing


def _implements_a_law(title: str) -> bool:
    """Whether a title implements a law: 某省实施〈中华人民共和国某法〉办法, 某法实施细则."""
    inner = re.search(r"[《〈<](.+?)[》〉>]", title)
    if not inner and "实施" not in title:
        return False
    named = inner.group(1) if inner else title.split("实施")[0]
    not_a_law = ("办法", *cues()["laws"]["not_act_endings"])
    return (named.endswith(("法", "法典")) and not named.endswith(not_a_law)) or load_laws().lookup(named) is not None


def _relation(text: str, sentence: Sentence, position: int, strongest: list[tuple[str, list[str]]], default: str) -> str:
    """The first relation whose cue words occur in the mention's own clause.

    Only the clause: in "为贯彻落实…要求,…,引导群众了解宪法" the 贯彻落实 belongs to another act.
    """
    lo, hi = clause_span(text, position, sentence.start, sentence.end)
    segment = text[lo:hi]
    for relation, words in strongest:
        if any(word in segment for word in words):
            return relation
    return default


def law_relation(text: str, sentence: Sentence, position: int) -> str:
    law_cues = cues()["laws"]
    return _relation(text, sentence, position,
                     [("studied", law_cues["studied"]), ("applied", law_cues["applied"])], "cited")


def document_relation(text: str, sentence: Sentence, start: int) -> str:
    doc_cues = cues()["documents"]
    lo, hi = clause_span(text, start, sentence.start, sentence.end)
    before = text[lo:start]
    # "制定《…》" is our own act; "国务院印发的《…》" describes somebody else's
    for word in doc_cues["issued"]:
        at = before.rfind(word)
        if at >= 0 and not before[at + len(word):].startswith("的"):
            return "issued"
    return _relation(text, sentence, start, [("implemented", doc_cues["implemented"])], "cited")


def _title_mentions(report: Report, sentence: Sentence) -> None:
    text = report.text
    laws = load_laws()
    for match in TITLE.finditer(text, sentence.start, sentence.end):
        written = report.original[match.start(1):match.end(1)]
        title = "".join(match.group(1).split())
        entry = laws.lookup(title)
        before = text[max(sentence.start, match.start() - ISSUER_WINDOW):match.start()]
        if entry is not None:
            kind, rank = "law", entry.rank
        else:
            kind, rank = classify_title(title, before)
        if kind == "law":
            report.laws.append(LawMention(
                title=entry.title if entry else title, written=written,
                relation=law_relation(text, sentence, match.start()), rank=rank,
                key=entry.key if entry else stable_key(title), evidence=sentence.evidence,
                listed=entry is not None, start=match.start(), end=match.end()))
        else:
            report.documents.append(DocumentMention(
                title=title, relation=document_relation(text, sentence, match.start()),
                evidence=sentence.evidence, start=match.start(), end=match.end()))


def _bare_mentions(report: Report, sentence: Sentence) -> None:
    text = report.text
    laws = load_laws()
    context_words = cues()["laws"]["bare_context"]
    previous_end = -1
    for match in _bare_pattern().finditer(text, sentence.start, sentence.end):
        start, end = match.span()
        if inside_title(text, start):
            continue
        name = match.group()
        entry = laws.lookup(name)
        follower = text[end] if end < len(text) else "。"
        full_title = name.startswith(PRC)
        if not full_title:
            lo, _hi = clause_span(text, start, sentence.start, sentence.end)
            window = text[max(lo, start - BARE_CONTEXT_WINDOW):start]
            in_list = previous_end >= 0 and text[previous_end:start] in ("、", "和", "及", "与", "》、")
            if follower not in LIST_FOLLOWERS or not (in_list or any(w in window for w in context_words)):
                continue
        report.laws.append(LawMention(
            title=entry.title, written=report.original[start:end],
            relation=law_relation(text, sentence, start), rank=entry.rank, key=entry.key,
            evidence=sentence.evidence, listed=True, start=start, end=end))
        previous_end = end


def extract_laws(report: Report) -> Report:
    """Fill ``report.laws`` and ``report.documents`` (one entry per mention)."""
    for sentence in report.sentences:
        _title_mentions(report, sentence)
        _bare_mentions(report, sentence)
    report.laws.sort(key=lambda m: m.start)
    return report
