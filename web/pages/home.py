"""The home page (``/``, ``/index.json``): the search box, the question box, corpus statistics and
example searches.

Statistics are counted in the summaries (search/summaries.py) when they describe the stored
reports, else by SPARQL over the graph; either way once per data version (an ingest changes the
version, and the next request recomputes them).
"""
from __future__ import annotations

import threading
import tomllib
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, current_app

from ingest.report import LEVELS
from ontology import level_iri
from web.context import ServiceContext, service
from web.pages.ask import EXAMPLES as ASK_EXAMPLES
from web.twin import entity_url, page_blueprint, render_page, twin_route

EXAMPLES_FILE = Path(__file__).resolve().parents[1] / "data" / "examples.toml"
#: how many programs and laws the home page ranks
TOP = 10
_CACHE = "fzkg_home_statistics"

_LEVELS = """
SELECT ?level (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en)
       (COUNT(DISTINCT ?report) AS ?reports) (COUNT(DISTINCT ?place) AS ?jurisdictions)
WHERE {
  ?report a fz:Report ; dct:spatial ?place . ?place fz:level ?level .
  OPTIONAL { ?level rdfs:label ?zh FILTER(lang(?zh) = "zh") }
  OPTIONAL { ?level rdfs:label ?en FILTER(lang(?en) = "en") }
} GROUP BY ?level"""

# zero or more steps up, so that a province's own report counts for it
_PROVINCES = """
SELECT ?province (SAMPLE(?name) AS ?label) (SAMPLE(?notation) AS ?code)
       (COUNT(DISTINCT ?report) AS ?reports) (COUNT(DISTINCT ?place) AS ?jurisdictions)
WHERE {
  ?report a fz:Report ; dct:spatial ?place .
  ?place org:subOrganizationOf* ?province . ?province fz:level fz:province .
  OPTIONAL { ?province rdfs:label ?name } OPTIONAL { ?province skos:notation ?notation }
} GROUP BY ?province ORDER BY DESC(?reports) ?label"""

_YEARS = """
SELECT ?year (COUNT(DISTINCT ?report) AS ?reports)
WHERE { ?report a fz:Report ; fz:year ?year } GROUP BY ?year ORDER BY ?year"""

_TOTALS = """
SELECT (COUNT(DISTINCT ?report) AS ?reports) (COUNT(DISTINCT ?place) AS ?jurisdictions)
WHERE { ?report a fz:Report . OPTIONAL { ?report dct:spatial ?place } }"""

_TOP_PROGRAMS = f"""
SELECT ?object (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en)
       (COUNT(DISTINCT ?report) AS ?reports) (COUNT(DISTINCT ?statement) AS ?mentions)
WHERE {{
  ?statement a fz:ProgramMention ; fz:object ?object ; fz:report ?report .
  OPTIONAL {{ ?object skos:prefLabel ?zh FILTER(lang(?zh) = "zh") }}
  OPTIONAL {{ ?object skos:prefLabel ?en FILTER(lang(?en) = "en") }}
}} GROUP BY ?object ORDER BY DESC(?reports) DESC(?mentions) ?label_zh LIMIT {TOP}"""

_TOP_LAWS = f"""
SELECT ?object (SAMPLE(?zh) AS ?label_zh) (SAMPLE(?en) AS ?label_en)
       (COUNT(DISTINCT ?report) AS ?reports) (COUNT(DISTINCT ?statement) AS ?mentions)
WHERE {{
  ?statement a fz:LawMention ; fz:object ?object ; fz:report ?report .
  OPTIONAL {{ ?object rdfs:label ?zh FILTER(lang(?zh) = "zh") }}
  OPTIONAL {{ ?object rdfs:label ?en FILTER(lang(?en) = "en") }}
}} GROUP BY ?object ORDER BY DESC(?reports) DESC(?mentions) ?label_zh LIMIT {TOP}"""


def _int(term) -> int:
    if term is None:
        return 0
    return int(term.toPython()) if hasattr(term, "toPython") else int(term)


def _labels(row) -> dict[str, str]:
    return {lang: str(row[f"label_{lang}"]) for lang in ("zh", "en") if row[f"label_{lang}"] is not None}


def search_url(query: str) -> str:
    return "/search?" + urlencode({"q": query})


def _graph_rows(graph) -> dict:
    return {"totals": graph.query(_TOTALS), "levels": graph.query(_LEVELS), "provinces": graph.query(_PROVINCES),
            "years": graph.query(_YEARS), "top_programs": graph.query(_TOP_PROGRAMS),
            "top_laws": graph.query(_TOP_LAWS)}


def corpus_statistics(context: ServiceContext) -> dict:
    """Counts for the home page, from the summaries or the graph (the same rows either way)."""
    from search.summaries import shared

    summaries = shared(context)
    rows = summaries.statistics(TOP) if summaries is not None else _graph_rows(context.graph)
    totals = next(iter(rows["totals"]))
    level_codes = {str(level_iri(code)): code for code in LEVELS}
    levels = []
    for row in rows["levels"]:
        code = level_codes.get(str(row["level"]))
        levels.append({"level": code or str(row["level"]), "label": _labels(row),
                       "reports": _int(row["reports"]), "jurisdictions": _int(row["jurisdictions"]),
                       "search": search_url(f"level:{code}") if code else None})
    levels.sort(key=lambda item: LEVELS.index(item["level"]) if item["level"] in LEVELS else len(LEVELS))
    provinces = [{"name": str(row["label"] or ""), "code": str(row["code"] or ""),
                  "url": entity_url(row["province"]), "reports": _int(row["reports"]),
                  "jurisdictions": _int(row["jurisdictions"]),
                  "search": search_url(f"province:{row['label']}") if row["label"] is not None else None}
                 for row in rows["provinces"]]
    years = [{"year": _int(row["year"]), "reports": _int(row["reports"]),
              "search": search_url(f"year:{_int(row['year'])}")} for row in rows["years"]]

    def top(found) -> list[dict]:
        return [{"iri": str(row["object"]), "url": entity_url(row["object"]), "label": _labels(row),
                 "reports": _int(row["reports"]), "mentions": _int(row["mentions"])}
                for row in found]

    return {"reports": _int(totals["reports"]), "jurisdictions": _int(totals["jurisdictions"]),
            "levels": levels, "provinces": provinces, "years": years,
            "top_programs": top(rows["top_programs"]), "top_laws": top(rows["top_laws"])}


_lock = threading.Lock()


def cached_statistics(context: ServiceContext) -> dict:
    """:func:`corpus_statistics`, computed once per data version and app."""
    version = context.version()
    with _lock:
        cached = current_app.extensions.get(_CACHE)
        if cached is not None and cached[0] == version:
            return cached[1]
    statistics = corpus_statistics(context) if version != "empty" else corpus_statistics_empty()
    with _lock:
        current_app.extensions[_CACHE] = (version, statistics)
    return statistics


def corpus_statistics_empty() -> dict:
    # a data directory nothing was ingested into has no graph store to ask
    return {"reports": 0, "jurisdictions": 0, "levels": [], "provinces": [], "years": [],
            "top_programs": [], "top_laws": []}


def load_examples(path: Path = EXAMPLES_FILE) -> list[dict]:
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("example", [])
    return [{"query": entry["query"], "note": entry.get("note", {}), "search": search_url(entry["query"])}
            for entry in entries]


def create_blueprint(context: ServiceContext) -> Blueprint:
    blueprint = page_blueprint("home", __name__)
    examples = load_examples()

    @twin_route(blueprint, "/")
    def home():
        # questions are answered by web/pages/ask.py at /ask?q=…
        data = {"statistics": cached_statistics(service()), "examples": examples,
                "ask": {"url": "/ask", "available": True, "examples": list(ASK_EXAMPLES)}}
        return render_page("home.html", data)

    return blueprint
