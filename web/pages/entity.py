"""Entity pages: every resource IRI of the graph dereferences at ``/id/<local>``.

The resource ``ontology.ID + "law/38f1be3aa827"`` is served at ``/id/law/38f1be3aa827`` by this
service, whatever host it runs on; the page always names the canonical IRI. One URL, several
answers: HTML for a browser, Turtle / JSON-LD / N-Triples / RDF/XML by ``Accept`` or by suffix
(``.ttl`` ``.jsonld`` ``.nt`` ``.rdf``), the JSON twin of the page at ``.json``.

Also ``/labels``: labels for a list of IRIs (the query editor names the IRIs in its result
table with it).
"""
from __future__ import annotations

from flask import Response, redirect, request
from rdflib import URIRef

from ontology import ID
from web import i18n
from web.context import service
from web.entities import Describer, EntityNotFound, Labeller, entity_iri, entity_path
from web.rdf_media import (
    BY_SUFFIX,
    HTML,
    JSON,
    NotAcceptable,
    alternate_links,
    link_header,
    negotiate,
    not_acceptable_response,
    rdf_response,
)
from web.twin import bad_request, json_response, not_found, page_blueprint, render_page

#: The IRI of the whole data set; its description is the VoID document (web/pages/dataset.py).
DATASET_IRI = ID["dataset/fzkg"]
#: How many IRIs one /labels call may name.
LABEL_BATCH_LIMIT = 5000


def term_name(compact_name: str) -> str | None:
    """A readable name for a term of another vocabulary (``rdf:type`` → 类型), if we have one."""
    key = f"term.{compact_name}"
    return i18n.translate(key) if key in i18n.messages() else None


def create_blueprint(context):
    blueprint = page_blueprint("entity", __name__)

    @blueprint.route("/id/<path:local>")
    def entity(local: str):
        try:
            chosen = negotiate()
        except NotAcceptable as error:
            return not_acceptable_response(error)
        return _answer(local, chosen)

    @blueprint.route("/id/<path:local>.json", endpoint="entity_json")
    def entity_json(local: str):
        return _answer(local, JSON)

    def rdf_view(local: str, suffix: str):
        return _answer(local, BY_SUFFIX[suffix].name)

    for suffix in BY_SUFFIX:
        blueprint.add_url_rule(f"/id/<path:local>.{suffix}", endpoint=f"entity_{suffix}", view_func=rdf_view,
                               defaults={"suffix": suffix})

    @blueprint.route("/labels", methods=["GET", "POST"])
    def labels():
        """``{"labels": {iri: label}, "links": {iri: entity page}}`` for ``iri=`` parameters or a
        JSON body ``{"iris": […]}``."""
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("iris"), list):
                bad_request(i18n.t("entity.labels.body"))
            iris = [str(i) for i in body["iris"] if isinstance(i, str)]
        else:
            iris = request.args.getlist("iri")
        if len(iris) > LABEL_BATCH_LIMIT:
            bad_request(i18n.t("entity.labels.limit", limit=LABEL_BATCH_LIMIT))
        labeller = Labeller(service().graph, term_name, language=i18n.current_language())
        found = labeller.labels(iris)
        return json_response({"labels": found,
                              "links": {iri: entity_path(iri) for iri in found if entity_path(iri)}})

    return blueprint


def _answer(local: str, chosen: str) -> Response:
    iri = entity_iri(local)
    if iri == DATASET_IRI:
        # the data set is described by the VoID document, in the same formats
        suffix = "" if chosen == HTML else f".{_suffix_of(chosen)}"
        return redirect(f"/void{suffix}", code=303)
    describer = Describer(service().graph, term_name, language=i18n.current_language())
    page_path = f"/id/{local}"
    links = alternate_links(page_path)
    if chosen not in (HTML, JSON):
        if not describer.exists(iri):
            not_found(i18n.t("entity.not_found", iri=str(iri)))
        fmt = next(fmt for fmt in BY_SUFFIX.values() if fmt.name == chosen)
        response = rdf_response(describer.bounded_description(iri), fmt)
        response.headers["Link"] = link_header(links)
        return response
    try:
        data = describer.describe(iri)
    except EntityNotFound:
        not_found(i18n.t("entity.not_found", iri=str(iri)))
    data["alternates"] = links
    response = render_page("entity.html", data, page_path=page_path, query_link=_query_link,
                           fact_groups=_group_facts(data["facts"]))
    response.headers["Link"] = link_header(links)
    return response


def _suffix_of(name: str) -> str:
    if name == JSON:
        return "json"
    return next(suffix for suffix, fmt in BY_SUFFIX.items() if fmt.name == name)


def _group_facts(facts: list[dict]) -> list[dict]:
    """Facts under headings: one per relation (学习, 开展 …), figures together, in first-seen order."""
    groups: dict[str, dict] = {}
    for fact in facts:
        if fact["kind"] == "figure":
            key, title = "figure", i18n.t("entity.figures")
        elif fact["relation"] is not None:
            key, title = fact["relation"]["iri"], fact["relation"]["label"]
        else:
            key, title = "evidence", i18n.t("entity.evidence")
        groups.setdefault(key, {"key": key, "title": title, "facts": []})["facts"].append(fact)
    return list(groups.values())


def _query_link(property_iri: str, object_iri: str) -> str:
    """A query-editor link listing every subject of ``?s <property> <object>`` (past the page's cut)."""
    from urllib.parse import urlencode

    query = (f"SELECT ?s WHERE {{\n  ?s {URIRef(property_iri).n3()} {URIRef(object_iri).n3()} .\n}}\n"
             "ORDER BY ?s")
    return "/query?" + urlencode({"q": query, "view": "table"})


__all__ = ["DATASET_IRI", "create_blueprint", "term_name"]
