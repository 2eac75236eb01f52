"""What the entity pages, the label API and the query editor know about a resource of the graph.

Everything here reads the graph store with SPARQL and returns plain data (dicts, lists and
strings) so that one description feeds the HTML page, its JSON twin and the tests alike.

Labels: the graph names things with ``skos:prefLabel`` (programs, initiatives), ``rdfs:label``
(jurisdictions, laws, ontology terms) and ``dct:title`` (reports, documents), in Chinese and
sometimes English. Nodes the extractor creates without a name (statements, evidence selectors,
figures, reports whose title was not found) get a label composed from their parts, so that no
page ever has to show a bare IRI.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD

from ontology import FACT_IRI_PATTERN, FZ, ID, OA, PREFIXES, bind_prefixes, local_id

#: Label properties, best first; within one property the reader's language wins, then the others.
LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
LANGUAGE_ORDERS = {"zh": ("zh", "zh-cn", "zh-hans", "", "en"), "en": ("en", "", "zh", "zh-cn", "zh-hans")}

#: Properties from a statement or figure to the evidence sentence behind it.
EVIDENCE_PROPERTIES = (FZ.evidence, FZ.jurisdictionEvidence, FZ.publisherEvidence)

#: How many facts and how many subjects per incoming property a page lists.
FACT_LIMIT = 500
INCOMING_LIMIT = 100
#: Links from a statement, figure or evidence selector to what it is about or where it stands:
#: a subject holding one of these is a fact, shown with its sentence rather than as a link.
FACT_LINKS = (FZ.object, FZ.jurisdiction, FZ.refArea, FZ.report, FZ.inReport, FZ.evidence)

#: Sentences longer than this are shortened when they serve as a label.
LABEL_TEXT_LIMIT = 40


def entity_iri(local: str) -> URIRef:
    return ID[local]


def entity_path(iri) -> str | None:
    """Path of the entity page of a resource IRI (``/id/jurisdiction/620523``), None for others."""
    local = local_id(iri)
    return f"/id/{local}" if local else None


def report_path(report_id: str, start: int | None = None, end: int | None = None) -> str:
    """The report page, optionally at a character range (RFC 5147 ``#char=START,END``)."""
    path = f"/report/{report_id}"
    return f"{path}#char={start},{end}" if start is not None and end is not None else path


def compact(iri) -> str:
    """``prefix:name`` for an IRI in a project namespace, else the IRI itself."""
    text = str(iri)
    best = None
    for prefix, namespace in PREFIXES.items():
        ns = str(namespace)
        if text.startswith(ns) and (best is None or len(ns) > len(str(PREFIXES[best]))):
            best = prefix
    if best is None:
        return text
    return f"{best}:{text[len(str(PREFIXES[best])):]}"


def _values(iris: Iterable) -> str:
    return " ".join(URIRef(str(iri)).n3() for iri in iris)


def _listed(iris: Iterable) -> str:
    # Not a second VALUES block: Oxigraph joins two VALUES blocks into every combination before
    # it looks anything up (1.7 s instead of 12 ms for 400 IRIs at 10k reports).
    return ", ".join(URIRef(i).n3() for i in iris)


def _shorten(text: str, limit: int = LABEL_TEXT_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _language_rank(literal, order: tuple[str, ...]) -> int:
    language = (getattr(literal, "language", None) or "").lower()
    return order.index(language) if language in order else len(order)


def _chunks(items: list, size: int = 400):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Labeller:
    """Labels for IRIs, looked up in batches and remembered for the life of one request.

    ``fallback(compact_name)`` names terms the graph has no label for (``rdf:type``,
    ``dct:identifier`` … of other vocabularies); without one they show as ``prefix:name``.
    """

    def __init__(self, graph, fallback: Callable[[str], str | None] | None = None, language: str = "zh"):
        self.graph = graph
        self.fallback = fallback
        self.order = LANGUAGE_ORDERS.get(language, LANGUAGE_ORDERS["zh"])
        self._known: dict[str, str] = {}

    def __call__(self, iri) -> str:
        return self.labels([iri])[str(iri)]

    def labels(self, iris: Iterable) -> dict[str, str]:
        wanted = [str(i) for i in dict.fromkeys(str(i) for i in iris)]
        missing = [i for i in wanted if i not in self._known]
        if missing:
            self._known.update(self._lookup(missing))
        return {iri: self._known[iri] for iri in wanted}

    def _lookup(self, iris: list[str]) -> dict[str, str]:
        found = self._direct(iris)
        rest = [iri for iri in iris if iri not in found]
        if rest:
            found.update(self._composed(rest))
        for iri in iris:
            if iri not in found:
                short = compact(iri)
                found[iri] = (self.fallback and self.fallback(short)) or local_id(iri) or short
        return found

    def _direct(self, iris: list[str]) -> dict[str, str]:
        ranked: dict[str, tuple] = {}
        for chunk in _chunks(iris):
            # DISTINCT: a label is stated in every report graph naming the thing (tens of thousands
            # for a common program), and the store dedupes far faster than rows reach Python
            rows = self.graph.query(f"""
                SELECT DISTINCT ?s ?p ?label WHERE {{
                  VALUES ?s {{ {_values(chunk)} }}
                  ?s ?p ?label FILTER(?p IN ({_listed(LABEL_PROPERTIES)}))
                }}""")
            for s, p, label in rows:
                rank = (LABEL_PROPERTIES.index(p), _language_rank(label, self.order), str(label))
                key = str(s)
                if key not in ranked or rank < ranked[key]:
                    ranked[key] = rank
        return {iri: rank[2] for iri, rank in ranked.items()}

    def _composed(self, iris: list[str]) -> dict[str, str]:
        """Labels for nodes without a name of their own, from the parts that define them."""
        parts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        wanted = (RDF.type, FZ.jurisdiction, FZ.relation, FZ.object, FZ.measureName, FZ.value, FZ.unit,
                  FZ.refArea, FZ.refPeriod, OA.exact, FZ.inReport, FZ.year, DCTERMS.spatial, DCTERMS.source)
        for chunk in _chunks(iris):
            rows = self.graph.query(f"""
                SELECT ?s ?p ?o WHERE {{
                  VALUES ?s {{ {_values(chunk)} }}
                  ?s ?p ?o FILTER(?p IN ({_listed(wanted)}))
                }}""")
            for s, p, o in rows:
                parts[str(s)][str(p)].append(o)
        referenced = {str(o) for node in parts.values()
                      for p in (FZ.jurisdiction, FZ.relation, FZ.object, FZ.refArea, DCTERMS.spatial)
                      for o in node.get(str(p), ()) if isinstance(o, URIRef)}
        names = self._direct(sorted(referenced)) if referenced else {}

        def name(o) -> str:
            return names.get(str(o)) or local_id(o) or compact(o)

        composed = {}
        for iri, node in parts.items():
            first = {p: values[0] for p, values in node.items() if values}
            types = set(map(str, node.get(str(RDF.type), ())))
            if str(FZ.relation) in first:
                composed[iri] = " ".join(name(first[str(x)]) for x in (FZ.jurisdiction, FZ.relation, FZ.object)
                                         if str(x) in first)
            elif str(FZ.measureName) in first:
                composed[iri] = (f"{first[str(FZ.measureName)]} {first.get(str(FZ.value), '')}"
                                 f"{first.get(str(FZ.unit), '')}").strip()
            elif str(OA.exact) in first:
                composed[iri] = f"“{_shorten(first[str(OA.exact)])}”"
            elif str(FZ.Report) in types:
                composed[iri] = _report_name(first, name)
        return composed


def _report_name(first: dict, name) -> str:
    """A report the extractor found no title for: its jurisdiction and year."""
    place = name(first[str(DCTERMS.spatial)]) if str(DCTERMS.spatial) in first else ""
    year = f"{first[str(FZ.year)]}年" if str(FZ.year) in first else ""
    if place or year:
        return f"{place}{year}法治政府建设报告"
    source = str(first.get(str(DCTERMS.source), ""))
    return source.rsplit("/", 1)[-1] or "报告"


# --------------------------------------------------------------------------- terms for pages


def plain_literal(term):
    """``"x"^^xsd:string`` as ``"x"``: the same literal in RDF 1.1, which the store spells out and
    Turtle readers need not see."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def term_view(term, labeller: Labeller) -> dict:
    """A node or literal as a page shows it: label, link (entity page) and the IRI or value."""
    if isinstance(term, URIRef):
        return {"type": "iri", "iri": str(term), "label": labeller(term), "href": entity_path(term),
                "compact": compact(term)}
    if isinstance(term, Literal):
        view = {"type": "literal", "value": str(term)}
        if term.language:
            view["lang"] = term.language
        # a plain string is typed xsd:string by RDF 1.1; only other types are worth showing
        if term.datatype and term.datatype != XSD.string:
            view["datatype"] = compact(term.datatype)
        return view
    return {"type": "bnode", "value": str(term)}


def _sort_key(view: dict) -> tuple:
    return (view.get("label") or view.get("value") or "", view.get("iri", ""))


# --------------------------------------------------------------------------- one entity


@dataclass
class Fact:
    """A statement or a figure with the sentence that proves it."""

    iri: str
    subject: dict | None
    relation: dict | None
    object: dict | None
    year: str | None
    kind: str  # "statement" or "figure"
    value: str | None
    evidence: dict | None

    def as_dict(self) -> dict:
        return {"iri": self.iri, "href": entity_path(self.iri), "kind": self.kind, "subject": self.subject,
                "relation": self.relation, "object": self.object, "year": self.year, "value": self.value,
                "evidence": self.evidence}


class EntityNotFound(LookupError):
    pass


class Describer:
    """Reads what the graph says about one entity."""

    def __init__(self, graph, term_names: Callable[[str], str | None] | None = None, language: str = "zh"):
        self.graph = graph
        self.label = Labeller(graph, term_names, language)

    def exists(self, iri: URIRef) -> bool:
        return bool(self.graph.query(f"ASK {{ {{ {iri.n3()} ?p ?o }} UNION {{ ?s ?p {iri.n3()} }} }}").askAnswer)

    # -- RDF

    def bounded_description(self, iri: URIRef) -> Graph:
        """The entity's concise bounded description for Linked Data clients.

        The entity's outgoing triples; the statements and figures about it (the nodes whose
        ``fz:jurisdiction``, ``fz:object`` or ``fz:refArea`` it is) with their outgoing triples;
        and the evidence selectors that the entity, those statements and figures point to.
        The nodes of the graph have no blank nodes, so no closure over blank nodes is needed.
        """
        e = iri.n3()
        query = f"""
            CONSTRUCT {{ ?s ?p ?o }} WHERE {{
              {{
                {{ BIND({e} AS ?s) }}
                UNION {{ ?s {FZ.jurisdiction.n3()}|{FZ.object.n3()}|{FZ.refArea.n3()} {e} }}
                UNION {{ ?x {FZ.jurisdiction.n3()}|{FZ.object.n3()}|{FZ.refArea.n3()} {e} .
                         ?x {self._evidence_path()} ?s }}
                UNION {{ {e} {self._evidence_path()} ?s }}
              }}
              ?s ?p ?o
            }}"""
        graph = Graph()
        bind_prefixes(graph)
        for s, p, o in self.graph.query(query):
            graph.add((s, p, plain_literal(o)))
        return graph

    @staticmethod
    def _evidence_path() -> str:
        return "|".join(p.n3() for p in EVIDENCE_PROPERTIES)

    # -- page data

    def describe(self, iri: URIRef) -> dict:
        """Everything the entity page shows, as plain data (also the JSON twin)."""
        if not self.exists(iri):
            raise EntityNotFound(str(iri))
        outgoing = self._outgoing(iri)
        incoming, incoming_counts = self._incoming(iri)
        types = [v for group in outgoing if group["property"]["iri"] == str(RDF.type) for v in group["values"]]
        type_iris = {t["iri"] for t in types if t["type"] == "iri"}
        data = {
            "iri": str(iri),
            "local": local_id(iri),
            "label": self.label(iri),
            "types": types,
            "kind": _kind(iri),
            "outgoing": outgoing,
            "incoming": incoming,
            "incoming_counts": incoming_counts,
            "facts": [fact.as_dict() for fact in self.facts(iri)],
        }
        if str(FZ.Jurisdiction) in type_iris:
            data["parents"] = self.parents(iri)
            data["children"] = self.children(iri)
        if str(FZ.Report) in type_iris:
            data["report_page"] = report_path(self._report_id(iri))
        return data

    def _outgoing(self, iri: URIRef) -> list[dict]:
        groups: dict[str, list] = defaultdict(list)
        seen = set()
        for p, o in self.graph.query(f"SELECT DISTINCT ?p ?o WHERE {{ {iri.n3()} ?p ?o }}"):
            if (p, o) not in seen:
                seen.add((p, o))
                groups[str(p)].append(o)
        self.label.labels([*groups, *(o for values in groups.values() for o in values if isinstance(o, URIRef))])
        return self._group_views(groups)

    def _group_views(self, groups: dict[str, list]) -> list[dict]:
        views = []
        for prop, values in groups.items():
            items = sorted((term_view(v, self.label) for v in values), key=_sort_key)
            views.append({"property": term_view(URIRef(prop), self.label), "values": items})
        # rdf:type first, then by property label, the way a reader scans a record
        views.sort(key=lambda g: (g["property"]["iri"] != str(RDF.type), g["property"]["label"]))
        return views

    def _incoming(self, iri: URIRef) -> tuple[list[dict], dict[str, int]]:
        """Links from other resources, grouped by property.

        Statements, figures and evidence selectors are left out: the page shows them as facts
        with their sentences, and as bare links they would bury the links that matter.
        """
        # one pass over the links to the entity, facts told by their IRIs (a test of the graph per
        # subject takes seconds for a program named in 100,000 reports); counted and sorted here,
        # which the store does far slower for the few subjects a page shows
        fact_properties = ", ".join(p.n3() for p in FACT_LINKS)
        subjects: dict[str, set] = defaultdict(set)
        for p, s in self.graph.query(f"""
                SELECT ?p ?s WHERE {{
                  {{ SELECT DISTINCT ?p ?s WHERE {{ ?s ?p {iri.n3()} FILTER(?p NOT IN ({fact_properties})) }} }}
                  FILTER(!REGEX(STR(?s), {Literal(FACT_IRI_PATTERN).n3()}))
                }}"""):
            subjects[str(p)].add(s)
        counts = {prop: len(found) for prop, found in subjects.items()}
        groups = {prop: sorted(found, key=str)[:INCOMING_LIMIT] for prop, found in subjects.items()}
        self.label.labels([*groups, *(s for values in groups.values() for s in values)])
        views = self._group_views(groups)
        for view in views:
            view["count"] = counts[view["property"]["iri"]]
        return views, counts

    def facts(self, iri: URIRef) -> list[Fact]:
        """Statements and figures about the entity (or the entity itself, if it is one), with evidence."""
        e = iri.n3()
        # The facts are chosen first, in the store's own order (an ORDER BY there costs a second at
        # 10k reports), and only those are joined with their details: a program named in 50,000
        # reports would otherwise have every fact joined and sorted to show 500.
        rows = list(self.graph.query(f"""
            SELECT DISTINCT ?node ?who ?relation ?what ?year ?measure ?value ?unit ?period
                            ?evidence ?start ?end ?exact ?report WHERE {{
              {{ SELECT DISTINCT ?node WHERE {{
                  {{ BIND({e} AS ?node) ?node fz:evidence [] }}
                  UNION {{ ?node fz:jurisdiction|fz:object|fz:refArea|fz:report {e} }}
                }} LIMIT {FACT_LIMIT} }}
              ?node fz:evidence ?evidence .
              ?evidence oa:start ?start ; oa:end ?end ; oa:exact ?exact ; fz:inReport ?report .
              OPTIONAL {{ ?node fz:jurisdiction ?who }}
              OPTIONAL {{ ?node fz:relation ?relation }}
              OPTIONAL {{ ?node fz:object ?what }}
              OPTIONAL {{ ?node fz:year ?year }}
              OPTIONAL {{ ?node fz:refArea ?who }}
              OPTIONAL {{ ?node fz:measureName ?measure }}
              OPTIONAL {{ ?node fz:value ?value }}
              OPTIONAL {{ ?node fz:unit ?unit }}
              OPTIONAL {{ ?node fz:refPeriod ?period }}
            }} ORDER BY ?report ?start LIMIT {FACT_LIMIT}"""))
        rows += list(self._evidence_of_evidence(iri))
        self.label.labels({t for row in rows for t in (row.who, row.relation, row.what, row.report)
                           if isinstance(t, URIRef)})
        facts = []
        seen = set()
        for row in rows:
            if str(row.node) in seen:
                continue
            seen.add(str(row.node))
            figure = row.measure is not None
            facts.append(Fact(
                iri=str(row.node),
                subject=term_view(row.who, self.label) if row.who is not None else None,
                relation=(term_view(row.relation, self.label) if row.relation is not None
                          else {"type": "literal", "value": str(row.measure)} if figure else None),
                object=term_view(row.what, self.label) if row.what is not None else None,
                year=str(row.year or row.period or "") or None,
                kind="figure" if figure else "statement" if row.relation is not None else "evidence",
                value=f"{row.value}{row.unit or ''}" if row.value is not None else None,
                evidence=self._evidence_view(row),
            ))
        return facts

    def _evidence_of_evidence(self, iri: URIRef):
        """An evidence node is its own fact: the sentence and where it is."""
        e = iri.n3()
        return self.graph.query(f"""
            SELECT ?node ?who ?relation ?what ?year ?measure ?value ?unit ?period
                   ?evidence ?start ?end ?exact ?report WHERE {{
              BIND({e} AS ?node) BIND({e} AS ?evidence)
              ?evidence oa:start ?start ; oa:end ?end ; oa:exact ?exact ; fz:inReport ?report .
              OPTIONAL {{ ?report dct:spatial ?who }}
              OPTIONAL {{ ?report fz:year ?year }}
            }}""")

    def _evidence_view(self, row) -> dict:
        report_id = self._report_id(row.report)
        start, end = int(row.start), int(row.end)
        return {"iri": str(row.evidence), "text": str(row.exact), "start": start, "end": end,
                "report": term_view(row.report, self.label), "report_id": report_id,
                "href": report_path(report_id, start, end)}

    def _report_id(self, report: URIRef) -> str:
        return (local_id(report) or "").removeprefix("report/")

    # -- jurisdictions

    def parents(self, iri: URIRef) -> list[dict]:
        """The chain of jurisdictions above, the nearest last (province … parent)."""
        chain = []
        current, seen = iri, {str(iri)}
        while True:
            rows = list(self.graph.query(f"SELECT ?up WHERE {{ {current.n3()} {ORG.subOrganizationOf.n3()} ?up . "
                                         f"?up a {FZ.Jurisdiction.n3()} }} LIMIT 1"))
            if not rows or str(rows[0][0]) in seen:
                break
            current = rows[0][0]
            seen.add(str(current))
            chain.append(current)
        self.label.labels(chain)
        return [term_view(node, self.label) for node in reversed(chain)]

    def children(self, iri: URIRef) -> list[dict]:
        rows = [s for (s,) in self.graph.query(f"""
            SELECT DISTINCT ?child WHERE {{ ?child {ORG.subOrganizationOf.n3()} {iri.n3()} ;
                                                   a {FZ.Jurisdiction.n3()} }}""")]
        self.label.labels(rows)
        return sorted((term_view(node, self.label) for node in rows), key=_sort_key)


def _kind(iri: URIRef) -> str:
    """The page section an entity belongs to: the first segment of its local id."""
    local = local_id(iri) or ""
    if "/evidence/" in local:
        return "evidence"
    return local.split("/", 1)[0] or "resource"


__all__ = ["Describer", "EntityNotFound", "Labeller", "compact", "entity_iri", "entity_path", "report_path",
           "term_view"]
