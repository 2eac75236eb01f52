"""The fzkg vocabulary: namespace objects and paths to the Turtle data files.

No other package spells an IRI; they import the namespaces and IRI makers from here.
"""
from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, QB, RDF, RDFS, SH, SKOS, XSD

#: Base under which every resource of the knowledge graph lives.
BASE = "https://w3id.org/fzkg/"
#: Terms of the fzkg ontology (classes and properties).
FZ = Namespace(BASE + "ontology#")
#: Resources (entities, reports, statements).
ID = Namespace(BASE + "id/")
SCHEMA = Namespace("https://schema.org/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
VOID = Namespace("http://rdfs.org/ns/void#")
#: SHACL shapes of ``shapes.ttl`` (kept apart from the ontology terms).
FZSH = Namespace(BASE + "shapes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Prefix → namespace, bound on every graph the project writes or serialises.
PREFIXES = {
    "fz": FZ, "fzid": ID, "org": ORG, "dct": DCTERMS, "prov": PROV, "skos": SKOS,
    "schema": SCHEMA, "eli": ELI, "qb": QB, "oa": OA, "nif": NIF, "owl": OWL,
    "rdfs": RDFS, "xsd": XSD, "sh": SH, "void": VOID, "sd": SD, "rdf": RDF, "fzsh": FZSH,
}

DATA_DIR = Path(str(resources.files(__name__)))


def data_path(name: str) -> Path:
    """Path of a data file shipped with the ontology package (``fzkg.ttl``, ``shapes.ttl`` …)."""
    return DATA_DIR / name


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib graph or dataset."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)


def stable_key(*parts: str, length: int = 16) -> str:
    """A short deterministic key for an IRI from text parts (same parts → same key)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def jurisdiction_iri(code: str) -> URIRef:
    """Jurisdictions are named by their official Ministry of Civil Affairs code."""
    return ID[f"jurisdiction/{code}"]


def report_iri(content_hash: str) -> URIRef:
    """Reports are named by the hash of their decoded text."""
    return ID[f"report/{content_hash}"]


def report_graph_iri(content_hash: str) -> URIRef:
    """The named graph that holds one report's facts."""
    return ID[f"graph/{content_hash}"]


def law_iri(key: str) -> URIRef:
    return ID[f"law/{key}"]


def program_iri(key: str) -> URIRef:
    return ID[f"program/{key}"]


def initiative_iri(name: str) -> URIRef:
    return ID[f"initiative/{stable_key(name)}"]


def document_iri(title: str) -> URIRef:
    return ID[f"document/{stable_key(title)}"]


def organization_iri(name: str) -> URIRef:
    return ID[f"organization/{stable_key(name)}"]


def local_id(iri: str) -> str | None:
    """The part of a resource IRI after ``ID`` (``jurisdiction/620523``), or None for other IRIs."""
    text = str(iri)
    return text[len(str(ID)):] if text.startswith(str(ID)) else None


#: The shared named graph with the official divisions (labels, codes, levels, hierarchy).
GAZETTEER_GRAPH = ID["graph/gazetteer"]
#: The shared named graph with the ontology, the law list and the program scheme.
VOCABULARY_GRAPH = ID["graph/vocabulary"]
#: The software agent every report description (and so each of its statements) is attributed to (described in ``fzkg.ttl``).
EXTRACTOR = ID["agent/fzkg-extractor"]
#: The one RDF Data Cube data set that holds every figure (described in ``fzkg.ttl``).
FIGURE_DATASET = ID["dataset/figures"]

#: Every named graph the project writes lies under this IRI (reports, gazetteer, vocabulary); a
#: shared SPARQL server may hold other graphs besides (Virtuoso keeps its own configuration there).
GRAPH_NAMESPACE = ID["graph/"]
#: IRI schemes through which Virtuoso lets a SPARQL query call SQL functions and stored procedures
#: (``bif:`` built-ins, ``sql:`` procedures); none of them is SPARQL 1.1.
SQL_CALL_SCHEMES = ("bif:", "sql:")

_REPORT_GRAPH_PREFIX = str(GRAPH_NAMESPACE)


def is_project_graph(iri) -> bool:
    """True for the named graphs the project writes (see :data:`GRAPH_NAMESPACE`)."""
    return str(iri).startswith(_REPORT_GRAPH_PREFIX)


def report_id_of_graph(iri) -> str | None:
    """The report id a named graph belongs to, or None for the shared graphs and foreign IRIs."""
    text = str(iri)
    if not text.startswith(_REPORT_GRAPH_PREFIX):
        return None
    rest = text[len(_REPORT_GRAPH_PREFIX):]
    # report ids are content hashes; the shared graphs have word names
    if rest and all(c in "0123456789abcdef" for c in rest):
        return rest
    return None


def level_iri(level: str) -> URIRef:
    """The individual for an administrative level (``province`` … ``township``)."""
    return FZ[level]


def relation_iri(relation: str) -> URIRef:
    """The individual naming how a jurisdiction relates to an object (``studied``, ``ran`` …)."""
    return FZ[relation]


def law_property(relation: str) -> URIRef:
    """The direct jurisdiction → law property for a law relation (the relation individual, punned)."""
    return FZ[relation]


def document_property(relation: str) -> URIRef:
    """The direct jurisdiction → document property; ``cited`` has its own name because
    ``fz:cited`` points at laws."""
    return FZ.citedDocument if relation == "cited" else FZ[relation]


def statement_iri(report_id: str, kind: str, object_key: str, start: int) -> URIRef:
    """A qualified statement: one per report, kind, object and evidence sentence."""
    return ID[f"statement/{stable_key(report_id, kind, object_key, str(start))}"]


def evidence_iri(report_id: str, start: int, end: int) -> URIRef:
    """The evidence selector of one sentence span of one report."""
    return ID[f"report/{report_id}/evidence/{start}-{end}"]


def observation_iri(report_id: str, start: int, end: int, what: str) -> URIRef:
    return ID[f"observation/{stable_key(report_id, str(start), str(end), what)}"]


#: A regular expression (XPath syntax, for SPARQL's REGEX) matching the IRIs of facts: statements,
#: observations and evidence selectors, as the three functions above mint them. Telling a fact by
#: its IRI costs nothing; asking the graph whether a node has evidence costs a look-up per node.
FACT_IRI_PATTERN = "^" + re.escape(str(ID)) + "(statement/|observation/|report/[^/]+/evidence/)"


def department_iri(jurisdiction_code: str, name: str) -> URIRef:
    """An organisation named within a jurisdiction (``司法局`` alone names one in every county)."""
    return ID[f"jurisdiction/{jurisdiction_code}/organization/{stable_key(name)}"]


def skolem_iri(scope: str, label: str) -> URIRef:
    """A stable IRI standing in for a blank node of a shared graph (``scope`` names the graph), so
    that reloading the graph gives the same triples instead of fresh blank nodes."""
    return ID[f".well-known/genid/{scope}/{label}"]
