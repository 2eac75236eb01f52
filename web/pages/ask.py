"""The question page (``/ask?q=…``, ``/ask.json``): a question in Chinese (or simple English)
answered from the knowledge graph by :func:`search.questions.answer_question`.

An understood question shows its answer rows (linked to their entity pages), each with the
evidence sentences that prove it (linked to the report at ``#char=START,END``), what the
question was read as, and the SPARQL that produced the rows with its bound values — and a link
that opens that SPARQL in the query editor, where it runs as it is (the bound values are VALUES
rows inside the query text). A question that is not understood says so: the names it could not
decide between (each choice a link that asks again with the name made precise), suggested
questions, and the full-text fallback.

The JSON twin is :meth:`search.questions.Answer.to_json` plus ``data_version`` and ``url``.
The entity linker is built once per data version (:meth:`web.context.ServiceContext.derived`).
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, request
from rdflib import URIRef
from werkzeug.exceptions import ServiceUnavailable

from ontology import relation_iri, report_iri
from search.engine import IndexNotFound
from search import summaries
from search.questions import answer_question
from search.questions.link import Linker
from search.questions.rows import EVIDENCE_PER_ROW, LISTED_PER_ROW, ROWS_PER_PAGE, Paging
from web import i18n
from web.context import ServiceContext, service
from web.entities import Labeller, entity_path, report_path
from web.i18n import t
from web.pages.entity import term_name
from web.twin import bad_request, int_arg, page_blueprint, paging as pager, render_page, twin_route, url_with

#: longer questions are refused: no supported question needs more, and the linker scans the text
MAX_QUESTION = 300
#: questions the home page offers as examples (each is answered from the embedded corpus)
EXAMPLES = ("哪些县开展了“法律明白人”?", "哪些地方学习了《中华人民共和国黄河保护法》?",
            "“兴法铺子”和哪些做法一起出现?", "甘谷县学习了哪些法律?")
#: evidence sentences a row shows before the rest are folded away
EVIDENCE_SHOWN = 3
#: the most rows a page and evidence sentences a row may ask for (``limit``, ``evidence``)
MAX_ROWS = 1000
MAX_EVIDENCE = 1000
_QUOTES = "“”\"'‘’「」『』《》"


def question_linker(context: ServiceContext) -> Linker:
    """The entity linker of the current data version (about 0.2–0.3 s to build)."""
    from search.summaries import shared

    return context.derived("question_linker", lambda ctx: Linker.from_store(ctx.graph, shared(ctx)))


def fallback_index(context: ServiceContext):
    """The full-text index for the fallback of questions not understood; None when there is none
    (the answer then says it has no full-text hits rather than failing)."""
    try:
        return context.index
    except (IndexNotFound, FileNotFoundError):
        return None


def ask_url(question: str) -> str:
    return "/ask?" + urlencode({"q": question})


def editor_url(query: str) -> str:
    """The query editor's share link: it opens with the query and runs it."""
    return "/query?" + urlencode({"q": query, "view": "table"})


def read_question() -> str:
    question = request.args.get("q")
    if question is None or not question.strip():
        bad_request(t("questions.error.empty"))
    question = question.strip()
    if len(question) > MAX_QUESTION:
        bad_request(t("questions.error.too_long", limit=MAX_QUESTION, length=len(question)))
    return question


def read_paging() -> Paging:
    """``page`` (from 1), ``limit`` (rows per page) and ``evidence`` (sentences per row)."""
    page = int_arg("page", 1, minimum=1)
    limit = int_arg("limit", ROWS_PER_PAGE, minimum=1, maximum=MAX_ROWS)
    evidence = int_arg("evidence", EVIDENCE_PER_ROW, minimum=0, maximum=MAX_EVIDENCE)
    return Paging(offset=(page - 1) * limit, limit=limit, evidence=evidence, listed=max(LISTED_PER_ROW, limit))


def create_blueprint(context: ServiceContext) -> Blueprint:
    blueprint = page_blueprint("ask", __name__)

    @twin_route(blueprint, "/ask")
    def ask():
        question = read_question()
        paging = read_paging()
        current = service()
        if current.version() == "empty":
            raise ServiceUnavailable(t("questions.error.no_data"))
        answer = answer_question(question, current.graph, index=fallback_index(current),
                                 linker=question_linker(current), summaries=summaries.shared(current), paging=paging)
        data = answer.to_json()
        view = AnswerView(current.graph).build(data)
        if answer.understood:
            view["pager"] = pager(paging.offset // paging.limit + 1, paging.limit, answer.row_count or 0)
            view["first"] = paging.offset + 1
            if any(row["evidence_count"] > len(row["evidence"]) for row in data["answers"]) \
                    and paging.evidence < MAX_EVIDENCE:
                view["more_evidence_url"] = url_with(evidence=MAX_EVIDENCE)
        return render_page("ask.html", data, view=view)

    return blueprint


class AnswerView:
    """What the HTML page needs beyond :meth:`Answer.to_json`: labels for the IRIs, links to
    entity pages, reports and the editor, re-ask links for ambiguous names."""

    def __init__(self, graph):
        self.graph = graph
        self.label = Labeller(graph, term_name, language=i18n.current_language())
        #: IRIs that have an entity page: the gazetteer names every division of China, the graph
        #: only those with a report and their parents
        self.described: set[str] = set()

    def build(self, data: dict) -> dict:
        self._prefetch(data)
        view = {"title": data["question"]}
        if data["understood"]:
            view["rows"] = [self.row(row) for row in data["answers"]]
            view["interpretation"] = self.interpretation(data["interpretation"])
            view["bindings"] = self.bindings(data["bindings"])
            view["editor_url"] = editor_url(data["sparql"])
        else:
            view["ambiguous"] = [self.ambiguity(entry, data["question"], data["suggestions"])
                                 for entry in data.get("ambiguous", [])]
            view["fallback"] = self.fallback(data.get("fallback"))
        view["suggestions"] = [{"text": text, "url": ask_url(text)} for text in data["suggestions"]]
        return view

    def _prefetch(self, data: dict) -> None:
        # one label lookup for the whole page instead of one per IRI
        iris = {row["iri"] for row in data["answers"] if row.get("iri")}
        iris |= {str(report_iri(e["report"])) for row in data["answers"] for e in row["evidence"]}
        for values in data["bindings"].values():
            iris |= {v for v in values if isinstance(v, str) and "://" in v}
        iris |= set(data["interpretation"].get("relations", [])) - {"any"}
        self.label.labels(sorted(iris))
        linked = {p["iri"] for p in data["interpretation"].get("places", [])}
        linked |= {c["iri"] for entry in data.get("ambiguous", []) for c in entry["choices"] if c.get("iri")}
        linked |= {v for values in data["bindings"].values() for v in values if isinstance(v, str) and entity_path(v)}
        if linked:
            rows = self.graph.query("SELECT DISTINCT ?s WHERE { VALUES ?s { %s } ?s ?p ?o }"
                                    % " ".join(URIRef(iri).n3() for iri in sorted(linked)))
            self.described = {str(row[0]) for row in rows}

    def page_of(self, iri: str | None) -> str | None:
        """The entity page of a place or bound value, None when the graph does not describe it."""
        return entity_path(iri) if iri in self.described else None

    # -- understood ---------------------------------------------------------------------------

    def evidence(self, evidence: dict) -> dict:
        return {**evidence, "href": report_path(evidence["report"], evidence["start"], evidence["end"]),
                "report_label": self.label(report_iri(evidence["report"]))}

    def row(self, row: dict) -> dict:
        evidence = [self.evidence(e) for e in row["evidence"]]
        return {"label": row["label"], "href": entity_path(row["iri"]) if row.get("iri") else None,
                "code": row.get("code"), "kind": row["kind"], "facts": self.facts(row),
                "evidence": evidence[:EVIDENCE_SHOWN], "more_evidence": evidence[EVIDENCE_SHOWN:],
                "evidence_count": row["evidence_count"], "evidence_left": row["evidence_count"] - len(evidence)}

    def facts(self, row: dict) -> list[dict]:
        """The shape-specific keys of a row, as (name, text, links) for the page."""
        facts = []
        if row.get("level"):
            facts.append({"name": t("questions.fact.level"), "text": t(f"level.{row['level']}")})
        if row.get("years"):
            facts.append({"name": t("questions.fact.years"), "text": "、".join(str(y) for y in row["years"])})
        if "count" in row:
            facts.append({"name": t("questions.fact.count"), "text": str(row["count"])})
        if row.get("evidence_count"):
            facts.append({"name": t("questions.fact.sentences"), "text": str(row["evidence_count"])})
        if "report_count" in row:
            facts.append({"name": t("questions.fact.reports"), "text": str(row["report_count"])})
            facts.append({"name": t("questions.fact.same_sentence"), "text": str(row["same_sentence"])})
        if row.get("relations"):
            names = [self.label(relation_iri(name)) for name in row["relations"]]
            facts.append({"name": t("questions.fact.relations"), "text": "、".join(names)})
        places = row.get("jurisdictions") or []
        if places:
            links = [{"label": p["label"], "href": entity_path(p["iri"])} if isinstance(p, dict)
                     else {"label": p, "href": None} for p in places]
            left = row.get("jurisdiction_count", len(places)) - len(places)
            facts.append({"name": t("questions.fact.jurisdictions"), "links": links,
                          "more": t("questions.more_listed", count=left) if left > 0 else None})
        return facts

    def interpretation(self, data: dict) -> dict:
        shape = data.get("shape")
        key = f"questions.shape.{shape}"
        view = {"shape": shape, "description": t(key) if key in i18n.messages() else data.get("description")}
        thing = data.get("thing")
        if thing:
            view["thing"] = {"label": thing["label"], "written": thing["written"].strip(_QUOTES + " "),
                             "match": t(f"questions.match.{thing['match']}"),
                             "kinds": [t(f"links.kind.{kind}") for kind in thing["kinds"]],
                             "links": [entity_path(iri) for iri in thing["iris"] if entity_path(iri)]}
        view["places"] = [{"label": p["label"], "code": p["code"], "href": self.page_of(p["iri"]),
                           "written": p.get("written")} for p in data.get("places", [])]
        if data.get("level"):
            view["level"] = "、".join(t(f"level.{name}") for name in data["level"]["levels"])
        if data.get("years"):
            view["years"] = data["years"]
        relations = data.get("relations") or []
        view["relations"] = [t("questions.any_relation") if r == "any" else self.label(URIRef(r)) for r in relations]
        if data.get("kinds"):
            view["kinds"] = [t(f"links.kind.{kind}") for kind in data["kinds"]]
        if data.get("first_year"):
            view["first_year"] = data["first_year"]
        return view

    def bindings(self, bindings: dict) -> list[dict]:
        """Each VALUES parameter with its values, IRIs labelled and linked."""
        rows = []
        for variable, values in bindings.items():
            shown = []
            for value in values:
                if value is None:
                    shown.append({"text": "UNDEF", "note": t("questions.undef")})
                elif isinstance(value, str) and "://" in value:
                    shown.append({"text": self.label(URIRef(value)), "iri": value, "href": self.page_of(value)})
                else:
                    shown.append({"text": str(value).lower() if isinstance(value, bool) else str(value)})
            rows.append({"variable": variable, "values": shown})
        return rows

    # -- not understood -----------------------------------------------------------------------

    def ambiguity(self, entry: dict, question: str, suggestions: list[str]) -> dict:
        choices = []
        for choice in entry["choices"]:
            if entry["kind"] == "jurisdiction":
                precise = choice.get("qualified") or choice["label"]
                where = choice.get("context")
                iris = [choice["iri"]] if choice.get("iri") in self.described else []
            else:
                precise = f"“{choice['label']}”"
                where = "、".join(t(f"links.kind.{kind}") for kind in choice.get("kinds", []))
                iris = choice.get("iris", [])
            reasked = _reask(question, entry["mention"], precise, entry["kind"], suggestions)
            choices.append({"label": precise if entry["kind"] == "jurisdiction" else choice["label"],
                            "where": where, "code": choice.get("code"), "has_report": choice.get("has_report"),
                            "url": ask_url(reasked) if reasked else None,
                            "question": reasked,
                            "href": next((entity_path(iri) for iri in iris if entity_path(iri)), None)})
        return {"mention": entry["mention"], "kind": entry["kind"], "count": entry["count"],
                "shown": len(choices), "choices": choices}

    def fallback(self, fallback: dict | None) -> dict | None:
        if not fallback or not fallback.get("terms"):
            return None
        hits = [{**hit, "href": report_path(hit["report"], hit["start"], hit["end"])} for hit in fallback["hits"]]
        return {"query": fallback["query"], "terms": fallback["terms"], "total": fallback["total"],
                "search_url": "/search?" + urlencode({"q": fallback["query"]}),
                "kwic_urls": [{"term": term, "url": "/kwic?" + urlencode({"q": term})} for term in fallback["terms"]],
                "hits": hits}


def _reask(question: str, mention: str, precise: str, kind: str, suggestions: list[str]) -> str | None:
    """The question with ``mention`` replaced by the chosen, precise name.

    The answer's own suggestions are rewritten that way already (for the first few choices);
    they are preferred. Otherwise the mention is replaced in the question as asked — with the
    quotes around it, for a thing, which is re-quoted — or None when the question does not hold
    it verbatim (normalisation changed it)."""
    for suggestion in suggestions:
        if precise in suggestion and precise not in question:
            return suggestion
    bare = mention.strip(_QUOTES)
    if not bare:
        return None
    if kind == "jurisdiction":
        pattern = re.compile(re.escape(bare))
    else:
        pattern = re.compile(f"[{re.escape(_QUOTES)}]?{re.escape(bare)}[{re.escape(_QUOTES)}]?")
    found = pattern.search(question)
    if found is None:
        return None
    return question[:found.start()] + precise + question[found.end():]


__all__ = ["EXAMPLES", "MAX_QUESTION", "AnswerView", "ask_url", "create_blueprint", "editor_url", "question_linker"]
